//! `/api/v1/account/totp` and `/api/v1/account/recovery-codes`: the
//! authenticator app and its recovery codes.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use pratu_core::web::RequestContext;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{AccountCaller, ApiError, PasswordConfirmation, Problem, body};
use crate::state::AccountState;

/// A pending authenticator app: add it to the app, then confirm a code.
/// No `Debug`: it holds a secret.
#[derive(Serialize, ToSchema)]
pub struct TotpSetup {
    /// The shared secret, RFC 4648 base32 without padding, for typing in.
    pub secret: String,
    /// `otpauth://totp/Pratu:<username>?secret=…` (SHA-1, 6 digits, 30 s),
    /// what a QR code of it carries.
    pub otpauth_uri: String,
}

/// Starts adding an authenticator app: a new secret, pending until a code
/// from the app is confirmed (a pending one is replaced).
#[utoipa::path(post, path = "/api/v1/account/totp", tag = "account",
    responses(
        (status = 200, body = TotpSetup),
        (status = 401, description = "`invalid_token`", body = Problem),
        (status = 403, description = "`insufficient_scope`", body = Problem),
        (status = 409, description = "`totp_already_active`: remove the app first", body = Problem),
    ),
    security(("account_token" = ["account"])))]
pub async fn start_totp(
    State(s): State<AccountState>,
    caller: AccountCaller,
) -> Result<Json<TotpSetup>, ApiError> {
    let e = s.service().start_totp(caller.user_id).await?;
    Ok(Json(TotpSetup {
        secret: e.secret.to_string(),
        otpauth_uri: e.otpauth_uri.to_string(),
    }))
}

/// `POST /api/v1/account/totp/verify`.
/// No `Debug`: it holds a secret.
#[derive(Deserialize, ToSchema)]
pub struct TotpCode {
    /// Six digits from the authenticator app.
    pub code: String,
}

/// Confirms the pending authenticator app with a code from it: the app
/// becomes a second factor of the account. Wrong codes count toward the
/// account's limit of checks (with wrong passwords re-entered).
#[utoipa::path(post, path = "/api/v1/account/totp/verify", tag = "account",
    request_body = TotpCode,
    responses(
        (status = 204, description = "The authenticator app is active"),
        (status = 401, description = "`invalid_token`", body = Problem),
        (status = 403, description = "`insufficient_scope`", body = Problem),
        (status = 409, description = "`no_totp_pending`, `totp_already_active`", body = Problem),
        (status = 422, description = "`otp_invalid` (with `attempts_left`), `invalid_request`", body = Problem),
        (status = 429, description = "`too_many_attempts`", body = Problem),
    ),
    security(("account_token" = ["account"])))]
pub async fn verify_totp(
    State(s): State<AccountState>,
    caller: AccountCaller,
    ctx: RequestContext,
    b: Result<Json<TotpCode>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let b = body(b)?;
    s.service()
        .confirm_totp(&ctx, caller.user_id, &b.code)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes the authenticator app and its recovery codes, the password
/// re-entered.
#[utoipa::path(delete, path = "/api/v1/account/totp", tag = "account",
    request_body = PasswordConfirmation,
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "`invalid_token`", body = Problem),
        (status = 403, description = "`invalid_password`, `insufficient_scope`", body = Problem),
        (status = 409, description = "`no_totp`", body = Problem),
        (status = 422, description = "`invalid_request`", body = Problem),
        (status = 429, description = "`too_many_attempts`", body = Problem),
    ),
    security(("account_token" = ["account"])))]
pub async fn remove_totp(
    State(s): State<AccountState>,
    caller: AccountCaller,
    ctx: RequestContext,
    b: Result<Json<PasswordConfirmation>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let b = body(b)?;
    s.service()
        .remove_totp(&ctx, caller.user_id, &b.password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ten single-use recovery codes, shown once.
/// No `Debug`: it holds secrets.
#[derive(Serialize, ToSchema)]
pub struct RecoveryCodes {
    /// `xxxx-xxxx-xxxx-xxxx`; each signs in once in place of an
    /// authenticator code.
    pub codes: Vec<String>,
}

/// A new set of recovery codes for a lost device, replacing the old set.
/// Only with an active authenticator app.
#[utoipa::path(post, path = "/api/v1/account/recovery-codes", tag = "account",
    responses(
        (status = 200, body = RecoveryCodes),
        (status = 401, description = "`invalid_token`", body = Problem),
        (status = 403, description = "`insufficient_scope`", body = Problem),
        (status = 409, description = "`no_totp`", body = Problem),
    ),
    security(("account_token" = ["account"])))]
pub async fn new_recovery_codes(
    State(s): State<AccountState>,
    caller: AccountCaller,
    ctx: RequestContext,
) -> Result<Json<RecoveryCodes>, ApiError> {
    let codes = s.service().new_recovery_codes(&ctx, caller.user_id).await?;
    Ok(Json(RecoveryCodes {
        codes: codes.iter().map(|c| c.to_string()).collect(),
    }))
}
