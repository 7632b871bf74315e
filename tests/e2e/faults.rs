//! Issue 18, black-box: outside services that fail or hang get honest,
//! timely answers, and a configuration whose time budgets cannot add up
//! does not start.

use serde_json::{Value, json};

use crate::enrollment::somchai;
use crate::harness::{Options, Pratu, client, run_cli};

/// A "proofing service" that accepts connections and never answers.
async fn hanging_service() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((conn, _)) = listener.accept().await {
            held.push(conn);
        }
    });
    (format!("http://{addr}/CheckCardService.asmx"), task)
}

#[tokio::test]
async fn proofing_retries_that_outlast_the_request_timeout_are_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("PRATU_PROOFING__PROVIDER", "dopa"),
        ("PRATU_PROOFING__DOPA__TIMEOUT_SECONDS", "10"),
    ];
    let out = run_cli(dir.path(), &env, &["check-config"], None).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("proofing.dopa.timeout_seconds"), "{stderr}");
    assert!(stderr.contains("31.5 s"), "{stderr}");
    // The shipped defaults fit.
    let out = run_cli(dir.path(), &env[..1], &["check-config"], None).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn a_hanging_proofing_service_is_answered_as_unavailable_within_the_request() {
    let (endpoint, _service) = hanging_service().await;
    let p = Pratu::start_with(
        Options::default()
            .env("PRATU_PROOFING__PROVIDER", "dopa")
            .env("PRATU_PROOFING__DOPA__ENDPOINT", &endpoint)
            .env("PRATU_PROOFING__DOPA__TIMEOUT_SECONDS", "1")
            .env("PRATU_PROOFING__DOPA__RETRIES", "1")
            .env("PRATU_PROOFING__DOPA__RETRY_BACKOFF_MS", "100")
            .env("PRATU_HTTP__REQUEST_TIMEOUT_SECONDS", "5"),
    )
    .await;
    let http = client();
    let api = |path: &str| format!("{}/api/v1{path}", p.url);
    let (id, token) = start_enrollment(&p.url).await;
    let (id, token) = (id.as_str(), token.as_str());
    let c = somchai();
    let r = http
        .put(api(&format!("/enrollments/{id}/citizen-id")))
        .bearer_auth(token)
        .json(&json!({"citizen_id": c.citizen_id}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let identity = json!({"method": "laser_code", "first_name": c.first_name,
        "last_name": c.last_name, "birth_date": c.birth_date, "laser_code": c.laser_code});
    let r = http
        .put(api(&format!("/enrollments/{id}/identity")))
        .bearer_auth(token)
        .json(&identity)
        .send()
        .await
        .unwrap();
    // Not the server's bare 408: the step's own answer, and one a client
    // may retry (the step did not count as a failed check).
    assert_eq!(r.status(), 503);
    assert!(r.headers().get("retry-after").is_some());
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "identity_service_unavailable", "{body}");
    let again = http
        .put(api(&format!("/enrollments/{id}/identity")))
        .bearer_auth(token)
        .json(&identity)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 503, "the step can be repeated");
}

