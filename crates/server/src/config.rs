//! Configuration: built-in defaults, then `config/pratu.toml` (or the file
//! named by `PRATU_CONFIG`), then `PRATU_*` environment variables (`__`
//! between levels). A bad value stops start-up with a message naming the key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use pratu_oidc::config as oidc;
use pratu_registration::config as reg;
use serde::{Deserialize, Serialize};

pub mod secrets;

/// The whole configuration. Every key is documented in `config/pratu.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port (logged at start).
    pub listen: String,
    /// Public base URL; the OIDC `iss`. Unset: `http://<bound address>`,
    /// which is right only for local development (loopback).
    pub issuer: Option<String>,
    pub data_dir: PathBuf,
    /// Unset: a SQLite file in `data_dir`.
    pub database_url: Option<String>,
    /// Unset: the in-process ephemeral store (one node only).
    pub redis_url: Option<String>,
    pub redis_prefix: String,
    /// Accept the development settings (registry file proofing, SMS outbox,
    /// generated secrets) with an issuer that is not a loopback `http` URL:
    /// a staging deployment. Off, such an issuer with any of them refuses to
    /// start, so a production deployment never fails open.
    pub dev_mode: bool,
    pub database: DatabaseConfig,
    pub ephemeral: EphemeralConfig,
    pub http: HttpConfig,
    pub metrics: MetricsConfig,
    pub log: LogConfig,
    pub secrets: secrets::SecretsConfig,
    pub password: pratu_core::password::PasswordConfig,
    pub retention: crate::maintenance::RetentionConfig,
    // Enrollment (pratu-registration).
    pub proofing: reg::ProofingConfig,
    pub sms: reg::SmsConfig,
    pub otp: reg::OtpConfig,
    pub enrollment: reg::EnrollmentConfig,
    pub limits: Limits,
    // The OpenID Connect provider (pratu-oidc).
    pub tokens: oidc::TokensConfig,
    pub session: oidc::SessionConfig,
    pub keys: oidc::KeysConfig,
    pub clients: oidc::ClientsConfig,
    pub assurance: oidc::AssuranceConfig,
    // Operators (pratu-admin).
    pub admin: pratu_admin::AdminConfig,
    // The citizen's own account (pratu-account).
    pub account: pratu_account::AccountConfig,
}

/// What a request keeps, of `http.request_timeout_seconds`, to answer after
/// its slowest outside call gave up.
const ANSWER_MARGIN: Duration = Duration::from_secs(2);

/// Key `limits`: the enrollment limits at its top level (as DESIGN.md lists
/// them) and sign-in limits under `limits.login`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Sign-in limits (`limits.login.*`).
    pub login: oidc::LoginLimits,
    /// Authorization requests per address (`limits.authorize.*`).
    pub authorize: oidc::AuthorizeLimits,
    #[serde(flatten)]
    pub enrollment: reg::LimitsConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            issuer: None,
            data_dir: PathBuf::from("./data"),
            database_url: None,
            redis_url: None,
            redis_prefix: "pratu:".into(),
            dev_mode: false,
            database: DatabaseConfig::default(),
            ephemeral: EphemeralConfig::default(),
            http: HttpConfig::default(),
            metrics: MetricsConfig::default(),
            log: LogConfig::default(),
            secrets: secrets::SecretsConfig::default(),
            password: pratu_core::password::PasswordConfig::default(),
            retention: crate::maintenance::RetentionConfig::default(),
            proofing: reg::ProofingConfig::default(),
            sms: reg::SmsConfig::default(),
            otp: reg::OtpConfig::default(),
            enrollment: reg::EnrollmentConfig::default(),
            limits: Limits::default(),
            tokens: oidc::TokensConfig::default(),
            session: oidc::SessionConfig::default(),
            keys: oidc::KeysConfig::default(),
            clients: oidc::ClientsConfig::default(),
            assurance: oidc::AssuranceConfig::default(),
            admin: pratu_admin::AdminConfig::default(),
            account: pratu_account::AccountConfig::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// Pool size (PostgreSQL; on SQLite the read-only connections, at most 4).
    pub max_connections: u32,
    pub acquire_timeout_seconds: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout_seconds: 5,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EphemeralConfig {
    /// Upper bound on entries held by the in-process store.
    pub max_entries: usize,
}

