//! The token endpoint's grants and errors, userinfo, introspection,
//! revocation, private_key_jwt and key rotation.

use pratu_oidc::clients::NewClient;
use pratu_storage::records::GrantType;
use serde_json::{Value, json};

use crate::helpers::{Code, TestApp};

pub(crate) async fn signed_in(app: &TestApp) -> (pratu_oidc::clients::ClientView, Value) {
    app.user("somchai").await;
    let client = app.confidential("Agency").await;
    let mut b = app.browser();
    let code = app.sign_in_for_code(&mut b, &client, &[]).await;
    let (status, tokens) = app.exchange(&client, &code).await;
    assert_eq!(status, 200, "{tokens}");
    (client, tokens)
}

#[tokio::test]
async fn a_code_works_once_and_its_replay_revokes_what_it_issued() {
    let app = TestApp::spawn().await;
    app.user("somchai").await;
    let client = app.confidential("Agency").await;
    let mut b = app.browser();
    let code = app.sign_in_for_code(&mut b, &client, &[]).await;
    let (_, tokens) = app.exchange(&client, &code).await;
    let at = tokens["access_token"].as_str().unwrap();
    assert_eq!(app.userinfo(at).await.0, 200);

    let (status, err) = app.exchange(&client, &code).await;
    assert_eq!(status, 400);
    assert_eq!(err["error"], "invalid_grant");
    assert!(err["error_description"].is_string());
    assert_eq!(
        app.userinfo(at).await.0,
        401,
        "the first access token is revoked"
    );
    let (status, err) = app
        .token(
            &client,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn wrong_verifier_redirect_uri_client_or_an_expired_code_is_invalid_grant() {
    let app = TestApp::spawn().await;
    app.user("somchai").await;
    let client = app.confidential("Agency").await;
    let other = app.confidential("Other").await;
    let mut b = app.browser();

    let code = app.sign_in_for_code(&mut b, &client, &[]).await;
    let bad = Code {
        code: code.code.clone(),
        verifier: "x".repeat(43),
    };
    let (s, e) = app.exchange(&client, &bad).await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_grant")));

    let code = app.sign_in_for_code(&mut b, &client, &[]).await;
    let (s, e) = app
        .token(
            &client,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code.code),
                ("redirect_uri", "https://rp.example/other"),
                ("code_verifier", &code.verifier),
            ],
        )
        .await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_grant")));

    let code = app.sign_in_for_code(&mut b, &client, &[]).await;
    let (s, e) = app.exchange(&other, &code).await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_grant")));

    let code = app.sign_in_for_code(&mut b, &client, &[]).await;
    app.advance(61);
    let (s, e) = app.exchange(&client, &code).await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_grant")));
}

