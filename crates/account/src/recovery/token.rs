//! The recovery token: the bearer credential of one recovery. The id names
//! a recovery and travels in URLs and request-log spans, so it cannot also
//! be what lets someone continue it; the token is answered once, by the
//! start, and the recovery keeps only its SHA-256 digest.

use pratu_core::Random;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;
use uuid::Uuid;

/// 256 random bits (the design asks for at least 128).
const TOKEN_BYTES: usize = 32;
/// Longest token accepted from a client; ours are 43 characters.
const MAX_TOKEN_LEN: usize = 128;

/// A token as made by the start or presented by a client. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryToken(String);

impl std::fmt::Debug for RecoveryToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryToken([redacted])")
    }
}

impl RecoveryToken {
    pub(crate) fn generate(random: &dyn Random) -> Self {
        Self(random.token(TOKEN_BYTES))
    }

    /// A presented token: unpadded base64url of a bounded length, or
    /// nothing (no digest is worth computing for anything else).
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = !raw.is_empty()
            && raw.len() <= MAX_TOKEN_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| Self(raw.to_owned()))
    }

    /// For the one answer that hands it to its holder (the start's body,
    /// the wizard's cookie).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub(crate) fn digest(&self) -> Vec<u8> {
        Sha256::digest(self.0.as_bytes()).to_vec()
    }

    /// Whether this is the token whose digest the recovery keeps; compared
    /// in constant time. An empty digest fits nothing.
    pub(crate) fn fits(&self, stored: &[u8]) -> bool {
        !stored.is_empty() && bool::from(self.digest().as_slice().ct_eq(stored))
    }
}

/// What a caller presents to continue a recovery.
#[derive(Debug, Clone)]
pub struct RecoveryAccess {
    pub id: Uuid,
    pub token: RecoveryToken,
}

impl RecoveryAccess {
    pub fn new(id: Uuid, token: RecoveryToken) -> Self {
        Self { id, token }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pratu_core::random::SeededRandom;

    #[test]
    fn a_token_fits_only_its_own_digest_and_never_prints() {
        let random = SeededRandom::new(7);
        let a = RecoveryToken::generate(&random);
        let b = RecoveryToken::generate(&random);
        assert!(a.expose().len() >= 22, "at least 128 bits");
        assert!(a.fits(&a.digest()));
        assert!(!b.fits(&a.digest()));
        assert!(!a.fits(&[]));
        assert!(RecoveryToken::parse(a.expose()).unwrap().fits(&a.digest()));
        assert!(RecoveryToken::parse("").is_none());
        assert!(RecoveryToken::parse("a b").is_none());
        assert!(RecoveryToken::parse(&"a".repeat(MAX_TOKEN_LEN + 1)).is_none());
        assert!(!format!("{a:?}").contains(a.expose()));
    }
}
