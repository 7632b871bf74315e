//! RFC 9457 problem details with a stable `code` for every refusal of the
//! account API, written by `pratu_core::web::Problem`. Details never repeat
//! what the client sent; an internal error's cause goes to the log (once,
//! with the request id), never to the body.

use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pratu_core::access::ACCOUNT_SCOPE;
use pratu_core::web::Problem as CoreProblem;
use pratu_core::web::error::InternalError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::service::AccountError;

/// Everything the account API answers besides success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No `Authorization: Bearer` token at all (401, no error code in
    /// `WWW-Authenticate`, RFC 6750 §3.1).
    #[error("the access token is missing")]
    MissingToken,
    /// A token that is not valid (any more): 401 `invalid_token`.
    #[error("{0}")]
    InvalidToken(&'static str),
    /// A valid token without scope `account` of the client
    /// `pratu-account`: 403 `insufficient_scope`.
    #[error("the access token does not allow the account API")]
    InsufficientScope,
    /// The provider cannot check tokens now: 503 with `Retry-After`.
    #[error("the access token cannot be checked now")]
    Unavailable,
    /// The body is not JSON of the expected shape.
    #[error("{detail}")]
    MalformedBody {
        status: StatusCode,
        detail: &'static str,
    },
    #[error(transparent)]
    Account(#[from] AccountError),
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let (status, detail) = match rejection {
            JsonRejection::MissingJsonContentType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Send the body as JSON with Content-Type: application/json.",
            ),
            JsonRejection::JsonDataError(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "The JSON body does not have the expected fields.",
            ),
            _ => (StatusCode::BAD_REQUEST, "The body is not valid JSON."),
        };
        Self::MalformedBody { status, detail }
    }
}

/// RFC 9457 problem details as the API answers them (this struct documents
/// the shape in the OpenAPI document).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `urn:pratu:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code: `invalid_token`, `insufficient_scope`,
    /// `invalid_password`, `password_policy`, `password_too_common`,
    /// `password_contains_username`, `invalid_phone`, `phone_unchanged`,
    /// `no_phone_change`, `otp_invalid`, `otp_expired`, `totp_already_active`,
    /// `no_totp_pending`, `no_totp`,
    /// `too_many_attempts`, `sms_unavailable`, `app_not_found`,
    /// `invalid_request`, `temporarily_unavailable`, `service_unavailable`,
    /// `internal`.
    pub code: String,
    /// `otp_invalid`: guesses left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts_left: Option<u32>,
    /// `too_many_attempts`, `temporarily_unavailable`: seconds to wait.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

fn bearer(value: &'static str) -> (header::HeaderName, HeaderValue) {
    (header::WWW_AUTHENTICATE, HeaderValue::from_static(value))
}

const INVALID_TOKEN: &str = "Bearer error=\"invalid_token\"";
const INSUFFICIENT_SCOPE: &str = "Bearer error=\"insufficient_scope\", scope=\"account\"";

fn title(code: &str) -> &'static str {
    match code {
        "invalid_token" => "Invalid access token",
        "insufficient_scope" => "Insufficient scope",
        "invalid_password" => "Wrong password",
        "password_policy" => "Password does not meet the policy",
        "password_too_common" => "Password too common",
        "password_contains_username" => "Password contains the username",
        "invalid_phone" => "Invalid mobile number",
        "phone_unchanged" => "Same mobile number",
        "no_phone_change" => "No phone change pending",
        "otp_invalid" => "Wrong code",
        "otp_expired" => "Code expired",
        "too_many_attempts" => "Too many attempts",
        "sms_unavailable" => "SMS unavailable",
        "app_not_found" => "Application not found",
        "passkeys_unsupported" => "Passkeys unavailable",
        "passkey_refused" => "Passkey not accepted",
        "passkey_expired" => "Passkey registration expired",
        "passkey_not_found" => "Passkey not found",
        "invalid_passkey_name" => "Invalid passkey name",
        "too_many_passkeys" => "Too many passkeys",
        "invalid_request" => "Invalid request",
        "temporarily_unavailable" => "Temporarily unavailable",
        "service_unavailable" => "Service unavailable",
        _ => "Internal error",
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect::<String>() + ".")
        .unwrap_or_default()
}

fn problem(status: StatusCode, code: &'static str, detail: impl Into<String>) -> CoreProblem {
    CoreProblem::new(status, code, title(code), detail)
}

