//! The units of work: repository methods that make several writes (and
//! their audit record) in one transaction. Each case checks both halves of
//! all-or-nothing: a success changes everything, and a failure forced
//! honestly (an unknown record, an audit row the primary key refuses)
//! changes nothing.

use std::sync::Arc;

use uuid::Uuid;

use super::fixtures::{at, audit_event, client, consent, refresh_token, t0, user};
use super::{MakeStore, Must};
use crate::error::StorageError;
use crate::records::{AuditEvent, AuditFilter, RefreshKey, RefreshToken, User, UserStatus};
use crate::repo::{DisableOutcome, Store, WithdrawOutcome};

pub async fn run(make: &impl MakeStore) {
    disabling_a_user_changes_status_tokens_and_audit_together(make).await;
    a_disable_whose_audit_is_refused_changes_nothing(make).await;
    disabling_an_unknown_user_is_not_found_and_writes_nothing(make).await;
    a_refused_disable_does_not_undo_writes_made_beside_it(make).await;
    withdrawing_consent_revokes_that_clients_tokens_and_records_it(make).await;
    a_withdrawal_whose_audit_is_refused_changes_nothing(make).await;
    withdrawing_for_an_unknown_user_is_not_found_and_writes_nothing(make).await;
    deleting_a_client_takes_its_grants_and_records_it(make).await;
    a_client_delete_whose_audit_is_refused_changes_nothing(make).await;
    deleting_an_unknown_client_is_not_found_and_writes_nothing(make).await;
}

/// A store with users `somchai` and `malee`, clients `rp` and `rp2`, and
/// live refresh families: somchai at `rp` and at `rp2`, malee at `rp`.
struct Seeded {
    store: Arc<dyn Store>,
    _guard: super::TestGuard,
    somchai: User,
    malee: User,
    /// somchai's family at `rp`.
    own_rp: Uuid,
    /// somchai's family at `rp2`.
    own_rp2: Uuid,
    /// malee's family at `rp`.
    other: Uuid,
}

async fn seeded(make: &impl MakeStore) -> Seeded {
    let (store, guard) = make().await;
    let (somchai, malee) = (user("somchai"), user("malee"));
    store.create_user(&somchai).await.must("user");
    store.create_user(&malee).await.must("user");
    store.create_client(&client("rp")).await.must("client");
    store.create_client(&client("rp2")).await.must("client");
    let (own_rp, own_rp2, other) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    for (hash, family, client_id, user_id) in [
        (b"own-rp", own_rp, "rp", somchai.id),
        (b"own-r2", own_rp2, "rp2", somchai.id),
        (b"other1", other, "rp", malee.id),
    ] {
        store
            .insert_refresh_token(&refresh_token(hash, family, client_id, Some(user_id)))
            .await
            .must("refresh token");
    }
    Seeded {
        store,
        _guard: guard,
        somchai,
        malee,
        own_rp,
        own_rp2,
        other,
    }
}

impl Seeded {
    async fn family(&self, family_id: Uuid) -> Option<RefreshToken> {
        let hash: &[u8] = if family_id == self.own_rp {
            b"own-rp"
        } else if family_id == self.own_rp2 {
            b"own-r2"
        } else {
            b"other1"
        };
        self.store
            .refresh_token(RefreshKey::Family {
                family_id,
                token_hash: hash,
            })
            .await
            .must("read family")
    }

    async fn revoked_at(&self, family_id: Uuid) -> Option<time::OffsetDateTime> {
        self.family(family_id)
            .await
            .must("family exists")
            .revoked_at
    }

    async fn audit(&self) -> Vec<AuditEvent> {
        self.store
            .list_audit(&AuditFilter::default())
            .await
            .must("list audit")
    }

    async fn user(&self, id: Uuid) -> User {
        self.store
            .user_by_id(id)
            .await
            .must("read user")
            .must("user exists")
    }
}

fn event(action: &str, target: String) -> AuditEvent {
    AuditEvent {
        target: Some(target),
        ..audit_event(at(50), "client:ops-bot", action)
    }
}

pub async fn disabling_a_user_changes_status_tokens_and_audit_together(make: &impl MakeStore) {
    let s = seeded(make).await;
    let record = event("user.disabled", format!("user:{}", s.somchai.id));

    let outcome = s
        .store
        .disable_user(s.somchai.id, at(50), &record)
        .await
        .must("disable");

    assert_eq!(
        outcome,
        DisableOutcome {
            refresh_tokens_revoked: 2
        }
    );
    let got = s.user(s.somchai.id).await;
    assert_eq!(got.status, UserStatus::Disabled);
    assert_eq!(got.updated_at, at(50));
    assert_eq!(s.revoked_at(s.own_rp).await, Some(at(50)));
    assert_eq!(s.revoked_at(s.own_rp2).await, Some(at(50)));
    assert_eq!(s.revoked_at(s.other).await, None, "another user's token");
    assert_eq!(s.user(s.malee.id).await.status, UserStatus::Active);
    assert_eq!(s.audit().await, [record]);

    // Again: nothing is live any more, and the event is recorded again.
    let again = event("user.disabled", format!("user:{}", s.somchai.id));
    let outcome = s
        .store
        .disable_user(s.somchai.id, at(60), &again)
        .await
        .must("disable twice");
    assert_eq!(outcome.refresh_tokens_revoked, 0);
    assert_eq!(s.revoked_at(s.own_rp).await, Some(at(50)), "kept its time");
    assert_eq!(s.audit().await.len(), 2);
}

