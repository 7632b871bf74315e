//! The loaded key set: every published key parsed once, the signer chosen
//! per algorithm, and the JWKS document serialised once per load.

use std::sync::Arc;

use axum::body::Bytes;
use jsonwebtoken::{DecodingKey, TokenData, Validation};
use pratu_core::pii::PiiCipher;
use pratu_storage::records::SigningKey;
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::SigningAlg;
use super::inbound::{self, VerifyError};
use super::jws::{self, JwsError};
use super::material::{KeyMaterialError, KeySigner};
use super::own::{self, OwnVerifier};

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
    decoding: DecodingKey,
    verifier: OwnVerifier,
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
            let decoding = inbound::decoding_key(alg, &r.public_jwk)
                .ok_or(KeyMaterialError::BadJwk)
                .map_err(material)?;
            let verifier = OwnVerifier::from_jwk(alg, &r.public_jwk)
                .ok_or(KeyMaterialError::BadJwk)
                .map_err(material)?;
            keys.push(Arc::new(LoadedKey {
                kid: r.kid.clone(),
                alg,
                signer,
                decoding,
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

    /// Verifies a JWT we signed: the published key its `kid` names, or
    /// without a `kid` each published key of its algorithm; then
    /// `validation`'s claim checks. With ring when the validation leaves
    /// the clock to the caller (every use here), else with `jsonwebtoken`.
    pub fn decode<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        validation: &Validation,
    ) -> Result<TokenData<T>, VerifyError> {
        let (header, alg) = inbound::header(token)?;
        if !validation.algorithms.contains(&alg.jwt()) {
            return Err(VerifyError::Algorithm);
        }
        let kid = header.kid.as_deref();
        let mut keys = self
            .keys
            .iter()
            .filter(|k| k.alg == alg && kid.is_none_or(|kid| k.kid == kid))
            .peekable();
        if !own::handles(validation) {
            return inbound::decode_with(token, alg, keys.map(|k| &k.decoding), validation);
        }
        if keys.peek().is_none() {
            return Err(VerifyError::UnknownKey);
        }
        let (input, sig, payload) = own::split(token)?;
        if !keys.any(|k| k.verifier.verify(input.as_bytes(), &sig)) {
            return Err(VerifyError::Signature);
        }
        let value: serde_json::Value =
            serde_json::from_slice(&payload).map_err(|_| VerifyError::Malformed)?;
        own::check_claims(&value, validation)?;
        let claims = serde_json::from_value(value).map_err(|_| VerifyError::Claims)?;
        Ok(TokenData { header, claims })
    }

    /// Verifies an `id_token_hint`: signed by one of our published keys,
    /// issued by `issuer`, with a `sub`. Its expiry is not enforced (OIDC
    /// Core §3.1.2.1 allows an expired hint) and its `aud` is left to the
    /// caller, who reads it.
    pub fn decode_id_token_hint<T: serde::de::DeserializeOwned>(
        &self,
        issuer: &str,
        hint: &str,
    ) -> Result<TokenData<T>, VerifyError> {
        let mut v = inbound::validation(&["iss", "sub"]);
        v.set_issuer(&[issuer]);
        v.validate_aud = false;
        self.decode(hint, &v)
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

#[cfg(test)]
mod tests {
    use pratu_core::pii::SecretKey;
    use serde_json::{Value, json};

    use super::*;
    use crate::keys::material::{GeneratedKey, generate};

    const ISSUER: &str = "https://id.example";

    fn record(k: &GeneratedKey, kek: &PiiCipher) -> SigningKey {
        SigningKey {
            kid: k.kid.clone(),
            alg: k.alg.as_str().to_owned(),
            private_sealed: kek.seal(&k.pkcs8_der, &sealing_aad(&k.kid)),
            public_jwk: k.public_jwk.clone(),
            created_at: OffsetDateTime::UNIX_EPOCH,
            activates_at: OffsetDateTime::UNIX_EPOCH,
            retires_at: None,
            expires_at: None,
        }
    }

    fn ring_of(keys: &[&GeneratedKey]) -> KeyRing {
        let kek = PiiCipher::new(SecretKey::new("k1", &[7; 32]).unwrap(), Vec::new());
        let records: Vec<SigningKey> = keys.iter().map(|k| record(k, &kek)).collect();
        KeyRing::build(&records, &kek).unwrap()
    }

    fn hint(key: &GeneratedKey, kid: &str, claims: &Value) -> String {
        let signer = KeySigner::from_pkcs8(key.alg, &key.pkcs8_der).unwrap();
        jws::sign(&signer, kid, Some("JWT"), claims).unwrap()
    }

    #[test]
    fn an_expired_id_token_hint_we_signed_is_accepted() {
        let ours = generate(&pratu_core::OsRandom, SigningAlg::Es256).unwrap();
        let ring = ring_of(&[&ours]);
        let claims = json!({"iss": ISSUER, "sub": "u1", "aud": "c1", "exp": 1});
        let t = ring
            .key(&ours.kid)
            .unwrap()
            .sign(Some("JWT"), &claims)
            .unwrap();
        let got: Value = ring.decode_id_token_hint(ISSUER, &t).unwrap().claims;
        assert_eq!(got["sub"], "u1");
    }

    #[test]
    fn an_id_token_hint_signed_by_a_foreign_key_is_refused() {
        let ours = generate(&pratu_core::OsRandom, SigningAlg::Es256).unwrap();
        let foreign = generate(&pratu_core::OsRandom, SigningAlg::Es256).unwrap();
        let ring = ring_of(&[&ours]);
        let claims = json!({"iss": ISSUER, "sub": "u1", "aud": "c1", "exp": 1});
        // Claiming our kid, and naming its own.
        for kid in [ours.kid.as_str(), foreign.kid.as_str()] {
            let t = hint(&foreign, kid, &claims);
            assert!(ring.decode_id_token_hint::<Value>(ISSUER, &t).is_err());
        }
        assert_eq!(
            ring.decode_id_token_hint::<Value>(ISSUER, &hint(&foreign, &ours.kid, &claims))
                .unwrap_err(),
            VerifyError::Signature
        );
    }

    #[test]
    fn an_id_token_hint_of_another_issuer_or_without_sub_is_refused() {
        let ours = generate(&pratu_core::OsRandom, SigningAlg::EdDsa).unwrap();
        let ring = ring_of(&[&ours]);
        let key = ring.key(&ours.kid).unwrap();
        let other = json!({"iss": "https://evil.example", "sub": "u1", "exp": 1});
        let t = key.sign(Some("JWT"), &other).unwrap();
        assert_eq!(
            ring.decode_id_token_hint::<Value>(ISSUER, &t).unwrap_err(),
            VerifyError::Issuer
        );
        let t = key.sign(Some("JWT"), &json!({"iss": ISSUER})).unwrap();
        assert_eq!(
            ring.decode_id_token_hint::<Value>(ISSUER, &t).unwrap_err(),
            VerifyError::Claims
        );
    }

    #[test]
    fn a_token_without_kid_is_tried_against_each_key_of_its_algorithm() {
        use base64::Engine as _;
        let a = generate(&pratu_core::OsRandom, SigningAlg::Es256).unwrap();
        let b = generate(&pratu_core::OsRandom, SigningAlg::Es256).unwrap();
        let ring = ring_of(&[&a, &b]);
        let t = hint(&b, "x", &json!({"iss": ISSUER, "sub": "u1"}));
        // Drop the kid: rebuild the header and re-sign with b.
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"alg":"ES256","typ":"JWT"}"#);
        let payload = t.split('.').nth(1).unwrap();
        let input = format!("{header}.{payload}");
        let signer = KeySigner::from_pkcs8(b.alg, &b.pkcs8_der).unwrap();
        let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(signer.sign(input.as_bytes()).unwrap());
        let no_kid = format!("{input}.{sig}");
        let got: Value = ring.decode_id_token_hint(ISSUER, &no_kid).unwrap().claims;
        assert_eq!(got["sub"], "u1");
        // A kid of ours that did not sign it fails rather than falling back.
        assert!(
            ring.decode_id_token_hint::<Value>(
                ISSUER,
                &hint(&b, &a.kid, &json!({"iss": ISSUER, "sub": "u1"}))
            )
            .is_err()
        );
    }
}
