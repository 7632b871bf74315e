//! The refresh-token suite: rotation, reuse detection, revocation, expiry.

use std::sync::Arc;

use uuid::Uuid;

use super::fixtures::{at, client, refresh_token, user};
use super::{MakeStore, Must};
use crate::error::StorageError;
use crate::records::{RefreshToken, Rotation, Successor, User};
use crate::repo::Store;

pub async fn run(make: &impl MakeStore) {
    refresh_tokens_round_trip(make).await;
    rotating_a_current_token_marks_it_used_and_stores_the_next(make).await;
    a_token_without_a_user_rotates_with_none(make).await;
    another_clients_token_is_unknown_and_untouched(make).await;
    replaying_a_used_token_revokes_the_family(make).await;
    presenting_a_revoked_token_is_reuse(make).await;
    expired_and_unknown_tokens_rotate_to_nothing(make).await;
    racing_rotations_of_one_token_rotate_once(make).await;
    revocation_by_family_session_and_user(make).await;
    retention_deletes_expired_tokens(make).await;
}

/// A store with client `rp` and a user.
async fn seeded(make: &impl MakeStore) -> (Arc<dyn Store>, super::TestGuard, User) {
    let (store, guard) = make().await;
    store.create_client(&client("rp")).await.must("client");
    let u = user("somchai");
    store.create_user(&u).await.must("user");
    (store, guard, u)
}

async fn read(store: &Arc<dyn Store>, hash: &[u8]) -> RefreshToken {
    store
        .refresh_token(hash)
        .await
        .must("read token")
        .must("token exists")
}

/// Presents `presented` as `client`, to be replaced by `next`.
async fn rotate(
    store: &Arc<dyn Store>,
    presented: &[u8],
    client: &str,
    next: &Successor,
    now: time::OffsetDateTime,
    what: &str,
) -> Rotation {
    store
        .rotate_refresh_token(presented, client, next, now)
        .await
        .must(what)
}

fn next(hash: &[u8]) -> Successor {
    Successor {
        token_hash: hash.to_vec(),
        issued_at: at(600),
        expires_at: at(600 + 86_400),
    }
}

pub async fn refresh_tokens_round_trip(make: &impl MakeStore) {
    let (store, _g, u) = seeded(make).await;
    let t = refresh_token(b"t1", Uuid::new_v4(), "rp", Some(u.id));
    store.insert_refresh_token(&t).await.must("insert");
    assert_eq!(read(&store, b"t1").await, t);

    let bare = RefreshToken {
        user_id: None,
        session_id: None,
        grant: serde_json::json!({}),
        used_at: Some(at(5)),
        revoked_at: Some(at(6)),
        ..refresh_token(b"t2", Uuid::new_v4(), "rp", None)
    };
    store.insert_refresh_token(&bare).await.must("insert bare");
    assert_eq!(read(&store, b"t2").await, bare);

    assert_eq!(store.refresh_token(b"nope").await.must("unknown"), None);
    assert_matches!(
        store.insert_refresh_token(&t).await,
        Err(StorageError::AlreadyExists {
            what: "refresh_token"
        })
    );
}

pub async fn rotating_a_current_token_marks_it_used_and_stores_the_next(make: &impl MakeStore) {
    let (store, _g, u) = seeded(make).await;
    let t1 = refresh_token(b"t1", Uuid::new_v4(), "rp", Some(u.id));
    store.insert_refresh_token(&t1).await.must("insert");
    let t2 = next(b"t2");

    let rotation = rotate(&store, b"t1", "rp", &t2, at(600), "rotate").await;
    let used = RefreshToken {
        used_at: Some(at(600)),
        ..t1.clone()
    };
    assert_eq!(
        rotation,
        Rotation::Rotated {
            old: used.clone(),
            user: Some(u.clone()),
        }
    );
    assert_eq!(read(&store, b"t1").await, used);
    // The successor is the presented token under the new hash and times.
    assert_eq!(
        read(&store, b"t2").await,
        RefreshToken {
            token_hash: b"t2".to_vec(),
            issued_at: at(600),
            expires_at: at(600 + 86_400),
            ..t1
        }
    );

    // The successor rotates in turn.
    let t3 = next(b"t3");
    assert_matches!(
        store.rotate_refresh_token(b"t2", "rp", &t3, at(1200)).await,
        Ok(Rotation::Rotated { .. })
    );
}