impl Default for EphemeralConfig {
    fn default() -> Self {
        Self {
            max_entries: 200_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// A request running longer than this is answered 408.
    pub request_timeout_seconds: u64,
    /// On SIGTERM/SIGINT, requests in flight get this long to finish.
    pub shutdown_grace_seconds: u64,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Load balancers whose `X-Forwarded-For` is believed (addresses or
    /// networks such as `10.0.0.0/8`); empty: the TCP peer is the client.
    pub trusted_proxies: Vec<String>,
    /// A connection that has not sent a whole request head (request line and
    /// headers) this long after it opened, or after its previous request, is
    /// closed: slow clients cannot hold connections open (slowloris).
    pub header_read_timeout_seconds: u64,
    /// Connections served at once; further ones wait in the listen backlog
    /// until one closes, so a flood cannot exhaust file descriptors.
    pub max_connections: u32,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            request_timeout_seconds: 30,
            shutdown_grace_seconds: 20,
            max_body_bytes: 64 * 1024,
            trusted_proxies: Vec::new(),
            header_read_timeout_seconds: 10,
            max_connections: 10_000,
        }
    }
}

/// Key `metrics`: Prometheus `/metrics` on a listener of its own, never the
/// public one (it tells anyone the traffic, error rates and pool sizes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Address of the metrics listener; port 0 picks a free port (logged).
    pub listen: String,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:9464".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    pub format: LogFormat,
    /// `tracing` filter directives; `RUST_LOG` wins when set.
    pub filter: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            filter: "info".into(),
        }
    }
}

/// A configuration that cannot be used; the message names the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {path}: {source}")]
    File {
        path: String,
        #[source]
        source: Box<figment::Error>,
    },
    #[error("configuration: {0}")]
    Invalid(String),
    #[error("configuration key `{key}`: {message}")]
    Key { key: String, message: String },
    #[error(
        "configuration: development settings with issuer {issuer}: {settings}; \
         configure the production provider and secrets, or set dev_mode = true \
         (PRATU_DEV_MODE=true) for a staging deployment"
    )]
    DevSettings { issuer: String, settings: String },
}

impl ConfigError {
    pub fn key(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Key {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// Whether a `PRATU_` variable, given without its prefix, is a configuration
/// key: `PRATU_CONFIG` selects the file and `PRATU_TEST_*` belong to the
/// test suite.
fn is_key_variable(unprefixed: &str) -> bool {
    let k = unprefixed.to_ascii_lowercase();
    k != "config" && !k.starts_with("test_")
}

impl Config {
    /// Loads defaults ← file ← environment. `file` overrides `PRATU_CONFIG`;
    /// without either, `config/pratu.toml` is read when it exists.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = Self::file(file)? {
            figment = figment.merge(Toml::file_exact(path));
        }
        figment = figment.merge(
            Env::prefixed("PRATU_")
                .split("__")
                .filter(|k| is_key_variable(k.as_str())),
        );
        Self::extract(&figment)
    }

    /// The file [`Config::load`] reads: `file`, else `PRATU_CONFIG` (either
    /// must exist), else `config/pratu.toml` when it exists.
    pub fn file(file: Option<&Path>) -> Result<Option<PathBuf>, ConfigError> {
        let explicit = file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("PRATU_CONFIG").map(PathBuf::from));
        match explicit {
            Some(path) if path.is_file() => Ok(Some(path)),
            Some(path) => Err(ConfigError::Invalid(format!(
                "configuration file {} does not exist",
                path.display()
            ))),
            None => {
                let default = PathBuf::from("config/pratu.toml");
                Ok(default.is_file().then_some(default))
            }
        }
    }

