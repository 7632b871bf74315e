//! Issue 17, black-box: recovery of a forgotten password or a lost phone
//! through the JSON API of the real binary, on SQLite with the in-process
//! store and on PostgreSQL with Redis: the card proved again, the code by
//! SMS (read from the outbox), the new password, and everything the old
//! sign-in held ended; and the refusals (token, enumeration, proofing and
//! code limits shared with enrollment).

use std::collections::BTreeSet;

use openidconnect::core::CoreAuthenticationFlow;
use openidconnect::{AuthorizationCode, CsrfToken, Nonce, OAuth2TokenResponse, PkceCodeChallenge};
use serde_json::{Value, json};

use crate::enrollment::{Citizen, enroll, read_otp, somchai, with_check_digit, write_registry};
use crate::harness::{Options, Pratu, cli_json, client};
use crate::services::{PgDb, RedisNs};
use crate::sso::{Browser, Page, Rp, relying_party_at};

const CB: &str = "http://127.0.0.1:9/recovery/callback";
const USER: &str = "somchai87";
const OLD_PASSWORD: &str = "Khaosan7Lamp";
const NEW_PASSWORD: &str = "Mango7Sticky";
const PHONE: &str = "0812345678";
const E164: &str = "+66812345678";

/// Enrolled in the OTP-limit test.
pub fn somsri() -> Citizen {
    Citizen {
        citizen_id: with_check_digit("310170020704"),
        first_name: "สมศรี",
        last_name: "มีสุข",
        birth_date: "1990-05-05",
        laser_code: "ME1-2345678-90",
    }
}

/// In the registry, never enrolled.
pub fn mana() -> Citizen {
    Citizen {
        citizen_id: with_check_digit("510170020705"),
        first_name: "มานะ",
        last_name: "ขยัน",
        birth_date: "1985-03-03",
        laser_code: "AB1-1111111-11",
    }
}

struct Setup {
    p: Pratu,
    envs: Vec<(String, String)>,
    pg: Option<PgDb>,
    _tmp: tempfile::TempDir,
}

impl Setup {
    /// `None` when PostgreSQL or Redis is asked for but not configured.
    async fn start(postgres: bool, envs: &[(&str, &str)]) -> Option<Self> {
        let tmp = tempfile::tempdir().unwrap();
        let registry = write_registry(tmp.path(), &[somchai(), somsri(), mana()]);
        let mut all: Vec<(String, String)> = vec![(
            "PRATU_PROOFING__REGISTRY_FILE".into(),
            registry.to_str().unwrap().into(),
        )];
        let mut pg = None;
        if postgres {
            let db = PgDb::create().await?;
            let redis = RedisNs::create()?;
            all.push(("PRATU_DATABASE_URL".into(), db.url.clone()));
            all.push(("PRATU_REDIS_URL".into(), redis.url.clone()));
            all.push(("PRATU_REDIS_PREFIX".into(), redis.prefix.clone()));
            pg = Some(db);
        }
        all.extend(envs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let options = all.iter().fold(Options::default(), |o, (k, v)| o.env(k, v));
        let p = Pratu::start_with(options).await;
        enroll(&p, &somchai(), USER, OLD_PASSWORD, PHONE).await;
        Some(Self {
            p,
            envs: all,
            pg,
            _tmp: tmp,
        })
    }

    async fn finish(self) {
        drop(self.p);
        if let Some(db) = self.pg {
            db.drop_db().await;
        }
    }

    async fn rp(&self) -> Rp {
        let cli_env: Vec<(&str, &str)> = self
            .envs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let view: Value = cli_json(
            &self.p.data_dir,
            &cli_env,
            &[
                "client",
                "create",
                "--name",
                "INFO",
                "--redirect-uri",
                CB,
                "--grant-type",
                "authorization_code",
                "--grant-type",
                "refresh_token",
                "--scope",
                "openid",
                "--json",
            ],
            None,
        )
        .await;
        relying_party_at(&self.p.url, &view, CB).await
    }

    /// One value from the server's database.
    async fn scalar(&self, sql: &str) -> Option<String> {
        use sqlx::Connection as _;
        match &self.pg {
            Some(db) => {
                let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
                sqlx::query_scalar::<_, Option<String>>(sql)
                    .fetch_one(&mut conn)
                    .await
                    .unwrap()
            }
            None => {
                let url = format!("sqlite://{}/pratu.db?mode=ro", self.p.data_dir.display());
                let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
                sqlx::query_scalar::<_, Option<String>>(sql)
                    .fetch_one(&mut conn)
                    .await
                    .unwrap()
            }
        }
    }

    async fn audited(&self, action: &str) -> i64 {
        let n = self
            .scalar(&format!(
                "SELECT CAST(COUNT(*) AS TEXT) FROM audit_events WHERE action = '{action}'"
            ))
            .await;
        n.unwrap().parse().unwrap()
    }
}

/// A started recovery: its id and token.
struct Recovery {
    url: String,
    token: String,
}

/// `POST /api/v1/recovery`: status and body.
async fn start_raw(p: &Pratu, citizen_id: &str) -> (u16, Value) {
    let r = client()
        .post(format!("{}/api/v1/recovery", p.url))
        .json(&json!({"citizen_id": citizen_id}))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn start(p: &Pratu, citizen_id: &str) -> Recovery {
    let (status, body) = start_raw(p, citizen_id).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["next"], "identity");
    let token = body["recovery_token"].as_str().unwrap().to_owned();
    crate::leaks::watch("recovery token", &token);
    Recovery {
        url: format!(
            "{}/api/v1/recovery/{}",
            p.url,
            body["recovery_id"].as_str().unwrap()
        ),
        token,
    }
}

impl Recovery {
    async fn call(&self, method: &str, path: &str, body: Value) -> (u16, Value) {
        let http = client();
        let url = format!("{}{path}", self.url);
        let req = match method {
            "PUT" => http.put(url),
            _ => http.post(url),
        };
        let r = req
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn identity(&self, c: &Citizen, laser_code: &str) -> (u16, Value) {
        self.call(
            "PUT",
            "/identity",
            json!({"method": "laser_code", "first_name": c.first_name, "last_name": c.last_name,
                   "birth_date": c.birth_date, "laser_code": laser_code}),
        )
        .await
    }
}

/// A sign-in at the relying party through `browser`: the login page's
/// answer after the password (a redirect with a code, or the form again).
async fn sign_in(p: &Pratu, rp: &Rp, browser: &Browser, password: &str) -> (Page, String) {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, _) = rp
        .client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge)
        .url();
    let page = browser
        .until_rp(browser.get(url.as_str()).await, &p.url)
        .await;
    let back = browser.sign_in(page, &p.url, USER, password).await;
    (back, verifier.secret().clone())
}

