//! The core flows on PostgreSQL + Redis, the several-node deployment
//! (runs when `PRATU_TEST_POSTGRES_URL` and `PRATU_TEST_REDIS_URL` are set;
//! required in CI). Nothing here moves the clock past a lifetime: Redis
//! expires keys by the real clock.

use serde_json::Value;

use crate::helpers::{RP, TestApp};

#[tokio::test]
async fn the_core_flows_work_on_postgres_and_redis() {
    let Some(app) = TestApp::spawn_on_postgres_and_redis().await else {
        return;
    };
    app.user("somchai").await;
    let client = app.confidential("Agency").await;
    let mut b = app.browser();

    // Code flow, userinfo, code reuse.
    let code = app.sign_in_for_code(&mut b, &client, &[]).await;
    let (status, tokens) = app.exchange(&client, &code).await;
    assert_eq!(status, 200, "{tokens}");
    let at = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.userinfo(&at).await.0, 200);
    assert_eq!(app.exchange(&client, &code).await.0, 400);
    assert_eq!(
        app.userinfo(&at).await.0,
        401,
        "replay revoked the first access token"
    );

    // Refresh rotation and reuse detection.
    let code = app.sign_in_for_code(&mut b, &client, &[]).await;
    let (_, tokens) = app.exchange(&client, &code).await;
    let r1 = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (status, t2) = app
        .token(
            &client,
            &[("grant_type", "refresh_token"), ("refresh_token", &r1)],
        )
        .await;
    assert_eq!(status, 200, "{t2}");
    let r2 = t2["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.token(
            &client,
            &[("grant_type", "refresh_token"), ("refresh_token", &r1)]
        )
        .await
        .0,
        400
    );
    assert_eq!(
        app.token(
            &client,
            &[("grant_type", "refresh_token"), ("refresh_token", &r2)]
        )
        .await
        .0,
        400
    );

    // Revocation reaches introspection.
    let at = t2["access_token"].as_str().unwrap();
    let secret = client
        .client_secret
        .as_ref()
        .unwrap()
        .expose_secret()
        .to_owned();
    let r = app
        .http
        .post(app.url("/revoke"))
        .basic_auth(&client.client_id, Some(&secret))
        .form(&[("token", at)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = app
        .http
        .post(app.url("/introspect"))
        .basic_auth(&client.client_id, Some(&secret))
        .form(&[("token", at)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["active"], false);

    // Logout ends the session for prompt=none.
    let code = app.sign_in_for_code(&mut b, &client, &[]).await;
    let (_, tokens) = app.exchange(&client, &code).await;
    let url = format!(
        "{}?id_token_hint={}",
        app.url("/logout"),
        tokens["id_token"].as_str().unwrap()
    );
    assert_eq!(b.get(&url).await.status, 200);
    let page = b
        .get(&app.authorize_url(&[
            ("response_type", "code"),
            ("client_id", &client.client_id),
            ("redirect_uri", RP),
            ("scope", "openid"),
            ("prompt", "none"),
        ]))
        .await;
    assert_eq!(
        page.redirect_param("error").as_deref(),
        Some("login_required")
    );
}
