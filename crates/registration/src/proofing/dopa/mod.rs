//! DOPA's online card-status check by laser code (`CheckCardByLaser`, SOAP
//! 1.2, DOMAIN.md §3). Each call is bounded by a timeout; only "unavailable"
//! answers (transport errors, timeouts, faults, unreadable bodies,
//! `IsError`) are retried, and they never count against the citizen. An
//! answer about the citizen (any `Code`) is final.

use std::time::Duration;

use async_trait::async_trait;
use http::{HeaderMap, HeaderName, HeaderValue};

use super::{IdentityProofing, NotVerifiedReason, ProofingOutcome, ProofingRequest};
use crate::config::DopaConfig;

mod soap;

use soap::{SOAP_ACTION, SoapAnswer, parse_response, request_envelope};

#[derive(Debug, thiserror::Error)]
pub enum DopaBuildError {
    #[error("invalid header {0} in proofing.dopa.headers")]
    Header(String),
    #[error("cannot build the HTTP client")]
    Client(#[source] reqwest::Error),
}

/// Timeouts and retries of the client, in their own units so tests can use
/// fractions of a second.
#[derive(Debug, Clone)]
pub struct DopaSettings {
    pub endpoint: String,
    pub headers: HeaderMap,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub retries: u32,
    pub retry_backoff: Duration,
}

impl TryFrom<&DopaConfig> for DopaSettings {
    type Error = DopaBuildError;

    fn try_from(c: &DopaConfig) -> Result<Self, Self::Error> {
        let mut headers = HeaderMap::new();
        for (name, value) in &c.headers {
            let n = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| DopaBuildError::Header(name.clone()))?;
            let mut v =
                HeaderValue::from_str(value).map_err(|_| DopaBuildError::Header(name.clone()))?;
            v.set_sensitive(true);
            headers.insert(n, v);
        }
        Ok(Self {
            endpoint: c.endpoint.clone(),
            headers,
            timeout: Duration::from_secs(c.timeout_seconds),
            connect_timeout: Duration::from_secs(c.connect_timeout_seconds),
            retries: c.retries,
            retry_backoff: Duration::from_millis(c.retry_backoff_ms),
        })
    }
}

/// The `CheckCardByLaser` client.
#[derive(Debug, Clone)]
pub struct DopaClient {
    http: reqwest::Client,
    settings: DopaSettings,
}

impl DopaClient {
    pub fn new(config: &DopaConfig) -> Result<Self, DopaBuildError> {
        Self::with_settings(DopaSettings::try_from(config)?)
    }

    pub fn with_settings(settings: DopaSettings) -> Result<Self, DopaBuildError> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.connect_timeout)
            .default_headers(settings.headers.clone())
            .build()
            .map_err(DopaBuildError::Client)?;
        Ok(Self { http, settings })
    }

    /// One call; `None` when the service could not answer.
    async fn call_once(&self, body: &str) -> Option<SoapAnswer> {
        let response = self
            .http
            .post(&self.settings.endpoint)
            .header(
                http::header::CONTENT_TYPE,
                format!(r#"application/soap+xml; charset=utf-8; action="{SOAP_ACTION}""#),
            )
            .body(body.to_owned())
            .send()
            .await;
        let response = match response {
            Ok(r) => r,
            Err(e) => {
                let kind = if e.is_timeout() {
                    "timeout"
                } else {
                    "transport"
                };
                tracing::warn!(dopa.error = kind, "DOPA card check failed");
                return None;
            }
        };
        let status = response.status();
        let text = match response.text().await {
            Ok(t) => t,
            Err(e) => {
                let kind = if e.is_timeout() { "timeout" } else { "body" };
                tracing::warn!(
                    dopa.error = kind,
                    http.status = status.as_u16(),
                    "DOPA card check failed"
                );
                return None;
            }
        };
        let answer = parse_response(&text);
        if !status.is_success()
            || !matches!(
                answer,
                SoapAnswer::Status {
                    is_error: false,
                    ..
                }
            )
        {
            let kind = match answer {
                SoapAnswer::Fault => "soap_fault",
                SoapAnswer::Malformed => "malformed",
                SoapAnswer::Status { is_error: true, .. } => "is_error",
                SoapAnswer::Status { .. } => "http_status",
            };
            tracing::warn!(
                dopa.error = kind,
                http.status = status.as_u16(),
                "DOPA card check failed"
            );
            return None;
        }
        Some(answer)
    }
}

/// Maps DOPA's codes (DOMAIN.md §3 table) to the port's outcome.
fn outcome(code: i64, desc: &str) -> ProofingOutcome {
    let reason = match code {
        0 => return ProofingOutcome::Verified { code: "0".into() },
        1 | 2 => NotVerifiedReason::CardInactive,
        4 if desc.to_lowercase().contains("laser") => NotVerifiedReason::NotFound,
        5 => NotVerifiedReason::MissingField,
        // 4 "ข้อมูลไม่ตรง", and any code not seen before: not verified.
        _ => NotVerifiedReason::Mismatch,
    };
    ProofingOutcome::NotVerified {
        reason,
        code: code.to_string(),
    }
}

#[async_trait]
impl IdentityProofing for DopaClient {
    fn provider(&self) -> &'static str {
        "dopa"
    }

    #[tracing::instrument(name = "pratu.proofing.dopa.check", skip_all)]
    async fn check(&self, request: &ProofingRequest) -> ProofingOutcome {
        let body = request_envelope(request);
        let mut backoff = self.settings.retry_backoff;
        for attempt in 0..=self.settings.retries {
            if attempt > 0 {
                tokio::time::sleep(backoff).await;
                backoff = backoff.saturating_mul(2);
            }
            if let Some(SoapAnswer::Status { code, desc, .. }) = self.call_once(&body).await {
                // `Desc` is a status text without personal data: support logs only.
                tracing::info!(dopa.code = code, dopa.desc = %desc, "DOPA card check answered");
                return outcome(code, &desc);
            }
        }
        ProofingOutcome::Unavailable
    }
}

#[cfg(test)]
mod tests;
