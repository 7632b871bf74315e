//! The whole enrollment, and repeats of each step.

use pratu_storage::records::EnrollmentStep;
use serde_json::json;

use crate::helpers::{somchai, somying, spawn};

#[tokio::test]
async fn terms_are_published_in_thai_and_english_with_a_version() {
    let app = spawn().await;
    let r = app.get("/api/v1/terms").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["version"], "2026-01");
    assert!(r.json["text"]["th"].as_str().unwrap().contains("เลขหลังบัตร"));
    assert!(
        r.json["text"]["en"]
            .as_str()
            .unwrap()
            .contains("laser code")
    );
    assert_eq!(r.headers["cache-control"], "no-store");
}

#[tokio::test]
async fn a_citizen_enrolls_from_consent_to_confirm_and_the_account_can_sign_in() {
    let app = spawn().await;
    let c = somchai();

    let r = app
        .post(
            "/api/v1/enrollments",
            json!({"accept_terms": true, "terms_version": "2026-01"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["next"], "citizen_id");
    let id = r.json["enrollment_id"].as_str().unwrap().to_owned();
    assert_eq!(
        r.headers["location"],
        format!("/api/v1/enrollments/{id}").as_str()
    );

    let r = app.put_citizen_id(&id, "1-2345-67890-12-1").await;
    assert_eq!(
        (r.status.as_u16(), r.json["next"].as_str()),
        (200, Some("identity")),
        "{}",
        r.text
    );

    let r = app.put_identity(&id, &c).await;
    assert_eq!(
        (r.status.as_u16(), r.json["next"].as_str()),
        (200, Some("account")),
        "{}",
        r.text
    );

    let r = app.put_account(&id, "Somchai88", "Correct1horse").await;
    assert_eq!(
        (r.status.as_u16(), r.json["next"].as_str()),
        (200, Some("phone")),
        "{}",
        r.text
    );

    let r = app.post_phone(&id, "081-234-5678").await;
    assert_eq!(r.status, 202, "{}", r.text);
    assert_eq!(r.json["expires_in"], 300);
    assert_eq!(r.json["phone"], "08x-xxx-5678");
    let reference = r.json["ref"].as_str().unwrap().to_owned();
    let (code, sms_ref) = app.read_outbox_otp("+66812345678");
    assert_eq!(sms_ref, reference);

    let r = app.verify_phone(&id, &code).await;
    assert_eq!(
        (r.status.as_u16(), r.json["next"].as_str()),
        (200, Some("review")),
        "{}",
        r.text
    );

    let r = app.get(&format!("/api/v1/enrollments/{id}")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["citizen_id"], "1-2345-xxxxx-xx-1");
    assert_eq!(r.json["personal"]["first_name"], "สมชาย");
    assert_eq!(r.json["personal"]["birth_date"], "1987-01-01");
    assert_eq!(r.json["username"], "somchai88");
    assert_eq!(r.json["phone"], "08x-xxx-5678");
    assert_eq!(r.json["phone_verified"], true);
    assert_eq!(r.json["identity_verified"], true);
    assert_eq!(r.json["next"], "review");
    assert_eq!(r.json["consent"]["terms_version"], "2026-01");

    let r = app.confirm(&id).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["status"], "registered");
    assert_eq!(r.json["username"], "somchai88");
    let user_id: uuid::Uuid = r.json["user_id"].as_str().unwrap().parse().unwrap();

    // The account exists, signs in with its password, and records how it was
    // proofed.
    let user = app
        .store
        .user_by_username("somchai88")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.id, user_id);
    assert!(
        app.hasher
            .verify("Correct1horse", Some(&user.password_hash))
            .await
            .unwrap()
    );
    assert!(
        !app.hasher
            .verify("correct1horse", Some(&user.password_hash))
            .await
            .unwrap()
    );
    assert_eq!(user.name.given_name, "สมชาย");
    assert_eq!(user.name.family_name, "ใจดี");
    assert_eq!(user.phone.as_deref(), Some("+66812345678"));
    assert!(user.phone_verified);
    let birth = user.birth_date.unwrap();
    assert_eq!(
        (birth.year, birth.month, birth.day),
        (1987, Some(1), Some(1))
    );
    let proofing = user.proofing.unwrap();
    assert_eq!(proofing.method, "dopa_laser");
    assert_eq!(proofing.provider, "registry_file");
    assert_eq!(proofing.result, "0");
    assert_eq!(proofing.ial, "2.1");
    assert_eq!(
        proofing.trust_framework,
        pratu_core::assurance::DOPA_LASER_TRUST_FRAMEWORK
    );
    let sealed = user.citizen_id.unwrap();
    assert_eq!(sealed.index, app.citizen_index("1234567890121"));
    assert_eq!(
        &*app.pii.open(&sealed.ciphertext, b"citizen_id").unwrap(),
        b"1234567890121"
    );
    let found = app
        .store
        .user_by_citizen_index(&sealed.index)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, user_id);

    // The enrollment is closed and says so.
    let r = app.get(&format!("/api/v1/enrollments/{id}")).await;
    assert_eq!(r.json["status"], "completed");
    assert_eq!(r.json["user_id"], user_id.to_string());

    // Consent and completion are audited, without personal data.
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
        "enrollment.identity_verified",
        "enrollment.otp_sent",
        "enrollment.phone_verified",
        "enrollment.confirmed",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    let consent = events
        .iter()
        .find(|e| e.action == "enrollment.consent")
        .unwrap();
    assert_eq!(consent.details["terms_version"], "2026-01");
    assert_eq!(consent.details["text_sha256"].as_str().unwrap().len(), 64);
    let all = serde_json::to_string(&events).unwrap();
    for secret in [
        "1234567890121",
        "สมชาย",
        "0812345678",
        "+66812345678",
        "JT1232145632",
        &code,
    ] {
        assert!(!all.contains(secret), "audit contains {secret}");
    }
}