    /// The `PRATU_*` environment variables [`Config::load`] reads as keys.
    pub fn key_variables() -> Vec<String> {
        let mut names: Vec<String> = std::env::vars_os()
            .filter_map(|(name, _)| name.into_string().ok())
            .filter(|name| {
                name.strip_prefix("PRATU_")
                    .is_some_and(|key| !key.is_empty() && is_key_variable(key))
            })
            .collect();
        names.sort();
        names
    }

    /// Parses one TOML document over the defaults (tests, `--check`).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let figment =
            Figment::from(Serialized::defaults(Config::default())).merge(Toml::string(text));
        Self::extract(&figment)
    }

    fn extract(figment: &Figment) -> Result<Self, ConfigError> {
        let config: Config = figment.extract().map_err(describe)?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what types alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.listen_addr()?;
        match &self.issuer {
            Some(issuer) => validate_issuer(issuer)?,
            None if !self.listen_addr()?.ip().is_loopback() => {
                return Err(ConfigError::key(
                    "issuer",
                    "must be set (to the public https URL) when listening on a non-loopback address",
                ));
            }
            None => {}
        }
        if let Some(url) = &self.database_url
            && !(url.starts_with("sqlite:")
                || url.starts_with("postgres://")
                || url.starts_with("postgresql://"))
        {
            return Err(ConfigError::key(
                "database_url",
                "must start with sqlite:, postgres:// or postgresql://",
            ));
        }
        if let Some(url) = &self.redis_url
            && !(url.starts_with("redis://") || url.starts_with("rediss://"))
        {
            return Err(ConfigError::key(
                "redis_url",
                "must start with redis:// or rediss://",
            ));
        }
        if self.redis_prefix.is_empty() {
            return Err(ConfigError::key(
                "redis_prefix",
                "must not be empty (several deployments may share a Redis)",
            ));
        }
        if self.database.max_connections == 0 {
            return Err(ConfigError::key(
                "database.max_connections",
                "must be at least 1",
            ));
        }
        if self.ephemeral.max_entries < 1000 {
            return Err(ConfigError::key(
                "ephemeral.max_entries",
                "must be at least 1000",
            ));
        }
        if self.http.request_timeout_seconds == 0 {
            return Err(ConfigError::key(
                "http.request_timeout_seconds",
                "must be at least 1",
            ));
        }
        if self.http.header_read_timeout_seconds == 0 {
            return Err(ConfigError::key(
                "http.header_read_timeout_seconds",
                "must be at least 1",
            ));
        }
        if self.http.max_connections == 0 {
            return Err(ConfigError::key(
                "http.max_connections",
                "must be at least 1",
            ));
        }
        self.metrics_addr()?;
        if self.password.memory_kib < 8 * self.password.parallelism || self.password.iterations == 0
        {
            return Err(ConfigError::key(
                "password",
                "Argon2id needs iterations >= 1 and memory_kib >= 8 x parallelism",
            ));
        }
        if self.password.workers.is_some_and(|w| w.get() > 256) {
            return Err(ConfigError::key(
                "password.workers",
                "must be at most 256 (each holds memory_kib while it hashes)",
            ));
        }
        if self
            .password
            .queue_capacity
            .is_some_and(|q| q.get() > 100_000)
        {
            return Err(ConfigError::key(
                "password.queue_capacity",
                "must be at most 100000 (its places are reserved at start)",
            ));
        }
        crate::http::client_ip::TrustedProxies::parse(&self.http.trusted_proxies)
            .map_err(|m| ConfigError::key("http.trusted_proxies", m))?;
        if self.retention.interval_seconds == 0 {
            return Err(ConfigError::key(
                "retention.interval_seconds",
                "must be at least 1",
            ));
        }
        self.secrets.validate()?;
        let feature =
            |r: Result<(), reg::ConfigError>| r.map_err(|e| ConfigError::key(e.key, e.message));
        feature(self.proofing.validate())?;
        feature(self.sms.validate())?;
        self.check_time_budgets()?;
        feature(self.otp.validate())?;
        feature(self.enrollment.validate())?;
        feature(self.limits.enrollment.validate())?;
        self.oidc()
            .validate()
            .map_err(|e| ConfigError::key(e.key, e.problem))?;
        // Accounts record the proofing framework and discovery advertises
        // the supported ones: an app checking one against the other must
        // find it.
        if !self
            .assurance
            .trust_frameworks
            .contains(&self.proofing.trust_framework)
        {
            return Err(ConfigError::key(
                "assurance.trust_frameworks",
                "must include proofing.trust_framework (accounts record it in verified_claims)",
            ));
        }
        self.admin
            .validate()
            .map_err(|e| ConfigError::key(format!("admin.{}", e.key), e.problem))?;
        self.account
            .validate()
            .map_err(|e| ConfigError::key(format!("account.{}", e.key), e.problem))?;
        self.refuse_dev_settings_in_production()
    }

    /// The outside calls made inside one request must end before the
    /// request's own timeout, with [`ANSWER_MARGIN`] left to answer: a
    /// proofing service that hangs must end in `identity_service_unavailable`,
    /// not in the server's bare 408 while the retries still run.
    fn check_time_budgets(&self) -> Result<(), ConfigError> {
        let request = Duration::from_secs(self.http.request_timeout_seconds);
        let room = request.saturating_sub(ANSWER_MARGIN);
        let secs = |d: Duration| format!("{:.1} s", d.as_secs_f64());
        if self.proofing.provider == reg::ProofingProvider::Dopa {
            let worst = self.proofing.dopa.worst_case();
            if worst > room {
                return Err(ConfigError::key(
                    "proofing.dopa.timeout_seconds",
                    format!(
                        "one card check may take {} (timeout_seconds × (retries + 1) plus the \
                         back-off), more than http.request_timeout_seconds less {} to answer \
                         ({}): lower proofing.dopa.timeout_seconds or retries, or raise the \
                         request timeout",
                        secs(worst),
                        secs(ANSWER_MARGIN),
                        secs(room)
                    ),
                ));
            }
        }
        if self.sms.provider == reg::SmsProvider::Http {
            let worst = Duration::from_secs(self.sms.http.timeout_seconds);
            if worst > room {
                return Err(ConfigError::key(
                    "sms.http.timeout_seconds",
                    format!(
                        "one SMS may take {}, more than http.request_timeout_seconds less {} \
                         to answer ({})",
                        secs(worst),
                        secs(ANSWER_MARGIN),
                        secs(room)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The development settings in force, by key: each is right on a
    /// developer's machine and wrong anywhere real (fictional citizens pass
    /// proofing, codes go to a file, keys appear from nowhere).
    fn dev_settings(&self) -> Vec<&'static str> {
        let mut found = Vec::new();
        if self.proofing.provider == reg::ProofingProvider::RegistryFile {
            found.push("proofing.provider = \"registry_file\"");
        }
        if self.sms.provider == reg::SmsProvider::Outbox {
            found.push("sms.provider = \"outbox\"");
        }
        if self.secrets.may_generate() {
            found.push("secrets.generate_missing = true");
        }
        found
    }

    /// Off a loopback `http` issuer, development settings need `dev_mode`:
    /// out of the box Pratu must fail closed, not serve the dev registry.
    fn refuse_dev_settings_in_production(&self) -> Result<(), ConfigError> {
        if self.dev_mode || self.insecure_loopback() {
            return Ok(());
        }
        let found = self.dev_settings();
        if found.is_empty() {
            return Ok(());
        }
        Err(ConfigError::DevSettings {
            issuer: self.issuer.clone().unwrap_or_default(),
            settings: found.join(", "),
        })
    }

    pub fn listen_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.listen.parse().map_err(|_| {
            ConfigError::key(
                "listen",
                format!("`{}` is not an address such as 127.0.0.1:8080", self.listen),
            )
        })
    }

    pub fn metrics_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.metrics.listen.parse().map_err(|_| {
            ConfigError::key(
                "metrics.listen",
                format!(
                    "`{}` is not an address such as 127.0.0.1:9464",
                    self.metrics.listen
                ),
            )
        })
    }

    /// The provider's sections, bundled as `pratu-oidc` takes them.
    pub fn oidc(&self) -> oidc::OidcConfig {
        oidc::OidcConfig {
            tokens: self.tokens.clone(),
            session: self.session.clone(),
            keys: self.keys.clone(),
            clients: self.clients.clone(),
            login: self.limits.login.clone(),
            authorize: self.limits.authorize.clone(),
            assurance: self.assurance.clone(),
            otp_sends_per_phone: oidc::PhoneSendLimit {
                max: self.limits.enrollment.otp_sends_per_phone.max,
                window_seconds: self.limits.enrollment.otp_sends_per_phone.window_seconds,
            },
        }
    }

    /// The issuer in force once the listener is bound.
    pub fn effective_issuer(&self, bound: SocketAddr) -> String {
        self.issuer
            .clone()
            .unwrap_or_else(|| format!("http://{bound}"))
    }

    /// Whether cookies may drop `Secure`: only for an http issuer on a
    /// loopback host (local development).
    pub fn insecure_loopback(&self) -> bool {
        match &self.issuer {
            Some(issuer) => url_parts(issuer).is_some_and(|u| u.scheme == "http" && u.loopback),
            None => self.listen_addr().is_ok_and(|a| a.ip().is_loopback()),
        }
    }

    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("pratu.db").display()
            )
        })
    }
}

