//! Issue 17, black-box: the citizen's own account API `/api/v1/account…`
//! against the real binary, signed in through Pratu as the built-in public
//! client `pratu-account` (code + PKCE over HTTP), beside an agency app:
//! every call, the refusals (no token, an agency token asking for
//! `account`, a wrong current password, a weak new one), the tokens each
//! change ends (password change, withdrawal, sign-out everywhere,
//! deletion), deletion then re-enrollment with the same citizen ID. On
//! SQLite with the in-process store, and on PostgreSQL with Redis.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde_json::{Value, json};

use crate::enrollment::{enroll, read_otp, somchai, write_registry};
use crate::harness::{Options, Pratu, cli_json, client};
use crate::services::{PgDb, RedisNs, Relay, socket_of, via};
use crate::sso::{Browser, Page};

pub(crate) const USER: &str = "somchai87";
pub(crate) const PASSWORD: &str = "Khaosan7Lamp";
const NEW_PASSWORD: &str = "Mango7Sticky";
const PHONE: &str = "0812345678";
const E164: &str = "+66812345678";
const NEW_E164: &str = "+66898765432";
pub(crate) const AGENCY_CB: &str = "http://127.0.0.1:9/info/callback";

#[derive(Clone, Copy)]
pub(crate) enum Backend {
    Sqlite,
    PostgresRedis,
    /// PostgreSQL and Redis each behind a [`Relay`], so a test can take
    /// either down.
    Relayed,
}

/// A server with the citizen somchai enrolled (somsri is in the registry,
/// not enrolled) and an agency app that may refresh.
pub(crate) struct Setup {
    pub(crate) p: Pratu,
    pg: Option<PgDb>,
    pub(crate) pg_relay: Option<Relay>,
    pub(crate) redis_relay: Option<Relay>,
    /// What the CLI needs to reach the same stores.
    pub(crate) envs: Vec<(String, String)>,
    pub(crate) agency_id: String,
    pub(crate) agency_secret: String,
    _tmp: tempfile::TempDir,
}

impl Setup {
    pub(crate) async fn start(backend: Backend) -> Option<Self> {
        Self::start_with(backend, &[]).await
    }

    /// [`Self::start`] with more environment (configuration) for the server.
    pub(crate) async fn start_with(backend: Backend, extra: &[(&str, &str)]) -> Option<Self> {
        let tmp = tempfile::tempdir().unwrap();
        let registry = write_registry(tmp.path(), &[somchai(), crate::recovery::somsri()]);
        let mut envs: Vec<(String, String)> = vec![(
            "PRATU_PROOFING__REGISTRY_FILE".into(),
            registry.to_str().unwrap().into(),
        )];
        envs.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let mut pg = None;
        let (mut pg_relay, mut redis_relay) = (None, None);
        if let Backend::PostgresRedis | Backend::Relayed = backend {
            let db = PgDb::create().await?;
            let redis = RedisNs::create()?;
            let (url, redis_url) = if let Backend::Relayed = backend {
                let pg = Relay::start(socket_of(&db.url)).await;
                let rd = Relay::start(socket_of(&redis.url)).await;
                let urls = (via(&db.url, pg.addr), via(&redis.url, rd.addr));
                (pg_relay, redis_relay) = (Some(pg), Some(rd));
                envs.push(("PRATU_DATABASE__ACQUIRE_TIMEOUT_SECONDS".into(), "1".into()));
                urls
            } else {
                (db.url.clone(), redis.url.clone())
            };
            envs.push(("PRATU_DATABASE_URL".into(), url));
            envs.push(("PRATU_REDIS_URL".into(), redis_url));
            envs.push(("PRATU_REDIS_PREFIX".into(), redis.prefix.clone()));
            pg = Some(db);
        }
        let options = envs
            .iter()
            .fold(Options::default(), |o, (k, v)| o.env(k, v));
        let p = Pratu::start_with(options).await;
        enroll(&p, &somchai(), USER, PASSWORD, PHONE).await;
        let cli_env: Vec<(&str, &str)> =
            envs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        // An agency app registered with `account` among its scopes: it is
        // still never granted it.
        let view: Value = cli_json(
            &p.data_dir,
            &cli_env,
            &[
                "client",
                "create",
                "--name",
                "INFO",
                "--redirect-uri",
                AGENCY_CB,
                "--grant-type",
                "authorization_code",
                "--grant-type",
                "refresh_token",
                "--scope",
                "openid",
                "--scope",
                "profile",
                "--scope",
                "account",
                "--json",
            ],
            None,
        )
        .await;
        Some(Self {
            p,
            pg,
            pg_relay,
            redis_relay,
            envs,
            agency_id: view["client_id"].as_str().unwrap().to_owned(),
            agency_secret: view["client_secret"].as_str().unwrap().to_owned(),
            _tmp: tmp,
        })
    }

