//! The citizen ID never appears in clear after its step: not in problems,
//! not in the review, not in a log line.

use serde_json::json;

use crate::helpers::{captured_logs, somchai, spawn, wrong};

#[tokio::test]
async fn no_answer_after_the_citizen_id_step_carries_it_in_clear() {
    let app = spawn().await;
    let c = somchai();
    let digits = "1234567890121";
    let mut answers = Vec::new();
    let id = app.start().await;
    answers.push(app.put_citizen_id(&id, "1-2345-67890-12-1").await);
    answers.push(
        app.put_identity(
            &id,
            &crate::helpers::Citizen {
                first: "สมชัย".into(),
                ..c.clone()
            },
        )
        .await,
    );
    answers.push(app.put_identity(&id, &c).await);
    answers.push(app.put_account(&id, "somchai", "weak").await);
    answers.push(app.put_account(&id, "somchai", "Correct1horse").await);
    answers.push(app.post_phone(&id, "0812345678").await);
    let (code, _) = app.read_outbox_otp("+66812345678");
    answers.push(app.verify_phone(&id, &wrong(&code)).await);
    answers.push(app.verify_phone(&id, &code).await);
    answers.push(app.get(&format!("/api/v1/enrollments/{id}")).await);
    answers.push(app.confirm(&id).await);
    // A second enrollment meets the taken ID (after proofing the card).
    let other = app.start().await;
    answers.push(app.put_citizen_id(&other, digits).await);
    answers.push(app.put_identity(&other, &c).await);
    answers.push(
        app.put(
            &format!("/api/v1/enrollments/{other}/citizen-id"),
            json!({"citizen_id": "1234567890123"}),
        )
        .await,
    );
    for r in &answers {
        assert!(!r.text.contains(digits), "citizen ID in clear: {}", r.text);
        assert!(!r.text.contains("67890"), "citizen ID digits: {}", r.text);
        assert!(!r.text.contains("JT1232145632"), "laser code: {}", r.text);
        assert!(!r.text.contains(&code), "OTP: {}", r.text);
    }
}

#[tokio::test]
async fn no_log_line_carries_a_citizen_id_laser_code_or_code() {
    let app = spawn().await;
    let id = app
        .enroll_to_review(&somchai(), "somchai", "0812345678")
        .await;
    assert_eq!(app.confirm(&id).await.status, 201);
    let (code, _) = app.read_outbox_otp("+66812345678");
    let logs = String::from_utf8_lossy(&captured_logs().lock().unwrap()).into_owned();
    assert!(logs.contains("pratu.enrollment"), "spans are logged");
    for secret in [
        "1234567890121",
        "3101200045673",
        "JT1232145632",
        "AB1123456789",
        "Correct1horse",
        "Passw0rdOK",
    ] {
        assert!(!logs.contains(secret), "{secret} in logs");
    }
    assert!(!logs.contains(&format!("OTP {code}")));
}
