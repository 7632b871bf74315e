//! Fresh stores for tests, and the rule for optional backends.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

use super::{EphemeralUnderTest, Made, Must, TestGuard, TimeTravel};
use crate::PoolOptions;
use crate::ephemeral::redis::RedisStore;
use crate::postgres::PgStore;
use crate::repo::Store;
use crate::sqlite::SqliteStore;

/// Whether missing backends must fail the run instead of being skipped.
fn required() -> bool {
    ["CI", "PRATU_TEST_REQUIRE_ALL"]
        .iter()
        .any(|var| std::env::var(var).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false"))
}

/// The URL in `var`, or `None` (with a note on stderr) to skip the test.
///
/// # Panics
/// When `CI` or `PRATU_TEST_REQUIRE_ALL` is set and `var` is not: CI must
/// not pass by skipping.
pub fn backend_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if required() => panic!("{var} must be set when CI or PRATU_TEST_REQUIRE_ALL is set"),
        _ => {
            eprintln!("skipped: {var} is not set");
            None
        }
    }
}

/// A fresh, migrated SQLite store in its own temporary directory, removed
/// when the guard drops.
pub async fn sqlite_store() -> Made {
    let dir = tempfile::Builder::new()
        .prefix("pratu-test-")
        .tempdir()
        .must("create a temporary directory");
    let store = SqliteStore::open_path(&dir.path().join("pratu.db"), &PoolOptions::default())
        .await
        .must("open SQLite");
    store.migrate().await.must("migrate SQLite");
    let store: Arc<dyn Store> = Arc::new(store);
    (store, TestGuard::new(dir))
}

/// Panics because a backend named in the environment cannot be used: a set
/// variable means the backend is expected, so this is not a skip.
#[track_caller]
fn unusable(var: &str, e: &dyn std::fmt::Debug) -> ! {
    panic!("{var} is set but the backend is unusable: {e:?}")
}

/// A name no other test run uses, for schemas and key prefixes.
pub(crate) fn unique_name(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

const POSTGRES_VAR: &str = "PRATU_TEST_POSTGRES_URL";

/// A fresh, empty schema in the database at `PRATU_TEST_POSTGRES_URL`:
/// connect options whose `search_path` is that schema (so tables and sqlx's
/// `_sqlx_migrations` land there), and a guard that drops it. `None` (skip)
/// when the variable is unset outside CI.
///
/// # Panics
/// When the variable is set but the server cannot be reached, or unset in CI.
pub async fn postgres_schema_from_env() -> Option<(PgConnectOptions, TestGuard)> {
    let url = backend_url(POSTGRES_VAR)?;
    let base = PgConnectOptions::from_str(&url).unwrap_or_else(|e| unusable(POSTGRES_VAR, &e));
    let schema = unique_name("pratu_test_");
    let mut conn = base
        .connect()
        .await
        .unwrap_or_else(|e| unusable(POSTGRES_VAR, &e));
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| unusable(POSTGRES_VAR, &e));
    let _closed = conn.close().await;
    let options = base.clone().options([("search_path", schema.as_str())]);
    Some((options, TestGuard::new(SchemaGuard { base, schema })))
}

/// A fresh, migrated PostgreSQL store in its own schema (see
/// [`postgres_schema_from_env`]), dropped with the guard.
pub async fn postgres_store_from_env() -> Option<Made> {
    let (store, guard) = pg_store_from_env().await?;
    let store: Arc<dyn Store> = Arc::new(store);
    Some((store, guard))
}

/// [`postgres_store_from_env`] as the concrete [`PgStore`], for tests of
/// its own statements.
pub async fn pg_store_from_env() -> Option<(PgStore, TestGuard)> {
    let (options, guard) = postgres_schema_from_env().await?;
    let opts = PoolOptions {
        max_connections: 5,
        ..PoolOptions::default()
    };
    let store = PgStore::connect_with(options, &opts)
        .await
        .unwrap_or_else(|e| unusable(POSTGRES_VAR, &e));
    store.migrate().await.must("migrate PostgreSQL");
    Some((store, guard))
}

/// Drops its schema (best effort) when dropped.
struct SchemaGuard {
    base: PgConnectOptions,
    schema: String,
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        let base = self.base.clone();
        let sql = format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema);
        // Drop runs outside async context: use a runtime of our own on a
        // thread of our own, so no caller's runtime is blocked re-entrantly.
        let cleanup = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(mut conn) = base.connect().await {
                    let _dropped = sqlx::query(&sql).execute(&mut conn).await;
                    let _closed = conn.close().await;
                }
            });
        });
        let _joined = cleanup.join();
    }
}

const REDIS_VAR: &str = "PRATU_TEST_REDIS_URL";

/// A Redis store at `PRATU_TEST_REDIS_URL` whose keys carry a random prefix
/// of their own (`pratu-test-<hex>:`), deleted when the guard drops. `None`
/// (skip) when the variable is unset outside CI.
///
/// # Panics
/// When the variable is set but Redis cannot be reached, or unset in CI.
pub async fn redis_from_env() -> Option<EphemeralUnderTest> {
    redis_from_env_through(str::to_owned).await
}

/// [`redis_from_env`], the store reaching Redis at the URL `route` makes of
/// the configured one (a fault-injecting proxy's, say); the guard cleans up
/// through the configured URL, so it works with the route cut.
///
/// # Panics
/// As [`redis_from_env`], and when Redis cannot be reached through the
/// route.
pub async fn redis_from_env_through(
    route: impl FnOnce(&str) -> String,
) -> Option<EphemeralUnderTest> {
    let url = backend_url(REDIS_VAR)?;
    let prefix = format!("{}:", unique_name("pratu-test-"));
    let store = RedisStore::connect(&route(&url), &prefix)
        .await
        .unwrap_or_else(|e| unusable(REDIS_VAR, &e));
    Some(EphemeralUnderTest {
        store: Arc::new(store),
        time: TimeTravel::Real,
        guard: TestGuard::new(PrefixGuard { url, prefix }),
    })
}

/// Deletes every key under its prefix (best effort) when dropped.
struct PrefixGuard {
    url: String,
    prefix: String,
}

impl Drop for PrefixGuard {
    fn drop(&mut self) {
        use redis::Commands;
        let Ok(client) = redis::Client::open(self.url.as_str()) else {
            return;
        };
        let Ok(mut conn) = client.get_connection_with_timeout(Duration::from_secs(1)) else {
            return;
        };
        let keys: Vec<String> = match conn.scan_match::<_, String>(format!("{}*", self.prefix)) {
            Ok(iter) => iter.collect(),
            Err(_) => return,
        };
        if !keys.is_empty() {
            let _deleted: redis::RedisResult<u64> = conn.del(keys);
        }
    }
}
