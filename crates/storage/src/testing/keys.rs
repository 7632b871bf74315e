//! The signing-key suite.

use super::fixtures::{at, signing_key};
use super::{MakeStore, Must};
use crate::error::StorageError;
use crate::records::SigningKey;

pub async fn run(make: &impl MakeStore) {
    keys_round_trip_oldest_first(make).await;
    retired_keys_leave_once_expired(make).await;
    a_taken_kid_is_named_and_unknown_kids_are_not_found(make).await;
    the_first_key_of_an_algorithm_is_inserted_once(make).await;
}

/// Nodes starting together on an empty table race to create the first key
/// of each algorithm: one wins, the others insert nothing.
pub async fn the_first_key_of_an_algorithm_is_inserted_once(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let racers: Vec<_> = (0..8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .insert_first_signing_key(&signing_key(&format!("es{i}"), at(i)), at(10))
                    .await
                    .must("insert first")
            })
        })
        .collect();
    let mut won = 0;
    for r in racers {
        if r.await.must("join") {
            won += 1;
        }
    }
    assert_eq!(won, 1, "exactly one first ES256 key");
    let rsa = SigningKey {
        alg: "RS256".into(),
        ..signing_key("rs", at(10))
    };
    assert!(
        store
            .insert_first_signing_key(&rsa, at(10))
            .await
            .must("insert first"),
        "another algorithm has its own first key"
    );
    let live: Vec<SigningKey> = store.signing_keys(at(10)).await.must("list");
    assert_eq!(live.len(), 2, "{live:?}");

    // Once the live key retires, a new first key may be created.
    let winner = live.iter().find(|k| k.alg == "ES256").must("an ES256 key");
    store
        .retire_signing_key(&winner.kid, at(20), at(100))
        .await
        .must("retire");
    assert!(
        !store
            .insert_first_signing_key(&signing_key("early", at(15)), at(15))
            .await
            .must("insert first"),
        "still live before it retires"
    );
    assert!(
        store
            .insert_first_signing_key(&signing_key("later", at(30)), at(30))
            .await
            .must("insert first")
    );
}

pub async fn keys_round_trip_oldest_first(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let newer = SigningKey {
        alg: "EdDSA".into(),
        retires_at: Some(at(5000)),
        expires_at: Some(at(9000)),
        ..signing_key("k2", at(100))
    };
    let older = signing_key("k1", at(0));
    store.insert_signing_key(&newer).await.must("insert");
    store.insert_signing_key(&older).await.must("insert");
    assert_eq!(
        store.signing_keys(at(200)).await.must("list"),
        vec![older, newer]
    );
}

pub async fn retired_keys_leave_once_expired(make: &impl MakeStore) {
    let (store, _g) = make().await;
    store
        .insert_signing_key(&signing_key("old", at(0)))
        .await
        .must("insert");
    store
        .insert_signing_key(&signing_key("new", at(10)))
        .await
        .must("insert");
    store
        .retire_signing_key("old", at(20), at(100))
        .await
        .must("retire");

    let keys = store.signing_keys(at(50)).await.must("list");
    let old = keys.iter().find(|k| k.kid == "old").must("still published");
    assert_eq!(old.retires_at, Some(at(20)));
    assert_eq!(old.expires_at, Some(at(100)));

    let kids: Vec<String> = store
        .signing_keys(at(100))
        .await
        .must("list")
        .into_iter()
        .map(|k| k.kid)
        .collect();
    assert_eq!(kids, ["new"]);
}

pub async fn a_taken_kid_is_named_and_unknown_kids_are_not_found(make: &impl MakeStore) {
    let (store, _g) = make().await;
    store
        .insert_signing_key(&signing_key("k1", at(0)))
        .await
        .must("insert");
    assert_matches!(
        store.insert_signing_key(&signing_key("k1", at(5))).await,
        Err(StorageError::AlreadyExists { what: "kid" })
    );
    assert_matches!(
        store.retire_signing_key("ghost", at(1), at(2)).await,
        Err(StorageError::NotFound {
            what: "signing_key"
        })
    );
}
