//! Issue 4, black-box: the protocol edges an agency app meets, against the
//! real binary — code reuse, wrong redirect URI and PKCE verifier,
//! client_credentials with introspection and revocation, prompt/max_age,
//! back-channel logout delivery, and key rotation by the CLI.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;

use crate::harness::{Options, Pratu, cli_json, client};
use crate::sso::Browser;

pub const CB: &str = "http://127.0.0.1:9/app/callback";

/// A staff account, `staff1` / `Mango7Sticky` (other modules sign in as it).
pub async fn staff_user(p: &Pratu) {
    cli_json(
        &p.data_dir,
        &[],
        &[
            "user",
            "create",
            "--username",
            "staff1",
            "--given-name",
            "Somsri",
            "--family-name",
            "Dee",
            "--password-stdin",
        ],
        Some("Mango7Sticky\n"),
    )
    .await;
}

pub async fn register(p: &Pratu, extra: &[&str]) -> (String, String) {
    let mut args = vec![
        "client",
        "create",
        "--name",
        "App",
        "--redirect-uri",
        CB,
        "--first-party",
        "--json",
    ];
    args.extend_from_slice(extra);
    let v: Value = cli_json(&p.data_dir, &[], &args, None).await;
    (
        v["client_id"].as_str().unwrap().to_owned(),
        v["client_secret"].as_str().unwrap_or_default().to_owned(),
    )
}

