//! The in-process test harness: the real router on 127.0.0.1:0 over a fresh
//! SQLite store and an in-memory ephemeral store, a mock clock, a browser
//! that keeps cookies by hand, and helpers per endpoint.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::extract::FromRef;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use pratu_core::password::{Argon2Params, PasswordHasher};
use pratu_core::pii::{PiiCipher, SecretKey};
use pratu_core::sms::{SmsError, SmsMessage, SmsSender};
use pratu_oidc::clients::{ClientView, NewClient};
use pratu_oidc::config::OidcConfig;
use pratu_oidc::{OidcDeps, OidcState};
use pratu_storage::ephemeral::EphemeralStore;
use pratu_storage::ephemeral::memory::MemoryStore;
use pratu_storage::records::{SealedCitizenId, User};
use pratu_storage::testing::{
    TestGuard, fixtures, postgres_store_from_env, redis_from_env, sqlite_store,
};
use pratu_storage::{Clock, MockClock, Store, SystemClock};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub const PASSWORD: &str = "Correct1horse";
pub const RP: &str = "https://rp.example/cb";
pub const CITIZEN_ID: &str = "1234567890121";

/// SMS messages "sent", for step-up tests.
#[derive(Debug, Default)]
pub struct CapturedSms(pub Mutex<Vec<SmsMessage>>);

#[async_trait]
impl SmsSender for CapturedSms {
    async fn send(&self, message: &SmsMessage) -> Result<(), SmsError> {
        self.0.lock().unwrap().push(message.clone());
        Ok(())
    }
}

impl CapturedSms {
    pub fn last_code(&self) -> String {
        let text = self
            .0
            .lock()
            .unwrap()
            .last()
            .expect("an SMS was sent")
            .text
            .clone();
        text.split_whitespace().nth(2).unwrap().to_owned()
    }
}

#[derive(Clone)]
struct AppState {
    oidc: OidcState,
}

impl FromRef<AppState> for OidcState {
    fn from_ref(s: &AppState) -> Self {
        s.oidc.clone()
    }
}

pub struct TestApp {
    pub issuer: String,
    pub state: OidcState,
    pub store: Arc<dyn Store>,
    pub clock: MockClock,
    pub citizen_ids: PiiCipher,
    pub sms: Arc<CapturedSms>,
    pub http: reqwest::Client,
    _guards: Vec<TestGuard>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(tweak: impl FnOnce(&mut OidcConfig)) -> Self {
        let (store, guard) = sqlite_store().await;
        // Start at the real time: the openidconnect relying party checks
        // token expiry against the wall clock.
        let clock = MockClock::new(SystemClock.now());
        let ephemeral: Arc<dyn EphemeralStore> =
            Arc::new(MemoryStore::new(Arc::new(clock.clone()), 100_000));
        Self::spawn_on(store, ephemeral, clock, vec![guard], tweak).await
    }

    /// On PostgreSQL and Redis (`PRATU_TEST_POSTGRES_URL`,
    /// `PRATU_TEST_REDIS_URL`); `None` (skip) when they are not set outside
    /// CI. Redis expires keys by the real clock: tests on it must not move
    /// the mock clock past a lifetime.
    pub async fn spawn_on_postgres_and_redis() -> Option<Self> {
        Self::spawn_on_postgres_and_redis_with(|_| {}).await
    }

    /// [`Self::spawn_on_postgres_and_redis`] with a configuration change.
    pub async fn spawn_on_postgres_and_redis_with(
        tweak: impl FnOnce(&mut OidcConfig),
    ) -> Option<Self> {
        let (store, pg_guard) = postgres_store_from_env().await?;
        let redis = redis_from_env().await?;
        let clock = MockClock::new(SystemClock.now());
        Some(
            Self::spawn_on(
                store,
                redis.store,
                clock,
                vec![pg_guard, redis.guard],
                tweak,
            )
            .await,
        )
    }

