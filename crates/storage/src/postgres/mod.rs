//! The production backend: PostgreSQL, shared by every node.
//!
//! One connection pool serves reads and writes; atomic operations are
//! single transactions whose first statement takes the row lock that decides
//! a race (see `enrollments.rs` and `refresh.rs`). Queries are checked at
//! run time; the shared suite in `testing` is their safety net.
//!
//! [`PgStore::migrate`] holds a PostgreSQL advisory lock, taken on a
//! dedicated connection and released by closing it, so several nodes
//! starting at once migrate exactly once and the others wait, then find
//! nothing to do.

use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Postgres, Transaction};

use self::batch::Batcher;
use crate::PoolOptions;
use crate::error::{Result, StorageError};
use crate::repo::{PoolStats, Store};
use crate::sql::classify;

mod audit;
mod batch;
mod clients;
mod consents;
mod enrollments;
mod keys;
mod passkeys;
mod refresh;
mod registration_tokens;
pub(crate) mod row;
mod second_factors;
mod users;

/// The PostgreSQL [`Store`]. Cheap to clone (a pool handle).
#[derive(Clone)]
pub struct PgStore {
    pub(crate) pool: PgPool,
    /// For the dedicated migration connection.
    options: PgConnectOptions,
    /// Refresh rotations, batched (see `batch`).
    rotations: Arc<Batcher<refresh::Rotations>>,
    /// New refresh families, batched.
    family_inserts: Arc<Batcher<refresh::FamilyInserts>>,
    /// Users read by id, batched.
    user_reads: Arc<Batcher<users::UserReads>>,
    /// Consents read, batched.
    consent_reads: Arc<Batcher<consents::ConsentReads>>,
    /// Audit events appended, batched.
    audit_appends: Arc<Batcher<audit::AuditAppends>>,
}

impl std::fmt::Debug for PgStore {
    // The connect options hold the password: show only where we connect.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("host", &self.options.get_host())
            .field("database", &self.options.get_database())
            .field("pool_size", &self.pool.size())
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to `url` (`postgres://user:pass@host:5432/db`). Does not
    /// migrate. Fails at once when the server cannot be reached.
    pub async fn connect(url: &str, opts: &PoolOptions) -> Result<Self> {
        let options = PgConnectOptions::from_str(url).map_err(StorageError::unhandled)?;
        Self::connect_with(options, opts).await
    }

    /// Connects with ready options, e.g. with a `search_path` set
    /// (`options.options([("search_path", "my_schema")])`).
    pub async fn connect_with(options: PgConnectOptions, opts: &PoolOptions) -> Result<Self> {
        let options = options.application_name("pratu");
        let pool = PgPoolOptions::new()
            .max_connections(opts.max_connections.max(1))
            .acquire_timeout(opts.acquire_timeout)
            .connect_with(options.clone())
            .await
            .map_err(StorageError::unhandled)?;
        let rotations = Arc::new(Batcher::spawn(
            refresh::Rotations,
            pool.clone(),
            BATCH_LANES,
        ));
        let family_inserts = Arc::new(Batcher::spawn(
            refresh::FamilyInserts,
            pool.clone(),
            BATCH_LANES,
        ));
        let user_reads = Arc::new(Batcher::spawn(users::UserReads, pool.clone(), BATCH_LANES));
        let consent_reads = Arc::new(Batcher::spawn(
            consents::ConsentReads,
            pool.clone(),
            BATCH_LANES,
        ));
        let audit_appends = Arc::new(Batcher::spawn(
            audit::AuditAppends,
            pool.clone(),
            BATCH_LANES,
        ));
        Ok(Self {
            pool,
            options,
            rotations,
            family_inserts,
            user_reads,
            consent_reads,
            audit_appends,
        })
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) async fn begin(&self) -> Result<Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(classify)
    }
}

/// How many batches of one kind may be in flight at once (five kinds:
/// at most ten of the pool's connections busy with batches, and those
/// only while a statement runs). Two: one
/// travels or commits while the next executes. More lanes make smaller
/// batches, and on the 2-core bench machine 1-2 lanes rotated 10-11k
/// refresh tokens/s where 4 managed 8.7k and 8 7.4k.
const BATCH_LANES: usize = 2;

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn migrate(&self) -> Result<()> {
        let migrator = sqlx::migrate!("./migrations/postgres");
        let mut conn = self
            .options
            .connect()
            .await
            .map_err(StorageError::unhandled)?;
        // Keyed by schema: nodes sharing a schema serialise; separate
        // schemas (tests) do not wait on each other.
        tracing::debug!("waiting for the migration lock");
        sqlx::query(
            "SELECT pg_advisory_lock(hashtext('pratu.migrate:' || coalesce(current_schema(), '')))",
        )
        .execute(&mut conn)
        .await
        .map_err(StorageError::unhandled)?;
        let result = migrator.run_direct(&mut conn).await;
        // Closing the session releases the lock even if unlocking failed.
        let _unlocked = sqlx::query(
            "SELECT pg_advisory_unlock(hashtext('pratu.migrate:' || coalesce(current_schema(), '')))",
        )
        .execute(&mut conn)
        .await;
        let _closed = conn.close().await;
        result.map_err(StorageError::unhandled)?;
        tracing::info!(
            migrations = migrator.iter().count(),
            "database schema is up to date"
        );
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn pool_stats(&self) -> Vec<PoolStats> {
        vec![PoolStats::of("postgres", &self.pool)]
    }
}
