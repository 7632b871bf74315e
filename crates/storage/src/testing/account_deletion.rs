//! Deleting a citizen's account at their request (PDPA erasure): one unit
//! of work that takes the account, its grants and the enrollment's copy of
//! its personal data, frees the citizen ID and the username, and records
//! it — or changes nothing.

use std::sync::Arc;

use uuid::Uuid;

use super::enrollments::confirmed;
use super::fixtures::{at, audit_event, client, consent, enrollment, refresh_token, user};
use super::{MakeStore, Must, TestGuard};
use crate::error::StorageError;
use crate::records::{AuditEvent, AuditFilter, RefreshKey, User};
use crate::repo::{DeleteOutcome, Store};

pub async fn run(make: &impl MakeStore) {
    deleting_an_account_takes_its_grants_and_enrollment_and_records_it(make).await;
    a_deletion_whose_audit_is_refused_changes_nothing(make).await;
    deleting_an_unknown_account_is_not_found_and_writes_nothing(make).await;
}

struct Seeded {
    store: Arc<dyn Store>,
    _guard: TestGuard,
    /// Enrolled (through a completed enrollment), with a consent and a
    /// live and a revoked refresh family at `rp`.
    somchai: User,
    enrollment: Uuid,
    live: Uuid,
    /// Another account at `rp`, untouched by somchai's deletion.
    malee: User,
    malee_family: Uuid,
}

async fn seeded(make: &impl MakeStore) -> Seeded {
    let (store, guard) = make().await;
    let e = enrollment();
    store.create_enrollment(&e).await.must("enrollment");
    let somchai = user("somchai");
    store
        .complete_enrollment(e.id, e.version, &somchai, at(10), &confirmed(e.id))
        .await
        .must("complete enrollment");
    let malee = user("malee");
    store.create_user(&malee).await.must("user");
    store.create_client(&client("rp")).await.must("client");
    store
        .put_consent(&consent(somchai.id, "rp"))
        .await
        .must("consent");
    store
        .put_consent(&consent(malee.id, "rp"))
        .await
        .must("consent");
    let (live, revoked, malee_family) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    for (hash, family, owner) in [
        (b"live-1", live, somchai.id),
        (b"revok1", revoked, somchai.id),
        (b"malee1", malee_family, malee.id),
    ] {
        store
            .insert_refresh_token(&refresh_token(hash, family, "rp", Some(owner)))
            .await
            .must("refresh token");
    }
    store
        .revoke_refresh_family(revoked, at(20))
        .await
        .must("revoke");
    Seeded {
        store,
        _guard: guard,
        somchai,
        enrollment: e.id,
        live,
        malee,
        malee_family,
    }
}

impl Seeded {
    async fn family_exists(&self, family_id: Uuid, hash: &[u8]) -> bool {
        self.store
            .refresh_token(RefreshKey::Family {
                family_id,
                token_hash: hash,
            })
            .await
            .must("read family")
            .is_some()
    }

    async fn audit(&self) -> Vec<AuditEvent> {
        self.store
            .list_audit(&AuditFilter::default())
            .await
            .must("list audit")
    }
}

fn record(user_id: Uuid) -> AuditEvent {
    AuditEvent {
        actor: format!("user:{user_id}"),
        target: Some(format!("user:{user_id}")),
        details: serde_json::json!({}),
        ..audit_event(at(50), "unused", "account.deleted")
    }
}

pub async fn deleting_an_account_takes_its_grants_and_enrollment_and_records_it(
    make: &impl MakeStore,
) {
    let s = seeded(make).await;
    let index = s.somchai.citizen_id.clone().must("citizen id").index;
    let event = record(s.somchai.id);

    let outcome = s
        .store
        .delete_user_account(s.somchai.id, at(50), &event)
        .await
        .must("delete");

    assert_eq!(
        outcome,
        DeleteOutcome {
            refresh_tokens_revoked: 1,
            consents_deleted: 1,
            enrollments_deleted: 1,
        }
    );
    assert_eq!(s.store.user_by_id(s.somchai.id).await.must("read"), None);
    assert_eq!(s.store.user_by_username("somchai").await.must("read"), None);
    assert_eq!(
        s.store.user_by_citizen_index(&index).await.must("read"),
        None,
        "the citizen ID no longer finds an account"
    );
    assert_eq!(
        s.store.enrollment_by_id(s.enrollment).await.must("read"),
        None,
        "the enrollment's copy of the personal data is gone"
    );
    assert!(
        s.store
            .consents_of_user(s.somchai.id)
            .await
            .must("read")
            .is_empty()
    );
    assert!(!s.family_exists(s.live, b"live-1").await);
    assert_eq!(s.audit().await, [event]);

    // The other account keeps everything.
    assert!(s.store.user_by_id(s.malee.id).await.must("read").is_some());
    assert!(
        s.store
            .consent(s.malee.id, "rp")
            .await
            .must("read")
            .is_some()
    );
    assert!(s.family_exists(s.malee_family, b"malee1").await);

    // The citizen may enroll again: same citizen ID, same username.
    let again = User {
        id: Uuid::new_v4(),
        ..s.somchai.clone()
    };
    s.store.create_user(&again).await.must("enroll again");
}

pub async fn a_deletion_whose_audit_is_refused_changes_nothing(make: &impl MakeStore) {
    let s = seeded(make).await;
    let earlier = record(s.somchai.id);
    s.store.append_audit(&earlier).await.must("append");
    let clashing = AuditEvent {
        id: earlier.id,
        ..record(s.somchai.id)
    };

    assert!(matches!(
        s.store
            .delete_user_account(s.somchai.id, at(50), &clashing)
            .await,
        Err(StorageError::AlreadyExists {
            what: "audit_event_id"
        })
    ));

    assert_eq!(
        s.store.user_by_id(s.somchai.id).await.must("read").as_ref(),
        Some(&s.somchai)
    );
    assert!(
        s.store
            .enrollment_by_id(s.enrollment)
            .await
            .must("read")
            .is_some()
    );
    assert!(
        s.store
            .consent(s.somchai.id, "rp")
            .await
            .must("read")
            .is_some()
    );
    let family = s
        .store
        .refresh_token(RefreshKey::Family {
            family_id: s.live,
            token_hash: b"live-1",
        })
        .await
        .must("read")
        .must("family kept");
    assert_eq!(family.revoked_at, None, "still live");
    assert_eq!(s.audit().await, [earlier]);
}

pub async fn deleting_an_unknown_account_is_not_found_and_writes_nothing(make: &impl MakeStore) {
    let s = seeded(make).await;
    let nobody = Uuid::new_v4();
    assert!(matches!(
        s.store
            .delete_user_account(nobody, at(50), &record(nobody))
            .await,
        Err(StorageError::NotFound { what: "user" })
    ));
    assert!(s.audit().await.is_empty());
    assert!(s.family_exists(s.live, b"live-1").await);
}
