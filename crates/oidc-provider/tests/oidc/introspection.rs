//! Introspection (RFC 7662) and revocation (RFC 7009).

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::tokens::signed_in;

#[tokio::test]
async fn introspection_reports_live_tokens_and_revoked_ones_as_inactive() {
    let app = TestApp::spawn().await;
    let (client, tokens) = signed_in(&app).await;
    let secret = client
        .client_secret
        .as_ref()
        .unwrap()
        .expose_secret()
        .to_owned();
    let at = tokens["access_token"].as_str().unwrap();
    let rt = tokens["refresh_token"].as_str().unwrap();
    let introspect = |token: String| {
        let app = &app;
        let (id, secret) = (client.client_id.clone(), secret.clone());
        async move {
            let r = app
                .http
                .post(app.url("/introspect"))
                .basic_auth(id, Some(secret))
                .form(&[("token", token)])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()
        }
    };
    let v = introspect(at.to_owned()).await;
    assert_eq!(v["active"], true);
    assert_eq!(v["client_id"], client.client_id);
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(introspect(rt.to_owned()).await["active"], true);
    assert_eq!(
        introspect("garbage".to_owned()).await,
        json!({"active": false})
    );

    let r = app
        .http
        .post(app.url("/introspect"))
        .form(&[("token", at)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    for token in [at, rt] {
        let r = app
            .http
            .post(app.url("/revoke"))
            .basic_auth(&client.client_id, Some(&secret))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    assert_eq!(introspect(at.to_owned()).await["active"], false);
    assert_eq!(introspect(rt.to_owned()).await["active"], false);
    assert_eq!(app.userinfo(at).await.0, 401);
    // Unknown tokens revoke "successfully" (RFC 7009 §2.2).
    let r = app
        .http
        .post(app.url("/revoke"))
        .basic_auth(&client.client_id, Some(&secret))
        .form(&[("token", "nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
