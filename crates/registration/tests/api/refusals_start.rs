//! Refusals of the first steps and of malformed requests.

use pratu_registration::config::EnrollmentConfig;
use serde_json::json;

use crate::helpers::{Citizen, Options, somchai, spawn, spawn_with};

#[tokio::test]
async fn consent_is_required_and_must_name_the_current_terms() {
    let app = spawn().await;
    let r = app
        .post(
            "/api/v1/enrollments",
            json!({"accept_terms": false, "terms_version": "2026-01"}),
        )
        .await;
    r.assert_problem(422, "terms_not_accepted");
    let r = app
        .post(
            "/api/v1/enrollments",
            json!({"accept_terms": true, "terms_version": "2020-01"}),
        )
        .await;
    r.assert_problem(409, "terms_outdated");
    assert_eq!(r.json["terms_version"], "2026-01");
}

#[tokio::test]
async fn a_bad_checksum_and_other_malformed_ids_are_invalid_citizen_ids() {
    let app = spawn().await;
    let id = app.start().await;
    for (input, field_code) in [
        ("1234567890123", "checksum"),
        ("11017002070d3", "invalid_character"),
        ("๑234567890121", "invalid_character"),
        ("110170023073", "wrong_length"),
        ("", "required"),
        ("9876543210989", "not_accepted"),
    ] {
        let r = app.put_citizen_id(&id, input).await;
        r.assert_problem(422, "invalid_citizen_id");
        assert_eq!(r.json["errors"][0]["field"], "citizen_id");
        assert_eq!(r.json["errors"][0]["code"], field_code, "{input}");
    }
}

