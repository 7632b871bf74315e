//! Shared backend test suites (crate feature `testing`).
//!
//! One suite per repository, written once against the traits and run by
//! `tests/backends.rs` on every backend available: SQLite and the in-memory
//! ephemeral store always, PostgreSQL and Redis when `PRATU_TEST_POSTGRES_URL`
//! / `PRATU_TEST_REDIS_URL` are set (and a panic, not a skip, when `CI` or
//! `PRATU_TEST_REQUIRE_ALL` is set without them).
//!
//! Other crates use the constructors for a ready store in their own tests:
//!
//! ```no_run
//! # async fn demo() {
//! let (store, _guard) = pratu_storage::testing::sqlite_store().await;
//! # let _ = store;
//! # }
//! ```
//!
//! Keep the guard alive as long as the store: dropping it removes the
//! temporary directory, PostgreSQL schema or Redis keys.
//!
//! # Adding a test
//! Add a case to the repository's module (`users`, `enrollments`, …) and call
//! it from that module's `run`; every backend picks it up. Cases never branch
//! on the backend's name.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::repo::Store;

/// `assert!(matches!(value, pattern))` that shows the value on failure.
macro_rules! assert_matches {
    ($value:expr, $pattern:pat $(,)?) => {{
        let value = $value;
        assert!(
            matches!(value, $pattern),
            "expected {}, got {:?}",
            stringify!($pattern),
            value
        );
    }};
}

pub mod account_deletion;
pub mod audit;
pub mod clients;
pub mod consents;
pub mod enrollments;
mod env;
pub mod ephemeral;
pub mod fixtures;
pub mod keys;
pub mod passkeys;
pub mod postgres;
pub mod refresh;
pub mod registration_tokens;
pub mod second_factors;
pub mod store;
pub mod units_of_work;
pub mod users;

pub use env::{
    backend_url, pg_store_from_env, postgres_schema_from_env, postgres_store_from_env,
    redis_from_env, redis_from_env_through, sqlite_store,
};
pub use ephemeral::{
    EphemeralUnderTest, MakeEphemeral, TimeTravel, memory_store, run_ephemeral_suite,
};

/// A boxed future, the return type of the `make` closures the suites take.
pub type Fut<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// A fresh, migrated store and the guard that keeps its backing (temporary
/// directory, schema) alive.
pub type Made = (Arc<dyn Store>, TestGuard);

/// Makes a fresh, migrated, empty store per call.
pub trait MakeStore: Fn() -> Fut<Made> + Send + Sync {}
impl<F: Fn() -> Fut<Made> + Send + Sync> MakeStore for F {}

/// Whatever must outlive a test store; dropping it cleans up.
pub struct TestGuard {
    _inner: Option<Box<dyn std::any::Any + Send + Sync>>,
}

impl TestGuard {
    pub fn new<T: Send + Sync + 'static>(inner: T) -> Self {
        Self {
            _inner: Some(Box::new(inner)),
        }
    }

    /// A guard with nothing to clean up.
    pub fn none() -> Self {
        Self { _inner: None }
    }
}

impl std::fmt::Debug for TestGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TestGuard")
    }
}

/// Runs every repository suite, each case on a fresh store from `make`.
pub async fn run_repository_suite(make: impl MakeStore) {
    store::run(&make).await;
    users::run(&make).await;
    enrollments::run(&make).await;
    clients::run(&make).await;
    consents::run(&make).await;
    refresh::run(&make).await;
    keys::run(&make).await;
    audit::run(&make).await;
    registration_tokens::run(&make).await;
    passkeys::run(&make).await;
    units_of_work::run(&make).await;
    account_deletion::run(&make).await;
    second_factors::run(&make).await;
}

/// `Result::expect` for the suites: they fail by panicking, and the crate's
/// lints keep `expect` out of non-test code.
pub trait Must<T> {
    fn must(self, what: &str) -> T;
}

impl<T, E: std::fmt::Debug> Must<T> for Result<T, E> {
    #[track_caller]
    fn must(self, what: &str) -> T {
        match self {
            Ok(v) => v,
            Err(e) => panic!("{what}: {e:?}"),
        }
    }
}

impl<T> Must<T> for Option<T> {
    #[track_caller]
    fn must(self, what: &str) -> T {
        match self {
            Some(v) => v,
            None => panic!("{what}: got None"),
        }
    }
}