#[tokio::test]
async fn malformed_token_requests_get_spec_shaped_errors() {
    let app = TestApp::spawn().await;
    let client = app.confidential("Agency").await;
    let secret = client
        .client_secret
        .as_ref()
        .unwrap()
        .expose_secret()
        .to_owned();
    let url = app.url("/token");

    let r = app
        .http
        .post(&url)
        .basic_auth(&client.client_id, Some(&secret))
        .form(&[("code", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");

    let r = app
        .http
        .post(&url)
        .basic_auth(&client.client_id, Some(&secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");

    let r = app
        .http
        .post(&url)
        .basic_auth(&client.client_id, Some(&secret))
        .json(&json!({"grant_type": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");

    let r = app
        .http
        .post(&url)
        .basic_auth(&client.client_id, Some(&secret))
        .form(&[("grant_type", "password")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );

    let r = app
        .http
        .post(&url)
        .basic_auth(&client.client_id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "unauthorized_client"
    );

    // Wrong secret and unknown client: the same 401 with a Basic challenge.
    for (id, pw) in [(client.client_id.as_str(), "wrong"), ("unknown", "x")] {
        let r = app
            .http
            .post(&url)
            .basic_auth(id, Some(pw))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        assert!(
            r.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Basic")
        );
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_client");
    }
    // Two methods at once.
    let r = app
        .http
        .post(&url)
        .basic_auth(&client.client_id, Some(&secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client.client_id.as_str()),
            ("client_secret", secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
}

#[tokio::test]
async fn client_credentials_issue_a_service_token_with_either_secret_method() {
    let app = TestApp::spawn().await;
    let svc = app
        .client(NewClient {
            client_name: "INFO back office".into(),
            grant_types: vec![GrantType::ClientCredentials],
            scopes: vec!["profile".into()],
            ..Default::default()
        })
        .await;
    let secret = svc
        .client_secret
        .as_ref()
        .unwrap()
        .expose_secret()
        .to_owned();
    let (status, t) = app
        .token(&svc, &[("grant_type", "client_credentials")])
        .await;
    assert_eq!(status, 200, "{t}");
    assert!(t.get("refresh_token").is_none() && t.get("id_token").is_none());
    let claims = TestApp::claims(t["access_token"].as_str().unwrap());
    assert_eq!(claims["sub"], svc.client_id);
    assert_eq!(claims["client_id"], svc.client_id);

    let r = app
        .http
        .post(app.url("/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", svc.client_id.as_str()),
            ("client_secret", secret.as_str()),
            ("scope", "profile"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["scope"], "profile");
    let (status, e) = app
        .token(
            &svc,
            &[("grant_type", "client_credentials"), ("scope", "phone")],
        )
        .await;
    assert_eq!((status, e["error"].as_str()), (400, Some("invalid_scope")));

    // A rotated secret replaces the old one at once.
    let rotated = app
        .state
        .clients()
        .rotate_secret(&svc.client_id)
        .await
        .unwrap();
    assert_eq!(
        app.token(&svc, &[("grant_type", "client_credentials")])
            .await
            .0,
        401
    );
    assert_eq!(
        app.token(&rotated, &[("grant_type", "client_credentials")])
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn refresh_rotates_and_a_reused_token_revokes_the_family() {
    let app = TestApp::spawn().await;
    let (client, tokens) = signed_in(&app).await;
    let r1 = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (status, t2) = app
        .token(
            &client,
            &[("grant_type", "refresh_token"), ("refresh_token", &r1)],
        )
        .await;
    assert_eq!(status, 200, "{t2}");
    let r2 = t2["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, r2);
    let idc = TestApp::claims(t2["id_token"].as_str().unwrap());
    assert!(idc.get("nonce").is_none());
    assert_eq!(
        idc["auth_time"],
        TestApp::claims(tokens["id_token"].as_str().unwrap())["auth_time"]
    );

    let (status, t3) = app
        .token(
            &client,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &r2),
                ("scope", "openid"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(t3["scope"], "openid");
    let r3 = t3["refresh_token"].as_str().unwrap().to_owned();
    let (status, e) = app
        .token(
            &client,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &r3),
                ("scope", "openid pid"),
            ],
        )
        .await;
    assert_eq!((status, e["error"].as_str()), (400, Some("invalid_scope")));
    // The refused request did not spend r3.
    let (status, t4) = app
        .token(
            &client,
            &[("grant_type", "refresh_token"), ("refresh_token", &r3)],
        )
        .await;
    assert_eq!(status, 200, "{t4}");
    assert_eq!(
        t4["scope"], tokens["scope"],
        "the family keeps the original scope"
    );
    let r4 = t4["refresh_token"].as_str().unwrap().to_owned();

    // Replaying r1: the whole family dies, r4 included.
    let (status, e) = app
        .token(
            &client,
            &[("grant_type", "refresh_token"), ("refresh_token", &r1)],
        )
        .await;
    assert_eq!((status, e["error"].as_str()), (400, Some("invalid_grant")));
    let (status, _) = app
        .token(
            &client,
            &[("grant_type", "refresh_token"), ("refresh_token", &r4)],
        )
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn userinfo_takes_a_bearer_header_or_form_body_and_answers_rfc_6750_errors() {
    let app = TestApp::spawn().await;
    let (_client, tokens) = signed_in(&app).await;
    let at = tokens["access_token"].as_str().unwrap();
    let url = app.url("/userinfo");

    let r = app
        .http
        .post(&url)
        .form(&[("access_token", at)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app.http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], r#"Bearer realm="pratu""#);
    let r = app
        .http
        .get(&url)
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains(r#"error="invalid_token""#)
    );
    let r = app
        .http
        .post(&url)
        .bearer_auth(at)
        .form(&[("access_token", at)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    app.advance(601);
    assert_eq!(app.userinfo(at).await.0, 401, "expired");
}
