//! The main scenarios again on PostgreSQL and Redis, when
//! `PRATU_TEST_POSTGRES_URL` and `PRATU_TEST_REDIS_URL` are set (CI sets
//! them; the storage helpers panic there if they are missing). Scenarios
//! that move time past a Redis key's real TTL stay on the in-memory store.

use std::collections::HashSet;
use std::sync::Arc;

use crate::helpers::{Citizen, numbered, somchai, spawn_on_postgres_and_redis, wrong};

#[tokio::test]
async fn the_whole_enrollment_runs_on_postgres_and_redis() {
    let Some(app) = spawn_on_postgres_and_redis().await else {
        return;
    };
    let id = app
        .enroll_to_review(&somchai(), "somchai", "0812345678")
        .await;
    let r = app.get(&format!("/api/v1/enrollments/{id}")).await;
    assert_eq!(r.json["citizen_id"], "1-2345-xxxxx-xx-1");
    let r = app.confirm(&id).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let user = app
        .store
        .user_by_username("somchai")
        .await
        .unwrap()
        .unwrap();
    assert!(
        app.hasher
            .verify("Passw0rdOK", Some(&user.password_hash))
            .await
            .unwrap()
    );
    assert_eq!(user.proofing.unwrap().method, "dopa_laser");

    // Told only once the card is proofed.
    let other = app.start().await;
    assert_eq!(
        app.put_citizen_id(&other, "1234567890121").await.status,
        200
    );
    app.put_identity(&other, &somchai())
        .await
        .assert_problem(409, "citizen_id_taken");
}

#[tokio::test]
async fn limits_and_codes_hold_on_redis() {
    let Some(app) = spawn_on_postgres_and_redis().await else {
        return;
    };
    let good = somchai();
    let id = app.start().await;
    assert_eq!(app.put_citizen_id(&id, &good.id).await.status, 200);
    let bad = Citizen {
        laser: "JT0000000000".into(),
        ..good.clone()
    };
    for _ in 0..5 {
        app.put_identity(&id, &bad)
            .await
            .assert_problem(422, "identity_not_verified");
    }
    app.put_identity(&id, &good)
        .await
        .assert_problem(429, "too_many_attempts");

    let id = app.enroll_to_phone(&numbered(1), "numbered1").await;
    assert_eq!(app.post_phone(&id, "0812345678").await.status, 202);
    app.post_phone(&id, "0812345678")
        .await
        .assert_problem(429, "too_many_attempts");
    let (code, _) = app.read_outbox_otp("+66812345678");
    for _ in 0..4 {
        app.verify_phone(&id, &wrong(&code))
            .await
            .assert_problem(422, "otp_invalid");
    }
    app.verify_phone(&id, &wrong(&code))
        .await
        .assert_problem(429, "too_many_attempts");
    app.advance(60);
    assert_eq!(app.post_phone(&id, "0812345678").await.status, 202);
    let (fresh, _) = app.read_outbox_otp("+66812345678");
    app.advance(300);
    app.verify_phone(&id, &fresh)
        .await
        .assert_problem(422, "otp_expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrency_holds_on_postgres_and_redis() {
    let Some(app) = spawn_on_postgres_and_redis().await else {
        return;
    };
    let app = Arc::new(app);
    let id = app
        .enroll_to_review(&somchai(), "somchai", "0812345678")
        .await;
    let confirms: Vec<_> = (0..10)
        .map(|_| {
            let (app, id) = (app.clone(), id.clone());
            tokio::spawn(async move { app.confirm(&id).await })
        })
        .collect();
    let mut ids = HashSet::new();
    for t in confirms {
        let r = t.await.unwrap();
        assert_eq!(r.status, 201, "{}", r.text);
        ids.insert(r.json["user_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids.len(), 1);

    let enrollments: Vec<_> = (0..20u32)
        .map(|n| {
            let app = app.clone();
            tokio::spawn(async move {
                let id = app
                    .enroll_to_review(&numbered(n), &format!("citizen{n}"), &format!("09{n:08}"))
                    .await;
                let r = app.confirm(&id).await;
                assert_eq!(r.status, 201, "{}", r.text);
            })
        })
        .collect();
    for t in enrollments {
        t.await.unwrap();
    }
    assert_eq!(
        app.store
            .search_users("citizen", 100, 0)
            .await
            .unwrap()
            .len(),
        20
    );
}
