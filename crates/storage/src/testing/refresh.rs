//! The refresh-token suite: families, rotation, reuse detection,
//! revocation, expiry.

use std::sync::Arc;

use uuid::Uuid;

use super::fixtures::{at, client, refresh_token, user};
use super::{MakeStore, Must};
use crate::error::StorageError;
use crate::records::{RefreshKey, RefreshToken, Rotation, Successor, User};
use crate::repo::Store;

pub async fn run(make: &impl MakeStore) {
    refresh_tokens_round_trip(make).await;
    rotating_the_current_token_replaces_it_in_its_family(make).await;
    a_token_without_a_user_rotates_with_none(make).await;
    another_clients_token_is_unknown_and_untouched(make).await;
    replaying_a_spent_token_revokes_the_family(make).await;
    presenting_a_revoked_token_is_reuse(make).await;
    expired_and_unknown_tokens_rotate_to_nothing(make).await;
    racing_rotations_of_one_token_rotate_once(make).await;
    many_families_at_once_each_get_their_own_answer(make).await;
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

fn key(family_id: Uuid, token_hash: &[u8]) -> RefreshKey<'_> {
    RefreshKey::Family {
        family_id,
        token_hash,
    }
}

async fn read(store: &Arc<dyn Store>, family: Uuid, hash: &[u8]) -> RefreshToken {
    store
        .refresh_token(key(family, hash))
        .await
        .must("read token")
        .must("token exists")
}

/// Presents `presented` of `family` as `client`, to be replaced by `next`.
async fn rotate(
    store: &Arc<dyn Store>,
    (family, presented): (Uuid, &[u8]),
    client: &str,
    next: &Successor,
    now: time::OffsetDateTime,
    what: &str,
) -> Rotation {
    store
        .rotate_refresh_token(key(family, presented), client, next, now)
        .await
        .must(what)
}

fn next(hash: &[u8], at_secs: i64) -> Successor {
    Successor {
        token_hash: hash.to_vec(),
        issued_at: at(at_secs),
        expires_at: at(at_secs + 86_400),
    }
}

pub async fn refresh_tokens_round_trip(make: &impl MakeStore) {
    let (store, _g, u) = seeded(make).await;
    let family = Uuid::new_v4();
    let t = refresh_token(b"t1", family, "rp", Some(u.id));
    store.insert_refresh_token(&t).await.must("insert");
    assert_eq!(read(&store, family, b"t1").await, t);

    let bare_family = Uuid::new_v4();
    let bare = RefreshToken {
        user_id: None,
        session_id: None,
        grant: serde_json::json!({}),
        revoked_at: Some(at(6)),
        ..refresh_token(b"t2", bare_family, "rp", None)
    };
    store.insert_refresh_token(&bare).await.must("insert bare");
    assert_eq!(read(&store, bare_family, b"t2").await, bare);

    // Another digest of a known family reads as a spent token of it.
    assert_eq!(
        read(&store, family, b"older").await,
        RefreshToken {
            token_hash: b"older".to_vec(),
            used_at: Some(t.issued_at),
            ..t.clone()
        }
    );
    assert_eq!(
        store
            .refresh_token(key(Uuid::new_v4(), b"t1"))
            .await
            .must("unknown family"),
        None
    );
    assert_eq!(
        store
            .refresh_token(RefreshKey::Legacy { token_hash: b"t1" })
            .await
            .must("no legacy digests"),
        None
    );
    assert_matches!(
        store.insert_refresh_token(&t).await,
        Err(StorageError::AlreadyExists {
            what: "refresh_token"
        })
    );
}

pub async fn rotating_the_current_token_replaces_it_in_its_family(make: &impl MakeStore) {
    let (store, _g, u) = seeded(make).await;
    let family = Uuid::new_v4();
    let t1 = refresh_token(b"t1", family, "rp", Some(u.id));
    store.insert_refresh_token(&t1).await.must("insert");

    let rotation = rotate(
        &store,
        (family, b"t1"),
        "rp",
        &next(b"t2", 600),
        at(600),
        "rotate",
    )
    .await;
    // The successor is the family under the new digest and times.
    let t2 = RefreshToken {
        token_hash: b"t2".to_vec(),
        issued_at: at(600),
        expires_at: at(600 + 86_400),
        ..t1.clone()
    };
    assert_eq!(
        rotation,
        Rotation::Rotated {
            current: t2.clone(),
            user: Some(u.clone()),
        }
    );
    assert_eq!(read(&store, family, b"t2").await, t2);
    assert_eq!(read(&store, family, b"t1").await.used_at, Some(at(600)));

    // The successor rotates in turn.
    assert_matches!(
        store
            .rotate_refresh_token(key(family, b"t2"), "rp", &next(b"t3", 1200), at(1200))
            .await,
        Ok(Rotation::Rotated { .. })
    );
}

