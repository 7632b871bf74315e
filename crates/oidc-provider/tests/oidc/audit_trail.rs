//! The provider's audit trail: a failed sign-in, a step-up OTP locked by
//! wrong guesses and a replayed refresh token each leave an event with the
//! request id, and no event ever holds the clear citizen ID — even after a
//! flow that released it to a client.

use pratu_oidc::clients::NewClient;
use pratu_storage::records::{AuditEvent, AuditFilter, GrantType};

use crate::helpers::{CITIZEN_ID, PASSWORD, RP, TestApp, form_action};

/// Every audit event, once at least `at_least` with `action` have landed
/// (writes happen off the request path).
async fn events_after(app: &TestApp, action: &str, at_least: usize) -> Vec<AuditEvent> {
    for _ in 0..500 {
        let all = app
            .store
            .list_audit(&AuditFilter {
                limit: 1000,
                ..AuditFilter::default()
            })
            .await
            .unwrap();
        if all.iter().filter(|e| e.action == action).count() >= at_least {
            return all;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("fewer than {at_least} audit events {action}");
}

fn of<'a>(events: &'a [AuditEvent], action: &str) -> Vec<&'a AuditEvent> {
    events.iter().filter(|e| e.action == action).collect()
}

fn assert_no_citizen_id(events: &[AuditEvent]) {
    for e in events {
        let json = serde_json::to_string(e).unwrap();
        assert!(!json.contains(CITIZEN_ID), "clear citizen ID in {json}");
    }
}

#[tokio::test]
async fn a_failed_sign_in_and_a_locked_step_up_code_are_audited_with_the_request_id() {
    let app = TestApp::spawn().await;
    let user = app.user("somchai").await;
    let client = app.confidential("Agency").await;
    let params = [
        ("response_type", "code"),
        ("client_id", client.client_id.as_str()),
        ("redirect_uri", RP),
        ("scope", "openid profile"),
        ("state", "xyz"),
        (
            "code_challenge",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        ),
        ("code_challenge_method", "S256"),
        ("acr_values", "urn:pratu:acr:aal2"),
    ];
    let mut b = app.browser_with_request_id("req-login-1");
    let page = b.get(&app.authorize_url(&params)).await;
    let wrong = b.login(&page, "somchai", "Wrong1horse").await;
    assert_eq!(wrong.status, 200);
    let after = b.login(&page, "somchai", PASSWORD).await;
    let otp = b.follow(&after).await;
    assert_eq!(otp.status, 200, "{}", otp.body);
    let req = otp.input("req").unwrap();
    let csrf = otp.input("csrf").unwrap();
    let action = form_action(&otp.body);
    for _ in 0..5 {
        b.post(
            &action,
            &[("req", &req), ("csrf", &csrf), ("code", "000000")],
        )
        .await;
    }

    let events = events_after(&app, "login.otp_locked", 1).await;
    let failed = of(&events, "login.failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].actor, format!("user:{}", user.id));
    assert_eq!(failed[0].outcome, "failure");
    assert_eq!(failed[0].details["reason"], "bad_password");
    assert_eq!(failed[0].request_id.as_deref(), Some("req-login-1"));
    assert_eq!(
        failed[0].target.as_deref(),
        Some(&*format!("client:{}", client.client_id))
    );
    assert_eq!(of(&events, "login.succeeded").len(), 1);
    assert_eq!(of(&events, "login.otp_sent").len(), 1);
    assert!(!of(&events, "login.otp_failed").is_empty());
    let locked = of(&events, "login.otp_locked");
    assert_eq!(locked[0].outcome, "locked");
    assert_eq!(locked[0].request_id.as_deref(), Some("req-login-1"));
    assert_no_citizen_id(&events);
}

#[tokio::test]
async fn a_replayed_refresh_token_is_audited_and_no_event_holds_the_citizen_id() {
    let app = TestApp::spawn().await;
    app.user("somchai").await;
    let client = app
        .client(NewClient {
            client_name: "DGA-style agency".into(),
            redirect_uris: vec![RP.into()],
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            first_party: true,
            allow_citizen_id: true,
            ..Default::default()
        })
        .await;
    let mut browser = app.browser();
    let code = app
        .sign_in_for_code(&mut browser, &client, &[("scope", "openid pid citizen_id")])
        .await;
    let (status, tokens) = app.exchange(&client, &code).await;
    assert_eq!(status, 200, "{tokens}");
    let (_, info) = app.userinfo(tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(info["citizen_id"], CITIZEN_ID, "the flow released it");

    let r1 = tokens["refresh_token"].as_str().unwrap();
    let refresh = [("grant_type", "refresh_token"), ("refresh_token", r1)];
    let (status, _) = app.token(&client, &refresh).await;
    assert_eq!(status, 200);
    let (status, _) = app.token(&client, &refresh).await;
    assert_eq!(status, 400);

    let events = events_after(&app, "token.refresh_reused", 1).await;
    let reused = of(&events, "token.refresh_reused");
    assert_eq!(reused.len(), 1);
    assert_eq!(reused[0].outcome, "failure");
    assert!(reused[0].actor.starts_with("user:"));
    assert!(reused[0].details["family_id"].is_string());
    assert!(!of(&events, "login.succeeded").is_empty());
    assert_no_citizen_id(&events);
}

/// A captured code sent again and again revokes and is audited once.
#[tokio::test]
async fn a_code_replayed_three_times_is_audited_once() {
    let app = TestApp::spawn().await;
    app.user("somchai").await;
    let client = app.confidential("Agency").await;
    let mut b = app.browser();
    let code = app.sign_in_for_code(&mut b, &client, &[]).await;
    assert_eq!(app.exchange(&client, &code).await.0, 200);
    for _ in 0..3 {
        assert_eq!(app.exchange(&client, &code).await.0, 400);
    }
    events_after(&app, "token.code_replayed", 1).await;
    // Audit writes land off the request path: give any others time to.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let all = events_after(&app, "token.code_replayed", 1).await;
    assert_eq!(of(&all, "token.code_replayed").len(), 1);
}