fn validate_issuer(issuer: &str) -> Result<(), ConfigError> {
    let parts = url_parts(issuer).ok_or_else(|| {
        ConfigError::key(
            "issuer",
            "must be an absolute http(s) URL such as https://id.example.go.th",
        )
    })?;
    if parts.scheme == "http" && !parts.loopback {
        return Err(ConfigError::key(
            "issuer",
            "must use https (http is allowed only for a loopback host such as 127.0.0.1 or localhost)",
        ));
    }
    if issuer.ends_with('/') || issuer.contains(['?', '#']) {
        return Err(ConfigError::key(
            "issuer",
            "must not end with `/` nor carry a query or fragment",
        ));
    }
    Ok(())
}

struct UrlParts {
    scheme: &'static str,
    loopback: bool,
}

fn url_parts(url: &str) -> Option<UrlParts> {
    let (scheme, rest) = if let Some(rest) = url.strip_prefix("https://") {
        ("https", rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        ("http", rest)
    } else {
        return None;
    };
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let host = if authority.starts_with('[') {
        authority
            .split(']')
            .next()
            .map(|h| h.trim_start_matches('['))?
    } else {
        authority.split(':').next()?
    };
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    Some(UrlParts { scheme, loopback })
}

/// One line naming the key and where its value came from: the file, or the
/// `PRATU_…` variable.
fn describe(e: figment::Error) -> ConfigError {
    let key = e.path.join(".");
    let message = one_line(&e.kind.to_string());
    let source = match &e.metadata {
        Some(m) => match &m.source {
            Some(figment::Source::File(path)) => format!(" (from {})", path.display()),
            _ if !key.is_empty() && m.name.ends_with("environment variable(s)") => format!(
                " (from PRATU_{})",
                key.to_ascii_uppercase().replace('.', "__")
            ),
            _ => format!(" (from {})", m.name),
        },
        None => String::new(),
    };
    if key.is_empty() {
        ConfigError::Invalid(format!("{message}{source}"))
    } else {
        ConfigError::key(key, format!("{message}{source}"))
    }
}

/// A TOML syntax error comes over several lines, with the offending line
/// drawn and marked (`1 | …`, `  ^`); its first line has the position and
/// its last the reason.
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| {
            let drawn = l.starts_with('|')
                || l.starts_with('^')
                || l.split_once(" |")
                    .is_some_and(|(n, _)| n.chars().all(|c| c.is_ascii_digit()));
            !l.is_empty() && !drawn
        })
        .collect::<Vec<_>>()
        .join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_config_file_equals_the_built_in_defaults() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../config/pratu.toml"
        ))
        .unwrap();
        let parsed = Config::from_toml(&text).unwrap();
        assert_eq!(parsed, Config::default());
    }

    /// The DOPA client's defaults were 10 s × 3 attempts plus back-off:
    /// 31.5 s against a 30 s request timeout, so a hanging service ended in
    /// a bare 408 instead of `identity_service_unavailable`.
    #[test]
    fn outside_calls_must_fit_in_the_request_timeout() {
        let mut config = Config::default();
        config.proofing.provider = reg::ProofingProvider::Dopa;
        assert!(config.check_time_budgets().is_ok(), "the defaults fit");
        config.proofing.dopa.timeout_seconds = 10;
        let err = config.check_time_budgets().unwrap_err().to_string();
        assert!(err.contains("proofing.dopa.timeout_seconds"), "{err}");
        assert!(err.contains("31.5 s"), "{err}");
        config.http.request_timeout_seconds = 40;
        assert!(config.check_time_budgets().is_ok());

        let mut config = Config::default();
        config.sms.provider = reg::SmsProvider::Http;
        config.http.request_timeout_seconds = 10;
        let err = config.check_time_budgets().unwrap_err().to_string();
        assert!(err.contains("sms.http.timeout_seconds"), "{err}");
    }

    /// Accounts recorded `pratu_dopa_laser` while discovery advertised
    /// `th_dopa_laser`, so an app checking one against the other refused
    /// every citizen. The defaults now agree, and a configuration where they
    /// differ does not start.
    #[test]
    fn the_recorded_trust_framework_is_one_discovery_advertises() {
        let config = Config::default();
        assert!(
            config
                .oidc()
                .assurance
                .trust_frameworks
                .contains(&config.proofing.trust_framework)
        );
        let mut config = Config::default();
        config.proofing.trust_framework = "pratu_dopa_laser".into();
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("assurance.trust_frameworks"), "{err}");
    }

    /// Every key of the built-in defaults is shown (set, or commented out
    /// when it has no default) in the table it belongs to.
    #[test]
    fn the_shipped_config_file_documents_every_key() {
        fn leaves(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
            if let serde_json::Value::Object(map) = v {
                for (k, child) in map {
                    if child.is_object() && !child.as_object().unwrap().is_empty() {
                        let table = if prefix.is_empty() {
                            k.clone()
                        } else {
                            format!("{prefix}.{k}")
                        };
                        leaves(&table, child, out);
                    } else if child.is_object() {
                        out.push((prefix.to_owned(), format!("[{k}]")));
                    } else {
                        out.push((prefix.to_owned(), k.clone()));
                    }
                }
            }
        }
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../config/pratu.toml"
        ))
        .unwrap();
        let mut shown = std::collections::HashSet::new();
        let mut table = String::new();
        for line in text.lines() {
            let l = line.trim_start_matches("# ").trim();
            if let Some(t) = l.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
                if !t.contains(' ') {
                    table = t.to_owned();
                    if let Some((parent, last)) = t.rsplit_once('.') {
                        shown.insert((parent.to_owned(), format!("[{last}]")));
                    }
                }
            } else if let Some((k, _)) = l.split_once(" =") {
                shown.insert((table.clone(), k.trim().to_owned()));
            }
        }
        let mut all = Vec::new();
        leaves(
            "",
            &serde_json::to_value(Config::default()).unwrap(),
            &mut all,
        );
        let missing: Vec<_> = all.iter().filter(|k| !shown.contains(*k)).collect();
        assert!(
            missing.is_empty(),
            "config/pratu.toml does not document: {missing:?}"
        );
    }

    #[test]
    fn an_unknown_key_is_named_in_the_error() {
        let err = Config::from_toml("lisen = \"127.0.0.1:1\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("lisen"), "{err}");
    }

    #[test]
    fn a_wrongly_typed_nested_key_is_named_in_the_error() {
        let err = Config::from_toml("[database]\nmax_connections = \"many\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("database.max_connections"), "{err}");
    }

    #[test]
    fn an_http_issuer_is_refused_unless_loopback() {
        let err = Config::from_toml("issuer = \"http://id.example.go.th\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("`issuer`"), "{err}");
        assert!(
            Config::from_toml("issuer = \"http://localhost:9000\"")
                .unwrap()
                .insecure_loopback()
        );
        assert!(
            Config::from_toml("issuer = \"http://[::1]:9000\"")
                .unwrap()
                .insecure_loopback()
        );
        assert!(
            !Config::from_toml("issuer = \"https://id.example.go.th\"\ndev_mode = true")
                .unwrap()
                .insecure_loopback()
        );
    }

    /// Out of the box, a public issuer must not run on fictional citizens,
    /// an SMS file and invented keys: each is named, in one line.
    #[test]
    fn development_settings_are_refused_with_a_public_issuer_unless_dev_mode() {
        let public = "issuer = \"https://id.example.go.th\"\n";
        let err = Config::from_toml(public).unwrap_err().to_string();
        assert_eq!(err.lines().count(), 1, "{err}");
        for key in [
            "proofing.provider",
            "sms.provider",
            "secrets.generate_missing",
            "dev_mode",
        ] {
            assert!(err.contains(key), "{key}: {err}");
        }
        assert!(Config::from_toml(&format!("{public}dev_mode = true")).is_ok());
        // Loopback http is development: accepted as it is.
        assert!(Config::from_toml("issuer = \"http://127.0.0.1:8080\"").is_ok());
        assert!(Config::from_toml("").is_ok());

        let key = "c2VjcmV0LWtleS1tYXRlcmlhbC0wMTIzNDU2Nzg5YWI=";
        let production = format!(
            "{public}[proofing]\nprovider = \"dopa\"\n[sms]\nprovider = \"http\"\n\
             [sms.http]\nurl = \"https://sms.example.go.th/send\"\n"
        );
        let err = Config::from_toml(&production).unwrap_err().to_string();
        assert!(err.contains("secrets.generate_missing"), "{err}");
        assert!(!err.contains("sms.provider"), "{err}");
        // Generation on but every key set: nothing can be generated.
        let all_keys = format!(
            "{production}[secrets]\npii_key = \"{key}\"\nindex_key = \"{key}\"\n\
             key_encryption_key = \"{key}\"\nserver_key = \"{key}\"\n"
        );
        assert!(Config::from_toml(&all_keys).is_ok());
        let no_generation = format!("{production}[secrets]\ngenerate_missing = false\n");
        assert!(Config::from_toml(&no_generation).is_ok());
    }

    #[test]
    fn without_an_issuer_a_public_listen_address_is_refused() {
        let err = Config::from_toml("listen = \"0.0.0.0:8080\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("`issuer`"), "{err}");
        let c = Config::default();
        assert_eq!(
            c.effective_issuer("127.0.0.1:4321".parse().unwrap()),
            "http://127.0.0.1:4321"
        );
        assert!(c.insecure_loopback());
    }

    #[test]
    fn a_syntax_error_is_one_line_with_its_position_and_reason() {
        let err = Config::from_toml("listen = \"127.0.0.1:1\n[otp]\nttl_seconds = 3\n")
            .unwrap_err()
            .to_string();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains("line 1, column 22") && err.contains("invalid basic string"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_listen_address_is_named() {
        let err = Config::from_toml("listen = \"everywhere\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("`listen`"), "{err}");
    }

    #[test]
    fn the_default_database_is_a_sqlite_file_in_the_data_dir() {
        let c = Config::default();
        assert_eq!(c.database_url(), "sqlite://./data/pratu.db?mode=rwc");
    }
}
#[cfg(test)]
mod dump {
    #[test]
    #[ignore = "developer tool: prints the defaults as JSON"]
    fn dump_defaults() {
        println!(
            "{}",
            serde_json::to_string_pretty(&super::Config::default()).unwrap()
        );
    }
}
