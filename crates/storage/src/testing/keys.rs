//! The signing-key suite.

use super::fixtures::{at, signing_key};
use super::{MakeStore, Must};
use crate::error::StorageError;
use crate::records::SigningKey;

pub async fn run(make: &impl MakeStore) {
    keys_round_trip_oldest_first(make).await;
    retired_keys_leave_once_expired(make).await;
    a_taken_kid_is_named_and_unknown_kids_are_not_found(make).await;
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