/// Forgot the password: the card, the code to the registered phone, a new
/// password; the old password, the app's refresh token and the SSO session
/// are over, the new password works.
async fn a_forgotten_password_is_recovered(postgres: bool) {
    let Some(s) = Setup::start(postgres, &[]).await else {
        return;
    };
    let p = &s.p;
    let rp = s.rp().await;

    // Signed in to an agency app, with a refresh token.
    let browser = Browser::new();
    let (back, verifier) = sign_in(p, &rp, &browser, OLD_PASSWORD).await;
    let code = back.redirect_param("code").expect("signed in");
    let tokens = rp
        .client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(openidconnect::PkceCodeVerifier::new(verifier))
        .request_async(&rp.http)
        .await
        .unwrap();
    let refresh = tokens.refresh_token().expect("a refresh token").clone();

    let rec = start(p, &somchai().citizen_id).await;
    let (status, body) = rec.identity(&somchai(), somchai().laser_code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["next"], "otp");
    assert_eq!(body["phone_masked"], "08x-xxx-5678");
    let (otp, reference) = read_otp(&p.data_dir, E164);
    assert_eq!(body["ref"], reference.as_str());
    assert!(body["expires_in"].as_u64().unwrap() > 0);

    // A wrong code first: refused, with the guesses left.
    let wrong = if otp == "000000" { "111111" } else { "000000" };
    let (status, body) = rec
        .call("POST", "/otp/verify", json!({"code": wrong}))
        .await;
    assert_eq!((status, body["code"].as_str()), (422, Some("otp_invalid")));
    assert!(body["attempts_left"].as_u64().unwrap() > 0);
    // The password step is not open before the code.
    let (status, body) = rec
        .call("PUT", "/password", json!({"password": NEW_PASSWORD}))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("step_out_of_order"))
    );

    let (status, body) = rec.call("POST", "/otp/verify", json!({"code": otp})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"next": "password", "username": USER}));

    // A weak password is refused; the recovery stays open for a good one.
    let (status, body) = rec
        .call("PUT", "/password", json!({"password": "abc"}))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("password_policy"))
    );
    let (status, body) = rec
        .call("PUT", "/password", json!({"password": "somchai87x1"}))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("password_contains_username"))
    );
    crate::leaks::watch("password", NEW_PASSWORD);
    let (status, body) = rec
        .call("PUT", "/password", json!({"password": NEW_PASSWORD}))
        .await;
    assert_eq!(status, 204, "{body}");
    // Used up: the token continues nothing any more.
    let (status, body) = rec
        .call("PUT", "/password", json!({"password": "Other7Pass9"}))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("invalid_recovery_token"))
    );

    // The app's refresh token is revoked.
    assert!(
        rp.client
            .exchange_refresh_token(&refresh)
            .unwrap()
            .request_async(&rp.http)
            .await
            .is_err(),
        "the refresh token outlived the recovery"
    );
    // The SSO session is over: the same browser must sign in again.
    let (challenge, _) = PkceCodeChallenge::new_random_sha256();
    let (url, _, _) = rp
        .client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_prompt(openidconnect::core::CoreAuthPrompt::None)
        .set_pkce_challenge(challenge)
        .url();
    let page = browser
        .until_rp(browser.get(url.as_str()).await, &p.url)
        .await;
    assert_eq!(
        page.redirect_param("error").as_deref(),
        Some("login_required")
    );

    // The old password is refused, the new one signs in.
    let (back, _) = sign_in(p, &rp, &Browser::new(), OLD_PASSWORD).await;
    assert!(
        back.redirect_param("code").is_none(),
        "the old password still works"
    );
    assert_eq!(back.status, 200);
    let (back, _) = sign_in(p, &rp, &Browser::new(), NEW_PASSWORD).await;
    assert!(
        back.redirect_param("code").is_some(),
        "{} {}",
        back.status,
        back.body
    );

    assert_eq!(s.audited("account.recovered").await, 1);
    assert_eq!(s.audited("recovery.otp_failed").await, 1);
    let log = p.log();
    assert!(!log.contains(&somchai().citizen_id));
    s.finish().await;
}

