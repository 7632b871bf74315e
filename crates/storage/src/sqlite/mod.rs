//! The embedded backend: one SQLite file under the data directory.
//!
//! SQLite admits one writer at a time. Rather than let several connections
//! race for the write lock (and fail with `SQLITE_BUSY`), every write goes
//! to one writer thread owning the one read-write connection, which commits
//! the writes that queue up meanwhile together (group commit, see
//! `writer.rs`); reads use a separate pool of read-only connections that WAL
//! mode lets run beside the writer. Write transactions start with
//! `BEGIN IMMEDIATE` so another process (the CLI next to a running server)
//! waits on `busy_timeout` instead of failing half-way.
//!
//! Queries are checked at run time (`sqlx::query` + `bind`); the shared suite
//! in `testing` is their safety net. Encodings are described in
//! `migrations/sqlite/0001_initial.sql` and implemented in `row.rs`.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::OpenFlags;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection};

use crate::PoolOptions;
use crate::error::{Result, StorageError};
use crate::repo::{PoolStats, Store};
use crate::sql::classify;

mod audit;
mod checkpoint;
mod clients;
mod consents;
mod enrollments;
mod inline;
mod keys;
mod passkeys;
mod refresh;
mod registration_tokens;
pub(crate) mod row;
mod second_factors;
mod users;
pub(crate) mod writer;

use writer::Writer;

/// How long a connection waits for another process's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Most reader connections of the pool. sqlx gives each SQLite connection a
/// thread of its own (with its own page cache and malloc arena), and the
/// token endpoint's hot reads run inline (`inline.rs`), so more readers
/// than this buy nothing on a local file but memory.
const MAX_READERS: u32 = 4;

/// Page cache of a read-only connection, KiB. In WAL mode a reader drops its
/// whole cache when the database changed since its last read, which under
/// write load is nearly every time: a large cache costs memory (and time to
/// drop it) and saves little.
const READER_CACHE_KIB: i32 = 512;

/// `ping` found the writer thread stopped: writes would fail.
#[derive(Debug, thiserror::Error)]
#[error("the SQLite writer is not running")]
pub(crate) struct WriterDown;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// The SQLite [`Store`]. Cheap to clone (handles to the writer thread and
/// the reader pool).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: Writer,
    reader: SqlitePool,
    /// Inline point reads of the token endpoint (file databases only).
    inline: Option<inline::InlineReaders>,
    /// Read-write options, for the migration connection.
    options: SqliteConnectOptions,
    /// Copies the WAL into the file off the writer (file databases only).
    _checkpointer: Option<std::sync::Arc<checkpoint::Checkpointer>>,
}

impl SqliteStore {
    /// Opens (creating if missing, with its parent directory) the database at
    /// `url`: `sqlite:///abs/path/pratu.db?mode=rwc`, `sqlite://./data/pratu.db`,
    /// `sqlite:pratu.db`, or `sqlite::memory:` (a private in-memory database,
    /// gone when the store is dropped). Does not migrate.
    pub async fn open(url: &str, opts: &PoolOptions) -> Result<Self> {
        let base = SqliteConnectOptions::from_str(url).map_err(StorageError::unhandled)?;
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        Self::open_with(base, memory, opts).await
    }

    /// Opens the database file at `path` (see [`SqliteStore::open`]).
    pub async fn open_path(path: &Path, opts: &PoolOptions) -> Result<Self> {
        Self::open_with(SqliteConnectOptions::new().filename(path), false, opts).await
    }

    async fn open_with(
        base: SqliteConnectOptions,
        memory: bool,
        opts: &PoolOptions,
    ) -> Result<Self> {
        let path = base.get_filename().to_owned();
        if !memory
            && let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
        {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(StorageError::unhandled)?;
        }
        // The writer first: it creates the file and switches it to WAL. An
        // in-memory database (named by sqlx, its cache shared between the
        // connections of this process) lives as long as the writer's
        // connection.
        let inline = (!memory).then(|| inline::InlineReaders::new(&path));
        let checkpoint_path = path.clone();
        let writer = Writer::start(move || open_writer(&path, memory)).await?;
        let checkpointer = if memory {
            None
        } else {
            checkpoint::Checkpointer::start(&checkpoint_path).map(std::sync::Arc::new)
        };
        let options = base
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let reader = SqlitePoolOptions::new()
            .max_connections(opts.max_connections.clamp(1, MAX_READERS))
            // A local file does not drop connections: skip the ping.
            .test_before_acquire(false)
            .acquire_timeout(opts.acquire_timeout)
            .connect_with(
                options
                    .clone()
                    .read_only(true)
                    .pragma("cache_size", format!("-{READER_CACHE_KIB}")),
            )
            .await
            .map_err(StorageError::unhandled)?;
        Ok(Self {
            writer,
            reader,
            inline,
            options,
            _checkpointer: checkpointer,
        })
    }

