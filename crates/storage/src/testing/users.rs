//! The user repository suite.

use uuid::Uuid;

use super::fixtures::{at, staff_user, user};
use super::{MakeStore, Must};
use crate::error::StorageError;
use crate::records::UserStatus;

pub async fn run(make: &impl MakeStore) {
    users_round_trip_with_every_field(make).await;
    users_without_optional_fields_round_trip(make).await;
    unknown_users_are_none(make).await;
    taken_usernames_and_citizen_ids_are_named(make).await;
    status_and_password_changes_stamp_updated_at(make).await;
    changing_an_unknown_user_is_not_found(make).await;
    search_pages_users_by_username_prefix(make).await;
    search_treats_like_wildcards_literally(make).await;
}

pub async fn users_round_trip_with_every_field(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let u = user("somchai");
    store.create_user(&u).await.must("create");

    assert_eq!(store.user_by_id(u.id).await.must("by id"), Some(u.clone()));
    assert_eq!(
        store.user_by_username("somchai").await.must("by username"),
        Some(u.clone())
    );
    let index = &u.citizen_id.as_ref().must("fixture has a citizen id").index;
    assert_eq!(
        store.user_by_citizen_index(index).await.must("by index"),
        Some(u)
    );
}

pub async fn users_without_optional_fields_round_trip(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let u = staff_user("operator1");
    store.create_user(&u).await.must("create");
    assert_eq!(store.user_by_id(u.id).await.must("by id"), Some(u));
}

pub async fn unknown_users_are_none(make: &impl MakeStore) {
    let (store, _g) = make().await;
    store.create_user(&user("somchai")).await.must("create");
    assert_eq!(store.user_by_id(Uuid::new_v4()).await.must("by id"), None);
    assert_eq!(store.user_by_username("nobody").await.must("by name"), None);
    assert_eq!(
        store
            .user_by_citizen_index(b"no such index")
            .await
            .must("by index"),
        None
    );
}

pub async fn taken_usernames_and_citizen_ids_are_named(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let first = user("somchai");
    store.create_user(&first).await.must("create");

    let same_name = user("somchai");
    assert_matches!(
        store.create_user(&same_name).await,
        Err(StorageError::AlreadyExists { what: "username" })
    );

    let mut same_citizen = user("other");
    same_citizen.citizen_id = first.citizen_id.clone();
    assert_matches!(
        store.create_user(&same_citizen).await,
        Err(StorageError::AlreadyExists { what: "citizen_id" })
    );

    let mut same_id = user("third");
    same_id.id = first.id;
    assert_matches!(
        store.create_user(&same_id).await,
        Err(StorageError::AlreadyExists { what: "user_id" })
    );

    // Staff accounts have no citizen ID: many of them may coexist.
    store.create_user(&staff_user("op1")).await.must("staff 1");
    store.create_user(&staff_user("op2")).await.must("staff 2");
}

pub async fn status_and_password_changes_stamp_updated_at(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let u = user("somchai");
    store.create_user(&u).await.must("create");

    store
        .set_user_status(u.id, UserStatus::Disabled, at(10))
        .await
        .must("disable");
    let got = store.user_by_id(u.id).await.must("read").must("exists");
    assert_eq!(got.status, UserStatus::Disabled);
    assert_eq!(got.updated_at, at(10));

    store
        .set_user_password(u.id, "$argon2id$new", at(20))
        .await
        .must("set password");
    let got = store.user_by_id(u.id).await.must("read").must("exists");
    assert_eq!(got.password_hash, "$argon2id$new");
    assert_eq!(got.status, UserStatus::Disabled);
    assert_eq!(got.updated_at, at(20));
    assert_eq!(got.created_at, u.created_at);

    store
        .set_user_phone(u.id, "+66812223333", at(30))
        .await
        .must("set phone");
    let got = store.user_by_id(u.id).await.must("read").must("exists");
    assert_eq!(got.phone.as_deref(), Some("+66812223333"));
    assert!(got.phone_verified);
    assert_eq!(got.updated_at, at(30));
}

pub async fn changing_an_unknown_user_is_not_found(make: &impl MakeStore) {
    let (store, _g) = make().await;
    assert_matches!(
        store
            .set_user_status(Uuid::new_v4(), UserStatus::Disabled, at(1))
            .await,
        Err(StorageError::NotFound { what: "user" })
    );
    assert_matches!(
        store.set_user_password(Uuid::new_v4(), "x", at(1)).await,
        Err(StorageError::NotFound { what: "user" })
    );
    assert_matches!(
        store
            .set_user_phone(Uuid::new_v4(), "+66812223333", at(1))
            .await,
        Err(StorageError::NotFound { what: "user" })
    );
}

pub async fn search_pages_users_by_username_prefix(make: &impl MakeStore) {
    let (store, _g) = make().await;
    for name in [
        "somsri", "somchai", "anan", "somkiat", "som", "sompong", "wichai",
    ] {
        store.create_user(&staff_user(name)).await.must("create");
    }
    let names = |users: Vec<crate::records::User>| -> Vec<String> {
        users.into_iter().map(|u| u.username).collect()
    };

    let all = names(store.search_users("som", 10, 0).await.must("search"));
    assert_eq!(all, ["som", "somchai", "somkiat", "sompong", "somsri"]);

    let page = names(store.search_users("som", 2, 2).await.must("page"));
    assert_eq!(page, ["somkiat", "sompong"]);

    let everyone = names(store.search_users("", 100, 0).await.must("empty prefix"));
    assert_eq!(everyone.len(), 7);
    assert_eq!(everyone.first().map(String::as_str), Some("anan"));

    assert!(
        store
            .search_users("zzz", 10, 0)
            .await
            .must("none")
            .is_empty()
    );
}

pub async fn search_treats_like_wildcards_literally(make: &impl MakeStore) {
    let (store, _g) = make().await;
    for name in ["a_b", "axb", "a%c", "abc"] {
        store.create_user(&staff_user(name)).await.must("create");
    }
    let found: Vec<String> = store
        .search_users("a_", 10, 0)
        .await
        .must("search")
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(found, ["a_b"]);
    let found = store.search_users("a%", 10, 0).await.must("search");
    assert_eq!(found.len(), 1);
}
