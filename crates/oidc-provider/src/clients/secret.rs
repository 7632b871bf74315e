//! Client secrets: server-generated, 256 bits of randomness, shown once and
//! stored only as a SHA-256 digest. A fast digest is right here (unlike for
//! human passwords): nothing can be guessed from 2²⁵⁶, and Argon2 on the
//! token path would cap `client_credentials` at a few dozen grants per
//! second.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use pratu_core::Random;
use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

/// A secret value whose `Debug` never prints it. Serialising it (for the
/// one-time `--json` output) does expose it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    pub fn new(s: String) -> Self {
        Self(Zeroizing::new(s))
    }

    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretString([redacted])")
    }
}

impl Serialize for SecretString {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// 32 random bytes, base64url: 43 characters.
pub fn generate_secret(random: &dyn Random) -> SecretString {
    let mut bytes = Zeroizing::new([0u8; 32]);
    random.fill_bytes(bytes.as_mut());
    SecretString::new(B64.encode(bytes.as_ref()))
}

pub fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// Constant-time comparison of a presented secret with the stored digest.
pub fn verify_secret(presented: &str, stored: &[u8]) -> bool {
    let digest = Sha256::digest(presented.as_bytes());
    bool::from(digest[..].ct_eq(stored))
}

/// A random URL-safe identifier of `bytes` random bytes.
pub fn random_token(random: &dyn Random, bytes: usize) -> String {
    random.token(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pratu_core::OsRandom;

    #[test]
    fn a_generated_secret_verifies_against_its_digest_only() {
        let s = generate_secret(&OsRandom);
        assert_eq!(s.expose_secret().len(), 43);
        let h = hash_secret(s.expose_secret());
        assert!(verify_secret(s.expose_secret(), &h));
        assert!(!verify_secret("wrong", &h));
        assert!(!verify_secret(s.expose_secret(), &h[..31]));
        assert_ne!(generate_secret(&OsRandom), s);
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let s = generate_secret(&OsRandom);
        assert!(!format!("{s:?}").contains(s.expose_secret()));
    }
}
