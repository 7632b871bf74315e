//! OAuth 2.0 error responses of the JSON endpoints (token, introspection,
//! revocation: RFC 6749 §5.2) and of protected resources (userinfo:
//! RFC 6750 §3).

use pratu_core::web::error::InternalError;
use std::borrow::Cow;

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, PRAGMA, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// The registered error codes Pratu returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    InvalidToken,
    InsufficientScope,
    ServerError,
    /// RFC 6749 §4.1.2.1; here also for a resource or introspection that
    /// cannot judge a token while a backing store is down (RFC 6750 has no
    /// code for it).
    TemporarilyUnavailable,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }
}

/// How a 401 challenges the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Challenge {
    None,
    /// The client tried HTTP Basic (RFC 6749 §5.2: answer with 401 and the
    /// scheme it used).
    Basic,
    /// A protected resource (RFC 6750 §3).
    Bearer,
    /// A protected resource called without any token: 401 with a bare
    /// `Bearer` challenge and no error code (RFC 6750 §3.1).
    BearerBare,
}

/// An OAuth error: `{"error", "error_description"}` with the status and
/// headers the RFCs prescribe.
#[derive(Debug, Clone)]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: Cow<'static, str>,
    pub challenge: Challenge,
    /// Why the server failed, for the log (never the body): attached to
    /// the response and logged once, with the request id, by
    /// `pratu_core::web::log_internal_errors`.
    pub cause: Option<InternalError>,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            description: description.into(),
            challenge: Challenge::None,
            cause: None,
        }
    }

    /// Records why the server failed (logged, never shown).
    #[must_use]
    pub fn caused_by(mut self, cause: impl Into<InternalError>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    pub fn invalid_request(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, d)
    }

    pub fn invalid_grant(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidGrant, d)
    }

    pub fn invalid_client(d: impl Into<Cow<'static, str>>, challenge: Challenge) -> Self {
        Self {
            code: ErrorCode::InvalidClient,
            description: d.into(),
            challenge,
            cause: None,
        }
    }

    pub fn invalid_token(d: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code: ErrorCode::InvalidToken,
            description: d.into(),
            challenge: Challenge::Bearer,
            cause: None,
        }
    }

    pub fn missing_bearer() -> Self {
        Self {
            code: ErrorCode::InvalidToken,
            description: Cow::Borrowed("an access token is required"),
            challenge: Challenge::BearerBare,
            cause: None,
        }
    }

    pub fn server_error() -> Self {
        Self::new(
            ErrorCode::ServerError,
            "the server could not complete the request",
        )
    }

    /// A 503 the client may retry: a store the answer depends on is down.
    pub fn temporarily_unavailable() -> Self {
        Self::new(
            ErrorCode::TemporarilyUnavailable,
            "the server cannot answer now; try again later",
        )
    }

    pub fn status(&self) -> StatusCode {
        match self.code {
            ErrorCode::InvalidClient | ErrorCode::InvalidToken => StatusCode::UNAUTHORIZED,
            ErrorCode::InsufficientScope => StatusCode::FORBIDDEN,
            ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = serde_json::json!({
            "error": self.code.as_str(),
            "error_description": self.description,
        });
        let mut res = (status, body.to_string()).into_response();
        let h = res.headers_mut();
        h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(PRAGMA, HeaderValue::from_static("no-cache"));
        if status == StatusCode::SERVICE_UNAVAILABLE {
            // A store or service is down, not the caller's credential:
            // no challenge, and when to try again (it is back within
            // seconds of the dependency's return).
            h.insert(
                RETRY_AFTER,
                HeaderValue::from(pratu_core::web::error::OUTAGE_RETRY_AFTER_SECONDS),
            );
        }
        let challenge = match (self.challenge, status) {
            (_, StatusCode::SERVICE_UNAVAILABLE) => None,
            (Challenge::Basic, StatusCode::UNAUTHORIZED) => {
                Some(r#"Basic realm="pratu""#.to_owned())
            }
            (Challenge::BearerBare, _) => Some(r#"Bearer realm="pratu""#.to_owned()),
            (Challenge::Bearer, _) => Some(format!(
                r#"Bearer realm="pratu", error="{}", error_description="{}""#,
                self.code.as_str(),
                self.description.replace(['"', '\\'], "'")
            )),
            _ => None,
        };
        if let Some(v) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            h.insert(WWW_AUTHENTICATE, v);
        }
        match self.cause {
            Some(cause) => cause.attach(res),
            None => res,
        }
    }
}

/// Logs an internal failure (never with personal data) and answers
/// `server_error`.
pub fn internal(e: &(dyn std::error::Error + 'static)) -> OAuthError {
    let answer = if pratu_core::web::error::is_outage(e) {
        OAuthError::temporarily_unavailable()
    } else {
        OAuthError::server_error()
    };
    answer.caused_by(InternalError::describing(e))
}