pub fn pkce() -> (String, String) {
    use sha2::Digest as _;
    let verifier = format!("v{}", uuid::Uuid::new_v4().simple()).repeat(2);
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

pub fn authorize_url(p: &Pratu, client_id: &str, challenge: &str, extra: &str) -> String {
    format!(
        "{}/authorize?response_type=code&client_id={client_id}&redirect_uri={}&scope=openid%20profile&state=st&nonce=nn&code_challenge={challenge}&code_challenge_method=S256{extra}",
        p.url,
        url::form_urlencoded::byte_serialize(CB.as_bytes()).collect::<String>()
    )
}

pub async fn token(p: &Pratu, id: &str, secret: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let r = client()
        .post(format!("{}/token", p.url))
        .basic_auth(id, Some(secret))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn introspect(p: &Pratu, id: &str, secret: &str, token: &str) -> Value {
    client()
        .post(format!("{}/introspect", p.url))
        .basic_auth(id, Some(secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn a_code_works_once_and_its_replay_revokes_what_it_issued() {
    let p = Pratu::start().await;
    staff_user(&p).await;
    let (id, secret) = register(
        &p,
        &[
            "--grant-type",
            "authorization_code",
            "--grant-type",
            "refresh_token",
        ],
    )
    .await;

    // An unregistered redirect URI: an error page, never a redirect.
    let evil = format!(
        "{}/authorize?response_type=code&client_id={id}&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&scope=openid",
        p.url
    );
    let r = client().get(&evil).send().await.unwrap();
    assert!(
        !r.status().is_redirection(),
        "redirected to an unregistered URI"
    );
    assert_eq!(r.status(), 400);

    let b = Browser::new();
    let (_, challenge) = pkce();
    let page = b.get(&authorize_url(&p, &id, &challenge, "")).await;
    let back = b.sign_in(page, &p.url, "staff1", "Mango7Sticky").await;
    let code = back.redirect_param("code").expect("a code");

    let (status, body) = token(
        &p,
        &id,
        &secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            (
                "code_verifier",
                "wrong-verifier-wrong-verifier-wrong-verifier-1",
            ),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "wrong PKCE verifier"
    );

    // A fresh code (the failed attempt consumed the first).
    let (verifier2, challenge2) = pkce();
    let back = b
        .until_rp(
            b.get(&authorize_url(&p, &id, &challenge2, "")).await,
            &p.url,
        )
        .await;
    let code = back
        .redirect_param("code")
        .expect("SSO gives a code without a login page");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CB),
        ("code_verifier", verifier2.as_str()),
    ];
    let (status, first) = token(&p, &id, &secret, &form).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        introspect(&p, &id, &secret, first["access_token"].as_str().unwrap()).await["active"],
        true
    );
    let (status, replay) = token(&p, &id, &secret, &form).await;
    assert_eq!(
        (status, replay["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(
        introspect(&p, &id, &secret, first["access_token"].as_str().unwrap()).await["active"],
        false
    );
    let (status, refresh) = token(
        &p,
        &id,
        &secret,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", first["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(
        (status, refresh["error"].as_str()),
        (400, Some("invalid_grant")),
        "the replay revoked the refresh family"
    );

    // prompt=none with a live session answers with a code; max_age=0 asks
    // for the password again.
    let (_, challenge3) = pkce();
    let back = b
        .until_rp(
            b.get(&authorize_url(&p, &id, &challenge3, "&prompt=none"))
                .await,
            &p.url,
        )
        .await;
    assert!(
        back.redirect_param("code").is_some(),
        "prompt=none with a session: {:?}",
        back.location
    );
    let page = b
        .until_rp(
            b.get(&authorize_url(&p, &id, &challenge3, "&max_age=0"))
                .await,
            &p.url,
        )
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("current-password"),
        "max_age=0 re-authenticates"
    );
}

#[tokio::test]
async fn a_back_office_service_gets_tokens_that_revocation_ends_at_once() {
    let p = Pratu::start().await;
    let (id, secret) = register(
        &p,
        &["--grant-type", "client_credentials", "--scope", "openid"],
    )
    .await;
    let (status, body) = token(&p, &id, &secret, &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, 200, "{body}");
    let at = body["access_token"].as_str().unwrap();
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(at.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(claims(at)["client_id"], id.as_str());
    assert_eq!(introspect(&p, &id, &secret, at).await["active"], true);
    let r = client()
        .post(format!("{}/revoke", p.url))
        .basic_auth(&id, Some(&secret))
        .form(&[("token", at)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(introspect(&p, &id, &secret, at).await["active"], false);
    let (status, body) = token(
        &p,
        &id,
        "not-the-secret",
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
}

#[tokio::test]
async fn logout_reaches_the_app_through_the_back_channel() {
    // The agency app's back-channel endpoint.
    let received = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/bcl",
        axum::routing::post(move |body: String| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(body);
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bcl = format!("http://{}/bcl", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let p = Pratu::start().await;
    staff_user(&p).await;
    let (id, secret) = register(
        &p,
        &[
            "--backchannel-logout-uri",
            &bcl,
            "--post-logout-redirect-uri",
            CB,
        ],
    )
    .await;
    let b = Browser::new();
    let (verifier, challenge) = pkce();
    let back = b
        .sign_in(
            b.get(&authorize_url(&p, &id, &challenge, "")).await,
            &p.url,
            "staff1",
            "Mango7Sticky",
        )
        .await;
    let code = back.redirect_param("code").unwrap();
    let (status, tokens) = token(
        &p,
        &id,
        &secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let id_token = tokens["id_token"].as_str().unwrap();
    let sid = claims(id_token)["sid"].as_str().unwrap().to_owned();

    let after = b.rp_logout(&p.url, id_token, CB).await;
    assert!(
        after
            .location
            .as_deref()
            .unwrap_or_default()
            .starts_with(CB)
    );

    let mut body = None;
    for _ in 0..100 {
        if let Some(b) = received.lock().unwrap().first().cloned() {
            body = Some(b);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let body = body.expect("a logout token within 10 s");
    let token = url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "logout_token")
        .map(|(_, v)| v.into_owned())
        .expect("logout_token form field");
    let c = claims(&token);
    assert_eq!(c["sid"], sid.as_str());
    assert_eq!(c["aud"], id.as_str());
    assert!(c["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object());
    assert!(c.get("nonce").is_none());
}

#[tokio::test]
async fn a_key_rotated_by_the_cli_is_published_and_old_tokens_still_verify() {
    let p =
        Pratu::start_with(Options::default().env("PRATU_KEYS__RELOAD_INTERVAL_SECONDS", "1")).await;
    let (id, secret) = register(
        &p,
        &["--grant-type", "client_credentials", "--scope", "openid"],
    )
    .await;
    let (_, body) = token(&p, &id, &secret, &[("grant_type", "client_credentials")]).await;
    let old = body["access_token"].as_str().unwrap().to_owned();
    let kid_of = |jwt: &str| -> String {
        let h: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(jwt.split('.').next().unwrap())
                .unwrap(),
        )
        .unwrap();
        h["kid"].as_str().unwrap().to_owned()
    };
    let old_kid = kid_of(&old);
    let jwks_kids = || async {
        let v: Value = client()
            .get(format!("{}/jwks", p.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let before = jwks_kids().await;

    cli_json(&p.data_dir, &[], &["keys", "rotate"], None).await;
    let mut after = before.clone();
    for _ in 0..50 {
        after = jwks_kids().await;
        if after.len() > before.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        after.len() > before.len(),
        "the running server publishes the new keys: {before:?} → {after:?}"
    );
    assert!(
        after.contains(&old_kid),
        "the old key stays published while its tokens live"
    );
    assert_eq!(introspect(&p, &id, &secret, &old).await["active"], true);
}