pub async fn replaying_a_spent_token_revokes_the_family(make: &impl MakeStore) {
    let (store, _g, u) = seeded(make).await;
    let family = Uuid::new_v4();
    let other_family = Uuid::new_v4();
    store
        .insert_refresh_token(&refresh_token(b"t1", family, "rp", Some(u.id)))
        .await
        .must("insert");
    store
        .insert_refresh_token(&refresh_token(b"other", other_family, "rp", Some(u.id)))
        .await
        .must("insert other");
    rotate(
        &store,
        (family, b"t1"),
        "rp",
        &next(b"t2", 600),
        at(600),
        "rotate",
    )
    .await;

    // An attacker replays t1.
    let stolen = next(b"t2-attacker", 700);
    assert_eq!(
        rotate(&store, (family, b"t1"), "rp", &stolen, at(700), "replay").await,
        Rotation::Reused { family_id: family }
    );
    assert_eq!(read(&store, family, b"t2").await.revoked_at, Some(at(700)));
    assert_eq!(read(&store, family, b"t2").await.used_at, None);
    assert_eq!(read(&store, other_family, b"other").await.revoked_at, None);

    // The legitimate successor is now dead too.
    assert_eq!(
        rotate(
            &store,
            (family, b"t2"),
            "rp",
            &next(b"t3", 800),
            at(800),
            "after revocation"
        )
        .await,
        Rotation::Reused { family_id: family }
    );
    assert_eq!(
        read(&store, family, b"t3").await.used_at,
        Some(at(600)),
        "never stored"
    );
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
        rotate(
            &store,
            (family, b"t1"),
            "rp",
            &next(b"t2", 20),
            at(20),
            "rotate"
        )
        .await,
        Rotation::Reused { family_id: family }
    );
    // The revocation time of the logout stands.
    assert_eq!(read(&store, family, b"t1").await.revoked_at, Some(at(10)));
}

