//! Issue 16 (hardening), black-box: password guessing at one account —
//! in parallel, slowly, from a rotating IPv6 /64 — and step-up codes
//! bought anew with each password sign-in are refused by the real binary,
//! on SQLite with the in-process store and on PostgreSQL with Redis.

use std::sync::Arc;
use std::time::Duration;

use openidconnect::core::CoreAuthenticationFlow;
use openidconnect::{AuthenticationContextClass, CsrfToken, Nonce, PkceCodeChallenge};
use serde_json::Value;

use crate::enrollment::{enroll, read_otp, somchai, write_registry};
use crate::harness::{Options, Pratu, cli_json};
use crate::services::{PgDb, RedisNs};
use crate::sso::{Browser, Page, Rp, relying_party_at};

const CB: &str = "http://127.0.0.1:9/hardening/callback";
const USER: &str = "somchai87";
const PASSWORD: &str = "Khaosan7Lamp";
const PHONE: &str = "0812345678";
const E164: &str = "+66812345678";
const AAL2: &str = "urn:pratu:acr:aal2";

#[derive(Clone, Copy)]
enum Backend {
    Sqlite,
    PostgresRedis,
}

/// A running server with one enrolled citizen and one client.
struct Setup {
    p: Pratu,
    rp: Rp,
    pg: Option<PgDb>,
    _tmp: tempfile::TempDir,
}