#[tokio::test]
async fn the_accepted_first_digits_are_configurable() {
    let enrollment = EnrollmentConfig {
        citizen_id_first_digits: "0123456789".into(),
        ..Default::default()
    };
    let app = spawn_with(Options {
        enrollment,
        ..Default::default()
    })
    .await;
    let id = app.start().await;
    let r = app.put_citizen_id(&id, "9876543210989").await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn a_citizen_id_already_enrolled_is_refused_only_after_proofing_without_details() {
    let app = spawn().await;
    let first = app
        .enroll_to_review(&somchai(), "original", "0812345678")
        .await;
    assert_eq!(app.confirm(&first).await.status, 201);

    // The citizen-ID step tells nobody who is enrolled…
    let id = app.start().await;
    let r = app.put_citizen_id(&id, "1-2345-67890-12-1").await;
    assert_eq!(
        (r.status.as_u16(), r.json["next"].as_str()),
        (200, Some("identity")),
        "{}",
        r.text
    );
    // …nor does a card that does not match…
    let r = app
        .put_identity(
            &id,
            &Citizen {
                laser: "JT1-2321456-33".into(),
                ..somchai()
            },
        )
        .await;
    r.assert_problem(422, "identity_not_verified");
    // …only the proofed card learns that it already has a Digital ID.
    let r = app.put_identity(&id, &somchai()).await;
    r.assert_problem(409, "citizen_id_taken");
    assert!(
        app.audit_actions(&id)
            .await
            .contains(&"enrollment.citizen_id_taken".to_owned())
    );
    for leak in ["original", "0812345678", "08x-xxx-5678", "สมชาย"] {
        assert!(!r.text.contains(leak), "{leak} leaked: {}", r.text);
    }
}

#[tokio::test]
async fn a_citizen_id_enrolled_meanwhile_is_refused_again_at_confirm() {
    let app = spawn().await;
    let a = app
        .enroll_to_review(&somchai(), "first", "0812345678")
        .await;
    let b = app
        .enroll_to_review(&somchai(), "second", "0898765432")
        .await;
    assert_eq!(app.confirm(&a).await.status, 201);
    app.confirm(&b)
        .await
        .assert_problem(409, "citizen_id_taken");
    assert!(
        app.store
            .user_by_username("second")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn unknown_and_malformed_enrollment_ids_are_not_found() {
    let app = spawn().await;
    let id = app.start().await;
    let token = app.token_of(&id);
    for path in [
        "/api/v1/enrollments/00000000-0000-4000-8000-000000000000",
        "/api/v1/enrollments/not-a-uuid",
    ] {
        app.send_with_token(reqwest::Method::GET, path, None, Some(&token))
            .await
            .assert_problem(404, "enrollment_not_found");
    }
}

#[tokio::test]
async fn malformed_bodies_are_problems_too() {
    let app = spawn().await;
    let id = app.start().await;
    let url = format!("{}/api/v1/enrollments/{id}/citizen-id", app.base);

    let r = app
        .http
        .put(&url)
        .bearer_auth(app.token_of(&id))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["code"], "invalid_request");

    let r = app
        .put(
            &format!("/api/v1/enrollments/{id}/citizen-id"),
            json!({"cid": "1"}),
        )
        .await;
    r.assert_problem(422, "invalid_request");
    assert_eq!(r.json["errors"][0]["field"], "citizen_id");
    assert_eq!(r.json["errors"][0]["code"], "required");

    // A value of the wrong type is refused without being echoed.
    let r = app
        .put(
            &format!("/api/v1/enrollments/{id}/citizen-id"),
            json!({"citizen_id": 1234567890121_u64}),
        )
        .await;
    r.assert_problem(422, "invalid_request");
    assert!(!r.text.contains("1234567890121"), "{}", r.text);

    let r = app
        .http
        .put(&url)
        .bearer_auth(app.token_of(&id))
        .body("citizen_id=1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn an_enrollment_expires_after_the_configured_time() {
    let app = spawn().await;
    let id = app.start().await;
    app.advance(30 * 60);
    app.put_citizen_id(&id, "1234567890121")
        .await
        .assert_problem(410, "enrollment_expired");
    app.get(&format!("/api/v1/enrollments/{id}"))
        .await
        .assert_problem(410, "enrollment_expired");
    // Unfinished and expired: deleted by the maintenance purge (PDPA).
    let deleted = app
        .store
        .delete_expired_enrollments(app.clock_now() + time::Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(deleted, 1);
    app.get(&format!("/api/v1/enrollments/{id}"))
        .await
        .assert_problem(404, "enrollment_not_found");

    let enrollment = EnrollmentConfig {
        expiry_minutes: 90,
        ..Default::default()
    };
    let app = spawn_with(Options {
        enrollment,
        ..Default::default()
    })
    .await;
    let id = app.start().await;
    app.advance(60 * 60);
    assert_eq!(app.put_citizen_id(&id, "1234567890121").await.status, 200);
}

#[tokio::test]
async fn a_completed_enrollment_can_still_be_read_after_its_expiry() {
    let app = spawn().await;
    let id = app
        .enroll_to_review(&somchai(), "somchai", "0812345678")
        .await;
    let done = app.confirm(&id).await;
    app.advance(24 * 3600);
    let again = app.confirm(&id).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.json, done.json);
}

#[tokio::test]
async fn steps_without_the_enrollment_token_are_unauthorized() {
    let app = spawn().await;
    let id = app.start().await;
    let other = app.start().await;
    let path = format!("/api/v1/enrollments/{id}/citizen-id");
    let body = json!({"citizen_id": "1234567890121"});
    for token in [
        None,
        Some("bm90LXRoZS10b2tlbg".to_owned()),
        Some(app.token_of(&other)),
    ] {
        let r = app
            .send_with_token(
                reqwest::Method::PUT,
                &path,
                Some(body.clone()),
                token.as_deref(),
            )
            .await;
        r.assert_problem(401, "invalid_enrollment_token");
        let challenge = r.headers["www-authenticate"].to_str().unwrap();
        assert!(challenge.starts_with("Bearer"), "{challenge}");
    }
    // Nothing was written; the holder goes on.
    let r = app.get(&format!("/api/v1/enrollments/{id}")).await;
    assert_eq!(
        (r.status.as_u16(), &r.json["citizen_id"]),
        (200, &serde_json::Value::Null),
        "{}",
        r.text
    );
    let r = app.put_citizen_id(&id, "1234567890121").await;
    assert_eq!(r.status, 200, "{}", r.text);
}
