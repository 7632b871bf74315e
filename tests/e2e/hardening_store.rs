//! Issue 16 (hardening), black-box: the ephemeral store cannot be flooded
//! into forgetting security state, withdrawing consent ends the app's
//! tokens, refresh families end at their absolute lifetime, and dynamic
//! registration refuses URIs that would make Pratu reach internal
//! addresses or share another party's pairwise subjects.

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{Options, Pratu, cli_json, client, run_cli};
use crate::protocol::claims;
use crate::sso::Browser;

const CB: &str = "http://127.0.0.1:9/cb";
const PASSWORD: &str = "Mango7Sticky";

async fn user(p: &Pratu, env: &[(&str, &str)], username: &str) -> String {
    let v = cli_json(
        &p.data_dir,
        env,
        &[
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
        ],
        Some(&format!("{PASSWORD}\n")),
    )
    .await;
    v["user_id"].as_str().unwrap().to_owned()
}

/// `pratu client create … --json`: (client_id, client_secret).
async fn app(p: &Pratu, env: &[(&str, &str)], extra: &[&str]) -> (String, String) {
    let mut args = vec![
        "client",
        "create",
        "--name",
        "INFO",
        "--redirect-uri",
        CB,
        "--json",
    ];
    args.extend_from_slice(extra);
    let v = cli_json(&p.data_dir, env, &args, None).await;
    (
        v["client_id"].as_str().unwrap().to_owned(),
        v["client_secret"].as_str().unwrap_or_default().to_owned(),
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

async fn introspect(p: &Pratu, id: &str, secret: &str, token: &str) -> Value {
    let r = client()
        .post(format!("{}/introspect", p.url))
        .basic_auth(id, Some(secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn authorize_url(p: &Pratu, client_id: &str, scope: &str) -> String {
    format!(
        "{}/authorize?response_type=code&client_id={client_id}&redirect_uri={}&scope={}&state=st&nonce=nn",
        p.url,
        url::form_urlencoded::byte_serialize(CB.as_bytes()).collect::<String>(),
        url::form_urlencoded::byte_serialize(scope.as_bytes()).collect::<String>(),
    )
}

/// An anonymous `GET /authorize` as if from `ip` (through a trusted proxy).
async fn authorize_from(url: &str, ip: &str) -> reqwest::Response {
    client()
        .get(url)
        .header("x-forwarded-for", ip)
        .send()
        .await
        .unwrap()
}

/// Signs `username` in to `client_id` (login and consent) and exchanges the
/// code: the token response.
async fn sign_in(p: &Pratu, client_id: &str, secret: &str, username: &str) -> Value {
    let b = Browser::new();
    let page = b.get(&authorize_url(p, client_id, "openid profile")).await;
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

async fn userinfo_status(p: &Pratu, access_token: &str) -> u16 {
    client()
        .get(format!("{}/userinfo", p.url))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Item 4: ~1000 anonymous authorization requests from as many addresses
/// used to fill the in-process store, which then evicted the least recently
/// used entries — revocations and lockouts among them. Now the flood is
/// refused (503, `Retry-After`) once pending requests fill their share, and
/// the revocation made before it still holds.
#[tokio::test]
async fn a_flood_of_authorization_requests_is_refused_and_revocations_survive_it() {
    let p = Pratu::start_with(
        Options::default()
            .env("PRATU_EPHEMERAL__MAX_ENTRIES", "1000")
            .env("PRATU_HTTP__TRUSTED_PROXIES", r#"["127.0.0.1"]"#),
    )
    .await;
    let (id, secret) = app(
        &p,
        &[],
        &[
            "--grant-type",
            "authorization_code",
            "--grant-type",
            "client_credentials",
            "--scope",
            "openid",
        ],
    )
    .await;
    let (status, body) = token(&p, &id, &secret, &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, 200, "{body}");
    let revoked = body["access_token"].as_str().unwrap().to_owned();
    let r = client()
        .post(format!("{}/revoke", p.url))
        .basic_auth(&id, Some(&secret))
        .form(&[("token", revoked.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        introspect(&p, &id, &secret, &revoked).await["active"],
        false
    );

    let url = authorize_url(&p, &id, "openid");
    let mut refused = None;
    for i in 0..3000u32 {
        let ip = format!("10.{}.{}.{}", i >> 16, (i >> 8) & 0xff, i & 0xff);
        let r = authorize_from(&url, &ip).await;
        match r.status().as_u16() {
            200 => {}
            503 => {
                refused = Some((i, r));
                break;
            }
            other => panic!("request {i}: {other}: {}", r.text().await.unwrap()),
        }
    }
    let (count, r) = refused.expect("a full store refuses new pending requests (503)");
    assert!(count >= 100, "refused after only {count} requests");
    assert!(r.headers().contains_key("retry-after"));
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "the friendly error page"
    );

    assert_eq!(
        introspect(&p, &id, &secret, &revoked).await["active"],
        false,
        "the revocation survived the flood"
    );
    // Security writes still find room: a token issued now can be revoked.
    let (status, body) = token(&p, &id, &secret, &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, 200, "{body}");
    let fresh = body["access_token"].as_str().unwrap();
    let r = client()
        .post(format!("{}/revoke", p.url))
        .basic_auth(&id, Some(&secret))
        .form(&[("token", fresh)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(introspect(&p, &id, &secret, fresh).await["active"], false);
    assert!(
        p.log().contains("ephemeral store full"),
        "the refusal is logged"
    );
}

/// Item 4: one address gets `limits.authorize.pending_per_ip` authorization
/// requests per 30 minutes (429 after); another address is not affected.
#[tokio::test]
async fn one_address_is_limited_in_pending_authorization_requests() {
    let p = Pratu::start_with(
        Options::default()
            .env("PRATU_LIMITS__AUTHORIZE__PENDING_PER_IP", "5")
            .env("PRATU_HTTP__TRUSTED_PROXIES", r#"["127.0.0.1"]"#),
    )
    .await;
    let (id, _) = app(&p, &[], &[]).await;
    let url = authorize_url(&p, &id, "openid");
    for i in 0..5 {
        let r = authorize_from(&url, "203.0.113.7").await;
        assert_eq!(r.status(), 200, "request {i}");
    }
    let r = authorize_from(&url, "203.0.113.7").await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    // IPv6 counts by /64: another address in the same /64 shares the limit.
    for i in 0..5 {
        let r = authorize_from(&url, &format!("2001:db8:7:7::{i}")).await;
        assert_eq!(r.status(), 200, "v6 request {i}");
    }
    let r = authorize_from(&url, "2001:db8:7:7:ffff::1").await;
    assert_eq!(r.status(), 429, "same /64");
    let r = authorize_from(&url, "203.0.113.8").await;
    assert_eq!(r.status(), 200, "another address");
}

/// Item 6: withdrawing consent (admin API) ends the app's refresh family
/// and the access tokens it already holds for the user.
#[tokio::test]
async fn withdrawing_consent_ends_the_apps_refresh_and_access_tokens() {
    let p = Pratu::start().await;
    withdrawal(&p, &[]).await;
}

/// The same on PostgreSQL and Redis (when the test services are set).
#[tokio::test]
async fn withdrawing_consent_ends_the_apps_tokens_on_postgres_and_redis() {
    use crate::services::{PgDb, RedisNs};
    let Some(db) = PgDb::create().await else {
        return;
    };
    let Some(redis) = RedisNs::create() else {
        db.drop_db().await;
        return;
    };
    let env = [
        ("PRATU_DATABASE_URL", db.url.as_str()),
        ("PRATU_REDIS_URL", redis.url.as_str()),
        ("PRATU_REDIS_PREFIX", redis.prefix.as_str()),
    ];
    let p = Pratu::start_with(env.iter().fold(Options::default(), |o, (k, v)| o.env(k, v))).await;
    withdrawal(&p, &env).await;
    drop(p);
    db.drop_db().await;
}

async fn withdrawal(p: &Pratu, env: &[(&str, &str)]) {
    use reqwest::Method;
    let uid = user(p, env, "somchai").await;
    let (bot, bot_secret) = {
        let v = cli_json(
            &p.data_dir,
            env,
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
        (
            v["client_id"].as_str().unwrap().to_owned(),
            v["client_secret"].as_str().unwrap().to_owned(),
        )
    };
    let (status, admin) = token(
        p,
        &bot,
        &bot_secret,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "pratu:admin"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{admin}");
    let admin = admin["access_token"].as_str().unwrap().to_owned();
    let (id, secret) = app(
        p,
        env,
        &[
            "--grant-type",
            "authorization_code",
            "--grant-type",
            "refresh_token",
        ],
    )
    .await;
    // Another app of the same user keeps its tokens.
    let (other, other_secret) = app(
        p,
        env,
        &[
            "--grant-type",
            "authorization_code",
            "--grant-type",
            "refresh_token",
        ],
    )
    .await;

    let tokens = sign_in(p, &id, &secret, "somchai").await;
    let kept = sign_in(p, &other, &other_secret, "somchai").await;
    let at = tokens["access_token"].as_str().unwrap();
    assert_eq!(userinfo_status(p, at).await, 200);
    assert_eq!(introspect(p, &id, &secret, at).await["active"], true);

    let r = client()
        .request(
            Method::DELETE,
            format!("{}/admin/api/v1/users/{uid}/consents/{id}", p.url),
        )
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let (status, body) = token(
        p,
        &id,
        &secret,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(userinfo_status(p, at).await, 401, "the access token ended");
    assert_eq!(introspect(p, &id, &secret, at).await["active"], false);

    let kept_at = kept["access_token"].as_str().unwrap();
    assert_eq!(
        userinfo_status(p, kept_at).await,
        200,
        "other app unaffected"
    );
    let (status, body) = token(
        p,
        &other,
        &other_secret,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", kept["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

/// Item 6: a family refreshed well within its idle lifetime still ends at
/// `tokens.refresh_absolute_lifetime_seconds` after the sign-in.
#[tokio::test]
async fn a_refresh_family_ends_at_its_absolute_lifetime() {
    const ABSOLUTE: i64 = 5;
    let p = Pratu::start_with(Options::default().env(
        "PRATU_TOKENS__REFRESH_ABSOLUTE_LIFETIME_SECONDS",
        &ABSOLUTE.to_string(),
    ))
    .await;
    user(&p, &[], "somchai").await;
    let (id, secret) = app(
        &p,
        &[],
        &[
            "--grant-type",
            "authorization_code",
            "--grant-type",
            "refresh_token",
            "--first-party",
        ],
    )
    .await;
    let tokens = sign_in(&p, &id, &secret, "somchai").await;
    let auth_time = claims(tokens["id_token"].as_str().unwrap())["auth_time"]
        .as_i64()
        .unwrap();
    let refresh = |rt: String| {
        let (p, id, secret) = (&p, &id, &secret);
        async move {
            token(
                p,
                id,
                secret,
                &[("grant_type", "refresh_token"), ("refresh_token", &rt)],
            )
            .await
        }
    };
    let (status, body) = refresh(tokens["refresh_token"].as_str().unwrap().to_owned()).await;
    assert_eq!(status, 200, "within the absolute lifetime: {body}");
    let next = body["refresh_token"].as_str().unwrap().to_owned();

    // Wait until the absolute lifetime has passed by the server's clock
    // (its answer's `iat`); the idle lifetime (30 days) has not.
    let now = claims(body["access_token"].as_str().unwrap())["iat"]
        .as_i64()
        .unwrap();
    let wait = auth_time + ABSOLUTE + 1 - now;
    if wait > 0 {
        tokio::time::sleep(Duration::from_secs(u64::try_from(wait).unwrap())).await;
    }
    let (status, body) = refresh(next).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
}

async fn registration_token(p: &Pratu) -> String {
    let out = run_cli(
        &p.data_dir,
        &[],
        &["client", "registration-token", "--expires-in", "600"],
        None,
    )
    .await;
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

async fn register(p: &Pratu, initial: &str, body: &Value) -> (u16, Value) {
    let r = client()
        .post(format!("{}/connect/register", p.url))
        .bearer_auth(initial)
        .json(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// Item 10: a registrant cannot make Pratu POST its logout tokens to
/// loopback, cloud metadata or private addresses.
#[tokio::test]
async fn registration_refuses_back_channel_uris_on_internal_addresses() {
    let p =
        Pratu::start_with(Options::default().env("PRATU_CLIENTS__DYNAMIC_REGISTRATION", "true"))
            .await;
    let initial = registration_token(&p).await;
    let port = p.url.rsplit(':').next().unwrap().to_owned();
    for uri in [
        format!("http://127.0.0.1:{port}/admin/api/v1/users"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.1/logout".to_owned(),
        "http://[::1]/logout".to_owned(),
        "http://localhost/logout".to_owned(),
        "https://100.64.0.1/logout".to_owned(),
    ] {
        let (status, body) = register(
            &p,
            &initial,
            &json!({
                "redirect_uris": ["https://rp.example/cb"],
                "backchannel_logout_uri": uri,
            }),
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_client_metadata")),
            "{uri}: {body}"
        );
        let description = body["error_description"].as_str().unwrap();
        assert!(
            description.contains("backchannel_logout_uri") && description.contains("address"),
            "{uri}: {description}"
        );
    }
    // A refused request did not use the token up: a client without such a
    // URI registers with it.
    let (status, body) = register(
        &p,
        &initial,
        &json!({ "redirect_uris": ["https://rp.example/cb"] }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
}

/// Item 10: a sector identifier on another party's host (whose pairwise
/// `sub` values it would share) is refused; the client's own host is
/// accepted.
#[tokio::test]
async fn registration_refuses_a_sector_identifier_on_another_host() {
    let p =
        Pratu::start_with(Options::default().env("PRATU_CLIENTS__DYNAMIC_REGISTRATION", "true"))
            .await;
    let initial = registration_token(&p).await;
    let (status, body) = register(
        &p,
        &initial,
        &json!({
            "redirect_uris": ["https://evil.example/cb"],
            "subject_type": "pairwise",
            "sector_identifier_uri": "https://info.example.go.th/sector.json",
        }),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_client_metadata")),
        "{body}"
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("sector_identifier_uri"),
        "{body}"
    );

    let (status, body) = register(
        &p,
        &initial,
        &json!({
            "redirect_uris": ["https://info.example.go.th/cb"],
            "subject_type": "pairwise",
            "sector_identifier_uri": "https://info.example.go.th/sector.json",
        }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["sector_identifier_uri"],
        "https://info.example.go.th/sector.json"
    );
}
