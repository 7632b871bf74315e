//! Verifying tokens we signed ourselves (access tokens presented to
//! userinfo and introspection, `id_token_hint`) with `ring`: the signature
//! against the published key, then the claim checks of the `Validation`.
//!
//! `jsonwebtoken`'s pure-Rust P-256 verification was more than half of a
//! userinfo request's CPU; ring's is several times faster. Only
//! validations that leave `exp`/`nbf` to the caller's clock (as
//! [`super::inbound::validation`] builds them) take this path: the claim
//! checks here are `jsonwebtoken`'s for `iss`, `sub`, `aud` and required
//! claims, nothing more.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::Validation;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde_json::Value;

use super::SigningAlg;
use super::inbound::VerifyError;

/// A published key's public half, ready for ring.
pub(crate) enum OwnVerifier {
    Ec(UnparsedPublicKey<Vec<u8>>),
    Ed(UnparsedPublicKey<Vec<u8>>),
    Rsa(RsaPublicKeyComponents<Vec<u8>>),
}

impl std::fmt::Debug for OwnVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Ec(_) => "OwnVerifier(ES256)",
            Self::Ed(_) => "OwnVerifier(EdDSA)",
            Self::Rsa(_) => "OwnVerifier(RS256)",
        })
    }
}

impl OwnVerifier {
    /// From our own public JWK (`generate` wrote it).
    pub fn from_jwk(alg: SigningAlg, jwk: &Value) -> Option<Self> {
        let b = |k: &str| {
            jwk.get(k)
                .and_then(Value::as_str)
                .and_then(|s| B64.decode(s).ok())
        };
        Some(match alg {
            SigningAlg::Es256 => {
                let (x, y) = (b("x")?, b("y")?);
                if x.len() != 32 || y.len() != 32 {
                    return None;
                }
                let mut point = Vec::with_capacity(65);
                point.push(4);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                Self::Ec(UnparsedPublicKey::new(
                    &signature::ECDSA_P256_SHA256_FIXED,
                    point,
                ))
            }
            SigningAlg::EdDsa => Self::Ed(UnparsedPublicKey::new(&signature::ED25519, b("x")?)),
            SigningAlg::Rs256 => Self::Rsa(RsaPublicKeyComponents {
                n: b("n")?,
                e: b("e")?,
            }),
        })
    }

    pub fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
        match self {
            Self::Ec(k) | Self::Ed(k) => k.verify(message, sig).is_ok(),
            Self::Rsa(k) => k
                .verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, sig)
                .is_ok(),
        }
    }
}

/// Whether `v` can be checked here (no clock-based checks).
pub fn handles(v: &Validation) -> bool {
    !v.validate_exp && !v.validate_nbf
}

/// The signing input, the decoded signature and the decoded payload.
pub fn split(token: &str) -> Result<(&str, Vec<u8>, Vec<u8>), VerifyError> {
    let (input, sig) = token.rsplit_once('.').ok_or(VerifyError::Malformed)?;
    let (_, payload) = input.split_once('.').ok_or(VerifyError::Malformed)?;
    let sig = B64.decode(sig).map_err(|_| VerifyError::Malformed)?;
    let payload = B64.decode(payload).map_err(|_| VerifyError::Malformed)?;
    Ok((input, sig, payload))
}

/// `jsonwebtoken`'s checks of `iss`, `sub`, `aud` and required claims.
pub fn check_claims(claims: &Value, v: &Validation) -> Result<(), VerifyError> {
    let obj = claims.as_object().ok_or(VerifyError::Malformed)?;
    for name in &v.required_spec_claims {
        if !obj.contains_key(name.as_str()) {
            return Err(VerifyError::Claims);
        }
    }
    if let Some(issuers) = &v.iss {
        let iss = obj.get("iss").and_then(Value::as_str);
        if !iss.is_some_and(|i| issuers.contains(i)) {
            return Err(VerifyError::Issuer);
        }
    }
    if let Some(sub) = &v.sub
        && obj.get("sub").and_then(Value::as_str) != Some(sub.as_str())
    {
        return Err(VerifyError::Subject);
    }
    if v.validate_aud {
        match (&v.aud, obj.get("aud")) {
            (Some(want), Some(Value::String(a))) if want.contains(a) => {}
            (Some(want), Some(Value::Array(list)))
                if list
                    .iter()
                    .filter_map(Value::as_str)
                    .any(|a| want.contains(a)) => {}
            (_, None) if !v.required_spec_claims.contains("aud") && v.aud.is_none() => {}
            _ => return Err(VerifyError::Audience),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::keys::inbound::validation;

    #[test]
    fn claim_checks_follow_the_validation() {
        let mut v = validation(&["iss", "sub"]);
        v.set_issuer(&["https://id"]);
        v.validate_aud = false;
        assert!(check_claims(&json!({"iss": "https://id", "sub": "u"}), &v).is_ok());
        assert_eq!(
            check_claims(&json!({"iss": "https://evil", "sub": "u"}), &v),
            Err(VerifyError::Issuer)
        );
        assert_eq!(
            check_claims(&json!({"iss": "https://id"}), &v),
            Err(VerifyError::Claims)
        );

        let mut v = validation(&["aud"]);
        v.set_audience(&["c1"]);
        assert!(check_claims(&json!({"aud": "c1"}), &v).is_ok());
        assert!(check_claims(&json!({"aud": ["c0", "c1"]}), &v).is_ok());
        assert_eq!(
            check_claims(&json!({"aud": "c2"}), &v),
            Err(VerifyError::Audience)
        );
        v.sub = Some("s".into());
        assert_eq!(
            check_claims(&json!({"aud": "c1", "sub": "t"}), &v),
            Err(VerifyError::Subject)
        );

        // An audience present although none is expected is refused, as
        // jsonwebtoken does.
        let v = validation(&[]);
        assert_eq!(
            check_claims(&json!({"aud": "c1"}), &v),
            Err(VerifyError::Audience)
        );
        assert!(check_claims(&json!({}), &v).is_ok());
    }
}
