//! Key material: generating keys as PKCS#8 and turning them into signers
//! once. Public JWKs become `jsonwebtoken` decoding keys in
//! [`super::inbound`].
//!
//! Signers are parsed once and kept: `jsonwebtoken::EncodingKey` re-parses
//! the PKCS#8 document on every signature (and for RSA rebuilds the private
//! key each time), which is the bulk of the cost on the token hot path.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use p256::pkcs8::EncodePrivateKey as _;
use pratu_core::Random;
use rsa::traits::PublicKeyParts as _;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::SigningAlg;

#[derive(Debug, thiserror::Error)]
pub enum KeyMaterialError {
    #[error("key generation failed")]
    Generate,
    #[error("stored {alg} private key cannot be parsed")]
    BadPrivateKey { alg: &'static str },
    #[error("public JWK is malformed or of an unsupported type")]
    BadJwk,
    #[error("signing failed (system random source)")]
    Sign,
}

/// A freshly generated key: the private part as PKCS#8 DER (wiped on drop)
/// and its public JWK with `kid` (the RFC 7638 thumbprint), `alg`, `use`.
pub struct GeneratedKey {
    pub alg: SigningAlg,
    pub kid: String,
    pub pkcs8_der: Zeroizing<Vec<u8>>,
    pub public_jwk: Value,
}

impl std::fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("pkcs8_der", &"[redacted]")
            .finish()
    }
}

/// Generates a key. RSA-2048 takes a noticeable fraction of a second: call
/// it from a blocking task.
pub fn generate(random: &dyn Random, alg: SigningAlg) -> Result<GeneratedKey, KeyMaterialError> {
    let (der, jwk) = match alg {
        SigningAlg::Es256 => {
            let sk = p256::ecdsa::SigningKey::random(&mut random.as_rng_core());
            let der = sk.to_pkcs8_der().map_err(|_| KeyMaterialError::Generate)?;
            let point = sk.verifying_key().to_encoded_point(false);
            let (Some(x), Some(y)) = (point.x(), point.y()) else {
                return Err(KeyMaterialError::Generate);
            };
            (
                der.as_bytes().to_vec(),
                json!({"kty": "EC", "crv": "P-256", "x": B64.encode(x), "y": B64.encode(y)}),
            )
        }
        SigningAlg::EdDsa => {
            let sk = ed25519_dalek::SigningKey::generate(&mut random.as_rng_core());
            let der = ed25519_dalek::pkcs8::EncodePrivateKey::to_pkcs8_der(&sk)
                .map_err(|_| KeyMaterialError::Generate)?;
            (
                der.as_bytes().to_vec(),
                json!({"kty": "OKP", "crv": "Ed25519", "x": B64.encode(sk.verifying_key().as_bytes())}),
            )
        }
        SigningAlg::Rs256 => {
            let sk = rsa::RsaPrivateKey::new(&mut random.as_rng_core(), 2048)
                .map_err(|_| KeyMaterialError::Generate)?;
            let der = rsa::pkcs8::EncodePrivateKey::to_pkcs8_der(&sk)
                .map_err(|_| KeyMaterialError::Generate)?;
            (
                der.as_bytes().to_vec(),
                json!({"kty": "RSA", "n": B64.encode(sk.n().to_bytes_be()), "e": B64.encode(sk.e().to_bytes_be())}),
            )
        }
    };
    let kid = thumbprint(&jwk).ok_or(KeyMaterialError::Generate)?;
    let mut public_jwk = jwk;
    if let Value::Object(m) = &mut public_jwk {
        m.insert("kid".into(), Value::String(kid.clone()));
        m.insert("alg".into(), Value::String(alg.as_str().into()));
        m.insert("use".into(), Value::String("sig".into()));
    }
    Ok(GeneratedKey {
        alg,
        kid,
        pkcs8_der: Zeroizing::new(der),
        public_jwk,
    })
}

/// RFC 7638 JWK thumbprint (SHA-256, base64url): the required members in
/// lexicographic order, no whitespace.
pub fn thumbprint(jwk: &Value) -> Option<String> {
    let s = |k: &str| jwk.get(k).and_then(Value::as_str);
    let canonical = match s("kty")? {
        "EC" => format!(
            r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
            s("crv")?,
            s("x")?,
            s("y")?
        ),
        "OKP" => format!(r#"{{"crv":"{}","kty":"OKP","x":"{}"}}"#, s("crv")?, s("x")?),
        "RSA" => format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, s("e")?, s("n")?),
        _ => return None,
    };
    Some(B64.encode(Sha256::digest(canonical.as_bytes())))
}

