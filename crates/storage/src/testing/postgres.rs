//! PostgreSQL-only cases: what the advisory migration lock promises.

use std::sync::Arc;

use sqlx::postgres::PgConnectOptions;

use super::Must;
use crate::PoolOptions;
use crate::postgres::PgStore;
use crate::repo::Store;

/// Several nodes start at once on an empty schema: every `migrate()`
/// succeeds, each migration is applied once, and sqlx's bookkeeping table
/// lives in the store's own schema.
pub async fn concurrent_migrations_apply_once(options: PgConnectOptions, nodes: usize) {
    let opts = PoolOptions {
        max_connections: 2,
        ..PoolOptions::default()
    };
    let mut stores = Vec::new();
    for _ in 0..nodes {
        let store = PgStore::connect_with(options.clone(), &opts)
            .await
            .must("connect");
        stores.push(Arc::new(store));
    }
    let tasks: Vec<_> = stores
        .iter()
        .map(|s| {
            let s = s.clone();
            tokio::spawn(async move { s.migrate().await })
        })
        .collect();
    for task in tasks {
        task.await.must("task").must("concurrent migrate");
    }

    let store = stores.first().must("a node");
    let pool = &store.pool;
    let (applied, in_schema): (i64, bool) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM _sqlx_migrations WHERE success), \
         to_regclass(quote_ident(current_schema()) || '._sqlx_migrations') IS NOT NULL",
    )
    .fetch_one(pool)
    .await
    .must("read migrations");
    let known = sqlx::migrate!("./migrations/postgres").iter().count();
    assert_eq!(usize::try_from(applied).must("count"), known);
    assert!(in_schema, "_sqlx_migrations is in the test schema");
    store.ping().await.must("ping");
}
