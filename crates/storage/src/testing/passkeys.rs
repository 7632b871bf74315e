//! The passkey suite: an account's passkeys are listed, found by credential
//! ID, updated after use, removed only by their owner, and go with the
//! account.

use super::fixtures::{at, audit_event, user};
use super::{MakeStore, Must};
use crate::error::StorageError;
use crate::records::Passkey;

pub async fn run(make: &impl MakeStore) {
    passkeys_are_listed_found_and_removed_by_their_owner(make).await;
    a_credential_id_belongs_to_one_account(make).await;
    a_use_updates_the_credential_and_last_used(make).await;
    passkeys_go_with_the_account(make).await;
}

fn passkey(user_id: uuid::Uuid, id: &[u8], name: &str, created: i64) -> Passkey {
    Passkey {
        credential_id: id.to_vec(),
        user_id,
        name: name.to_owned(),
        credential: format!(r#"{{"cred":"{name}","counter":0}}"#),
        created_at: at(created),
        last_used_at: None,
    }
}

pub async fn passkeys_are_listed_found_and_removed_by_their_owner(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let somchai = user("somchai");
    let malee = user("malee");
    store.create_user(&somchai).await.must("somchai");
    store.create_user(&malee).await.must("malee");
    let phone = passkey(somchai.id, b"cred-phone", "โทรศัพท์", 20);
    let laptop = passkey(somchai.id, b"cred-laptop", "Laptop", 10);
    store.add_passkey(&phone).await.must("phone");
    store.add_passkey(&laptop).await.must("laptop");

    let listed = store.passkeys_of_user(somchai.id).await.must("list");
    assert_eq!(listed, vec![laptop.clone(), phone.clone()], "oldest first");
    assert!(
        store
            .passkeys_of_user(malee.id)
            .await
            .must("none")
            .is_empty()
    );
    assert_eq!(
        store
            .passkey_by_credential_id(b"cred-phone")
            .await
            .must("find"),
        Some(phone.clone())
    );
    assert_eq!(
        store
            .passkey_by_credential_id(b"nope")
            .await
            .must("unknown"),
        None
    );

    assert!(
        !store
            .remove_passkey(malee.id, b"cred-phone")
            .await
            .must("another account's"),
        "only the owner removes a passkey"
    );
    assert!(
        store
            .remove_passkey(somchai.id, b"cred-phone")
            .await
            .must("remove")
    );
    assert!(
        !store
            .remove_passkey(somchai.id, b"cred-phone")
            .await
            .must("again")
    );
    assert_eq!(
        store.passkeys_of_user(somchai.id).await.must("list"),
        vec![laptop]
    );
}

pub async fn a_credential_id_belongs_to_one_account(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let somchai = user("somchai");
    let malee = user("malee");
    store.create_user(&somchai).await.must("somchai");
    store.create_user(&malee).await.must("malee");
    store
        .add_passkey(&passkey(somchai.id, b"cred", "a", 1))
        .await
        .must("first");
    match store.add_passkey(&passkey(malee.id, b"cred", "b", 2)).await {
        Err(StorageError::AlreadyExists { what: "passkey" }) => {}
        other => panic!("a credential ID twice: {other:?}"),
    }
    match store
        .add_passkey(&passkey(uuid::Uuid::new_v4(), b"other", "c", 3))
        .await
    {
        Err(StorageError::NotFound { .. }) => {}
        other => panic!("a passkey of no account: {other:?}"),
    }
}

pub async fn a_use_updates_the_credential_and_last_used(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let somchai = user("somchai");
    store.create_user(&somchai).await.must("somchai");
    store
        .add_passkey(&passkey(somchai.id, b"cred", "a", 1))
        .await
        .must("add");
    store
        .record_passkey_use(b"cred", r#"{"counter":7}"#, at(50))
        .await
        .must("use");
    let found = store
        .passkey_by_credential_id(b"cred")
        .await
        .must("find")
        .must("the passkey");
    assert_eq!(found.credential, r#"{"counter":7}"#);
    assert_eq!(found.last_used_at, Some(at(50)));
    assert_eq!(found.created_at, at(1));
    match store.record_passkey_use(b"gone", "{}", at(60)).await {
        Err(StorageError::NotFound { what: "passkey" }) => {}
        other => panic!("use of a removed passkey: {other:?}"),
    }
}

pub async fn passkeys_go_with_the_account(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let somchai = user("somchai");
    store.create_user(&somchai).await.must("somchai");
    store
        .add_passkey(&passkey(somchai.id, b"cred", "a", 1))
        .await
        .must("add");
    store
        .delete_user_account(
            somchai.id,
            at(100),
            &audit_event(at(100), "somchai", "account.deleted"),
        )
        .await
        .must("delete");
    assert_eq!(
        store.passkey_by_credential_id(b"cred").await.must("find"),
        None
    );
}