    pub(crate) async fn finish(self) {
        drop(self.p);
        if let Some(db) = self.pg {
            db.drop_db().await;
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.p.url)
    }

    fn portal_cb(&self) -> String {
        self.url("/account/callback")
    }

    /// Drives a browser from an authorization request to the redirect to
    /// `callback`: signs in if asked, allows consent if asked. `None` when
    /// the sign-in is refused (the login page comes back).
    async fn authorize(
        &self,
        b: &Browser,
        url: &str,
        callback: &str,
        password: &str,
    ) -> Option<String> {
        crate::leaks::watch("password", password);
        let mut page = b.get(url).await;
        let mut logins = 0;
        for _ in 0..20 {
            if let Some(loc) = page.location.clone() {
                if loc.starts_with(callback) {
                    return Some(param(&loc, "code").expect("a code"));
                }
                let next = if loc.starts_with('/') {
                    self.url(&loc)
                } else {
                    loc
                };
                page = b.get(&next).await;
                continue;
            }
            assert_eq!(page.status, 200, "{}", page.body);
            if page.body.contains(r#"autocomplete="current-password""#) {
                if logins == 1 {
                    return None;
                }
                logins += 1;
                page = self
                    .post_form(b, &page, &[("username", USER), ("password", password)])
                    .await;
            } else if page.body.contains(r#"name="decision""#) {
                page = self.post_form(b, &page, &[("decision", "allow")]).await;
            } else {
                panic!("unexpected page: {}", page.body);
            }
        }
        panic!("the authorization did not finish");
    }

    async fn post_form(&self, b: &Browser, page: &Page, extra: &[(&str, &str)]) -> Page {
        let action = page.form_action();
        let action = if action.starts_with('/') {
            self.url(&action)
        } else {
            action
        };
        let (req, csrf) = (page.input("req"), page.input("csrf"));
        let mut form = vec![("req", req.as_str()), ("csrf", csrf.as_str())];
        form.extend_from_slice(extra);
        b.post(&action, &form).await
    }

