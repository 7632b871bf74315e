//! The enrollment token: the bearer credential of one enrollment. The id
//! names an enrollment but travels in URLs and request-log spans, so it
//! cannot also be what lets someone continue it; the token is answered once,
//! by the start, and the enrollment keeps only its SHA-256 digest.

use pratu_core::Random;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;
use uuid::Uuid;
use zeroize::Zeroizing;

/// 256 random bits: far past guessing, and past the design's 128.
const TOKEN_BYTES: usize = 32;
/// Longest token accepted from a client; ours are 43 characters.
const MAX_TOKEN_LEN: usize = 128;

/// A token as made by the start or presented by a client. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct EnrollmentToken(Zeroizing<String>);

impl std::fmt::Debug for EnrollmentToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EnrollmentToken([redacted])")
    }
}

impl EnrollmentToken {
    pub(crate) fn generate(random: &dyn Random) -> Self {
        Self(Zeroizing::new(random.token(TOKEN_BYTES)))
    }

    /// A presented token: unpadded base64url of a bounded length, or
    /// nothing (no digest is worth computing for anything else).
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = !raw.is_empty()
            && raw.len() <= MAX_TOKEN_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| Self(Zeroizing::new(raw.to_owned())))
    }

    /// For the one answer that hands it to its holder (the start's body,
    /// the wizard's cookie).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub(crate) fn digest(&self) -> Vec<u8> {
        Sha256::digest(self.0.as_bytes()).to_vec()
    }

    /// Whether this is the token whose digest the enrollment keeps; compared
    /// in constant time. An empty stored digest (an enrollment from before
    /// tokens) fits nothing.
    pub(crate) fn fits(&self, stored: &[u8]) -> bool {
        !stored.is_empty() && bool::from(self.digest().as_slice().ct_eq(stored))
    }
}

/// What a caller presents to continue an enrollment: which one, and the
/// token its start answered. Every step after the start takes one; the
/// service checks the token before anything else about the enrollment.
#[derive(Debug, Clone)]
pub struct EnrollmentAccess {
    pub id: Uuid,
    pub token: EnrollmentToken,
}

impl EnrollmentAccess {
    pub fn new(id: Uuid, token: EnrollmentToken) -> Self {
        Self { id, token }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pratu_core::random::SeededRandom;

    #[test]
    fn a_token_fits_only_its_own_digest() {
        let random = SeededRandom::new(1);
        let a = EnrollmentToken::generate(&random);
        let b = EnrollmentToken::generate(&random);
        assert!(a.expose().len() >= 22, "at least 128 bits");
        assert!(a.fits(&a.digest()));
        assert!(!b.fits(&a.digest()));
        assert!(!a.fits(&[]));
        let again = EnrollmentToken::parse(a.expose()).unwrap();
        assert!(again.fits(&a.digest()));
    }

    #[test]
    fn only_bounded_base64url_parses_and_nothing_prints() {
        assert!(EnrollmentToken::parse("").is_none());
        assert!(EnrollmentToken::parse("abc def").is_none());
        assert!(EnrollmentToken::parse(&"a".repeat(MAX_TOKEN_LEN + 1)).is_none());
        let t = EnrollmentToken::parse("sEcReT-_token").unwrap();
        assert!(!format!("{t:?}").contains("sEcReT"));
    }
}
