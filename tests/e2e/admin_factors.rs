//! Issue 19 (operator part), black-box: an operator sees which second
//! factors a citizen's account has (never their secrets) and resets them
//! (the authenticator app, passkeys) for a citizen who lost them, only
//! with a written identity check, and the audit trail shows each reset
//! with that check; a caller without the admin scope is refused.

use pratu_core::totp::{TotpSecret, step_of};
use reqwest::Method;
use serde_json::{Value, json};

use crate::account_api::{Backend, PASSWORD, Setup, USER, last_sms};
use crate::admin::{actions, api, cc_token};
use crate::harness::cli_json;
use crate::sso::Browser;

/// A client-credentials client registered by the CLI with `scope`: its id
/// and secret.
async fn service_client(s: &Setup, name: &str, scope: &str) -> (String, String) {
    let envs: Vec<(&str, &str)> = s
        .envs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let v = cli_json(
        &s.p.data_dir,
        &envs,
        &[
            "client",
            "create",
            "--name",
            name,
            "--scope",
            scope,
            "--grant-type",
            "client_credentials",
            "--json",
        ],
        None,
    )
    .await;
    (
        v["client_id"].as_str().unwrap().to_owned(),
        v["client_secret"].as_str().unwrap().to_owned(),
    )
}

/// Adds the authenticator app through the account API as the citizen
/// would, and a set of recovery codes: the secret handed out.
async fn enable_totp(s: &Setup, token: &str) -> String {
    let t = Some(token);
    let (status, _, setup) = s.api(Method::POST, "/totp", t, None).await;
    assert_eq!(status, 200, "{setup}");
    let secret_text = setup["secret"].as_str().unwrap().to_owned();
    crate::leaks::watch("totp secret", &secret_text);
    let secret = TotpSecret::from_base32(&secret_text).unwrap();
    let code = secret.code_at(step_of(crate::totp::now()));
    let (status, _, body) = s
        .api(
            Method::POST,
            "/totp/verify",
            t,
            Some(json!({"code": code.as_str()})),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let (status, _, body) = s.api(Method::POST, "/recovery-codes", t, None).await;
    assert_eq!(status, 200, "{body}");
    secret_text
}

/// A passkey of the account, written straight into the server's SQLite
/// database: adding one through the portal needs a browser with a virtual
/// authenticator (see `passkeys`), and what is checked here is only what
/// the operator sees of it and that the reset removes it. The credential
/// text stands for the WebAuthn layer's serialised credential.
async fn plant_passkey(s: &Setup, uid: &str, id: u8, name: &str, used: bool) -> String {
    use sqlx::Connection as _;
    let credential = format!("{{\"cred\":\"opaque-credential-{id}\"}}");
    let url = format!("sqlite://{}/pratu.db", s.p.data_dir.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let micros = 1_700_000_000_000_000i64 + i64::from(id) * 1_000_000;
    sqlx::query(
        "INSERT INTO passkeys (credential_id, user_id, name, credential, created_at, \
         last_used_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .bind(vec![id; 16])
    .bind(uid)
    .bind(name)
    .bind(&credential)
    .bind(micros)
    .bind(used.then_some(micros + 60_000_000))
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    credential
}

#[tokio::test]
async fn an_operator_sees_and_resets_a_citizens_second_factors() {
    let Some(s) = Setup::start(Backend::Sqlite).await else {
        return;
    };
    let citizen = s.account_token(&Browser::new(), PASSWORD).await.unwrap();
    let secret = enable_totp(&s, &citizen).await;

    let (bot, bot_secret) = service_client(&s, "ops-bot", "pratu:admin").await;
    let admin = cc_token(&s.p, &bot, &bot_secret, Some("pratu:admin")).await;
    let admin = Some(admin.as_str());
    let (status, _, found) = api(
        &s.p,
        Method::GET,
        &format!("/admin/api/v1/users?username={USER}"),
        admin,
        None,
    )
    .await;
    assert_eq!(status, 200, "{found}");
    let uid = found["users"][0]["id"].as_str().unwrap().to_owned();
    let factors_path = format!("/admin/api/v1/users/{uid}/factors");
    let reset_path = format!("{factors_path}/reset");

    let (status, _, f) = api(&s.p, Method::GET, &factors_path, admin, None).await;
    assert_eq!((status, &f["passkeys"]), (200, &json!([])), "{f}");
    let key_credential = plant_passkey(&s, &uid, 1, "YubiKey", false).await;
    let phone_credential = plant_passkey(&s, &uid, 2, "Pixel", true).await;

    // What the account has: the verified phone, the app with ten codes,
    // two passkeys by name and date; nothing secret, no credential and no
    // phone number.
    let (status, _, f) = api(&s.p, Method::GET, &factors_path, admin, None).await;
    assert_eq!(status, 200, "{f}");
    assert_eq!(f["sms"], json!({"phone_verified": true}));
    assert_eq!(f["totp"]["active"], true, "{f}");
    assert!(f["totp"]["activated_at"].is_string(), "{f}");
    assert_eq!(f["totp"]["recovery_codes_left"], 10, "{f}");
    assert_eq!(
        f["passkeys"],
        json!([
            {"name": "YubiKey", "created_at": "2023-11-14T22:13:21Z", "last_used_at": null},
            {"name": "Pixel", "created_at": "2023-11-14T22:13:22Z", "last_used_at": "2023-11-14T22:14:22Z"},
        ])
    );
    let text = f.to_string();
    assert!(!text.contains(&secret), "the TOTP secret in {text}");
    assert!(!text.contains("secret"), "{text}");
    assert!(!text.contains("credential"), "{text}");
    assert!(!text.contains("812345678"), "the phone number in {text}");

    // A caller without the admin scope is refused.
    let (weak, weak_secret) = service_client(&s, "reporting", "phone").await;
    let weak = cc_token(&s.p, &weak, &weak_secret, Some("phone")).await;
    for (method, path) in [(Method::GET, &factors_path), (Method::POST, &reset_path)] {
        let (status, _, body) = api(
            &s.p,
            method,
            path,
            Some(&weak),
            Some(json!({"identity_check": "in person with the ID card"})),
        )
        .await;
        assert_eq!(status, 403, "{path}: {body}");
    }
    // The citizen's own token is no operator's either.
    let (status, _, _) = api(&s.p, Method::GET, &factors_path, Some(&citizen), None).await;
    assert_eq!(status, 403);

    // No reset without a written identity check.
    for bad in [
        json!({}),
        json!({"identity_check": ""}),
        json!({"identity_check": "   ", "factors": ["totp"]}),
        json!({"identity_check": "x".repeat(201)}),
        json!({"identity_check": "in person", "factors": ["sms"]}),
    ] {
        let (status, _, body) =
            api(&s.p, Method::POST, &reset_path, admin, Some(bad.clone())).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("bad_request")),
            "{bad}: {body}"
        );
    }
    let (_, _, f) = api(&s.p, Method::GET, &factors_path, admin, None).await;
    assert_eq!(f["totp"]["active"], true, "a refused reset removed nothing");

    // An unknown account.
    let nobody = uuid::Uuid::new_v4();
    let (status, _, body) = api(
        &s.p,
        Method::POST,
        &format!("/admin/api/v1/users/{nobody}/factors/reset"),
        admin,
        Some(json!({"identity_check": "in person with the ID card"})),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
    let (status, _, _) = api(
        &s.p,
        Method::GET,
        &format!("/admin/api/v1/users/{nobody}/factors"),
        admin,
        None,
    )
    .await;
    assert_eq!(status, 404);

    // The passkeys alone: the app stays.
    let check = "in person at the Bang Rak counter with the ID card";
    let (status, _, done) = api(
        &s.p,
        Method::POST,
        &reset_path,
        admin,
        Some(json!({"identity_check": check, "factors": ["passkeys"]})),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done, json!({"totp_removed": false, "passkeys_removed": 2}));
    // The citizen's phone is told an officer removed them.
    let notice = last_sms(&s.p, "+66812345678");
    assert!(notice.contains("An officer removed"), "{notice}");
    assert!(
        !notice.contains(check),
        "the operator's note stays in the trail"
    );
    let (_, _, f) = api(&s.p, Method::GET, &factors_path, admin, None).await;
    assert_eq!(f["passkeys"], json!([]), "{f}");
    assert_eq!(f["totp"]["active"], true, "{f}");

    // The rest: the app and its codes go; the sessions stay.
    let (status, _, done) = api(
        &s.p,
        Method::POST,
        &reset_path,
        admin,
        Some(json!({"identity_check": check})),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done, json!({"totp_removed": true, "passkeys_removed": 0}));
    let (_, _, f) = api(&s.p, Method::GET, &factors_path, admin, None).await;
    assert_eq!(f["totp"], Value::Null, "{f}");
    assert_eq!(f["passkeys"], json!([]));
    assert_eq!(f["sms"]["phone_verified"], true);
    let (status, _, body) = s
        .api(Method::POST, "/recovery-codes", Some(&citizen), None)
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("no_totp")),
        "the codes went with the app"
    );
    let (status, _, _) = s.api(Method::GET, "", Some(&citizen), None).await;
    assert_eq!(status, 200, "the citizen's session is kept");
    // Again: nothing left to remove, and it says so.
    let (status, _, again) = api(
        &s.p,
        Method::POST,
        &reset_path,
        admin,
        Some(json!({"identity_check": check, "factors": ["totp", "passkeys"]})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(again, json!({"totp_removed": false, "passkeys_removed": 0}));

    // The trail: the refusals and the three resets, each with its check.
    let (status, _, trail) = api(
        &s.p,
        Method::GET,
        &format!("/admin/api/v1/audit?action=admin.user.factors_reset&target=user:{uid}"),
        admin,
        None,
    )
    .await;
    assert_eq!(status, 200, "{trail}");
    let events = trail["events"].as_array().unwrap();
    assert!(
        actions(&trail)
            .iter()
            .all(|a| a == "admin.user.factors_reset")
    );
    let ok: Vec<&Value> = events
        .iter()
        .filter(|e| e["outcome"] == "success")
        .collect();
    assert_eq!(ok.len(), 3, "{trail}");
    // Newest first.
    let details: Vec<&Value> = ok.iter().map(|e| &e["details"]).collect();
    assert_eq!(
        details,
        [
            &json!({"identity_check": check, "totp_removed": false, "passkeys_removed": 0, "phone_notified": false}),
            &json!({"identity_check": check, "totp_removed": true, "passkeys_removed": 0, "phone_notified": true}),
            &json!({"identity_check": check, "totp_removed": false, "passkeys_removed": 2, "phone_notified": true}),
        ]
    );
    assert!(ok.iter().all(|e| e["actor"] == format!("client:{bot}")));
    let refused = events
        .iter()
        .filter(|e| e["outcome"] == "failure" && e["details"]["code"] == "bad_request")
        .count();
    assert_eq!(refused, 5, "{trail}");
    let text = trail.to_string();
    for leaked in [&secret, &key_credential, &phone_credential] {
        assert!(!text.contains(leaked.as_str()), "{leaked} in {text}");
    }
    let (_, _, shown) = api(
        &s.p,
        Method::GET,
        &format!("/admin/api/v1/audit?action=admin.user.factors_shown&target=user:{uid}"),
        admin,
        None,
    )
    .await;
    assert!(!actions(&shown).is_empty(), "{shown}");
    s.finish().await;
}
