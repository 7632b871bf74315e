//! Issue 6, black-box: two `pratu serve` nodes behind a load balancer share
//! one PostgreSQL database and one Redis, with the same issuer and the same
//! secrets. Whatever one node does — sign in, log out, revoke, rotate keys —
//! the other honours, so a load balancer needs no sticky sessions.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use base64::Engine as _;
use openidconnect::core::{CoreAuthPrompt, CoreAuthenticationFlow, CoreJwsSigningAlgorithm};
use openidconnect::{
    AuthorizationCode, CsrfToken, Nonce, OAuth2TokenResponse, PkceCodeChallenge, Scope,
    TokenResponse,
};
use serde_json::Value;
use sqlx::Connection as _;

use crate::harness::{Options, Pratu, cli_json, client, run_cli, wait_ready};
use crate::services::{PgDb, RedisNs};
use crate::sso::{Browser, relying_party_at};

const CB: &str = "http://127.0.0.1:9/info/callback";

/// A layer-7 load balancer in the test: every request goes to the node
/// chosen last (`route`), whatever connection it arrives on, and is noted
/// with that node's name so the test can prove where it was served.
pub(crate) struct Balancer {
    pub(crate) url: String,
    target: Arc<Mutex<(&'static str, String)>>,
    served: Arc<Mutex<Vec<(&'static str, String)>>>,
}

#[derive(Clone)]
struct Upstream {
    target: Arc<Mutex<(&'static str, String)>>,
    served: Arc<Mutex<Vec<(&'static str, String)>>>,
    http: reqwest::Client,
}

/// Headers that describe one hop, not the message (RFC 9110 §7.6.1), plus
/// the length, which the body sets again.
const HOP: [&str; 6] = [
    "connection",
    "keep-alive",
    "transfer-encoding",
    "upgrade",
    "proxy-connection",
    "content-length",
];

async fn forward(State(up): State<Upstream>, req: Request) -> Response {
    let (name, base) = up.target.lock().unwrap().clone();
    let (parts, body) = req.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    up.served
        .lock()
        .unwrap()
        .push((name, format!("{} {}", parts.method, parts.uri.path())));
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let mut headers = parts.headers;
    for h in HOP {
        headers.remove(h);
    }
    headers.insert("x-forwarded-for", "127.0.0.1".parse().unwrap());
    headers.insert("x-forwarded-proto", "http".parse().unwrap());
    let res = up
        .http
        .request(parts.method, format!("{base}{path}"))
        .headers(headers)
        .body(body)
        .send()
        .await
        .unwrap();
    let mut out = Response::builder().status(res.status());
    for (k, v) in res.headers() {
        if !HOP.contains(&k.as_str()) {
            out = out.header(k, v);
        }
    }
    out.body(Body::from(res.bytes().await.unwrap())).unwrap()
}

impl Balancer {
    pub(crate) async fn start() -> Self {
        let target = Arc::new(Mutex::new(("none", String::new())));
        let served = Arc::new(Mutex::new(Vec::new()));
        let up = Upstream {
            target: target.clone(),
            served: served.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
        };
        let app = axum::Router::new().fallback(forward).with_state(up);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            url,
            target,
            served,
        }
    }

    pub(crate) fn route(&self, name: &'static str, node: &Pratu) {
        *self.target.lock().unwrap() = (name, node.url.clone());
    }

    /// Which node served requests whose `METHOD /path` starts with `prefix`.
    pub(crate) fn served_by(&self, prefix: &str) -> Vec<&'static str> {
        self.served
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, r)| r.starts_with(prefix))
            .map(|(n, _)| *n)
            .collect()
    }
}

/// Four fresh 32-byte keys, the same on every node (as a deployment's secret
/// store would hand them out).
fn shared_secrets() -> Vec<(String, String)> {
    ["PII_KEY", "INDEX_KEY", "KEY_ENCRYPTION_KEY", "SERVER_KEY"]
        .iter()
        .map(|name| {
            let mut key = uuid::Uuid::new_v4().as_bytes().to_vec();
            key.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
            (
                format!("PRATU_SECRETS__{name}"),
                base64::engine::general_purpose::STANDARD.encode(key),
            )
        })
        .collect()
}

