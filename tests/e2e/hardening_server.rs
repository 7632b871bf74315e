//! Issue 16, hardening of the server itself, black-box: development
//! settings fail closed off loopback, slow and surplus connections cannot
//! hold the server, `/metrics` is off the public port, `check-config` hides
//! every SMS gateway credential, `X-Forwarded-For` is read across every
//! header and stops at garbage, and every HTML page's CSP keeps forms and
//! framing locked down.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::harness::{Options, Pratu, cli_json, client, run_cli};

const PUBLIC_ISSUER: &str = "https://id.example.go.th";
const KEY: &str = "c2VjcmV0LWtleS1tYXRlcmlhbC0wMTIzNDU2Nzg5YWI=";

/// Bounds a wait that succeeds at once when the server behaves, so a
/// regression fails the test instead of hanging it; never a measurement.
const GUARD: Duration = Duration::from_secs(30);

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

// ---- item 8: development settings fail closed ----

#[tokio::test]
async fn a_public_issuer_with_the_development_defaults_refuses_to_start_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("PRATU_ISSUER", PUBLIC_ISSUER)];
    for command in ["serve", "check-config"] {
        let out = run_cli(dir.path(), &env, &[command], None).await;
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command}: {stderr}");
        let line = stderr
            .lines()
            .find(|l| l.starts_with("pratu: "))
            .unwrap_or_else(|| panic!("{command}: no error line in {stderr}"));
        for setting in [
            "proofing.provider",
            "sms.provider",
            "secrets.generate_missing",
            "dev_mode",
        ] {
            assert!(
                line.contains(setting),
                "{command}: {setting} not named: {line}"
            );
        }
        assert!(
            !stderr.contains("listening on"),
            "{command} started: {stderr}"
        );
    }
    // Nothing was generated on the way out.
    assert!(!dir.path().join("secrets").exists());
}

#[tokio::test]
async fn a_public_issuer_with_production_settings_passes_without_dev_mode() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("PRATU_ISSUER", PUBLIC_ISSUER),
        ("PRATU_PROOFING__PROVIDER", "dopa"),
        ("PRATU_SMS__PROVIDER", "http"),
        ("PRATU_SMS__HTTP__URL", "https://sms.example.go.th/send"),
        ("PRATU_SECRETS__GENERATE_MISSING", "false"),
        ("PRATU_SECRETS__PII_KEY", KEY),
        ("PRATU_SECRETS__INDEX_KEY", KEY),
        ("PRATU_SECRETS__KEY_ENCRYPTION_KEY", KEY),
        ("PRATU_SECRETS__SERVER_KEY", KEY),
    ];
    let out = run_cli(dir.path(), &env, &["check-config"], None).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    // One development setting is enough to refuse.
    let mut one_dev = env.to_vec();
    one_dev.push(("PRATU_SMS__PROVIDER", "outbox"));
    let out = run_cli(dir.path(), &one_dev, &["check-config"], None).await;
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("sms.provider"), "{stderr}");
    assert!(!stderr.contains("proofing.provider"), "{stderr}");
}

#[tokio::test]
async fn dev_mode_accepts_the_development_settings_with_a_public_issuer() {
    let p = Pratu::start_with(
        Options::default()
            .env("PRATU_ISSUER", PUBLIC_ISSUER)
            .env("PRATU_DEV_MODE", "true"),
    )
    .await;
    let r = p.get("/healthz").send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_loopback_http_issuer_accepts_the_development_settings() {
    let p =
        Pratu::start_with(Options::default().env("PRATU_ISSUER", "http://localhost:8080")).await;
    assert_eq!(p.get("/healthz").send().await.unwrap().status(), 200);
    // And the default, no issuer on a loopback listener.
    let p = Pratu::start().await;
    assert_eq!(p.get("/healthz").send().await.unwrap().status(), 200);
}

#[test]
fn the_production_image_does_not_contain_the_dev_registry() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dockerfile = std::fs::read_to_string(root.join("deploy/Dockerfile")).unwrap();
    for line in dockerfile
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
    {
        assert!(
            !line.contains("dev-registry"),
            "the image must not carry the dev registry: {line}"
        );
    }
    let ignore = std::fs::read_to_string(root.join("deploy/Dockerfile.dockerignore")).unwrap();
    assert!(!ignore.is_empty());
}

// ---- item 11: slow headers and too many connections ----

