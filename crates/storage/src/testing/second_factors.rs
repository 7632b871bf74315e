//! The second-factor suite: the authenticator app (pending, active,
//! replay by compare-and-set) and recovery codes (single use).

use std::sync::Arc;

use super::fixtures::{at, audit_event, user};
use super::{MakeStore, Must};
use crate::error::StorageError;
use crate::records::TotpFactor;

pub async fn run(make: &impl MakeStore) {
    a_pending_totp_is_replaced_and_an_active_one_is_kept(make).await;
    a_step_is_used_once_even_in_parallel(make).await;
    recovery_codes_are_replaced_and_consumed_once(make).await;
    deleting_the_totp_or_the_account_removes_factors(make).await;
}

fn pending(user_id: uuid::Uuid, secret: &[u8]) -> TotpFactor {
    TotpFactor {
        user_id,
        secret_sealed: secret.to_vec(),
        activated_at: None,
        last_used_step: None,
        created_at: at(0),
    }
}

pub async fn a_pending_totp_is_replaced_and_an_active_one_is_kept(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let u = user("somchai");
    store.create_user(&u).await.must("user");
    assert!(store.totp_of_user(u.id).await.must("none").is_none());
    assert!(
        !store
            .activate_totp(u.id, 1, at(1))
            .await
            .must("nothing to activate")
    );

    store
        .put_pending_totp(&pending(u.id, b"s1"))
        .await
        .must("pending");
    store
        .put_pending_totp(&pending(u.id, b"s2"))
        .await
        .must("replaced");
    let t = store.totp_of_user(u.id).await.must("read").must("stored");
    assert_eq!(t.secret_sealed, b"s2");
    assert!(!t.is_active());

    assert!(store.activate_totp(u.id, 10, at(5)).await.must("activate"));
    assert!(!store.activate_totp(u.id, 11, at(6)).await.must("once"));
    let t = store.totp_of_user(u.id).await.must("read").must("stored");
    assert_eq!(t.activated_at, Some(at(5)));
    assert_eq!(t.last_used_step, Some(10));

    assert_matches!(
        store.put_pending_totp(&pending(u.id, b"s3")).await,
        Err(StorageError::AlreadyExists { what: "totp" })
    );
    let t = store.totp_of_user(u.id).await.must("read").must("stored");
    assert_eq!(t.secret_sealed, b"s2");

    assert_matches!(
        store
            .put_pending_totp(&pending(uuid::Uuid::new_v4(), b"s"))
            .await,
        Err(StorageError::NotFound { what: "user" })
    );
}

pub async fn a_step_is_used_once_even_in_parallel(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let u = user("somchai");
    store.create_user(&u).await.must("user");
    store
        .put_pending_totp(&pending(u.id, b"s"))
        .await
        .must("pending");
    assert!(
        !store
            .use_totp_step(u.id, 5)
            .await
            .must("pending is no factor")
    );
    assert!(store.activate_totp(u.id, 10, at(1)).await.must("activate"));
    assert!(!store.use_totp_step(u.id, 10).await.must("same step"));
    assert!(!store.use_totp_step(u.id, 9).await.must("earlier step"));

    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.use_totp_step(u.id, 11).await })
        })
        .collect();
    let mut passed = 0;
    for t in tasks {
        if t.await.must("join").must("use") {
            passed += 1;
        }
    }
    assert_eq!(passed, 1, "one of the parallel uses of a step passes");
    let t = store.totp_of_user(u.id).await.must("read").must("stored");
    assert_eq!(t.last_used_step, Some(11));
}

pub async fn recovery_codes_are_replaced_and_consumed_once(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let u = user("somchai");
    let other = user("malee");
    store.create_user(&u).await.must("user");
    store.create_user(&other).await.must("other");
    let first: Vec<Vec<u8>> = (0u8..10).map(|i| vec![i; 32]).collect();
    store
        .replace_recovery_codes(u.id, &first, at(1))
        .await
        .must("codes");
    assert_eq!(store.recovery_codes_left(u.id).await.must("left"), 10);
    assert!(
        !store
            .consume_recovery_code(other.id, &first[0], at(2))
            .await
            .must("not theirs")
    );
    assert!(
        store
            .consume_recovery_code(u.id, &first[0], at(2))
            .await
            .must("first use")
    );
    assert!(
        !store
            .consume_recovery_code(u.id, &first[0], at(3))
            .await
            .must("second use")
    );
    assert_eq!(store.recovery_codes_left(u.id).await.must("left"), 9);

    let second: Vec<Vec<u8>> = (10u8..20).map(|i| vec![i; 32]).collect();
    store
        .replace_recovery_codes(u.id, &second, at(4))
        .await
        .must("new set");
    assert!(
        !store
            .consume_recovery_code(u.id, &first[1], at(5))
            .await
            .must("old set gone")
    );
    assert!(
        store
            .consume_recovery_code(u.id, &second[1], at(5))
            .await
            .must("new set")
    );
    assert_eq!(store.recovery_codes_left(u.id).await.must("left"), 9);
}

pub async fn deleting_the_totp_or_the_account_removes_factors(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let u = user("somchai");
    store.create_user(&u).await.must("user");
    let codes: Vec<Vec<u8>> = (0u8..10).map(|i| vec![i; 32]).collect();
    store
        .put_pending_totp(&pending(u.id, b"s"))
        .await
        .must("pending");
    store.activate_totp(u.id, 1, at(1)).await.must("activate");
    store
        .replace_recovery_codes(u.id, &codes, at(1))
        .await
        .must("codes");
    assert!(store.delete_totp(u.id).await.must("delete"));
    assert!(!store.delete_totp(u.id).await.must("already gone"));
    assert!(store.totp_of_user(u.id).await.must("read").is_none());
    assert_eq!(store.recovery_codes_left(u.id).await.must("left"), 0);

    store
        .put_pending_totp(&pending(u.id, b"s"))
        .await
        .must("pending");
    store.activate_totp(u.id, 1, at(1)).await.must("activate");
    store
        .replace_recovery_codes(u.id, &codes, at(1))
        .await
        .must("codes");
    store
        .delete_user_account(u.id, at(2), &audit_event(at(2), "user", "account.deleted"))
        .await
        .must("delete account");
    assert!(store.totp_of_user(u.id).await.must("read").is_none());
    assert_eq!(store.recovery_codes_left(u.id).await.must("left"), 0);
}