/// Signs `staff1` in to the client; returns the token response.
async fn tokens_of(p: &Pratu, (id, secret): &(String, String)) -> Value {
    use crate::protocol::{CB, authorize_url, pkce, token};
    let (verifier, challenge) = pkce();
    let b = crate::sso::Browser::new();
    let page = b.get(&authorize_url(p, id, &challenge, "")).await;
    let back = b.sign_in(page, &p.url, "staff1", "Mango7Sticky").await;
    let code = back.redirect_param("code").expect("a code");
    let (status, body) = token(
        p,
        id,
        secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn with_redis_down_valid_credentials_are_answered_503_and_work_again_when_it_returns() {
    use crate::services::{PgDb, RedisNs, Relay, socket_of, via};
    let (Some(db), Some(redis)) = (PgDb::create().await, RedisNs::create()) else {
        return;
    };
    let redis_relay = Relay::start(socket_of(&redis.url)).await;
    let envs = [
        ("PRATU_DATABASE_URL", db.url.clone()),
        ("PRATU_REDIS_URL", via(&redis.url, redis_relay.addr)),
        ("PRATU_REDIS_PREFIX", redis.prefix.clone()),
    ];
    let mut opts = Options::default();
    for (k, v) in &envs {
        opts = opts.env(k, v);
    }
    let p = Pratu::start_with(opts).await;
    let cli_envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = crate::backup::user_and_client(&p.data_dir, &cli_envs, "staff1").await;
    let tokens = tokens_of(&p, &app).await;
    let access = tokens["access_token"].as_str().unwrap();
    let userinfo = || async {
        client()
            .get(format!("{}/userinfo", p.url))
            .bearer_auth(access)
            .send()
            .await
            .unwrap()
    };
    assert_eq!(userinfo().await.status(), 200);

    redis_relay.down();
    let r = userinfo().await;
    assert_eq!(r.status(), 503, "a valid token is not called invalid");
    assert!(r.headers().get("retry-after").is_some());
    assert!(r.headers().get("www-authenticate").is_none());

    // A sign-in while the sessions cannot be written: the friendly 503
    // page, not a 500.
    let (_, challenge) = crate::protocol::pkce();
    let b = crate::sso::Browser::new();
    let page = b
        .get(&crate::protocol::authorize_url(&p, &app.0, &challenge, ""))
        .await;
    assert_eq!(page.status, 503, "{}", page.body);

    redis_relay.up();
    let mut back = 0;
    for _ in 0..50 {
        back = userinfo().await.status().as_u16();
        if back == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(back, 200, "service resumes without a restart");
    assert!(tokens_of(&p, &app).await["id_token"].is_string());
    assert!(p.terminate().await.success());
    db.drop_db().await;
}

/// Status, `Retry-After` and the body (JSON when it is JSON) of an answer.
async fn answer(r: reqwest::Response) -> (u16, Option<String>, Value) {
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = r.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, retry, body)
}

/// An enrollment begun through the JSON API with the current terms:
/// `(id, token)`.
async fn start_enrollment(url: &str) -> (String, String) {
    let http = client();
    let terms: Value = http
        .get(format!("{url}/api/v1/terms"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let created: Value = http
        .post(format!("{url}/api/v1/enrollments"))
        .json(&json!({"accept_terms": true, "terms_version": terms["version"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = created["enrollment_token"].as_str().unwrap().to_owned();
    crate::leaks::watch("enrollment token", &token);
    (created["enrollment_id"].as_str().unwrap().to_owned(), token)
}

/// An enrollment of somsri begun through the JSON API, at the identity
/// step: `(id, token)`.
async fn enrollment_at_identity(url: &str) -> (String, String) {
    let http = client();
    let (id, token) = start_enrollment(url).await;
    let r = http
        .put(format!("{url}/api/v1/enrollments/{id}/citizen-id"))
        .bearer_auth(&token)
        .json(&json!({"citizen_id": crate::recovery::somsri().citizen_id}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    (id, token)
}

async fn identity_step(url: &str, (id, token): &(String, String)) -> reqwest::Response {
    let c = crate::recovery::somsri();
    client()
        .put(format!("{url}/api/v1/enrollments/{id}/identity"))
        .bearer_auth(token)
        .json(&json!({"method": "laser_code", "first_name": c.first_name,
            "last_name": c.last_name, "birth_date": c.birth_date, "laser_code": c.laser_code}))
        .send()
        .await
        .unwrap()
}

/// A store a test takes down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Down {
    Postgres,
    Redis,
}

/// Whether `surface` refused honestly: 503 with `Retry-After` (never 500,
/// never 401 or 400 for a valid credential). With PostgreSQL down every
/// surface below but introspection needs it, so must refuse; with Redis
/// down a surface that does not need it may serve (`false`).
fn refused(
    down: Down,
    surface: &str,
    (status, retry, body): &(u16, Option<String>, Value),
) -> bool {
    eprintln!("with {down:?} down, {surface} answered {status}");
    if *status == 503 {
        assert_eq!(retry.as_deref(), Some("5"), "{surface}: {body}");
        return true;
    }
    // Introspection needs only the cached client and Redis.
    let may_serve = down == Down::Redis || surface == "introspection";
    assert!(
        may_serve && (200..300).contains(status),
        "{surface} with {down:?} down: {status} {body}"
    );
    false
}

/// A store down under every surface: the token endpoint, userinfo, the
/// enrollment, account and admin APIs and the sign-in all answer 503 with
/// `Retry-After` (problem+json `service_unavailable` for the JSON APIs,
/// OAuth `temporarily_unavailable` for the protocol, a page for the
/// browser) when they need it, never 500 and never 401 for a valid
/// credential. When it returns, the same requests succeed without a
/// restart: a refresh token refused during the outage was not burned, and
/// an enrollment step that failed is simply repeated.
async fn every_surface_while_down(down: Down) {
    use crate::account_api::{Backend, PASSWORD, Setup};
    use reqwest::Method;
    let Some(s) = Setup::start(Backend::Relayed).await else {
        return;
    };
    let relay = match down {
        Down::Postgres => s.pg_relay.as_ref(),
        Down::Redis => s.redis_relay.as_ref(),
    }
    .unwrap();
    let url = s.p.url.clone();
    let cli_env: Vec<(&str, &str)> = s
        .envs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let bot = crate::harness::cli_json(
        &s.p.data_dir,
        &cli_env,
        &[
            "client",
            "create",
            "--name",
            "ops-bot",
            "--scope",
            "pratu:admin",
            "--grant-type",
            "client_credentials",
            "--json",
        ],
        None,
    )
    .await;
    let admin: Value = client()
        .post(s.url("/token"))
        .basic_auth(
            bot["client_id"].as_str().unwrap(),
            bot["client_secret"].as_str(),
        )
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "pratu:admin"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let admin = admin["access_token"].as_str().unwrap().to_owned();
    let b = crate::sso::Browser::new();
    let (agency_access, agency_refresh, _) = s.agency_tokens(&b, PASSWORD).await;
    let account = s.account_token(&b, PASSWORD).await.unwrap();
    let enrollment = enrollment_at_identity(&url).await;
    let refresh = |token: String| {
        let s = &s;
        async move {
            client()
                .post(s.url("/token"))
                .basic_auth(&s.agency_id, Some(&s.agency_secret))
                .form(&[("grant_type", "refresh_token"), ("refresh_token", &token)])
                .send()
                .await
                .unwrap()
        }
    };

    relay.down();
    assert_eq!(crate::harness::wait_ready(&s.p, 503).await, 503);

    let mut agency_refresh = agency_refresh;
    let got = answer(refresh(agency_refresh.clone()).await).await;
    if refused(down, "refresh", &got) {
        assert_eq!(got.2["error"], "temporarily_unavailable", "{}", got.2);
    } else {
        agency_refresh = got.2["refresh_token"].as_str().unwrap().to_owned();
    }

    let r = client()
        .get(s.url("/userinfo"))
        .bearer_auth(&agency_access)
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("www-authenticate").is_none());
    refused(down, "userinfo", &answer(r).await);
    // Introspection never calls a valid token inactive because it could
    // not check it.
    let r = client()
        .post(s.url("/introspect"))
        .basic_auth(&s.agency_id, Some(&s.agency_secret))
        .form(&[("token", agency_access.as_str())])
        .send()
        .await
        .unwrap();
    let got = answer(r).await;
    if !refused(down, "introspection", &got) {
        assert_eq!(got.2["active"], true, "{}", got.2);
    }

    // The JSON APIs: one problem for every surface.
    let problems = [
        (
            "enrollment",
            answer(identity_step(&url, &enrollment).await).await,
        ),
        ("account", {
            let (status, headers, body) = s.api(Method::GET, "", Some(&account), None).await;
            let retry = headers
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned());
            (status, retry, body)
        }),
        (
            "admin",
            answer(
                client()
                    .get(s.url("/admin/api/v1/clients"))
                    .bearer_auth(&admin)
                    .send()
                    .await
                    .unwrap(),
            )
            .await,
        ),
    ];
    let mut identity_done = false;
    for (surface, got) in &problems {
        if refused(down, surface, got) {
            assert_eq!(got.2["code"], "service_unavailable", "{surface}: {}", got.2);
        } else if *surface == "enrollment" {
            identity_done = true;
        }
    }

    // The browser: the sign-in page needs no database (clients are cached)
    // but Redis (the pending request); checking the password needs the
    // database. The answer is the friendly 503 page.
    let (_, challenge) = crate::protocol::pkce();
    let fresh = crate::sso::Browser::new();
    let page = fresh
        .get(&s.url(&format!(
            "/authorize?response_type=code&client_id={}&redirect_uri={}\
             &scope=openid&state=st&code_challenge={challenge}&code_challenge_method=S256",
            s.agency_id,
            urlencoding("http://127.0.0.1:9/info/callback")
        )))
        .await;
    // The pending request lives in Redis, the password in PostgreSQL:
    // either way the sign-in cannot finish, and the browser is told so.
    let after = if down == Down::Redis {
        page
    } else {
        fresh
            .sign_in(page, &url, crate::account_api::USER, PASSWORD)
            .await
    };
    assert_eq!(after.status, 503, "{}", after.body);
    assert!(after.body.contains("<html"), "{}", after.body);

    relay.up();
    assert_eq!(crate::harness::wait_ready(&s.p, 200).await, 200);
    // The refresh token presented during the outage (or the one it was
    // rotated to) works.
    let (status, _, body) = answer(refresh(agency_refresh.clone()).await).await;
    assert_eq!(status, 200, "the refresh token was burned: {body}");
    assert_eq!(s.userinfo(&agency_access).await, 200);
    let (status, _, _) = s.api(Method::GET, "", Some(&account), None).await;
    assert_eq!(status, 200);
    // The enrollment step that failed is repeated and goes on.
    if !identity_done {
        let (status, _, body) = answer(identity_step(&url, &enrollment).await).await;
        assert_eq!(status, 200, "{body}");
    }
    s.finish().await;
}

#[tokio::test]
async fn with_postgres_down_every_surface_answers_503_and_the_same_requests_succeed_after() {
    every_surface_while_down(Down::Postgres).await;
}

#[tokio::test]
async fn with_redis_down_every_surface_answers_503_or_serves_and_resumes_after() {
    every_surface_while_down(Down::Redis).await;
}

fn urlencoding(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// An SMS gateway the test turns on and off: `Up` accepts and keeps the
/// message, `Failing` answers 503, `Hanging` never answers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Gateway {
    Up,
    Failing,
    Hanging,
}

#[derive(Clone)]
struct SmsStub {
    mode: std::sync::Arc<std::sync::Mutex<Gateway>>,
    received: std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
}

impl SmsStub {
    async fn start() -> (Self, String) {
        use axum::extract::State;
        let stub = Self {
            mode: std::sync::Arc::new(std::sync::Mutex::new(Gateway::Up)),
            received: std::sync::Arc::default(),
        };
        async fn send(State(s): State<SmsStub>, body: axum::body::Bytes) -> axum::http::StatusCode {
            let mode = *s.mode.lock().unwrap();
            match mode {
                Gateway::Up => {
                    let v = serde_json::from_slice(&body).unwrap();
                    s.received.lock().unwrap().push(v);
                    axum::http::StatusCode::OK
                }
                Gateway::Failing => axum::http::StatusCode::SERVICE_UNAVAILABLE,
                Gateway::Hanging => std::future::pending().await,
            }
        }
        let app = axum::Router::new()
            .route("/send", axum::routing::post(send))
            .with_state(stub.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/send", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (stub, url)
    }

    fn set(&self, mode: Gateway) {
        *self.mode.lock().unwrap() = mode;
    }

    /// The code in the last message to `to`.
    fn last_code(&self, to: &str) -> Option<String> {
        let received = self.received.lock().unwrap();
        let text = received.iter().rev().find(|m| m["to"] == to)?["text"]
            .as_str()?
            .to_owned();
        text.split_whitespace()
            .find(|w| w.len() == 6 && w.chars().all(|c| c.is_ascii_digit()))
            .map(str::to_owned)
    }
}

/// The SMS gateway hanging or failing: the phone step answers 503
/// `sms_unavailable` with `Retry-After` within the request, the code that
/// was not delivered does not hold up the next one, and once the gateway
/// is back the same step succeeds and the enrollment completes: one
/// account, whatever was tried before.
#[tokio::test]
async fn with_the_sms_gateway_down_the_phone_step_is_refused_honestly_and_repeated_after() {
    let (gateway, gateway_url) = SmsStub::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let c = somchai();
    let registry = crate::enrollment::write_registry(tmp.path(), &[somchai()]);
    let p = Pratu::start_with(
        Options::default()
            .env("PRATU_PROOFING__REGISTRY_FILE", registry.to_str().unwrap())
            .env("PRATU_SMS__PROVIDER", "http")
            .env("PRATU_SMS__HTTP__URL", &gateway_url)
            .env("PRATU_SMS__HTTP__TIMEOUT_SECONDS", "1")
            .env("PRATU_HTTP__REQUEST_TIMEOUT_SECONDS", "5"),
    )
    .await;
    let http = client();
    let api = |path: &str| format!("{}/api/v1{path}", p.url);
    let (id, token) = start_enrollment(&p.url).await;
    let step = |path: &str| api(&format!("/enrollments/{id}{path}"));
    for (path, body) in [
        ("/citizen-id", json!({"citizen_id": c.citizen_id})),
        (
            "/identity",
            json!({"method": "laser_code", "first_name": c.first_name,
                "last_name": c.last_name, "birth_date": c.birth_date, "laser_code": c.laser_code}),
        ),
        (
            "/account",
            json!({"username": "somchai87", "password": "Khaosan7Lamp"}),
        ),
    ] {
        let r = http
            .put(step(path))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            r.status().is_success(),
            "{path}: {}",
            r.text().await.unwrap()
        );
    }
    let phone = || async {
        http.post(step("/phone"))
            .bearer_auth(&token)
            .json(&json!({"phone": "0812345678"}))
            .send()
            .await
            .unwrap()
    };
    for mode in [Gateway::Hanging, Gateway::Failing] {
        gateway.set(mode);
        let (status, retry, body) = answer(phone().await).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (503, Some("sms_unavailable")),
            "{body}"
        );
        assert_eq!(retry.as_deref(), Some("5"));
    }
    assert!(gateway.last_code("+66812345678").is_none());

    gateway.set(Gateway::Up);
    let (status, _, body) = answer(phone().await).await;
    assert_eq!(
        status, 202,
        "the step is repeated once the gateway is back: {body}"
    );
    let code = gateway
        .last_code("+66812345678")
        .expect("a code was delivered");
    let r = http
        .post(step("/phone/verify"))
        .bearer_auth(&token)
        .json(&json!({"code": code}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let confirm = || async {
        http.post(step("/confirm"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
    };
    let (status, _, first) = answer(confirm().await).await;
    assert_eq!(status, 201, "{first}");
    // A client that did not see the answer confirms again: the same
    // account, not a second one.
    let (status, _, again) = answer(confirm().await).await;
    assert_eq!(status, 201, "{again}");
    assert_eq!(again["user_id"], first["user_id"]);
    use sqlx::Connection as _;
    let mut db = sqlx::SqliteConnection::connect(&format!(
        "sqlite://{}",
        p.data_dir.join("pratu.db").display()
    ))
    .await
    .unwrap();
    let (users,): (i64,) = sqlx::query_as("SELECT count(*) FROM users")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(users, 1);
}
