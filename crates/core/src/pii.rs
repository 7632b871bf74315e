//! Personal-data protection (where citizen IDs are encrypted at rest):
//! envelope encryption for fields such as the citizen ID, and a keyed hash (blind index) to find and deduplicate them
//! without decrypting.
//!
//! A plain hash of a citizen ID is brute-forced in minutes (only ~10¹² valid
//! IDs exist), so the index is an HMAC keyed outside the database.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::random::{OsRandom, Random, SharedRandom};

/// Format version of sealed blobs.
const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const DEK_LEN: usize = 32;
/// AES-GCM adds a 16-byte tag.
const WRAPPED_DEK_LEN: usize = DEK_LEN + 16;

#[derive(Debug, thiserror::Error)]
pub enum PiiError {
    #[error("a key must be 32 bytes")]
    BadKeyLength,
    #[error("sealed value is malformed")]
    Malformed,
    #[error("sealed value was made with key {0:?}, which is not configured")]
    UnknownKey(String),
    #[error("sealed value failed authentication")]
    Unauthentic,
}

/// One 256-bit secret key with a short id (written into sealed values so keys
/// can be rotated: new values use the primary, old ones still open).
#[derive(Clone)]
pub struct SecretKey {
    id: String,
    bytes: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey")
            .field("id", &self.id)
            .field("bytes", &"[redacted]")
            .finish()
    }
}

impl SecretKey {
    pub fn new(id: impl Into<String>, bytes: &[u8]) -> Result<Self, PiiError> {
        let arr: [u8; 32] = bytes.try_into().map_err(|_| PiiError::BadKeyLength)?;
        Ok(Self {
            id: id.into(),
            bytes: Zeroizing::new(arr),
        })
    }

    /// A fresh random key from the operating system (tests).
    pub fn generate(id: impl Into<String>) -> Self {
        Self::generate_with(id, &OsRandom)
    }

    /// A fresh random key from `random` (generated dev-mode secrets).
    pub fn generate_with(id: impl Into<String>, random: &dyn Random) -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        random.fill_bytes(bytes.as_mut());
        Self {
            id: id.into(),
            bytes,
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// The raw key, for writing a generated dev key to its file.
    pub fn expose_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }
}

/// Envelope encryption: each value gets a fresh data key (DEK) that encrypts
/// it; the DEK is wrapped by a key-encryption key (KEK) from configuration.
///
/// Layout: `version | kek_id_len | kek_id | nonce_w | wrapped_dek | nonce_v | ciphertext`.
/// The caller's `aad` (e.g. `"user.citizen_id"`) binds a value to its field.
#[derive(Debug, Clone)]
pub struct PiiCipher {
    primary: SecretKey,
    previous: Vec<SecretKey>,
    /// Draws data keys and nonces.
    random: SharedRandom,
}

impl PiiCipher {
    pub fn new(primary: SecretKey, previous: Vec<SecretKey>) -> Self {
        Self {
            primary,
            previous,
            random: OsRandom::shared(),
        }
    }

    /// Draws data keys and nonces from `random` instead of the operating
    /// system.
    #[must_use]
    pub fn with_random(mut self, random: SharedRandom) -> Self {
        self.random = random;
        self
    }

    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        let mut dek = Zeroizing::new([0u8; DEK_LEN]);
        self.random.fill_bytes(dek.as_mut());
        let nonce_w: [u8; NONCE_LEN] = self.random.array();
        let nonce_v: [u8; NONCE_LEN] = self.random.array();

        let kek = Aes256Gcm::new(self.primary.bytes.as_ref().into());
        let kid = self.primary.id.as_bytes();
        // Encryption with a valid key and nonce cannot fail for inputs this
        // size; an error here would be a bug in the AEAD crate.
        let wrapped = kek
            .encrypt(
                &Nonce::from(nonce_w),
                Payload {
                    msg: dek.as_ref(),
                    aad: kid,
                },
            )
            .unwrap_or_default();
        let data_cipher = Aes256Gcm::new(dek.as_ref().into());
        let ciphertext = data_cipher
            .encrypt(
                &Nonce::from(nonce_v),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .unwrap_or_default();

        let mut out =
            Vec::with_capacity(2 + kid.len() + 2 * NONCE_LEN + wrapped.len() + ciphertext.len());
        out.push(VERSION);
        out.push(u8::try_from(kid.len()).unwrap_or(u8::MAX));
        out.extend_from_slice(&kid[..kid.len().min(255)]);
        out.extend_from_slice(&nonce_w);
        out.extend_from_slice(&wrapped);
        out.extend_from_slice(&nonce_v);
        out.extend_from_slice(&ciphertext);
        out
    }

    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, PiiError> {
        let (&version, rest) = sealed.split_first().ok_or(PiiError::Malformed)?;
        if version != VERSION {
            return Err(PiiError::Malformed);
        }
        let (&kid_len, rest) = rest.split_first().ok_or(PiiError::Malformed)?;
        let kid_len = usize::from(kid_len);
        if rest.len() < kid_len + 2 * NONCE_LEN + WRAPPED_DEK_LEN + 16 {
            return Err(PiiError::Malformed);
        }
        let (kid, rest) = rest.split_at(kid_len);
        let (nonce_w, rest) = rest.split_at(NONCE_LEN);
        let (wrapped, rest) = rest.split_at(WRAPPED_DEK_LEN);
        let (nonce_v, ciphertext) = rest.split_at(NONCE_LEN);

        let key = std::iter::once(&self.primary)
            .chain(self.previous.iter())
            .find(|k| k.id.as_bytes() == kid)
            .ok_or_else(|| PiiError::UnknownKey(String::from_utf8_lossy(kid).into_owned()))?;
        let kek = Aes256Gcm::new(key.bytes.as_ref().into());
        let dek = Zeroizing::new(
            kek.decrypt(
                &nonce(nonce_w)?,
                Payload {
                    msg: wrapped,
                    aad: kid,
                },
            )
            .map_err(|_| PiiError::Unauthentic)?,
        );
        if dek.len() != DEK_LEN {
            return Err(PiiError::Malformed);
        }
        let data_cipher = Aes256Gcm::new(dek.as_slice().into());
        data_cipher
            .decrypt(
                &nonce(nonce_v)?,
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| PiiError::Unauthentic)
    }
}

