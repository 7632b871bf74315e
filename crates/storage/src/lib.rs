//! Pratu's storage: the records the system keeps and the ports through which
//! the feature crates reach them.
//!
//! Persistence only: `pratu-registration` and `pratu-oidc` never import each
//! other; the records they share (the user account, the SSO session), the
//! ephemeral store and the clock that stamps writes live here. Services
//! (OTP, password hashing, personal-data encryption, the SMS port) live one
//! level up, in `pratu-core`.
//!
//! # Layout
//! - [`records`]: plain data, backend-neutral.
//! - [`protocol`]: the closed sets of OAuth/OIDC values a record holds
//!   (grant types, auth methods, …), re-exported from [`records`].
//! - [`repo`]: one trait per aggregate; [`Store`] bundles them.
//! - [`sqlite`] / [`postgres`]: the two relational backends (runtime-checked
//!   `sqlx` queries, migrations per backend under `migrations/`). SQLite's
//!   writes all go through one writer thread that commits the writes queued
//!   meanwhile in one transaction (group commit, `sqlite/writer/`).
//! - [`ephemeral`]: short-lived values (codes, OTPs, counters, sessions) in
//!   memory or Redis.
//! - `testing` (feature `testing`): the shared backend suites and ready-made
//!   test stores.
//!
//! # Opening a store
//! The backend is chosen once, from the database URL, by [`open`]
//! (`sqlite:…` or `postgres://…`); callers then run [`Store::migrate`].
//! The ephemeral store is [`ephemeral::memory::MemoryStore::new`] for one
//! node or [`ephemeral::redis::RedisStore::connect`] for several. Log URLs
//! through [`redact_url`]. [`Store::pool_stats`] reports the connection pools
//! for metrics.
//!
//! # Performance
//! `cargo bench -p pratu-storage` measures refresh-token rotation (SQLite,
//! and PostgreSQL when `PRATU_TEST_POSTGRES_URL` is set) and authorization
//! code put + take (memory, and Redis when `PRATU_TEST_REDIS_URL` is set),
//! one at a time and from 64 tasks.
//!
//! # Adding a repository
//! Add the record to [`records`], a trait to [`repo`], implement it in both
//! backends with a migration each, add it as a supertrait of [`Store`], and
//! add its tests to the shared suite in `testing` so both backends run them.
#![forbid(unsafe_code)]

pub mod clock;
pub mod ephemeral;
pub mod error;
mod open;
pub mod postgres;
pub mod protocol;
pub mod records;
pub mod repo;
mod sql;
pub mod sqlite;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use clock::{Clock, MockClock, SystemClock};
pub use error::StorageError;
pub use open::{PoolOptions, open, redact_url};
pub use postgres::PgStore;
pub use repo::{PoolStats, Store};
pub use sqlite::SqliteStore;
