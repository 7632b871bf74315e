//! Errors of the admin API as RFC 9457 problem details with a stable
//! `code`, written by `pratu_core::web::Problem`. Details name what was
//! wrong, never secrets or personal data; an internal error's cause goes to
//! the log (once, with the request id), never to the body.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pratu_core::audit::Outcome;
use pratu_core::web::Problem as CoreProblem;
use pratu_core::web::error::InternalError;
use pratu_oidc::clients::ClientError;
use pratu_oidc::scopes::ADMIN_SCOPE;
use serde::Serialize;
use utoipa::ToSchema;

/// Everything the admin API answers with besides success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No bearer token, or one that is not valid (401, `invalid_token`).
    #[error("{0}")]
    Unauthorized(&'static str),
    /// A valid token without `pratu:admin`, or a user without the operator
    /// role (403, `insufficient_scope`).
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// A field was refused; `field` names it.
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("{0}")]
    BadRequest(String),
    #[error("a backing service is unavailable")]
    Unavailable,
    #[error("internal error")]
    Internal(InternalError),
}

/// RFC 9457 problem details, as `pratu_core::web::Problem` writes them
/// (this struct documents the shape in the OpenAPI document).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URN naming the problem type.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code, e.g. `invalid_token`, `not_found`.
    pub code: &'static str,
    /// The offending field, for `invalid_field`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
}

impl ApiError {
    /// An internal failure; its cause is logged by the server's
    /// `log_internal_errors` layer with the request id.
    pub fn internal(e: impl Into<InternalError>) -> Self {
        Self::Internal(e.into())
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "invalid_token", "Unauthorized"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "insufficient_scope", "Forbidden"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", "Not Found"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict", "Conflict"),
            Self::Invalid { .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                "Unprocessable Content",
            ),
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request", "Bad Request"),
            Self::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "service_unavailable",
                "Service Unavailable",
            ),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal Server Error",
            ),
        }
    }

    /// The problem's stable code (recorded in the audit event's details).
    pub fn code(&self) -> &'static str {
        self.parts().1
    }

    /// How a refused admin call reads in the audit log.
    pub fn audit_outcome(&self) -> Outcome {
        match self {
            Self::Unauthorized(_) | Self::Forbidden(_) => Outcome::Forbidden,
            _ => Outcome::Failure,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(cause) = self {
            // 500, or 503 with `Retry-After` when a store is down: the one
            // answer every JSON API gives.
            return CoreProblem::internal(cause).into_response();
        }
        let (status, code, title) = self.parts();
        let mut problem = CoreProblem::new(status, code, title, self.to_string());
        match self {
            Self::Invalid { field, .. } => problem = problem.with("field", field),
            // Fixed texts only: nothing the caller sent is echoed.
            Self::Unauthorized(d) => {
                problem = challenge(
                    problem,
                    format!("Bearer error=\"invalid_token\", error_description=\"{d}\""),
                );
            }
            Self::Forbidden(d) => {
                problem = challenge(
                    problem,
                    format!(
                        "Bearer error=\"insufficient_scope\", scope=\"{ADMIN_SCOPE}\", error_description=\"{d}\""
                    ),
                );
            }
            // The same answer as every JSON API's for a store that is down.
            Self::Unavailable => {
                problem = problem.header(
                    header::RETRY_AFTER,
                    HeaderValue::from(pratu_core::web::error::OUTAGE_RETRY_AFTER_SECONDS),
                );
            }
            _ => {}
        }
        problem.into_response()
    }
}

fn challenge(problem: CoreProblem, value: String) -> CoreProblem {
    match HeaderValue::from_str(&value) {
        Ok(v) => problem.header(header::WWW_AUTHENTICATE, v),
        Err(_) => problem,
    }
}

impl From<ClientError> for ApiError {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Invalid { field, reason } => Self::Invalid { field, reason },
            ClientError::NotFound => Self::NotFound("client"),
            ClientError::AlreadyExists => Self::Conflict("client_id"),
            ClientError::Storage(e) => Self::internal(e),
        }
    }
}

impl From<pratu_storage::StorageError> for ApiError {
    fn from(e: pratu_storage::StorageError) -> Self {
        Self::internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_outage_is_503_with_retry_after_and_a_bug_500() {
        let res = ApiError::internal(pratu_storage::StorageError::Full).into_response();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers()[header::RETRY_AFTER], "5");
        let res = ApiError::Unavailable.into_response();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers()[header::RETRY_AFTER], "5");
        let res = ApiError::internal(std::io::Error::other("bug")).into_response();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(res.headers().get(header::RETRY_AFTER).is_none());
    }

    #[test]
    fn refusals_carry_the_bearer_challenge_and_problem_json() {
        let res = ApiError::Unauthorized("the access token has expired").into_response();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        let ch = res.headers()[header::WWW_AUTHENTICATE].to_str().unwrap();
        assert!(ch.starts_with(r#"Bearer error="invalid_token""#), "{ch}");

        let res = ApiError::Forbidden("no role").into_response();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let ch = res.headers()[header::WWW_AUTHENTICATE].to_str().unwrap();
        assert!(ch.contains(r#"error="insufficient_scope""#), "{ch}");
        assert!(ch.contains(r#"scope="pratu:admin""#), "{ch}");

        let res = ApiError::NotFound("client").into_response();
        assert!(res.headers().get(header::WWW_AUTHENTICATE).is_none());
    }

    #[test]
    fn client_errors_map_to_statuses_without_internals() {
        let e: ApiError = ClientError::Invalid {
            field: "redirect_uris",
            reason: "no fragments".into(),
        }
        .into();
        assert_eq!(e.parts().0, StatusCode::UNPROCESSABLE_ENTITY);
        let e: ApiError = ClientError::AlreadyExists.into();
        assert_eq!(e.parts().0, StatusCode::CONFLICT);
        let e: ApiError = ClientError::Storage(pratu_storage::StorageError::unhandled(
            std::io::Error::other("secret detail"),
        ))
        .into();
        assert_eq!(e.to_string(), "internal error");
    }
}
