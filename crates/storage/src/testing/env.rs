//! Fresh stores for tests, and the rule for optional backends.

use std::sync::Arc;

use super::{Made, Must, TestGuard};
use crate::PoolOptions;
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
