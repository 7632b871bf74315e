//! The `sub` a client sees: the account's UUID (public), or a pairwise
//! identifier per sector (OIDC Core §8.1) so clients of different sectors
//! cannot correlate users.
//!
//! A pairwise `sub` is the account UUID encrypted as one AES-256 block under
//! a key derived from the server key and the sector (HMAC-SHA-256). That is
//! a keyed permutation: opaque and unlinkable across sectors like an HMAC,
//! but reversible by Pratu, so an access token carrying a pairwise `sub`
//! needs no lookup table (and no database write when issued) to find its
//! account again at userinfo.

use aes_gcm::aes::Aes256;
use aes_gcm::aes::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use pratu_core::pii::SecretKey;
use pratu_storage::records::{Client, SubjectType};
use sha2::Sha256;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::clients::sector_of;

/// How a client's subjects are formed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SubjectKind {
    Public,
    Pairwise { sector: String },
}

impl SubjectKind {
    pub fn of(client: &Client) -> Self {
        if client.subject_type == SubjectType::Pairwise
            && let Some(sector) = sector_of(
                client.sector_identifier_uri.as_deref(),
                &client.redirect_uris,
            )
        {
            return Self::Pairwise { sector };
        }
        Self::Public
    }

    pub fn subject(&self, key: &SecretKey, user: Uuid) -> String {
        match self {
            Self::Public => user.hyphenated().to_string(),
            Self::Pairwise { sector } => {
                let mut block = aes_gcm::aes::Block::from(*user.as_bytes());
                cipher(key, sector).encrypt_block(&mut block);
                B64.encode(block)
            }
        }
    }

    /// The account a `sub` of this kind names.
    pub fn user(&self, key: &SecretKey, sub: &str) -> Option<Uuid> {
        match self {
            Self::Public => Uuid::parse_str(sub).ok(),
            Self::Pairwise { sector } => {
                let bytes: [u8; 16] = B64.decode(sub).ok()?.try_into().ok()?;
                let mut block = aes_gcm::aes::Block::from(bytes);
                cipher(key, sector).decrypt_block(&mut block);
                Some(Uuid::from_bytes(block.into()))
            }
        }
    }
}

/// The sector's AES key: HMAC-SHA-256 of the sector under the server key.
/// The key is given to HMAC zero-padded to the hash's block size, which is
/// exactly what HMAC does with a shorter key (RFC 2104 §2), so the result
/// is the usual HMAC, reached without a fallible constructor (and so
/// without a fallback key that every sector would share).
fn cipher(key: &SecretKey, sector: &str) -> Aes256 {
    let mut padded = Zeroizing::new(hmac::digest::Key::<Hmac<Sha256>>::default());
    for (to, from) in padded.iter_mut().zip(key.expose_bytes()) {
        *to = *from;
    }
    let mut mac = <Hmac<Sha256> as KeyInit>::new(&padded);
    mac.update(b"pratu.pairwise\0");
    mac.update(sector.as_bytes());
    let derived = Zeroizing::new(mac.finalize().into_bytes());
    Aes256::new(&derived)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_subjects_differ_per_sector_and_map_back_to_the_account() {
        let key = SecretKey::generate("s");
        let user = Uuid::new_v4();
        let a = SubjectKind::Pairwise {
            sector: "a.example".into(),
        };
        let b = SubjectKind::Pairwise {
            sector: "b.example".into(),
        };
        let sa = a.subject(&key, user);
        let sb = b.subject(&key, user);
        assert_ne!(sa, sb);
        assert_ne!(sa, user.to_string());
        assert_eq!(sa, a.subject(&key, user));
        assert_eq!(a.user(&key, &sa), Some(user));
        assert_ne!(b.user(&key, &sa), Some(user));
        assert_eq!(a.user(&key, "not-base64!"), None);
    }

    #[test]
    fn pairwise_subjects_differ_per_server_key_and_map_back_under_their_own() {
        let (k1, k2) = (SecretKey::generate("s1"), SecretKey::generate("s2"));
        let user = Uuid::new_v4();
        let kind = SubjectKind::Pairwise {
            sector: "a.example".into(),
        };
        let (s1, s2) = (kind.subject(&k1, user), kind.subject(&k2, user));
        assert_ne!(s1, s2);
        assert_eq!(kind.user(&k1, &s1), Some(user));
        assert_eq!(kind.user(&k2, &s2), Some(user));
        assert_ne!(kind.user(&k2, &s1), Some(user));
    }

    /// Subjects already handed out must not change: the key is the plain
    /// HMAC of the sector under the server key.
    #[test]
    fn the_sector_key_is_the_hmac_of_the_sector() {
        let key = SecretKey::generate("s");
        let user = Uuid::new_v4();
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.expose_bytes()).unwrap();
        mac.update(b"pratu.pairwise\0a.example");
        let expected = Aes256::new(&mac.finalize().into_bytes());
        let mut block = aes_gcm::aes::Block::from(*user.as_bytes());
        expected.encrypt_block(&mut block);
        let kind = SubjectKind::Pairwise {
            sector: "a.example".into(),
        };
        assert_eq!(kind.subject(&key, user), B64.encode(block));
    }

    #[test]
    fn public_subjects_are_the_account_uuid() {
        let key = SecretKey::generate("s");
        let user = Uuid::new_v4();
        assert_eq!(
            SubjectKind::Public.subject(&key, user),
            user.hyphenated().to_string()
        );
        assert_eq!(
            SubjectKind::Public.user(&key, &user.to_string()),
            Some(user)
        );
    }
}
