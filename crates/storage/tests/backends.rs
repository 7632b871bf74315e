//! Every shared suite on every backend available: SQLite and the in-memory
//! ephemeral store always, PostgreSQL and Redis when `PRATU_TEST_POSTGRES_URL`
//! / `PRATU_TEST_REDIS_URL` are set. Test names say the backend
//! (`sqlite_users`, `postgres_users`, …).

use pratu_storage::testing::{self, Fut, Made, Must};

fn sqlite() -> Fut<Made> {
    Box::pin(testing::sqlite_store())
}

/// `Some(make)` when PostgreSQL is configured (checked once per test).
async fn postgres() -> Option<impl Fn() -> Fut<Made>> {
    // Probe: skips (or panics in CI) before the suite starts.
    testing::postgres_store_from_env().await?;
    Some(|| -> Fut<Made> {
        Box::pin(async {
            testing::postgres_store_from_env()
                .await
                .must("PostgreSQL was reachable a moment ago")
        })
    })
}

/// One test per (backend, repository suite).
macro_rules! repository_tests {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn store() {
                if let Some(make) = $make.await {
                    testing::store::run(&make).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn users() {
                if let Some(make) = $make.await {
                    testing::users::run(&make).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn enrollments() {
                if let Some(make) = $make.await {
                    testing::enrollments::run(&make).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn clients() {
                if let Some(make) = $make.await {
                    testing::clients::run(&make).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn consents() {
                if let Some(make) = $make.await {
                    testing::consents::run(&make).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn refresh_tokens() {
                if let Some(make) = $make.await {
                    testing::refresh::run(&make).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn signing_keys() {
                if let Some(make) = $make.await {
                    testing::keys::run(&make).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn audit() {
                if let Some(make) = $make.await {
                    testing::audit::run(&make).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn registration_tokens() {
                if let Some(make) = $make.await {
                    testing::registration_tokens::run(&make).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn second_factors() {
                if let Some(make) = $make.await {
                    testing::second_factors::run(&make).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn passkeys() {
                if let Some(make) = $make.await {
                    testing::passkeys::run(&make).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn units_of_work() {
                if let Some(make) = $make.await {
                    testing::units_of_work::run(&make).await;
                }
            }
        }
    };
}

repository_tests!(sqlite, async { Some(sqlite) });
repository_tests!(postgres, postgres());

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_concurrent_migrations_apply_once() {
    if let Some((options, _guard)) = testing::postgres_schema_from_env().await {
        testing::postgres::concurrent_migrations_apply_once(options, 6).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_refresh_tokens_issued_before_families_keep_working() {
    if let Some((options, _guard)) = testing::postgres_schema_from_env().await {
        testing::postgres::refresh_tokens_issued_before_families_keep_working(options).await;
    }
}

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
                if let Some(make) = $make.await {
                    testing::ephemeral::values(&make).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn ephemeral_take() {
                if let Some(make) = $make.await {
                    testing::ephemeral::take(&make).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn ephemeral_expiry() {
                if let Some(make) = $make.await {
                    testing::ephemeral::expiry(&make).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn ephemeral_counters() {
                if let Some(make) = $make.await {
                    testing::ephemeral::counters(&make).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn ephemeral_sliding_counters() {
                if let Some(make) = $make.await {
                    testing::ephemeral::sliding_counters(&make).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn ephemeral_sets() {
                if let Some(make) = $make.await {
                    testing::ephemeral::sets(&make).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn ephemeral_writes_together() {
                if let Some(make) = $make.await {
                    testing::ephemeral::writes_together(&make).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn ephemeral_notices() {
                if let Some(make) = $make.await {
                    testing::ephemeral::notices(&make).await;
                }
            }
        }
    };
}

/// `Some(make)` when Redis is configured (checked once per test).
async fn redis() -> Option<impl Fn() -> Fut<testing::EphemeralUnderTest>> {
    testing::redis_from_env().await?;
    Some(|| -> Fut<testing::EphemeralUnderTest> {
        Box::pin(async {
            testing::redis_from_env()
                .await
                .must("Redis was reachable a moment ago")
        })
    })
}

ephemeral_tests!(memory, async { Some(memory) });
ephemeral_tests!(redis, redis());

#[tokio::test]
async fn postgres_urls_open_the_postgres_backend() {
    let Some(url) = testing::backend_url("PRATU_TEST_POSTGRES_URL") else {
        return;
    };
    let store = pratu_storage::open(&url, &pratu_storage::PoolOptions::default())
        .await
        .expect("open");
    assert_eq!(store.backend(), "postgres");
    store.ping().await.expect("ping");
}

#[tokio::test]
async fn redis_keys_carry_the_prefix() {
    use pratu_storage::ephemeral::EphemeralStore;
    use pratu_storage::ephemeral::redis::RedisStore;

    let Some(url) = testing::backend_url("PRATU_TEST_REDIS_URL") else {
        return;
    };
    let prefix = format!("pratu-test-prefix-{}:", uuid::Uuid::new_v4().simple());
    let store = RedisStore::connect(&url, &prefix).await.expect("connect");
    assert_eq!(store.prefix(), prefix);
    store
        .put("code:abc", b"v", std::time::Duration::from_secs(60))
        .await
        .expect("put");

    let client = ::redis::Client::open(url.as_str()).expect("client");
    let mut conn = client.get_connection().expect("connection");
    let raw: Option<Vec<u8>> = ::redis::cmd("GETDEL")
        .arg(format!("{prefix}code:abc"))
        .query(&mut conn)
        .expect("GETDEL");
    assert_eq!(raw, Some(b"v".to_vec()));
}

#[tokio::test]
async fn postgres_debug_output_hides_the_password() {
    let Some(url) = testing::backend_url("PRATU_TEST_POSTGRES_URL") else {
        return;
    };
    // Trust authentication ignores the password, so any will do.
    let with_password = url.replacen("://postgres@", "://postgres:hunter2@", 1);
    let store = pratu_storage::PgStore::connect(&with_password, &Default::default())
        .await
        .expect("connect");
    let printed = format!("{store:?}");
    assert!(!printed.contains("hunter2"), "{printed}");
}
