//! Compact JWS (RFC 7515) for the three algorithms Pratu supports: signing
//! with a parsed [`KeySigner`], verifying against a key found by `kid`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::{Deserialize, Serialize};

use super::SigningAlg;
use super::material::{KeySigner, KeyVerifier};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwsError {
    #[error("token is not a compact JWS")]
    Malformed,
    #[error("token algorithm is not accepted")]
    Algorithm,
    #[error("no key matches the token")]
    UnknownKey,
    #[error("token signature is invalid")]
    Signature,
    #[error("token claims cannot be encoded")]
    Encode,
}

/// The protected header members Pratu reads or writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwsHeader {
    pub alg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
}

/// Signs `claims` as a compact JWS with header `{alg, typ, kid}`.
pub fn sign<T: Serialize + ?Sized>(
    signer: &KeySigner,
    kid: &str,
    typ: Option<&str>,
    claims: &T,
) -> Result<String, JwsError> {
    let header = JwsHeader {
        alg: signer.alg().as_str().to_owned(),
        typ: typ.map(str::to_owned),
        kid: Some(kid.to_owned()),
    };
    let header = serde_json::to_vec(&header).map_err(|_| JwsError::Encode)?;
    let payload = serde_json::to_vec(claims).map_err(|_| JwsError::Encode)?;
    let mut out = String::with_capacity((header.len() + payload.len()) * 4 / 3 + 400);
    B64.encode_string(&header, &mut out);
    out.push('.');
    B64.encode_string(&payload, &mut out);
    let signature = signer.sign(out.as_bytes());
    out.push('.');
    B64.encode_string(signature, &mut out);
    Ok(out)
}

/// A JWS split into its parts, signature not yet checked.
#[derive(Debug)]
pub struct UnverifiedJws<'a> {
    pub header: JwsHeader,
    pub alg: SigningAlg,
    signing_input: &'a str,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

impl<'a> UnverifiedJws<'a> {
    /// Splits and decodes; refuses `none`, HMAC and anything else we do not
    /// sign with, and JWE (five parts).
    pub fn parse(token: &'a str) -> Result<Self, JwsError> {
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwsError::Malformed);
        };
        let header: JwsHeader =
            serde_json::from_slice(&B64.decode(h).map_err(|_| JwsError::Malformed)?)
                .map_err(|_| JwsError::Malformed)?;
        let alg = SigningAlg::parse(&header.alg).ok_or(JwsError::Algorithm)?;
        let payload = B64.decode(p).map_err(|_| JwsError::Malformed)?;
        let signature = B64.decode(s).map_err(|_| JwsError::Malformed)?;
        let signing_input = &token[..h.len() + 1 + p.len()];
        Ok(Self {
            header,
            alg,
            signing_input,
            payload,
            signature,
        })
    }

    /// Checks the signature with `key` (whose algorithm must be the header's)
    /// and returns the payload.
    pub fn verify(self, key: &KeyVerifier) -> Result<Vec<u8>, JwsError> {
        if key.alg() != self.alg {
            return Err(JwsError::Algorithm);
        }
        if key.verify(self.signing_input.as_bytes(), &self.signature) {
            Ok(self.payload)
        } else {
            Err(JwsError::Signature)
        }
    }

    /// The payload without checking the signature: only for choosing which
    /// key to verify with (e.g. the `iss` of a client assertion).
    pub fn payload_unverified(&self) -> &[u8] {
        &self.payload
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::material::generate;

    #[test]
    fn a_signed_token_verifies_and_a_tampered_one_does_not() {
        for alg in SigningAlg::ALL {
            let k = generate(alg).unwrap();
            let signer = KeySigner::from_pkcs8(alg, &k.pkcs8_der).unwrap();
            let verifier = KeyVerifier::from_jwk(alg, &k.public_jwk).unwrap();
            let t = sign(
                &signer,
                &k.kid,
                Some("at+jwt"),
                &serde_json::json!({"sub": "a"}),
            )
            .unwrap();
            let parsed = UnverifiedJws::parse(&t).unwrap();
            assert_eq!(parsed.header.kid.as_deref(), Some(k.kid.as_str()));
            assert_eq!(parsed.header.typ.as_deref(), Some("at+jwt"));
            let payload = parsed.verify(&verifier).unwrap();
            assert_eq!(payload, br#"{"sub":"a"}"#);

            let mut parts: Vec<&str> = t.split('.').collect();
            let other = B64.encode(br#"{"sub":"b"}"#);
            parts[1] = &other;
            let forged = parts.join(".");
            assert_eq!(
                UnverifiedJws::parse(&forged).unwrap().verify(&verifier),
                Err(JwsError::Signature)
            );
        }
    }

    #[test]
    fn alg_none_and_hmac_are_refused() {
        let none = format!(
            "{}.{}.",
            B64.encode(br#"{"alg":"none"}"#),
            B64.encode(b"{}")
        );
        assert_eq!(
            UnverifiedJws::parse(&none).unwrap_err(),
            JwsError::Algorithm
        );
        let hs = format!(
            "{}.{}.AAAA",
            B64.encode(br#"{"alg":"HS256"}"#),
            B64.encode(b"{}")
        );
        assert_eq!(UnverifiedJws::parse(&hs).unwrap_err(), JwsError::Algorithm);
        assert_eq!(
            UnverifiedJws::parse("a.b").unwrap_err(),
            JwsError::Malformed
        );
        assert_eq!(
            UnverifiedJws::parse("a.b.c.d.e").unwrap_err(),
            JwsError::Malformed
        );
    }

    #[test]
    fn a_key_of_another_algorithm_does_not_verify() {
        let es = generate(SigningAlg::Es256).unwrap();
        let ed = generate(SigningAlg::EdDsa).unwrap();
        let signer = KeySigner::from_pkcs8(SigningAlg::EdDsa, &ed.pkcs8_der).unwrap();
        let t = sign(&signer, &ed.kid, None, &serde_json::json!({})).unwrap();
        let v = KeyVerifier::from_jwk(SigningAlg::Es256, &es.public_jwk).unwrap();
        assert_eq!(
            UnverifiedJws::parse(&t).unwrap().verify(&v),
            Err(JwsError::Algorithm)
        );
    }
}
