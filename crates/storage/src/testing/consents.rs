//! The consent repository suite.

use uuid::Uuid;

use super::fixtures::{at, audit_event, client, consent, user};
use super::{MakeStore, Must};
use crate::error::StorageError;
use crate::records::{AuditEvent, AuditFilter, Consent};

pub async fn run(make: &impl MakeStore) {
    consents_are_stored_replaced_and_revoked(make).await;
    consent_for_an_unknown_client_or_user_is_refused(make).await;
    a_users_consents_are_listed_newest_first(make).await;
    a_granted_consent_commits_with_its_audit_record(make).await;
    a_grant_whose_audit_is_refused_writes_nothing(make).await;
}

/// The `consent.granted` record of `user`'s consent to `client_id`.
fn granted(user: Uuid, client_id: &str) -> AuditEvent {
    AuditEvent {
        actor: format!("user:{user}"),
        target: Some(format!("client:{client_id}")),
        ..audit_event(at(30), "anonymous", "consent.granted")
    }
}

async fn grants(store: &std::sync::Arc<dyn crate::repo::Store>) -> Vec<AuditEvent> {
    store
        .list_audit(&AuditFilter {
            action: Some("consent.granted".to_owned()),
            ..AuditFilter::default()
        })
        .await
        .must("list audit")
}

pub async fn a_granted_consent_commits_with_its_audit_record(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let u = user("somchai");
    store.create_user(&u).await.must("user");
    store.create_client(&client("rp")).await.must("client");
    let c = consent(u.id, "rp");
    let record = granted(u.id, "rp");

    store.grant_consent(&c, &record).await.must("grant");

    assert_eq!(store.consent(u.id, "rp").await.must("read"), Some(c));
    assert_eq!(grants(&store).await, [record]);
}

/// A consent is in force from its commit: one whose record is refused
/// (here a clashing id; a dead connection alike) is not given at all.
pub async fn a_grant_whose_audit_is_refused_writes_nothing(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let u = user("somchai");
    store.create_user(&u).await.must("user");
    store.create_client(&client("rp")).await.must("client");
    let earlier = audit_event(at(1), "operator", "client.created");
    store.append_audit(&earlier).await.must("append");
    let clashing = AuditEvent {
        id: earlier.id,
        ..granted(u.id, "rp")
    };

    assert!(matches!(
        store.grant_consent(&consent(u.id, "rp"), &clashing).await,
        Err(StorageError::AlreadyExists {
            what: "audit_event_id"
        })
    ));
    assert_eq!(store.consent(u.id, "rp").await.must("read"), None);
    assert_eq!(grants(&store).await, []);
}

pub async fn a_users_consents_are_listed_newest_first(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let u = user("somchai");
    let other = user("somsri");
    store.create_user(&u).await.must("user");
    store.create_user(&other).await.must("other user");
    store.create_client(&client("rp")).await.must("client");
    store.create_client(&client("rp2")).await.must("client");
    assert!(store.consents_of_user(u.id).await.must("none").is_empty());
    let old = Consent {
        granted_at: at(10),
        ..consent(u.id, "rp")
    };
    let new = Consent {
        granted_at: at(20),
        ..consent(u.id, "rp2")
    };
    store.put_consent(&old).await.must("old");
    store.put_consent(&new).await.must("new");
    store
        .put_consent(&consent(other.id, "rp"))
        .await
        .must("someone else's");
    assert_eq!(
        store.consents_of_user(u.id).await.must("list"),
        vec![new, old]
    );
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
