//! The loaded key set: every published key parsed once, the signer chosen
//! per algorithm, and the JWKS document serialised once per load.

use std::sync::Arc;

use axum::body::Bytes;
use pratu_storage::pii::PiiCipher;
use pratu_storage::records::SigningKey;
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::SigningAlg;
use super::jws::{self, JwsError, JwsHeader, UnverifiedJws};
use super::material::{KeyMaterialError, KeySigner, KeyVerifier};

/// The AEAD associated data binding a sealed private key to its `kid`, so a
/// sealed blob cannot be moved to another row.
pub(crate) fn sealing_aad(kid: &str) -> Vec<u8> {
    format!("signing_key:{kid}").into_bytes()
}

#[derive(Debug, thiserror::Error)]
pub enum KeyRingError {
    #[error("signing key {kid} cannot be opened with the configured key-encryption keys")]
    Unseal { kid: String },
    #[error("signing key {kid} has unknown algorithm")]
    Algorithm { kid: String },
    #[error("signing key {kid}: {source}")]
    Material {
        kid: String,
        #[source]
        source: KeyMaterialError,
    },
}

/// One published key.
#[derive(Debug)]
pub struct LoadedKey {
    pub kid: String,
    pub alg: SigningAlg,
    signer: KeySigner,
    verifier: KeyVerifier,
    pub activates_at: OffsetDateTime,
    pub retires_at: Option<OffsetDateTime>,
    pub expires_at: Option<OffsetDateTime>,
}

impl LoadedKey {
    /// Signs `claims` as a JWT with this key.
    pub fn sign<T: Serialize + ?Sized>(
        &self,
        typ: Option<&str>,
        claims: &T,
    ) -> Result<String, JwsError> {
        jws::sign(&self.signer, &self.kid, typ, claims)
    }

    pub fn signs_at(&self, now: OffsetDateTime) -> bool {
        self.activates_at <= now && self.retires_at.is_none_or(|r| r > now)
    }
}

/// Every key currently published, oldest first, with the JWKS bytes.
#[derive(Debug)]
pub struct KeyRing {
    keys: Vec<Arc<LoadedKey>>,
    jwks: Bytes,
    etag: String,
}

impl KeyRing {
    /// Opens and parses every record; any key that cannot be opened is an
    /// error (a missing key-encryption key must not go unnoticed).
    pub fn build(records: &[SigningKey], kek: &PiiCipher) -> Result<Self, KeyRingError> {
        let mut keys = Vec::with_capacity(records.len());
        for r in records {
            let alg = SigningAlg::parse(&r.alg)
                .ok_or_else(|| KeyRingError::Algorithm { kid: r.kid.clone() })?;
            let der = kek
                .open(&r.private_sealed, &sealing_aad(&r.kid))
                .map_err(|_| KeyRingError::Unseal { kid: r.kid.clone() })?;
            let material = |source| KeyRingError::Material {
                kid: r.kid.clone(),
                source,
            };
            let signer = KeySigner::from_pkcs8(alg, &der).map_err(material)?;
            let verifier = KeyVerifier::from_jwk(alg, &r.public_jwk).map_err(material)?;
            keys.push(Arc::new(LoadedKey {
                kid: r.kid.clone(),
                alg,
                signer,
                verifier,
                activates_at: r.activates_at,
                retires_at: r.retires_at,
                expires_at: r.expires_at,
            }));
        }
        let published: Vec<&serde_json::Value> = records.iter().map(|r| &r.public_jwk).collect();
        let jwks =
            serde_json::to_vec(&serde_json::json!({ "keys": published })).unwrap_or_default();
        let etag = format!("\"{}\"", hex16(&Sha256::digest(&jwks)));
        Ok(Self {
            keys,
            jwks: Bytes::from(jwks),
            etag,
        })
    }

    /// A ring with no keys (before the first load).
    pub fn empty() -> Self {
        Self {
            keys: Vec::new(),
            jwks: Bytes::from_static(br#"{"keys":[]}"#),
            etag: "\"empty\"".to_owned(),
        }
    }

    /// The key that signs with `alg` at `now`: the newest active one.
    pub fn signer(&self, alg: SigningAlg, now: OffsetDateTime) -> Option<&Arc<LoadedKey>> {
        self.keys
            .iter()
            .filter(|k| k.alg == alg && k.signs_at(now))
            .max_by_key(|k| k.activates_at)
    }

    pub fn key(&self, kid: &str) -> Option<&Arc<LoadedKey>> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// Verifies a JWS we signed (any published key, by `kid`) and returns
    /// its header and payload.
    pub fn verify(&self, token: &str) -> Result<(JwsHeader, Vec<u8>), JwsError> {
        let jws = UnverifiedJws::parse(token)?;
        let kid = jws.header.kid.as_deref().ok_or(JwsError::UnknownKey)?;
        let key = self.key(kid).ok_or(JwsError::UnknownKey)?;
        let header = jws.header.clone();
        Ok((header, jws.verify(&key.verifier)?))
    }

    pub fn keys(&self) -> &[Arc<LoadedKey>] {
        &self.keys
    }

    pub fn jwks_bytes(&self) -> &Bytes {
        &self.jwks
    }

    pub fn jwks_etag(&self) -> &str {
        &self.etag
    }
}

fn hex16(bytes: &[u8]) -> String {
    bytes.iter().take(16).map(|b| format!("{b:02x}")).collect()
}
