//! RFC 7591 dynamic client registration and RFC 7592 management: off by
//! default, initial access tokens, every error code, and the management
//! protocol with its tokens.

use pratu_oidc::clients::registration::issue_initial_access_token;
use pratu_storage::records::{AuditEvent, AuditFilter};
use serde_json::{Value, json};

use crate::helpers::{RP, TestApp};

const REGISTER: &str = "/connect/register";

async fn enabled() -> TestApp {
    TestApp::spawn_with(|c| c.clients.dynamic_registration = true).await
}

async fn initial_token(app: &TestApp, seconds: u64) -> String {
    let (token, _) = issue_initial_access_token(
        app.store.as_ref(),
        &app.clock,
        &pratu_core::OsRandom,
        seconds,
    )
    .await
    .unwrap();
    token.expose_secret().to_owned()
}

/// `POST /connect/register` with `token` (if any) and a JSON body.
async fn register(app: &TestApp, token: Option<&str>, body: &Value) -> (u16, Value, String) {
    let mut req = app
        .http
        .post(app.url(REGISTER))
        .header("x-request-id", "req-register-1")
        .json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let challenge = res
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    if status != 404 {
        assert_eq!(res.headers()["cache-control"], "no-store");
    }
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        challenge,
    )
}

fn web_client() -> Value {
    json!({
        "client_name": "Agency portal",
        "redirect_uris": [RP],
        "grant_types": ["authorization_code", "refresh_token"],
        "scope": "openid profile",
        "client_uri": "https://rp.example/",
        "contacts": ["ops@rp.example"],
    })
}

