//! Every shared suite on every backend available: SQLite and the in-memory
//! ephemeral store always, PostgreSQL and Redis when `PRATU_TEST_POSTGRES_URL`
//! / `PRATU_TEST_REDIS_URL` are set. Test names say the backend
//! (`sqlite_users`, `postgres_users`, …).

use pratu_storage::testing::{self, Fut, Made};

fn sqlite() -> Fut<Made> {
    Box::pin(testing::sqlite_store())
}

/// One test per (backend, repository suite).
macro_rules! repository_tests {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn users() {
                if let Some(make) = $make {
                    testing::users::run(&make).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn enrollments() {
                if let Some(make) = $make {
                    testing::enrollments::run(&make).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn clients() {
                if let Some(make) = $make {
                    testing::clients::run(&make).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn consents() {
                if let Some(make) = $make {
                    testing::consents::run(&make).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn refresh_tokens() {
                if let Some(make) = $make {
                    testing::refresh::run(&make).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn signing_keys() {
                if let Some(make) = $make {
                    testing::keys::run(&make).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn audit() {
                if let Some(make) = $make {
                    testing::audit::run(&make).await;
                }
            }
        }
    };
}

repository_tests!(sqlite, Some(sqlite));

fn memory() -> Fut<testing::EphemeralUnderTest> {
    Box::pin(async { testing::memory_store() })
}

/// One test per (backend, ephemeral-store case group).
macro_rules! ephemeral_tests {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn ephemeral_values() {
                if let Some(make) = $make {
                    testing::ephemeral::values(&make).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn ephemeral_take() {
                if let Some(make) = $make {
                    testing::ephemeral::take(&make).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn ephemeral_expiry() {
                if let Some(make) = $make {
                    testing::ephemeral::expiry(&make).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn ephemeral_counters() {
                if let Some(make) = $make {
                    testing::ephemeral::counters(&make).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn ephemeral_sets() {
                if let Some(make) = $make {
                    testing::ephemeral::sets(&make).await;
                }
            }
        }
    };
}

ephemeral_tests!(memory, Some(memory));