fn nonce(bytes: &[u8]) -> Result<Nonce<aes_gcm::aead::consts::U12>, PiiError> {
    let arr: [u8; NONCE_LEN] = bytes.try_into().map_err(|_| PiiError::Malformed)?;
    Ok(Nonce::from(arr))
}

/// Keyed hash for lookups and uniqueness of personal data.
#[derive(Debug, Clone)]
pub struct BlindIndex {
    key: SecretKey,
}

impl BlindIndex {
    pub fn new(key: SecretKey) -> Self {
        Self { key }
    }

    /// HMAC-SHA-256 over `domain || 0x00 || value`; `domain` separates
    /// fields (`"citizen_id"`) so equal values in different fields differ.
    pub fn compute(&self, domain: &str, value: &[u8]) -> Vec<u8> {
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(self.key.bytes.as_ref()) else {
            // HMAC accepts keys of any length; unreachable.
            return Vec::new();
        };
        mac.update(domain.as_bytes());
        mac.update(&[0]);
        mac.update(value);
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher() -> PiiCipher {
        PiiCipher::new(SecretKey::generate("k1"), vec![])
    }

    #[test]
    fn sealed_value_opens_to_the_original() {
        let c = cipher();
        let sealed = c.seal(b"1234567890121", b"user.citizen_id");
        assert!(!sealed.windows(13).any(|w| w == b"1234567890121"));
        assert_eq!(
            &*c.open(&sealed, b"user.citizen_id").unwrap(),
            b"1234567890121"
        );
    }

    #[test]
    fn sealing_twice_gives_different_ciphertexts() {
        let c = cipher();
        assert_ne!(c.seal(b"x", b"a"), c.seal(b"x", b"a"));
    }

    #[test]
    fn wrong_aad_or_tampering_is_refused() {
        let c = cipher();
        let mut sealed = c.seal(b"1234567890121", b"user.citizen_id");
        assert!(matches!(
            c.open(&sealed, b"other"),
            Err(PiiError::Unauthentic)
        ));
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert!(matches!(
            c.open(&sealed, b"user.citizen_id"),
            Err(PiiError::Unauthentic)
        ));
        assert!(matches!(c.open(&[1, 0], b""), Err(PiiError::Malformed)));
    }

    #[test]
    fn values_sealed_under_a_previous_key_still_open_after_rotation() {
        let old = SecretKey::generate("old");
        let sealed = PiiCipher::new(old.clone(), vec![]).seal(b"v", b"f");
        let rotated = PiiCipher::new(SecretKey::generate("new"), vec![old]);
        assert_eq!(&*rotated.open(&sealed, b"f").unwrap(), b"v");
        let unknown = PiiCipher::new(SecretKey::generate("other"), vec![]);
        assert!(matches!(
            unknown.open(&sealed, b"f"),
            Err(PiiError::UnknownKey(_))
        ));
    }

    #[test]
    fn blind_index_is_stable_keyed_and_domain_separated() {
        let key = SecretKey::generate("i");
        let idx = BlindIndex::new(key.clone());
        assert_eq!(
            idx.compute("citizen_id", b"1"),
            idx.compute("citizen_id", b"1")
        );
        assert_ne!(idx.compute("citizen_id", b"1"), idx.compute("phone", b"1"));
        let other = BlindIndex::new(SecretKey::generate("j"));
        assert_ne!(
            idx.compute("citizen_id", b"1"),
            other.compute("citizen_id", b"1")
        );
        assert_eq!(idx.compute("citizen_id", b"1").len(), 32);
    }
}
