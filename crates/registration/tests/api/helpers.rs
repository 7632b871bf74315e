//! `TestApp`: the real router on 127.0.0.1:0 over a fresh SQLite store, the
//! in-memory ephemeral store, a mock clock, the outbox SMS sender and a
//! registry file the test writes itself.
#![expect(clippy::unwrap_used, reason = "test helpers fail by panicking")]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use pratu_core::password::{Argon2Params, PasswordHasher};
use pratu_core::pii::{BlindIndex, PiiCipher, SecretKey};
use pratu_core::sms::SmsSender;
use pratu_registration::config::{EnrollmentConfig, LimitsConfig, OtpConfig, ProofingConfig};
use pratu_registration::domain::with_check_digit;
use pratu_registration::proofing::registry_file::RegistryFile;
use pratu_registration::sms::outbox::{OutboxSender, read_outbox};
use pratu_registration::{RegistrationDeps, RegistrationState};
use pratu_storage::ephemeral::EphemeralStore;
use pratu_storage::ephemeral::memory::MemoryStore;
use pratu_storage::testing::TestGuard;
use pratu_storage::{MockClock, Store};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A fictional citizen the test registry knows.
#[derive(Debug, Clone)]
pub struct Citizen {
    pub id: String,
    pub first: String,
    pub last: String,
    /// As typed into the API.
    pub birth: String,
    pub laser: String,
}

pub fn somchai() -> Citizen {
    Citizen {
        id: "1234567890121".into(),
        first: "สมชาย".into(),
        last: "ใจดี".into(),
        birth: "2530-01-01".into(),
        laser: "JT1-2321456-32".into(),
    }
}

/// Partial birth date on the card: December 2538 (day unknown).
pub fn somying() -> Citizen {
    Citizen {
        id: "3101200045673".into(),
        first: "สมหญิง".into(),
        last: "รักไทย".into(),
        birth: "2538-12-00".into(),
        laser: "AB1123456789".into(),
    }
}

/// A card that is no longer valid.
pub fn mana() -> Citizen {
    Citizen {
        id: "1101700207030".into(),
        first: "มานะ".into(),
        last: "ขยัน".into(),
        birth: "1960-00-00".into(),
        laser: "CD0000000001".into(),
    }
}

/// Generated citizens for the concurrency tests: `n` in 0..40.
pub fn numbered(n: u32) -> Citizen {
    Citizen {
        id: with_check_digit(&format!("51000000{n:04}")).unwrap(),
        first: "ทดสอบ".into(),
        last: format!("สกุล{}", ["ก", "ข", "ค", "ง", "จ"][(n % 5) as usize]),
        birth: "1990-05-17".into(),
        laser: format!("TS{n:010}"),
    }
}

fn registry_csv() -> String {
    let mut csv =
        String::from("citizen_id,first_name,last_name,birth_date,laser_code,card_status\n");
    csv.push_str("1234567890121,สมชาย,ใจดี,1987-01-01,JT1232145632,active\n");
    csv.push_str("3101200045673,สมหญิง,รักไทย,1995-12-00,AB1123456789,active\n");
    csv.push_str("1101700207030,มานะ,ขยัน,1960-00-00,CD0000000001,expired\n");
    for n in 0..40 {
        let c = numbered(n);
        csv.push_str(&format!(
            "{},{},{},1990-05-17,{},active\n",
            c.id, c.first, c.last, c.laser
        ));
    }
    csv
}

/// Every log line of this test binary, for the privacy test.
pub fn captured_logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = LogWriter(buf.clone());
        let _ = tracing_subscriber::fmt()
            .with_env_filter("trace")
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .try_init();
        buf
    })
}

#[derive(Clone)]
struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Which backends the app runs on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Backend {
    /// SQLite in a temporary directory, in-memory ephemeral store.
    #[default]
    SqliteMemory,
    /// PostgreSQL and Redis from `PRATU_TEST_POSTGRES_URL` /
    /// `PRATU_TEST_REDIS_URL` (a fresh schema and key prefix per test).
    PostgresRedis,
}

/// What a test may change before the app starts.
#[derive(Default)]
pub struct Options {
    pub backend: Backend,
    pub enrollment: EnrollmentConfig,
    pub otp: OtpConfig,
    pub limits: LimitsConfig,
    pub sms: Option<Arc<dyn SmsSender>>,
    /// As for an https issuer: `Secure` cookies, `__Host-` where allowed.
    pub secure_cookies: bool,
}

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub clock: Arc<MockClock>,
    pub store: Arc<dyn Store>,
    pub registry: Arc<RegistryFile>,
    pub hasher: PasswordHasher,
    pub pii: PiiCipher,
    pub index: BlindIndex,
    pub outbox: PathBuf,
    /// Enrollment id → the token its start answered; [`TestApp::send`]
    /// presents it on that enrollment's steps.
    tokens: Mutex<HashMap<String, String>>,
    _dir: tempfile::TempDir,
    _guards: Vec<TestGuard>,
}