/// Audit events with `action`, once the off-path writes have landed.
async fn audit_events(app: &TestApp, action: &str, at_least: usize) -> Vec<AuditEvent> {
    for _ in 0..500 {
        let events = app
            .store
            .list_audit(&AuditFilter {
                action: Some(action.to_owned()),
                limit: 100,
                ..AuditFilter::default()
            })
            .await
            .unwrap();
        if events.len() >= at_least {
            return events;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("fewer than {at_least} audit events {action}");
}

#[tokio::test]
async fn off_by_default_every_route_is_404_and_discovery_is_silent() {
    let app = TestApp::spawn().await;
    let token = initial_token(&app, 600).await;
    let (status, _, _) = register(&app, Some(&token), &web_client()).await;
    assert_eq!(status, 404);
    for method in [
        reqwest::Method::GET,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
    ] {
        let res = app
            .http
            .request(method.clone(), app.url("/connect/register/some-client"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{method}");
    }
    let doc: Value = app
        .http
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc.get("registration_endpoint").is_none());
}

#[tokio::test]
async fn a_single_use_initial_token_registers_a_working_client() {
    let app = enabled().await;
    let doc: Value = app
        .http
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["registration_endpoint"], app.url(REGISTER));

    let token = initial_token(&app, 600).await;
    let (status, body, _) = register(&app, Some(&token), &web_client()).await;
    assert_eq!(status, 201, "{body}");
    let client_id = body["client_id"].as_str().unwrap();
    assert!(body["client_secret"].as_str().unwrap().len() >= 43);
    assert_eq!(body["client_secret_expires_at"], 0);
    assert!(body["client_id_issued_at"].as_i64().unwrap() > 0);
    assert!(body["registration_access_token"].as_str().unwrap().len() >= 43);
    assert_eq!(
        body["registration_client_uri"],
        app.url(&format!("{REGISTER}/{client_id}"))
    );
    assert_eq!(body["client_name"], "Agency portal");
    assert_eq!(body["redirect_uris"], json!([RP]));
    assert_eq!(body["response_types"], json!(["code"]));
    assert_eq!(body["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(body["scope"], "openid profile");
    assert_eq!(body["client_uri"], "https://rp.example/");
    assert_eq!(body["contacts"], json!(["ops@rp.example"]));
    for operator_only in ["first_party", "allow_citizen_id", "status"] {
        assert!(body.get(operator_only).is_none(), "{operator_only}");
    }
    let stored = app.store.client_by_id(client_id).await.unwrap().unwrap();
    assert!(!stored.first_party && !stored.allow_citizen_id);
    let extra = stored.extra.to_string();
    assert!(
        !extra.contains(body["registration_access_token"].as_str().unwrap()),
        "only a digest of the registration access token is kept"
    );

    // Single use: the same token registers nothing more.
    let (status, body2, challenge) = register(&app, Some(&token), &web_client()).await;
    assert_eq!(status, 401);
    assert_eq!(body2["error"], "invalid_token");
    assert!(challenge.starts_with("Bearer"), "{challenge}");

    let events = audit_events(&app, "client.created", 1).await;
    assert_eq!(
        events[0].target.as_deref(),
        Some(&*format!("client:{client_id}"))
    );
    assert_eq!(events[0].request_id.as_deref(), Some("req-register-1"));
    assert!(events[0].actor.starts_with("registration_token:"));
    assert!(!events[0].actor.contains(&token));

    // A machine client uses client_credentials right away.
    let token = initial_token(&app, 600).await;
    let (status, m2m, _) = register(
        &app,
        Some(&token),
        &json!({ "client_name": "Batch", "grant_types": ["client_credentials"], "scope": "profile" }),
    )
    .await;
    assert_eq!(status, 201, "{m2m}");
    assert_eq!(m2m["response_types"], json!([]));
    let res = app
        .http
        .post(app.url("/token"))
        .basic_auth(
            m2m["client_id"].as_str().unwrap(),
            m2m["client_secret"].as_str(),
        )
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let tokens: Value = res.json().await.unwrap();
    assert!(tokens["access_token"].as_str().is_some(), "{tokens}");
}

/// The same protocol on PostgreSQL and Redis: the token is used up there
/// too, and the management endpoint sees the registration.
#[tokio::test]
async fn registration_and_management_work_on_postgres_and_redis() {
    let Some(app) =
        TestApp::spawn_on_postgres_and_redis_with(|c| c.clients.dynamic_registration = true).await
    else {
        return;
    };
    let token = initial_token(&app, 600).await;
    let (status, body, _) = register(&app, Some(&token), &web_client()).await;
    assert_eq!(status, 201, "{body}");
    let (status, _, _) = register(&app, Some(&token), &web_client()).await;
    assert_eq!(status, 401);
    let uri = body["registration_client_uri"].as_str().unwrap();
    let access = body["registration_access_token"].as_str().unwrap();
    let res = app.http.get(uri).bearer_auth(access).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = app
        .http
        .delete(uri)
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
}

#[tokio::test]
async fn missing_wrong_and_expired_initial_tokens_are_invalid_token() {
    let app = enabled().await;
    let expiring = initial_token(&app, 60).await;
    app.advance(61);
    for token in [None, Some("not-a-token"), Some(expiring.as_str())] {
        let (status, body, challenge) = register(&app, token, &web_client()).await;
        assert_eq!(status, 401, "{token:?}");
        assert_eq!(body["error"], "invalid_token");
        assert!(challenge.contains("invalid_token"), "{challenge}");
    }
    let res = app
        .http
        .post(app.url(REGISTER))
        .basic_auth("x", Some("y"))
        .json(&web_client())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn bad_redirect_uris_and_metadata_are_refused_without_using_the_token() {
    let app = enabled().await;
    let token = initial_token(&app, 600).await;
    for uri in [
        "http://rp.example/cb",
        "https://rp.example/cb#section",
        "https://*.rp.example/cb",
        "https://rp.example/cb/*",
        "th.go.agency.app:/cb",
        "javascript:alert(1)",
        "cb",
    ] {
        let (status, body, _) =
            register(&app, Some(&token), &json!({ "redirect_uris": [uri] })).await;
        assert_eq!(status, 400, "{uri}");
        assert_eq!(body["error"], "invalid_redirect_uri", "{uri}: {body}");
        assert!(body["error_description"].as_str().is_some());
    }
    // Code flow without any redirect URI.
    let (_, body, _) = register(&app, Some(&token), &json!({ "client_name": "x" })).await;
    assert_eq!(body["error"], "invalid_redirect_uri", "{body}");

    let with = |extra: Value| {
        let mut b = json!({ "redirect_uris": [RP] });
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        b
    };
    for bad in [
        with(json!({ "grant_types": ["implicit"] })),
        with(json!({ "grant_types": ["password"] })),
        with(json!({ "response_types": ["token"] })),
        with(json!({ "response_types": ["code id_token"] })),
        json!({ "grant_types": ["client_credentials"], "response_types": ["code"] }),
        with(json!({ "token_endpoint_auth_method": "client_secret_jwt" })),
        with(json!({ "token_endpoint_auth_method": "tls_client_auth" })),
        with(json!({ "jwks": { "keys": [] }, "jwks_uri": "https://rp.example/jwks" })),
        with(json!({ "jwks_uri": "https://rp.example/jwks" })),
        with(json!({ "token_endpoint_auth_method": "private_key_jwt" })),
        with(json!({ "scope": "openid pratu:admin" })),
        with(json!({ "scope": "openid citizen_id" })),
        with(json!({ "scope": "openid pid" })),
        with(json!({ "scope": "openid made_up" })),
        with(json!({ "subject_type": "secret" })),
        with(json!({ "id_token_signed_response_alg": "none" })),
        with(json!({ "logo_uri": "javascript:alert(1)" })),
        with(json!({ "client_name": 7 })),
        json!("just a string"),
    ] {
        let (status, body, _) = register(&app, Some(&token), &bad).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(body["error"], "invalid_client_metadata", "{bad}: {body}");
    }
    let res = app
        .http
        .post(app.url(REGISTER))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"],
        "invalid_client_metadata"
    );

    // Operator-only flags are ignored, not granted.
    let (status, body, _) = register(
        &app,
        Some(&token),
        &with(json!({ "first_party": true, "allow_citizen_id": true })),
    )
    .await;
    assert_eq!(status, 201, "the refusals did not use the token: {body}");
    let stored = app
        .store
        .client_by_id(body["client_id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.first_party && !stored.allow_citizen_id);
}

/// Grant types, auth methods and subject types are closed sets: anything
/// outside them (a grant Pratu does not implement, another spelling of one
/// it does) is `invalid_client_metadata` naming the field, and what is
/// registered comes back spelled as RFC 7591 spells it.
#[tokio::test]
async fn unknown_protocol_values_are_invalid_client_metadata_naming_the_field() {
    let app = enabled().await;
    let token = initial_token(&app, 600).await;
    for (field, value) in [
        ("grant_types", json!(["authorization_code", "implicit"])),
        (
            "grant_types",
            json!(["urn:ietf:params:oauth:grant-type:device_code"]),
        ),
        ("grant_types", json!(["Authorization_Code"])),
        ("token_endpoint_auth_method", json!("client_secret_jwt")),
        ("token_endpoint_auth_method", json!("None")),
        ("subject_type", json!("pairwise ")),
    ] {
        let mut bad = json!({ "redirect_uris": [RP] });
        bad[field] = value;
        let (status, body, _) = register(&app, Some(&token), &bad).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(body["error"], "invalid_client_metadata", "{bad}: {body}");
        let description = body["error_description"].as_str().unwrap();
        assert!(description.contains(field), "{bad}: {description}");
    }

    let (status, body, _) = register(
        &app,
        Some(&token),
        &json!({
            "redirect_uris": [RP],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "client_secret_post",
            "subject_type": "pairwise",
        }),
    )
    .await;
    assert_eq!(status, 201, "the refusals did not use the token: {body}");
    assert_eq!(
        body["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(body["token_endpoint_auth_method"], "client_secret_post");
    assert_eq!(body["subject_type"], "pairwise");
}

struct Registered {
    client_id: String,
    secret: String,
    access_token: String,
    uri: String,
}

async fn registered(app: &TestApp, body: &Value) -> Registered {
    let token = initial_token(app, 600).await;
    let (status, r, _) = register(app, Some(&token), body).await;
    assert_eq!(status, 201, "{r}");
    Registered {
        client_id: r["client_id"].as_str().unwrap().to_owned(),
        secret: r["client_secret"].as_str().unwrap_or_default().to_owned(),
        access_token: r["registration_access_token"].as_str().unwrap().to_owned(),
        uri: r["registration_client_uri"].as_str().unwrap().to_owned(),
    }
}

#[tokio::test]
async fn the_management_protocol_reads_replaces_and_deletes_with_the_clients_own_token() {
    let app = enabled().await;
    let a = registered(&app, &web_client()).await;
    let b = registered(&app, &web_client()).await;

    // Read.
    let res = app
        .http
        .get(&a.uri)
        .bearer_auth(&a.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let read: Value = res.json().await.unwrap();
    assert_eq!(read["client_id"], a.client_id.as_str());
    assert_eq!(read["client_name"], "Agency portal");
    assert_eq!(read["registration_client_uri"], a.uri.as_str());
    assert!(read.get("client_secret").is_none());
    assert!(read.get("registration_access_token").is_none());

    // Another client's token, no token, a wrong token, an unknown client.
    for (uri, token) in [
        (a.uri.as_str(), Some(b.access_token.as_str())),
        (a.uri.as_str(), None),
        (a.uri.as_str(), Some("wrong")),
        (
            &*app.url("/connect/register/nobody"),
            Some(a.access_token.as_str()),
        ),
    ] {
        for method in [
            reqwest::Method::GET,
            reqwest::Method::PUT,
            reqwest::Method::DELETE,
        ] {
            let mut req = app
                .http
                .request(method.clone(), uri)
                .json(&json!({ "client_id": a.client_id, "redirect_uris": [RP] }));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 401, "{method} {uri} {token:?}");
            assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_token");
        }
    }
    // A client the operator registered has no registration access token.
    let operator_made = app.confidential("Operator made").await;
    let res = app
        .http
        .get(app.url(&format!("{REGISTER}/{}", operator_made.client_id)))
        .bearer_auth(&a.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    // Update is a full replacement, and must name the client.
    let put = |body: Value| {
        app.http
            .put(&a.uri)
            .bearer_auth(&a.access_token)
            .header("x-request-id", "req-update-1")
            .json(&body)
            .send()
    };
    for (body, error) in [
        (json!({ "redirect_uris": [RP] }), "invalid_request"),
        (
            json!({ "client_id": b.client_id, "redirect_uris": [RP] }),
            "invalid_request",
        ),
        (
            json!({ "client_id": a.client_id, "redirect_uris": [RP], "registration_access_token": a.access_token }),
            "invalid_request",
        ),
        (
            json!({ "client_id": a.client_id, "redirect_uris": [RP], "client_secret": "wrong" }),
            "invalid_request",
        ),
        (
            json!({ "client_id": a.client_id, "redirect_uris": ["http://rp.example/cb"] }),
            "invalid_redirect_uri",
        ),
        (
            json!({ "client_id": a.client_id, "redirect_uris": [RP], "grant_types": ["implicit"] }),
            "invalid_client_metadata",
        ),
    ] {
        let res = put(body.clone()).await.unwrap();
        assert_eq!(res.status(), 400, "{body}");
        assert_eq!(res.json::<Value>().await.unwrap()["error"], error, "{body}");
    }
    let res = put(json!({
        "client_id": a.client_id,
        "client_secret": a.secret,
        "client_name": "Agency portal v2",
        "redirect_uris": ["https://rp.example/cb2"],
        "logo_uri": "https://rp.example/logo.png",
    }))
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
    let updated: Value = res.json().await.unwrap();
    assert_eq!(updated["client_name"], "Agency portal v2");
    assert_eq!(updated["redirect_uris"], json!(["https://rp.example/cb2"]));
    assert_eq!(
        updated["grant_types"],
        json!(["authorization_code"]),
        "omitted fields take their defaults"
    );
    assert_eq!(updated["logo_uri"], "https://rp.example/logo.png");
    assert!(updated.get("client_uri").is_none(), "replaced, not merged");
    let stored = app.store.client_by_id(&a.client_id).await.unwrap().unwrap();
    assert_eq!(stored.redirect_uris, ["https://rp.example/cb2"]);
    assert!(!stored.first_party);
    // The secret survives the update.
    let res = app
        .http
        .post(app.url("/token"))
        .basic_auth(&a.client_id, Some(&a.secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), 401, "the client still authenticates");
    let events = audit_events(&app, "client.changed", 1).await;
    assert_eq!(events[0].request_id.as_deref(), Some("req-update-1"));

    // Delete: the client and its token go.
    let res = app
        .http
        .delete(&a.uri)
        .bearer_auth(&a.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert!(
        app.store
            .client_by_id(&a.client_id)
            .await
            .unwrap()
            .is_none()
    );
    let res = app
        .http
        .get(&a.uri)
        .bearer_auth(&a.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    audit_events(&app, "client.deleted", 1).await;
    // The other client is untouched.
    let res = app
        .http
        .get(&b.uri)
        .bearer_auth(&b.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}
