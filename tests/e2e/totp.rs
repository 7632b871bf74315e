//! Issue 19, black-box: the authenticator app (TOTP) and its recovery
//! codes through the account API, and stepping up with them when an agency
//! app asks for `urn:pratu:acr:aal2`, against the real binary. Codes are
//! computed here as an authenticator app would, from the secret the API
//! hands out, with the same RFC 6238 function the server uses (its unit
//! tests pin it to the RFC's vectors).

use std::time::{SystemTime, UNIX_EPOCH};

use pratu_core::totp::{TotpSecret, step_of};
use reqwest::Method;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::account_api::{AGENCY_CB, Backend, PASSWORD, Setup, USER, last_sms};

const E164: &str = "+66812345678";
use crate::sso::{Browser, Page, absolute};

const AAL2: &str = "urn:pratu:acr:aal2";

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
pub(crate) fn wrong_code(secret: &TotpSecret) -> String {
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
    let notice = last_sms(&s.p, E164);
    assert!(notice.contains("authenticator app was added"), "{notice}");
    assert!(!notice.contains(secret_text) && !notice.contains(code.as_str()));
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
    let notice = last_sms(&s.p, E164);
    assert!(notice.contains("authenticator app was removed"), "{notice}");
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

/// SMS messages written to the outbox so far.
fn sms_sent(s: &Setup) -> usize {
    std::fs::read_to_string(s.p.data_dir.join("sms-outbox.jsonl"))
        .unwrap_or_default()
        .lines()
        .count()
}

/// The claims of the ID token in a token response (its signature is
/// checked by the protocol tests; here only what it says matters).
fn id_claims(tokens: &Value) -> Value {
    use base64::Engine as _;
    let jwt = tokens["id_token"].as_str().expect("an ID token");
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

/// Adds the authenticator app through the account API: its secret, the
/// step whose code activated it, and a set of recovery codes.
async fn enable_app(s: &Setup) -> (TotpSecret, u64, Vec<String>) {
    let token = s.account_token(&Browser::new(), PASSWORD).await.unwrap();
    let t = Some(token.as_str());
    let (status, _, setup) = s.api(Method::POST, "/totp", t, None).await;
    assert_eq!(status, 200, "{setup}");
    let secret_text = setup["secret"].as_str().unwrap();
    crate::leaks::watch("totp secret", secret_text);
    let secret = TotpSecret::from_base32(secret_text).unwrap();
    let step = step_of(now());
    let code = secret.code_at(step);
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
    let codes: Vec<String> = serde_json::from_value(body["codes"].clone()).unwrap();
    for c in &codes {
        crate::leaks::watch("recovery code", c);
    }
    (secret, step, codes)
}

/// A new browser signs in with the password to the agency app, which asks
/// for aal2: the step-up page that follows, and the request's PKCE
/// verifier.
async fn step_up_page(s: &Setup, b: &Browser) -> (Page, String) {
    let (url, verifier) = s.agency_request(&format!("&acr_values={}", AAL2.replace(':', "%3A")));
    let login = b.get(&url).await;
    let page = b.sign_in(login, &s.p.url, USER, PASSWORD).await;
    assert_eq!(page.status, 200, "a step-up page: {:?}", page.location);
    (page, verifier)
}

/// Posts `code` on an authenticator-app page and follows the answer to the
/// agency's callback (allowing consent), or to the page shown.
async fn post_app_code(s: &Setup, b: &Browser, page: &Page, code: &str) -> Page {
    let action = absolute(&s.p.url, &page.form_action());
    assert!(action.ends_with("/login/totp"), "{action}");
    let after = b
        .post(
            &action,
            &[
                ("req", &page.input("req")),
                ("csrf", &page.input("csrf")),
                ("code", code),
            ],
        )
        .await;
    let page = b.until_rp(after, &s.p.url).await;
    b.allow_if_asked(page, &s.p.url).await
}

/// The ID token's claims after the agency's callback `page`.
async fn signed_in_claims(s: &Setup, page: &Page, verifier: &str) -> Value {
    let location = page.location.clone().unwrap_or_default();
    assert!(
        location.starts_with(AGENCY_CB),
        "{}: {}",
        page.status,
        page.body
    );
    let code = page.redirect_param("code").expect("a code");
    id_claims(&s.agency_exchange(&code, verifier).await)
}

fn amr_of(claims: &Value) -> Vec<String> {
    serde_json::from_value(claims["amr"].clone()).unwrap()
}

async fn stepping_up_with_the_app(backend: Backend) {
    let Some(s) = Setup::start(backend).await else {
        return;
    };
    let (secret, step, recovery) = enable_app(&s).await;
    let sms_before = sms_sent(&s);

    // The app is asked for, the SMS only offered; nothing is sent.
    let b = Browser::new();
    let (page, verifier) = step_up_page(&s, &b).await;
    assert!(page.body.contains("/login/totp"), "{}", page.body);
    assert!(page.body.contains("factor=sms"), "SMS is offered");
    assert!(!page.body.contains("/login/otp"));
    assert_eq!(sms_sent(&s), sms_before, "no SMS for an app holder");

    // The code that activated the app is spent; a wrong one is refused.
    let refused = post_app_code(&s, &b, &page, secret.code_at(step).as_str()).await;
    assert_eq!((refused.status, refused.location.as_deref()), (400, None));
    let refused = post_app_code(&s, &b, &refused, &wrong_code(&secret)).await;
    assert_eq!((refused.status, refused.location.as_deref()), (400, None));
    // The next step's code (within the ±1 step window) passes.
    let fresh = secret.code_at(step + 1);
    let done = post_app_code(&s, &b, &refused, fresh.as_str()).await;
    let claims = signed_in_claims(&s, &done, &verifier).await;
    assert_eq!(claims["acr"], AAL2);
    assert_eq!(amr_of(&claims), ["pwd", "otp", "mfa"]);

    // The same code again, in another browser: refused (replay).
    let b2 = Browser::new();
    let (page, verifier) = step_up_page(&s, &b2).await;
    let refused = post_app_code(&s, &b2, &page, fresh.as_str()).await;
    assert_eq!((refused.status, refused.location.as_deref()), (400, None));
    // A recovery code passes, once (typed in capitals, without hyphens).
    let typed = recovery[0].replace('-', "").to_uppercase();
    let done = post_app_code(&s, &b2, &refused, &typed).await;
    let claims = signed_in_claims(&s, &done, &verifier).await;
    assert_eq!(claims["acr"], AAL2);
    assert_eq!(amr_of(&claims), ["pwd", "otp", "mfa"]);
    let b3 = Browser::new();
    let (page, _) = step_up_page(&s, &b3).await;
    let refused = post_app_code(&s, &b3, &page, &recovery[0]).await;
    assert_eq!((refused.status, refused.location.as_deref()), (400, None));
    assert_eq!(sms_sent(&s), sms_before, "still no SMS");

    // "Use another way": the SMS page, and only now a code is sent.
    let marker = "factor=sms";
    let start = refused.body.find(marker).unwrap();
    let href_start = refused.body[..start].rfind("href=\"").unwrap() + 6;
    let href = refused.body[href_start..start + marker.len()]
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    let sms_page = b3.get(&absolute(&s.p.url, &href)).await;
    assert_eq!(sms_page.status, 200);
    assert!(sms_page.body.contains("/login/otp"), "{}", sms_page.body);
    assert!(
        sms_page.body.contains("factor=totp"),
        "the app is offered back"
    );
    assert_eq!(sms_sent(&s), sms_before + 1);

    // The trail names each method; never a code.
    let token = s.account_token(&Browser::new(), PASSWORD).await.unwrap();
    let (_, _, activity) = s.api(Method::GET, "/activity", Some(&token), None).await;
    let text = activity.to_string();
    assert!(text.contains("login.step_up"), "{text}");
    assert!(text.contains("login.otp_failed"), "{text}");
    assert!(!text.contains(fresh.as_str()) && !text.contains(&recovery[0]));
    s.finish().await;
}

#[tokio::test]
async fn a_citizen_steps_up_with_the_app_or_a_recovery_code_and_no_sms_is_sent_on_sqlite() {
    stepping_up_with_the_app(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_citizen_steps_up_with_the_app_or_a_recovery_code_and_no_sms_is_sent_on_postgres_and_redis()
 {
    stepping_up_with_the_app(Backend::PostgresRedis).await;
}

/// Wrong app codes count toward the account's sign-in lock-out, like wrong
/// passwords and wrong SMS codes: past the free allowance the account is
/// backed off, for the password as for the app.
#[tokio::test]
async fn wrong_app_codes_count_toward_the_sign_in_lock_out() {
    let Some(s) = Setup::start_with(
        Backend::Sqlite,
        &[
            ("PRATU_LIMITS__LOGIN__FREE_FAILURES", "3"),
            ("PRATU_LIMITS__LOGIN__BACKOFF_BASE_SECONDS", "600"),
            ("PRATU_LIMITS__LOGIN__BACKOFF_MAX_SECONDS", "600"),
        ],
    )
    .await
    else {
        return;
    };
    let (secret, step, _) = enable_app(&s).await;
    let b = Browser::new();
    let (mut page, _) = step_up_page(&s, &b).await;
    for _ in 0..4 {
        page = post_app_code(&s, &b, &page, &wrong_code(&secret)).await;
        assert_eq!(page.status, 400, "{}", page.body);
    }
    // The right code is no longer checked, and the password is locked too.
    let refused = post_app_code(&s, &b, &page, secret.code_at(step + 1).as_str()).await;
    assert_eq!((refused.status, refused.location.as_deref()), (400, None));
    let (url, _) = s.agency_request("");
    let other = Browser::new();
    let login = other.get(&url).await;
    let after = other
        .post(
            &absolute(&s.p.url, &login.form_action()),
            &[
                ("req", &login.input("req")),
                ("csrf", &login.input("csrf")),
                ("username", USER),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(after.status, 429, "{}", after.body);
    s.finish().await;
}
