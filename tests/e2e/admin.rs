//! Issue 5, black-box: an operator bootstraps itself from the CLI, manages
//! an agency app through the admin API with a `pratu:admin` token, and the
//! audit trail (read through the API) shows each step; tokens without the
//! scope, expired tokens and non-operators are refused. Also: the OpenAPI
//! document parses and lists every admin route.

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{Options, Pratu, cli_json, client, run_cli};
use crate::sso::Browser;

const CB: &str = "http://127.0.0.1:9/cb";
const PASSWORD: &str = "Mango7Sticky";

async fn cli_ok(p: &Pratu, args: &[&str], stdin: Option<&str>) -> Value {
    cli_json(&p.data_dir, &[], args, stdin).await
}

async fn user(p: &Pratu, username: &str, operator: bool) -> String {
    let mut args = vec![
        "user",
        "create",
        "--username",
        username,
        "--given-name",
        "Somsri",
        "--family-name",
        "Dee",
        "--password-stdin",
        "--json",
    ];
    if operator {
        args.extend(["--role", "operator"]);
    }
    let v = cli_ok(p, &args, Some(&format!("{PASSWORD}\n"))).await;
    v["user_id"].as_str().unwrap().to_owned()
}

async fn service_client(p: &Pratu, name: &str, scope: &str) -> (String, String) {
    let v = cli_ok(
        p,
        &[
            "client",
            "create",
            "--name",
            name,
            "--scope",
            scope,
            "--grant-type",
            "client_credentials",
            "--json",
        ],
        None,
    )
    .await;
    (
        v["client_id"].as_str().unwrap().to_owned(),
        v["client_secret"].as_str().unwrap().to_owned(),
    )
}

