//! Issue 5, black-box: RFC 7591 dynamic client registration against the real
//! binary — off by default; when enabled, an initial access token from the
//! CLI registers a client once, the client gets tokens, and RFC 7592
//! management reads and deletes it.

use serde_json::{Value, json};

use crate::harness::{Options, Pratu, cli_json, client, run_cli};

async fn token_for(p: &Pratu, id: &str, secret: &str) -> (u16, Value) {
    let r = client()
        .post(format!("{}/token", p.url))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

#[tokio::test]
async fn registration_is_off_by_default() {
    let p = Pratu::start().await;
    let r = client()
        .post(format!("{}/connect/register", p.url))
        .bearer_auth("anything")
        .json(&json!({ "grant_types": ["client_credentials"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let doc: Value = p
        .get("/.well-known/openid-configuration")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc.get("registration_endpoint").is_none());
}

#[tokio::test]
async fn a_cli_issued_token_registers_a_client_that_gets_tokens_and_can_delete_itself() {
    let p =
        Pratu::start_with(Options::default().env("PRATU_CLIENTS__DYNAMIC_REGISTRATION", "true"))
            .await;
    let doc: Value = p
        .get("/.well-known/openid-configuration")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let endpoint = doc["registration_endpoint"].as_str().unwrap().to_owned();
    assert_eq!(endpoint, format!("{}/connect/register", p.url));

    let out = run_cli(
        &p.data_dir,
        &[],
        &["client", "registration-token", "--expires-in", "600"],
        None,
    )
    .await;
    assert!(out.status.success());
    let initial = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(initial.len() >= 43, "{initial}");

    let body = json!({
        "client_name": "Nightly batch",
        "grant_types": ["client_credentials"],
        "scope": "openid",
    });
    let r = client()
        .post(&endpoint)
        .bearer_auth(&initial)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let request_id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let reg: Value = r.json().await.unwrap();
    let id = reg["client_id"].as_str().unwrap();
    let secret = reg["client_secret"].as_str().unwrap();
    let manage = reg["registration_client_uri"].as_str().unwrap();
    let access = reg["registration_access_token"].as_str().unwrap();

    let (status, tokens) = token_for(&p, id, secret).await;
    assert_eq!(status, 200, "{tokens}");
    assert!(tokens["access_token"].as_str().is_some());

    // The initial token was single use.
    let r = client()
        .post(&endpoint)
        .bearer_auth(&initial)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_token");

    // RFC 7592: read, then delete; the client stops working.
    let r = client()
        .get(manage)
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap()["client_name"],
        "Nightly batch"
    );
    let r = client()
        .delete(manage)
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (status, _) = token_for(&p, id, secret).await;
    assert_eq!(status, 401);

    // The audit trail ties the registration to its HTTP request.
    let events = audit_of(&p, &format!("client:{id}"), 2).await;
    let created = events
        .iter()
        .find(|e| e["action"] == "client.created")
        .unwrap();
    assert_eq!(created["request_id"], request_id.as_str());
    assert_eq!(created["details"]["via"], "dynamic_registration");
    assert!(
        created["actor"]
            .as_str()
            .unwrap()
            .starts_with("registration_token:")
    );
    let deleted = events
        .iter()
        .find(|e| e["action"] == "client.deleted")
        .unwrap();
    assert_eq!(deleted["actor"], format!("client:{id}"));
    assert!(deleted["request_id"].is_string());
}

/// The audit events about `target`, read through the admin API with a
/// `pratu:admin` client bootstrapped by the CLI, once `at_least` are there
/// (they are written off the request path).
async fn audit_of(p: &Pratu, target: &str, at_least: usize) -> Vec<Value> {
    let v: Value = cli_json(
        &p.data_dir,
        &[],
        &[
            "client",
            "create",
            "--name",
            "auditor",
            "--scope",
            "pratu:admin",
            "--grant-type",
            "client_credentials",
            "--json",
        ],
        None,
    )
    .await;
    let r = client()
        .post(format!("{}/token", p.url))
        .basic_auth(
            v["client_id"].as_str().unwrap(),
            v["client_secret"].as_str(),
        )
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "pratu:admin"),
        ])
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    let admin = body["access_token"].as_str().unwrap().to_owned();
    for _ in 0..200 {
        let r = client()
            .get(format!("{}/admin/api/v1/audit", p.url))
            .query(&[("target", target)])
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let list: Value = r.json().await.unwrap();
        let events = list["events"].as_array().unwrap().clone();
        if events.len() >= at_least {
            return events;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("fewer than {at_least} audit events about {target}");
}