impl Setup {
    /// `None` when the backend's services are not configured (skipped).
    async fn start(backend: Backend, envs: &[(&str, &str)]) -> Option<Self> {
        let tmp = tempfile::tempdir().unwrap();
        let registry = write_registry(tmp.path(), &[somchai()]);
        let mut all: Vec<(String, String)> = vec![(
            "PRATU_PROOFING__REGISTRY_FILE".into(),
            registry.to_str().unwrap().into(),
        )];
        let mut pg = None;
        if let Backend::PostgresRedis = backend {
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
        enroll(&p, &somchai(), USER, PASSWORD, PHONE).await;
        let cli_env: Vec<(&str, &str)> =
            all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let view: Value = cli_json(
            &p.data_dir,
            &cli_env,
            &[
                "client",
                "create",
                "--name",
                "Hardening",
                "--redirect-uri",
                CB,
                "--scope",
                "openid",
                "--json",
            ],
            None,
        )
        .await;
        let rp = relying_party_at(&p.url, &view, CB).await;
        Some(Self {
            p,
            rp,
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

    fn authorize_url(&self, aal2: bool) -> String {
        let (challenge, _verifier) = PkceCodeChallenge::new_random_sha256();
        let mut req = self
            .rp
            .client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        if aal2 {
            req = req.add_auth_context_value(AuthenticationContextClass::new(AAL2.to_owned()));
        }
        req.url().0.to_string()
    }

    /// A fresh browser on the login page, presenting `xff` as its address
    /// through the trusted proxy (none: the loopback peer).
    async fn login_page(&self, xff: Option<&str>) -> (Agent, Page) {
        let agent = Agent::new(xff);
        let page = agent.get(&self.authorize_url(false)).await;
        assert_eq!(page.status, 200, "login page: {}", page.body);
        (agent, page)
    }

    /// One sign-in attempt from a fresh browser.
    async fn attempt(&self, xff: Option<&str>, username: &str, password: &str) -> Answer {
        let (agent, page) = self.login_page(xff).await;
        Answer::of(&agent.submit(&self.p.url, &page, username, password).await)
    }

    /// How many audit events of `action` the server recorded (read from
    /// its database: the record is awaited before the answer goes out).
    async fn audited(&self, action: &str) -> i64 {
        use sqlx::Connection as _;
        let sql = format!("SELECT COUNT(*) FROM audit_events WHERE action = '{action}'");
        match &self.pg {
            Some(db) => {
                let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
                sqlx::query_scalar::<_, i64>(&sql)
                    .fetch_one(&mut conn)
                    .await
                    .unwrap()
            }
            None => {
                let url = format!("sqlite://{}/pratu.db", self.p.data_dir.display());
                let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
                sqlx::query_scalar::<_, i64>(&sql)
                    .fetch_one(&mut conn)
                    .await
                    .unwrap()
            }
        }
    }

    fn sms_count(&self) -> usize {
        let text = std::fs::read_to_string(self.p.data_dir.join("sms-outbox.jsonl")).unwrap();
        text.lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|m| m["to"] == E164)
            .count()
    }
}

/// What a password sign-in answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// The password was checked and refused: the form again.
    BadCredentials,
    /// Refused before any check: too many attempts.
    Locked,
    /// Signed in: on to the client (or consent).
    SignedIn,
}

impl Answer {
    fn of(page: &Page) -> Self {
        match page.status {
            429 => Self::Locked,
            200 if page.body.contains(r#"autocomplete="current-password""#) => Self::BadCredentials,
            302 | 303 => Self::SignedIn,
            other => panic!("unexpected answer {other}: {}", page.body),
        }
    }
}

/// A browser that may claim an address in `X-Forwarded-For` (the server
/// trusts loopback as its proxy in the tests that use it).
#[derive(Clone)]
struct Agent {
    http: reqwest::Client,
    xff: Option<String>,
}

impl Agent {
    fn new(xff: Option<&str>) -> Self {
        Self {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            xff: xff.map(str::to_owned),
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Page {
        let req = match &self.xff {
            Some(ip) => req.header("x-forwarded-for", ip),
            None => req,
        };
        let res = req.send().await.unwrap();
        Page {
            status: res.status().as_u16(),
            location: res
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_owned()),
            body: res.text().await.unwrap(),
        }
    }

    async fn get(&self, url: &str) -> Page {
        self.send(self.http.get(url)).await
    }

    async fn submit(&self, issuer: &str, page: &Page, username: &str, password: &str) -> Page {
        let action = absolute(issuer, &page.form_action());
        let form = [
            ("req", page.input("req")),
            ("csrf", page.input("csrf")),
            ("username", username.to_owned()),
            ("password", password.to_owned()),
        ];
        self.send(self.http.post(action).form(&form)).await
    }
}

fn absolute(issuer: &str, action: &str) -> String {
    if action.starts_with('/') {
        format!("{issuer}{action}")
    } else {
        action.to_owned()
    }
}

// ---- (a) parallel guessing ----

/// Twenty wrong passwords at once for one account, with Argon2 slow enough
/// that they would all be in flight together: only the free failures and
/// the one that locks are checked; the rest get the locked answer, for a
/// real and for an unknown username alike.
async fn parallel_guesses_are_checked_one_at_a_time(backend: Backend) {
    let Some(s) = Setup::start(
        backend,
        &[
            ("PRATU_LIMITS__LOGIN__FREE_FAILURES", "3"),
            ("PRATU_LIMITS__LOGIN__BACKOFF_BASE_SECONDS", "600"),
            ("PRATU_LIMITS__LOGIN__BACKOFF_MAX_SECONDS", "600"),
            ("PRATU_PASSWORD__MEMORY_KIB", "8192"),
            ("PRATU_PASSWORD__ITERATIONS", "2"),
        ],
    )
    .await
    else {
        return;
    };
    for username in [USER, "nosuchuser1"] {
        let (agent, page) = s.login_page(None).await;
        let (agent, page) = (Arc::new(agent), Arc::new(page));
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..20 {
            let (agent, page, issuer) = (agent.clone(), page.clone(), s.p.url.clone());
            let username = username.to_owned();
            tasks.spawn(async move {
                let wrong = format!("Wrong{i}pass");
                Answer::of(&agent.submit(&issuer, &page, &username, &wrong).await)
            });
        }
        let answers: Vec<Answer> = tasks.join_all().await;
        let mut checked = answers
            .iter()
            .filter(|a| **a == Answer::BadCredentials)
            .count();
        let locked = answers.iter().filter(|a| **a == Answer::Locked).count();
        assert!(
            (1..=4).contains(&checked),
            "{username}: {checked} of 20 parallel guesses were checked: {answers:?}"
        );
        assert_eq!(checked + locked, 20, "{answers:?}");
        // One at a time, the rest of the allowance: three free failures and
        // the fourth that locks, no more.
        for _ in 0..10 {
            match s.attempt(None, username, "Wrong7pass").await {
                Answer::BadCredentials => checked += 1,
                Answer::Locked => break,
                Answer::SignedIn => panic!("signed in with a wrong password"),
            }
        }
        assert_eq!(checked, 4, "{username}");
        // Locked now to the right password too.
        assert_eq!(s.attempt(None, username, PASSWORD).await, Answer::Locked);
    }
    assert_eq!(s.audited("login.failed").await, 8);
    s.finish().await;
}

#[tokio::test]
async fn parallel_password_guesses_are_checked_one_at_a_time_sqlite() {
    parallel_guesses_are_checked_one_at_a_time(Backend::Sqlite).await;
}

#[tokio::test]
async fn parallel_password_guesses_are_checked_one_at_a_time_postgres_redis() {
    parallel_guesses_are_checked_one_at_a_time(Backend::PostgresRedis).await;
}

// ---- (b) slow guessing ----

/// Guesses spaced past the old one-second window and each back-off still
/// add up: at the cap the account is locked even to the right password.
async fn slow_guesses_meet_the_hard_cap(backend: Backend) {
    let Some(s) = Setup::start(
        backend,
        &[
            ("PRATU_LIMITS__LOGIN__FREE_FAILURES", "1"),
            ("PRATU_LIMITS__LOGIN__WINDOW_SECONDS", "1"),
            ("PRATU_LIMITS__LOGIN__BACKOFF_BASE_SECONDS", "1"),
            ("PRATU_LIMITS__LOGIN__BACKOFF_MAX_SECONDS", "1"),
            ("PRATU_LIMITS__LOGIN__MAX_CONSECUTIVE_FAILURES", "3"),
            ("PRATU_LIMITS__LOGIN__LOCKOUT_SECONDS", "600"),
        ],
    )
    .await
    else {
        return;
    };
    let mut failures = 0;
    for _ in 0..20 {
        if failures == 3 {
            break;
        }
        if s.attempt(None, USER, "Wrong7pass").await == Answer::BadCredentials {
            failures += 1;
        }
        // Slow guessing: past the window and the back-off before the next.
        tokio::time::sleep(Duration::from_millis(1200)).await;
    }
    assert_eq!(failures, 3, "{}", s.p.log());
    assert_eq!(s.attempt(None, USER, PASSWORD).await, Answer::Locked);
    assert_eq!(s.audited("login.account_locked").await, 1);
    s.finish().await;
}

#[tokio::test]
async fn slow_password_guesses_meet_the_hard_cap_sqlite() {
    slow_guesses_meet_the_hard_cap(Backend::Sqlite).await;
}

#[tokio::test]
async fn slow_password_guesses_meet_the_hard_cap_postgres_redis() {
    slow_guesses_meet_the_hard_cap(Backend::PostgresRedis).await;
}

// ---- (c) a success starts the count over ----

async fn a_success_resets_the_consecutive_count(backend: Backend) {
    let Some(s) = Setup::start(
        backend,
        &[
            ("PRATU_LIMITS__LOGIN__FREE_FAILURES", "2"),
            ("PRATU_LIMITS__LOGIN__MAX_CONSECUTIVE_FAILURES", "3"),
            ("PRATU_LIMITS__LOGIN__LOCKOUT_SECONDS", "600"),
        ],
    )
    .await
    else {
        return;
    };
    // Two failures and a success, twice: without the reset the fourth
    // failure would pass the cap of three.
    for round in 0..2 {
        for _ in 0..2 {
            assert_eq!(
                s.attempt(None, USER, "Wrong7pass").await,
                Answer::BadCredentials,
                "round {round}"
            );
        }
        assert_eq!(
            s.attempt(None, USER, PASSWORD).await,
            Answer::SignedIn,
            "round {round}"
        );
    }
    // Counted from zero again: the cap is three more failures away.
    for _ in 0..2 {
        assert_eq!(
            s.attempt(None, USER, "Wrong7pass").await,
            Answer::BadCredentials
        );
    }
    // The third one locks (the cap), and stays locked to the right password.
    assert_eq!(
        s.attempt(None, USER, "Wrong7pass").await,
        Answer::BadCredentials
    );
    assert_eq!(s.attempt(None, USER, PASSWORD).await, Answer::Locked);
    s.finish().await;
}

#[tokio::test]
async fn a_successful_sign_in_resets_the_consecutive_failures_sqlite() {
    a_success_resets_the_consecutive_count(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_successful_sign_in_resets_the_consecutive_failures_postgres_redis() {
    a_success_resets_the_consecutive_count(Backend::PostgresRedis).await;
}

// ---- (d) IPv6 /64 ----

/// One subscriber rotating through their /64, guessing at many names: the
/// per-address limit counts the prefix, not each address.
async fn one_ipv6_64_shares_the_per_address_limit(backend: Backend) {
    let Some(s) = Setup::start(
        backend,
        &[
            ("PRATU_HTTP__TRUSTED_PROXIES", r#"["127.0.0.1"]"#),
            ("PRATU_LIMITS__LOGIN__FREE_FAILURES_PER_IP", "2"),
            ("PRATU_LIMITS__LOGIN__BACKOFF_BASE_SECONDS", "600"),
            ("PRATU_LIMITS__LOGIN__BACKOFF_MAX_SECONDS", "600"),
        ],
    )
    .await
    else {
        return;
    };
    for (i, host) in ["::a", "::b", "::c"].iter().enumerate() {
        let ip = format!("2001:db8:1:2{host}");
        assert_eq!(
            s.attempt(Some(&ip), &format!("guess{i}"), "Wrong7pass")
                .await,
            Answer::BadCredentials,
            "{ip}"
        );
    }
    // Another host of the same /64, another name, the right password.
    assert_eq!(
        s.attempt(Some("2001:db8:1:2:ffff::1"), USER, PASSWORD)
            .await,
        Answer::Locked
    );
    // The neighbouring /64 is someone else.
    assert_eq!(
        s.attempt(Some("2001:db8:1:3::1"), USER, PASSWORD).await,
        Answer::SignedIn
    );
    s.finish().await;
}

#[tokio::test]
async fn ipv6_clients_in_one_64_share_the_per_address_limit_sqlite() {
    one_ipv6_64_shares_the_per_address_limit(Backend::Sqlite).await;
}

#[tokio::test]
async fn ipv6_clients_in_one_64_share_the_per_address_limit_postgres_redis() {
    one_ipv6_64_shares_the_per_address_limit(Backend::PostgresRedis).await;
}

// ---- step-up ----

/// Signs in with the password for an aal2 request, landing on the step-up
/// code page.
async fn step_up_page(s: &Setup) -> (Browser, Page) {
    let browser = Browser::new();
    let page = browser.get(&s.authorize_url(true)).await;
    let page = browser.sign_in(page, &s.p.url, USER, PASSWORD).await;
    assert_eq!(page.status, 200, "{:?} {}", page.location, page.body);
    assert!(page.body.contains(r#"name="code""#), "{}", page.body);
    (browser, page)
}

async fn post_code(s: &Setup, browser: &Browser, page: &Page, code: &str) -> Page {
    let action = absolute(&s.p.url, &page.form_action());
    browser
        .post(
            &action,
            &[
                ("req", &page.input("req")),
                ("csrf", &page.input("csrf")),
                ("code", code),
            ],
        )
        .await
}

async fn resend(s: &Setup, browser: &Browser, page: &Page) -> Page {
    let action = absolute(&s.p.url, &page.form_action());
    browser
        .post(
            &action,
            &[
                ("req", &page.input("req")),
                ("csrf", &page.input("csrf")),
                ("resend", "1"),
            ],
        )
        .await
}

fn wrong(code: &str) -> String {
    let first = (code.as_bytes()[0] - b'0' + 1) % 10;
    format!("{first}{}", &code[1..])
}

/// Every code the account may get and every guess at them used up; a new
/// SSO session (the password again) buys neither a new SMS nor new
/// guesses. Enrollment's code to the phone counts on the same daily cap.
async fn step_up_caps_belong_to_the_account(backend: Backend) {
    let Some(s) = Setup::start(
        backend,
        &[
            ("PRATU_ASSURANCE__OTP_RESEND_COOLDOWN_SECONDS", "0"),
            // Enrollment's code, the first step-up code and one resend.
            ("PRATU_LIMITS__OTP_SENDS_PER_PHONE__MAX", "3"),
            // Wrong codes count toward the lock-out; not reached here.
            ("PRATU_LIMITS__LOGIN__FREE_FAILURES", "50"),
            ("PRATU_LIMITS__LOGIN__MAX_CONSECUTIVE_FAILURES", "100"),
        ],
    )
    .await
    else {
        return;
    };
    assert_eq!(s.sms_count(), 1, "enrollment's code");
    let (browser, mut page) = step_up_page(&s).await;
    for sent in [2, 3] {
        assert_eq!(s.sms_count(), sent);
        let (code, _) = read_otp(&s.p.data_dir, E164);
        for _ in 0..5 {
            page = post_code(&s, &browser, &page, &wrong(&code)).await;
            assert_eq!(page.status, 400, "{}", page.body);
        }
        // Used up: even the right code is refused now.
        page = post_code(&s, &browser, &page, &code).await;
        assert_eq!(page.status, 400, "{}", page.body);
        page = resend(&s, &browser, &page).await;
    }
    // The phone's daily cap: no third step-up SMS.
    assert_eq!(s.sms_count(), 3, "{}", page.body);
    let (code, _) = read_otp(&s.p.data_dir, E164);

    // A new SSO session: the same used-up challenge, no SMS, no guesses.
    let (browser, page) = step_up_page(&s).await;
    assert_eq!(s.sms_count(), 3, "a new session sent a new code");
    let page = post_code(&s, &browser, &page, &code).await;
    assert_eq!(page.status, 400, "{}", page.body);
    let page = resend(&s, &browser, &page).await;
    assert_eq!(s.sms_count(), 3);
    assert_ne!(page.status, 303, "{:?}", page.location);
    s.finish().await;
}

#[tokio::test]
async fn step_up_codes_and_guesses_belong_to_the_account_not_the_session_sqlite() {
    step_up_caps_belong_to_the_account(Backend::Sqlite).await;
}

#[tokio::test]
async fn step_up_codes_and_guesses_belong_to_the_account_not_the_session_postgres_redis() {
    step_up_caps_belong_to_the_account(Backend::PostgresRedis).await;
}

/// Wrong step-up codes are failed sign-ins: past the free failures the
/// account is locked to the password too.
async fn wrong_step_up_codes_lock_the_password(backend: Backend) {
    let Some(s) = Setup::start(
        backend,
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
    let (browser, mut page) = step_up_page(&s).await;
    let (code, _) = read_otp(&s.p.data_dir, E164);
    for _ in 0..4 {
        page = post_code(&s, &browser, &page, &wrong(&code)).await;
        assert_eq!(page.status, 400, "{}", page.body);
    }
    assert_eq!(s.attempt(None, USER, PASSWORD).await, Answer::Locked);
    // And the step-up itself no longer checks codes, the right one either.
    let page = post_code(&s, &browser, &page, &code).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert_eq!(page.location, None);
    s.finish().await;
}

#[tokio::test]
async fn wrong_step_up_codes_count_toward_the_password_lockout_sqlite() {
    wrong_step_up_codes_lock_the_password(Backend::Sqlite).await;
}

#[tokio::test]
async fn wrong_step_up_codes_count_toward_the_password_lockout_postgres_redis() {
    wrong_step_up_codes_lock_the_password(Backend::PostgresRedis).await;
}
