//! The enrollment repository suite, including the atomic completion.

use std::sync::Arc;

use uuid::Uuid;

use super::fixtures::{at, audit_event, enrollment, sealed_citizen_id, user};
use super::{MakeStore, Must};
use crate::error::StorageError;
use crate::records::{AuditEvent, AuditFilter, Enrollment, EnrollmentStep};
use crate::repo::Store;

pub async fn run(make: &impl MakeStore) {
    enrollments_round_trip(make).await;
    updates_compare_and_set_on_the_version(make).await;
    completion_creates_the_user_and_closes_the_enrollment(make).await;
    completion_appends_its_audit_record(make).await;
    a_completion_whose_audit_is_refused_writes_nothing(make).await;
    completion_with_a_stale_version_is_a_conflict_and_writes_nothing(make).await;
    completion_with_a_taken_username_writes_nothing(make).await;
    completion_with_a_taken_citizen_id_writes_nothing(make).await;
    completing_an_unknown_enrollment_is_not_found(make).await;
    racing_completions_make_exactly_one_user(make).await;
    retention_deletes_only_expired_unfinished_enrollments(make).await;
    retention_deletes_completed_enrollments_closed_before_the_cutoff(make).await;
    the_token_digest_is_written_once_at_creation(make).await;
}

/// The `enrollment.confirmed` record of `enrollment`'s completion.
pub fn confirmed(enrollment: Uuid) -> AuditEvent {
    AuditEvent {
        target: Some(format!("enrollment:{enrollment}")),
        ..audit_event(at(100), "anonymous", "enrollment.confirmed")
    }
}

/// The `enrollment.confirmed` records of `enrollment`.
async fn confirmations(store: &Arc<dyn Store>, enrollment: Uuid) -> Vec<AuditEvent> {
    store
        .list_audit(&AuditFilter {
            action: Some("enrollment.confirmed".to_owned()),
            target: Some(format!("enrollment:{enrollment}")),
            ..AuditFilter::default()
        })
        .await
        .must("list audit")
}

async fn read(store: &Arc<dyn Store>, id: Uuid) -> Enrollment {
    store
        .enrollment_by_id(id)
        .await
        .must("read enrollment")
        .must("enrollment exists")
}

pub async fn enrollments_round_trip(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let e = enrollment();
    store.create_enrollment(&e).await.must("create");
    assert_eq!(read(&store, e.id).await, e);

    let bare = Enrollment {
        citizen_id: None,
        step: EnrollmentStep::CitizenId,
        version: 0,
        data: serde_json::json!({}),
        ..enrollment()
    };
    store.create_enrollment(&bare).await.must("create bare");
    assert_eq!(read(&store, bare.id).await, bare);

    assert_eq!(
        store.enrollment_by_id(Uuid::new_v4()).await.must("unknown"),
        None
    );
    assert_matches!(
        store.create_enrollment(&e).await,
        Err(StorageError::AlreadyExists {
            what: "enrollment_id"
        })
    );
}

pub async fn updates_compare_and_set_on_the_version(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let e = Enrollment {
        step: EnrollmentStep::CitizenId,
        citizen_id: None,
        ..enrollment()
    };
    store.create_enrollment(&e).await.must("create");

    let next = Enrollment {
        step: EnrollmentStep::Identity,
        version: e.version + 1,
        citizen_id: Some(sealed_citizen_id("next")),
        data: serde_json::json!({"step": 2}),
        updated_at: at(60),
        expires_at: at(7200),
        ..e.clone()
    };
    store.update_enrollment(&next).await.must("update");
    assert_eq!(read(&store, e.id).await, next);

    // A second writer that read the old version loses.
    let stale = Enrollment {
        step: EnrollmentStep::Account,
        version: e.version + 1,
        ..e.clone()
    };
    assert_matches!(
        store.update_enrollment(&stale).await,
        Err(StorageError::Conflict { what: "enrollment" })
    );
    assert_eq!(read(&store, e.id).await, next);

    let unknown = Enrollment {
        id: Uuid::new_v4(),
        ..next
    };
    assert_matches!(
        store.update_enrollment(&unknown).await,
        Err(StorageError::NotFound { what: "enrollment" })
    );
}

pub async fn completion_creates_the_user_and_closes_the_enrollment(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let e = enrollment();
    store.create_enrollment(&e).await.must("create");
    let u = user("somchai");

    store
        .complete_enrollment(e.id, e.version, &u, at(100), &confirmed(e.id))
        .await
        .must("complete");

    assert_eq!(store.user_by_id(u.id).await.must("user"), Some(u.clone()));
    let done = read(&store, e.id).await;
    assert_eq!(done.step, EnrollmentStep::Completed);
    assert_eq!(done.user_id, Some(u.id));
    assert_eq!(done.version, e.version + 1);
    assert_eq!(done.updated_at, at(100));
    assert_eq!(done.data, e.data);
}

