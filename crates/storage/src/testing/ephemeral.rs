//! The ephemeral-store suite, for the in-memory store and Redis.
//!
//! Expiry is exercised through [`TimeTravel`]: the in-memory store's
//! `MockClock` is moved forward; Redis keeps its own time, so its runs sleep
//! past the (short) TTLs instead.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use super::{Fut, Must, TestGuard};
use crate::clock::MockClock;
use crate::ephemeral::EphemeralStore;
use crate::ephemeral::memory::MemoryStore;

/// How a suite makes time pass for the store under test.
#[derive(Debug, Clone)]
pub enum TimeTravel {
    /// The store reads this clock: advance it.
    Mock(MockClock),
    /// The store keeps real time (Redis): sleep, with a margin.
    Real,
}

impl TimeTravel {
    pub async fn pass(&self, by: Duration) {
        match self {
            Self::Mock(clock) => clock.advance(time::Duration::try_from(by).must("duration")),
            Self::Real => tokio::time::sleep(by + Duration::from_millis(50)).await,
        }
    }
}

/// A fresh, empty ephemeral store, its time control, and its guard.
#[derive(Debug)]
pub struct EphemeralUnderTest {
    pub store: Arc<dyn EphemeralStore>,
    pub time: TimeTravel,
    pub guard: TestGuard,
}

/// Makes a fresh ephemeral store per call.
pub trait MakeEphemeral: Fn() -> Fut<EphemeralUnderTest> + Send + Sync {}
impl<F: Fn() -> Fut<EphemeralUnderTest> + Send + Sync> MakeEphemeral for F {}

/// An in-memory store on a `MockClock`, holding up to 10 000 keys.
pub fn memory_store() -> EphemeralUnderTest {
    let clock = MockClock::default();
    EphemeralUnderTest {
        store: Arc::new(MemoryStore::new(Arc::new(clock.clone()), 10_000)),
        time: TimeTravel::Mock(clock),
        guard: TestGuard::none(),
    }
}

/// The TTL the expiry cases use: short enough for Redis's real sleeps, long
/// enough that a busy machine does not expire keys between two calls.
const TTL: Duration = Duration::from_millis(1000);
const HALF: Duration = Duration::from_millis(500);
const LONG: Duration = Duration::from_secs(600);

pub async fn run_ephemeral_suite(make: impl MakeEphemeral) {
    values(&make).await;
    take(&make).await;
    expiry(&make).await;
    counters(&make).await;
    sliding_counters(&make).await;
    sets(&make).await;
    writes_together(&make).await;
    notices(&make).await;
}

/// put / put_disposable / get / put_if_absent / delete / ping.
pub async fn values(make: &impl MakeEphemeral) {
    let t = make().await;
    let s = &t.store;
    assert_eq!(s.get("missing").await.must("get"), None);
    s.put("k", b"one", LONG).await.must("put");
    assert_eq!(s.get("k").await.must("get"), Some(b"one".to_vec()));
    s.put("k", b"two", LONG).await.must("overwrite");
    assert_eq!(s.get("k").await.must("get"), Some(b"two".to_vec()));
    s.put("binary", &[0, 255, 1], LONG).await.must("put");
    assert_eq!(s.get("binary").await.must("get"), Some(vec![0, 255, 1]));

    assert!(s.put_if_absent("once", b"a", LONG).await.must("first"));
    assert!(!s.put_if_absent("once", b"b", LONG).await.must("second"));
    assert_eq!(s.get("once").await.must("get"), Some(b"a".to_vec()));

    assert!(s.delete("k").await.must("delete"));
    assert!(!s.delete("k").await.must("delete again"));
    assert_eq!(s.get("k").await.must("get"), None);

    // A disposable entry reads like any other (a store with room takes it).
    s.put_disposable("authz:p", b"pending", LONG)
        .await
        .must("put_disposable");
    assert_eq!(
        s.get("authz:p").await.must("get"),
        Some(b"pending".to_vec())
    );
    s.put_disposable("authz:p", b"again", LONG)
        .await
        .must("replace");
    assert_eq!(s.get("authz:p").await.must("get"), Some(b"again".to_vec()));

    s.ping().await.must("ping");
    assert!(["memory", "redis"].contains(&s.backend()));
}

