//! Many requests at once: one account per enrollment, one per citizen.

use std::collections::HashSet;
use std::sync::Arc;

use crate::helpers::{numbered, somchai, spawn};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_confirms_create_exactly_one_account() {
    let app = Arc::new(spawn().await);
    let id = app
        .enroll_to_review(&somchai(), "somchai", "0812345678")
        .await;
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let app = app.clone();
            let id = id.clone();
            tokio::spawn(async move { app.confirm(&id).await })
        })
        .collect();
    let mut user_ids = HashSet::new();
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.json["username"], "somchai");
        user_ids.insert(r.json["user_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        user_ids.len(),
        1,
        "every confirm answers with the one account"
    );
    let users = app.store.search_users("", 100, 0).await.unwrap();
    assert_eq!(users.len(), 1);
    let index = app.citizen_index("1234567890121");
    assert!(
        app.store
            .user_by_citizen_index(&index)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_enrollments_of_different_citizens_make_twenty_accounts() {
    let app = Arc::new(spawn().await);
    let tasks: Vec<_> = (0..20u32)
        .map(|n| {
            let app = app.clone();
            tokio::spawn(async move {
                let c = numbered(n);
                let phone = format!("08{n:08}");
                let id = app
                    .enroll_to_review(&c, &format!("citizen{n}"), &phone)
                    .await;
                let r = app.confirm(&id).await;
                assert_eq!(r.status, 201, "{}", r.text);
                r.json["user_id"].as_str().unwrap().to_owned()
            })
        })
        .collect();
    let mut ids = HashSet::new();
    for t in tasks {
        ids.insert(t.await.unwrap());
    }
    assert_eq!(ids.len(), 20);
    let users = app.store.search_users("citizen", 100, 0).await.unwrap();
    assert_eq!(users.len(), 20);
    for n in 0..20u32 {
        let index = app.citizen_index(&numbered(n).id);
        let user = app
            .store
            .user_by_citizen_index(&index)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(user.username, format!("citizen{n}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_identical_steps_agree() {
    let app = Arc::new(spawn().await);
    let c = somchai();
    let id = app.start().await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (app, id, cid) = (app.clone(), id.clone(), c.id.clone());
            tokio::spawn(async move { app.put_citizen_id(&id, &cid).await })
        })
        .collect();
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(
            (r.status.as_u16(), r.json["next"].as_str()),
            (200, Some("identity")),
            "{}",
            r.text
        );
    }
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (app, id, c) = (app.clone(), id.clone(), c.clone());
            tokio::spawn(async move { app.put_identity(&id, &c).await })
        })
        .collect();
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(
            (r.status.as_u16(), r.json["next"].as_str()),
            (200, Some("account")),
            "{}",
            r.text
        );
    }
}
