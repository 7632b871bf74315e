//! Refusals of the account step.

use pratu_registration::config::EnrollmentConfig;

use crate::helpers::{Options, somchai, somying, spawn, spawn_with};

async fn at_account(app: &crate::helpers::TestApp) -> String {
    let c = somchai();
    let id = app.start().await;
    assert_eq!(app.put_citizen_id(&id, &c.id).await.status, 200);
    assert_eq!(app.put_identity(&id, &c).await.status, 200);
    id
}

#[tokio::test]
async fn passwords_outside_the_policy_are_refused_with_the_rule_broken() {
    let app = spawn().await;
    let id = at_account(&app).await;
    for (password, code) in [
        ("abc1", "too_short"),
        ("abcdefgh", "needs_digit"),
        ("12345678", "needs_letter"),
        ("correct horse 1", "invalid_character"),
        ("Correct!horse1", "invalid_character"),
        ("รหัสผ่าน12345", "invalid_character"),
    ] {
        let r = app.put_account(&id, "somchai", password).await;
        r.assert_problem(422, "password_policy");
        assert_eq!(r.json["errors"][0]["field"], "password");
        assert_eq!(r.json["errors"][0]["code"], code, "{password}");
        assert!(!r.text.contains(password), "password echoed");
    }
}

#[tokio::test]
async fn the_password_policy_comes_from_config() {
    let mut enrollment = EnrollmentConfig::default();
    enrollment.password.min_length = 12;
    let app = spawn_with(Options {
        enrollment,
        ..Default::default()
    })
    .await;
    let id = at_account(&app).await;
    let r = app.put_account(&id, "somchai", "Short1pass").await;
    r.assert_problem(422, "password_policy");
    assert_eq!(r.json["errors"][0]["code"], "too_short");
    assert_eq!(
        app.put_account(&id, "somchai", "Long1enough1pass")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn usernames_must_be_english_letters_and_digits() {
    let app = spawn().await;
    let id = at_account(&app).await;
    for (username, code) in [
        ("som.chai", "invalid_character"),
        ("สมชาย", "invalid_character"),
        ("abc", "too_short"),
    ] {
        let r = app.put_account(&id, username, "Correct1horse").await;
        r.assert_problem(422, "invalid_request");
        assert_eq!(r.json["errors"][0]["field"], "username");
        assert_eq!(r.json["errors"][0]["code"], code);
    }
}

#[tokio::test]
async fn a_taken_username_is_refused_in_any_case() {
    let app = spawn().await;
    let first = app
        .enroll_to_review(&somying(), "Somying", "0812345678")
        .await;
    assert_eq!(app.confirm(&first).await.status, 201);
    let id = at_account(&app).await;
    app.put_account(&id, "SOMYING", "Correct1horse")
        .await
        .assert_problem(409, "username_taken");
}

#[tokio::test]
async fn a_username_taken_meanwhile_is_refused_at_confirm() {
    let app = spawn().await;
    let a = app.enroll_to_review(&somying(), "same", "0812345678").await;
    let b = app.enroll_to_review(&somchai(), "same", "0898765432").await;
    assert_eq!(app.confirm(&a).await.status, 201);
    app.confirm(&b).await.assert_problem(409, "username_taken");
    // A new name fixes it.
    assert_eq!(
        app.put_account(&b, "different", "Correct1horse")
            .await
            .status,
        200
    );
    assert_eq!(app.confirm(&b).await.status, 201);
}