/// take is single-use, also under a race of 50 tasks.
pub async fn take(make: &impl MakeEphemeral) {
    let t = make().await;
    let s = &t.store;
    assert_eq!(s.take("missing").await.must("take"), None);
    s.put("code", b"grant", LONG).await.must("put");
    assert_eq!(s.take("code").await.must("take"), Some(b"grant".to_vec()));
    assert_eq!(s.take("code").await.must("take again"), None);
    assert_eq!(s.get("code").await.must("get"), None);

    for round in 0..3 {
        let key = format!("race-{round}");
        s.put(&key, b"prize", LONG).await.must("put");
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let s = s.clone();
                let key = key.clone();
                tokio::spawn(async move { s.take(&key).await })
            })
            .collect();
        let mut winners = 0;
        for task in tasks {
            if let Some(v) = task.await.must("task").must("take") {
                assert_eq!(v, b"prize");
                winners += 1;
            }
        }
        assert_eq!(winners, 1, "exactly one of 50 racing takes wins");
    }
}

/// Values vanish after their TTL; put_if_absent works again afterwards.
pub async fn expiry(make: &impl MakeEphemeral) {
    let t = make().await;
    let s = &t.store;
    s.put("k", b"v", TTL).await.must("put");
    s.put("taken", b"v", TTL).await.must("put");
    assert!(s.put_if_absent("nx", b"v", TTL).await.must("nx"));
    s.put("kept", b"v", LONG).await.must("put");
    t.time.pass(HALF).await;
    assert_eq!(s.get("k").await.must("before expiry"), Some(b"v".to_vec()));

    t.time.pass(HALF).await;
    assert_eq!(s.get("k").await.must("after expiry"), None);
    assert_eq!(s.take("taken").await.must("take after expiry"), None);
    assert!(!s.delete("k").await.must("delete after expiry"));
    assert!(s.put_if_absent("nx", b"w", TTL).await.must("nx again"));
    assert_eq!(s.get("nx").await.must("get"), Some(b"w".to_vec()));
    assert_eq!(s.get("kept").await.must("long ttl"), Some(b"v".to_vec()));
}

/// Fixed-window counters: the window starts with the first increment and is
/// not extended by later ones; 50 racing increments count 50.
pub async fn counters(make: &impl MakeEphemeral) {
    let t = make().await;
    let s = &t.store;
    assert_eq!(s.incr("n", TTL).await.must("incr"), 1);
    assert_eq!(s.incr("n", TTL).await.must("incr"), 2);
    assert_eq!(s.incr("other", TTL).await.must("incr"), 1);
    // A counter reads back as decimal text on every backend.
    assert_eq!(s.get("other").await.must("get"), Some(b"1".to_vec()));
    t.time.pass(HALF).await;
    assert_eq!(s.incr("n", TTL).await.must("incr"), 3);
    t.time.pass(HALF).await;
    assert_eq!(s.incr("n", TTL).await.must("new window"), 1);

    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.incr("race", LONG).await })
        })
        .collect();
    let mut seen = HashSet::new();
    for task in tasks {
        seen.insert(task.await.must("task").must("incr"));
    }
    assert_eq!(seen, (1..=50).collect::<HashSet<u64>>());
}

