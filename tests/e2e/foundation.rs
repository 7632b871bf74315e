//! Issue 2: the server starts on the embedded default and on PostgreSQL +
//! Redis, reports readiness truthfully, reuses its data, shuts down cleanly.

use crate::harness::{Options, Pratu, cli_json, run_cli, wait_ready};
use crate::services::{PgDb, RedisNs, Relay, socket_of, via};

#[tokio::test]
async fn the_embedded_default_is_ready_and_a_restart_reuses_its_data() {
    let first = Pratu::start().await;
    assert_eq!(first.get("/healthz").send().await.unwrap().status(), 200);
    let ready = first.get("/readyz").send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["database"]["backend"], "sqlite");
    assert_eq!(body["ephemeral"]["backend"], "memory");
    assert!(first.data_dir.join("pratu.db").is_file());
    let key_before = std::fs::read(first.data_dir.join("secrets/pii_key.key")).unwrap();
    assert!(first.log().contains("GENERATED A NEW SECRET KEY"));

    let (dir, _keep) = first.into_data_dir();
    // The first process may still be exiting; the second must cope with that.
    let second = Pratu::start_with(Options {
        data_dir: Some(dir.clone()),
        ..Options::default()
    })
    .await;
    assert_eq!(second.get("/readyz").send().await.unwrap().status(), 200);
    assert_eq!(
        std::fs::read(dir.join("secrets/pii_key.key")).unwrap(),
        key_before
    );
    assert!(!second.log().contains("GENERATED A NEW SECRET KEY"));
    assert!(second.terminate().await.success());
}

#[tokio::test]
async fn every_response_carries_security_headers_and_a_request_id() {
    let p = Pratu::start().await;
    let r = p.get("/healthz").send().await.unwrap();
    let h = r.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert!(!h["x-request-id"].is_empty());
    // A loopback http issuer: no HSTS.
    assert!(h.get("strict-transport-security").is_none());
    let r = p
        .get("/healthz")
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "abc-123");
}

/// Pages take their styles from served stylesheets, so no page needs
/// `style-src 'unsafe-inline'` (which would let injected markup restyle a
/// sign-in page).
#[tokio::test]
async fn pages_use_served_stylesheets_and_forbid_inline_styles() {
    let p = Pratu::start().await;
    for (page, css) in [
        ("/register", "/register/wizard.css"),
        ("/authorize?client_id=nobody", "/assets/pratu.css"),
    ] {
        let r = p.get(page).send().await.unwrap();
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(!csp.contains("unsafe-inline"), "{page}: {csp}");
        assert!(csp.contains("style-src 'self'"), "{page}: {csp}");
        let body = r.text().await.unwrap();
        assert!(!body.contains("<style"), "{page} has an inline style block");
        assert!(
            body.contains(&format!("href=\"{css}\"")),
            "{page} links {css}"
        );
        let r = p.get(css).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "text/css; charset=utf-8");
        assert!(r.text().await.unwrap().contains("body"));
    }
}

#[tokio::test]
async fn metrics_count_requests_per_route() {
    let p = Pratu::start().await;
    for _ in 0..3 {
        p.get("/healthz").send().await.unwrap();
    }
    p.get("/no-such-page").send().await.unwrap();
    let text = p.metrics().send().await.unwrap().text().await.unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("http_requests_total") && l.contains("route=\"/healthz\""))
        .unwrap_or_else(|| panic!("no healthz counter in:\n{text}"));
    assert!(line.ends_with(" 3"), "{line}");
    assert!(text.contains("http_request_duration_seconds_bucket"));
    assert!(
        text.contains("db_pool_max_connections{pool=\"sqlite_writer\"} 1"),
        "{text}"
    );
    // The in-process store's fill and evictions, and the Argon2 memory held
    // (none: nobody signed in).
    assert!(text.contains("\nephemeral_max_entries "), "{text}");
    assert!(text.contains("\nephemeral_evictions_total 0"), "{text}");
    assert!(text.contains("\npassword_hash_memory_bytes 0"), "{text}");
}