#[tokio::test]
async fn a_forgotten_password_is_recovered_and_the_old_sign_ins_end_on_sqlite() {
    a_forgotten_password_is_recovered(false).await;
}

#[tokio::test]
async fn a_forgotten_password_is_recovered_and_the_old_sign_ins_end_on_postgres() {
    a_forgotten_password_is_recovered(true).await;
}

/// Lost phone: after proofing, a code to a new number, which becomes the
/// account's; the old number gets a notice.
async fn a_lost_phone_is_replaced(postgres: bool) {
    let Some(s) = Setup::start(postgres, &[]).await else {
        return;
    };
    let p = &s.p;
    let rec = start(p, &somchai().citizen_id).await;
    // Not before the card is proofed: no SMS bombing of any number.
    let (status, body) = rec
        .call("POST", "/phone", json!({"phone": "0898765432"}))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("step_out_of_order"))
    );
    let (status, body) = rec.identity(&somchai(), somchai().laser_code).await;
    assert_eq!(status, 200, "{body}");

    let (status, body) = rec
        .call("POST", "/phone", json!({"phone": "0898765432"}))
        .await;
    assert_eq!(status, 202, "{body}");
    let keys: BTreeSet<_> = body.as_object().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["expires_in", "ref"].map(String::from).into());
    let (code, reference) = read_otp(&p.data_dir, "+66898765432");
    assert_eq!(body["ref"], reference.as_str());
    // The code sent to the old phone no longer counts.
    let (old_code, _) = read_otp(&p.data_dir, E164);
    if old_code != code {
        let (status, _) = rec
            .call("POST", "/otp/verify", json!({"code": old_code}))
            .await;
        assert_eq!(status, 422);
    }
    let (status, body) = rec.call("POST", "/otp/verify", json!({"code": code})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        s.scalar(&format!(
            "SELECT phone FROM users WHERE username = '{USER}'"
        ))
        .await
        .as_deref(),
        Some("+66898765432")
    );
    let outbox = std::fs::read_to_string(p.data_dir.join("sms-outbox.jsonl")).unwrap();
    let notice: Value = outbox
        .lines()
        .rev()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|m| m["to"] == E164)
        .unwrap();
    assert!(
        notice["text"].as_str().unwrap().contains("changed"),
        "the old number is told: {notice}"
    );
    let (status, body) = rec
        .call("PUT", "/password", json!({"password": NEW_PASSWORD}))
        .await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(s.audited("account.phone_changed").await, 1);
    assert_eq!(s.audited("account.recovered").await, 1);
    s.finish().await;
}

#[tokio::test]
async fn a_lost_phone_is_replaced_after_proofing_on_sqlite() {
    a_lost_phone_is_replaced(false).await;
}

