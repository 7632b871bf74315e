//! Randomness as a parameter, like time: every secret, salt, nonce, code and
//! handle Pratu makes is drawn from a [`Random`] that the server injects, so
//! a test can seed it and the one place that reads the operating system's
//! generator is this file (`clippy.toml` bans `OsRng`, `thread_rng` and
//! `rand::random` everywhere else).
#![expect(
    clippy::disallowed_methods,
    reason = "the one module that drives generators directly"
)]

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::{CryptoRng, Rng as _, RngCore, SeedableRng as _};

/// A source of cryptographically secure random bytes.
pub trait Random: Send + Sync + std::fmt::Debug {
    fn fill_bytes(&self, dest: &mut [u8]);
}

/// How features hold their source: shared, cheap to clone.
pub type SharedRandom = Arc<dyn Random>;

/// The operating system's generator: what production uses.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

impl OsRandom {
    /// The usual production source, ready to share.
    pub fn shared() -> SharedRandom {
        Arc::new(Self)
    }
}

impl Random for OsRandom {
    fn fill_bytes(&self, dest: &mut [u8]) {
        rand::rngs::OsRng.fill_bytes(dest);
    }
}

/// A deterministic generator (ChaCha) for tests: the same seed gives the
/// same secrets, so a test can predict or reproduce them.
#[derive(Debug)]
pub struct SeededRandom(Mutex<rand::rngs::StdRng>);

impl SeededRandom {
    pub fn new(seed: u64) -> Self {
        Self(Mutex::new(rand::rngs::StdRng::seed_from_u64(seed)))
    }
}

impl Random for SeededRandom {
    fn fill_bytes(&self, dest: &mut [u8]) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .fill_bytes(dest);
    }
}

impl dyn Random + '_ {
    /// `N` random bytes.
    pub fn array<const N: usize>(&self) -> [u8; N] {
        let mut out = [0u8; N];
        self.fill_bytes(&mut out);
        out
    }

    /// `bytes` random bytes as unpadded base64url: handles, CSRF cookie
    /// values, PKCE verifiers.
    pub fn token(&self, bytes: usize) -> String {
        let mut raw = vec![0u8; bytes];
        self.fill_bytes(&mut raw);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// A uniformly drawn number in `0..bound` (no modulo bias).
    pub fn below(&self, bound: u32) -> u32 {
        self.as_rng_core().gen_range(0..bound)
    }

    /// For libraries that take a `rand_core` generator (key generation,
    /// password salts).
    pub fn as_rng_core(&self) -> RngAdapter<'_> {
        RngAdapter(self)
    }
}

/// A [`Random`] seen as a `rand_core` generator. Every [`Random`] is a
/// CSPRNG by contract, so the adapter is one too.
#[derive(Debug)]
pub struct RngAdapter<'a>(&'a dyn Random);

impl RngCore for RngAdapter<'_> {
    fn next_u32(&mut self) -> u32 {
        u32::from_le_bytes(self.0.array())
    }

    fn next_u64(&mut self) -> u64 {
        u64::from_le_bytes(self.0.array())
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest);
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        self.0.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for RngAdapter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seeded_source_repeats_and_differs_by_seed() {
        let a: &dyn Random = &SeededRandom::new(7);
        let b: &dyn Random = &SeededRandom::new(7);
        let c: &dyn Random = &SeededRandom::new(8);
        let (x, y, z) = (a.array::<16>(), b.array::<16>(), c.array::<16>());
        assert_eq!(x, y);
        assert_ne!(x, z);
    }

    #[test]
    fn below_stays_in_range_and_tokens_have_the_asked_length() {
        let r: &dyn Random = &OsRandom;
        assert!((0..1000).all(|_| r.below(10) < 10));
        assert_eq!(r.token(32).len(), 43);
        assert_ne!(r.token(16), r.token(16));
    }
}