pub async fn spawn() -> TestApp {
    spawn_with(Options::default()).await
}

pub async fn spawn_with(options: Options) -> TestApp {
    try_spawn_with(options).await.unwrap()
}

/// The app on PostgreSQL and Redis, or `None` when their variables are
/// unset outside CI (the storage helpers panic in CI).
pub async fn spawn_on_postgres_and_redis() -> Option<TestApp> {
    try_spawn_with(Options {
        backend: Backend::PostgresRedis,
        ..Default::default()
    })
    .await
}

pub async fn try_spawn_with(options: Options) -> Option<TestApp> {
    captured_logs();
    let clock = Arc::new(MockClock::default());
    let (store, ephemeral, guards): (Arc<dyn Store>, Arc<dyn EphemeralStore>, Vec<TestGuard>) =
        match options.backend {
            Backend::SqliteMemory => {
                let (store, guard) = pratu_storage::testing::sqlite_store().await;
                let memory = Arc::new(MemoryStore::new(clock.clone(), 100_000));
                (store, memory, vec![guard])
            }
            Backend::PostgresRedis => {
                let (store, pg_guard) = pratu_storage::testing::postgres_store_from_env().await?;
                let redis = pratu_storage::testing::redis_from_env().await?;
                (store, redis.store, vec![pg_guard, redis.guard])
            }
        };
    let dir = tempfile::tempdir().unwrap();
    let registry_path = dir.path().join("registry.csv");
    std::fs::write(&registry_path, registry_csv()).unwrap();
    let registry = Arc::new(RegistryFile::load(&registry_path).unwrap());
    let outbox = dir.path().join("data/sms-outbox.jsonl");
    let sms = options
        .sms
        .unwrap_or_else(|| Arc::new(OutboxSender::new(outbox.clone(), clock.clone())));
    let hasher = PasswordHasher::new(
        Argon2Params {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        },
        4,
    )
    .unwrap();
    let pii = PiiCipher::new(SecretKey::generate("k1"), vec![]);
    let index = BlindIndex::new(SecretKey::generate("i1"));
    let state = RegistrationState::new(RegistrationDeps {
        store: store.clone(),
        ephemeral: ephemeral.clone(),
        clock: clock.clone(),
        random: pratu_core::OsRandom::shared(),
        proofing: registry.clone(),
        sms,
        hasher: hasher.clone(),
        pii: pii.clone(),
        blind_index: index.clone(),
        proofing_config: ProofingConfig::default(),
        enrollment: options.enrollment,
        otp: options.otp,
        limits: options.limits,
        csrf_key: SecretKey::new("registration.csrf", &[7; 32]).unwrap(),
        secure_cookies: options.secure_cookies,
    });
    let app = pratu_registration::router::<RegistrationState>().with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    Some(TestApp {
        base: format!("http://{addr}"),
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        clock,
        store,
        registry,
        hasher,
        pii,
        index,
        outbox,
        tokens: Mutex::new(HashMap::new()),
        _dir: dir,
        _guards: guards,
    })
}

/// A response: status, parsed JSON (or `Null`) and the raw text.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub json: Value,
    pub text: String,
    pub content_type: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Resp {
    pub fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or_default()
    }

    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status.as_u16(), self.code()),
            (status, code),
            "unexpected answer: {}",
            self.text
        );
        assert_eq!(
            self.content_type, "application/problem+json",
            "{}",
            self.text
        );
        assert_eq!(self.json["status"], status);
    }
}

impl TestApp {
    /// Sends a request; on an enrollment's steps with the token its start
    /// answered (as a client of the API does), and remembers the token of
    /// every enrollment started.
    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Resp {
        let token = path
            .strip_prefix("/api/v1/enrollments/")
            .and_then(|rest| rest.split('/').next())
            .and_then(|id| self.tokens.lock().unwrap().get(id).cloned());
        let r = self
            .send_with_token(method, path, body, token.as_deref())
            .await;
        if let (Some(id), Some(token)) = (
            r.json["enrollment_id"].as_str(),
            r.json["enrollment_token"].as_str(),
        ) {
            self.tokens
                .lock()
                .unwrap()
                .insert(id.to_owned(), token.to_owned());
        }
        r
    }

