//! Suite cases about the store as a whole: readiness and migrations.

use super::{MakeStore, Must};

pub async fn run(make: &impl MakeStore) {
    a_migrated_store_answers_pings_and_migrates_again_harmlessly(make).await;
}

pub async fn a_migrated_store_answers_pings_and_migrates_again_harmlessly(make: &impl MakeStore) {
    let (store, _g) = make().await;
    store.ping().await.must("ping");
    store.migrate().await.must("second migration");
    store.migrate().await.must("third migration");
    store.ping().await.must("ping after");
    assert!(["sqlite", "postgres"].contains(&store.backend()));
}
