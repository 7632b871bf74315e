use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{ConfigError, check_headers, check_http_url, redacted_headers};

/// Which identity-proofing provider checks the laser code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProofingProvider {
    /// The CSV registry of fictional citizens (DESIGN.md "Registry file").
    #[default]
    RegistryFile,
    /// DOPA's `CheckCardByLaser` SOAP service.
    Dopa,
}

impl ProofingProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RegistryFile => "registry_file",
            Self::Dopa => "dopa",
        }
    }
}

/// Top-level key `proofing`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProofingConfig {
    pub provider: ProofingProvider,
    /// CSV registry for `provider = "registry_file"`.
    pub registry_file: PathBuf,
    pub dopa: DopaConfig,
    /// The assurance label recorded on proofed accounts and released as the
    /// `ial` claim (DOMAIN.md §4: a deployment decision).
    pub ial: String,
    /// The trust framework named in `verified_claims`.
    pub trust_framework: String,
}

impl Default for ProofingConfig {
    fn default() -> Self {
        Self {
            provider: ProofingProvider::RegistryFile,
            registry_file: PathBuf::from("config/dev-registry.csv"),
            dopa: DopaConfig::default(),
            ial: "2.1".into(),
            trust_framework: pratu_core::assurance::DOPA_LASER_TRUST_FRAMEWORK.into(),
        }
    }
}

impl ProofingConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.ial.trim().is_empty() {
            return Err(ConfigError::new("proofing.ial", "must not be empty"));
        }
        if self.trust_framework.trim().is_empty() {
            return Err(ConfigError::new(
                "proofing.trust_framework",
                "must not be empty",
            ));
        }
        match self.provider {
            ProofingProvider::RegistryFile => {
                if self.registry_file.as_os_str().is_empty() {
                    return Err(ConfigError::new(
                        "proofing.registry_file",
                        "must name a CSV file",
                    ));
                }
                Ok(())
            }
            ProofingProvider::Dopa => self.dopa.validate(),
        }
    }
}

/// Key `proofing.dopa`: the `CheckCardByLaser` client.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DopaConfig {
    pub endpoint: String,
    /// Whole-request timeout of one call. Every attempt and the back-off
    /// together must fit in `http.request_timeout_seconds` less 2 s
    /// (checked at start).
    pub timeout_seconds: u64,
    pub connect_timeout_seconds: u64,
    /// Extra attempts after an "unavailable" answer (never after an answer
    /// about the citizen).
    pub retries: u32,
    /// Pause before each retry, doubled every time.
    pub retry_backoff_ms: u64,
    /// Extra HTTP headers, e.g. the credentials an authorised agency gets.
    pub headers: BTreeMap<String, String>,
}

impl Default for DopaConfig {
    fn default() -> Self {
        Self {
            endpoint: "https://idcard.bora.dopa.go.th/CheckCardStatus/CheckCardService.asmx".into(),
            // 3 attempts of 8 s and 0.5 + 1 s of back-off: 25.5 s at worst,
            // inside the 30 s request timeout with room to answer.
            timeout_seconds: 8,
            connect_timeout_seconds: 5,
            retries: 2,
            retry_backoff_ms: 500,
            headers: BTreeMap::new(),
        }
    }
}

impl DopaConfig {
    /// The longest one card check can take: every attempt timing out, and
    /// the back-off (doubled each time) between them.
    pub fn worst_case(&self) -> std::time::Duration {
        let attempts = u64::from(self.retries) + 1;
        let backoff_ms = self
            .retry_backoff_ms
            .saturating_mul((1u64 << self.retries.min(16)).saturating_sub(1));
        std::time::Duration::from_secs(self.timeout_seconds.saturating_mul(attempts))
            + std::time::Duration::from_millis(backoff_ms)
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        check_http_url("proofing.dopa.endpoint", &self.endpoint)?;
        if !(1..=120).contains(&self.timeout_seconds) {
            return Err(ConfigError::new(
                "proofing.dopa.timeout_seconds",
                "must be between 1 and 120",
            ));
        }
        if !(1..=60).contains(&self.connect_timeout_seconds) {
            return Err(ConfigError::new(
                "proofing.dopa.connect_timeout_seconds",
                "must be between 1 and 60",
            ));
        }
        if self.retries > 5 {
            return Err(ConfigError::new(
                "proofing.dopa.retries",
                "must be at most 5",
            ));
        }
        if self.retry_backoff_ms > 10_000 {
            return Err(ConfigError::new(
                "proofing.dopa.retry_backoff_ms",
                "must be at most 10000",
            ));
        }
        check_headers("proofing.dopa.headers", &self.headers)
    }
}

impl fmt::Debug for DopaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DopaConfig")
            .field("endpoint", &self.endpoint)
            .field("timeout_seconds", &self.timeout_seconds)
            .field("connect_timeout_seconds", &self.connect_timeout_seconds)
            .field("retries", &self.retries)
            .field("retry_backoff_ms", &self.retry_backoff_ms)
            .field("headers", &redacted_headers(&self.headers))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_case_counts_every_attempt_and_the_doubling_back_off() {
        let c = DopaConfig::default();
        assert_eq!(c.worst_case(), std::time::Duration::from_millis(25_500));
        let c = DopaConfig {
            timeout_seconds: 10,
            retries: 3,
            retry_backoff_ms: 1000,
            ..DopaConfig::default()
        };
        // 4 × 10 s + (1 + 2 + 4) s.
        assert_eq!(c.worst_case(), std::time::Duration::from_secs(47));
    }

    #[test]
    fn defaults_are_valid_and_use_the_registry_file() {
        let c = ProofingConfig::default();
        assert_eq!(c.validate(), Ok(()));
        assert_eq!(c.provider, ProofingProvider::RegistryFile);
        assert_eq!(c.registry_file, PathBuf::from("config/dev-registry.csv"));
        let dopa = ProofingConfig {
            provider: ProofingProvider::Dopa,
            ..c
        };
        assert_eq!(dopa.validate(), Ok(()));
    }

    #[test]
    fn errors_name_the_key() {
        let mut c = ProofingConfig {
            provider: ProofingProvider::Dopa,
            ..Default::default()
        };
        c.dopa.endpoint = "ftp://x".into();
        assert_eq!(c.validate().unwrap_err().key, "proofing.dopa.endpoint");
        c.dopa.endpoint = "http://127.0.0.1:1/x".into();
        c.dopa.timeout_seconds = 0;
        assert_eq!(
            c.validate().unwrap_err().key,
            "proofing.dopa.timeout_seconds"
        );
        let c = ProofingConfig {
            ial: " ".into(),
            ..Default::default()
        };
        assert_eq!(c.validate().unwrap_err().key, "proofing.ial");
    }

    #[test]
    fn unknown_keys_are_refused_and_credentials_never_print() {
        let bad: Result<ProofingConfig, _> = serde_json::from_str(r#"{"provdier":"dopa"}"#);
        assert!(bad.is_err());
        let c: ProofingConfig =
            serde_json::from_str(r#"{"provider":"dopa","dopa":{"headers":{"Token":"s3cret"}}}"#)
                .unwrap();
        assert_eq!(c.provider, ProofingProvider::Dopa);
        assert!(!format!("{c:?}").contains("s3cret"));
    }
}
