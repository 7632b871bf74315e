//! The machine's Argon2id limit at the server's parameters: how many
//! verifies per second all cores manage, and what one costs on one core.
//! The login-flow target is a fraction of this, measured in the same run.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use serde::Serialize;

use crate::error::LoadError;

#[derive(Debug, Clone, Serialize)]
pub struct Limit {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    pub threads: usize,
    /// Verifies per second with every core busy.
    pub verifies_per_s: f64,
    /// Milliseconds one verify takes on one otherwise idle core.
    pub single_ms: f64,
}

pub async fn measure(m: u32, t: u32, p: u32, each: Duration) -> Result<Limit, LoadError> {
    tokio::task::spawn_blocking(move || measure_blocking(m, t, p, each))
        .await
        .map_err(|e| LoadError::setup(format!("argon2 measurement: {e}")))?
}

fn measure_blocking(m: u32, t: u32, p: u32, each: Duration) -> Result<Limit, LoadError> {
    let params =
        Params::new(m, t, p, None).map_err(|e| LoadError::setup(format!("argon2 params: {e}")))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let salt =
        SaltString::encode_b64(b"pratu-load-salt!").map_err(|e| LoadError::setup(e.to_string()))?;
    let hash = argon
        .hash_password(b"BenchPass123", &salt)
        .map_err(|e| LoadError::setup(format!("argon2 hash: {e}")))?
        .to_string();
    let verify_for = |d: Duration| -> Result<u64, LoadError> {
        let parsed = PasswordHash::new(&hash).map_err(|e| LoadError::setup(e.to_string()))?;
        let start = Instant::now();
        let mut n = 0;
        while start.elapsed() < d {
            argon
                .verify_password(b"BenchPass123", &parsed)
                .map_err(|e| LoadError::setup(format!("argon2 verify: {e}")))?;
            n += 1;
        }
        Ok(n)
    };
    let start = Instant::now();
    let single = verify_for(each / 2)?;
    let single_ms = start.elapsed().as_secs_f64() * 1000.0 / single.max(1) as f64;

    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let total = AtomicU64::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| -> Result<(), LoadError> {
                    total.fetch_add(verify_for(each)?, Ordering::Relaxed);
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join()
                .map_err(|_| LoadError::setup("an argon2 thread panicked"))??;
        }
        Ok::<(), LoadError>(())
    })?;
    let secs = start.elapsed().as_secs_f64();
    Ok(Limit {
        memory_kib: m,
        iterations: t,
        parallelism: p,
        threads,
        verifies_per_s: total.load(Ordering::Relaxed) as f64 / secs,
        single_ms,
    })
}