    /// On the stores given (a fault-injecting route to one, say), the
    /// guards kept as long as the app.
    pub async fn spawn_on(
        store: Arc<dyn Store>,
        ephemeral: Arc<dyn EphemeralStore>,
        clock: MockClock,
        guards: Vec<TestGuard>,
        tweak: impl FnOnce(&mut OidcConfig),
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let issuer = format!("http://127.0.0.1:{}", addr.port());
        let mut config = OidcConfig::default();
        config.keys.activation_delay_seconds = 600;
        tweak(&mut config);
        let citizen_ids = PiiCipher::new(SecretKey::generate("cid"), vec![]);
        let sms = Arc::new(CapturedSms::default());
        let deps = OidcDeps {
            issuer: issuer.clone(),
            store: Arc::clone(&store),
            ephemeral: Arc::clone(&ephemeral),
            clock: Arc::new(clock.clone()),
            random: pratu_core::OsRandom::shared(),
            passwords: PasswordHasher::new(
                Argon2Params {
                    memory_kib: 64,
                    iterations: 1,
                    parallelism: 1,
                },
                2,
            )
            .unwrap(),
            citizen_ids: citizen_ids.clone(),
            key_encryption: PiiCipher::new(SecretKey::generate("kek"), vec![]),
            server_key: SecretKey::generate("server"),
            sms: Some(sms.clone() as Arc<dyn SmsSender>),
            config,
        };
        let state = OidcState::init(deps).await.unwrap();
        let app = pratu_oidc::router::<AppState>().with_state(AppState {
            oidc: state.clone(),
        });
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            issuer,
            state,
            store,
            clock,
            citizen_ids,
            sms,
            http,
            _guards: guards,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    pub fn clock_now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }

    pub fn advance(&self, seconds: i64) {
        self.clock.advance(time::Duration::seconds(seconds));
    }

    /// A proofed citizen with password [`PASSWORD`] and citizen ID
    /// [`CITIZEN_ID`].
    pub async fn user(&self, username: &str) -> User {
        let mut u = fixtures::user(username);
        u.password_hash = self.state_hasher().hash(PASSWORD).await.unwrap();
        u.citizen_id = Some(SealedCitizenId {
            ciphertext: self.citizen_ids.seal(CITIZEN_ID.as_bytes(), b"citizen_id"),
            index: Sha256::digest(username.as_bytes()).to_vec(),
        });
        self.store.create_user(&u).await.unwrap();
        u
    }

