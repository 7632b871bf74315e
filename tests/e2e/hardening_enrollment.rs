//! Issue 16, black-box, enrollment: an enrollment id alone continues
//! nothing (the token the start answered does, and it never shows in a URL,
//! a redirect or the log); the citizen-ID step does not tell who holds a
//! Digital ID; completed enrollments lose their personal data after the
//! retention period while the account keeps signing in.

use std::path::Path;
use std::time::Duration;

use openidconnect::core::CoreAuthenticationFlow;
use openidconnect::{CsrfToken, Nonce, PkceCodeChallenge};
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::Connection as _;

use crate::enrollment::{Citizen, enroll, read_otp, somchai, with_check_digit, write_registry};
use crate::harness::{Options, Pratu, cli_json, client};
use crate::services::{PgDb, RedisNs};
use crate::sso::{Browser, relying_party_at};

/// A second registry citizen, never enrolled by these tests.
fn somying() -> Citizen {
    Citizen {
        citizen_id: with_check_digit("310120004567"),
        first_name: "สมหญิง",
        last_name: "รักไทย",
        birth_date: "1995-12-01",
        laser_code: "AB1123456789",
    }
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    text: String,
    json: Value,
}

async fn call(
    p: &Pratu,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut req = client().request(method, format!("{}/api/v1{path}", p.url));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        text,
        json,
    }
}

