//! RP-initiated and back-channel logout.

use std::net::SocketAddr;

use axum::extract::State;
use axum::routing::post;
use pratu_oidc::clients::NewClient;
use pratu_storage::records::GrantType;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::helpers::{RP, TestApp};

/// A relying party's back-channel endpoint: forwards each logout token.
async fn receiver() -> (String, mpsc::UnboundedReceiver<String>) {
    let (tx, rx) = mpsc::unbounded_channel::<String>();
    let app = axum::Router::new()
        .route(
            "/bc",
            post(
                |State(tx): State<mpsc::UnboundedSender<String>>, body: String| async move {
                    let token = url::form_urlencoded::parse(body.as_bytes())
                        .find(|(k, _)| k == "logout_token")
                        .map(|(_, v)| v.into_owned())
                        .unwrap_or_default();
                    let _ = tx.send(token);
                    "ok"
                },
            ),
        )
        .with_state(tx);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://127.0.0.1:{}/bc", addr.port()), rx)
}

#[tokio::test]
async fn rp_initiated_logout_ends_the_session_everywhere_and_tells_every_client() {
    let app = TestApp::spawn().await;
    let user = app.user("somchai").await;
    let (bc_uri, mut rx) = receiver().await;
    let a = app
        .client(NewClient {
            client_name: "A".into(),
            redirect_uris: vec![RP.into()],
            post_logout_redirect_uris: vec!["https://rp.example/bye".into()],
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            backchannel_logout_uri: Some(bc_uri.clone()),
            first_party: true,
            ..Default::default()
        })
        .await;
    let b_client = app.confidential("B").await;
    let mut browser = app.browser();
    let code = app.sign_in_for_code(&mut browser, &a, &[]).await;
    let (_, tokens) = app.exchange(&a, &code).await;
    app.sign_in_for_code(&mut browser, &b_client, &[]).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let sid = TestApp::claims(id_token)["sid"]
        .as_str()
        .unwrap()
        .to_owned();

    let url = format!(
        "{}?id_token_hint={id_token}&post_logout_redirect_uri={}&state=bye-state",
        app.url("/logout"),
        "https%3A%2F%2Frp.example%2Fbye"
    );
    let page = browser.get(&url).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(
        page.location.as_deref(),
        Some("https://rp.example/bye?state=bye-state")
    );

    // prompt=none now finds no session.
    let check = browser
        .get(&app.authorize_url(&[
            ("response_type", "code"),
            ("client_id", &a.client_id),
            ("redirect_uri", RP),
            ("scope", "openid"),
            ("prompt", "none"),
            (
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            ),
            ("code_challenge_method", "S256"),
        ]))
        .await;
    assert_eq!(
        check.redirect_param("error").as_deref(),
        Some("login_required")
    );

    // The session's refresh tokens are revoked.
    let (status, _) = app
        .token(
            &a,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(status, 400);

    // The back-channel logout token reached client A.
    let token = tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    let header = TestApp::header(&token);
    assert_eq!(header["typ"], "logout+jwt");
    let claims: Value = TestApp::claims(&token);
    assert_eq!(claims["iss"], app.issuer);
    assert_eq!(claims["aud"], a.client_id);
    assert_eq!(claims["sid"], sid);
    assert_eq!(claims["sub"], user.id.to_string());
    assert!(claims["jti"].is_string() && claims["iat"].is_i64() && claims["exp"].is_i64());
    assert!(claims["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object());
    assert!(claims.get("nonce").is_none());
    // Its signature verifies against the published keys.
    let ring = app.state.keys().ring();
    let mut v = pratu_oidc::keys::inbound::validation(&["iss", "exp"]);
    v.validate_aud = false;
    ring.decode::<Value>(&token, &v).unwrap();
}

#[tokio::test]
async fn logout_without_a_hint_asks_the_user_first() {
    let app = TestApp::spawn().await;
    app.user("somchai").await;
    let client = app.confidential("A").await;
    let mut browser = app.browser();
    app.sign_in_for_code(&mut browser, &client, &[]).await;
    let url = format!(
        "{}?client_id={}&post_logout_redirect_url=https%3A%2F%2Frp.example%2Fbye",
        app.url("/logout"),
        client.client_id
    );
    let page = browser.get(&url).await;
    assert_eq!(page.status, 200);
    let csrf = page.input("csrf").unwrap();
    let id = page.input("logout").unwrap();
    let forged = browser
        .post(
            &app.url("/logout/confirm"),
            &[("csrf", "x"), ("logout", &id)],
        )
        .await;
    assert_eq!(forged.status, 400);
    let done = browser
        .post(
            &app.url("/logout/confirm"),
            &[("csrf", &csrf), ("logout", &id)],
        )
        .await;
    assert_eq!(done.status, 303);
    assert_eq!(done.location.as_deref(), Some("https://rp.example/bye"));
    let again = browser
        .get(&app.authorize_url(&[
            ("response_type", "code"),
            ("client_id", &client.client_id),
            ("redirect_uri", RP),
            ("scope", "openid"),
        ]))
        .await;
    assert!(again.body.contains("current-password"), "signed out");
}

#[tokio::test]
async fn an_unregistered_post_logout_uri_is_never_followed() {
    let app = TestApp::spawn().await;
    let client = app.confidential("A").await;
    let mut browser = app.browser();
    let url = format!(
        "{}?client_id={}&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F",
        app.url("/logout"),
        client.client_id
    );
    let page = browser.get(&url).await;
    assert_eq!(page.status, 400);
    assert!(page.location.is_none());
    let plain = browser.get(&app.url("/logout")).await;
    assert_eq!(plain.status, 200, "no session: the signed-out page");
}