pub async fn replaying_a_used_token_revokes_the_family(make: &impl MakeStore) {
    let (store, _g, u) = seeded(make).await;
    let family = Uuid::new_v4();
    let t1 = refresh_token(b"t1", family, "rp", Some(u.id));
    let other = refresh_token(b"other", Uuid::new_v4(), "rp", Some(u.id));
    store.insert_refresh_token(&t1).await.must("insert");
    store
        .insert_refresh_token(&other)
        .await
        .must("insert other");
    let t2 = next(b"t2");
    rotate(&store, b"t1", "rp", &t2, at(600), "rotate").await;

    // An attacker replays t1.
    let stolen = next(b"t2-attacker");
    assert_eq!(
        rotate(&store, b"t1", "rp", &stolen, at(700), "replay").await,
        Rotation::Reused { family_id: family }
    );
    assert_eq!(store.refresh_token(b"t2-attacker").await.must("read"), None);
    assert_eq!(read(&store, b"t2").await.revoked_at, Some(at(700)));
    assert_eq!(read(&store, b"t1").await.revoked_at, Some(at(700)));
    assert_eq!(read(&store, b"other").await.revoked_at, None);

    // The legitimate successor is now dead too.
    let t3 = next(b"t3");
    assert_eq!(
        rotate(&store, b"t2", "rp", &t3, at(800), "after revocation").await,
        Rotation::Reused { family_id: family }
    );
    assert_eq!(store.refresh_token(b"t3").await.must("read"), None);
}

pub async fn presenting_a_revoked_token_is_reuse(make: &impl MakeStore) {
    let (store, _g, u) = seeded(make).await;
    let family = Uuid::new_v4();
    let t1 = refresh_token(b"t1", family, "rp", Some(u.id));
    store.insert_refresh_token(&t1).await.must("insert");
    store
        .revoke_refresh_by_session("sid-1", at(10))
        .await
        .must("logout");
    assert_eq!(
        rotate(&store, b"t1", "rp", &next(b"t2"), at(20), "rotate").await,
        Rotation::Reused { family_id: family }
    );
    // The revocation time of the logout stands.
    assert_eq!(read(&store, b"t1").await.revoked_at, Some(at(10)));
}

pub async fn expired_and_unknown_tokens_rotate_to_nothing(make: &impl MakeStore) {
    let (store, _g, u) = seeded(make).await;
    let t1 = RefreshToken {
        expires_at: at(100),
        ..refresh_token(b"t1", Uuid::new_v4(), "rp", Some(u.id))
    };
    store.insert_refresh_token(&t1).await.must("insert");

    assert_eq!(
        rotate(&store, b"t1", "rp", &next(b"t2"), at(100), "at expiry").await,
        Rotation::Unknown
    );
    assert_eq!(
        rotate(&store, b"missing", "rp", &next(b"t3"), at(50), "unknown").await,
        Rotation::Unknown
    );
    assert_eq!(store.refresh_token(b"t2").await.must("read"), None);
    assert_eq!(store.refresh_token(b"t3").await.must("read"), None);
    assert_eq!(
        read(&store, b"t1").await,
        t1,
        "an expired token is not touched"
    );
}

/// Ten rotations of one token at once: one rotates; every other one is a
/// replay and revokes the family (including the winner's successor).
pub async fn racing_rotations_of_one_token_rotate_once(make: &impl MakeStore) {
    let (store, _g, u) = seeded(make).await;
    let family = Uuid::new_v4();
    let t1 = refresh_token(b"t1", family, "rp", Some(u.id));
    store.insert_refresh_token(&t1).await.must("insert");

    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let store = store.clone();
            let successor = next(format!("next-{i}").as_bytes());
            tokio::spawn(async move {
                store
                    .rotate_refresh_token(b"t1", "rp", &successor, at(600))
                    .await
            })
        })
        .collect();
    let mut rotated = 0;
    for task in tasks {
        match task.await.must("task").must("rotate") {
            Rotation::Rotated { .. } => rotated += 1,
            Rotation::Reused { family_id } => assert_eq!(family_id, family),
            Rotation::Unknown => panic!("a racing rotation saw no token"),
        }
    }
    assert_eq!(rotated, 1);
    for i in 0..10 {
        if let Some(t) = store
            .refresh_token(format!("next-{i}").as_bytes())
            .await
            .must("read")
        {
            assert!(t.revoked_at.is_some(), "the winner's successor is revoked");
        }
    }
}