async fn connect(p: &Pratu) -> TcpStream {
    TcpStream::connect(p.url.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads until `needle` arrives (or the connection ends).
async fn read_until(conn: &mut TcpStream, needle: &str) -> String {
    let mut got = Vec::new();
    let mut buf = [0_u8; 4096];
    tokio::time::timeout(GUARD, async {
        loop {
            let n = conn.read(&mut buf).await.unwrap();
            got.extend_from_slice(&buf[..n]);
            if n == 0 || text(&got).contains(needle) {
                break;
            }
        }
    })
    .await
    .expect("an answer");
    text(&got)
}

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nhost: pratu\r\n\r\n";

#[tokio::test]
async fn a_client_that_stalls_in_its_headers_is_disconnected() {
    let p =
        Pratu::start_with(Options::default().env("PRATU_HTTP__HEADER_READ_TIMEOUT_SECONDS", "1"))
            .await;
    let mut slow = connect(&p).await;
    slow.write_all(b"GET /healthz HTTP/1.1\r\nhost: pratu\r\nx-slow: 1\r\n")
        .await
        .unwrap();
    // Others are served meanwhile.
    let r = p.get("/healthz").send().await.unwrap();
    assert_eq!(r.status(), 200);
    // The stalled one is closed by the server (after at most a 408), never
    // answered.
    let mut rest = Vec::new();
    tokio::time::timeout(GUARD, slow.read_to_end(&mut rest))
        .await
        .expect("the server closes a connection whose headers stall")
        .unwrap();
    let answer = text(&rest);
    assert!(!answer.contains(" 200 "), "{answer}");
}

#[tokio::test]
async fn connections_beyond_max_connections_wait_until_one_closes() {
    let p = Pratu::start_with(
        Options::default()
            .env("PRATU_HTTP__MAX_CONNECTIONS", "2")
            // Idle keep-alive connections must stay open for this test.
            .env("PRATU_HTTP__HEADER_READ_TIMEOUT_SECONDS", "600"),
    )
    .await;
    let mut first = connect(&p).await;
    let mut second = connect(&p).await;
    for conn in [&mut first, &mut second] {
        conn.write_all(HEALTHZ).await.unwrap();
        let answer = read_until(conn, "\"ok\"").await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    // The kernel completes the handshake (backlog); Pratu does not serve it.
    let mut third = connect(&p).await;
    third.write_all(HEALTHZ).await.unwrap();
    // The open connections are still served meanwhile.
    second.write_all(HEALTHZ).await.unwrap();
    assert!(
        read_until(&mut second, "\"ok\"")
            .await
            .starts_with("HTTP/1.1 200")
    );
    let mut buf = [0_u8; 64];
    let early = tokio::time::timeout(Duration::from_secs(1), third.read(&mut buf)).await;
    assert!(
        early.is_err(),
        "a third connection was served with max_connections = 2: {early:?}"
    );
    drop(first);
    let answer = read_until(&mut third, "\"ok\"").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

// ---- item 12: metrics on their own listener ----

#[tokio::test]
async fn metrics_are_served_on_the_metrics_listener_only() {
    let p = Pratu::start().await;
    p.get("/healthz").send().await.unwrap();
    let public = p.get("/metrics").send().await.unwrap();
    assert_eq!(public.status(), 404);
    assert!(!public.text().await.unwrap().contains("http_requests_total"));
    let metrics_url = p
        .metrics_url
        .clone()
        .expect("the metrics address is logged");
    assert_ne!(
        metrics_url.trim_end_matches("/metrics"),
        p.url,
        "a listener of its own"
    );
    let r = p.metrics().send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("http_requests_total") && body.contains("route=\"/healthz\""),
        "{body}"
    );
}

// ---- item 13: check-config hides SMS gateway credentials ----

#[tokio::test]
async fn check_config_redacts_every_sms_gateway_credential() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("PRATU_SMS__PROVIDER", "http"),
        (
            "PRATU_SMS__HTTP__URL",
            "https://agency:url-pass-1@sms.example/send?user=agency-9&pw=query-secret-1&to={to}",
        ),
        ("PRATU_SMS__HTTP__HEADERS__X_API_KEY", "header-secret-1"),
        // Form-encoded: the environment would read `{…}` as a table.
        (
            "PRATU_SMS__HTTP__BODY_TEMPLATE",
            "sender_key=body-secret-1&to={to}&text={text}",
        ),
    ];
    let out = run_cli(dir.path(), &env, &["check-config"], None).await;
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    for secret in [
        "url-pass-1",
        "agency-9",
        "query-secret-1",
        "header-secret-1",
        "body-secret-1",
    ] {
        assert!(!stdout.contains(secret), "{secret} printed:\n{stdout}");
        assert!(!stderr.contains(secret), "{secret} logged:\n{stderr}");
    }
    // The names stay, so the shape can be checked.
    for shown in [
        "https://agency:***@sms.example/send?user=***&pw=***&to={to}",
        r#"x_api_key = "[redacted]""#,
        r#"body_template = "sender_key=***&to={to}&text={text}""#,
    ] {
        assert!(stdout.contains(shown), "{shown} missing:\n{stdout}");
    }
}

// ---- item 14: X-Forwarded-For ----

async fn start_enrollment(p: &Pratu, forwarded: &[&str]) -> u16 {
    let terms: Value = p
        .get("/api/v1/terms")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut request = client().post(format!("{}/api/v1/enrollments", p.url));
    for value in forwarded {
        // Each call adds one more header line.
        request = request.header("x-forwarded-for", *value);
    }
    request
        .json(&json!({"accept_terms": true, "terms_version": terms["version"]}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn behind_a_proxy() -> Options {
    Options::default()
        .env("PRATU_HTTP__TRUSTED_PROXIES", r#"["127.0.0.1"]"#)
        .env("PRATU_LIMITS__ENROLLMENTS_PER_IP__MAX", "1")
}

/// A proxy that adds its own header line instead of appending to the
/// client's: the client's line comes first and must not pick the address
/// the per-IP limit counts.
#[tokio::test]
async fn the_client_address_is_read_across_every_forwarded_for_header() {
    let p = Pratu::start_with(behind_a_proxy()).await;
    assert_eq!(start_enrollment(&p, &["6.6.6.6", "203.0.113.9"]).await, 201);
    assert_eq!(
        start_enrollment(&p, &["7.7.7.7", "203.0.113.9"]).await,
        429,
        "the same client behind a made-up first header"
    );
    assert_eq!(
        start_enrollment(&p, &["6.6.6.6", "203.0.113.10"]).await,
        201
    );
}

/// An entry that is not an address ends the walk at the last trusted hop
/// (here the proxy itself): skipping it would believe the client's entry.
#[tokio::test]
async fn an_unparsable_forwarded_for_entry_is_charged_to_the_proxy() {
    let p = Pratu::start_with(behind_a_proxy()).await;
    assert_eq!(start_enrollment(&p, &["1.1.1.1, unknown"]).await, 201);
    assert_eq!(
        start_enrollment(&p, &["2.2.2.2, unknown"]).await,
        429,
        "the address left of garbage was believed"
    );
}

// ---- item 16: one CSP for every page ----

const RP_CALLBACK: &str = "https://rp.example.go.th/cb";

fn assert_locked_down(what: &str, response: &reqwest::Response) {
    let csp = response
        .headers()
        .get("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no CSP"))
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("form-action 'self'"), "{what}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
}

fn authorize(p: &Pratu, client_id: &str, extra: &str) -> String {
    format!(
        "{}/authorize?response_type=code&client_id={client_id}&redirect_uri={}&scope=openid&state=st{extra}",
        p.url,
        url::form_urlencoded::byte_serialize(RP_CALLBACK.as_bytes()).collect::<String>()
    )
}

#[tokio::test]
async fn every_html_page_keeps_form_action_and_frame_ancestors() {
    let p = Pratu::start().await;
    let registered: Value = cli_json(
        &p.data_dir,
        &[],
        &[
            "client",
            "create",
            "--name",
            "App",
            "--redirect-uri",
            RP_CALLBACK,
            "--json",
        ],
        None,
    )
    .await;
    let client_id = registered["client_id"].as_str().unwrap();
    // Follows redirects (the console's sign-in leads to the provider's).
    let http = reqwest::Client::new();
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let pages = [
        ("the enrollment wizard", format!("{}/register", p.url)),
        (
            "the sign-in page",
            authorize(
                &p,
                client_id,
                &format!("&code_challenge={challenge}&code_challenge_method=S256"),
            ),
        ),
        // Redirected to the provider's sign-in for the console's client.
        ("the console sign-in", format!("{}/admin/login", p.url)),
        (
            "the console's signed-out page",
            format!("{}/admin/signed-out", p.url),
        ),
        (
            "an authorization error page",
            format!("{}/authorize?client_id=no-such-client", p.url),
        ),
    ];
    for (what, url) in pages {
        let r = http.get(&url).send().await.unwrap();
        let html = r
            .headers()
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap().starts_with("text/html"));
        assert!(html, "{what} ({url}) is an HTML page: {}", r.status());
        assert_locked_down(what, &r);
    }

    // The form_post page may post to the client's origin, and nowhere else:
    // here it carries `login_required` back (prompt=none, nobody signed in).
    let r = http
        .get(authorize(
            &p,
            client_id,
            &format!(
                "&response_mode=form_post&prompt=none&code_challenge={challenge}&code_challenge_method=S256"
            ),
        ))
        .send()
        .await
        .unwrap();
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let body = r.text().await.unwrap();
    assert!(
        body.contains(RP_CALLBACK) && body.contains("login_required"),
        "a form_post page: {body}"
    );
    assert!(
        csp.contains("form-action https://rp.example.go.th;"),
        "{csp}"
    );
    assert!(!csp.contains("form-action 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
}