pub async fn a_disable_whose_audit_is_refused_changes_nothing(make: &impl MakeStore) {
    let s = seeded(make).await;
    // An event already stored under the id the disable's record reuses:
    // the audit insert, the last write of the unit, is refused.
    let earlier = event("user.shown", format!("user:{}", s.somchai.id));
    s.store.append_audit(&earlier).await.must("append");
    let clashing = AuditEvent {
        id: earlier.id,
        ..event("user.disabled", format!("user:{}", s.somchai.id))
    };

    assert_matches!(
        s.store.disable_user(s.somchai.id, at(50), &clashing).await,
        Err(StorageError::AlreadyExists {
            what: "audit_event_id"
        })
    );

    let got = s.user(s.somchai.id).await;
    assert_eq!(got.status, UserStatus::Active, "status untouched");
    assert_eq!(got.updated_at, s.somchai.updated_at);
    assert_eq!(s.revoked_at(s.own_rp).await, None, "tokens still live");
    assert_eq!(s.revoked_at(s.own_rp2).await, None);
    assert_eq!(s.audit().await, [earlier]);
}

pub async fn disabling_an_unknown_user_is_not_found_and_writes_nothing(make: &impl MakeStore) {
    let s = seeded(make).await;
    let nobody = Uuid::new_v4();
    assert_matches!(
        s.store
            .disable_user(
                nobody,
                at(50),
                &event("user.disabled", format!("user:{nobody}"))
            )
            .await,
        Err(StorageError::NotFound { what: "user" })
    );
    assert!(
        s.audit().await.is_empty(),
        "no audit for what did not happen"
    );
    assert_eq!(s.revoked_at(s.own_rp).await, None);
    assert_eq!(s.revoked_at(s.other).await, None);
}

/// On SQLite a refused unit of work may share its transaction with other
/// writes (group commit): its rollback must not take them with it.
pub async fn a_refused_disable_does_not_undo_writes_made_beside_it(make: &impl MakeStore) {
    let s = seeded(make).await;
    let earlier = event("user.shown", format!("user:{}", s.somchai.id));
    s.store.append_audit(&earlier).await.must("append");
    let clashing = AuditEvent {
        id: earlier.id,
        ..event("user.disabled", format!("user:{}", s.somchai.id))
    };
    let beside = event("user.disabled", format!("user:{}", s.malee.id));

    let (refused, done, password) = tokio::join!(
        s.store.disable_user(s.somchai.id, at(50), &clashing),
        s.store.disable_user(s.malee.id, at(50), &beside),
        s.store
            .set_user_password(s.somchai.id, "$argon2id$new", at(40)),
    );

    assert_matches!(refused, Err(StorageError::AlreadyExists { .. }));
    assert_eq!(done.must("the other disable").refresh_tokens_revoked, 1);
    password.must("the password change");
    let somchai = s.user(s.somchai.id).await;
    assert_eq!(somchai.status, UserStatus::Active);
    assert_eq!(somchai.password_hash, "$argon2id$new");
    assert_eq!(s.revoked_at(s.own_rp).await, None);
    assert_eq!(s.user(s.malee.id).await.status, UserStatus::Disabled);
    assert_eq!(s.revoked_at(s.other).await, Some(at(50)));
    let mut ids: Vec<Uuid> = s.audit().await.iter().map(|e| e.id).collect();
    ids.sort();
    let mut want = vec![earlier.id, beside.id];
    want.sort();
    assert_eq!(ids, want);
}

pub async fn withdrawing_consent_revokes_that_clients_tokens_and_records_it(make: &impl MakeStore) {
    let s = seeded(make).await;
    for c in [
        consent(s.somchai.id, "rp"),
        consent(s.somchai.id, "rp2"),
        consent(s.malee.id, "rp"),
    ] {
        s.store.put_consent(&c).await.must("consent");
    }
    let record = event("consent.revoked", format!("consent:{}:rp", s.somchai.id));

    let outcome = s
        .store
        .withdraw_consent(s.somchai.id, "rp", at(50), &record)
        .await
        .must("withdraw");

    assert_eq!(
        outcome,
        WithdrawOutcome {
            consent_revoked: true,
            refresh_tokens_revoked: 1
        }
    );
    assert_eq!(s.store.consent(s.somchai.id, "rp").await.must("read"), None);
    assert!(
        s.store
            .consent(s.somchai.id, "rp2")
            .await
            .must("read")
            .is_some()
    );
    assert!(
        s.store
            .consent(s.malee.id, "rp")
            .await
            .must("read")
            .is_some()
    );
    assert_eq!(s.revoked_at(s.own_rp).await, Some(at(50)));
    assert_eq!(s.revoked_at(s.own_rp2).await, None, "another client's");
    assert_eq!(s.revoked_at(s.other).await, None, "another user's");
    assert_eq!(s.user(s.somchai.id).await.status, UserStatus::Active);
    assert_eq!(s.audit().await, [record]);

    // Nothing left to withdraw: still recorded, nothing else changes.
    let again = event("consent.revoked", format!("consent:{}:rp", s.somchai.id));
    let outcome = s
        .store
        .withdraw_consent(s.somchai.id, "rp", at(60), &again)
        .await
        .must("withdraw twice");
    assert_eq!(
        outcome,
        WithdrawOutcome {
            consent_revoked: false,
            refresh_tokens_revoked: 0
        }
    );
    assert_eq!(s.audit().await.len(), 2);
}