/// The record commits with the account: a completed enrollment is answered
/// as such to every later confirm, so an account without its record would
/// be acknowledged unaudited.
pub async fn completion_appends_its_audit_record(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let e = enrollment();
    store.create_enrollment(&e).await.must("create");
    let record = confirmed(e.id);

    store
        .complete_enrollment(e.id, e.version, &user("somchai"), at(100), &record)
        .await
        .must("complete");

    assert_eq!(confirmations(&store, e.id).await, [record]);
}

/// The audit insert is the last write of the transaction: when it fails
/// (here a clashing id; a dead connection alike) the account and the
/// claim go with it.
pub async fn a_completion_whose_audit_is_refused_writes_nothing(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let e = enrollment();
    store.create_enrollment(&e).await.must("create");
    let earlier = confirmed(Uuid::new_v4());
    store.append_audit(&earlier).await.must("append");
    let clashing = AuditEvent {
        id: earlier.id,
        ..confirmed(e.id)
    };
    let u = user("somchai");

    assert_matches!(
        store
            .complete_enrollment(e.id, e.version, &u, at(100), &clashing)
            .await,
        Err(StorageError::AlreadyExists {
            what: "audit_event_id"
        })
    );
    assert_eq!(store.user_by_id(u.id).await.must("user"), None);
    assert_eq!(read(&store, e.id).await, e, "the enrollment is untouched");
    assert_eq!(confirmations(&store, e.id).await, []);

    // A retry with its own record completes it.
    store
        .complete_enrollment(e.id, e.version, &u, at(100), &confirmed(e.id))
        .await
        .must("complete on retry");
    assert_eq!(confirmations(&store, e.id).await.len(), 1);
}

pub async fn completion_with_a_stale_version_is_a_conflict_and_writes_nothing(
    make: &impl MakeStore,
) {
    let (store, _g) = make().await;
    let e = enrollment();
    store.create_enrollment(&e).await.must("create");
    let u = user("somchai");

    assert_matches!(
        store
            .complete_enrollment(e.id, e.version - 1, &u, at(100), &confirmed(e.id))
            .await,
        Err(StorageError::Conflict { what: "enrollment" })
    );
    assert_eq!(store.user_by_id(u.id).await.must("user"), None);
    assert_eq!(read(&store, e.id).await, e);
}

/// The transaction is interrupted by the user insert (a unique violation)
/// after the enrollment was already claimed: the claim must be undone.
pub async fn completion_with_a_taken_username_writes_nothing(make: &impl MakeStore) {
    let (store, _g) = make().await;
    store
        .create_user(&user("somchai"))
        .await
        .must("existing user");
    let e = enrollment();
    store.create_enrollment(&e).await.must("create");
    let u = user("somchai");

    assert_matches!(
        store
            .complete_enrollment(e.id, e.version, &u, at(100), &confirmed(e.id))
            .await,
        Err(StorageError::AlreadyExists { what: "username" })
    );
    assert_eq!(store.user_by_id(u.id).await.must("user"), None);
    assert_eq!(read(&store, e.id).await, e, "the enrollment is untouched");

    // And the enrollment can still be completed with another username.
    let other = user("somchai2");
    store
        .complete_enrollment(e.id, e.version, &other, at(200), &confirmed(e.id))
        .await
        .must("complete with a free username");
}

pub async fn completion_with_a_taken_citizen_id_writes_nothing(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let existing = user("first");
    store.create_user(&existing).await.must("existing user");
    let e = enrollment();
    store.create_enrollment(&e).await.must("create");
    let mut u = user("second");
    u.citizen_id = existing.citizen_id.clone();

    assert_matches!(
        store
            .complete_enrollment(e.id, e.version, &u, at(100), &confirmed(e.id))
            .await,
        Err(StorageError::AlreadyExists { what: "citizen_id" })
    );
    assert_eq!(store.user_by_id(u.id).await.must("user"), None);
    assert_eq!(read(&store, e.id).await, e);
}

pub async fn completing_an_unknown_enrollment_is_not_found(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let u = user("somchai");
    assert_matches!(
        store
            .complete_enrollment(Uuid::new_v4(), 1, &u, at(100), &confirmed(Uuid::new_v4()))
            .await,
        Err(StorageError::NotFound { what: "enrollment" })
    );
    assert_eq!(store.user_by_id(u.id).await.must("user"), None);
}

