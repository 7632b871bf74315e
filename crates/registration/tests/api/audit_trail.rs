//! The enrollment's audit trail: refusals (proofing failed, OTP failed and
//! locked) are recorded with the request id, and no event holds the clear
//! citizen ID or the laser code.

use crate::helpers::{Citizen, somchai, spawn, wrong};

#[tokio::test]
async fn refusals_are_audited_with_the_request_id_and_without_the_citizen_id() {
    let mut app = spawn().await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-request-id", "req-enroll-1".parse().unwrap());
    app.http = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap();

    let good = somchai();
    let bad = Citizen {
        laser: "JT0000000000".into(),
        ..good.clone()
    };
    let id = app.start().await;
    assert_eq!(app.put_citizen_id(&id, &good.id).await.status, 200);
    app.put_identity(&id, &bad)
        .await
        .assert_problem(422, "identity_not_verified");
    assert_eq!(app.put_identity(&id, &good).await.status, 200);
    assert_eq!(
        app.put_account(&id, "somchai", "Passw0rdOK").await.status,
        200
    );
    assert_eq!(app.post_phone(&id, "0812345678").await.status, 202);
    let (code, _) = app.read_outbox_otp("+66812345678");
    for _ in 0..5 {
        app.verify_phone(&id, &wrong(&code)).await;
    }

    let events = app
        .store
        .list_audit(&pratu_storage::records::AuditFilter {
            target: Some(format!("enrollment:{id}")),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<_> = events.iter().map(|e| e.action.as_str()).collect();
    for a in [
        "enrollment.consent",
        "enrollment.proofing_failed",
        "enrollment.identity_verified",
        "enrollment.otp_sent",
        "enrollment.otp_failed",
        "enrollment.otp_locked",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    for e in &events {
        assert_eq!(
            e.request_id.as_deref(),
            Some("req-enroll-1"),
            "{}",
            e.action
        );
    }
    let all = serde_json::to_string(&events).unwrap();
    for secret in [good.id.as_str(), "JT1232145632", "JT0000000000", &code] {
        assert!(!all.contains(secret), "audit contains {secret}");
    }
}