pub async fn a_withdrawal_whose_audit_is_refused_changes_nothing(make: &impl MakeStore) {
    let s = seeded(make).await;
    let remembered = consent(s.somchai.id, "rp");
    s.store.put_consent(&remembered).await.must("consent");
    let earlier = event("user.shown", format!("user:{}", s.somchai.id));
    s.store.append_audit(&earlier).await.must("append");
    let clashing = AuditEvent {
        id: earlier.id,
        ..event("consent.revoked", format!("consent:{}:rp", s.somchai.id))
    };

    assert_matches!(
        s.store
            .withdraw_consent(s.somchai.id, "rp", at(50), &clashing)
            .await,
        Err(StorageError::AlreadyExists {
            what: "audit_event_id"
        })
    );

    assert_eq!(
        s.store.consent(s.somchai.id, "rp").await.must("read"),
        Some(remembered),
        "consent kept"
    );
    assert_eq!(s.revoked_at(s.own_rp).await, None, "token still live");
    assert_eq!(s.audit().await, [earlier]);
}

pub async fn withdrawing_for_an_unknown_user_is_not_found_and_writes_nothing(
    make: &impl MakeStore,
) {
    let s = seeded(make).await;
    let nobody = Uuid::new_v4();
    assert_matches!(
        s.store
            .withdraw_consent(
                nobody,
                "rp",
                at(50),
                &event("consent.revoked", format!("consent:{nobody}:rp"))
            )
            .await,
        Err(StorageError::NotFound { what: "user" })
    );
    assert!(s.audit().await.is_empty());
    assert_eq!(s.revoked_at(s.own_rp).await, None);
}

pub async fn deleting_a_client_takes_its_grants_and_records_it(make: &impl MakeStore) {
    let s = seeded(make).await;
    s.store
        .put_consent(&consent(s.somchai.id, "rp"))
        .await
        .must("consent");
    s.store
        .put_consent(&consent(s.somchai.id, "rp2"))
        .await
        .must("consent");
    let record = event("client.deleted", "client:rp".to_owned());

    s.store
        .delete_client_with_audit("rp", &record)
        .await
        .must("delete");

    assert_eq!(s.store.client_by_id("rp").await.must("read"), None);
    assert_eq!(s.store.consent(s.somchai.id, "rp").await.must("read"), None);
    assert_eq!(s.family(s.own_rp).await, None, "its tokens went with it");
    assert_eq!(s.family(s.other).await, None);
    assert!(s.store.client_by_id("rp2").await.must("read").is_some());
    assert!(
        s.store
            .consent(s.somchai.id, "rp2")
            .await
            .must("read")
            .is_some()
    );
    assert_eq!(s.revoked_at(s.own_rp2).await, None);
    assert_eq!(s.audit().await, [record]);
}

pub async fn a_client_delete_whose_audit_is_refused_changes_nothing(make: &impl MakeStore) {
    let s = seeded(make).await;
    let remembered = consent(s.somchai.id, "rp");
    s.store.put_consent(&remembered).await.must("consent");
    let earlier = audit_event(t0(), "cli", "client.shown");
    s.store.append_audit(&earlier).await.must("append");
    let clashing = AuditEvent {
        id: earlier.id,
        ..event("client.deleted", "client:rp".to_owned())
    };

    assert_matches!(
        s.store.delete_client_with_audit("rp", &clashing).await,
        Err(StorageError::AlreadyExists {
            what: "audit_event_id"
        })
    );

    assert!(s.store.client_by_id("rp").await.must("read").is_some());
    assert_eq!(
        s.store.consent(s.somchai.id, "rp").await.must("read"),
        Some(remembered)
    );
    assert_eq!(s.revoked_at(s.own_rp).await, None, "its tokens are back");
    assert_eq!(s.revoked_at(s.other).await, None);
    assert_eq!(s.audit().await, [earlier]);
}

pub async fn deleting_an_unknown_client_is_not_found_and_writes_nothing(make: &impl MakeStore) {
    let s = seeded(make).await;
    assert_matches!(
        s.store
            .delete_client_with_audit("ghost", &event("client.deleted", "client:ghost".into()))
            .await,
        Err(StorageError::NotFound { what: "client" })
    );
    assert!(s.audit().await.is_empty());
    assert!(s.store.client_by_id("rp").await.must("read").is_some());
}
