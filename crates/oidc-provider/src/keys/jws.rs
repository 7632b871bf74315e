//! Signing outbound compact JWS (RFC 7515) with a pre-parsed [`KeySigner`].
//! Inbound tokens are verified by `jsonwebtoken` in [`super::inbound`];
//! signing stays here because `jsonwebtoken` 11 re-parses the private key
//! on every signature.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::{Deserialize, Serialize};

use super::material::KeySigner;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwsError {
    #[error("token claims cannot be encoded")]
    Encode,
    #[error("the token cannot be signed")]
    Sign,
}

/// The protected header members Pratu writes.
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
    let signature = signer.sign(out.as_bytes()).map_err(|_| JwsError::Sign)?;
    out.push('.');
    B64.encode_string(signature, &mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SigningAlg;
    use crate::keys::inbound::{self, VerifyError};
    use crate::keys::material::generate;

    #[test]
    fn a_signed_token_verifies_with_jsonwebtoken_and_a_tampered_one_does_not() {
        for alg in SigningAlg::ALL {
            let k = generate(&pratu_core::OsRandom, alg).unwrap();
            let signer = KeySigner::from_pkcs8(alg, &k.pkcs8_der).unwrap();
            let key = inbound::decoding_key(alg, &k.public_jwk).unwrap();
            let v = inbound::validation(&[]);
            let t = sign(
                &signer,
                &k.kid,
                Some("at+jwt"),
                &serde_json::json!({"sub": "a"}),
            )
            .unwrap();
            let (header, parsed) = inbound::header(&t).unwrap();
            assert_eq!(parsed, alg);
            assert_eq!(header.kid.as_deref(), Some(k.kid.as_str()));
            assert_eq!(header.typ.as_deref(), Some("at+jwt"));
            let data = inbound::decode_with::<serde_json::Value>(&t, alg, [&key], &v).unwrap();
            assert_eq!(data.claims, serde_json::json!({"sub": "a"}));

            let mut parts: Vec<&str> = t.split('.').collect();
            let other = B64.encode(br#"{"sub":"b"}"#);
            parts[1] = &other;
            let forged = parts.join(".");
            assert_eq!(
                inbound::decode_with::<serde_json::Value>(&forged, alg, [&key], &v).unwrap_err(),
                VerifyError::Signature
            );
        }
    }

    #[test]
    fn alg_none_and_hmac_headers_are_refused() {
        let none = format!(
            "{}.{}.",
            B64.encode(br#"{"alg":"none"}"#),
            B64.encode(b"{}")
        );
        assert!(inbound::header(&none).is_err());
        let hs = format!(
            "{}.{}.AAAA",
            B64.encode(br#"{"alg":"HS256"}"#),
            B64.encode(b"{}")
        );
        assert_eq!(inbound::header(&hs).unwrap_err(), VerifyError::Algorithm);
        assert_eq!(inbound::header("a.b").unwrap_err(), VerifyError::Malformed);
    }

    #[test]
    fn a_key_of_another_algorithm_does_not_verify() {
        let es = generate(&pratu_core::OsRandom, SigningAlg::Es256).unwrap();
        let ed = generate(&pratu_core::OsRandom, SigningAlg::EdDsa).unwrap();
        let signer = KeySigner::from_pkcs8(SigningAlg::EdDsa, &ed.pkcs8_der).unwrap();
        let t = sign(&signer, &ed.kid, None, &serde_json::json!({})).unwrap();
        assert!(inbound::decoding_key(SigningAlg::EdDsa, &es.public_jwk).is_none());
        let es_key = inbound::decoding_key(SigningAlg::Es256, &es.public_jwk).unwrap();
        assert_eq!(
            inbound::decode_with::<serde_json::Value>(
                &t,
                SigningAlg::EdDsa,
                [&es_key],
                &inbound::validation(&[])
            )
            .unwrap_err(),
            VerifyError::Signature
        );
    }
}