fn with_retry(p: CoreProblem, seconds: u64) -> CoreProblem {
    let p = p.with("retry_after", seconds);
    match HeaderValue::from_str(&seconds.to_string()) {
        Ok(v) => p.header(header::RETRY_AFTER, v),
        Err(_) => p,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::MissingToken => {
                let (h, v) = bearer("Bearer");
                problem(
                    StatusCode::UNAUTHORIZED,
                    "invalid_token",
                    "Send an access token of scope `account` as Authorization: Bearer <token>.",
                )
                .header(h, v)
                .into_response()
            }
            Self::InvalidToken(why) => {
                let (h, v) = bearer(INVALID_TOKEN);
                problem(StatusCode::UNAUTHORIZED, "invalid_token", capitalised(why))
                    .header(h, v)
                    .into_response()
            }
            Self::InsufficientScope => {
                let (h, v) = bearer(INSUFFICIENT_SCOPE);
                problem(
                    StatusCode::FORBIDDEN,
                    "insufficient_scope",
                    format!(
                        "The account API needs an access token of scope `{ACCOUNT_SCOPE}`, which \
                         only the Digital ID account app obtains."
                    ),
                )
                .header(h, v)
                .into_response()
            }
            // The stores that check tokens are down: the one answer every
            // JSON API gives an outage (`temporarily_unavailable` is the
            // busy password hasher's).
            Self::Unavailable => with_retry(
                problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "service_unavailable",
                    "The access token cannot be checked now. Try again shortly.",
                ),
                pratu_core::web::error::OUTAGE_RETRY_AFTER_SECONDS,
            )
            .into_response(),
            Self::MalformedBody { status, detail } => {
                problem(status, "invalid_request", detail).into_response()
            }
            Self::Account(e) => account_problem(e).into_response(),
        }
    }
}

fn account_problem(e: AccountError) -> CoreProblem {
    use AccountError as E;
    let code = e.code();
    let detail = capitalised(&e.to_string());
    match e {
        E::AccountGone => {
            let (h, v) = bearer(INVALID_TOKEN);
            problem(
                StatusCode::UNAUTHORIZED,
                code,
                "The account of this token is no longer available.",
            )
            .header(h, v)
        }
        E::InvalidPassword => problem(StatusCode::FORBIDDEN, code, detail),
        E::TooManyAttempts { retry_after } => {
            let p = problem(StatusCode::TOO_MANY_REQUESTS, code, detail);
            match retry_after {
                Some(s) => with_retry(p, s),
                None => p,
            }
        }
        E::WeakPassword(_) | E::InvalidPhone | E::PhoneUnchanged | E::OtpExpired => {
            problem(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
        }
        E::OtpInvalid { attempts_left } => {
            let p = problem(StatusCode::UNPROCESSABLE_ENTITY, code, detail);
            match attempts_left {
                Some(n) => p.with("attempts_left", n),
                None => p,
            }
        }
        E::NoPhoneChange | E::TotpAlreadyActive | E::NoTotpPending | E::NoTotp => {
            problem(StatusCode::CONFLICT, code, detail)
        }
        E::AppNotFound | E::PasskeyNotFound => problem(StatusCode::NOT_FOUND, code, detail),
        E::PasskeyRefused | E::PasskeyExpired | E::InvalidPasskeyName => {
            problem(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
        }
        E::TooManyPasskeys => problem(StatusCode::CONFLICT, code, detail),
        E::PasskeysUnsupported => problem(StatusCode::NOT_IMPLEMENTED, code, detail),
        E::SmsUnavailable => with_retry(
            problem(StatusCode::SERVICE_UNAVAILABLE, code, detail),
            pratu_core::web::error::OUTSIDE_SERVICE_RETRY_AFTER_SECONDS,
        ),
        E::Busy => with_retry(
            problem(StatusCode::SERVICE_UNAVAILABLE, code, detail),
            pratu_core::password::BUSY_RETRY_AFTER_SECONDS,
        ),
        E::Internal(source) => CoreProblem::internal(InternalError::from_boxed(source)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    async fn body(r: Response) -> Value {
        let bytes = axum::body::to_bytes(r.into_body(), 10_000).await.unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn a_token_without_the_scope_is_403_with_the_scope_named() {
        let r = ApiError::InsufficientScope.into_response();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            r.headers()[header::WWW_AUTHENTICATE],
            "Bearer error=\"insufficient_scope\", scope=\"account\""
        );
        assert_eq!(
            r.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        assert_eq!(body(r).await["code"], "insufficient_scope");
    }

    #[tokio::test]
    async fn a_wrong_password_is_403_invalid_password() {
        let r = ApiError::from(AccountError::InvalidPassword).into_response();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let v = body(r).await;
        assert_eq!(v["code"], "invalid_password");
        assert_eq!(v["type"], "urn:pratu:problem:invalid_password");
    }

    #[tokio::test]
    async fn limits_and_busy_say_when_to_retry() {
        let r = ApiError::from(AccountError::TooManyAttempts {
            retry_after: Some(900),
        })
        .into_response();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[header::RETRY_AFTER], "900");
        let r = ApiError::Unavailable.into_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(r.headers().contains_key(header::RETRY_AFTER));
        let r = ApiError::from(AccountError::SmsUnavailable).into_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[header::RETRY_AFTER], "5");
    }

    #[tokio::test]
    async fn internal_errors_say_nothing_of_the_cause() {
        let r = ApiError::from(AccountError::internal(std::io::Error::other(
            "database password wrong",
        )))
        .into_response();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!body(r).await.to_string().contains("password"));
    }
}
