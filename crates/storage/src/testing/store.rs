//! Suite cases about the store as a whole: readiness and migrations.

use super::{MakeStore, Must};

pub async fn run(make: &impl MakeStore) {
    a_migrated_store_answers_pings_and_migrates_again_harmlessly(make).await;
    pool_stats_describe_every_pool_within_its_bounds(make).await;
}

pub async fn a_migrated_store_answers_pings_and_migrates_again_harmlessly(make: &impl MakeStore) {
    let (store, _g) = make().await;
    store.ping().await.must("ping");
    store.migrate().await.must("second migration");
    store.migrate().await.must("third migration");
    store.ping().await.must("ping after");
    assert!(["sqlite", "postgres"].contains(&store.backend()));
}

pub async fn pool_stats_describe_every_pool_within_its_bounds(make: &impl MakeStore) {
    let (store, _g) = make().await;
    // A read and a write, so each pool has opened a connection.
    store.ping().await.must("ping");
    store
        .create_client(&super::fixtures::client("rp"))
        .await
        .must("client");

    let stats = store.pool_stats();
    assert!(!stats.is_empty(), "at least one pool");
    let mut names: Vec<_> = stats.iter().map(|s| s.pool).collect();
    names.dedup();
    assert_eq!(
        names.len(),
        stats.len(),
        "pool names are distinct: {stats:?}"
    );
    for s in &stats {
        assert!(
            s.pool.starts_with(store.backend()),
            "{} names its backend",
            s.pool
        );
        assert!(s.max >= 1, "{s:?}");
        assert!(s.size >= 1, "a used pool keeps a connection: {s:?}");
        assert!(s.size <= s.max, "{s:?}");
        assert!(s.idle <= s.size, "{s:?}");
    }
}
