//! `/admin/api/v1/users`: find accounts, see their status and assurance
//! (citizen ID masked), disable/enable them and end their sessions.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use pratu_core::audit::AuditAction;
use pratu_storage::StorageError;
use pratu_storage::records::{User, UserStatus};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{audited, audited_unit, ephemeral_unavailable, query};
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

pub(super) async fn load(s: &AdminState, id: Uuid) -> Result<User, ApiError> {
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

/// Disables an account as one unit of work.
///
/// Order matters, and is: (1) the logout marker in the ephemeral store,
/// which ends the user's SSO sessions on every node; (2) one relational
/// transaction: status `disabled`, every refresh token revoked, the audit
/// record; (3) the answer. The marker goes first because it is the one
/// write that cannot join the transaction, and written first it is
/// harmless if the transaction then fails: a still-active user merely signs
/// in again. Written after the commit instead, a failed marker write would
/// leave a disabled account with live SSO sessions that only the operator's
/// blind retry could end. So if the marker cannot be written nothing is
/// committed and the answer is 503 (retry); if the transaction fails
/// nothing of it stands; the operator hears "disabled" only when every
/// part is done. A sign-in in the moment between marker and commit starts
/// a session, but the code exchange, refresh and userinfo all refuse a
/// disabled account, so it yields nothing once the commit lands.
async fn disable_account(
    s: &AdminState,
    op: &Operator,
    id: Uuid,
) -> Result<Json<UserView>, ApiError> {
    audited_unit(
        s,
        op,
        AuditAction::UserDisabled,
        Some(format!("user:{id}")),
        async |record| {
            load(s, id).await?;
            s.oidc()
                .mark_user_logged_out(id)
                .await
                .map_err(|e| ephemeral_unavailable(&e))?;
            s.0.store
                .disable_user(id, record.at, record)
                .await
                .map_err(user_not_found)?;
            Ok(())
        },
    )
    .await?;
    Ok(Json(view(s, &load(s, id).await?)))
}

fn user_not_found(e: StorageError) -> ApiError {
    match e {
        StorageError::NotFound { .. } => ApiError::NotFound("user"),
        e => e.into(),
    }
}

#[utoipa::path(post, path = "/admin/api/v1/users/{user_id}/disable", tag = "users",
    params(("user_id" = Uuid, Path)),
    responses((status = 200, description = "Disabled; every session ended, refresh tokens revoked", body = UserView), (status = 404, body = Problem), (status = 503, description = "The ephemeral store is unavailable; nothing was changed, retry", body = Problem)),
    security(("bearer" = ["pratu:admin"])))]
pub async fn disable(
    State(s): State<AdminState>,
    op: Operator,
    Path(id): Path<Uuid>,
) -> Result<Json<UserView>, ApiError> {
    disable_account(&s, &op, id).await
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
    let r = async {
        load(&s, id).await?;
        s.0.store
            .set_user_status(id, UserStatus::Active, s.0.clock.now())
            .await?;
        load(&s, id).await
    }
    .await;
    let u = audited(
        &s,
        &op,
        AuditAction::UserEnabled,
        Some(format!("user:{id}")),
        r,
    )
    .await?;
    Ok(Json(view(&s, &u)))
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

/// Withdraws a user's consent for one client (PDPA: consent can be
/// withdrawn as easily as it was given): the remembered consent goes, so
/// the next sign-in to that client asks again, and the client's refresh
/// tokens for the user are revoked with it, and so are the access tokens
/// already issued (a marker in the ephemeral store, written first). One
/// unit of work: the consent, the refresh tokens and the audit record
/// change in one transaction, or nothing does.
#[utoipa::path(delete, path = "/admin/api/v1/users/{user_id}/consents/{client_id}", tag = "users",
    params(("user_id" = Uuid, Path), ("client_id" = String, Path)),
    responses((status = 200, body = ConsentRevoked), (status = 404, body = Problem)),
    security(("bearer" = ["pratu:admin"])))]
pub async fn revoke_consent(
    State(s): State<AdminState>,
    op: Operator,
    Path((id, client_id)): Path<(Uuid, String)>,
) -> Result<Json<ConsentRevoked>, ApiError> {
    let revoked = audited_unit(
        &s,
        &op,
        AuditAction::ConsentRevoked,
        Some(format!("consent:{id}:{client_id}")),
        async |record| {
            load(&s, id).await?;
            s.oidc().revoke_access_tokens(id, &client_id).await?;
            let done =
                s.0.store
                    .withdraw_consent(id, &client_id, record.at, record)
                    .await
                    .map_err(user_not_found)?;
            Ok(done.consent_revoked)
        },
    )
    .await?;
    Ok(Json(ConsentRevoked { revoked }))
}