async fn token(p: &Pratu, id: &str, secret: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let r = client()
        .post(format!("{}/token", p.url))
        .basic_auth(id, Some(secret))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

pub(crate) async fn cc_token(p: &Pratu, id: &str, secret: &str, scope: Option<&str>) -> String {
    let mut form = vec![("grant_type", "client_credentials")];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    let (status, body) = token(p, id, secret, &form).await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

/// Calls the admin API; returns status, `WWW-Authenticate`, body.
pub(crate) async fn api(
    p: &Pratu,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Option<String>, Value) {
    let mut req = client().request(method, format!("{}{path}", p.url));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let challenge = r
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    if status >= 400 {
        assert_eq!(
            r.headers().get("content-type").unwrap(),
            "application/problem+json"
        );
    }
    let text = r.text().await.unwrap();
    (
        status,
        challenge,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

async fn introspect(p: &Pratu, id: &str, secret: &str, token: &str) -> Value {
    client()
        .post(format!("{}/introspect", p.url))
        .basic_auth(id, Some(secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn authorize_url(p: &Pratu, client_id: &str, scope: &str) -> String {
    format!(
        "{}/authorize?response_type=code&client_id={client_id}&redirect_uri={}&scope={}&state=st&nonce=nn",
        p.url,
        url::form_urlencoded::byte_serialize(CB.as_bytes()).collect::<String>(),
        url::form_urlencoded::byte_serialize(scope.as_bytes()).collect::<String>(),
    )
}

/// Signs `username` in to `client_id` in a fresh browser and exchanges the
/// code: the token response.
async fn login(p: &Pratu, client_id: &str, secret: &str, username: &str, scope: &str) -> Value {
    let b = Browser::new();
    let page = b.get(&authorize_url(p, client_id, scope)).await;
    let back = b.sign_in(page, &p.url, username, PASSWORD).await;
    let code = back.redirect_param("code").expect("a code");
    let (status, body) = token(
        p,
        client_id,
        secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn exp_of(jwt: &str) -> i64 {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1).unwrap();
    let v: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    v["exp"].as_i64().unwrap()
}

pub(crate) fn actions(events: &Value) -> Vec<String> {
    events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_operator_manages_an_agency_app_through_the_admin_api() {
    use reqwest::Method;
    // The shortest access-token lifetime, so one expires within the test.
    let p = Pratu::start_with(
        Options::default().env("PRATU_TOKENS__ACCESS_TOKEN_LIFETIME_SECONDS", "60"),
    )
    .await;

    // Bootstrap from the CLI: an operator account and an automation client.
    let op_id = user(&p, "opsadmin1", true).await;
    let _citizen = user(&p, "somchai1", false).await;
    let (bot, bot_secret) = service_client(&p, "ops-bot", "pratu:admin").await;
    let admin = cc_token(&p, &bot, &bot_secret, Some("pratu:admin")).await;
    let early = admin.clone();

    // No token, a bad token, a token without the scope.
    let (s, ch, body) = api(&p, Method::GET, "/admin/api/v1/clients", None, None).await;
    assert_eq!(s, 401, "{body}");
    assert!(ch.unwrap().contains(r#"error="invalid_token""#));
    assert_eq!(body["code"], "invalid_token");
    let (s, ch, _) = api(
        &p,
        Method::GET,
        "/admin/api/v1/clients",
        Some("not.a.token"),
        None,
    )
    .await;
    assert_eq!(s, 401);
    assert!(ch.unwrap().contains("invalid_token"));
    let (other, other_secret) = service_client(&p, "reporting", "phone").await;
    let weak = cc_token(&p, &other, &other_secret, Some("phone")).await;
    let (s, ch, body) = api(&p, Method::GET, "/admin/api/v1/clients", Some(&weak), None).await;
    assert_eq!(s, 403, "{body}");
    assert!(ch.unwrap().contains(r#"error="insufficient_scope""#));
    // A client not registered with pratu:admin cannot get it.
    let (s, body) = token(
        &p,
        &other,
        &other_secret,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "pratu:admin"),
        ],
    )
    .await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_scope")));

    // Register an agency app through the API.
    let (s, _, app) = api(
        &p,
        Method::POST,
        "/admin/api/v1/clients",
        Some(&admin),
        Some(json!({
            "client_name": "Agency e-Service",
            "redirect_uris": [CB],
            "grant_types": ["authorization_code", "refresh_token"],
            "first_party": true,
        })),
    )
    .await;
    assert_eq!(s, 201, "{app}");
    let app_id = app["client_id"].as_str().unwrap().to_owned();
    let first_secret = app["client_secret"].as_str().unwrap().to_owned();
    let (s, _, shown) = api(
        &p,
        Method::GET,
        &format!("/admin/api/v1/clients/{app_id}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert!(
        shown.get("client_secret").is_none(),
        "the secret is shown once"
    );
    let (s, _, list) = api(
        &p,
        Method::GET,
        "/admin/api/v1/clients?limit=1",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(list["clients"].as_array().unwrap().len(), 1);
    assert_eq!(list["next_offset"], 1);
    // Invalid metadata is a problem naming the field.
    let (s, _, body) = api(
        &p,
        Method::POST,
        "/admin/api/v1/clients",
        Some(&admin),
        Some(json!({"client_name": "X", "redirect_uris": ["https://a.example/cb#frag"]})),
    )
    .await;
    assert_eq!((s, body["field"].as_str()), (422, Some("redirect_uris")));

    // The app signs a user in.
    let tokens = login(&p, &app_id, &first_secret, "somchai1", "openid profile").await;
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let r = client()
        .get(format!("{}/userinfo", p.url))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // Rotate its secret: the old one is refused at /token.
    let (s, _, rotated) = api(
        &p,
        Method::POST,
        &format!("/admin/api/v1/clients/{app_id}/secret"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(s, 200, "{rotated}");
    let new_secret = rotated["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, first_secret);
    let refresh_form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
    ];
    let (s, body) = token(&p, &app_id, &first_secret, &refresh_form).await;
    assert_eq!((s, body["error"].as_str()), (401, Some("invalid_client")));
    let (s, body) = token(&p, &app_id, &new_secret, &refresh_form).await;
    assert_eq!(s, 200, "{body}");
    let at = body["access_token"].as_str().unwrap().to_owned();
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(introspect(&p, &bot, &bot_secret, &at).await["active"], true);

    // Disable it: its access token is inactive and refused, its refresh
    // token too, and it cannot start a sign-in.
    let (s, _, disabled) = api(
        &p,
        Method::POST,
        &format!("/admin/api/v1/clients/{app_id}/disable"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!((s, disabled["status"].as_str()), (200, Some("disabled")));
    assert_eq!(
        introspect(&p, &bot, &bot_secret, &at).await["active"],
        false
    );
    let r = client()
        .get(format!("{}/userinfo", p.url))
        .bearer_auth(&at)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let (s, _) = token(
        &p,
        &app_id,
        &new_secret,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(s, 401);
    let r = client()
        .get(authorize_url(&p, &app_id, "openid"))
        .send()
        .await
        .unwrap();
    assert!(!r.status().is_success() && !r.status().is_redirection());

    // The audit trail shows each step, with actor and request id.
    let (s, _, events) = api(
        &p,
        Method::GET,
        &format!("/admin/api/v1/audit?target=client:{app_id}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(s, 200, "{events}");
    let acts = actions(&events);
    for want in ["client.created", "client.secret_rotated", "client.disabled"] {
        assert!(acts.iter().any(|a| a == want), "{want} missing: {acts:?}");
    }
    for e in events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("client."))
    {
        assert_eq!(e["actor"], format!("client:{bot}"));
        assert_eq!(e["outcome"], "success");
        assert!(e["request_id"].as_str().is_some_and(|r| !r.is_empty()));
    }
    let (_, _, denied) = api(
        &p,
        Method::GET,
        &format!("/admin/api/v1/audit?action=admin.denied&actor=client:{other}"),
        Some(&admin),
        None,
    )
    .await;
    // Outcomes are one closed set across the trail; the problem code says
    // which refusal it was.
    assert_eq!(denied["events"][0]["outcome"], "forbidden");
    assert_eq!(denied["events"][0]["details"]["code"], "insufficient_scope");
    let (s, _, bad) = api(
        &p,
        Method::GET,
        "/admin/api/v1/audit?from=yesterday",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!((s, bad["field"].as_str()), (422, Some("from")));

    // People: an app that may ask for pratu:admin. A user without the
    // operator role does not get it; the operator does, until disabled.
    let (s, _, console) = api(
        &p,
        Method::POST,
        "/admin/api/v1/clients",
        Some(&admin),
        Some(json!({
            "client_name": "Ops portal",
            "redirect_uris": [CB],
            "scopes": ["openid", "pratu:admin"],
            "first_party": true,
        })),
    )
    .await;
    assert_eq!(s, 201, "{console}");
    let (cid, csecret) = (
        console["client_id"].as_str().unwrap().to_owned(),
        console["client_secret"].as_str().unwrap().to_owned(),
    );
    let t = login(&p, &cid, &csecret, "somchai1", "openid pratu:admin").await;
    assert_eq!(t["scope"], "openid");
    let citizen_at = t["access_token"].as_str().unwrap().to_owned();
    let (s, _, _) = api(
        &p,
        Method::GET,
        "/admin/api/v1/keys",
        Some(&citizen_at),
        None,
    )
    .await;
    assert_eq!(s, 403);
    let t = login(&p, &cid, &csecret, "opsadmin1", "openid pratu:admin").await;
    assert_eq!(t["scope"], "openid pratu:admin");
    let op_at = t["access_token"].as_str().unwrap().to_owned();
    let (s, _, users) = api(
        &p,
        Method::GET,
        "/admin/api/v1/users?username=som",
        Some(&op_at),
        None,
    )
    .await;
    assert_eq!(s, 200, "{users}");
    assert_eq!(users["users"][0]["username"], "somchai1");
    assert!(users["users"][0].get("password_hash").is_none());
    let (s, _, keys) = api(&p, Method::GET, "/admin/api/v1/keys", Some(&op_at), None).await;
    assert_eq!(s, 200);
    assert!(!keys["keys"].as_array().unwrap().is_empty());
    let (s, _, _) = api(
        &p,
        Method::POST,
        &format!("/admin/api/v1/users/{op_id}/disable"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(s, 200);
    let (s, _, _) = api(&p, Method::GET, "/admin/api/v1/keys", Some(&op_at), None).await;
    assert_eq!(s, 403, "a disabled operator is refused at once");

    // An expired token.
    let wait = exp_of(&early) + 2 - time_now();
    if wait > 0 {
        tokio::time::sleep(Duration::from_secs(wait.unsigned_abs())).await;
    }
    let (s, ch, _) = api(&p, Method::GET, "/admin/api/v1/keys", Some(&early), None).await;
    assert_eq!(s, 401);
    assert!(ch.unwrap().contains("invalid_token"));
}

#[expect(
    clippy::disallowed_methods,
    reason = "the test waits for the server's wall clock to pass a token's exp"
)]
fn time_now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

#[tokio::test]
async fn the_openapi_document_parses_and_lists_every_admin_route() {
    let p = Pratu::start().await;
    let r = p.get("/admin/api/openapi.json").send().await.unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    let spec = oas3::from_json(&text).expect("a valid OpenAPI 3.1 document");
    let paths = spec.paths.clone().unwrap_or_default();
    let mut listed = Vec::new();
    for (path, item) in &paths {
        for (method, op) in item.methods() {
            assert!(
                !op.security.is_empty(),
                "{method} {path} declares no security"
            );
            listed.push((method.as_str().to_lowercase(), path.clone()));
        }
    }
    for (method, path) in pratu_admin::api::ROUTES {
        assert!(
            listed.iter().any(|(m, p)| m == method && p == path),
            "{method} {path} is not in the OpenAPI document"
        );
    }
    // Every documented route is served (401 without a token, never 404/405).
    for (method, path) in &listed {
        let concrete = path
            .replace("{client_id}", "some-client")
            .replace("{user_id}", "00000000-0000-0000-0000-000000000000");
        let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let r = client()
            .request(m, format!("{}{concrete}", p.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{method} {path}");
    }
    assert_eq!(listed.len(), pratu_admin::api::ROUTES.len());
}

/// An operator bot's admin token, and a user signed in through a browser to
/// a first-party app that holds a refresh token: where the force-logout and
/// disable tests start.
struct SignedIn {
    uid: String,
    bot: String,
    admin: String,
    client_id: String,
    secret: String,
    browser: Browser,
    tokens: Value,
}

async fn signed_in_with_refresh(p: &Pratu, username: &str) -> SignedIn {
    let uid = user(p, username, false).await;
    let (bot, bot_secret) = service_client(p, "ops-bot", "pratu:admin").await;
    let admin = cc_token(p, &bot, &bot_secret, Some("pratu:admin")).await;
    let app = cli_ok(
        p,
        &[
            "client",
            "create",
            "--name",
            "App",
            "--redirect-uri",
            CB,
            "--grant-type",
            "authorization_code",
            "--grant-type",
            "refresh_token",
            "--first-party",
            "--json",
        ],
        None,
    )
    .await;
    let client_id = app["client_id"].as_str().unwrap().to_owned();
    let secret = app["client_secret"].as_str().unwrap().to_owned();
    let browser = Browser::new();
    let page = browser.get(&authorize_url(p, &client_id, "openid")).await;
    let back = browser.sign_in(page, &p.url, username, PASSWORD).await;
    let code = back.redirect_param("code").expect("a code");
    let (s, tokens) = token(
        p,
        &client_id,
        &secret,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
        ],
    )
    .await;
    assert_eq!(s, 200, "{tokens}");
    SignedIn {
        uid,
        bot,
        admin,
        client_id,
        secret,
        browser,
        tokens,
    }
}

#[tokio::test]
async fn force_logout_ends_the_sso_session_and_revokes_refresh_tokens() {
    use reqwest::Method;
    let p = Pratu::start().await;
    let SignedIn {
        uid,
        bot,
        admin,
        client_id,
        secret,
        browser: b,
        tokens,
    } = signed_in_with_refresh(&p, "somchai2").await;
    let (id, secret) = (client_id.as_str(), secret.as_str());
    // The SSO session answers a second authorization without a login page.
    let again = b.get(&authorize_url(&p, id, "openid")).await;
    let again = b.until_rp(again, &p.url).await;
    assert!(again.redirect_param("code").is_some(), "{}", again.body);

    let (s, _, out) = api(
        &p,
        Method::POST,
        &format!("/admin/api/v1/users/{uid}/logout"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(s, 200, "{out}");
    assert_eq!(out["refresh_tokens_revoked"], 1);

    // The session is over: the login page again; the refresh token is dead.
    let page = b.get(&authorize_url(&p, id, "openid")).await;
    let page = b.until_rp(page, &p.url).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(r#"autocomplete="current-password""#));
    let (s, body) = token(
        &p,
        id,
        secret,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_grant")));
    let (_, _, events) = api(
        &p,
        Method::GET,
        &format!("/admin/api/v1/audit?action=user.logged_out&target=user:{uid}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(events["events"][0]["actor"], format!("client:{bot}"));
}

/// Issue 15: disabling an account is one unit of work. Once the API
/// answers, the account is disabled, its refresh token is refused, its SSO
/// session is over and exactly one `user.disabled` event is recorded.
#[tokio::test]
async fn disabling_a_user_refuses_its_refresh_token_and_records_the_event() {
    use reqwest::Method;
    let p = Pratu::start().await;
    let SignedIn {
        uid,
        bot,
        admin,
        client_id,
        secret,
        browser: b,
        tokens,
    } = signed_in_with_refresh(&p, "somchai4").await;
    let (id, secret) = (client_id.as_str(), secret.as_str());
    let refresh = tokens["refresh_token"].as_str().unwrap();

    let (s, _, out) = api(
        &p,
        Method::POST,
        &format!("/admin/api/v1/users/{uid}/disable"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(
        (s, out["status"].as_str()),
        (200, Some("disabled")),
        "{out}"
    );
    assert_eq!(out["id"], uid);

    let (s, body) = token(
        &p,
        id,
        secret,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!((s, body["error"].as_str()), (400, Some("invalid_grant")));
    let page = b.get(&authorize_url(&p, id, "openid")).await;
    let page = b.until_rp(page, &p.url).await;
    assert!(page.redirect_param("code").is_none(), "the session is over");

    let (_, _, events) = api(
        &p,
        Method::GET,
        &format!("/admin/api/v1/audit?action=user.disabled&target=user:{uid}"),
        Some(&admin),
        None,
    )
    .await;
    let events = events["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["outcome"], "success");
    assert_eq!(events[0]["actor"], format!("client:{bot}"));

    // An unknown account: 404 as before, recorded as a failure.
    let nobody = "00000000-0000-4000-8000-000000000000";
    let (s, _, out) = api(
        &p,
        Method::POST,
        &format!("/admin/api/v1/users/{nobody}/disable"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!((s, out["code"].as_str()), (404, Some("not_found")), "{out}");
    let (_, _, events) = api(
        &p,
        Method::GET,
        &format!("/admin/api/v1/audit?action=user.disabled&target=user:{nobody}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(events["events"][0]["outcome"], "failure", "{events}");
    assert_eq!(
        events["events"][0]["details"]["code"], "not_found",
        "{events}"
    );
}

/// PDPA: a remembered consent can be withdrawn. After the operator revokes
/// it, the next sign-in to that app asks for consent again, and the
/// withdrawal is in the audit trail.
#[tokio::test]
async fn an_operator_revokes_a_remembered_consent() {
    use reqwest::Method;
    let p = Pratu::start().await;
    let uid = user(&p, "somchai3", false).await;
    let (bot, bot_secret) = service_client(&p, "ops-bot", "pratu:admin").await;
    let admin = cc_token(&p, &bot, &bot_secret, Some("pratu:admin")).await;
    let app = cli_ok(
        &p,
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
    let id = app["client_id"].as_str().unwrap();

    // First sign-in: login and consent (answered by `sign_in`).
    let b = Browser::new();
    let page = b.get(&authorize_url(&p, id, "openid profile")).await;
    let back = b.sign_in(page, &p.url, "somchai3", PASSWORD).await;
    assert!(back.redirect_param("code").is_some());
    // Remembered: the next authorization goes straight back to the app.
    let again = b.get(&authorize_url(&p, id, "openid profile")).await;
    let again = b.until_rp(again, &p.url).await;
    assert!(again.redirect_param("code").is_some(), "{}", again.body);

    let path = format!("/admin/api/v1/users/{uid}/consents/{id}");
    let (s, _, out) = api(&p, Method::DELETE, &path, Some(&admin), None).await;
    assert_eq!((s, out["revoked"].as_bool()), (200, Some(true)), "{out}");
    let (s, _, out) = api(&p, Method::DELETE, &path, Some(&admin), None).await;
    assert_eq!((s, out["revoked"].as_bool()), (200, Some(false)), "{out}");

    // Asked again: the consent page, not a code.
    let page = b.get(&authorize_url(&p, id, "openid profile")).await;
    let page = b.until_rp(page, &p.url).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(r#"name="decision""#), "{}", page.body);

    let (_, _, events) = api(
        &p,
        Method::GET,
        &format!("/admin/api/v1/audit?action=consent.revoked&target=consent:{uid}:{id}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(
        events["events"][0]["actor"],
        format!("client:{bot}"),
        "{events}"
    );
    assert_eq!(events["events"][0]["outcome"], "success");
}

/// Polls `check` until it holds, for at most 5 s. A change announced
/// through Redis reaches the other node within milliseconds, not at once;
/// 5 s is far below the 300 s cache TTL these tests set, so a pass shows
/// the announcement arrived, not that the entry expired.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !check().await {
        assert!(std::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Two nodes on PostgreSQL + Redis with a long client cache: a client
/// disabled through the API on one node, or deleted with the CLI, is
/// refused by the other node as soon as the announcement arrives.
#[tokio::test]
async fn client_changes_reach_every_node_on_postgres_and_redis() {
    use reqwest::Method;

    use crate::services::{PgDb, RedisNs};
    let Some(pg) = PgDb::create().await else {
        return;
    };
    let Some(redis) = RedisNs::create() else {
        pg.drop_db().await;
        return;
    };
    let base = Options::default()
        .env("PRATU_DATABASE_URL", &pg.url)
        .env("PRATU_REDIS_URL", &redis.url)
        .env("PRATU_REDIS_PREFIX", &redis.prefix)
        .env("PRATU_CLIENTS__CACHE_TTL_SECONDS", "300");
    let a = Pratu::start_with(Options {
        envs: base.envs.clone(),
        data_dir: None,
    })
    .await;
    // One issuer for both nodes (as behind a load balancer), secrets shared.
    let b = Pratu::start_with(
        Options {
            envs: base.envs.clone(),
            data_dir: Some(a.data_dir.clone()),
        }
        .env("PRATU_ISSUER", &a.url),
    )
    .await;
    let cli_env: Vec<(&str, &str)> = base
        .envs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let cli = |args: Vec<&'static str>| {
        let dir = a.data_dir.clone();
        let env = cli_env.clone();
        async move { cli_json(&dir, &env, &args, None).await }
    };
    let bot = cli(vec![
        "client",
        "create",
        "--name",
        "ops-bot",
        "--scope",
        "pratu:admin",
        "--grant-type",
        "client_credentials",
        "--json",
    ])
    .await;
    let (bot, bot_secret) = (
        bot["client_id"].as_str().unwrap().to_owned(),
        bot["client_secret"].as_str().unwrap().to_owned(),
    );
    let admin = cc_token(&a, &bot, &bot_secret, Some("pratu:admin")).await;

    // A service app registered through node A, used through node B.
    let (s, _, app) = api(
        &a,
        Method::POST,
        "/admin/api/v1/clients",
        Some(&admin),
        Some(json!({
            "client_name": "Back office",
            "grant_types": ["client_credentials"],
            "scopes": ["phone"],
        })),
    )
    .await;
    assert_eq!(s, 201, "{app}");
    let (id, secret) = (
        app["client_id"].as_str().unwrap().to_owned(),
        app["client_secret"].as_str().unwrap().to_owned(),
    );
    let at = cc_token(&b, &id, &secret, Some("phone")).await;
    assert_eq!(introspect(&b, &bot, &bot_secret, &at).await["active"], true);

    let (s, _, _) = api(
        &a,
        Method::POST,
        &format!("/admin/api/v1/clients/{id}/disable"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(s, 200);
    eventually("node B still trusted its cached copy", || async {
        introspect(&b, &bot, &bot_secret, &at).await["active"] == false
    })
    .await;
    let (s, _) = token(&b, &id, &secret, &[("grant_type", "client_credentials")]).await;
    assert_eq!(s, 401);

    // The CLI, given the same Redis, reaches running nodes too.
    let other = cli(vec![
        "client",
        "create",
        "--name",
        "svc2",
        "--scope",
        "phone",
        "--grant-type",
        "client_credentials",
        "--json",
    ])
    .await;
    let (oid, osecret) = (
        other["client_id"].as_str().unwrap().to_owned(),
        other["client_secret"].as_str().unwrap().to_owned(),
    );
    cc_token(&b, &oid, &osecret, None).await;
    let out = run_cli(&a.data_dir, &cli_env, &["client", "delete", &oid], None).await;
    assert!(
        out.status.success(),
        "client delete failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    eventually("node B still knew the deleted client", || async {
        let (s, _) = token(&b, &oid, &osecret, &[("grant_type", "client_credentials")]).await;
        s == 401
    })
    .await;

    // The audit trail, read on node B, shows the change made on node A.
    let (_, _, events) = api(
        &b,
        Method::GET,
        &format!("/admin/api/v1/audit?action=client.disabled&target=client:{id}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(events["events"][0]["actor"], format!("client:{bot}"));
    drop(b);
    drop(a);
    pg.drop_db().await;
}
