//! What a refresh token is on the wire: its family id and 32 random bytes,
//! base64url (64 characters). The store keeps one row per family, holding
//! the digest of the family's current token; the id in the token finds that
//! row by its key, and a token naming a family without being its current one
//! is a spent one — a replay. Tokens issued before families (32 random
//! bytes, 43 characters) name none and are found by their digest.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use pratu_core::Random;
use pratu_storage::records::RefreshKey;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Longer is not a token of ours; refused before any work.
const MAX_LEN: usize = 128;

/// A new token of `family_id`, and its digest for the store.
pub(crate) fn issue(random: &dyn Random, family_id: Uuid) -> (String, Vec<u8>) {
    let mut raw = [0u8; 48];
    raw[..16].copy_from_slice(family_id.as_bytes());
    random.fill_bytes(&mut raw[16..]);
    let token = B64.encode(raw);
    let hash = Sha256::digest(token.as_bytes()).to_vec();
    (token, hash)
}

/// A token a client presented, ready to look up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Presented {
    family_id: Option<Uuid>,
    hash: Vec<u8>,
}

impl Presented {
    /// `None` for a string too long to be a token. Anything else is looked
    /// up (a malformed one simply matches nothing).
    pub(crate) fn parse(token: &str) -> Option<Self> {
        if token.len() > MAX_LEN {
            return None;
        }
        let family_id = match B64.decode(token) {
            Ok(raw) if raw.len() == 48 => Uuid::from_slice(&raw[..16]).ok(),
            _ => None,
        };
        Some(Self {
            family_id,
            hash: Sha256::digest(token.as_bytes()).to_vec(),
        })
    }

    pub(crate) fn key(&self) -> RefreshKey<'_> {
        match self.family_id {
            Some(family_id) => RefreshKey::Family {
                family_id,
                token_hash: &self.hash,
            },
            None => RefreshKey::Legacy {
                token_hash: &self.hash,
            },
        }
    }

    /// The same token, now known to be of `family_id` (a legacy token, once
    /// its family was read).
    pub(crate) fn of_family(self, family_id: Uuid) -> Self {
        Self {
            family_id: Some(family_id),
            ..self
        }
    }

    pub(crate) fn family_id(&self) -> Option<Uuid> {
        self.family_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pratu_core::OsRandom;

    #[test]
    fn an_issued_token_names_its_family_and_hashes_as_presented() {
        let family = Uuid::new_v4();
        let (token, hash) = issue(&OsRandom, family);
        assert_eq!(token.len(), 64);
        let presented = Presented::parse(&token).unwrap();
        assert_eq!(
            presented.key(),
            RefreshKey::Family {
                family_id: family,
                token_hash: &hash
            }
        );
        let (again, _) = issue(&OsRandom, family);
        assert_ne!(token, again, "the rest is random");
    }

    #[test]
    fn tokens_from_before_families_are_found_by_digest() {
        let legacy = crate::clients::random_token(&OsRandom, 32);
        assert_eq!(legacy.len(), 43);
        let presented = Presented::parse(&legacy).unwrap();
        let hash = Sha256::digest(legacy.as_bytes()).to_vec();
        assert_eq!(presented.key(), RefreshKey::Legacy { token_hash: &hash });
        let family = Uuid::new_v4();
        assert_eq!(
            presented.of_family(family).key(),
            RefreshKey::Family {
                family_id: family,
                token_hash: &hash
            }
        );
    }

    #[test]
    fn garbage_is_looked_up_as_nothing_and_long_strings_not_at_all() {
        assert_eq!(Presented::parse("not base64 !").unwrap().family_id(), None);
        assert_eq!(Presented::parse(&"A".repeat(129)), None);
        assert!(Presented::parse(&"A".repeat(128)).is_some());
    }
}
