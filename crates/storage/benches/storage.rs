//! The storage hot paths of the token endpoint, under criterion:
//!
//! - `refresh_rotation/<backend>/sequential`: one refresh-token chain rotated
//!   over and over, each rotation awaited before the next (latency-bound);
//! - `refresh_rotation/<backend>/concurrent_64`: 64 chains rotated by 64
//!   tasks at once, as a busy token endpoint does (throughput-bound; on
//!   SQLite this is where group commit pays);
//! - `authorization_code/<store>/…`: one `put` and one `take` of a code,
//!   sequential and from 64 tasks;
//!
//! Password verification is measured beside its code, in `pratu-core`
//! (`cargo bench -p pratu-core --bench password`).
//!
//! SQLite and the in-memory ephemeral store always run; PostgreSQL and Redis
//! when `PRATU_TEST_POSTGRES_URL` / `PRATU_TEST_REDIS_URL` are set (each in
//! its own schema or key prefix, removed afterwards). Every figure is per
//! operation, so criterion's `thrpt` line reads as operations per second.
//!
//! Run: `cargo bench -p pratu-storage --bench storage` (add a filter such as
//! `-- refresh_rotation/sqlite` to run a part). `cargo test --all-targets`
//! runs each benchmark once, as a smoke test.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use pratu_storage::ephemeral::EphemeralStore;
use pratu_storage::ephemeral::memory::MemoryStore;
use pratu_storage::records::{RefreshKey, RefreshToken, Rotation, Successor};
use pratu_storage::testing::fixtures::{at, client, refresh_token, user};
use pratu_storage::testing::{self, Made, Must, TestGuard};
use pratu_storage::{PgStore, PoolOptions, Store, SystemClock};
use uuid::Uuid;

/// Concurrent tasks in the `concurrent_64` cases.
const TASKS: usize = 64;

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// One operation of worker `w` (`0..tasks`): the unit a benchmark counts.
type Op = Arc<dyn Fn(usize) -> BoxFuture + Send + Sync>;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .must("tokio runtime")
}

/// Runs `iters` operations spread over `tasks` concurrent tasks and returns
/// the wall time they took together.
async fn spread(iters: u64, tasks: usize, op: &Op) -> Duration {
    let tasks = u64::try_from(tasks).must("task count").min(iters.max(1));
    let start = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|w| {
            let op = op.clone();
            let n = iters / tasks + u64::from(w < iters % tasks);
            let w = usize::try_from(w).must("worker index");
            tokio::spawn(async move {
                for _ in 0..n {
                    op(w).await;
                }
            })
        })
        .collect();
    for h in handles {
        h.await.must("benchmark task");
    }
    start.elapsed()
}

/// Benchmarks `op` sequentially and from [`TASKS`] tasks.
fn both_ways(
    group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    rt: &tokio::runtime::Runtime,
    name: &str,
    op: &Op,
) {
    group.bench_function(format!("{name}/sequential"), |b| {
        b.to_async(rt).iter_custom(|iters| {
            let op = op.clone();
            async move { spread(iters, 1, &op).await }
        });
    });
    group.bench_function(format!("{name}/concurrent_{TASKS}"), |b| {
        b.to_async(rt).iter_custom(|iters| {
            let op = op.clone();
            async move { spread(iters, TASKS, &op).await }
        });
    });
}

/// A refresh-token chain: the current token, rotated into a fresh one per
/// operation.
struct Chain {
    family_id: Uuid,
    /// The digest of the token to present next.
    current: Vec<u8>,
}

/// Like the token endpoint's: random 32-byte hashes (so rows land all over
/// the hash index) and issue times moving forward (so expiry does too).
fn successor(clock: &AtomicU64) -> Successor {
    let seconds = i64::try_from(clock.fetch_add(1, Ordering::Relaxed)).must("clock");
    let issued_at = at(600) + time::Duration::milliseconds(seconds);
    Successor {
        token_hash: uuid::Uuid::new_v4().as_bytes().repeat(2),
        issued_at,
        expires_at: issued_at + time::Duration::days(30),
    }
}

