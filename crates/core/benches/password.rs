//! `argon2id_verify/…`: one password verify at the configured (OWASP)
//! parameters through [`PasswordHasher`], alone and with every core busy —
//! the machine's sign-in limit (`pratu-load bench` measures it too).
//!
//! Run: `cargo bench -p pratu-core --bench password`. `cargo test
//! --all-targets` runs it once, as a smoke test.
#![expect(clippy::expect_used, reason = "a benchmark stops at the first failure")]

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pratu_core::password::{Argon2Params, PasswordHasher};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// `iters` verifies spread over `tasks` concurrent tasks; the wall time.
async fn spread(iters: u64, tasks: u64, hasher: &PasswordHasher, phc: &str) -> Duration {
    let tasks = tasks.min(iters.max(1));
    let start = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|w| {
            let (h, phc) = (hasher.clone(), phc.to_owned());
            let n = iters / tasks + u64::from(w < iters % tasks);
            tokio::spawn(async move {
                for _ in 0..n {
                    assert!(h.verify("Correct1horse", Some(&phc)).await.expect("verify"));
                }
            })
        })
        .collect();
    for h in handles {
        h.await.expect("task");
    }
    start.elapsed()
}

fn argon2id_verify(c: &mut Criterion) {
    let rt = runtime();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut group = c.benchmark_group("argon2id_verify");
    group
        .throughput(Throughput::Elements(1))
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    let hasher = PasswordHasher::new(Argon2Params::default(), cores).expect("hasher");
    let phc = rt.block_on(hasher.hash("Correct1horse")).expect("hash");
    for (name, tasks) in [
        ("owasp/one".to_owned(), 1),
        (format!("owasp/all_{cores}_cores"), cores),
    ] {
        group.bench_function(name, |b| {
            b.to_async(&rt)
                .iter_custom(|iters| spread(iters, tasks as u64, &hasher, &phc));
        });
    }
    group.finish();
}

criterion_group!(benches, argon2id_verify);
criterion_main!(benches);
