//! Issue 19, black-box: the authenticator app (TOTP) and its recovery
//! codes through the account API, against the real binary. Codes are
//! computed here as an authenticator app would, from the secret the API
//! hands out, with the same RFC 6238 function the server uses (its unit
//! tests pin it to the RFC's vectors).

use std::time::{SystemTime, UNIX_EPOCH};

use pratu_core::totp::{TotpSecret, step_of};
use reqwest::Method;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::account_api::{Backend, PASSWORD, Setup};
use crate::sso::Browser;

#[expect(
    clippy::disallowed_methods,
    reason = "the server under test reads the system clock; so does the authenticator app"
)]
pub(crate) fn now() -> OffsetDateTime {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    OffsetDateTime::from_unix_timestamp(i64::try_from(secs).unwrap()).unwrap()
}

/// A six-digit code that is none of the three the server accepts now.
fn wrong_code(secret: &TotpSecret) -> String {
    let step = step_of(now());
    let taken: Vec<String> = (step - 2..=step + 2)
        .map(|s| secret.code_at(s).to_string())
        .collect();
    (0..10u32)
        .map(|d| format!("{d}{d}{d}{d}{d}{d}"))
        .find(|c| !taken.contains(c))
        .unwrap()
}

async fn totp_through_the_account_api(backend: Backend) {
    let Some(s) = Setup::start(backend).await else {
        return;
    };
    let token = s.account_token(&Browser::new(), PASSWORD).await.unwrap();
    let t = Some(token.as_str());

    // No recovery codes and nothing to remove without an app.
    let (status, _, body) = s.api(Method::POST, "/recovery-codes", t, None).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("no_totp")));
    let (status, _, body) = s
        .api(
            Method::POST,
            "/totp/verify",
            t,
            Some(json!({"code": "123456"})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("no_totp_pending"))
    );

    // Start: a secret and the URI of its QR code; a second start replaces it.
    let (status, headers, _) = s.api(Method::POST, "/totp", t, None).await;
    assert_eq!(status, 200);
    assert_eq!(headers["cache-control"], "no-store");
    let (status, _, setup) = s.api(Method::POST, "/totp", t, None).await;
    assert_eq!(status, 200);
    let secret_text = setup["secret"].as_str().unwrap();
    crate::leaks::watch("totp secret", secret_text);
    assert_eq!(secret_text.len(), 32, "160 bits in base32");
    let uri = setup["otpauth_uri"].as_str().unwrap();
    assert_eq!(
        uri,
        format!(
            "otpauth://totp/Pratu:somchai87?secret={secret_text}&issuer=Pratu\
             &algorithm=SHA1&digits=6&period=30"
        )
    );
    let secret = TotpSecret::from_base32(secret_text).unwrap();

    // A wrong code is refused and counted; the right one activates.
    let (status, _, body) = s
        .api(
            Method::POST,
            "/totp/verify",
            t,
            Some(json!({"code": wrong_code(&secret)})),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (422, Some("otp_invalid")));
    assert!(body["attempts_left"].as_u64().is_some(), "{body}");
    let code = secret.code_at(step_of(now()));
    let (status, _, body) = s
        .api(
            Method::POST,
            "/totp/verify",
            t,
            Some(json!({"code": code.as_str()})),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let (status, _, body) = s
        .api(
            Method::POST,
            "/totp/verify",
            t,
            Some(json!({"code": code.as_str()})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("totp_already_active"))
    );
    let (status, _, body) = s.api(Method::POST, "/totp", t, None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("totp_already_active"))
    );

    // Ten distinct recovery codes, shown once; a new set replaces them.
    let (status, _, body) = s.api(Method::POST, "/recovery-codes", t, None).await;
    assert_eq!(status, 200, "{body}");
    let codes: Vec<String> = serde_json::from_value(body["codes"].clone()).unwrap();
    assert_eq!(codes.len(), 10);
    let distinct: std::collections::HashSet<_> = codes.iter().collect();
    assert_eq!(distinct.len(), 10);
    for c in &codes {
        crate::leaks::watch("recovery code", c);
        assert_eq!(c.len(), 19, "{c}");
    }
    let (_, _, again) = s.api(Method::POST, "/recovery-codes", t, None).await;
    let again: Vec<String> = serde_json::from_value(again["codes"].clone()).unwrap();
    assert!(again.iter().all(|c| !codes.contains(c)));

    // Removal wants the password.
    let (status, _, body) = s
        .api(
            Method::DELETE,
            "/totp",
            t,
            Some(json!({"password": "Wrong7Password"})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("invalid_password"))
    );
    let (status, _, _) = s
        .api(
            Method::DELETE,
            "/totp",
            t,
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(status, 204);
    let (status, _, body) = s
        .api(
            Method::DELETE,
            "/totp",
            t,
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("no_totp")));
    let (status, _, _) = s.api(Method::POST, "/recovery-codes", t, None).await;
    assert_eq!(status, 409, "the codes went with the app");

    // The trail: added, the failed code, removed; no secret in it.
    let (_, _, activity) = s.api(Method::GET, "/activity", t, None).await;
    let text = activity.to_string();
    for action in [
        "account.totp_added",
        "account.totp_failed",
        "account.totp_removed",
    ] {
        assert!(text.contains(action), "{action} in {text}");
    }
    assert!(!text.contains(secret_text));
    s.finish().await;
}

#[tokio::test]
async fn totp_through_the_account_api_on_sqlite() {
    totp_through_the_account_api(Backend::Sqlite).await;
}

#[tokio::test]
async fn totp_through_the_account_api_on_postgres_and_redis() {
    totp_through_the_account_api(Backend::PostgresRedis).await;
}

/// The OpenAPI document lists the new calls (the account crate's own test
/// checks every route in `ROUTES` is documented).
#[tokio::test]
async fn the_openapi_document_has_the_totp_calls() {
    let p = crate::harness::Pratu::start().await;
    let doc: Value = crate::harness::client()
        .get(format!("{}/api/openapi.json", p.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = &doc["paths"];
    assert!(paths["/api/v1/account/totp"]["post"].is_object());
    assert!(paths["/api/v1/account/totp"]["delete"].is_object());
    assert!(paths["/api/v1/account/totp/verify"]["post"].is_object());
    assert!(paths["/api/v1/account/recovery-codes"]["post"].is_object());
}
