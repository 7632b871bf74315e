use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{ConfigError, check_headers, check_http_url, redacted_headers};

/// Which SMS sender delivers one-time codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmsProvider {
    /// Append each message to a JSON-lines file (development, tests).
    #[default]
    Outbox,
    /// POST to an HTTP SMS gateway.
    Http,
}

/// Top-level key `sms`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsConfig {
    pub provider: SmsProvider,
    /// Outbox file; unset means `<data_dir>/sms-outbox.jsonl`.
    pub outbox: Option<PathBuf>,
    pub http: HttpSmsConfig,
}

impl SmsConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        match self.provider {
            SmsProvider::Outbox => match &self.outbox {
                Some(p) if p.as_os_str().is_empty() => {
                    Err(ConfigError::new("sms.outbox", "must name a file when set"))
                }
                _ => Ok(()),
            },
            SmsProvider::Http => self.http.validate(),
        }
    }
}

/// Key `sms.http`: a generic gateway. The body template's `{to}` (E.164)
/// and `{text}` placeholders are replaced by JSON-escaped values (without the
/// quotes, so the template supplies them).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSmsConfig {
    pub url: String,
    /// `POST` or `PUT`.
    pub method: String,
    /// e.g. `Authorization = "Bearer …"`.
    pub headers: BTreeMap<String, String>,
    pub content_type: String,
    pub body_template: String,
    /// Must fit in `http.request_timeout_seconds` less 2 s (checked at
    /// start): a code is sent within the request that asks for it.
    pub timeout_seconds: u64,
}

impl Default for HttpSmsConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            method: "POST".into(),
            headers: BTreeMap::new(),
            content_type: "application/json".into(),
            body_template: r#"{"to": "{to}", "text": "{text}"}"#.into(),
            timeout_seconds: 10,
        }
    }
}

impl HttpSmsConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_http_url("sms.http.url", &self.url)?;
        if !matches!(self.method.to_ascii_uppercase().as_str(), "POST" | "PUT") {
            return Err(ConfigError::new("sms.http.method", "must be POST or PUT"));
        }
        if http::HeaderValue::from_str(&self.content_type).is_err() {
            return Err(ConfigError::new(
                "sms.http.content_type",
                "not a valid header value",
            ));
        }
        if !self.body_template.contains("{text}") {
            return Err(ConfigError::new(
                "sms.http.body_template",
                "must contain {text}",
            ));
        }
        if !self.body_template.contains("{to}") && !self.url.contains("{to}") {
            return Err(ConfigError::new(
                "sms.http.body_template",
                "must contain {to}",
            ));
        }
        if !(1..=120).contains(&self.timeout_seconds) {
            return Err(ConfigError::new(
                "sms.http.timeout_seconds",
                "must be between 1 and 120",
            ));
        }
        check_headers("sms.http.headers", &self.headers)
    }
}

impl fmt::Debug for HttpSmsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpSmsConfig")
            .field("url", &self.url)
            .field("method", &self.method)
            .field("headers", &redacted_headers(&self.headers))
            .field("content_type", &self.content_type)
            .field("body_template", &self.body_template)
            .field("timeout_seconds", &self.timeout_seconds)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_outbox_is_valid_and_http_needs_a_url() {
        assert_eq!(SmsConfig::default().validate(), Ok(()));
        let mut c = SmsConfig {
            provider: SmsProvider::Http,
            ..Default::default()
        };
        assert_eq!(c.validate().unwrap_err().key, "sms.http.url");
        c.http.url = "https://sms.example/send".into();
        assert_eq!(c.validate(), Ok(()));
        c.http.body_template = "{to}".into();
        assert_eq!(c.validate().unwrap_err().key, "sms.http.body_template");
        c.http.body_template = "{to} {text}".into();
        c.http.method = "GET".into();
        assert_eq!(c.validate().unwrap_err().key, "sms.http.method");
        c.http.method = "post".into();
        c.http.headers.insert("Bad Header".into(), "x".into());
        assert_eq!(c.validate().unwrap_err().key, "sms.http.headers.Bad Header");
    }

    #[test]
    fn gateway_credentials_never_print() {
        let mut c = HttpSmsConfig::default();
        c.headers
            .insert("Authorization".into(), "Bearer s3cret".into());
        assert!(!format!("{c:?}").contains("s3cret"));
    }
}