/// [`TASKS`] chains (worker `w` rotates chain `w`) on a store seeded with a
/// client and a user.
async fn rotation_op(store: Arc<dyn Store>) -> Op {
    store.create_client(&client("rp")).await.must("client");
    let u = user("bench");
    store.create_user(&u).await.must("user");
    let clock = Arc::new(AtomicU64::new(0));
    let mut chains = Vec::with_capacity(TASKS);
    for w in 0..TASKS {
        let next = successor(&clock);
        let first = RefreshToken {
            session_id: Some(format!("sid-{w}")),
            token_hash: next.token_hash,
            issued_at: next.issued_at,
            expires_at: next.expires_at,
            ..refresh_token(b"", Uuid::new_v4(), "rp", Some(u.id))
        };
        store.insert_refresh_token(&first).await.must("first token");
        chains.push(tokio::sync::Mutex::new(Chain {
            family_id: first.family_id,
            current: first.token_hash,
        }));
    }
    let chains = Arc::new(chains);
    Arc::new(move |w| {
        let store = store.clone();
        let chains = chains.clone();
        let clock = clock.clone();
        Box::pin(async move {
            let mut chain = chains[w].lock().await;
            let new = successor(&clock);
            let rotation = store
                .rotate_refresh_token(
                    RefreshKey::Family {
                        family_id: chain.family_id,
                        token_hash: &chain.current,
                    },
                    "rp",
                    &new,
                    new.issued_at,
                )
                .await
                .must("rotate");
            assert!(matches!(rotation, Rotation::Rotated { .. }), "{rotation:?}");
            chain.current = new.token_hash;
        })
    })
}

/// A `put` of a 256-byte code value and its `take`, under a key of its own.
fn code_op(store: Arc<dyn EphemeralStore>) -> Op {
    let counter = Arc::new(AtomicU64::new(0));
    let value = Arc::new([7u8; 256]);
    Arc::new(move |_| {
        let store = store.clone();
        let value = value.clone();
        let key = format!("code:{}", counter.fetch_add(1, Ordering::Relaxed));
        Box::pin(async move {
            store
                .put(&key, &value[..], Duration::from_secs(60))
                .await
                .must("put");
            let taken = store.take(&key).await.must("take");
            assert!(taken.is_some(), "the code was just put");
        })
    })
}

/// A migrated PostgreSQL store in a schema of its own, with the server's
/// default pool of 16 connections (the test suite's has five).
async fn postgres() -> Option<Made> {
    let (options, guard) = testing::postgres_schema_from_env().await?;
    let opts = PoolOptions {
        max_connections: 16,
        ..PoolOptions::default()
    };
    let store = PgStore::connect_with(options, &opts)
        .await
        .must("connect to PostgreSQL");
    store.migrate().await.must("migrate PostgreSQL");
    let store: Arc<dyn Store> = Arc::new(store);
    Some((store, guard))
}

fn refresh_rotation(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("refresh_rotation");
    group
        .throughput(Throughput::Elements(1))
        .sample_size(20)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5));

    let (store, guard): Made = rt.block_on(testing::sqlite_store());
    let op = rt.block_on(rotation_op(store));
    both_ways(&mut group, &rt, "sqlite", &op);
    drop((op, guard));

    if let Some((store, guard)) = rt.block_on(postgres()) {
        let op = rt.block_on(rotation_op(store));
        both_ways(&mut group, &rt, "postgres", &op);
        // The schema is dropped from a thread of the guard's own.
        drop((op, guard));
    }
    group.finish();
}

fn authorization_code(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("authorization_code");
    group
        .throughput(Throughput::Elements(1))
        .sample_size(20)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5));

    let memory: Arc<dyn EphemeralStore> =
        Arc::new(MemoryStore::new(Arc::new(SystemClock), 100_000));
    both_ways(&mut group, &rt, "memory", &code_op(memory));

    if let Some(redis) = rt.block_on(testing::redis_from_env()) {
        let guard: TestGuard = redis.guard;
        both_ways(&mut group, &rt, "redis", &code_op(redis.store));
        drop(guard);
    }
    group.finish();
}

criterion_group!(benches, refresh_rotation, authorization_code);
criterion_main!(benches);