/// `http_errors_total` (README, "Running it") counts the answers the
/// middleware gives on its own too: here the 408 for a request whose body
/// never finishes arriving.
#[tokio::test]
async fn a_timed_out_request_is_counted_as_an_error() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let p =
        Pratu::start_with(Options::default().env("PRATU_HTTP__REQUEST_TIMEOUT_SECONDS", "1")).await;
    let mut conn = tokio::net::TcpStream::connect(p.url.trim_start_matches("http://"))
        .await
        .unwrap();
    conn.write_all(
        b"POST /token HTTP/1.1\r\nhost: pratu\r\n\
          content-type: application/x-www-form-urlencoded\r\ncontent-length: 100\r\n\r\n\
          grant_type=",
    )
    .await
    .unwrap();
    let mut answer = vec![0; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(20), conn.read(&mut answer))
        .await
        .expect("an answer within the timeout")
        .unwrap();
    let head = String::from_utf8_lossy(&answer[..n]);
    assert!(head.starts_with("HTTP/1.1 408"), "{head}");
    let text = p.metrics().send().await.unwrap().text().await.unwrap();
    assert!(
        text.contains(r#"http_errors_total{method="POST",route="/token",status="408"} 1"#),
        "{text}"
    );
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly() {
    let p = Pratu::start().await;
    let status = p.terminate().await;
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn a_bad_configuration_stops_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_cli(
        dir.path(),
        &[("PRATU_OTP__TTL_SECONDS", "five minutes")],
        &["serve"],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("otp"), "{err}");

    let out = run_cli(
        dir.path(),
        &[("PRATU_ISSUER", "http://id.example.go.th")],
        &["serve"],
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`issuer`") && err.contains("https"), "{err}");
}

#[tokio::test]
async fn version_and_help_describe_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_cli(dir.path(), &[], &["--version"], None).await;
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("pratu "));
    let out = run_cli(dir.path(), &[], &["--help"], None).await;
    let help = String::from_utf8_lossy(&out.stdout);
    for word in ["serve", "migrate", "client", "user", "keys"] {
        assert!(help.contains(word), "{word} missing from:\n{help}");
    }
    let out = run_cli(dir.path(), &[], &["client", "create", "--help"], None).await;
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("--redirect-uri") && help.contains("--json"),
        "{help}"
    );
}

#[tokio::test]
async fn migrate_applies_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        cli_json(dir.path(), &[], &["migrate"], None).await;
    }
    assert!(dir.path().join("pratu.db").is_file());
}

#[tokio::test]
async fn postgres_and_redis_readiness_follows_the_services_without_a_restart() {
    let (Some(db), Some(redis)) = (PgDb::create().await, RedisNs::create()) else {
        return;
    };
    let pg_relay = Relay::start(socket_of(&db.url)).await;
    let redis_relay = Relay::start(socket_of(&redis.url)).await;
    let p = Pratu::start_with(
        Options::default()
            .env("PRATU_DATABASE_URL", &via(&db.url, pg_relay.addr))
            .env("PRATU_REDIS_URL", &via(&redis.url, redis_relay.addr))
            .env("PRATU_REDIS_PREFIX", &redis.prefix)
            .env("PRATU_DATABASE__ACQUIRE_TIMEOUT_SECONDS", "1"),
    )
    .await;
    let body: serde_json::Value = p.get("/readyz").send().await.unwrap().json().await.unwrap();
    assert_eq!(body["database"]["backend"], "postgres");
    assert_eq!(body["ephemeral"]["backend"], "redis");
    assert_eq!(wait_ready(&p, 200).await, 200);

    redis_relay.down();
    assert_eq!(wait_ready(&p, 503).await, 503, "Redis down → 503");
    redis_relay.up();
    assert_eq!(wait_ready(&p, 200).await, 200, "Redis back → 200");

    pg_relay.down();
    assert_eq!(wait_ready(&p, 503).await, 503, "PostgreSQL down → 503");
    pg_relay.up();
    assert_eq!(wait_ready(&p, 200).await, 200, "PostgreSQL back → 200");

    assert!(p.terminate().await.success());
    db.drop_db().await;
}