#[tokio::test]
async fn a_lost_phone_is_replaced_after_proofing_on_postgres() {
    a_lost_phone_is_replaced(true).await;
}

/// The refusals: tokens, enumeration at the first step, proofing and code
/// limits shared with enrollment.
async fn recovery_refusals(postgres: bool) {
    let Some(s) = Setup::start(
        postgres,
        &[
            ("PRATU_LIMITS__PROOFING_FAILURES_PER_ENROLLMENT__MAX", "2"),
            ("PRATU_LIMITS__PROOFING_FAILURES_PER_CITIZEN__MAX", "3"),
        ],
    )
    .await
    else {
        return;
    };
    let p = &s.p;
    enroll(p, &somsri(), "somsri90", "Lotus7Garden", "0823456789").await;

    // Without the token, with a wrong one: 401, before anything is told.
    let rec = start(p, &somchai().citizen_id).await;
    let r = client()
        .put(format!("{}/identity", rec.url))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "invalid_recovery_token");
    let r = client()
        .put(format!("{}/identity", rec.url))
        .bearer_auth("d3JvbmctdG9rZW4td3JvbmctdG9rZW4")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );

    // The first answer is the same for an enrolled and an unenrolled ID.
    let shape = |(status, body): (u16, Value)| {
        let keys: BTreeSet<String> = body.as_object().unwrap().keys().cloned().collect();
        (
            status,
            keys,
            body["next"].clone(),
            body["recovery_token"].as_str().unwrap().len(),
        )
    };
    let enrolled = shape(start_raw(p, &somchai().citizen_id).await);
    let unenrolled = shape(start_raw(p, &mana().citizen_id).await);
    assert_eq!(enrolled, unenrolled);
    // A bad checksum is refused alike for everyone.
    let bad = format!("{}0", &mana().citizen_id[..12]);
    let bad = if bad == mana().citizen_id {
        format!("{}1", &mana().citizen_id[..12])
    } else {
        bad
    };
    let (status, body) = start_raw(p, &bad).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("invalid_citizen_id"))
    );

    // `no_digital_id` only once the card is proofed.
    let unknown = start(p, &mana().citizen_id).await;
    let (status, body) = unknown.identity(&mana(), "AB1-9999999-99").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("identity_not_verified"))
    );
    let (status, body) = unknown.identity(&mana(), mana().laser_code).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("no_digital_id"))
    );

    // Wrong laser codes lock the recovery (2 here)…
    let wrong = "JT9-9999999-99";
    let (status, body) = rec.identity(&somchai(), wrong).await;
    assert_eq!((status, body["attempts_left"].as_u64()), (422, Some(1)));
    let (status, body) = rec.identity(&somchai(), wrong).await;
    assert_eq!((status, body["attempts_left"].as_u64()), (422, Some(0)));
    let (status, body) = rec.identity(&somchai(), somchai().laser_code).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("too_many_attempts")),
        "locked even for the right code"
    );
    // …and count per citizen ID across recoveries (3 here).
    let again = start(p, &somchai().citizen_id).await;
    let (status, body) = again.identity(&somchai(), wrong).await;
    assert_eq!((status, body["attempts_left"].as_u64()), (422, Some(0)));
    let (status, body) = again.identity(&somchai(), somchai().laser_code).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("too_many_attempts"))
    );
    // The same counter enrollment keeps: enrolling this card is locked too.
    let http = client();
    let terms: Value = http
        .get(format!("{}/api/v1/terms", p.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let created: Value = http
        .post(format!("{}/api/v1/enrollments", p.url))
        .json(&json!({"accept_terms": true, "terms_version": terms["version"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let enr = format!(
        "{}/api/v1/enrollments/{}",
        p.url,
        created["enrollment_id"].as_str().unwrap()
    );
    let enr_token = created["enrollment_token"].as_str().unwrap();
    crate::leaks::watch("enrollment token", enr_token);
    let r = http
        .put(format!("{enr}/citizen-id"))
        .bearer_auth(enr_token)
        .json(&json!({"citizen_id": somchai().citizen_id}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http
        .put(format!("{enr}/identity"))
        .bearer_auth(enr_token)
        .json(
            &json!({"first_name": somchai().first_name, "last_name": somchai().last_name,
                      "birth_date": somchai().birth_date, "laser_code": somchai().laser_code}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429, "enrollment shares the per-citizen lock");

    // Wrong codes lock the code.
    let rec = start(p, &somsri().citizen_id).await;
    let (status, body) = rec.identity(&somsri(), somsri().laser_code).await;
    assert_eq!(status, 200, "{body}");
    let (code, _) = read_otp(&p.data_dir, "+66823456789");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let mut last = (0, Value::Null);
    for _ in 0..10 {
        last = rec
            .call("POST", "/otp/verify", json!({"code": wrong}))
            .await;
        if last.0 != 422 {
            break;
        }
    }
    assert_eq!(
        (last.0, last.1["code"].as_str()),
        (429, Some("too_many_attempts")),
        "{}",
        last.1
    );
    let (status, _) = rec.call("POST", "/otp/verify", json!({"code": code})).await;
    assert_ne!(status, 200, "a locked code does not verify");
    assert_eq!(s.audited("recovery.proofing_locked").await, 2);
    assert!(s.audited("recovery.otp_locked").await >= 1);
    s.finish().await;
}

#[tokio::test]
async fn recovery_refuses_bad_tokens_probing_and_guessing_on_sqlite() {
    recovery_refusals(false).await;
}

#[tokio::test]
async fn recovery_refuses_bad_tokens_probing_and_guessing_on_postgres() {
    recovery_refusals(true).await;
}

/// Headless Chromium: a citizen who forgot the password follows the
/// sign-in page's link through the wizard in Thai, sets a new password and
/// signs in with it; then the pages in English at a phone's width.
/// Screenshots: `target/e2e-screenshots/recovery/`.
#[tokio::test]
async fn a_citizen_recovers_the_password_in_the_wizard_and_signs_in_with_it() {
    use fantoccini::Locator;
    use std::time::Duration;

    let Some(b) = crate::browser::Browser::start("recovery").await else {
        return;
    };
    let Some(s) = Setup::start(false, &[]).await else {
        return;
    };
    let p = &s.p;
    let citizen = somchai();
    let view: Value = cli_json(
        &p.data_dir,
        &[],
        &[
            "client",
            "create",
            "--name",
            "INFO",
            "--redirect-uri",
            CB,
            "--json",
        ],
        None,
    )
    .await;
    let authorize = format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&state=s1&nonce=n1",
        p.url,
        view["client_id"].as_str().unwrap(),
        url::form_urlencoded::byte_serialize(CB.as_bytes()).collect::<String>()
    );
    let wait_label = |text: &'static str| {
        let client = b.client.clone();
        async move {
            client
                .wait()
                .at_most(Duration::from_secs(15))
                .for_element(Locator::XPath(&format!(
                    "//label[contains(normalize-space(.), \"{text}\")]"
                )))
                .await
                .unwrap_or_else(|_| panic!("no label {text:?}"));
        }
    };

    // From the sign-in page's link.
    b.client.goto(&authorize).await.unwrap();
    b.screenshot("th-desktop-login").await;
    b.client
        .find(Locator::LinkText("ลืมรหัสผ่าน / โทรศัพท์หาย"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.fill("เลขประจำตัวประชาชน 13 หลัก", &citizen.citizen_id)
        .await;
    b.screenshot("th-desktop-start").await;
    b.press("ถัดไป").await;

    b.fill("ชื่อ (ภาษาไทย)", citizen.first_name).await;
    assert!(
        !b.text().await.contains(&citizen.citizen_id),
        "the citizen ID is shown in clear after its step"
    );
    b.fill("นามสกุล (ภาษาไทย)", citizen.last_name).await;
    b.choose("วัน", "1").await;
    b.choose("เดือน", "1").await;
    b.fill("ปี (พ.ศ.)", "2530").await;
    b.fill("เลขหลังบัตร", citizen.laser_code).await;
    b.screenshot("th-desktop-identity").await;
    b.press("ตรวจสอบตัวตน").await;

    wait_label("ส่งรหัสไปยังโทรศัพท์ที่ลงทะเบียนไว้").await;
    assert!(
        b.text().await.contains("08x-xxx-5678"),
        "the registered phone, masked"
    );
    b.tick("ส่งรหัสไปยังโทรศัพท์ที่ลงทะเบียนไว้").await;
    b.screenshot("th-desktop-phone").await;
    b.press("ส่งรหัส OTP").await;

    wait_label("รหัส OTP 6 หลัก").await;
    let (code, reference) = read_otp(&p.data_dir, E164);
    assert!(
        b.text().await.contains(&reference),
        "the page shows the reference"
    );
    b.fill("รหัส OTP", &code).await;
    b.screenshot("th-desktop-otp").await;
    b.press("ยืนยันรหัส").await;

    wait_label("รหัสผ่านใหม่").await;
    assert!(b.text().await.contains(USER), "the username is shown");
    crate::leaks::watch("password", NEW_PASSWORD);
    b.fill("รหัสผ่านใหม่", NEW_PASSWORD).await;
    b.screenshot("th-desktop-password").await;
    b.press("ตั้งรหัสผ่านใหม่").await;
    b.client
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::LinkText("ไปที่บัญชีของฉัน"))
        .await
        .unwrap();
    b.screenshot("th-desktop-done").await;
    assert!(
        b.client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/recover/done")
    );

    // The new password signs in to the agency app.
    b.client.goto(&authorize).await.unwrap();
    b.fill("ชื่อผู้ใช้", USER).await;
    b.fill("รหัสผ่าน", NEW_PASSWORD).await;
    b.press("เข้าสู่ระบบ").await;
    // Consent, if this app asks for any.
    let mut landed = String::new();
    for _ in 0..100 {
        landed = b.client.current_url().await.unwrap().to_string();
        if landed.starts_with(CB) {
            break;
        }
        if let Ok(allow) = b
            .client
            .find(Locator::XPath(
                "//button[contains(normalize-space(.), \"อนุญาต\")]",
            ))
            .await
        {
            // The page may change under the click (it is a retry loop).
            allow.click().await.ok();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        landed.starts_with(CB) && landed.contains("code="),
        "{landed}"
    );

    // Every page in Thai at a phone's width, then in English (the
    // language link), up to the password page.
    b.client.set_window_size(390, 844).await.unwrap();
    b.client.goto(&format!("{}/recover", p.url)).await.unwrap();
    b.screenshot("th-mobile-start").await;
    b.client
        .goto(&format!("{}/recover/done", p.url))
        .await
        .unwrap();
    b.screenshot("th-mobile-done").await;
    b.client.goto(&format!("{}/recover", p.url)).await.unwrap();
    b.client
        .find(Locator::LinkText("English"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.fill("13-digit citizen ID number", &citizen.citizen_id)
        .await;
    b.screenshot("en-mobile-start").await;
    b.press("Continue").await;
    b.fill("First name (in Thai)", citizen.first_name).await;
    b.fill("Last name (in Thai)", citizen.last_name).await;
    b.choose("Day", "1").await;
    b.choose("Month", "1").await;
    b.fill("Year", "1987").await;
    b.fill("Laser code", citizen.laser_code).await;
    b.screenshot("en-mobile-identity").await;
    b.press("Verify my identity").await;
    wait_label("Send the code to my registered phone").await;
    b.tick("Send the code to my registered phone").await;
    b.screenshot("en-mobile-phone").await;
    // The resend cooldown of the Thai pass's code is the recovery's own:
    // this is a new recovery, so the code goes out.
    b.press("Send the code").await;
    wait_label("6-digit code").await;
    let (code, _) = read_otp(&p.data_dir, E164);
    b.fill("6-digit code", &code).await;
    b.screenshot("en-mobile-otp").await;
    b.press("Confirm the code").await;
    wait_label("New password").await;
    b.screenshot("en-mobile-password").await;
    b.client.set_window_size(1000, 1200).await.unwrap();
    b.screenshot("en-desktop-password").await;
    b.client
        .goto(&format!("{}/recover/done", p.url))
        .await
        .unwrap();
    b.screenshot("en-desktop-done").await;
    b.close().await;
    assert!(!p.log().contains(&citizen.citizen_id));
    s.finish().await;
}

/// The wizard's forms need their CSRF token (bound to the recovery once it
/// exists), and a citizen may start over while holding an unfinished one.
#[tokio::test]
async fn the_wizard_checks_form_tokens_and_a_citizen_can_start_over() {
    let Some(s) = Setup::start(false, &[]).await else {
        return;
    };
    let p = &s.p;
    let browser = Browser::new();
    let url = |path: &str| format!("{}{path}", p.url);
    for _ in 0..2 {
        let page = browser.get(&url("/recover")).await;
        assert_eq!(page.status, 200);
        let csrf = page.input("csrf");
        let started = browser
            .post(
                &url("/recover"),
                &[("csrf", &csrf), ("citizen_id", &somchai().citizen_id)],
            )
            .await;
        assert_eq!(started.status, 303, "{}", started.body);
        assert_eq!(started.location.as_deref(), Some("/recover/identity"));
    }
    let page = browser.get(&url("/recover/identity")).await;
    assert_eq!(page.status, 200);
    let good = page.input("csrf");
    let forged = browser
        .post(
            &url("/recover/identity"),
            &[("csrf", "forged"), ("first_name", "สมชาย")],
        )
        .await;
    assert_eq!(forged.status, 403);
    // The start form's token does not fit the recovery's forms.
    let start_token = browser.get(&url("/recover")).await.input("csrf");
    assert_ne!(start_token, good);
    let other = browser
        .post(&url("/recover/identity"), &[("csrf", &start_token)])
        .await;
    assert_eq!(other.status, 403);
    // Before a recovery, later pages send the citizen to the start.
    let fresh = Browser::new();
    let page = fresh.get(&url("/recover/password")).await;
    assert_eq!(page.location.as_deref(), Some("/recover"));
    s.finish().await;
}

/// Someone ran the account into its lock-out by guessing: recovering it
/// (the card, the code to the phone, a new password) opens it to its owner
/// at once instead of leaving them locked out for the rest of the day.
#[tokio::test]
async fn a_recovery_lifts_a_lock_out_run_up_by_someone_else() {
    let Some(s) = Setup::start(
        false,
        &[
            ("PRATU_LIMITS__LOGIN__FREE_FAILURES", "3"),
            ("PRATU_LIMITS__LOGIN__MAX_CONSECUTIVE_FAILURES", "3"),
        ],
    )
    .await
    else {
        return;
    };
    let p = &s.p;
    let rp = s.rp().await;
    for _ in 0..3 {
        let (back, _) = sign_in(p, &rp, &Browser::new(), "Wrong7Guess9").await;
        assert!(back.redirect_param("code").is_none());
    }
    let (back, _) = sign_in(p, &rp, &Browser::new(), OLD_PASSWORD).await;
    assert!(
        back.redirect_param("code").is_none(),
        "the account should be locked"
    );

    let rec = start(p, &somchai().citizen_id).await;
    let (status, body) = rec.identity(&somchai(), somchai().laser_code).await;
    assert_eq!(status, 200, "{body}");
    let (otp, _) = read_otp(&p.data_dir, E164);
    let (status, body) = rec.call("POST", "/otp/verify", json!({"code": otp})).await;
    assert_eq!(status, 200, "{body}");
    crate::leaks::watch("password", NEW_PASSWORD);
    let (status, body) = rec
        .call("PUT", "/password", json!({"password": NEW_PASSWORD}))
        .await;
    assert_eq!(status, 204, "{body}");

    let (back, _) = sign_in(p, &rp, &Browser::new(), NEW_PASSWORD).await;
    assert!(
        back.redirect_param("code").is_some(),
        "still locked out after the recovery: {}",
        back.body
    );
    s.finish().await;
}

/// A passkey signs in alone, so one planted on the account by whoever held
/// it must not outlive the owner's recovery: proving the card again removes
/// every second factor, passkeys included.
#[tokio::test]
async fn a_recovery_removes_the_accounts_passkeys() {
    let Some(s) = Setup::start(false, &[]).await else {
        return;
    };
    let p = &s.p;
    plant_second_factors(&s).await;
    assert_eq!(
        s.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM passkeys")
            .await
            .as_deref(),
        Some("1")
    );

    let rec = start(p, &somchai().citizen_id).await;
    let (status, body) = rec.identity(&somchai(), somchai().laser_code).await;
    assert_eq!(status, 200, "{body}");
    let (otp, _) = read_otp(&p.data_dir, E164);
    let (status, body) = rec.call("POST", "/otp/verify", json!({"code": otp})).await;
    assert_eq!(status, 200, "{body}");
    crate::leaks::watch("password", NEW_PASSWORD);
    let (status, body) = rec
        .call("PUT", "/password", json!({"password": NEW_PASSWORD}))
        .await;
    assert_eq!(status, 204, "{body}");

    assert_eq!(
        s.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM passkeys")
            .await
            .as_deref(),
        Some("0"),
        "the planted passkey outlived the recovery"
    );
    assert_eq!(
        s.scalar("SELECT CAST(COUNT(*) AS TEXT) FROM user_totp")
            .await
            .as_deref(),
        Some("0"),
        "the authenticator app outlived the recovery"
    );
    s.finish().await;
}

/// A passkey and an authenticator app on somchai's account (SQLite),
/// written straight to the database: recovery removes them without
/// opening them, so any bytes do.
async fn plant_second_factors(s: &Setup) {
    use sqlx::Connection as _;
    let db = format!("sqlite://{}/pratu.db", s.p.data_dir.display());
    let mut conn = sqlx::SqliteConnection::connect(&db).await.unwrap();
    sqlx::query(
        "INSERT INTO passkeys (credential_id, user_id, name, credential, created_at) \
         SELECT x'0102030405', id, 'planted', '{}', 0 FROM users WHERE username = ?",
    )
    .bind(USER)
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO user_totp (user_id, secret_sealed, activated_at, created_at) \
         SELECT id, x'00', 1, 0 FROM users WHERE username = ?",
    )
    .bind(USER)
    .execute(&mut conn)
    .await
    .unwrap();
}

/// The wizard, driven over HTTP as a browser without JavaScript would:
/// its done page tells the citizen which second factors the recovery
/// removed (in their language), so they add them again; a recovery that
/// removed none says nothing about them.
#[tokio::test]
async fn the_wizard_says_which_second_factors_the_recovery_removed() {
    let Some(s) = Setup::start(false, &[]).await else {
        return;
    };
    let p = &s.p;
    let url = |path: &str| format!("{}{path}", p.url);
    let citizen = somchai();
    crate::leaks::watch("password", NEW_PASSWORD);

    /// One pass through the wizard in `browser`; the done page's body.
    async fn recover(p: &Pratu, browser: &Browser, citizen: &Citizen, lang: &str) -> String {
        let url = |path: &str| format!("{}{path}", p.url);
        let page = browser.get(&url(&format!("/recover?lang={lang}"))).await;
        let to = browser
            .post(
                &url("/recover"),
                &[
                    ("csrf", &page.input("csrf")),
                    ("citizen_id", &citizen.citizen_id),
                ],
            )
            .await;
        assert_eq!(
            to.location.as_deref(),
            Some("/recover/identity"),
            "{}",
            to.body
        );
        let page = browser.get(&url("/recover/identity")).await;
        let (year, rest) = citizen.birth_date.split_once('-').unwrap();
        let (month, day) = rest.split_once('-').unwrap();
        let to = browser
            .post(
                &url("/recover/identity"),
                &[
                    ("csrf", &page.input("csrf")),
                    ("first_name", citizen.first_name),
                    ("last_name", citizen.last_name),
                    ("birth_day", day.trim_start_matches('0')),
                    ("birth_month", month.trim_start_matches('0')),
                    ("birth_year", year),
                    ("laser_code", citizen.laser_code),
                ],
            )
            .await;
        assert_eq!(
            to.location.as_deref(),
            Some("/recover/phone"),
            "{}",
            to.body
        );
        let page = browser.get(&url("/recover/phone")).await;
        let to = browser
            .post(
                &url("/recover/phone"),
                &[("csrf", &page.input("csrf")), ("choice", "registered")],
            )
            .await;
        assert_eq!(to.location.as_deref(), Some("/recover/otp"), "{}", to.body);
        let page = browser.get(&url("/recover/otp")).await;
        let (code, _) = read_otp(&p.data_dir, E164);
        let to = browser
            .post(
                &url("/recover/otp"),
                &[("csrf", &page.input("csrf")), ("code", &code)],
            )
            .await;
        assert_eq!(
            to.location.as_deref(),
            Some("/recover/password"),
            "{}",
            to.body
        );
        let page = browser.get(&url("/recover/password")).await;
        let to = browser
            .post(
                &url("/recover/password"),
                &[("csrf", &page.input("csrf")), ("password", NEW_PASSWORD)],
            )
            .await;
        assert_eq!(to.location.as_deref(), Some("/recover/done"), "{}", to.body);
        let done = browser.get(&url("/recover/done")).await;
        assert_eq!(done.status, 200, "{}", done.body);
        done.body
    }

    plant_second_factors(&s).await;
    let browser = Browser::new();
    let done = recover(p, &browser, &citizen, "th").await;
    assert!(done.contains(r#"<html lang="th""#), "{done}");
    assert!(done.contains(r#"id="factors-removed""#), "{done}");
    assert!(
        done.contains("แอปยืนยันตัวตน (Authenticator) และพาสคีย์ 1 รายการของท่านถูกลบออกแล้ว"),
        "{done}"
    );
    // The same page in English (the language link).
    let en = browser.get(&url("/recover/done?lang=en")).await;
    assert!(
        en.body.contains(
            "Your authenticator app and 1 passkey(s) were removed. Add them again in your account."
        ),
        "{}",
        en.body
    );
    // Another browser never finished a recovery: nothing to say.
    let other = Browser::new().get(&url("/recover/done")).await;
    assert_eq!(other.status, 200);
    assert!(!other.body.contains("factors-removed"), "{}", other.body);

    // A second recovery in the same browser, with nothing left to remove,
    // says nothing of them (the first one's report is gone).
    let again = recover(p, &browser, &citizen, "en").await;
    assert!(!again.contains("factors-removed"), "{again}");
    assert!(again.contains("Your account is recovered"), "{again}");
    s.finish().await;
}
