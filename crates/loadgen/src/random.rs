//! The load generator's randomness (fictional citizens, PKCE verifiers,
//! fresh schema and key prefixes). `pratu-load` is a client that speaks only
//! HTTP and takes nothing of Pratu's crates, so it reads the thread's
//! generator — here, the one place in this crate that may.
#![expect(
    clippy::disallowed_methods,
    reason = "a load-generating client, outside the server's injected randomness"
)]

use rand::{Rng as _, RngCore as _};

/// Random bytes.
pub fn fill(bytes: &mut [u8]) {
    rand::thread_rng().fill_bytes(bytes);
}

/// A random `u64`.
pub fn u64() -> u64 {
    rand::thread_rng().next_u64()
}

/// A uniform draw from `range`.
pub fn in_range<T, R>(range: R) -> T
where
    T: rand::distributions::uniform::SampleUniform,
    R: rand::distributions::uniform::SampleRange<T>,
{
    rand::thread_rng().gen_range(range)
}