    fn state_hasher(&self) -> PasswordHasher {
        PasswordHasher::new(
            Argon2Params {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
            1,
        )
        .unwrap()
    }

    pub async fn client(&self, new: NewClient) -> ClientView {
        self.state.clients().create(new).await.unwrap()
    }

    /// A confidential first-party client with refresh tokens.
    pub async fn confidential(&self, name: &str) -> ClientView {
        self.client(NewClient {
            client_name: name.into(),
            redirect_uris: vec![RP.into()],
            post_logout_redirect_uris: vec!["https://rp.example/bye".into()],
            grant_types: vec![
                pratu_storage::records::GrantType::AuthorizationCode,
                pratu_storage::records::GrantType::RefreshToken,
            ],
            first_party: true,
            ..Default::default()
        })
        .await
    }

    /// A browser whose every request carries `x-request-id: id`, as the
    /// server's request-id layer sets it in front of the provider.
    pub fn browser_with_request_id(&self, id: &str) -> Browser {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-request-id", id.parse().unwrap());
        Browser {
            cookies: BTreeMap::new(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .default_headers(headers)
                .build()
                .unwrap(),
        }
    }

    pub fn browser(&self) -> Browser {
        Browser {
            cookies: BTreeMap::new(),
            http: self.http.clone(),
        }
    }

    /// `POST /token` with Basic authentication.
    pub async fn token(&self, client: &ClientView, form: &[(&str, &str)]) -> (u16, Value) {
        let mut req = self.http.post(self.url("/token")).form(form);
        if let Some(secret) = &client.client_secret {
            req = req.basic_auth(&client.client_id, Some(secret.expose_secret()));
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        assert_eq!(res.headers()["cache-control"], "no-store");
        (status, res.json().await.unwrap())
    }

    pub async fn userinfo(&self, access_token: &str) -> (u16, Value) {
        let res = self
            .http
            .get(self.url("/userinfo"))
            .bearer_auth(access_token)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    /// Signs `browser` in through the authorization endpoint and returns the
    /// code (for a first-party client: no consent page).
    pub async fn sign_in_for_code(
        &self,
        browser: &mut Browser,
        client: &ClientView,
        extra: &[(&str, &str)],
    ) -> Code {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-pratu-test";
        let challenge = B64.encode(Sha256::digest(verifier.as_bytes()));
        let mut params: Vec<(&str, &str)> = vec![
            ("response_type", "code"),
            ("client_id", &client.client_id),
            ("redirect_uri", RP),
            ("scope", "openid profile phone"),
            ("state", "st-1"),
            ("nonce", "n-1"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ];
        for (k, v) in extra {
            params.retain(|(pk, _)| pk != k);
            params.push((k, v));
        }
        let page = browser.get(&self.authorize_url(&params)).await;
        let page = if page.status == 200 && page.body.contains(r#"autocomplete="current-password""#)
        {
            let after = browser.login(&page, "somchai", PASSWORD).await;
            assert_eq!(after.status, 303, "login failed: {}", after.body);
            browser.after_sign_in(after).await
        } else {
            page
        };
        Code {
            code: page.redirect_param("code").unwrap_or_else(|| {
                panic!("no code: {} {:?} {}", page.status, page.location, page.body)
            }),
            verifier: verifier.to_owned(),
        }
    }

    pub fn authorize_url(&self, params: &[(&str, &str)]) -> String {
        let q = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        format!("{}/authorize?{q}", self.issuer)
    }

    /// Exchanges a code for tokens.
    pub async fn exchange(&self, client: &ClientView, code: &Code) -> (u16, Value) {
        self.token(
            client,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code.code),
                ("redirect_uri", RP),
                ("code_verifier", &code.verifier),
            ],
        )
        .await
    }

    /// The payload of a JWT (unverified; signature checks are elsewhere).
    pub fn claims(jwt: &str) -> Value {
        let payload = jwt.split('.').nth(1).unwrap();
        serde_json::from_slice(&B64.decode(payload).unwrap()).unwrap()
    }

    pub fn header(jwt: &str) -> Value {
        let h = jwt.split('.').next().unwrap();
        serde_json::from_slice(&B64.decode(h).unwrap()).unwrap()
    }
}

pub struct Code {
    pub code: String,
    pub verifier: String,
}

/// One answer as a browser sees it.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Page {
    /// The value of a hidden (or any) input `name` on the page.
    pub fn input(&self, name: &str) -> Option<String> {
        let marker = format!(r#"name="{name}" value=""#);
        let start = self.body.find(&marker)? + marker.len();
        let end = self.body[start..].find('"')? + start;
        Some(
            self.body[start..end]
                .replace("&#43;", "+")
                .replace("&#61;", "="),
        )
    }

    /// A parameter of the redirect's query.
    pub fn redirect_param(&self, name: &str) -> Option<String> {
        let url = url::Url::parse(self.location.as_deref()?).ok()?;
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

/// A browser: keeps cookies (by hand) and never follows redirects by
/// itself.
pub struct Browser {
    pub cookies: BTreeMap<String, String>,
    http: reqwest::Client,
}

impl Browser {
    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn read(&mut self, res: reqwest::Response) -> Page {
        for v in res.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let pair = v.split(';').next().unwrap();
            let (k, val) = pair.split_once('=').unwrap();
            if val.is_empty() || v.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), val.to_owned());
            }
        }
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let headers = res.headers().clone();
        let body = res.text().await.unwrap();
        Page {
            status,
            location,
            body,
            headers,
        }
    }

    pub async fn get(&mut self, url: &str) -> Page {
        let res = self
            .http
            .get(url)
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.read(res).await
    }

    pub async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> Page {
        let res = self
            .http
            .post(url)
            .header("cookie", self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.read(res).await
    }

    /// The answer to a sign-in that needs no other page: the code redirect
    /// itself, or (when a page is due) the continue URL's answer.
    pub async fn after_sign_in(&mut self, after: Page) -> Page {
        if after.redirect_param("code").is_some() {
            after
        } else {
            self.follow(&after).await
        }
    }

    /// Follows one redirect.
    pub async fn follow(&mut self, page: &Page) -> Page {
        let to = page.location.clone().expect("a redirect");
        self.get(&to).await
    }

    /// Submits the login form on `page`.
    pub async fn login(&mut self, page: &Page, username: &str, password: &str) -> Page {
        let action = form_action(&page.body);
        let req = page.input("req").expect("req input");
        let csrf = page.input("csrf").expect("csrf input");
        self.post(
            &action,
            &[
                ("req", &req),
                ("csrf", &csrf),
                ("username", username),
                ("password", password),
            ],
        )
        .await
    }

    /// Answers the consent page on `page`.
    pub async fn consent(&mut self, page: &Page, decision: &str) -> Page {
        let action = form_action(&page.body);
        let req = page.input("req").expect("req input");
        let csrf = page.input("csrf").expect("csrf input");
        self.post(
            &action,
            &[("req", &req), ("csrf", &csrf), ("decision", decision)],
        )
        .await
    }
}

pub fn form_action(html: &str) -> String {
    let marker = r#"<form method="post" action=""#;
    let start = html.find(marker).expect("a form") + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_owned()
}
