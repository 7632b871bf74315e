//! `/admin/api/v1/keys`: the signing keys, through
//! [`pratu_oidc::keys::KeyManager`] (as `pratu keys list|rotate`).

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use pratu_core::audit::AuditAction;
use pratu_oidc::keys::{KeyInfo, SigningAlg};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::query;
use crate::auth::Operator;
use crate::problem::{ApiError, Problem};
use crate::state::AdminState;

/// One signing key.
#[derive(Debug, ToSchema)]
#[expect(dead_code, reason = "documents the JSON of KeyInfo")]
pub struct Key {
    kid: String,
    /// `ES256`, `RS256` or `EdDSA`.
    alg: String,
    /// `pending`, `active` or `retired`.
    state: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    activates_at: String,
    #[schema(format = DateTime)]
    retires_at: Option<String>,
    #[schema(format = DateTime)]
    expires_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyList {
    #[schema(value_type = Vec<Key>)]
    pub keys: Vec<KeyInfo>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RotateQuery {
    /// Rotate only this algorithm (`ES256`, `RS256`, `EdDSA`); all when
    /// absent.
    pub alg: Option<String>,
}

#[utoipa::path(get, path = "/admin/api/v1/keys", tag = "keys",
    responses((status = 200, body = KeyList), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = ["pratu:admin"])))]
pub async fn list(State(s): State<AdminState>, op: Operator) -> Result<Json<KeyList>, ApiError> {
    let r = s.oidc().keys().list().await.map_err(ApiError::internal);
    let r = super::audited(&s, &op, AuditAction::AdminKeyListed, None, r).await;
    Ok(Json(KeyList { keys: r? }))
}

#[utoipa::path(post, path = "/admin/api/v1/keys/rotate", tag = "keys",
    params(RotateQuery),
    responses((status = 200, description = "The keys after rotation; the new ones sign after the activation delay", body = KeyList), (status = 422, body = Problem)),
    security(("bearer" = ["pratu:admin"])))]
pub async fn rotate(
    State(s): State<AdminState>,
    op: Operator,
    q: Result<Query<RotateQuery>, QueryRejection>,
) -> Result<Json<KeyList>, ApiError> {
    let q = query(q)?;
    let alg = match q.alg.as_deref() {
        None => None,
        Some(a) => Some(SigningAlg::parse(a).ok_or_else(|| ApiError::Invalid {
            field: "alg",
            reason: "ES256, RS256 or EdDSA".into(),
        })?),
    };
    let r = s
        .oidc()
        .keys()
        .rotate(alg)
        .await
        .map_err(ApiError::internal);
    let r = super::audited(
        &s,
        &op,
        AuditAction::KeyRotated,
        Some(format!("keys:{}", q.alg.as_deref().unwrap_or("all"))),
        r,
    )
    .await;
    Ok(Json(KeyList { keys: r? }))
}
