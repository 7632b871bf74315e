//! The machine's Argon2id limit at the server's parameters: how many
//! verifies per second all cores manage, and what one costs on one core.
//! The login-flow target is a fraction of this, measured in the same run.
//! Computed as the server computes it (`pratu_core::password`): each
//! thread reuses its Argon2 memory.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use argon2::{Algorithm, Argon2, Block, Params, Version};
use serde::Serialize;

use crate::error::LoadError;
use crate::procstat;

#[derive(Debug, Clone, Serialize)]
pub struct Limit {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    pub threads: usize,
    /// The limit: verifies per second with every core busy, the higher of
    /// the wall-clock count and cores ÷ one verify's CPU time (the load
    /// generator's own measurement suffers when the machine is busy).
    pub verifies_per_s: f64,
    /// Counted over the wall clock, all threads busy.
    pub wall_verifies_per_s: f64,
    /// Milliseconds of CPU one verify takes (one thread).
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
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let salt = b"pratu-load-salt!";
    let mut expected = [0u8; 32];
    let mut mem = vec![Block::default(); params.block_count()];
    argon
        .hash_password_into_with_memory(b"BenchPass123", salt, &mut expected, &mut mem)
        .map_err(|e| LoadError::setup(format!("argon2 hash: {e}")))?;
    let verify_for = |d: Duration| -> Result<u64, LoadError> {
        let mut mem = vec![Block::default(); params.block_count()];
        let mut out = [0u8; 32];
        let start = Instant::now();
        let mut n = 0;
        while start.elapsed() < d {
            argon
                .hash_password_into_with_memory(b"BenchPass123", salt, &mut out, &mut mem)
                .map_err(|e| LoadError::setup(format!("argon2 verify: {e}")))?;
            if out != expected {
                return Err(LoadError::setup("argon2 verify gave another hash"));
            }
            n += 1;
        }
        Ok(n)
    };
    let cpu0 = procstat::thread_cpu_ticks()?;
    let single = verify_for(each / 2)?;
    let cpu = procstat::thread_cpu_ticks()?.saturating_sub(cpu0) as f64
        / procstat::ticks_per_second() as f64;
    let single_ms = cpu * 1000.0 / single.max(1) as f64;

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
    let wall = total.load(Ordering::Relaxed) as f64 / secs;
    let by_cpu = if single_ms > 0.0 {
        threads as f64 * 1000.0 / single_ms
    } else {
        0.0
    };
    Ok(Limit {
        memory_kib: m,
        iterations: t,
        parallelism: p,
        threads,
        verifies_per_s: wall.max(by_cpu),
        wall_verifies_per_s: wall,
        single_ms,
    })
}