/// Ten confirmations of one enrollment at once (double-clicks, retries on
/// several nodes), each with its own user: one wins, the rest conflict.
pub async fn racing_completions_make_exactly_one_user(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let e = enrollment();
    store.create_enrollment(&e).await.must("create");

    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let store = store.clone();
            let u = user(&format!("racer{i}"));
            tokio::spawn(async move {
                store
                    .complete_enrollment(e.id, e.version, &u, at(100), &confirmed(e.id))
                    .await
            })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        match task.await.must("task") {
            Ok(()) => won += 1,
            Err(StorageError::Conflict { .. }) => {}
            Err(other) => panic!("unexpected outcome: {other:?}"),
        }
    }
    assert_eq!(won, 1);
    let users = store.search_users("racer", 100, 0).await.must("search");
    assert_eq!(users.len(), 1);
    let done = read(&store, e.id).await;
    assert_eq!(done.user_id, users.first().map(|u| u.id));
    assert_eq!(done.version, e.version + 1);
}

pub async fn retention_deletes_only_expired_unfinished_enrollments(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let expired = Enrollment {
        expires_at: at(100),
        ..enrollment()
    };
    let live = Enrollment {
        expires_at: at(10_000),
        ..enrollment()
    };
    let finished = Enrollment {
        expires_at: at(100),
        ..enrollment()
    };
    for e in [&expired, &live, &finished] {
        store.create_enrollment(e).await.must("create");
    }
    store
        .complete_enrollment(
            finished.id,
            finished.version,
            &user("done"),
            at(50),
            &confirmed(finished.id),
        )
        .await
        .must("complete");

    // `expires_at` itself is not yet "before now".
    assert_eq!(
        store
            .delete_expired_enrollments(at(100))
            .await
            .must("delete"),
        0
    );
    assert_eq!(
        store
            .delete_expired_enrollments(at(101))
            .await
            .must("delete"),
        1
    );
    assert_eq!(store.enrollment_by_id(expired.id).await.must("read"), None);
    assert!(store.enrollment_by_id(live.id).await.must("read").is_some());
    assert!(
        store
            .enrollment_by_id(finished.id)
            .await
            .must("read")
            .is_some()
    );
}

pub async fn retention_deletes_completed_enrollments_closed_before_the_cutoff(
    make: &impl MakeStore,
) {
    let (store, _g) = make().await;
    let old = enrollment();
    let recent = enrollment();
    let unfinished = Enrollment {
        updated_at: at(10),
        ..enrollment()
    };
    for e in [&old, &recent, &unfinished] {
        store.create_enrollment(e).await.must("create");
    }
    store
        .complete_enrollment(
            old.id,
            old.version,
            &user("old"),
            at(100),
            &confirmed(old.id),
        )
        .await
        .must("complete old");
    store
        .complete_enrollment(
            recent.id,
            recent.version,
            &user("recent"),
            at(500),
            &confirmed(recent.id),
        )
        .await
        .must("complete recent");

    // Completion time itself is not yet "before the cutoff".
    assert_eq!(
        store
            .delete_completed_enrollments(at(100))
            .await
            .must("delete"),
        0
    );
    assert_eq!(
        store
            .delete_completed_enrollments(at(101))
            .await
            .must("delete"),
        1
    );
    assert_eq!(store.enrollment_by_id(old.id).await.must("read"), None);
    assert!(
        store
            .enrollment_by_id(recent.id)
            .await
            .must("read")
            .is_some()
    );
    // Unfinished enrollments are the expiry sweep's business, not this one's.
    assert!(
        store
            .enrollment_by_id(unfinished.id)
            .await
            .must("read")
            .is_some()
    );
    // The accounts stay.
    for name in ["old", "recent"] {
        assert!(
            store
                .user_by_username(name)
                .await
                .must("read user")
                .is_some(),
            "{name} lost its account"
        );
    }
}

pub async fn the_token_digest_is_written_once_at_creation(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let e = Enrollment {
        step: EnrollmentStep::CitizenId,
        ..enrollment()
    };
    store.create_enrollment(&e).await.must("create");
    let next = Enrollment {
        step: EnrollmentStep::Identity,
        version: e.version + 1,
        token_digest: vec![0x01; 32],
        ..e.clone()
    };
    store.update_enrollment(&next).await.must("update");
    let stored = read(&store, e.id).await;
    assert_eq!(stored.step, EnrollmentStep::Identity);
    assert_eq!(stored.token_digest, e.token_digest);
}