    /// Lets queued writes finish, then closes the writer and the readers.
    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }

    /// Runs `work(conn, &data)` on the writer thread inside a group-committed
    /// transaction (see `writer.rs`): all of it or none of it is written,
    /// and the answer comes after the commit. `work` may run twice (again
    /// alone if its batch fails to commit), so it must have no effect
    /// outside the database.
    pub(crate) async fn write<D, T, F>(&self, data: D, work: F) -> Result<T>
    where
        D: Send + 'static,
        T: Send + 'static,
        F: Fn(&rusqlite::Connection, &D) -> Result<T> + Send + 'static,
    {
        self.writer.write(data, work).await
    }
}

/// The writer thread's connection: read-write, WAL, `synchronous = NORMAL`
/// (see `writer.rs` on durability), foreign keys on.
fn open_writer(path: &Path, memory: bool) -> rusqlite::Result<rusqlite::Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if memory {
        // As sqlx opens it, so the readers find the same database.
        flags |= OpenFlags::SQLITE_OPEN_MEMORY | OpenFlags::SQLITE_OPEN_SHARED_CACHE;
    }
    let conn = rusqlite::Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Answers "memory" for an in-memory database, which keeps its journal.
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Every write passes here: keep the hot pages of the indexes in memory
    // (8 MiB at most, used as needed) rather than re-reading them. 16 MiB
    // measured no faster (refresh, sso-flow and login-flow, two pairs of
    // 20 s runs, within ±4 %) and held ~10 MiB more RSS under load.
    conn.pragma_update(None, "cache_size", -8 * 1024)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // Checkpoint every 10 000 pages (~40 MiB of WAL) rather than SQLite's
    // 1000: a page rewritten many times between checkpoints is copied once,
    // and the writer stops for a checkpoint (with its two fsyncs) a tenth as
    // often; rotations measured ~50 % faster. Most of the copying and
    // syncing is done before by the background checkpointer
    // (`checkpoint.rs`), so the writer's own pass is short. The price: a WAL
    // file that size (truncated to 64 MiB after a burst).
    conn.pragma_update(None, "wal_autocheckpoint", 10_000)?;
    conn.pragma_update(None, "journal_size_limit", 64 * 1024 * 1024)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// A backup path SQLite cannot be given as text.
#[derive(Debug, thiserror::Error)]
#[error("the backup path is not valid UTF-8")]
struct NonUtf8Path;

