//! The consent repository suite.

use uuid::Uuid;

use super::fixtures::{at, client, consent, user};
use super::{MakeStore, Must};
use crate::error::StorageError;
use crate::records::Consent;

pub async fn run(make: &impl MakeStore) {
    consents_are_stored_replaced_and_revoked(make).await;
    consent_for_an_unknown_client_or_user_is_refused(make).await;
}

pub async fn consents_are_stored_replaced_and_revoked(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let u = user("somchai");
    store.create_user(&u).await.must("user");
    store.create_client(&client("rp")).await.must("client");
    store.create_client(&client("rp2")).await.must("client");

    assert_eq!(store.consent(u.id, "rp").await.must("none yet"), None);
    let first = consent(u.id, "rp");
    store.put_consent(&first).await.must("put");
    assert_eq!(store.consent(u.id, "rp").await.must("read"), Some(first));

    let wider = Consent {
        scopes: vec!["openid".into(), "profile".into(), "phone".into()],
        granted_at: at(60),
        ..consent(u.id, "rp")
    };
    store.put_consent(&wider).await.must("replace");
    assert_eq!(
        store.consent(u.id, "rp").await.must("read"),
        Some(wider.clone())
    );
    store
        .put_consent(&consent(u.id, "rp2"))
        .await
        .must("second client");

    assert!(store.revoke_consent(u.id, "rp").await.must("revoke"));
    assert!(!store.revoke_consent(u.id, "rp").await.must("revoke twice"));
    assert_eq!(store.consent(u.id, "rp").await.must("read"), None);
    assert!(store.consent(u.id, "rp2").await.must("other").is_some());
}

pub async fn consent_for_an_unknown_client_or_user_is_refused(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let u = user("somchai");
    store.create_user(&u).await.must("user");
    store.create_client(&client("rp")).await.must("client");
    assert_matches!(
        store.put_consent(&consent(u.id, "ghost")).await,
        Err(StorageError::NotFound { .. })
    );
    assert_matches!(
        store.put_consent(&consent(Uuid::new_v4(), "rp")).await,
        Err(StorageError::NotFound { .. })
    );
}