#[tokio::test]
async fn a_partial_birth_date_in_buddhist_era_is_proofed_and_stored_in_common_era() {
    let app = spawn().await;
    let id = app
        .enroll_to_review(&somying(), "somying", "0912345678")
        .await;
    let r = app.confirm(&id).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let user = app
        .store
        .user_by_username("somying")
        .await
        .unwrap()
        .unwrap();
    let birth = user.birth_date.unwrap();
    assert_eq!((birth.year, birth.month, birth.day), (1995, Some(12), None));
}

#[tokio::test]
async fn every_step_repeated_with_the_same_input_answers_the_same_and_changes_nothing() {
    let app = spawn().await;
    let c = somchai();
    let id = app.start().await;
    for _ in 0..2 {
        let r = app.put_citizen_id(&id, &c.id).await;
        assert_eq!(
            (r.status.as_u16(), r.json["next"].as_str()),
            (200, Some("identity")),
            "{}",
            r.text
        );
    }
    for _ in 0..2 {
        let r = app.put_identity(&id, &c).await;
        assert_eq!(
            (r.status.as_u16(), r.json["next"].as_str()),
            (200, Some("account")),
            "{}",
            r.text
        );
    }
    // A repeated citizen ID after proofing is still fine (a reload).
    let r = app.put_citizen_id(&id, &c.id).await;
    assert_eq!(r.status, 200, "{}", r.text);
    for _ in 0..2 {
        let r = app.put_account(&id, "somchai", "Correct1horse").await;
        assert_eq!(
            (r.status.as_u16(), r.json["next"].as_str()),
            (200, Some("phone")),
            "{}",
            r.text
        );
    }
    let r = app.post_phone(&id, "0812345678").await;
    assert_eq!(r.status, 202);
    let (code, _) = app.read_outbox_otp("+66812345678");
    for _ in 0..2 {
        let r = app.verify_phone(&id, &code).await;
        assert_eq!(
            (r.status.as_u16(), r.json["next"].as_str()),
            (200, Some("review")),
            "{}",
            r.text
        );
    }
    let first = app.confirm(&id).await;
    let second = app.confirm(&id).await;
    assert_eq!(first.status, 201);
    assert_eq!(second.status, 201);
    assert_eq!(first.json, second.json);
    let stored = app
        .store
        .enrollment_by_id(id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.step, EnrollmentStep::Completed);
}

#[tokio::test]
async fn the_account_can_be_changed_before_confirming() {
    let app = spawn().await;
    let id = app
        .enroll_to_review(&somchai(), "first", "0812345678")
        .await;
    let r = app.put_account(&id, "second", "Another1pass").await;
    assert_eq!(
        (r.status.as_u16(), r.json["next"].as_str()),
        (200, Some("review")),
        "{}",
        r.text
    );
    let r = app.confirm(&id).await;
    assert_eq!(r.json["username"], "second");
    let user = app.store.user_by_username("second").await.unwrap().unwrap();
    assert!(
        app.hasher
            .verify("Another1pass", Some(&user.password_hash))
            .await
            .unwrap()
    );
}