/// Starts an enrollment; returns its id, its token and the answer.
async fn start(p: &Pratu) -> (String, String, Answer) {
    let terms = call(p, Method::GET, "/terms", None, None).await;
    let r = call(
        p,
        Method::POST,
        "/enrollments",
        None,
        Some(json!({"accept_terms": true, "terms_version": terms.json["version"]})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json["enrollment_id"].as_str().unwrap().to_owned();
    // Empty when the server answers none: the assertions then say what
    // is missing, rather than this helper.
    let token = r.json["enrollment_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    crate::leaks::watch("enrollment token", &token);
    (id, token, r)
}

fn identity_body(c: &Citizen) -> Value {
    json!({"method": "laser_code", "first_name": c.first_name, "last_name": c.last_name,
           "birth_date": c.birth_date, "laser_code": c.laser_code})
}

async fn start_with_registry(tmp: &Path, citizens: &[Citizen], extra: &[(&str, &str)]) -> Pratu {
    let registry = write_registry(tmp, citizens);
    let mut opts =
        Options::default().env("PRATU_PROOFING__REGISTRY_FILE", registry.to_str().unwrap());
    for (k, v) in extra {
        opts = opts.env(k, v);
    }
    Pratu::start_with(opts).await
}

#[track_caller]
fn assert_refused(r: &Answer, what: &str) {
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (401, Some("invalid_enrollment_token")),
        "{what}: {}",
        r.text
    );
    assert_eq!(
        r.headers["content-type"], "application/problem+json",
        "{what}"
    );
    let challenge = r.headers["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("Bearer"), "{what}: {challenge}");
}

#[tokio::test]
async fn a_proofed_enrollment_cannot_be_continued_with_its_id_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let c = somchai();
    let p = start_with_registry(tmp.path(), &[somchai()], &[]).await;

    // The citizen starts and proofs the card.
    let (id, token, _) = start(&p).await;
    let at = |path: &str| format!("/enrollments/{id}{path}");
    let r = call(
        &p,
        Method::PUT,
        &at("/citizen-id"),
        Some(&token),
        Some(json!({"citizen_id": c.citizen_id})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = call(
        &p,
        Method::PUT,
        &at("/identity"),
        Some(&token),
        Some(identity_body(&c)),
    )
    .await;
    assert_eq!(r.json["next"], "account", "{}", r.text);

    // Someone who learnt the id: no token, a made-up one, or the token of
    // an enrollment of their own.
    let (_, own_token, _) = start(&p).await;
    let steps: [(Method, &str, Option<Value>); 7] = [
        (
            Method::PUT,
            "/account",
            Some(json!({"username": "hijacker", "password": "Hijack3dNow"})),
        ),
        (Method::POST, "/phone", Some(json!({"phone": "0899999999"}))),
        (
            Method::POST,
            "/phone/verify",
            Some(json!({"code": "123456"})),
        ),
        (Method::POST, "/confirm", Some(json!({}))),
        (Method::GET, "", None),
        (
            Method::PUT,
            "/citizen-id",
            Some(json!({"citizen_id": c.citizen_id})),
        ),
        (Method::PUT, "/identity", Some(identity_body(&c))),
    ];
    for (method, path, body) in &steps {
        for presented in [None, Some("bm90LXRoZS10b2tlbg"), Some(own_token.as_str())] {
            let r = call(&p, method.clone(), &at(path), presented, body.clone()).await;
            assert_refused(&r, &format!("{method} {path} with {presented:?}"));
            assert!(!r.text.contains(&token));
        }
    }

    // The rightful holder finds the enrollment as they left it and finishes.
    let review = call(&p, Method::GET, &at(""), Some(&token), None).await;
    assert_eq!(
        (review.status, review.json["next"].as_str()),
        (200, Some("account")),
        "{}",
        review.text
    );
    assert_eq!(review.json["username"], Value::Null);
    let r = call(
        &p,
        Method::PUT,
        &at("/account"),
        Some(&token),
        Some(json!({"username": "somchai87", "password": "Khaosan7Lamp"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = call(
        &p,
        Method::POST,
        &at("/phone"),
        Some(&token),
        Some(json!({"phone": "0812345678"})),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let (code, _) = read_otp(&p.data_dir, "+66812345678");
    let r = call(
        &p,
        Method::POST,
        &at("/phone/verify"),
        Some(&token),
        Some(json!({"code": code})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = call(
        &p,
        Method::POST,
        &at("/confirm"),
        Some(&token),
        Some(json!({})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["username"], "somchai87");
}

/// The value of cookie `name` among the response's `Set-Cookie` headers,
/// with the whole header.
fn set_cookie(headers: &reqwest::header::HeaderMap, name: &str) -> Option<(String, String)> {
    headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find_map(|h| {
            let value = h.split(';').next()?.strip_prefix(&format!("{name}="))?;
            Some((value.to_owned(), h.clone()))
        })
}

fn csrf_input(html: &str) -> String {
    let marker = r#"name="csrf" value=""#;
    let start = html.find(marker).expect("a CSRF input") + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}

#[tokio::test]
async fn the_enrollment_token_never_reaches_a_url_a_redirect_or_the_log() {
    let tmp = tempfile::tempdir().unwrap();
    let c = somchai();
    let p = start_with_registry(tmp.path(), &[somchai()], &[]).await;
    let mut seen = Vec::<String>::new();

    // The JSON API: the token is in the start's body, nowhere else.
    let (id, api_token, started) = start(&p).await;
    assert_eq!(started.headers["cache-control"], "no-store");
    let location = started.headers["location"].to_str().unwrap().to_owned();
    assert!(location.ends_with(&format!("/api/v1/enrollments/{id}")));
    seen.push(location);
    assert!(api_token.len() >= 22, "at least 128 bits");
    let r = call(
        &p,
        Method::PUT,
        &format!("/enrollments/{id}/citizen-id"),
        Some(&api_token),
        Some(json!({"citizen_id": c.citizen_id})),
    )
    .await;
    assert!(!r.text.contains(&api_token));

    // The wizard: the token lives in the HttpOnly enrollment cookie only.
    let http = client();
    let get = |path: &str, cookies: &str| {
        http.get(format!("{}{path}", p.url))
            .header("cookie", cookies.to_owned())
            .send()
    };
    let r = get("/register", "").await.unwrap();
    let (csrf_cookie, _) = set_cookie(r.headers(), "pratu_csrf").unwrap();
    let html = r.text().await.unwrap();
    let terms = call(&p, Method::GET, "/terms", None, None).await;
    let mut cookies = format!("pratu_csrf={csrf_cookie}");
    let r = http
        .post(format!("{}/register/consent", p.url))
        .header("cookie", &cookies)
        .form(&[
            ("accept", "yes"),
            ("terms_version", terms.json["version"].as_str().unwrap()),
            ("csrf", csrf_input(&html).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    seen.push(r.headers()["location"].to_str().unwrap().to_owned());
    // Loopback http issuer: the policy drops `Secure` and with it the
    // `__Host-` prefix, but keeps the cookie to the whole origin only.
    let (value, header) = set_cookie(r.headers(), "pratu_enrollment").expect("enrollment cookie");
    for attr in ["Path=/;", "HttpOnly", "SameSite=Lax"] {
        assert!(header.contains(attr), "{attr}: {header}");
    }
    assert!(!header.to_ascii_lowercase().contains("domain="), "{header}");
    let wizard_token = value.split_once('.').unwrap().1.to_owned();
    crate::leaks::watch("enrollment token", &wizard_token);
    assert!(wizard_token.len() >= 22);
    cookies.push_str(&format!("; pratu_enrollment={value}"));
    let r = get("/register/citizen-id", &cookies).await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(!html.contains(&wizard_token));
    let r = http
        .post(format!("{}/register/citizen-id", p.url))
        .header("cookie", &cookies)
        .form(&[
            ("citizen_id", c.citizen_id.as_str()),
            ("csrf", csrf_input(&html).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    seen.push(r.headers()["location"].to_str().unwrap().to_owned());
    let html = get("/register/method", &cookies)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains(&wizard_token));

    for url in &seen {
        assert!(
            !url.contains(&api_token) && !url.contains(&wizard_token),
            "a token in {url}"
        );
    }
    let log = p.log();
    assert!(
        !log.contains(&api_token),
        "the API token leaked into the log"
    );
    assert!(
        !log.contains(&wizard_token),
        "the wizard's token leaked into the log"
    );
}

#[tokio::test]
async fn the_citizen_id_step_does_not_tell_who_holds_a_digital_id() {
    let tmp = tempfile::tempdir().unwrap();
    let p = start_with_registry(tmp.path(), &[somchai(), somying()], &[]).await;
    enroll(&p, &somchai(), "somchai87", "Khaosan7Lamp", "0812345678").await;

    let mut answers = Vec::new();
    let mut enrolled = None;
    for c in [somying(), somchai()] {
        let (id, token, _) = start(&p).await;
        let r = call(
            &p,
            Method::PUT,
            &format!("/enrollments/{id}/citizen-id"),
            Some(&token),
            Some(json!({"citizen_id": c.citizen_id})),
        )
        .await;
        answers.push((r.status, r.json));
        enrolled = Some((id, token));
    }
    assert_eq!(answers[0], answers[1], "enrolled and not enrolled differ");
    assert_eq!(answers[1].0, 200);

    // Wrong card data for the enrolled ID: not verified, not "taken".
    let (id, token) = enrolled.unwrap();
    let wrong = Citizen {
        laser_code: "JT1-2321456-33",
        ..somchai()
    };
    let r = call(
        &p,
        Method::PUT,
        &format!("/enrollments/{id}/identity"),
        Some(&token),
        Some(identity_body(&wrong)),
    )
    .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (422, Some("identity_not_verified")),
        "{}",
        r.text
    );
    // The card itself: now it may be told.
    let r = call(
        &p,
        Method::PUT,
        &format!("/enrollments/{id}/identity"),
        Some(&token),
        Some(identity_body(&somchai())),
    )
    .await;
    assert_eq!(
        (r.status, r.json["code"].as_str()),
        (409, Some("citizen_id_taken")),
        "{}",
        r.text
    );
    assert_eq!(r.headers["content-type"], "application/problem+json");
    assert!(!r.text.contains("somchai87") && !r.text.contains(&somchai().citizen_id));
}

/// Where the server keeps its data, for looking at what it holds.
enum Db<'a> {
    Sqlite(&'a Path),
    Postgres(&'a str),
}

/// (completed enrollments, unfinished enrollments).
async fn enrollment_counts(db: &Db<'_>) -> (i64, i64) {
    const SQL: &str = "SELECT \
        (SELECT count(*) FROM enrollments WHERE step = 'completed'), \
        (SELECT count(*) FROM enrollments WHERE step <> 'completed')";
    match db {
        Db::Sqlite(dir) => {
            let url = format!("sqlite://{}?mode=ro", dir.join("pratu.db").display());
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query_as(SQL).fetch_one(&mut conn).await.unwrap()
        }
        Db::Postgres(url) => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_as(SQL).fetch_one(&mut conn).await.unwrap()
        }
    }
}

/// Enrolls, waits for housekeeping (retention 0 days, every second) to
/// delete the completed enrollment, then signs the account in.
async fn completed_enrollment_is_forgotten_and_the_account_signs_in(extra: &[(&str, &str)]) {
    let tmp = tempfile::tempdir().unwrap();
    let mut envs = vec![
        ("PRATU_RETENTION__COMPLETED_ENROLLMENT_DAYS", "0"),
        ("PRATU_RETENTION__INTERVAL_SECONDS", "1"),
    ];
    envs.extend_from_slice(extra);
    let p = start_with_registry(tmp.path(), &[somchai()], &envs).await;
    let pg_url = extra
        .iter()
        .find(|(k, _)| *k == "PRATU_DATABASE_URL")
        .map(|(_, v)| *v);
    let db = match pg_url {
        Some(url) => Db::Postgres(url),
        None => Db::Sqlite(&p.data_dir),
    };
    enroll(&p, &somchai(), "somchai87", "Khaosan7Lamp", "0812345678").await;
    // An enrollment still in progress (not expired) is left alone.
    let (_, _, _) = start(&p).await;

    // Housekeeping runs every second; wait (bounded) for it to get there.
    let mut counts = enrollment_counts(&db).await;
    for _ in 0..300 {
        if counts.0 == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        counts = enrollment_counts(&db).await;
    }
    assert_eq!(
        counts,
        (0, 1),
        "the completed enrollment (names, birth date, sealed citizen ID, phone, password hash) \
         is gone; the live one stays"
    );

    // The account itself signs in.
    let callback = "http://127.0.0.1:9/callback";
    let view = cli_json(
        &p.data_dir,
        extra,
        &[
            "client",
            "create",
            "--name",
            "INFO",
            "--redirect-uri",
            callback,
            "--json",
        ],
        None,
    )
    .await;
    let rp = relying_party_at(&p.url, &view, callback).await;
    let (challenge, _verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, _) = rp
        .client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge)
        .url();
    let browser = Browser::new();
    let page = browser
        .until_rp(browser.get(url.as_str()).await, &p.url)
        .await;
    let back = browser
        .sign_in(page, &p.url, "somchai87", "Khaosan7Lamp")
        .await;
    assert!(
        back.location
            .as_deref()
            .unwrap_or_default()
            .starts_with(callback),
        "{:?} {}",
        back.location,
        back.body
    );
    assert!(back.redirect_param("code").is_some());
}

#[tokio::test]
async fn completed_enrollments_lose_their_personal_data_after_retention_on_sqlite() {
    completed_enrollment_is_forgotten_and_the_account_signs_in(&[]).await;
}

#[tokio::test]
async fn completed_enrollments_lose_their_personal_data_after_retention_on_postgres() {
    let Some(pg) = PgDb::create().await else {
        return;
    };
    let Some(redis) = RedisNs::create() else {
        pg.drop_db().await;
        return;
    };
    completed_enrollment_is_forgotten_and_the_account_signs_in(&[
        ("PRATU_DATABASE_URL", &pg.url),
        ("PRATU_REDIS_URL", &redis.url),
        ("PRATU_REDIS_PREFIX", &redis.prefix),
    ])
    .await;
    pg.drop_db().await;
}
