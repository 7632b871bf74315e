//! Who may call the admin API: a bearer access token issued by this
//! provider (RFC 9068), verified with the provider's own checks, carrying
//! scope `pratu:admin`; for a user-bound token the user must hold the
//! operator role *now* (read from the account on every call).

use axum::extract::{FromRef, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use pratu_core::audit::AuditAction;
use pratu_oidc::BearerError;
use pratu_oidc::scopes::ADMIN_SCOPE;
use serde_json::json;

use crate::problem::ApiError;
use crate::state::AdminState;

/// An authorised admin caller.
#[derive(Debug, Clone)]
pub struct Operator {
    /// `client:<id>` (client credentials) or `user:<uuid>`.
    pub actor: String,
    /// The request's `x-request-id`, for the audit log.
    pub request_id: Option<String>,
}

pub(crate) use pratu_core::web::context::request_id;

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl<S> FromRequestParts<S> for Operator
where
    AdminState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let state = AdminState::from_ref(state);
        let request_id = request_id(&parts.headers);
        let path = parts.uri.path().to_owned();
        let deny = |actor: String, e: ApiError| {
            let state = state.clone();
            let request_id = request_id.clone();
            let path = path.clone();
            async move {
                state
                    .audit(
                        &actor,
                        AuditAction::AdminDenied,
                        None,
                        request_id.as_deref(),
                        e.audit_outcome(),
                        json!({"path": path, "code": e.code()}),
                    )
                    .await;
                e
            }
        };
        let Some(token) = bearer(&parts.headers) else {
            return Err(deny(
                "anonymous".into(),
                ApiError::Unauthorized("a bearer access token is required"),
            )
            .await);
        };
        let token = match state.oidc().verify_bearer(token).await {
            Ok(t) => t,
            Err(BearerError::Invalid(why)) => {
                return Err(deny("anonymous".into(), ApiError::Unauthorized(why)).await);
            }
            Err(BearerError::Unavailable) => return Err(ApiError::Unavailable),
        };
        let actor = match token.user_id {
            Some(u) => format!("user:{u}"),
            None => format!("client:{}", token.client_id),
        };
        if !token.has_scope(ADMIN_SCOPE) {
            return Err(deny(
                actor,
                ApiError::Forbidden("the access token lacks the pratu:admin scope"),
            )
            .await);
        }
        if let Some(user) = token.user_id {
            let ok = state
                .oidc()
                .is_operator(user)
                .await
                .map_err(ApiError::internal)?;
            if !ok {
                return Err(deny(
                    actor,
                    ApiError::Forbidden("the account does not hold the operator role"),
                )
                .await);
            }
        }
        Ok(Self { actor, request_id })
    }
}
