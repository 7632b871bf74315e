//! `/admin/api/v1/users`: find accounts, see their status and assurance
//! (citizen ID masked), disable/enable them and end their sessions.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use pratu_core::audit::AuditAction;
use pratu_storage::records::{User, UserStatus};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{audited, query};
use crate::auth::Operator;
use crate::problem::{ApiError, Problem};
use crate::state::AdminState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserSearch {
    /// Usernames starting with this (case-insensitive).
    #[serde(default)]
    pub username: String,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// How an account's identity was proofed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Assurance {
    /// The assurance label (e.g. `2.1`); absent for staff accounts.
    pub ial: Option<String>,
    pub method: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub verified_at: Option<OffsetDateTime>,
}

/// An account as operators see it: no password hash, citizen ID masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub username: String,
    /// `active` or `disabled`.
    pub status: &'static str,
    pub roles: Vec<String>,
    pub assurance: Assurance,
    pub phone_verified: bool,
    /// Only the last four digits, e.g. `*********1234`.
    pub citizen_id: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub users: Vec<UserView>,
    pub next_offset: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LogoutResult {
    /// Refresh tokens that were live and are now revoked.
    pub refresh_tokens_revoked: u64,
}

fn view(s: &AdminState, u: &User) -> UserView {
    let citizen_id = u.citizen_id.as_ref().map(|c| {
        s.0.citizen_ids
            .open(&c.ciphertext, b"citizen_id")
            .ok()
            .and_then(|clear| {
                let digits: Vec<u8> = clear.iter().copied().filter(u8::is_ascii_digit).collect();
                let tail = digits.len().checked_sub(4).map(|i| &digits[i..])?;
                Some(format!(
                    "{}{}",
                    "*".repeat(digits.len() - 4),
                    String::from_utf8_lossy(tail)
                ))
            })
            .unwrap_or_else(|| "*************".to_owned())
    });
    UserView {
        id: u.id,
        username: u.username.clone(),
        status: u.status.as_str(),
        roles: u.roles.clone(),
        assurance: Assurance {
            ial: u.proofing.as_ref().map(|p| p.ial.clone()),
            method: u.proofing.as_ref().map(|p| p.method.clone()),
            verified_at: u.proofing.as_ref().map(|p| p.verified_at),
        },
        phone_verified: u.phone_verified,
        citizen_id,
        created_at: u.created_at,
        updated_at: u.updated_at,
    }
}

#[utoipa::path(get, path = "/admin/api/v1/users", tag = "users",
    params(UserSearch),
    responses((status = 200, body = UserList), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = ["pratu:admin"])))]
pub async fn search(
    State(s): State<AdminState>,
    op: Operator,
    q: Result<Query<UserSearch>, QueryRejection>,
) -> Result<Json<UserList>, ApiError> {
    let q = query(q)?;
    let page = super::Page {
        limit: q.limit,
        offset: q.offset,
    }
    .resolve(s.0.config.max_page_size);
    let prefix = q.username.trim().to_lowercase();
    let r =
        s.0.store
            .search_users(&prefix, page.limit, page.offset)
            .await
            .map_err(ApiError::from);
    let users = audited(&s, &op, AuditAction::AdminUserSearched, None, r).await?;
    let next_offset = page.next(users.len());
    Ok(Json(UserList {
        users: users.iter().map(|u| view(&s, u)).collect(),
        next_offset,
    }))
}

async fn load(s: &AdminState, id: Uuid) -> Result<User, ApiError> {
    s.0.store
        .user_by_id(id)
        .await?
        .ok_or(ApiError::NotFound("user"))
}

#[utoipa::path(get, path = "/admin/api/v1/users/{user_id}", tag = "users",
    params(("user_id" = Uuid, Path)),
    responses((status = 200, body = UserView), (status = 404, body = Problem)),
    security(("bearer" = ["pratu:admin"])))]
pub async fn show(
    State(s): State<AdminState>,
    op: Operator,
    Path(id): Path<Uuid>,
) -> Result<Json<UserView>, ApiError> {
    let r = load(&s, id).await;
    let u = audited(
        &s,
        &op,
        AuditAction::AdminUserShown,
        Some(format!("user:{id}")),
        r,
    )
    .await?;
    Ok(Json(view(&s, &u)))
}