pub async fn expired_and_unknown_tokens_rotate_to_nothing(make: &impl MakeStore) {
    let (store, _g, u) = seeded(make).await;
    let family = Uuid::new_v4();
    let t1 = RefreshToken {
        expires_at: at(100),
        ..refresh_token(b"t1", family, "rp", Some(u.id))
    };
    store.insert_refresh_token(&t1).await.must("insert");

    assert_eq!(
        rotate(
            &store,
            (family, b"t1"),
            "rp",
            &next(b"t2", 100),
            at(100),
            "at expiry"
        )
        .await,
        Rotation::Unknown
    );
    assert_eq!(
        rotate(
            &store,
            (Uuid::new_v4(), b"t1"),
            "rp",
            &next(b"t3", 50),
            at(50),
            "unknown"
        )
        .await,
        Rotation::Unknown
    );
    assert_eq!(
        store
            .rotate_refresh_token(
                RefreshKey::Legacy { token_hash: b"t1" },
                "rp",
                &next(b"t4", 50),
                at(50)
            )
            .await
            .must("unknown legacy"),
        Rotation::Unknown
    );
    assert_eq!(
        read(&store, family, b"t1").await,
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
            let successor = next(format!("next-{i}").as_bytes(), 600);
            tokio::spawn(async move {
                store
                    .rotate_refresh_token(key(family, b"t1"), "rp", &successor, at(600))
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
    assert!(
        read(&store, family, b"t1").await.revoked_at.is_some(),
        "the winner's successor is revoked with its family"
    );
}

/// Forty families started at once, one of them twice, then every one
/// rotated at once with a spent token among them: each request gets its own
/// answer, whether the store runs them one by one or together (PostgreSQL
/// batches them): the second start of the same family is refused for that
/// request alone, each rotation returns its own family and user, and the
/// spent token revokes only its family.
pub async fn many_families_at_once_each_get_their_own_answer(make: &impl MakeStore) {
    let (store, _g, u) = seeded(make).await;
    let other = user("other");
    store.create_user(&other).await.must("user");
    let families: Vec<(Uuid, Uuid)> = (0..40)
        .map(|i| (Uuid::new_v4(), if i % 2 == 0 { u.id } else { other.id }))
        .collect();
    // Family 7 is started twice, identically: whichever start comes second
    // (the order is the scheduler's) is refused.
    let mut starts = tokio::task::JoinSet::new();
    let twice = families.iter().enumerate().chain([(7, &families[7])]);
    for (i, &(family, owner)) in twice {
        let store = store.clone();
        starts.spawn(async move {
            let t = refresh_token(format!("t-{i}").as_bytes(), family, "rp", Some(owner));
            (i, store.insert_refresh_token(&t).await)
        });
    }
    let mut refused = Vec::new();
    for (i, answer) in starts.join_all().await {
        match answer {
            Ok(()) => {}
            Err(StorageError::AlreadyExists { what }) => {
                assert_eq!(what, "refresh_token");
                refused.push(i);
            }
            Err(e) => panic!("family {i} did not start: {e:?}"),
        }
    }
    assert_eq!(refused, [7], "only the second start of family 7 is refused");

    let mut rotations = tokio::task::JoinSet::new();
    for (i, &(family, owner)) in families.iter().enumerate() {
        let store = store.clone();
        rotations.spawn(async move {
            // Family 3 presents a token that was never its current one.
            let presented = match i {
                3 => "spent".to_owned(),
                _ => format!("t-{i}"),
            };
            let successor = next(format!("n-{i}").as_bytes(), 600);
            let r = store
                .rotate_refresh_token(key(family, presented.as_bytes()), "rp", &successor, at(600))
                .await;
            (i, family, owner, r)
        });
    }
    for (i, family, owner, answer) in rotations.join_all().await {
        match (i, answer.must("rotate")) {
            (3, Rotation::Reused { family_id }) => assert_eq!(family_id, family),
            (3, other) => panic!("the spent token rotated: {other:?}"),
            (_, Rotation::Rotated { current, user }) => {
                assert_eq!(current.family_id, family);
                assert_eq!(current.token_hash, format!("n-{i}").into_bytes());
                assert_eq!(user.must("user").id, owner);
            }
            (_, other) => panic!("family {i} did not rotate: {other:?}"),
        }
    }
    for (i, &(family, _)) in families.iter().enumerate() {
        let current = read(&store, family, format!("n-{i}").as_bytes()).await;
        assert_eq!(current.revoked_at.is_some(), i == 3, "family {i}");
    }
}

pub async fn revocation_by_family_session_and_user(make: &impl MakeStore) {
    let (store, _g, u) = seeded(make).await;
    let other_user = user("other");
    store.create_user(&other_user).await.must("user");
    let fam_a = Uuid::new_v4();
    let fam_b = Uuid::new_v4();
    let fam_c = Uuid::new_v4();
    let tokens = [
        refresh_token(b"a1", fam_a, "rp", Some(u.id)),
        RefreshToken {
            session_id: Some("sid-2".into()),
            ..refresh_token(b"b1", fam_b, "rp", Some(u.id))
        },
        RefreshToken {
            session_id: Some("sid-3".into()),
            ..refresh_token(b"c1", fam_c, "rp", Some(other_user.id))
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
        1
    );
    assert_eq!(
        store
            .revoke_refresh_family(fam_a, at(11))
            .await
            .must("family again"),
        0
    );
    assert_eq!(read(&store, fam_a, b"a1").await.revoked_at, Some(at(10)));
    assert_eq!(read(&store, fam_b, b"b1").await.revoked_at, None);

    assert_eq!(
        store
            .revoke_refresh_by_session("sid-2", at(20))
            .await
            .must("session"),
        1
    );
    assert_eq!(read(&store, fam_b, b"b1").await.revoked_at, Some(at(20)));
    assert_eq!(read(&store, fam_c, b"c1").await.revoked_at, None);

    assert_eq!(
        store
            .revoke_refresh_by_user(other_user.id, at(30))
            .await
            .must("user"),
        1
    );
    assert_eq!(read(&store, fam_c, b"c1").await.revoked_at, Some(at(30)));
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
    let short_family = Uuid::new_v4();
    let long_family = Uuid::new_v4();
    let short = RefreshToken {
        expires_at: at(100),
        ..refresh_token(b"short", short_family, "rp", Some(u.id))
    };
    let long = refresh_token(b"long", long_family, "rp", Some(u.id));
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
    assert_eq!(
        store
            .refresh_token(key(short_family, b"short"))
            .await
            .must("read"),
        None
    );
    assert!(
        store
            .refresh_token(key(long_family, b"long"))
            .await
            .must("read")
            .is_some()
    );
}

pub async fn a_token_without_a_user_rotates_with_none(make: &impl MakeStore) {
    let (store, _g, _u) = seeded(make).await;
    let family = Uuid::new_v4();
    let t1 = refresh_token(b"t1", family, "rp", None);
    store.insert_refresh_token(&t1).await.must("insert");
    assert_matches!(
        rotate(
            &store,
            (family, b"t1"),
            "rp",
            &next(b"t2", 600),
            at(600),
            "rotate"
        )
        .await,
        Rotation::Rotated { user: None, .. }
    );
    assert_eq!(read(&store, family, b"t2").await.user_id, None);
}

/// A client presenting another client's token — fresh or spent — learns
/// nothing and changes nothing: no rotation, no family revocation.
pub async fn another_clients_token_is_unknown_and_untouched(make: &impl MakeStore) {
    let (store, _g, u) = seeded(make).await;
    store.create_client(&client("other")).await.must("client");
    let family = Uuid::new_v4();
    let t1 = refresh_token(b"t1", family, "rp", Some(u.id));
    store.insert_refresh_token(&t1).await.must("insert");

    assert_eq!(
        rotate(
            &store,
            (family, b"t1"),
            "other",
            &next(b"t2", 600),
            at(600),
            "fresh, other client"
        )
        .await,
        Rotation::Unknown
    );
    assert_eq!(read(&store, family, b"t1").await, t1);

    rotate(
        &store,
        (family, b"t1"),
        "rp",
        &next(b"t3", 700),
        at(700),
        "rotate",
    )
    .await;
    assert_eq!(
        rotate(
            &store,
            (family, b"t1"),
            "other",
            &next(b"t4", 800),
            at(800),
            "spent, other client"
        )
        .await,
        Rotation::Unknown
    );
    assert_eq!(read(&store, family, b"t3").await.revoked_at, None);
}

/// A token as stored before migration 0004 (one row per token), of client
/// `rp`, valid until `at(86_400)`; times in seconds after `t0`.
#[derive(Debug)]
pub struct LegacyToken {
    pub hash: &'static [u8],
    pub family_id: Uuid,
    pub issued: i64,
    pub used: Option<i64>,
    pub revoked: Option<i64>,
}

/// What each backend's migration test seeds at the schema before 0004:
/// family `a` holds `old` (issued at `t0`, spent at 60 s) and `current`
/// (issued at 60 s); family `b` holds `gone`, revoked at 30 s.
pub fn legacy_tokens(a: Uuid, b: Uuid) -> [LegacyToken; 3] {
    let token = |hash, family_id, issued, used, revoked| LegacyToken {
        hash,
        family_id,
        issued,
        used,
        revoked,
    };
    [
        token(b"old", a, 0, Some(60), None),
        token(b"current", a, 60, None, None),
        token(b"gone", b, 0, None, Some(30)),
    ]
}

/// After the migration, the [`legacy_tokens`] are found by digest:
/// `current` still rotates (into a token that names its family), `old` is
/// still a replay.
pub async fn legacy_tokens_after_migration(store: &Arc<dyn Store>, a: Uuid, b: Uuid) {
    let legacy = |h: &'static [u8]| RefreshKey::Legacy { token_hash: h };
    let current = store
        .refresh_token(legacy(b"current"))
        .await
        .must("read")
        .must("the current token is kept");
    assert_eq!(
        (
            current.family_id,
            current.used_at,
            current.revoked_at,
            current.issued_at
        ),
        (a, None, None, at(60))
    );
    let old = store
        .refresh_token(legacy(b"old"))
        .await
        .must("read")
        .must("the spent token is known");
    assert_eq!((old.family_id, old.used_at), (a, Some(at(60))));
    assert_eq!(
        store
            .refresh_token(legacy(b"gone"))
            .await
            .must("read")
            .map(|t| t.revoked_at),
        Some(Some(at(30)))
    );

    let rotation = store
        .rotate_refresh_token(legacy(b"current"), "rp", &next(b"n1", 120), at(120))
        .await
        .must("rotate the legacy token");
    let Rotation::Rotated { current, .. } = rotation else {
        panic!("the legacy token did not rotate: {rotation:?}");
    };
    assert_eq!(
        (current.token_hash.as_slice(), current.family_id),
        (&b"n1"[..], a)
    );
    assert_matches!(
        store
            .rotate_refresh_token(key(a, b"n1"), "rp", &next(b"n2", 180), at(180))
            .await,
        Ok(Rotation::Rotated { .. })
    );
    assert_eq!(
        store
            .rotate_refresh_token(legacy(b"old"), "rp", &next(b"n3", 240), at(240))
            .await
            .must("replay"),
        Rotation::Reused { family_id: a }
    );
    assert_eq!(read(store, a, b"n2").await.revoked_at, Some(at(240)));
    assert_eq!(
        store
            .rotate_refresh_token(legacy(b"gone"), "rp", &next(b"n4", 240), at(240))
            .await
            .must("revoked"),
        Rotation::Reused { family_id: b }
    );
    assert_eq!(read(store, b, b"gone").await.revoked_at, Some(at(30)));

    // Families expire and take their old digests with them.
    store
        .delete_expired_refresh_tokens(at(10 * 86_400))
        .await
        .must("expire");
    assert_eq!(store.refresh_token(legacy(b"old")).await.must("read"), None);
}