/// The environment of every node of a cluster behind `lb`: one database,
/// one Redis, one public name (the balancer's), the same secrets, and keys
/// reloaded each second.
pub(crate) fn cluster_envs(pg: &PgDb, redis: &RedisNs, lb: &Balancer) -> Vec<(String, String)> {
    let mut envs = vec![
        ("PRATU_DATABASE_URL".to_owned(), pg.url.clone()),
        ("PRATU_REDIS_URL".to_owned(), redis.url.clone()),
        ("PRATU_REDIS_PREFIX".to_owned(), redis.prefix.clone()),
        ("PRATU_ISSUER".to_owned(), lb.url.clone()),
        (
            "PRATU_SECRETS__GENERATE_MISSING".to_owned(),
            "false".to_owned(),
        ),
        (
            "PRATU_KEYS__RELOAD_INTERVAL_SECONDS".to_owned(),
            "1".to_owned(),
        ),
        (
            "PRATU_HTTP__TRUSTED_PROXIES".to_owned(),
            r#"["127.0.0.1"]"#.to_owned(),
        ),
    ];
    envs.extend(shared_secrets());
    envs
}

fn claims(jwt: &str) -> Value {
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(jwt.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap()
}

async fn cli(node: &Pratu, envs: &[(String, String)], args: &[&str], stdin: Option<&str>) -> Value {
    let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let out = run_cli(&node.data_dir, &envs, args, stdin).await;
    assert!(
        out.status.success(),
        "pratu {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
}

async fn jwks_kids(node: &Pratu) -> Vec<String> {
    let v: Value = node
        .get("/jwks")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn two_nodes_behind_a_load_balancer_share_sessions_tokens_and_keys() {
    let Some(pg) = PgDb::create().await else {
        return;
    };
    let Some(redis) = RedisNs::create() else {
        pg.drop_db().await;
        return;
    };
    let lb = Balancer::start().await;
    let envs = cluster_envs(&pg, &redis, &lb);
    let options = || {
        envs.iter()
            .fold(Options::default(), |o, (k, v)| o.env(k, v))
    };

    // Both nodes start at the same moment on the empty database.
    let (a, b) = tokio::join!(Pratu::start_with(options()), Pratu::start_with(options()));
    assert_eq!(wait_ready(&a, 200).await, 200, "node A ready:\n{}", a.log());
    assert_eq!(wait_ready(&b, 200).await, 200, "node B ready:\n{}", b.log());
    let mut db = sqlx::PgConnection::connect(&pg.url).await.unwrap();
    let applied: Vec<(i64, bool)> =
        sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut db)
            .await
            .unwrap();
    let shipped = std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../storage/migrations/postgres"
    ))
    .unwrap()
    .filter(|e| {
        e.as_ref()
            .unwrap()
            .path()
            .extension()
            .is_some_and(|x| x == "sql")
    })
    .count();
    assert_eq!(
        applied.len(),
        shipped,
        "each migration applied once: {applied:?}"
    );
    assert!(applied.iter().all(|(_, ok)| *ok), "{applied:?}");
    for node in [&a, &b] {
        assert!(
            node.log().contains("database schema is up to date"),
            "{}",
            node.log()
        );
    }
    // Two nodes creating the first keys at once must not leave two signing
    // keys per algorithm (a node would sign with a key the other does not
    // publish yet).
    let live: Vec<(String, i64)> = sqlx::query_as(
        "SELECT alg, count(*) FROM signing_keys WHERE retires_at IS NULL OR retires_at > now() \
         GROUP BY alg ORDER BY alg",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    assert!(
        live.iter().all(|(_, n)| *n == 1),
        "one live key per algorithm after a simultaneous first start: {live:?}"
    );

    // An account and an agency app, made with the CLI against the shared
    // database.
    cli(
        &a,
        &envs,
        &[
            "user",
            "create",
            "--username",
            "staff1",
            "--given-name",
            "Somsri",
            "--family-name",
            "Dee",
            "--password-stdin",
        ],
        Some("Mango7Sticky\n"),
    )
    .await;
    let app = cli(
        &a,
        &envs,
        &[
            "client",
            "create",
            "--name",
            "INFO",
            "--redirect-uri",
            CB,
            "--post-logout-redirect-uri",
            CB,
            "--grant-type",
            "authorization_code",
            "--grant-type",
            "refresh_token",
            "--scope",
            "openid",
            "--scope",
            "profile",
            "--first-party",
            "--json",
        ],
        None,
    )
    .await;
    let client_id = app["client_id"].as_str().unwrap().to_owned();
    let secret = app["client_secret"].as_str().unwrap().to_owned();

    // Sign in through node A.
    lb.route("A", &a);
    let rp = relying_party_at(&lb.url, &app, CB).await;
    let browser = Browser::new();
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = rp
        .client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    let page = browser.get(url.as_str()).await;
    let back = browser
        .sign_in(page, &lb.url, "staff1", "Mango7Sticky")
        .await;
    assert_eq!(
        back.redirect_param("state").as_deref(),
        Some(csrf.secret().as_str())
    );
    let code = back
        .redirect_param("code")
        .unwrap_or_else(|| panic!("no code: {} {:?} {}", back.status, back.location, back.body));
    assert_eq!(lb.served_by("POST /login"), ["A"], "signed in on A");

    // Code exchange and refresh through node B.
    lb.route("B", &b);
    let tokens = rp
        .client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&rp.http)
        .await
        .unwrap();
    let id_token = tokens.id_token().unwrap();
    let id_claims = id_token
        .claims(
            &rp.client
                .id_token_verifier()
                .set_allowed_algs(vec![CoreJwsSigningAlgorithm::EcdsaP256Sha256]),
            &nonce,
        )
        .unwrap();
    assert_eq!(id_claims.issuer().as_str(), lb.url, "the shared issuer");
    let refreshed = rp
        .client
        .exchange_refresh_token(tokens.refresh_token().unwrap())
        .unwrap()
        .request_async(&rp.http)
        .await
        .unwrap();
    assert_eq!(
        lb.served_by("POST /token"),
        ["B", "B"],
        "code and refresh on B"
    );

    // Revoked on A, inactive at B's introspection; a refresh token revoked on
    // A no longer refreshes on B.
    let access = refreshed.access_token().secret().clone();
    let refresh = refreshed.refresh_token().unwrap().secret().clone();
    let introspect_b = |token: String| {
        let (b_url, id, secret) = (b.url.clone(), client_id.clone(), secret.clone());
        async move {
            client()
                .post(format!("{b_url}/introspect"))
                .basic_auth(id, Some(secret))
                .form(&[("token", token)])
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(introspect_b(access.clone()).await["active"], true);
    for token in [&access, &refresh] {
        let r = client()
            .post(format!("{}/revoke", a.url))
            .basic_auth(&client_id, Some(&secret))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    assert_eq!(
        introspect_b(access.clone()).await["active"],
        false,
        "an access token revoked on A is inactive on B"
    );
    assert_eq!(introspect_b(refresh.clone()).await["active"], false);
    let r = client()
        .post(format!("{}/token", b.url))
        .basic_auth(&client_id, Some(&secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        400,
        "a refresh token revoked on A does not refresh on B"
    );

    // Still signed in on A: prompt=none answers with a code.
    lb.route("A", &a);
    let prompt_none = || {
        rp.client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_prompt(CoreAuthPrompt::None)
            .set_pkce_challenge(PkceCodeChallenge::new_random_sha256().0)
            .url()
            .0
    };
    let page = browser
        .until_rp(browser.get(prompt_none().as_str()).await, &lb.url)
        .await;
    assert!(
        page.redirect_param("code").is_some(),
        "the SSO session lives on A: {:?}",
        page.location
    );

    // RP-initiated logout through B ends the session A sees.
    lb.route("B", &b);
    let after = browser.rp_logout(&lb.url, &id_token.to_string(), CB).await;
    assert!(
        after
            .location
            .as_deref()
            .unwrap_or_default()
            .starts_with(CB),
        "{} {:?} {}",
        after.status,
        after.location,
        after.body
    );
    assert!(lb.served_by("GET /logout").iter().all(|n| *n == "B"));
    lb.route("A", &a);
    let page = browser
        .until_rp(browser.get(prompt_none().as_str()).await, &lb.url)
        .await;
    assert_eq!(
        page.redirect_param("error").as_deref(),
        Some("login_required"),
        "logged out on B, so no session on A: {:?}",
        page.location
    );

    // A key rotated through node A's configuration (the CLI, against the
    // shared database) is published by node B after its next reload.
    let before = jwks_kids(&b).await;
    let sid = claims(&id_token.to_string())["sid"].clone();
    assert!(sid.is_string(), "the ID token names its session");
    cli_json(
        &a.data_dir,
        &envs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        &["keys", "rotate"],
        None,
    )
    .await;
    let listed = cli(&a, &envs, &["keys", "list", "--json"], None).await;
    let pending: Vec<String> = listed["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["state"] == "pending")
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    assert!(!pending.is_empty(), "rotation publishes new keys: {listed}");
    let mut published = Vec::new();
    for _ in 0..100 {
        published = jwks_kids(&b).await;
        if pending.iter().all(|k| published.contains(k)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        pending.iter().all(|k| published.contains(k)),
        "B publishes the keys rotated in through A: {pending:?} not all in {published:?}"
    );
    assert!(
        before.iter().all(|k| published.contains(k)),
        "the old keys stay published while their tokens live"
    );

    for node in [&a, &b] {
        assert!(
            !node.log().contains("Mango7Sticky"),
            "a password in the log"
        );
    }
    drop((a, b));
    db.close().await.unwrap();
    pg.drop_db().await;
}
