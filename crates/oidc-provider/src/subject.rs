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
use pratu_storage::pii::SecretKey;
use pratu_storage::records::{Client, SubjectType};
use sha2::Sha256;
use uuid::Uuid;

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

fn cipher(key: &SecretKey, sector: &str) -> Aes256 {
    let derived = <Hmac<Sha256> as Mac>::new_from_slice(key.expose_bytes()).map(|mut mac| {
        mac.update(b"pratu.pairwise\0");
        mac.update(sector.as_bytes());
        mac.finalize().into_bytes()
    });
    match derived {
        Ok(k) => Aes256::new(&k),
        // HMAC takes keys of any length: unreachable.
        Err(_) => Aes256::new(&[0u8; 32].into()),
    }
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
