//! Verification of inbound JWTs (client assertions, `id_token_hint`, access
//! tokens presented back to us) through `jsonwebtoken`, so that no JWS
//! parsing or signature checking is hand-written here.
//!
//! Two deliberate departures from `jsonwebtoken`'s defaults:
//! - `exp` is required where the use needs it but checked by the caller
//!   against the injected [`pratu_storage::Clock`], not the wall clock
//!   `jsonwebtoken` reads: the server and its tests share one notion of now,
//!   and an `id_token_hint` may be expired (OIDC Core §3.1.2.1).
//! - The algorithm list is narrowed to the header's algorithm once it is
//!   known to be one we accept: `jsonwebtoken` refuses a list that mixes
//!   families, and the key tried must be of the header's family anyway.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{DecodingKey, Header, TokenData, Validation};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::SigningAlg;

/// Clock skew tolerated on `exp` checks of inbound tokens, in seconds.
pub const LEEWAY_SECONDS: i64 = 30;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("token is not a compact JWS")]
    Malformed,
    #[error("token algorithm is not accepted")]
    Algorithm,
    #[error("no key matches the token")]
    UnknownKey,
    #[error("token signature is invalid")]
    Signature,
    #[error("token issuer is not accepted")]
    Issuer,
    #[error("token subject is not accepted")]
    Subject,
    #[error("token audience is not accepted")]
    Audience,
    #[error("token claims are missing or malformed")]
    Claims,
}

/// A validation for one use: only ES256, RS256 and EdDSA, the named claims
/// required, `exp`/`nbf` left to the caller's clock (see the module docs).
/// Callers add `iss`/`sub`/`aud` expectations, or turn `aud` off where the
/// use does not call for it.
pub fn validation(required: &[&str]) -> Validation {
    let mut v = Validation::new(SigningAlg::Es256.jwt());
    v.algorithms = SigningAlg::ALL.iter().map(|a| a.jwt()).collect();
    v.set_required_spec_claims(required);
    v.validate_exp = false;
    v.validate_nbf = false;
    v.leeway = LEEWAY_SECONDS.unsigned_abs();
    v
}

/// The unverified header and its algorithm, if we accept that algorithm.
pub fn header(token: &str) -> Result<(Header, SigningAlg), VerifyError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Malformed)?;
    let alg = SigningAlg::from_jwt(header.alg).ok_or(VerifyError::Algorithm)?;
    Ok((header, alg))
}

/// A verification key for `alg` from a public JWK, or `None` when the JWK
/// is for encryption, names another algorithm, is of another key type or
/// curve, or is an RSA key under 2048 bits.
pub fn decoding_key(alg: SigningAlg, jwk: &Value) -> Option<DecodingKey> {
    let s = |k: &str| jwk.get(k).and_then(Value::as_str);
    if s("use").is_some_and(|u| u != "sig") || s("alg").is_some_and(|a| a != alg.as_str()) {
        return None;
    }
    let fits = match (alg, s("kty")?) {
        (SigningAlg::Es256, "EC") => s("crv") == Some("P-256"),
        (SigningAlg::EdDsa, "OKP") => s("crv") == Some("Ed25519"),
        (SigningAlg::Rs256, "RSA") => rsa_bits(s("n")?) >= 2048,
        _ => false,
    };
    if !fits {
        return None;
    }
    let jwk: Jwk = serde_json::from_value(jwk.clone()).ok()?;
    DecodingKey::from_jwk(&jwk).ok()
}

/// The size of a base64url big-endian modulus, leading zeros ignored.
fn rsa_bits(n: &str) -> usize {
    use base64::Engine as _;
    let Ok(n) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(n) else {
        return 0;
    };
    let n = n.iter().skip_while(|b| **b == 0).count();
    n * 8
}

/// Verifies `token` (of header algorithm `alg`) with the first of `keys`
/// its signature matches, then `validation`'s claim checks.
pub fn decode_with<'k, T: DeserializeOwned>(
    token: &str,
    alg: SigningAlg,
    keys: impl IntoIterator<Item = &'k DecodingKey>,
    validation: &Validation,
) -> Result<TokenData<T>, VerifyError> {
    let mut v = validation.clone();
    if !v.algorithms.contains(&alg.jwt()) {
        return Err(VerifyError::Algorithm);
    }
    v.algorithms = vec![alg.jwt()];
    let mut tried = false;
    for key in keys {
        tried = true;
        match jsonwebtoken::decode::<T>(token, key, &v) {
            Ok(data) => return Ok(data),
            Err(e) => match e.kind() {
                // Not this key (or not a key of this algorithm): try the next.
                ErrorKind::InvalidSignature
                | ErrorKind::InvalidAlgorithm
                | ErrorKind::InvalidEcdsaKey
                | ErrorKind::InvalidEddsaKey
                | ErrorKind::InvalidRsaKey(_)
                | ErrorKind::InvalidKeyFormat => {}
                other => return Err(claim_error(other)),
            },
        }
    }
    Err(if tried {
        VerifyError::Signature
    } else {
        VerifyError::UnknownKey
    })
}

fn claim_error(kind: &ErrorKind) -> VerifyError {
    match kind {
        ErrorKind::InvalidToken | ErrorKind::Base64(_) | ErrorKind::Utf8(_) => {
            VerifyError::Malformed
        }
        ErrorKind::InvalidIssuer => VerifyError::Issuer,
        ErrorKind::InvalidSubject => VerifyError::Subject,
        ErrorKind::InvalidAudience => VerifyError::Audience,
        _ => VerifyError::Claims,
    }
}