/// Sliding counters: every increment restarts the TTL, so a count outlives
/// any fixed window while increments keep coming; 50 racing ones count 50.
pub async fn sliding_counters(make: &impl MakeEphemeral) {
    let t = make().await;
    let s = &t.store;
    assert_eq!(s.incr_sliding("n", TTL).await.must("incr"), 1);
    t.time.pass(HALF).await;
    assert_eq!(s.incr_sliding("n", TTL).await.must("incr"), 2);
    t.time.pass(HALF).await;
    // Past the first increment's TTL: still counting.
    assert_eq!(s.incr_sliding("n", TTL).await.must("slid"), 3);
    assert_eq!(s.get("n").await.must("get"), Some(b"3".to_vec()));
    t.time.pass(TTL).await;
    assert_eq!(s.incr_sliding("n", TTL).await.must("expired"), 1);

    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.incr_sliding("race", LONG).await })
        })
        .collect();
    let mut seen = HashSet::new();
    for task in tasks {
        seen.insert(task.await.must("task").must("incr"));
    }
    assert_eq!(seen, (1..=50).collect::<HashSet<u64>>());
}

/// Sets gather members and live as long as their last addition says.
pub async fn sets(make: &impl MakeEphemeral) {
    let t = make().await;
    let s = &t.store;
    assert!(s.set_members("none").await.must("empty").is_empty());
    s.set_add("sids", "a", TTL).await.must("add");
    s.set_add("sids", "b", TTL).await.must("add");
    s.set_add("sids", "a", TTL).await.must("add twice");
    let mut members = s.set_members("sids").await.must("members");
    members.sort();
    assert_eq!(members, ["a", "b"]);

    t.time.pass(HALF).await;
    s.set_add("sids", "c", TTL)
        .await
        .must("add refreshes the TTL");
    t.time.pass(HALF).await;
    assert_eq!(s.set_members("sids").await.must("members").len(), 3);
    t.time.pass(TTL).await;
    assert!(s.set_members("sids").await.must("expired").is_empty());
}

/// Several writes at once land as if made one by one, in order.
pub async fn writes_together(make: &impl MakeEphemeral) {
    use crate::ephemeral::Write;
    let t = make().await;
    let s = &t.store;
    s.put("pending", b"p", LONG).await.must("put");
    s.write_all(&[
        Write::Put {
            key: "code",
            value: b"grant",
            ttl: TTL,
        },
        Write::SetAdd {
            key: "sids",
            member: "rp",
            ttl: LONG,
        },
        Write::Delete { key: "pending" },
        Write::Put {
            key: "code",
            value: b"grant-2",
            ttl: TTL,
        },
    ])
    .await
    .must("write all");
    assert_eq!(
        s.get("code").await.must("get").as_deref(),
        Some(&b"grant-2"[..])
    );
    assert_eq!(s.set_members("sids").await.must("members"), ["rp"]);
    assert_eq!(s.get("pending").await.must("get"), None);
    s.write_all(&[]).await.must("nothing to write");
    t.time.pass(TTL).await;
    assert_eq!(s.get("code").await.must("expired"), None, "the TTL applies");
    assert_eq!(s.set_members("sids").await.must("members"), ["rp"]);
}

/// Waits (real time, up to 5 s) until `ready` holds: notices cross a
/// network connection on Redis.
async fn settle(what: &str, ready: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !ready() {
        assert!(std::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A notice published under a topic reaches every subscriber of that topic
/// (the publisher's store included) and no other; a subscriber dropped
/// stops costing anything.
pub async fn notices(make: &impl MakeEphemeral) {
    let t = make().await;
    let s = &t.store;
    let a = s.subscribe("clients:changed").must("a subscribes");
    let b = s.subscribe("clients:changed").must("b subscribes");
    let other = s.subscribe("other").must("other subscribes");
    settle("the feeds came up", || a.live() && b.live() && other.live()).await;
    let (ea, eb, eo) = (a.epoch(), b.epoch(), other.epoch());
    s.publish("clients:changed").await.must("publish");
    settle("a heard it", || a.epoch() != ea).await;
    settle("b heard it", || b.epoch() != eb).await;
    // Give a stray notice time to arrive before saying none did.
    s.publish("other-again").await.must("publish elsewhere");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        other.epoch(),
        eo,
        "another topic's subscriber heard nothing"
    );
    drop(b);
    s.publish("clients:changed")
        .await
        .must("publish with one gone");
    let ea = a.epoch();
    s.publish("clients:changed").await.must("publish");
    settle("a still hears", || a.epoch() != ea).await;
}
