//! Signing-key rotation and client authentication with private_key_jwt.

use pratu_oidc::clients::NewClient;
use pratu_oidc::keys::SigningAlg;
use pratu_storage::records::GrantType;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::tokens::signed_in;

#[tokio::test]
async fn a_token_signed_before_rotation_still_verifies_and_the_new_key_signs_after_activation() {
    let app = TestApp::spawn_with(|c| c.keys.activation_delay_seconds = 300).await;
    let (client, tokens) = signed_in(&app).await;
    let old_kid = TestApp::header(tokens["id_token"].as_str().unwrap())["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let listed = app.state.keys().rotate(None).await.unwrap();
    assert_eq!(listed.len(), 6);
    assert_eq!(listed.iter().filter(|k| k.state == "pending").count(), 3);

    let jwks: Value = app
        .http
        .get(app.url("/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        jwks["keys"].as_array().unwrap().len(),
        6,
        "new keys are published before they sign"
    );
    // Until activation, the old key still signs; the old access token works.
    assert_eq!(
        app.userinfo(tokens["access_token"].as_str().unwrap())
            .await
            .0,
        200
    );
    let rt = tokens["refresh_token"].as_str().unwrap();
    let (_, t2) = app
        .token(
            &client,
            &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        )
        .await;
    assert_eq!(
        TestApp::header(t2["id_token"].as_str().unwrap())["kid"],
        old_kid.as_str()
    );

    app.advance(300);
    let (_, t3) = app
        .token(
            &client,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", t2["refresh_token"].as_str().unwrap()),
            ],
        )
        .await;
    let new_kid = TestApp::header(t3["id_token"].as_str().unwrap())["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_kid, old_kid);
    // Tokens of the retired key still verify while they live.
    assert_eq!(
        app.userinfo(t2["access_token"].as_str().unwrap()).await.0,
        200
    );
    // After every token it signed has expired, the old key leaves JWKS.
    app.advance(721);
    app.state.keys().reload().await.unwrap();
    let jwks: Value = app
        .http
        .get(app.url("/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert!(!kids.contains(&old_kid.as_str()));
    assert!(kids.contains(&new_kid.as_str()));
}
#[tokio::test]
async fn private_key_jwt_authenticates_once_per_assertion() {
    let app = TestApp::spawn().await;
    let key =
        pratu_oidc::keys::material::generate(&pratu_core::OsRandom, SigningAlg::Es256).unwrap();
    let signer =
        pratu_oidc::keys::material::KeySigner::from_pkcs8(SigningAlg::Es256, &key.pkcs8_der)
            .unwrap();
    let client = app
        .client(NewClient {
            client_name: "Signed".into(),
            grant_types: vec![GrantType::ClientCredentials],
            jwks: Some(json!({"keys": [key.public_jwk]})),
            ..Default::default()
        })
        .await;
    assert_eq!(
        client.token_endpoint_auth_method.as_str(),
        "private_key_jwt"
    );
    assert!(client.client_secret.is_none());
    let now = app.clock_now();
    let assertion = |jti: &str, aud: &str| {
        pratu_oidc::keys::jws::sign(
            &signer,
            &key.kid,
            None,
            &json!({"iss": client.client_id, "sub": client.client_id, "aud": aud, "exp": now + 60, "iat": now, "jti": jti}),
        )
        .unwrap()
    };
    let post = |a: String| {
        let app = &app;
        async move {
            let r = app
                .http
                .post(app.url("/token"))
                .form(&[
                    ("grant_type", "client_credentials"),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", &a),
                ])
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let token_url = app.url("/token");
    assert_eq!(post(assertion("j1", &token_url)).await.0, 200);
    assert_eq!(
        post(assertion("j1", &token_url)).await.1["error"],
        "invalid_client",
        "replayed jti"
    );
    assert_eq!(post(assertion("j2", &app.issuer)).await.0, 200);
    assert_eq!(post(assertion("j3", "https://elsewhere")).await.0, 401);
    let other =
        pratu_oidc::keys::material::generate(&pratu_core::OsRandom, SigningAlg::Es256).unwrap();
    let other_signer =
        pratu_oidc::keys::material::KeySigner::from_pkcs8(SigningAlg::Es256, &other.pkcs8_der)
            .unwrap();
    let forged = pratu_oidc::keys::jws::sign(
        &other_signer,
        &key.kid,
        None,
        &json!({"iss": client.client_id, "sub": client.client_id, "aud": token_url, "exp": now + 60, "jti": "j4"}),
    )
    .unwrap();
    assert_eq!(post(forged).await.0, 401);
}

#[tokio::test]
async fn client_assertions_with_alg_none_hmac_a_foreign_audience_or_past_expiry_are_refused() {
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let app = TestApp::spawn().await;
    let key =
        pratu_oidc::keys::material::generate(&pratu_core::OsRandom, SigningAlg::Es256).unwrap();
    let signer =
        pratu_oidc::keys::material::KeySigner::from_pkcs8(SigningAlg::Es256, &key.pkcs8_der)
            .unwrap();
    let client = app
        .client(NewClient {
            client_name: "Signed".into(),
            grant_types: vec![GrantType::ClientCredentials],
            jwks: Some(json!({"keys": [key.public_jwk]})),
            ..Default::default()
        })
        .await;
    let now = app.clock_now();
    let token_url = app.url("/token");
    let claims = |jti: &str, aud: &str, exp: i64| json!({"iss": client.client_id, "sub": client.client_id, "aud": aud, "exp": exp, "iat": now, "jti": jti});
    let post = |a: String| {
        let app = &app;
        async move {
            let r = app
                .http
                .post(app.url("/token"))
                .form(&[
                    ("grant_type", "client_credentials"),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", &a),
                ])
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let refused = |(status, body): (u16, Value), why: &str| {
        assert_eq!(status, 401, "{why}");
        assert_eq!(body["error"], "invalid_client", "{why}");
    };

    let payload = serde_json::to_vec(&claims("n1", &token_url, now + 60)).unwrap();
    let none = format!(
        "{}.{}.",
        b64(format!(r#"{{"alg":"none","kid":"{}"}}"#, key.kid).as_bytes()),
        b64(&payload)
    );
    refused(post(none).await, "alg none");

    // HS256 with the client's public key as the HMAC secret, in two of the
    // forms an attacker might guess: the JWK document and the raw x coordinate.
    let x = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(key.public_jwk["x"].as_str().unwrap())
        .unwrap();
    let jwk_bytes = serde_json::to_vec(&key.public_jwk).unwrap();
    for (i, secret) in [jwk_bytes, x].iter().enumerate() {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = Some(key.kid.clone());
        let hs = jsonwebtoken::encode(
            &header,
            &claims(&format!("h{i}"), &token_url, now + 60),
            &jsonwebtoken::EncodingKey::from_secret(secret),
        )
        .unwrap();
        refused(post(hs).await, "HS256 keyed with the public key");
    }

    let sign = |c: Value| pratu_oidc::keys::jws::sign(&signer, &key.kid, None, &c).unwrap();
    refused(
        post(sign(claims("a1", "https://rp.example/token", now + 60))).await,
        "foreign audience",
    );
    refused(
        post(sign(claims("e1", &token_url, now - 120))).await,
        "expired",
    );
    // The same assertion, well formed, is accepted: the refusals above are
    // about what each one changed.
    assert_eq!(post(sign(claims("ok", &token_url, now + 60))).await.0, 200);
}
