//! The embedded backend: one SQLite file under the data directory.
//!
//! SQLite admits one writer at a time. Rather than let several pooled
//! connections race for the write lock (and fail with `SQLITE_BUSY`), every
//! write and write transaction goes through a pool of exactly one connection,
//! while reads use a separate pool of read-only connections that WAL mode lets
//! run beside the writer. Write transactions start with `BEGIN IMMEDIATE` so
//! another process (the CLI next to a running server) waits on
//! `busy_timeout` instead of failing half-way.
//!
//! Queries are checked at run time (`sqlx::query` + `bind`); the shared suite
//! in `testing` is their safety net. Encodings are described in
//! `migrations/sqlite/0001_initial.sql` and implemented in `row.rs`.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

use crate::PoolOptions;
use crate::error::{Result, StorageError};
use crate::repo::{PoolStats, Store};
use crate::sql::classify;

mod audit;
mod clients;
mod consents;
mod enrollments;
mod keys;
mod refresh;
pub(crate) mod row;
mod users;

/// How long a connection waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The SQLite [`Store`]. Cheap to clone (two pool handles).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    /// An in-memory database: `reader` is `writer`.
    in_memory: bool,
}

impl SqliteStore {
    /// Opens (creating if missing, with its parent directory) the database at
    /// `url`: `sqlite:///abs/path/pratu.db?mode=rwc`, `sqlite://./data/pratu.db`,
    /// `sqlite:pratu.db`, or `sqlite::memory:` (one connection for reads and
    /// writes, gone when the store is dropped). Does not migrate.
    pub async fn open(url: &str, opts: &PoolOptions) -> Result<Self> {
        let base = SqliteConnectOptions::from_str(url).map_err(StorageError::unhandled)?;
        if is_memory(url) {
            let writer = writer_pool(base, opts).await?;
            return Ok(Self {
                reader: writer.clone(),
                writer,
                in_memory: true,
            });
        }
        Self::open_with(base, opts).await
    }

    /// Opens the database file at `path` (see [`SqliteStore::open`]).
    pub async fn open_path(path: &Path, opts: &PoolOptions) -> Result<Self> {
        Self::open_with(SqliteConnectOptions::new().filename(path), opts).await
    }

    async fn open_with(base: SqliteConnectOptions, opts: &PoolOptions) -> Result<Self> {
        if let Some(parent) = base.get_filename().parent()
            && !parent.as_os_str().is_empty()
        {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(StorageError::unhandled)?;
        }
        // The writer first: it creates the file and switches it to WAL.
        let writer = writer_pool(base.clone(), opts).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(opts.max_connections.max(1))
            // A local file does not drop connections: skip the ping.
            .test_before_acquire(false)
            .acquire_timeout(opts.acquire_timeout)
            .connect_with(
                base.read_only(true)
                    .foreign_keys(true)
                    .busy_timeout(BUSY_TIMEOUT),
            )
            .await
            .map_err(StorageError::unhandled)?;
        Ok(Self {
            writer,
            reader,
            in_memory: false,
        })
    }

    /// Closes both pools, waiting for connections to finish.
    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }

    /// Begins a write transaction on the single writer connection.
    pub(crate) async fn begin(&self) -> Result<Transaction<'static, Sqlite>> {
        self.writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(classify)
    }
}

async fn writer_pool(base: SqliteConnectOptions, opts: &PoolOptions) -> Result<SqlitePool> {
    SqlitePoolOptions::new()
        .max_connections(1)
        .test_before_acquire(false)
        .acquire_timeout(opts.acquire_timeout)
        .connect_with(
            base.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(BUSY_TIMEOUT),
        )
        .await
        .map_err(StorageError::unhandled)
}

fn is_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.reader)
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn migrate(&self) -> Result<()> {
        sqlx::migrate!("./migrations/sqlite")
            .run(&self.writer)
            .await
            .map_err(StorageError::unhandled)
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn pool_stats(&self) -> Vec<PoolStats> {
        let writer = PoolStats::of("sqlite_writer", &self.writer);
        if self.in_memory {
            return vec![writer];
        }
        vec![writer, PoolStats::of("sqlite_reader", &self.reader)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::UserRepo;

    #[tokio::test]
    async fn open_creates_the_file_and_its_directories() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/data/pratu.db");
        let url = format!("sqlite://{}?mode=rwc", path.display());

        let store = crate::open(&url, &PoolOptions::default()).await.unwrap();
        store.migrate().await.unwrap();
        store.ping().await.unwrap();

        assert_eq!(store.backend(), "sqlite");
        assert!(path.exists());
    }

    #[tokio::test]
    async fn the_file_is_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_path(&dir.path().join("p.db"), &PoolOptions::default())
            .await
            .unwrap();
        let (mode,): (String,) = sqlx::query_as("PRAGMA journal_mode")
            .fetch_one(&store.reader)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
    }

    #[tokio::test]
    async fn reads_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_path(&dir.path().join("p.db"), &PoolOptions::default())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let write = sqlx::query("DELETE FROM users")
            .execute(&store.reader)
            .await;
        assert!(write.is_err(), "the reader pool is read-only");
    }

    #[tokio::test]
    async fn pool_stats_report_the_writer_and_reader_pools() {
        let dir = tempfile::tempdir().unwrap();
        let opts = PoolOptions {
            max_connections: 3,
            ..PoolOptions::default()
        };
        let store = SqliteStore::open_path(&dir.path().join("p.db"), &opts)
            .await
            .unwrap();
        let stats = store.pool_stats();
        let names: Vec<_> = stats.iter().map(|s| (s.pool, s.max)).collect();
        assert_eq!(names, [("sqlite_writer", 1), ("sqlite_reader", 3)]);

        let memory = SqliteStore::open("sqlite::memory:", &opts).await.unwrap();
        let names: Vec<_> = memory.pool_stats().iter().map(|s| s.pool).collect();
        assert_eq!(names, ["sqlite_writer"], "one pool serves both");
    }

    #[tokio::test]
    async fn an_in_memory_database_works_through_one_pool() {
        let store = SqliteStore::open("sqlite::memory:", &PoolOptions::default())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let user = crate::testing::fixtures::user("memory");
        store.create_user(&user).await.unwrap();
        assert_eq!(store.user_by_id(user.id).await.unwrap(), Some(user));
    }
}
