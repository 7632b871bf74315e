//! Configuration sections this crate owns. The server reads them from its
//! figment layers under the keys named on each struct (`proofing`, `sms`,
//! `otp`, `enrollment`, `limits`) and calls `validate()` before building.

mod enrollment;
mod limits;
mod otp;
mod proofing;
mod sms;

pub use enrollment::{EnrollmentConfig, TermsConfig};
pub use limits::{LimitRule, LimitsConfig};
pub use otp::OtpConfig;
pub use proofing::{DopaConfig, ProofingConfig, ProofingProvider};
pub use sms::{HttpSmsConfig, SmsConfig, SmsProvider};

/// A configuration value that cannot work; `key` is its full dotted path
/// (`proofing.dopa.endpoint`) so the operator knows what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct ConfigError {
    pub key: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// Header maps carry credentials: print names only.
pub(crate) fn redacted_headers(
    headers: &std::collections::BTreeMap<String, String>,
) -> Vec<(&str, &'static str)> {
    headers.keys().map(|k| (k.as_str(), "[redacted]")).collect()
}

pub(crate) fn check_http_url(key: &str, value: &str) -> Result<(), ConfigError> {
    match url::Url::parse(value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => Err(ConfigError::new(key, "must be an http:// or https:// URL")),
    }
}

pub(crate) fn check_headers(
    key: &str,
    headers: &std::collections::BTreeMap<String, String>,
) -> Result<(), ConfigError> {
    for (name, value) in headers {
        if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err(ConfigError::new(
                format!("{key}.{name}"),
                "not a valid header name",
            ));
        }
        if http::HeaderValue::from_str(value).is_err() {
            return Err(ConfigError::new(
                format!("{key}.{name}"),
                "not a valid header value",
            ));
        }
    }
    Ok(())
}