    /// The token the start of enrollment `id` answered.
    pub fn token_of(&self, id: &str) -> String {
        self.tokens.lock().unwrap()[id].clone()
    }

    /// Sends a request with exactly this bearer token (or none).
    pub async fn send_with_token(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> Resp {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let headers = r.headers().clone();
        let content_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = r.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            json,
            text,
            content_type,
            headers,
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Resp {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }

    pub async fn start(&self) -> String {
        let r = self
            .post(
                "/api/v1/enrollments",
                json!({"accept_terms": true, "terms_version": "2026-01"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.json["enrollment_id"].as_str().unwrap().to_owned()
    }

    pub async fn put_citizen_id(&self, id: &str, citizen_id: &str) -> Resp {
        self.put(
            &format!("/api/v1/enrollments/{id}/citizen-id"),
            json!({ "citizen_id": citizen_id }),
        )
        .await
    }

    pub async fn put_identity(&self, id: &str, c: &Citizen) -> Resp {
        self.put(
            &format!("/api/v1/enrollments/{id}/identity"),
            json!({
                "method": "laser_code",
                "first_name": c.first,
                "last_name": c.last,
                "birth_date": c.birth,
                "laser_code": c.laser,
            }),
        )
        .await
    }

    pub async fn put_account(&self, id: &str, username: &str, password: &str) -> Resp {
        self.put(
            &format!("/api/v1/enrollments/{id}/account"),
            json!({ "username": username, "password": password }),
        )
        .await
    }

    pub async fn post_phone(&self, id: &str, phone: &str) -> Resp {
        self.post(
            &format!("/api/v1/enrollments/{id}/phone"),
            json!({ "phone": phone }),
        )
        .await
    }

    pub async fn verify_phone(&self, id: &str, code: &str) -> Resp {
        self.post(
            &format!("/api/v1/enrollments/{id}/phone/verify"),
            json!({ "code": code }),
        )
        .await
    }

    pub async fn confirm(&self, id: &str) -> Resp {
        self.post(&format!("/api/v1/enrollments/{id}/confirm"), json!({}))
            .await
    }

    /// The code and reference of the last SMS to `e164`.
    pub fn read_outbox_otp(&self, e164: &str) -> (String, String) {
        let lines = read_outbox(&self.outbox).unwrap();
        let last = lines
            .iter()
            .rev()
            .find(|l| l.to == e164)
            .unwrap_or_else(|| panic!("no SMS to {e164}"));
        let code = last.text.split_whitespace().nth(2).unwrap().to_owned();
        let reference = last
            .text
            .split("Ref: ")
            .nth(1)
            .unwrap()
            .chars()
            .take(4)
            .collect();
        (code, reference)
    }

    /// Runs the steps up to (and including) the account; returns the id.
    pub async fn enroll_to_phone(&self, c: &Citizen, username: &str) -> String {
        let id = self.start().await;
        let r = self.put_citizen_id(&id, &c.id).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = self.put_identity(&id, c).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let r = self.put_account(&id, username, "Passw0rdOK").await;
        assert_eq!(r.status, 200, "{}", r.text);
        id
    }

    /// Runs every step up to the review; returns the id.
    pub async fn enroll_to_review(&self, c: &Citizen, username: &str, phone: &str) -> String {
        let id = self.enroll_to_phone(c, username).await;
        let e164 = format!("+66{}", &phone[1..]);
        let r = self.post_phone(&id, phone).await;
        assert_eq!(r.status, 202, "{}", r.text);
        let (code, _) = self.read_outbox_otp(&e164);
        let r = self.verify_phone(&id, &code).await;
        assert_eq!(r.status, 200, "{}", r.text);
        id
    }

    /// The audit actions recorded for an enrollment, oldest first.
    pub async fn audit_actions(&self, id: &str) -> Vec<String> {
        let mut events = self
            .store
            .list_audit(&pratu_storage::records::AuditFilter {
                target: Some(format!("enrollment:{id}")),
                limit: 1000,
                ..Default::default()
            })
            .await
            .unwrap();
        events.reverse();
        events.into_iter().map(|e| e.action).collect()
    }

    pub fn clock_now(&self) -> time::OffsetDateTime {
        pratu_storage::Clock::now(&*self.clock)
    }

    pub fn advance(&self, seconds: i64) {
        self.clock.advance(time::Duration::seconds(seconds));
    }

    pub fn citizen_index(&self, digits: &str) -> Vec<u8> {
        self.index.compute("citizen_id", digits.as_bytes())
    }
}

/// Any code but `code`.
pub fn wrong(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}
