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
    let terms: Value = http
        .get(api("/terms"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let created: Value = http
        .post(api("/enrollments"))
        .json(&json!({"accept_terms": true, "terms_version": terms["version"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["enrollment_id"].as_str().unwrap();
    let token = created["enrollment_token"].as_str().unwrap();
    crate::leaks::watch("enrollment token", token);
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
