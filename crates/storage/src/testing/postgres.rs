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

/// Tokens stored one row each (migrations 0001–0003) still work after 0004
/// makes a row per family; see [`super::refresh::legacy_tokens_after_migration`].
pub async fn refresh_tokens_issued_before_families_keep_working(options: PgConnectOptions) {
    use sqlx::migrate::Migrator;
    use sqlx::{ConnectOptions, Connection};

    use super::fixtures::{at, user};
    use crate::repo::UserRepo;

    let all = sqlx::migrate!("./migrations/postgres");
    let before = Migrator {
        migrations: std::borrow::Cow::Owned(
            all.iter()
                .filter(|m| m.version < 4)
                .cloned()
                .collect::<Vec<_>>(),
        ),
        ..Migrator::DEFAULT
    };
    let mut conn = options.connect().await.must("connect");
    before.run_direct(&mut conn).await.must("migrate to 0003");
    conn.close().await.must("close");

    let store = PgStore::connect_with(options, &PoolOptions::default())
        .await
        .must("connect");
    // The client row as the schema of 0003 has it: the store's own insert
    // writes the columns later migrations add.
    sqlx::query(
        "INSERT INTO clients (client_id, client_name, redirect_uris, post_logout_redirect_uris, \
         grant_types, response_types, scopes, token_endpoint_auth_method, subject_type, \
         backchannel_logout_session_required, first_party, allow_citizen_id, status, extra, \
         created_at, updated_at) VALUES ('rp', 'RP', ARRAY['https://rp.example/cb'], '{}', \
         ARRAY['authorization_code'], ARRAY['code'], ARRAY['openid'], 'client_secret_basic', \
         'public', false, false, false, 'active', '{}', now(), now())",
    )
    .execute(&store.pool)
    .await
    .must("client");
    let u = user("somchai");
    store.create_user(&u).await.must("user");
    let (a, b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    for t in super::refresh::legacy_tokens(a, b) {
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, family_id, client_id, user_id, scopes, \
             session_id, grant_info, issued_at, expires_at, used_at, revoked_at) \
             VALUES ($1, $2, 'rp', $3, ARRAY['openid'], 'sid-1', '{}', $4, $5, $6, $7)",
        )
        .bind(t.hash)
        .bind(t.family_id)
        .bind(u.id)
        .bind(at(t.issued))
        .bind(at(86_400))
        .bind(t.used.map(at))
        .bind(t.revoked.map(at))
        .execute(&store.pool)
        .await
        .must("insert a legacy token");
    }

    store.migrate().await.must("migrate");
    let pool = store.pool.clone();
    let store: Arc<dyn Store> = Arc::new(store);
    super::refresh::legacy_tokens_after_migration(&store, a, b).await;
    let (left,): (i64,) = sqlx::query_as("SELECT count(*) FROM refresh_legacy_tokens")
        .fetch_one(&pool)
        .await
        .must("count");
    assert_eq!(left, 0, "old digests go with their family");
}
