//! The audit-log suite: filters, paging, retention.

use uuid::Uuid;

use super::fixtures::{at, audit_event};
use super::{MakeStore, Must};
use crate::records::{AuditEvent, AuditFilter};

pub async fn run(make: &impl MakeStore) {
    audit_events_round_trip_newest_first(make).await;
    audit_filters_combine(make).await;
    audit_pages_backwards_through_equal_timestamps(make).await;
    audit_limits_are_capped(make).await;
    retention_deletes_old_audit_events(make).await;
}

fn ids(events: &[AuditEvent]) -> Vec<Uuid> {
    events.iter().map(|e| e.id).collect()
}

fn filter(limit: u32) -> AuditFilter {
    AuditFilter {
        limit,
        ..AuditFilter::default()
    }
}

pub async fn audit_events_round_trip_newest_first(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let first = audit_event(at(1), "user:1", "login.succeeded");
    let second = AuditEvent {
        target: None,
        request_id: None,
        outcome: "failure".into(),
        details: serde_json::json!({}),
        ..audit_event(at(2), "anonymous", "login.failed")
    };
    store.append_audit(&first).await.must("append");
    store.append_audit(&second).await.must("append");
    assert_eq!(
        store.list_audit(&filter(10)).await.must("list"),
        vec![second, first]
    );
}

pub async fn audit_filters_combine(make: &impl MakeStore) {
    let (store, _g) = make().await;
    let e1 = audit_event(at(10), "user:a", "login.succeeded");
    let e2 = audit_event(at(20), "user:b", "login.succeeded");
    let e3 = AuditEvent {
        target: Some("client:rp-2".into()),
        ..audit_event(at(30), "user:a", "consent.granted")
    };
    let e4 = audit_event(at(40), "cli", "client.created");
    for e in [&e1, &e2, &e3, &e4] {
        store.append_audit(e).await.must("append");
    }
    let list = |f: AuditFilter| {
        let store = store.clone();
        async move { ids(&store.list_audit(&f).await.must("list")) }
    };

    assert_eq!(
        list(AuditFilter {
            actor: Some("user:a".into()),
            ..filter(10)
        })
        .await,
        [e3.id, e1.id]
    );
    assert_eq!(
        list(AuditFilter {
            action: Some("login.succeeded".into()),
            ..filter(10)
        })
        .await,
        [e2.id, e1.id]
    );
    assert_eq!(
        list(AuditFilter {
            target: Some("client:rp-2".into()),
            ..filter(10)
        })
        .await,
        [e3.id]
    );
    // `from` is inclusive, `to` exclusive.
    assert_eq!(
        list(AuditFilter {
            from: Some(at(20)),
            to: Some(at(40)),
            ..filter(10)
        })
        .await,
        [e3.id, e2.id]
    );
    assert_eq!(
        list(AuditFilter {
            actor: Some("user:a".into()),
            action: Some("login.succeeded".into()),
            from: Some(at(5)),
            ..filter(10)
        })
        .await,
        [e1.id]
    );
    assert!(
        list(AuditFilter {
            actor: Some("nobody".into()),
            ..filter(10)
        })
        .await
        .is_empty()
    );
}

pub async fn audit_pages_backwards_through_equal_timestamps(make: &impl MakeStore) {
    let (store, _g) = make().await;
    // Seven events, several sharing a second, appended in scrambled order.
    let mut events: Vec<AuditEvent> = [3, 1, 2, 2, 2, 1, 3]
        .into_iter()
        .map(|s| audit_event(at(s), "user:a", "token.refreshed"))
        .collect();
    for e in &events {
        store.append_audit(e).await.must("append");
    }
    events.sort_by_key(|e| std::cmp::Reverse((e.at, e.id)));
    let expected = ids(&events);

    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = store
            .list_audit(&AuditFilter {
                before,
                ..filter(3)
            })
            .await
            .must("page");
        assert!(page.len() <= 3);
        let Some(last) = page.last() else { break };
        before = Some(last.id);
        seen.extend(ids(&page));
    }
    assert_eq!(seen, expected, "every event once, newest first");
}

pub async fn audit_limits_are_capped(make: &impl MakeStore) {
    let (store, _g) = make().await;
    for s in 0..5 {
        store
            .append_audit(&audit_event(at(s), "cli", "keys.rotated"))
            .await
            .must("append");
    }
    assert_eq!(store.list_audit(&filter(2)).await.must("two").len(), 2);
    // 0 means "as many as allowed" (the cap is 1000).
    assert_eq!(store.list_audit(&filter(0)).await.must("zero").len(), 5);
    assert_eq!(
        store.list_audit(&filter(u32::MAX)).await.must("max").len(),
        5
    );
}

pub async fn retention_deletes_old_audit_events(make: &impl MakeStore) {
    let (store, _g) = make().await;
    for s in [10, 20, 30] {
        store
            .append_audit(&audit_event(at(s), "cli", "x"))
            .await
            .must("append");
    }
    assert_eq!(store.delete_audit_before(at(20)).await.must("delete"), 1);
    let left: Vec<_> = store
        .list_audit(&filter(10))
        .await
        .must("list")
        .into_iter()
        .map(|e| e.at)
        .collect();
    assert_eq!(left, [at(30), at(20)]);
}
