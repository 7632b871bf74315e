//! The registration-token suite.

use super::fixtures::at;
use super::{MakeStore, Must};
use crate::error::StorageError;
use crate::records::RegistrationToken;

pub async fn run(make: &impl MakeStore) {
    a_token_is_valid_until_it_expires(make).await;
    a_token_is_consumed_once(make).await;
    expired_tokens_are_deleted_and_digests_are_unique(make).await;
}

fn token(hash: &[u8], expires: i64) -> RegistrationToken {
    RegistrationToken {
        token_hash: hash.to_vec(),
        created_at: at(0),
        expires_at: at(expires),
    }
}

pub async fn a_token_is_valid_until_it_expires(make: &impl MakeStore) {
    let (store, _g) = make().await;
    store
        .insert_registration_token(&token(b"t1", 100))
        .await
        .must("insert");
    assert!(
        store
            .registration_token_valid(b"t1", at(99))
            .await
            .must("valid")
    );
    assert!(
        !store
            .registration_token_valid(b"t1", at(100))
            .await
            .must("expired")
    );
    assert!(
        !store
            .registration_token_valid(b"t2", at(1))
            .await
            .must("unknown")
    );
}

pub async fn a_token_is_consumed_once(make: &impl MakeStore) {
    let (store, _g) = make().await;
    store
        .insert_registration_token(&token(b"t1", 100))
        .await
        .must("insert");
    store
        .insert_registration_token(&token(b"t2", 100))
        .await
        .must("insert");
    assert!(
        !store
            .consume_registration_token(b"t1", at(100))
            .await
            .must("expired")
    );
    assert!(
        store
            .consume_registration_token(b"t1", at(50))
            .await
            .must("first use")
    );
    assert!(
        !store
            .consume_registration_token(b"t1", at(50))
            .await
            .must("second use")
    );
    assert!(
        !store
            .registration_token_valid(b"t1", at(50))
            .await
            .must("gone")
    );
    assert!(
        store
            .registration_token_valid(b"t2", at(50))
            .await
            .must("other kept")
    );
}

pub async fn expired_tokens_are_deleted_and_digests_are_unique(make: &impl MakeStore) {
    let (store, _g) = make().await;
    store
        .insert_registration_token(&token(b"old", 10))
        .await
        .must("insert");
    store
        .insert_registration_token(&token(b"new", 1000))
        .await
        .must("insert");
    assert_matches!(
        store.insert_registration_token(&token(b"new", 5)).await,
        Err(StorageError::AlreadyExists {
            what: "registration_token"
        })
    );
    assert_eq!(
        store
            .delete_expired_registration_tokens(at(500))
            .await
            .must("purge"),
        1
    );
    assert!(
        store
            .registration_token_valid(b"new", at(500))
            .await
            .must("kept")
    );
}