pub async fn revocation_by_family_session_and_user(make: &impl MakeStore) {
    let (store, _g, u) = seeded(make).await;
    let other_user = user("other");
    store.create_user(&other_user).await.must("user");
    let fam_a = Uuid::new_v4();
    let fam_b = Uuid::new_v4();
    let tokens = [
        refresh_token(b"a1", fam_a, "rp", Some(u.id)),
        refresh_token(b"a2", fam_a, "rp", Some(u.id)),
        RefreshToken {
            session_id: Some("sid-2".into()),
            ..refresh_token(b"b1", fam_b, "rp", Some(u.id))
        },
        RefreshToken {
            session_id: Some("sid-3".into()),
            ..refresh_token(b"c1", Uuid::new_v4(), "rp", Some(other_user.id))
        },
    ];
    for t in &tokens {
        store.insert_refresh_token(t).await.must("insert");
    }

    assert_eq!(
        store
            .revoke_refresh_family(fam_a, at(10))
            .await
            .must("family"),
        2
    );
    assert_eq!(
        store
            .revoke_refresh_family(fam_a, at(11))
            .await
            .must("family again"),
        0
    );
    assert_eq!(read(&store, b"a1").await.revoked_at, Some(at(10)));
    assert_eq!(read(&store, b"b1").await.revoked_at, None);

    assert_eq!(
        store
            .revoke_refresh_by_session("sid-2", at(20))
            .await
            .must("session"),
        1
    );
    assert_eq!(read(&store, b"b1").await.revoked_at, Some(at(20)));
    assert_eq!(read(&store, b"c1").await.revoked_at, None);

    assert_eq!(
        store
            .revoke_refresh_by_user(other_user.id, at(30))
            .await
            .must("user"),
        1
    );
    assert_eq!(read(&store, b"c1").await.revoked_at, Some(at(30)));
    assert_eq!(
        store
            .revoke_refresh_by_user(u.id, at(40))
            .await
            .must("user with nothing live"),
        0
    );
}

pub async fn retention_deletes_expired_tokens(make: &impl MakeStore) {
    let (store, _g, u) = seeded(make).await;
    let short = RefreshToken {
        expires_at: at(100),
        ..refresh_token(b"short", Uuid::new_v4(), "rp", Some(u.id))
    };
    let long = refresh_token(b"long", Uuid::new_v4(), "rp", Some(u.id));
    store.insert_refresh_token(&short).await.must("insert");
    store.insert_refresh_token(&long).await.must("insert");

    assert_eq!(
        store
            .delete_expired_refresh_tokens(at(100))
            .await
            .must("delete"),
        0
    );
    assert_eq!(
        store
            .delete_expired_refresh_tokens(at(101))
            .await
            .must("delete"),
        1
    );
    assert_eq!(store.refresh_token(b"short").await.must("read"), None);
    assert!(store.refresh_token(b"long").await.must("read").is_some());
}

pub async fn a_token_without_a_user_rotates_with_none(make: &impl MakeStore) {
    let (store, _g, _u) = seeded(make).await;
    let t1 = refresh_token(b"t1", Uuid::new_v4(), "rp", None);
    store.insert_refresh_token(&t1).await.must("insert");
    assert_matches!(
        rotate(&store, b"t1", "rp", &next(b"t2"), at(600), "rotate").await,
        Rotation::Rotated { user: None, .. }
    );
    assert_eq!(read(&store, b"t2").await.user_id, None);
}

/// A client presenting another client's token — fresh or spent — learns
/// nothing and changes nothing: no rotation, no family revocation.
pub async fn another_clients_token_is_unknown_and_untouched(make: &impl MakeStore) {
    let (store, _g, u) = seeded(make).await;
    store.create_client(&client("other")).await.must("client");
    let t1 = refresh_token(b"t1", Uuid::new_v4(), "rp", Some(u.id));
    store.insert_refresh_token(&t1).await.must("insert");

    assert_eq!(
        rotate(
            &store,
            b"t1",
            "other",
            &next(b"t2"),
            at(600),
            "fresh, other client"
        )
        .await,
        Rotation::Unknown
    );
    assert_eq!(read(&store, b"t1").await, t1);
    assert_eq!(store.refresh_token(b"t2").await.must("read"), None);

    rotate(&store, b"t1", "rp", &next(b"t3"), at(700), "rotate").await;
    assert_eq!(
        rotate(
            &store,
            b"t1",
            "other",
            &next(b"t4"),
            at(800),
            "spent, other client"
        )
        .await,
        Rotation::Unknown
    );
    assert_eq!(read(&store, b"t3").await.revoked_at, None);
}
