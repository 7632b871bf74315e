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
