//! The client repository suite.

use uuid::Uuid;

use super::fixtures::{at, client, consent, public_client, refresh_token, user};
use super::{MakeStore, Must};
use crate::error::StorageError;
use crate::records::{Client, ClientStatus, RefreshKey};

pub async fn run(make: &impl MakeStore) {
    clients_round_trip_with_and_without_optional_fields(make).await;
    a_taken_client_id_is_named(make).await;
    clients_list_in_client_id_order_by_page(make).await;
    an_update_replaces_everything_but_id_and_creation(make).await;
    secrets_and_status_change_alone(make).await;
    changing_an_unknown_client_is_not_found(make).await;
    deleting_a_client_takes_its_consents_and_tokens(make).await;
}

async fn read(store: &std::sync::Arc<dyn crate::Store>, id: &str) -> Client {
    store
        .client_by_id(id)
        .await
        .must("read client")
        .must("client exists")
}

pub async fn clients_round_trip_with_and_without_optional_fields(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let full = client("rp-full");
    let bare = public_client("rp-public");
    store.create_client(&full).await.must("create full");
    store.create_client(&bare).await.must("create bare");
    assert_eq!(read(&store, "rp-full").await, full);
    assert_eq!(read(&store, "rp-public").await, bare);
    assert_eq!(store.client_by_id("nope").await.must("unknown"), None);
}

pub async fn a_taken_client_id_is_named(make: &impl MakeStore) {
    let (store, _g) = make().await;
    store.create_client(&client("rp")).await.must("create");
    assert_matches!(
        store.create_client(&public_client("rp")).await,
        Err(StorageError::AlreadyExists { what: "client_id" })
    );
}

pub async fn clients_list_in_client_id_order_by_page(make: &impl MakeStore) {
    let (store, _g) = make().await;
    for id in ["c", "a", "d", "b"] {
        store.create_client(&client(id)).await.must("create");
    }
    let ids = |cs: Vec<Client>| cs.into_iter().map(|c| c.client_id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.list_clients(10, 0).await.must("all")),
        ["a", "b", "c", "d"]
    );
    assert_eq!(ids(store.list_clients(2, 1).await.must("page")), ["b", "c"]);
    assert!(store.list_clients(10, 4).await.must("past").is_empty());
}

pub async fn an_update_replaces_everything_but_id_and_creation(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let original = client("rp");
    store.create_client(&original).await.must("create");

    let changed = Client {
        created_at: at(999),
        updated_at: at(50),
        status: ClientStatus::Disabled,
        ..public_client("rp")
    };
    store.update_client(&changed).await.must("update");
    let expected = Client {
        created_at: original.created_at,
        ..changed
    };
    assert_eq!(read(&store, "rp").await, expected);
}

pub async fn secrets_and_status_change_alone(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let original = client("rp");
    store.create_client(&original).await.must("create");

    store
        .set_client_secret("rp", Some(&[9; 32]), at(10))
        .await
        .must("rotate secret");
    let got = read(&store, "rp").await;
    assert_eq!(got.secret_hash, Some(vec![9; 32]));
    assert_eq!(got.updated_at, at(10));

    store
        .set_client_secret("rp", None, at(20))
        .await
        .must("clear secret");
    assert_eq!(read(&store, "rp").await.secret_hash, None);

    store
        .set_client_status("rp", ClientStatus::Disabled, at(30))
        .await
        .must("disable");
    let got = read(&store, "rp").await;
    assert_eq!(got.status, ClientStatus::Disabled);
    assert_eq!(got.updated_at, at(30));
    assert_eq!(got.redirect_uris, original.redirect_uris);
}

pub async fn changing_an_unknown_client_is_not_found(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let not_found = |r: crate::error::Result<()>| {
        assert!(
            matches!(r, Err(StorageError::NotFound { what: "client" })),
            "{r:?}"
        );
    };
    not_found(store.update_client(&client("ghost")).await);
    not_found(store.set_client_secret("ghost", None, at(1)).await);
    not_found(
        store
            .set_client_status("ghost", ClientStatus::Disabled, at(1))
            .await,
    );
    assert!(!store.delete_client("ghost").await.must("delete"));
}

pub async fn deleting_a_client_takes_its_consents_and_tokens(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let u = user("somchai");
    store.create_user(&u).await.must("user");
    store.create_client(&client("gone")).await.must("client");
    store.create_client(&client("kept")).await.must("client");
    let families = [Uuid::new_v4(), Uuid::new_v4()];
    for (id, family) in ["gone", "kept"].into_iter().zip(families) {
        store.put_consent(&consent(u.id, id)).await.must("consent");
        store
            .insert_refresh_token(&refresh_token(id.as_bytes(), family, id, Some(u.id)))
            .await
            .must("token");
    }
    let token = |i: usize, hash: &'static [u8]| RefreshKey::Family {
        family_id: families[i],
        token_hash: hash,
    };

    assert!(store.delete_client("gone").await.must("delete"));

    assert_eq!(store.client_by_id("gone").await.must("client"), None);
    assert_eq!(store.consent(u.id, "gone").await.must("consent"), None);
    assert_eq!(
        store.refresh_token(token(0, b"gone")).await.must("token"),
        None
    );
    assert!(store.consent(u.id, "kept").await.must("consent").is_some());
    assert!(
        store
            .refresh_token(token(1, b"kept"))
            .await
            .must("token")
            .is_some()
    );
    assert!(!store.delete_client("gone").await.must("delete twice"));
}