async fn set_status(
    s: &AdminState,
    op: &Operator,
    id: Uuid,
    status: UserStatus,
) -> Result<Json<UserView>, ApiError> {
    let r = async {
        load(s, id).await?;
        s.0.store
            .set_user_status(id, status, s.0.clock.now())
            .await?;
        if status == UserStatus::Disabled {
            s.oidc().end_user_sessions(id).await?;
        }
        load(s, id).await
    }
    .await;
    let action = match status {
        UserStatus::Active => AuditAction::UserEnabled,
        UserStatus::Disabled => AuditAction::UserDisabled,
    };
    let u = audited(s, op, action, Some(format!("user:{id}")), r).await?;
    Ok(Json(view(s, &u)))
}

#[utoipa::path(post, path = "/admin/api/v1/users/{user_id}/disable", tag = "users",
    params(("user_id" = Uuid, Path)),
    responses((status = 200, description = "Disabled; every session ended, refresh tokens revoked", body = UserView), (status = 404, body = Problem)),
    security(("bearer" = ["pratu:admin"])))]
pub async fn disable(
    State(s): State<AdminState>,
    op: Operator,
    Path(id): Path<Uuid>,
) -> Result<Json<UserView>, ApiError> {
    set_status(&s, &op, id, UserStatus::Disabled).await
}

#[utoipa::path(post, path = "/admin/api/v1/users/{user_id}/enable", tag = "users",
    params(("user_id" = Uuid, Path)),
    responses((status = 200, body = UserView), (status = 404, body = Problem)),
    security(("bearer" = ["pratu:admin"])))]
pub async fn enable(
    State(s): State<AdminState>,
    op: Operator,
    Path(id): Path<Uuid>,
) -> Result<Json<UserView>, ApiError> {
    set_status(&s, &op, id, UserStatus::Active).await
}

#[utoipa::path(post, path = "/admin/api/v1/users/{user_id}/logout", tag = "users",
    params(("user_id" = Uuid, Path)),
    responses((status = 200, description = "Every SSO session of the user ended on every node; refresh tokens revoked", body = LogoutResult), (status = 404, body = Problem)),
    security(("bearer" = ["pratu:admin"])))]
pub async fn logout(
    State(s): State<AdminState>,
    op: Operator,
    Path(id): Path<Uuid>,
) -> Result<Json<LogoutResult>, ApiError> {
    let r = async {
        load(&s, id).await?;
        Ok(s.oidc().end_user_sessions(id).await?)
    }
    .await;
    let n = audited(
        &s,
        &op,
        AuditAction::UserLoggedOut,
        Some(format!("user:{id}")),
        r,
    )
    .await?;
    Ok(Json(LogoutResult {
        refresh_tokens_revoked: n,
    }))
}

/// What revoking a remembered consent did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentRevoked {
    /// Whether a remembered consent existed (and was removed).
    pub revoked: bool,
}

/// Revokes a user's remembered consent for one client (PDPA: consent can be
/// withdrawn as easily as it was given): the next sign-in to that client asks
/// again. Tokens already issued stay valid until they expire; end the user's
/// sessions with `/logout` to cut them at once.
#[utoipa::path(delete, path = "/admin/api/v1/users/{user_id}/consents/{client_id}", tag = "users",
    params(("user_id" = Uuid, Path), ("client_id" = String, Path)),
    responses((status = 200, body = ConsentRevoked), (status = 404, body = Problem)),
    security(("bearer" = ["pratu:admin"])))]
pub async fn revoke_consent(
    State(s): State<AdminState>,
    op: Operator,
    Path((id, client_id)): Path<(Uuid, String)>,
) -> Result<Json<ConsentRevoked>, ApiError> {
    let r = async {
        load(&s, id).await?;
        Ok(s.0.store.revoke_consent(id, &client_id).await?)
    }
    .await;
    let revoked = audited(
        &s,
        &op,
        AuditAction::ConsentRevoked,
        Some(format!("consent:{id}:{client_id}")),
        r,
    )
    .await?;
    Ok(Json(ConsentRevoked { revoked }))
}