#[async_trait]
impl Store for SqliteStore {
    /// A read on the reader pool, and the writer thread's liveness.
    async fn ping(&self) -> Result<()> {
        if !self.writer.is_open() {
            return Err(StorageError::unhandled(WriterDown));
        }
        sqlx::query("SELECT 1")
            .execute(&self.reader)
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// Runs on a connection of its own while the writer is paused between
    /// transactions.
    async fn migrate(&self) -> Result<()> {
        let _paused = self.writer.pause().await?;
        let mut conn = self
            .options
            .connect()
            .await
            .map_err(StorageError::unhandled)?;
        let result = MIGRATOR.run_direct(&mut conn).await;
        let _closed = conn.close().await;
        result.map_err(StorageError::unhandled)
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }

    /// `VACUUM INTO` on a connection of its own: one read transaction, so
    /// the copy is consistent while the writer and readers go on (WAL).
    /// SQLite refuses a `dest` that exists.
    async fn backup_into(&self, dest: &Path) -> Result<()> {
        let dest = dest
            .to_str()
            .ok_or_else(|| StorageError::unhandled(NonUtf8Path))?
            .to_owned();
        let mut conn = self
            .options
            .connect()
            .await
            .map_err(StorageError::unhandled)?;
        let result = sqlx::query("VACUUM INTO ?1")
            .bind(dest)
            .execute(&mut conn)
            .await;
        // The copy is complete (or failed) once VACUUM returns; closing
        // only releases the connection.
        let _closed = conn.close().await;
        result.map(|_| ()).map_err(classify)
    }

    fn pool_stats(&self) -> Vec<PoolStats> {
        let (open, busy) = self.writer.status();
        let writer = PoolStats {
            pool: "sqlite_writer",
            size: u32::from(open),
            idle: u32::from(open && !busy),
            max: 1,
        };
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
    async fn an_online_backup_holds_what_was_committed_and_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_path(&dir.path().join("live.db"), &PoolOptions::default())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let u = crate::testing::fixtures::user("somchai");
        store.create_user(&u).await.unwrap();

        let copy = dir.path().join("backup.db");
        store.backup_into(&copy).await.unwrap();
        // The live database goes on taking writes.
        store
            .create_user(&crate::testing::fixtures::user("somsri"))
            .await
            .unwrap();
        assert!(
            store.backup_into(&copy).await.is_err(),
            "an existing file is not overwritten"
        );

        let restored = SqliteStore::open_path(&copy, &PoolOptions::default())
            .await
            .unwrap();
        assert_eq!(restored.user_by_id(u.id).await.unwrap(), Some(u));
        assert_eq!(restored.user_by_username("somsri").await.unwrap(), None);
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

        let writer = stats[0];
        assert_eq!((writer.size, writer.idle), (1, 1), "open and idle");
        store.close().await;
        let writer = store.pool_stats()[0];
        assert_eq!((writer.size, writer.idle), (0, 0), "closed");
    }

    /// Tokens stored one row each (migrations 0001–0003) still work after
    /// 0004 makes a row per family; see the shared suite's
    /// `legacy_tokens_after_migration`.
    #[tokio::test]
    async fn refresh_tokens_issued_before_families_keep_working() {
        use crate::repo::UserRepo;
        use crate::testing::fixtures::{at, user};

        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_path(&dir.path().join("p.db"), &PoolOptions::default())
            .await
            .unwrap();
        let before = Migrator {
            migrations: std::borrow::Cow::Owned(MIGRATOR.migrations[..3].to_vec()),
            ..Migrator::DEFAULT
        };
        let mut conn = store.options.connect().await.unwrap();
        before.run_direct(&mut conn).await.unwrap();
        conn.close().await.unwrap();

        // The client row as the schema of 0003 has it: the store's own
        // insert writes the columns later migrations add.
        store
            .write((), |conn, ()| {
                writer::execute(
                    conn,
                    "INSERT INTO clients (client_id, client_name, redirect_uris, \
                     post_logout_redirect_uris, grant_types, response_types, scopes, \
                     token_endpoint_auth_method, subject_type, \
                     backchannel_logout_session_required, first_party, allow_citizen_id, \
                     status, extra, created_at, updated_at) VALUES ('rp', 'RP', \
                     '[\"https://rp.example/cb\"]', '[]', '[\"authorization_code\"]', \
                     '[\"code\"]', '[\"openid\"]', 'client_secret_basic', 'public', 0, 0, 0, \
                     'active', '{}', 0, 0)",
                    rusqlite::params![],
                )
            })
            .await
            .unwrap();
        let u = user("somchai");
        store.create_user(&u).await.unwrap();
        let (a, b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        for t in crate::testing::refresh::legacy_tokens(a, b) {
            let s = |t: i64| row::micros(at(t));
            let row = (
                t.hash.to_vec(),
                t.family_id.to_string(),
                u.id.to_string(),
                s(t.issued),
                t.used.map(s),
                t.revoked.map(s),
                s(86_400),
            );
            store
                .write(row, |conn, (hash, family, user, issued, used, revoked, expires)| {
                    writer::execute(
                        conn,
                        "INSERT INTO refresh_tokens (token_hash, family_id, client_id, user_id, \
                         scopes, session_id, grant_info, issued_at, expires_at, used_at, \
                         revoked_at) VALUES (?1, ?2, 'rp', ?3, '[\"openid\"]', 'sid-1', '{}', \
                         ?4, ?5, ?6, ?7)",
                        rusqlite::params![hash, family, user, issued, expires, used, revoked],
                    )
                })
                .await
                .unwrap();
        }

        store.migrate().await.unwrap();
        let reader = store.reader.clone();
        let store: std::sync::Arc<dyn crate::repo::Store> = std::sync::Arc::new(store);
        crate::testing::refresh::legacy_tokens_after_migration(&store, a, b).await;
        let (left,): (i64,) = sqlx::query_as("SELECT count(*) FROM refresh_legacy_tokens")
            .fetch_one(&reader)
            .await
            .unwrap();
        assert_eq!(left, 0, "old digests go with their family");
    }

    #[tokio::test]
    async fn ping_fails_while_the_writer_is_down() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_path(&dir.path().join("p.db"), &PoolOptions::default())
            .await
            .unwrap();
        store.ping().await.unwrap();
        store.writer.close().await;
        assert!(store.ping().await.is_err(), "reads alone are not ready");
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
