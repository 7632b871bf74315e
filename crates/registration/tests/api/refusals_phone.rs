//! Refusals of the phone step: wrong and expired codes, attempt locks,
//! resend throttling, bad numbers, an SMS gateway that fails.

use std::sync::Arc;

use async_trait::async_trait;
use pratu_core::sms::{SmsError, SmsMessage, SmsSender};
use pratu_registration::config::{LimitRule, LimitsConfig};

use crate::helpers::{Options, somchai, somying, spawn, spawn_with, wrong};

#[tokio::test]
async fn a_wrong_code_counts_down_then_locks_even_the_right_code() {
    let app = spawn().await;
    let id = app.enroll_to_phone(&somchai(), "somchai").await;
    assert_eq!(app.post_phone(&id, "0812345678").await.status, 202);
    let (code, _) = app.read_outbox_otp("+66812345678");
    for left in (1..=4).rev() {
        let r = app.verify_phone(&id, &wrong(&code)).await;
        r.assert_problem(422, "otp_invalid");
        assert_eq!(r.json["attempts_left"], left);
    }
    app.verify_phone(&id, &wrong(&code))
        .await
        .assert_problem(429, "too_many_attempts");
    app.verify_phone(&id, &code)
        .await
        .assert_problem(429, "too_many_attempts");
    let actions = app.audit_actions(&id).await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "enrollment.otp_failed")
            .count(),
        4
    );
    assert!(
        actions.contains(&"enrollment.otp_locked".to_owned()),
        "{actions:?}"
    );

    // A new code (after the cooldown) opens the step again.
    app.advance(60);
    assert_eq!(app.post_phone(&id, "0812345678").await.status, 202);
    let (fresh, _) = app.read_outbox_otp("+66812345678");
    assert_eq!(app.verify_phone(&id, &fresh).await.status, 200);
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let app = spawn().await;
    let id = app.enroll_to_phone(&somchai(), "somchai").await;
    assert_eq!(app.post_phone(&id, "0812345678").await.status, 202);
    let (code, _) = app.read_outbox_otp("+66812345678");
    app.advance(300);
    app.verify_phone(&id, &code)
        .await
        .assert_problem(422, "otp_expired");
}

#[tokio::test]
async fn resends_wait_for_the_cooldown_void_the_old_code_and_are_capped() {
    let app = spawn().await;
    let id = app.enroll_to_phone(&somchai(), "somchai").await;
    assert_eq!(app.post_phone(&id, "0812345678").await.status, 202);
    let (first, _) = app.read_outbox_otp("+66812345678");

    app.advance(30);
    let r = app.post_phone(&id, "0812345678").await;
    r.assert_problem(429, "too_many_attempts");
    assert_eq!(r.json["retry_after"], 30);
    assert_eq!(r.headers["retry-after"], "30");

    app.advance(30);
    let r = app.post_phone(&id, "0812345678").await;
    assert_eq!(r.status, 202, "{}", r.text);
    let (second, _) = app.read_outbox_otp("+66812345678");
    if first != second {
        app.verify_phone(&id, &first)
            .await
            .assert_problem(422, "otp_invalid");
    }

    // At most five codes per enrollment and window.
    for _ in 0..3 {
        app.advance(60);
        assert_eq!(app.post_phone(&id, "0812345678").await.status, 202);
    }
    app.advance(60);
    app.post_phone(&id, "0812345678")
        .await
        .assert_problem(429, "too_many_attempts");
    let sent = pratu_registration::sms::outbox::read_outbox(&app.outbox).unwrap();
    assert_eq!(sent.len(), 5);
}

#[tokio::test]
async fn sends_to_one_number_are_limited_across_enrollments() {
    let limits = LimitsConfig {
        otp_sends_per_phone: LimitRule::new(2, 86_400),
        ..Default::default()
    };
    let app = spawn_with(Options {
        limits,
        ..Default::default()
    })
    .await;
    let a = app.enroll_to_phone(&somchai(), "somchai").await;
    let b = app.enroll_to_phone(&somying(), "somying").await;
    assert_eq!(app.post_phone(&a, "0812345678").await.status, 202);
    assert_eq!(app.post_phone(&b, "0812345678").await.status, 202);
    app.advance(60);
    app.post_phone(&a, "0812345678")
        .await
        .assert_problem(429, "too_many_attempts");
    // Another number is not affected.
    assert_eq!(app.post_phone(&a, "0898765432").await.status, 202);
}

#[tokio::test]
async fn a_code_sent_to_one_number_does_not_verify_another() {
    let app = spawn().await;
    let id = app.enroll_to_phone(&somchai(), "somchai").await;
    assert_eq!(app.post_phone(&id, "0812345678").await.status, 202);
    let (code, _) = app.read_outbox_otp("+66812345678");
    app.advance(60);
    assert_eq!(app.post_phone(&id, "0898765432").await.status, 202);
    app.verify_phone(&id, &code).await;
    let (other, _) = app.read_outbox_otp("+66898765432");
    assert_eq!(app.verify_phone(&id, &other).await.status, 200);
    let r = app.get(&format!("/api/v1/enrollments/{id}")).await;
    assert_eq!(r.json["phone"], "08x-xxx-5432");
}

#[tokio::test]
async fn bad_numbers_and_codes_are_invalid_requests() {
    let app = spawn().await;
    let id = app.enroll_to_phone(&somchai(), "somchai").await;
    for phone in ["021234567", "12345", "+6581234567"] {
        let r = app.post_phone(&id, phone).await;
        r.assert_problem(422, "invalid_request");
        assert_eq!(r.json["errors"][0]["field"], "phone");
    }
    assert_eq!(app.post_phone(&id, "0812345678").await.status, 202);
    let r = app.verify_phone(&id, "12ab56").await;
    r.assert_problem(422, "invalid_request");
    assert_eq!(r.json["errors"][0]["field"], "code");
}

#[derive(Debug)]
struct BrokenGateway;

#[async_trait]
impl SmsSender for BrokenGateway {
    async fn send(&self, _: &SmsMessage) -> Result<(), SmsError> {
        Err(SmsError::Unavailable(Box::new(std::io::Error::other(
            "gateway down",
        ))))
    }
}

#[tokio::test]
async fn a_failing_gateway_says_try_later_and_does_not_start_the_cooldown() {
    let app = spawn_with(Options {
        sms: Some(Arc::new(BrokenGateway)),
        ..Default::default()
    })
    .await;
    let id = app.enroll_to_phone(&somchai(), "somchai").await;
    app.post_phone(&id, "0812345678")
        .await
        .assert_problem(503, "sms_unavailable");
    // The voided code leaves nothing to wait for.
    app.post_phone(&id, "0812345678")
        .await
        .assert_problem(503, "sms_unavailable");
    app.verify_phone(&id, "123456")
        .await
        .assert_problem(422, "otp_expired");
    let actions = app.audit_actions(&id).await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "enrollment.otp_send_failed")
            .count(),
        2
    );
    assert!(!actions.contains(&"enrollment.otp_sent".to_owned()));
}
