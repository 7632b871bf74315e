//! Verifies every ID token a counted flow receives, as a relying party
//! must: signature against the published JWKS, `iss`, `aud`, `exp` and the
//! flow's own `nonce`.

use std::collections::HashMap;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use crate::error::LoadError;

/// The claims the load generator checks beyond the registered ones.
#[derive(Debug, Deserialize)]
pub struct IdClaims {
    pub sub: String,
    pub nonce: Option<String>,
}

/// The provider's verification keys, by `kid`.
pub struct Verifier {
    issuer: String,
    keys: HashMap<String, DecodingKey>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("issuer", &self.issuer)
            .field("kids", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

const ALGS: [Algorithm; 3] = [Algorithm::ES256, Algorithm::EdDSA, Algorithm::RS256];

impl Verifier {
    pub fn from_jwks(issuer: &str, jwks: &[u8]) -> Result<Self, LoadError> {
        crate::ring_jwt::install();
        let set: JwkSet = serde_json::from_slice(jwks)
            .map_err(|e| LoadError::setup(format!("JWKS is not a JWK set: {e}")))?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = jwk.common.key_id.clone() else {
                continue;
            };
            if let Ok(k) = DecodingKey::from_jwk(jwk) {
                keys.insert(kid, k);
            }
        }
        if keys.is_empty() {
            return Err(LoadError::setup("JWKS holds no usable signing key"));
        }
        Ok(Self {
            issuer: issuer.to_owned(),
            keys,
        })
    }

    pub fn verify(&self, token: &str, client_id: &str, nonce: &str) -> Result<IdClaims, LoadError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| LoadError::IdToken(format!("malformed: {e}")))?;
        if !ALGS.contains(&header.alg) {
            return Err(LoadError::IdToken(format!(
                "unexpected alg {:?}",
                header.alg
            )));
        }
        let kid = header
            .kid
            .ok_or_else(|| LoadError::IdToken("no kid".into()))?;
        let key = self
            .keys
            .get(&kid)
            .ok_or_else(|| LoadError::IdToken(format!("kid {kid} is not in the JWKS")))?;
        let mut v = Validation::new(header.alg);
        v.set_issuer(&[&self.issuer]);
        v.set_audience(&[client_id]);
        v.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        v.leeway = 5;
        let data = jsonwebtoken::decode::<IdClaims>(token, key, &v)
            .map_err(|e| LoadError::IdToken(e.to_string()))?;
        if data.claims.nonce.as_deref() != Some(nonce) {
            return Err(LoadError::IdToken("nonce does not match".into()));
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    use jsonwebtoken::{EncodingKey, Header};
    use ring::rand::SystemRandom;
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};

    use super::*;

    const ISS: &str = "http://127.0.0.1:9";

    fn signed(claims: &serde_json::Value) -> (String, Vec<u8>) {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        let point = pair.public_key().as_ref();
        let jwks = serde_json::json!({"keys": [{
            "kty": "EC", "crv": "P-256", "kid": "k1", "alg": "ES256", "use": "sig",
            "x": B64.encode(&point[1..33]), "y": B64.encode(&point[33..]),
        }]});
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some("k1".into());
        let key = EncodingKey::from_ec_der(pkcs8.as_ref());
        let token = jsonwebtoken::encode(&header, claims, &key).unwrap();
        (token, serde_json::to_vec(&jwks).unwrap())
    }

    fn claims(nonce: &str) -> serde_json::Value {
        let now = jsonwebtoken::get_current_timestamp();
        serde_json::json!({"iss": ISS, "aud": "rp", "sub": "u1", "iat": now, "exp": now + 60, "nonce": nonce})
    }

    #[test]
    fn ring_verifies_what_it_should_and_nothing_else() {
        let (token, jwks) = signed(&claims("n1"));
        let v = Verifier::from_jwks(ISS, &jwks).unwrap();
        assert_eq!(v.verify(&token, "rp", "n1").unwrap().sub, "u1");
        // Another audience, another nonce: refused by the claim checks.
        assert!(v.verify(&token, "other", "n1").is_err());
        assert!(v.verify(&token, "rp", "n2").is_err());
        // One flipped signature byte: refused by ring.
        let (head, sig) = token.rsplit_once('.').unwrap();
        let mut raw = B64.decode(sig).unwrap();
        raw[5] ^= 1;
        let forged = format!("{head}.{}", B64.encode(raw));
        assert!(v.verify(&forged, "rp", "n1").is_err());
        // A token from another key under the same kid: refused.
        let (other, _) = signed(&claims("n1"));
        assert!(v.verify(&other, "rp", "n1").is_err());
    }
}