/// A private key parsed once, ready to sign, in `ring`: its P-256 and
/// RSA are assembly and constant-time, several times faster than the pure
/// Rust ones (an ES256 signature is most of a client_credentials grant).
pub struct KeySigner {
    alg: SigningAlg,
    key: Signing,
    /// ECDSA nonces and RSA blinding. `ring` signs only with its own
    /// (sealed) `SecureRandom`, so this is the one generator not drawn from
    /// the injected `pratu_core::Random`; nothing it draws is kept.
    rng: ring::rand::SystemRandom,
}

enum Signing {
    Es256(ring::signature::EcdsaKeyPair),
    Rs256(ring::signature::RsaKeyPair),
    EdDsa(ring::signature::Ed25519KeyPair),
}

impl std::fmt::Debug for KeySigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeySigner({}, [redacted])", self.alg())
    }
}

impl KeySigner {
    pub fn from_pkcs8(alg: SigningAlg, der: &[u8]) -> Result<Self, KeyMaterialError> {
        let bad = || KeyMaterialError::BadPrivateKey { alg: alg.as_str() };
        let rng = ring::rand::SystemRandom::new();
        let key = match alg {
            SigningAlg::Es256 => Signing::Es256(
                ring::signature::EcdsaKeyPair::from_pkcs8(
                    &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    der,
                    &rng,
                )
                .map_err(|_| bad())?,
            ),
            // PKCS#8 v1 (no public key) as ed25519-dalek writes it.
            SigningAlg::EdDsa => Signing::EdDsa(
                ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
                    .map_err(|_| bad())?,
            ),
            SigningAlg::Rs256 => {
                Signing::Rs256(ring::signature::RsaKeyPair::from_pkcs8(der).map_err(|_| bad())?)
            }
        };
        Ok(Self { alg, key, rng })
    }

    pub fn alg(&self) -> SigningAlg {
        self.alg
    }

    /// The JWS signature over `message` (raw `r‖s` for ES256). Fails only
    /// when the system's random source does.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyMaterialError> {
        match &self.key {
            Signing::Es256(k) => k
                .sign(&self.rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| KeyMaterialError::Sign),
            Signing::Rs256(k) => {
                // ring blinds the RSA private operation.
                let mut sig = vec![0; k.public().modulus_len()];
                k.sign(
                    &ring::signature::RSA_PKCS1_SHA256,
                    &self.rng,
                    message,
                    &mut sig,
                )
                .map_err(|_| KeyMaterialError::Sign)?;
                Ok(sig)
            }
            Signing::EdDsa(k) => Ok(k.sign(message).as_ref().to_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pratu_core::OsRandom;

    #[test]
    fn every_generated_key_signs_what_its_public_jwk_verifies() {
        for alg in SigningAlg::ALL {
            let k = generate(&OsRandom, alg).unwrap();
            assert_eq!(k.public_jwk["kid"], k.kid.as_str());
            assert_eq!(k.public_jwk["alg"], alg.as_str());
            assert!(k.public_jwk.get("d").is_none() && k.public_jwk.get("p").is_none());
            let signer = KeySigner::from_pkcs8(alg, &k.pkcs8_der).unwrap();
            let key = super::super::inbound::decoding_key(alg, &k.public_jwk).unwrap();
            let sig = B64.encode(signer.sign(b"hello").unwrap());
            assert!(jsonwebtoken::crypto::verify(&sig, b"hello", &key, alg.jwt()).unwrap());
            assert!(
                !jsonwebtoken::crypto::verify(&sig, b"hellp", &key, alg.jwt()).unwrap_or(false)
            );
        }
    }

    #[test]
    fn a_jwk_is_refused_for_another_algorithm() {
        use super::super::inbound::decoding_key;
        let k = generate(&OsRandom, SigningAlg::Es256).unwrap();
        assert!(decoding_key(SigningAlg::EdDsa, &k.public_jwk).is_none());
        let mut jwk = k.public_jwk.clone();
        jwk.as_object_mut().unwrap().remove("alg");
        assert!(decoding_key(SigningAlg::Rs256, &jwk).is_none());
        assert!(decoding_key(SigningAlg::Es256, &jwk).is_some());
        jwk["use"] = "enc".into();
        assert!(decoding_key(SigningAlg::Es256, &jwk).is_none());
    }

    #[test]
    fn thumbprint_matches_rfc_7638_example() {
        let jwk = serde_json::json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        assert_eq!(
            thumbprint(&jwk).unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }
}