    /// An access token of the account app (scope `account`), signing in
    /// with `password` unless the browser's SSO session still stands.
    pub(crate) async fn account_token(&self, b: &Browser, password: &str) -> Option<String> {
        let (verifier, challenge) = pkce();
        let cb = self.portal_cb();
        let url = self.url(&format!(
            "/authorize?response_type=code&client_id=pratu-account&redirect_uri={}\
             &scope=openid%20account&state=st&nonce=nn&code_challenge={challenge}\
             &code_challenge_method=S256",
            enc(&cb)
        ));
        let code = self.authorize(b, &url, &cb, password).await?;
        let r = client()
            .post(self.url("/token"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", cb.as_str()),
                ("client_id", "pratu-account"),
                ("code_verifier", verifier.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let t: Value = r.json().await.unwrap();
        if let Some(scope) = t["scope"].as_str() {
            assert!(scope.split(' ').any(|s| s == "account"), "{t}");
        }
        let access = t["access_token"].as_str().unwrap().to_owned();
        crate::leaks::watch("access token", &access);
        Some(access)
    }

    /// An authorization request of the agency app (scopes `openid profile
    /// account`, code + PKCE) with `extra` appended to its query, and its
    /// PKCE verifier.
    pub(crate) fn agency_request(&self, extra: &str) -> (String, String) {
        let (verifier, challenge) = pkce();
        let url = self.url(&format!(
            "/authorize?response_type=code&client_id={}&redirect_uri={}\
             &scope=openid%20profile%20account&state=st&nonce=nn&code_challenge={challenge}\
             &code_challenge_method=S256{extra}",
            self.agency_id,
            enc(AGENCY_CB)
        ));
        (url, verifier)
    }

    /// The agency app's token response for `code`.
    pub(crate) async fn agency_exchange(&self, code: &str, verifier: &str) -> Value {
        let r = client()
            .post(self.url("/token"))
            .basic_auth(&self.agency_id, Some(&self.agency_secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", AGENCY_CB),
                ("code_verifier", verifier),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    /// Access and refresh token of the agency app, which asks for
    /// `account` too.
    pub(crate) async fn agency_tokens(
        &self,
        b: &Browser,
        password: &str,
    ) -> (String, String, Value) {
        let (url, verifier) = self.agency_request("");
        let code = self
            .authorize(b, &url, AGENCY_CB, password)
            .await
            .expect("signed in");
        let t = self.agency_exchange(&code, &verifier).await;
        let access = t["access_token"].as_str().unwrap().to_owned();
        let refresh = t["refresh_token"]
            .as_str()
            .expect("a refresh token")
            .to_owned();
        crate::leaks::watch("access token", &access);
        crate::leaks::watch("refresh token", &refresh);
        (access, refresh, t)
    }

    /// The status of a refresh of the agency's token.
    pub(crate) async fn agency_refresh(&self, refresh: &str) -> u16 {
        client()
            .post(self.url("/token"))
            .basic_auth(&self.agency_id, Some(&self.agency_secret))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    pub(crate) async fn userinfo(&self, access: &str) -> u16 {
        client()
            .get(self.url("/userinfo"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// One call of the account API: status, headers and JSON body (`Null`
    /// when empty).
    pub(crate) async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let mut req = client().request(method, self.url(&format!("/api/v1/account{path}")));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        let v = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
        };
        (status, headers, v)
    }
}

fn pkce() -> (String, String) {
    use sha2::Digest as _;
    let verifier = format!("v{}", uuid::Uuid::new_v4().simple()).repeat(2);
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn param(location: &str, name: &str) -> Option<String> {
    url::Url::parse(location)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Waits for the wall clock's next second: the provider's "signed out
/// everywhere" marker has a resolution of one second and ends sessions
/// begun in its second too, so a sign-in right after one waits.
#[expect(
    clippy::disallowed_methods,
    reason = "the server under test reads the system clock; this waits for its next second"
)]
async fn next_second() {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let left = Duration::from_secs(1) - Duration::from_nanos(u64::from(now.subsec_nanos()));
    tokio::time::sleep(left + Duration::from_millis(50)).await;
}

/// The newest SMS text sent to `e164`.
pub(crate) fn last_sms(p: &Pratu, e164: &str) -> String {
    let text = std::fs::read_to_string(p.data_dir.join("sms-outbox.jsonl")).unwrap();
    text.lines()
        .rev()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|m| m["to"] == e164)
        .map(|m| m["text"].as_str().unwrap().to_owned())
        .expect("an SMS to the number")
}

fn actions(activity: &Value) -> Vec<String> {
    activity["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["action"].as_str().unwrap().to_owned())
        .collect()
}

async fn the_account_api_end_to_end(backend: Backend) {
    use reqwest::Method;
    let Some(s) = Setup::start(backend).await else {
        return;
    };
    let citizen_id = somchai().citizen_id;

    // Refusals before anything else: no token, a token that is not one,
    // an agency token that asked for `account` (never granted).
    let (status, headers, body) = s.api(Method::GET, "", None, None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("invalid_token"))
    );
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    assert_eq!(headers["content-type"], "application/problem+json");
    let (status, headers, _) = s.api(Method::GET, "", Some("not-a-token"), None).await;
    assert_eq!(status, 401);
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );

    let b = Browser::new();
    let (agency_access, agency_refresh, granted) = s.agency_tokens(&b, PASSWORD).await;
    assert!(
        !granted["scope"]
            .as_str()
            .unwrap()
            .split(' ')
            .any(|x| x == "account"),
        "an agency app got scope account: {granted}"
    );
    let (status, headers, body) = s.api(Method::GET, "", Some(&agency_access), None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("insufficient_scope"))
    );
    assert_eq!(
        headers["www-authenticate"],
        "Bearer error=\"insufficient_scope\", scope=\"account\""
    );

    // The account app (SSO: the browser is signed in).
    let token = s.account_token(&b, PASSWORD).await.unwrap();
    let (status, headers, profile) = s.api(Method::GET, "", Some(&token), None).await;
    assert_eq!(status, 200, "{profile}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(profile["username"], USER);
    assert_eq!(profile["citizen_id_masked"], "1-1017-xxxxx-xx-0");
    assert_eq!(profile["phone_masked"], "08x-xxx-5678");
    assert_eq!(profile["given_name"], "สมชาย");
    assert_eq!(profile["family_name"], "ใจดี");
    assert!(profile["ial"].is_string());
    assert!(profile["created_at"].is_string());
    assert!(profile["user_id"].is_string());
    assert!(!profile.to_string().contains(&citizen_id));

    let (status, _, apps) = s.api(Method::GET, "/apps", Some(&token), None).await;
    assert_eq!(status, 200);
    let info = apps["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["client_id"] == s.agency_id.as_str())
        .unwrap_or_else(|| panic!("the agency app is listed: {apps}"));
    assert_eq!(info["client_name"], "INFO");
    assert!(
        info["scopes"]
            .as_array()
            .unwrap()
            .contains(&json!("profile"))
    );
    assert!(info["granted_at"].is_string());

    let (status, _, sessions) = s.api(Method::GET, "/sessions", Some(&token), None).await;
    assert_eq!(status, 200);
    let first = &sessions["items"][0];
    assert!(
        first["id"].is_string() && first["started_at"].is_string(),
        "{sessions}"
    );

    // Phone change: a code to the new number, then a notice to the old.
    let (status, _, body) = s
        .api(
            Method::POST,
            "/phone",
            Some(&token),
            Some(json!({"phone": "12345"})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("invalid_phone"))
    );
    let (status, _, body) = s
        .api(
            Method::POST,
            "/phone/verify",
            Some(&token),
            Some(json!({"code": "123456"})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("no_phone_change"))
    );
    let (status, _, sent) = s
        .api(
            Method::POST,
            "/phone",
            Some(&token),
            Some(json!({"phone": "089-876-5432"})),
        )
        .await;
    assert_eq!(status, 202, "{sent}");
    let (code, reference) = read_otp(&s.p.data_dir, NEW_E164);
    assert_eq!(sent["ref"], reference.as_str());
    assert!(sent["expires_in"].as_u64().unwrap() > 0);
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    let (status, _, body) = s
        .api(
            Method::POST,
            "/phone/verify",
            Some(&token),
            Some(json!({"code": wrong})),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (422, Some("otp_invalid")));
    assert!(body["attempts_left"].is_u64());
    let (status, _, body) = s
        .api(
            Method::POST,
            "/phone/verify",
            Some(&token),
            Some(json!({"code": code})),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let notice = last_sms(&s.p, E164);
    assert!(
        notice.contains("Digital ID") && !notice.contains(&code),
        "{notice}"
    );
    let (_, _, profile) = s.api(Method::GET, "", Some(&token), None).await;
    assert_eq!(profile["phone_masked"], "08x-xxx-5432");

    // Export: everything, the citizen ID in clear, as an attachment.
    let (status, headers, export) = s.api(Method::GET, "/export", Some(&token), None).await;
    assert_eq!(status, 200);
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=")
    );
    assert_eq!(export["citizen_id"], citizen_id.as_str());
    assert_eq!(export["phone"]["number"], NEW_E164);
    assert_eq!(export["name"]["given_name"], "สมชาย");
    assert_eq!(export["birth_date"]["year"], 1987);
    assert!(export["identity_proofing"]["ial"].is_string());
    assert_eq!(export["account"]["username"], USER);
    assert!(export["connected_apps"].as_array().unwrap().len() == 1);
    assert!(!export["activity"].as_array().unwrap().is_empty());
    assert!(export["account"].get("password_hash").is_none());

    // Password change: the current one must be right, the new one good.
    let (status, _, body) = s
        .api(
            Method::PUT,
            "/password",
            Some(&token),
            Some(json!({"current_password": "Wrong7Password", "new_password": NEW_PASSWORD})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("invalid_password"))
    );
    let (status, _, body) = s
        .api(
            Method::PUT,
            "/password",
            Some(&token),
            Some(json!({"current_password": PASSWORD, "new_password": "short1"})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("password_policy"))
    );
    let (status, _, body) = s
        .api(
            Method::PUT,
            "/password",
            Some(&token),
            Some(json!({"current_password": PASSWORD, "new_password": "Somchai87abc"})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("password_contains_username"))
    );
    let (status, _, body) = s
        .api(
            Method::PUT,
            "/password",
            Some(&token),
            Some(json!({"current_password": PASSWORD})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("invalid_request"))
    );
    crate::leaks::watch("password", NEW_PASSWORD);
    let (status, _, body) = s
        .api(
            Method::PUT,
            "/password",
            Some(&token),
            Some(json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD})),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    // The phone is told (no link, no password in it).
    let notice = last_sms(&s.p, NEW_E164);
    assert!(
        notice.contains("password of your Digital ID was changed")
            && !notice.contains(NEW_PASSWORD),
        "{notice}"
    );
    // Every session and refresh token ended, this token's too.
    assert_eq!(s.agency_refresh(&agency_refresh).await, 400);
    let (status, _, _) = s.api(Method::GET, "", Some(&token), None).await;
    assert_eq!(status, 401);

    // The old password no longer signs in; the new one does.
    next_second().await;
    let b = Browser::new();
    assert_eq!(s.account_token(&b, PASSWORD).await, None);
    let b = Browser::new();
    let token = s.account_token(&b, NEW_PASSWORD).await.unwrap();
    let (agency_access, agency_refresh, _) = s.agency_tokens(&b, NEW_PASSWORD).await;
    assert_eq!(s.userinfo(&agency_access).await, 200);

    // Withdrawing the agency app: consent gone, its tokens revoked.
    let (status, _, body) = s
        .api(Method::DELETE, "/apps/no-such-app", Some(&token), None)
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("app_not_found"))
    );
    let (status, _, _) = s
        .api(
            Method::DELETE,
            &format!("/apps/{}", s.agency_id),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(s.agency_refresh(&agency_refresh).await, 400);
    assert_eq!(s.userinfo(&agency_access).await, 401);
    let (_, _, apps) = s.api(Method::GET, "/apps", Some(&token), None).await;
    assert_eq!(apps["items"], json!([]));

    // Signed out everywhere: sessions, refresh tokens, this token.
    let (_, agency_refresh, _) = s.agency_tokens(&b, NEW_PASSWORD).await;
    let (status, _, _) = s.api(Method::DELETE, "/sessions", Some(&token), None).await;
    assert_eq!(status, 204);
    assert_eq!(s.agency_refresh(&agency_refresh).await, 400);
    let (status, _, _) = s.api(Method::GET, "/sessions", Some(&token), None).await;
    assert_eq!(status, 401);

    next_second().await;
    let b = Browser::new();
    let token = s.account_token(&b, NEW_PASSWORD).await.unwrap();

    // Activity: sign-ins and changes, only the contract's fields.
    let (status, _, activity) = s.api(Method::GET, "/activity", Some(&token), None).await;
    assert_eq!(status, 200);
    let seen = actions(&activity);
    for action in [
        "login.succeeded",
        "account.phone_changed",
        "account.password_changed",
        "account.reauth_failed",
        "consent.withdrawn",
        "account.signed_out_everywhere",
        "account.exported",
    ] {
        assert!(seen.iter().any(|a| a == action), "{action} in {seen:?}");
    }
    for item in activity["items"].as_array().unwrap() {
        for key in item.as_object().unwrap().keys() {
            assert!(
                ["time", "action", "outcome", "client_id"].contains(&key.as_str()),
                "{key} in {item}"
            );
        }
    }
    assert!(
        activity["items"].as_array().unwrap().iter().any(|i| {
            i["action"] == "consent.withdrawn" && i["client_id"] == s.agency_id.as_str()
        })
    );

    // Deletion: the password again, then everything ends at once.
    let (_, agency_refresh, _) = s.agency_tokens(&b, NEW_PASSWORD).await;
    let (status, _, body) = s
        .api(
            Method::DELETE,
            "",
            Some(&token),
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("invalid_password"))
    );
    let (status, _, _) = s
        .api(
            Method::DELETE,
            "",
            Some(&token),
            Some(json!({"password": NEW_PASSWORD})),
        )
        .await;
    assert_eq!(status, 202);
    let (status, _, _) = s.api(Method::GET, "", Some(&token), None).await;
    assert_eq!(status, 401);
    assert_eq!(s.agency_refresh(&agency_refresh).await, 400);
    next_second().await;
    assert_eq!(
        s.account_token(&Browser::new(), NEW_PASSWORD).await,
        None,
        "a deleted account signs in"
    );

    // The citizen enrolls again with the same citizen ID (and username).
    let done = enroll(&s.p, &somchai(), USER, PASSWORD, PHONE).await;
    assert_eq!(done["username"], USER);
    let token = s.account_token(&Browser::new(), PASSWORD).await.unwrap();
    let (status, _, profile) = s.api(Method::GET, "", Some(&token), None).await;
    assert_eq!(status, 200);
    assert_ne!(
        profile["user_id"], export["account"]["user_id"],
        "a new account"
    );
    let (_, _, activity) = s.api(Method::GET, "/activity", Some(&token), None).await;
    assert!(
        !actions(&activity).iter().any(|a| a.starts_with("account.")),
        "the new account has none of the old one's history: {activity}"
    );
    s.finish().await;
}

#[tokio::test]
async fn the_account_api_end_to_end_on_sqlite() {
    the_account_api_end_to_end(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_account_api_end_to_end_on_postgres_and_redis() {
    the_account_api_end_to_end(Backend::PostgresRedis).await;
}

/// Re-entering the password is limited per account: past the limit even
/// the right one is refused for a while.
#[tokio::test]
async fn password_guesses_through_the_account_api_are_limited() {
    use reqwest::Method;
    let Some(s) = Setup::start(Backend::Sqlite).await else {
        return;
    };
    let token = s.account_token(&Browser::new(), PASSWORD).await.unwrap();
    let guess = json!({"current_password": "Wrong7Password", "new_password": NEW_PASSWORD});
    for _ in 0..10 {
        let (status, _, _) = s
            .api(Method::PUT, "/password", Some(&token), Some(guess.clone()))
            .await;
        assert_eq!(status, 403);
    }
    let (status, headers, body) = s
        .api(
            Method::PUT,
            "/password",
            Some(&token),
            Some(json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (429, Some("too_many_attempts"))
    );
    assert!(headers.contains_key("retry-after"));
    s.finish().await;
}
