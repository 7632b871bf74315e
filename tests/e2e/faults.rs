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
