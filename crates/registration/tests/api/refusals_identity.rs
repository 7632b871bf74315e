//! Refusals of the identity check: each mismatched field, inactive cards,
//! an unavailable provider, attempt locks, offline-only cards.

use pratu_registration::config::{EnrollmentConfig, LimitRule, LimitsConfig};
use serde_json::json;

use crate::helpers::{Citizen, Options, TestApp, mana, somchai, spawn, spawn_with};

async fn at_identity(app: &TestApp, c: &Citizen) -> String {
    let id = app.start().await;
    assert_eq!(app.put_citizen_id(&id, &c.id).await.status, 200);
    id
}

#[tokio::test]
async fn each_mismatched_field_is_not_verified_and_counts_down() {
    let app = spawn().await;
    let good = somchai();
    let id = at_identity(&app, &good).await;
    let variants = [
        Citizen {
            first: "สมชัย".into(),
            ..good.clone()
        },
        Citizen {
            last: "ใจร้าย".into(),
            ..good.clone()
        },
        Citizen {
            birth: "2530-01-02".into(),
            ..good.clone()
        },
        Citizen {
            laser: "JT1-2321456-33".into(),
            ..good.clone()
        },
    ];
    for (i, bad) in variants.iter().enumerate() {
        let r = app.put_identity(&id, bad).await;
        r.assert_problem(422, "identity_not_verified");
        assert_eq!(r.json["attempts_left"], 4 - i as u64, "{}", r.text);
    }
    // The right data still passes on the last attempt.
    assert_eq!(app.put_identity(&id, &good).await.status, 200);
}

#[tokio::test]
async fn an_inactive_card_is_not_verified() {
    let app = spawn().await;
    let id = at_identity(&app, &mana()).await;
    app.put_identity(&id, &mana())
        .await
        .assert_problem(422, "identity_not_verified");
}

#[tokio::test]
async fn an_unavailable_provider_says_try_later_and_counts_nothing() {
    let app = spawn().await;
    let c = somchai();
    let id = at_identity(&app, &c).await;
    app.registry.set_unavailable(true);
    for _ in 0..7 {
        let r = app.put_identity(&id, &c).await;
        r.assert_problem(503, "identity_service_unavailable");
    }
    app.registry.set_unavailable(false);
    let wrong = Citizen {
        first: "สมชัย".into(),
        ..c.clone()
    };
    let r = app.put_identity(&id, &wrong).await;
    assert_eq!(
        r.json["attempts_left"], 4,
        "outages must not count: {}",
        r.text
    );
    assert_eq!(app.put_identity(&id, &c).await.status, 200);
}

#[tokio::test]
async fn five_wrong_laser_codes_lock_the_enrollment_for_the_window() {
    let enrollment = EnrollmentConfig {
        expiry_minutes: 180,
        ..Default::default()
    };
    let app = spawn_with(Options {
        enrollment,
        ..Default::default()
    })
    .await;
    let good = somchai();
    let id = at_identity(&app, &good).await;
    let bad = Citizen {
        laser: "JT0000000000".into(),
        ..good.clone()
    };
    for _ in 0..5 {
        app.put_identity(&id, &bad)
            .await
            .assert_problem(422, "identity_not_verified");
    }
    let r = app.put_identity(&id, &good).await;
    r.assert_problem(429, "too_many_attempts");
    assert!(r.headers.contains_key("retry-after"));
    let actions = app.audit_actions(&id).await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "enrollment.proofing_failed")
            .count(),
        5
    );
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "enrollment.proofing_locked")
            .count(),
        1
    );
    app.advance(3601);
    assert_eq!(app.put_identity(&id, &good).await.status, 200);
}

#[tokio::test]
async fn failures_count_per_citizen_across_enrollments() {
    let limits = LimitsConfig {
        proofing_failures_per_citizen: LimitRule::new(3, 86_400),
        ..Default::default()
    };
    let app = spawn_with(Options {
        limits,
        ..Default::default()
    })
    .await;
    let good = somchai();
    let bad = Citizen {
        laser: "JT0000000000".into(),
        ..good.clone()
    };
    let first = at_identity(&app, &good).await;
    for _ in 0..2 {
        app.put_identity(&first, &bad)
            .await
            .assert_problem(422, "identity_not_verified");
    }
    let second = at_identity(&app, &good).await;
    let r = app.put_identity(&second, &bad).await;
    assert_eq!(r.json["attempts_left"], 0, "{}", r.text);
    let third = at_identity(&app, &good).await;
    app.put_identity(&third, &good)
        .await
        .assert_problem(429, "too_many_attempts");
}

#[tokio::test]
async fn cards_without_a_laser_code_are_told_to_enroll_in_person() {
    let app = spawn().await;
    let id = at_identity(&app, &somchai()).await;
    let r = app
        .put(
            &format!("/api/v1/enrollments/{id}/identity"),
            json!({"method": "no_laser_code", "first_name": "สมชาย", "last_name": "ใจดี",
                   "birth_date": "2530-01-01", "laser_code": ""}),
        )
        .await;
    r.assert_problem(422, "proofing_method_unsupported");
    assert!(
        r.json["detail"]
            .as_str()
            .unwrap()
            .contains("district office")
    );
}

#[tokio::test]
async fn malformed_identity_fields_are_each_named() {
    let app = spawn().await;
    let id = at_identity(&app, &somchai()).await;
    let r = app
        .put(
            &format!("/api/v1/enrollments/{id}/identity"),
            json!({"method": "laser_code", "first_name": "Somchai", "last_name": "",
                   "birth_date": "2570-01-01", "laser_code": "J01234567890",
                   "first_name_en": "สมชาย"}),
        )
        .await;
    r.assert_problem(422, "invalid_request");
    let errors: Vec<(String, String)> = r.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().into(),
                e["code"].as_str().unwrap().into(),
            )
        })
        .collect();
    for expected in [
        ("first_name", "not_thai"),
        ("last_name", "required"),
        ("birth_date", "in_future"),
        ("laser_code", "letters_expected"),
        ("first_name_en", "not_latin"),
    ] {
        assert!(
            errors.contains(&(expected.0.into(), expected.1.into())),
            "{expected:?} missing from {errors:?}"
        );
    }
    // Malformed input is not a proofing attempt.
    let r = app
        .put_identity(
            &id,
            &Citizen {
                first: "สมชัย".into(),
                ..somchai()
            },
        )
        .await;
    assert_eq!(r.json["attempts_left"], 4);
}
