//! The recovery JSON API of DESIGN.md "Citizen account and recovery": one
//! call per step, errors as problem+json. Every call after the first
//! carries the start's `recovery_token` as `Authorization: Bearer`.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRef, FromRequestParts, Path, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use axum::{Json, Router};
use pratu_core::web::error::InternalError;
use pratu_core::web::{Problem, RequestContext};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::error::RecoveryError;
use super::service::{Destination, IdentityInput, RecoveryService};
use super::token::{RecoveryAccess, RecoveryToken};
use crate::state::AccountState;

pub(crate) fn routes<S>() -> Router<S>
where
    AccountState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/api/v1/recovery", post(start))
        .route("/api/v1/recovery/{id}/identity", put(identity))
        .route("/api/v1/recovery/{id}/phone", post(phone))
        .route("/api/v1/recovery/{id}/otp/verify", post(verify))
        .route("/api/v1/recovery/{id}/password", put(password))
}

/// Everything the API answers with besides success.
#[derive(Debug)]
pub(crate) enum ApiError {
    Recovery(RecoveryError),
    /// No `Authorization: Bearer` token came.
    MissingToken,
    /// The body is not JSON of the expected shape.
    Malformed {
        status: StatusCode,
        detail: &'static str,
    },
}

impl From<RecoveryError> for ApiError {
    fn from(e: RecoveryError) -> Self {
        Self::Recovery(e)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => Self::Malformed {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                detail: "Send the body as JSON with Content-Type: application/json.",
            },
            JsonRejection::JsonDataError(_) => Self::Malformed {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                detail: "The JSON body does not have the expected fields.",
            },
            _ => Self::Malformed {
                status: StatusCode::BAD_REQUEST,
                detail: "The body is not valid JSON.",
            },
        }
    }
}

fn status_of(e: &RecoveryError) -> StatusCode {
    use RecoveryError as E;
    match e {
        E::Invalid { .. }
        | E::IdentityNotVerified { .. }
        | E::ProofingMethodUnsupported
        | E::OtpInvalid { .. }
        | E::OtpExpired => StatusCode::UNPROCESSABLE_ENTITY,
        E::InvalidToken => StatusCode::UNAUTHORIZED,
        E::NoDigitalId => StatusCode::NOT_FOUND,
        E::AccountDisabled => StatusCode::FORBIDDEN,
        E::StepOutOfOrder { .. } => StatusCode::CONFLICT,
        E::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
        E::IdentityServiceUnavailable | E::SmsUnavailable | E::Busy { .. } => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        E::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn title_of(code: &str) -> &'static str {
    match code {
        "invalid_request" => "Invalid request",
        "invalid_citizen_id" => "Invalid citizen ID",
        "password_policy" => "Password does not meet the policy",
        "password_too_common" => "Password too common",
        "password_contains_username" => "Password contains the username",
        "invalid_recovery_token" => "Missing or wrong recovery token",
        "identity_not_verified" => "Identity not verified",
        "identity_service_unavailable" => "Identity service unavailable",
        "proofing_method_unsupported" => "Proofing method not available online",
        "no_digital_id" => "No Digital ID",
        "account_disabled" => "Account disabled",
        "otp_invalid" => "Wrong code",
        "otp_expired" => "Code expired",
        "too_many_attempts" => "Too many attempts",
        "sms_unavailable" => "SMS unavailable",
        "step_out_of_order" => "Step out of order",
        "temporarily_unavailable" => "Temporarily unavailable",
        _ => "Internal error",
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let bearer = HeaderValue::from_static("Bearer");
        match self {
            // RFC 6750 §3.1: no error code when no credentials came at all.
            Self::MissingToken => Problem::new(
                StatusCode::UNAUTHORIZED,
                "invalid_recovery_token",
                title_of("invalid_recovery_token"),
                "Send the recovery token from the start of the recovery as \
                 Authorization: Bearer <recovery_token>.",
            )
            .header(header::WWW_AUTHENTICATE, bearer)
            .into_response(),
            Self::Malformed { status, detail } => Problem::new(
                status,
                "invalid_request",
                title_of("invalid_request"),
                detail,
            )
            .into_response(),
            // A store that is down: the same 503 as every JSON API.
            Self::Recovery(RecoveryError::Internal(source))
                if pratu_core::web::error::is_outage(source.as_ref()) =>
            {
                Problem::internal(InternalError::from_boxed(source)).into_response()
            }
            Self::Recovery(e) => {
                let code = e.code();
                let detail = match &e {
                    RecoveryError::Internal(_) => {
                        "Something went wrong on our side. Try again later.".to_owned()
                    }
                    other => format!("{}.", capitalise(&other.to_string())),
                };
                let mut p = Problem::new(status_of(&e), code, title_of(code), detail);
                let mut retry = None;
                match &e {
                    RecoveryError::Invalid { errors, .. } => p = p.with("errors", json!(errors)),
                    RecoveryError::IdentityNotVerified { attempts_left }
                    | RecoveryError::OtpInvalid { attempts_left } => {
                        p = p.with("attempts_left", *attempts_left);
                    }
                    RecoveryError::TooManyAttempts { retry_after } => {
                        retry = *retry_after;
                        if let Some(r) = retry_after {
                            p = p.with("retry_after", *r);
                        }
                    }
                    RecoveryError::Busy { retry_after } => retry = Some(*retry_after),
                    // The outside service may be back in moments; the step
                    // did not count.
                    RecoveryError::IdentityServiceUnavailable | RecoveryError::SmsUnavailable => {
                        retry = Some(pratu_core::web::error::OUTSIDE_SERVICE_RETRY_AFTER_SECONDS);
                    }
                    RecoveryError::StepOutOfOrder { current } => {
                        p = p.with("next", current.as_str());
                    }
                    RecoveryError::InvalidToken => {
                        p = p.header(
                            header::WWW_AUTHENTICATE,
                            HeaderValue::from_static("Bearer error=\"invalid_token\""),
                        );
                    }
                    _ => {}
                }
                if let Some(v) = retry.and_then(|r| HeaderValue::from_str(&r.to_string()).ok()) {
                    p = p.header(header::RETRY_AFTER, v);
                }
                if let RecoveryError::Internal(source) = e {
                    p = p.caused_by(InternalError::from_boxed(source));
                }
                p.into_response()
            }
        }
    }
}

/// The recovery of the path and the presented token. Without a usable token
/// the call is refused before the recovery is looked up.
pub(crate) struct Authorized(pub RecoveryAccess);

impl<S: Send + Sync> FromRequestParts<S> for Authorized {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or(ApiError::MissingToken)?;
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| RecoveryError::InvalidToken)?;
        let id = Uuid::parse_str(&raw).map_err(|_| RecoveryError::InvalidToken)?;
        Ok(Self(RecoveryAccess::new(id, token)))
    }
}

/// The token of an `Authorization: Bearer …` header (RFC 6750 §2.1); never
/// from the URL or the body.
fn bearer(parts: &Parts) -> Option<RecoveryToken> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    RecoveryToken::parse(token.trim())
}

/// Answers carry personal data: never cached.
fn no_store(status: StatusCode, body: serde_json::Value) -> Response {
    let mut r = (status, Json(body)).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

type ApiResult = Result<Response, ApiError>;

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct StartBody {
    /// 13 digits, dashes and spaces allowed.
    citizen_id: String,
}

/// The start's answer: the same for enrolled and unenrolled IDs.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Started {
    recovery_id: Uuid,
    /// The bearer credential of every later call (256 random bits).
    recovery_token: String,
    /// `identity`.
    next: String,
}

/// Starts a recovery. The answer does not say whether the ID is enrolled.
#[utoipa::path(post, path = "/api/v1/recovery", tag = "recovery",
    request_body = StartBody,
    responses(
        (status = 202, body = Started),
        (status = 422, description = "`invalid_citizen_id`, `invalid_request`"),
        (status = 429, description = "`too_many_attempts`"),
    ))]
pub(crate) async fn start(
    State(state): State<AccountState>,
    ctx: RequestContext,
    body: Result<Json<StartBody>, JsonRejection>,
) -> ApiResult {
    let Json(body) = body?;
    let started = RecoveryService::new(&state)
        .start(&ctx, &body.citizen_id)
        .await?;
    Ok(no_store(
        StatusCode::ACCEPTED,
        json!({
            "recovery_id": started.id,
            "recovery_token": started.token.expose(),
            "next": "identity",
        }),
    ))
}

fn laser_code() -> String {
    "laser_code".into()
}

/// The enrollment identity step's body: the card's details.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct IdentityBody {
    /// `laser_code` (the default; the only method online).
    #[serde(default = "laser_code")]
    method: String,
    /// Thai, without title or middle name.
    first_name: String,
    last_name: String,
    /// `YYYY-MM-DD`, B.E. or C.E., `00` for parts the card does not show.
    birth_date: String,
    /// As printed on the back of the card (`JT1-2321456-32`).
    laser_code: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    middle_name: Option<String>,
    #[serde(default)]
    title_en: Option<String>,
    #[serde(default)]
    first_name_en: Option<String>,
    #[serde(default)]
    middle_name_en: Option<String>,
    #[serde(default)]
    last_name_en: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct IdentityVerified {
    /// `otp`.
    next: String,
    /// `08x-xxx-5678`.
    phone_masked: Option<String>,
    /// The reference shown beside the code.
    #[serde(rename = "ref")]
    reference: Option<String>,
    expires_in: Option<u64>,
}

/// Proves the card again; a code goes to the registered phone.
#[utoipa::path(put, path = "/api/v1/recovery/{id}/identity", tag = "recovery",
    params(("id" = Uuid, Path)),
    request_body = IdentityBody,
    responses(
        (status = 200, body = IdentityVerified),
        (status = 401, description = "`invalid_recovery_token`"),
        (status = 404, description = "`no_digital_id` (only after the card is proofed)"),
        (status = 403, description = "`account_disabled` (only after the card is proofed)"),
        (status = 409, description = "`step_out_of_order`"),
        (status = 422, description = "`identity_not_verified` (with `attempts_left`), `invalid_request`, `proofing_method_unsupported`"),
        (status = 429, description = "`too_many_attempts`: wrong details locked this recovery or this card"),
        (status = 503, description = "`identity_service_unavailable`, `sms_unavailable`"),
    ),
    security(("recovery_token" = [])))]
pub(crate) async fn identity(
    State(state): State<AccountState>,
    ctx: RequestContext,
    Authorized(access): Authorized,
    body: Result<Json<IdentityBody>, JsonRejection>,
) -> ApiResult {
    let service = RecoveryService::new(&state);
    // The token first: a caller without it learns nothing, not even
    // what a good body looks like.
    service.authorize(&access).await?;
    let Json(b) = body?;
    // Optional name parts are accepted as at enrollment; the check uses the
    // card's five inputs only.
    let _optional = (
        b.title,
        b.middle_name,
        b.title_en,
        b.first_name_en,
        b.middle_name_en,
        b.last_name_en,
    );
    let input = IdentityInput {
        method: b.method,
        first_name: b.first_name,
        last_name: b.last_name,
        birth_date: b.birth_date,
        laser_code: b.laser_code,
    };
    let proofed = service.verify_identity(&ctx, &access, &input, true).await?;
    let body = match proofed.sent {
        Some(sent) => IdentityVerified {
            next: "otp".into(),
            phone_masked: Some(sent.phone_masked),
            reference: Some(sent.reference),
            expires_in: Some(sent.expires_in),
        },
        // No registered phone: only a new number can receive the code.
        None => IdentityVerified {
            next: "phone".into(),
            phone_masked: proofed.phone_masked,
            reference: None,
            expires_in: None,
        },
    };
    Ok(no_store(
        StatusCode::OK,
        serde_json::to_value(body).map_err(RecoveryError::internal)?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct PhoneBody {
    /// A Thai mobile number (`0812345678` or `+66812345678`).
    phone: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CodeSentBody {
    #[serde(rename = "ref")]
    reference: String,
    expires_in: u64,
}

/// Lost phone: a code to a new number, which becomes the account's once
/// verified (the old number then gets a notice). Only after proofing.
#[utoipa::path(post, path = "/api/v1/recovery/{id}/phone", tag = "recovery",
    params(("id" = Uuid, Path)),
    request_body = PhoneBody,
    responses(
        (status = 202, body = CodeSentBody),
        (status = 401, description = "`invalid_recovery_token`"),
        (status = 409, description = "`step_out_of_order` (before proofing)"),
        (status = 422, description = "`invalid_request`"),
        (status = 429, description = "`too_many_attempts`"),
        (status = 503, description = "`sms_unavailable`"),
    ),
    security(("recovery_token" = [])))]
pub(crate) async fn phone(
    State(state): State<AccountState>,
    ctx: RequestContext,
    Authorized(access): Authorized,
    body: Result<Json<PhoneBody>, JsonRejection>,
) -> ApiResult {
    let service = RecoveryService::new(&state);
    // The token first: a caller without it learns nothing, not even
    // what a good body looks like.
    service.authorize(&access).await?;
    let Json(b) = body?;
    let sent = service
        .send_code(&ctx, &access, &Destination::New(b.phone))
        .await?;
    Ok(no_store(
        StatusCode::ACCEPTED,
        json!({"ref": sent.reference, "expires_in": sent.expires_in}),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct CodeBody {
    /// The six digits of the SMS.
    code: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CodeVerified {
    /// `password`.
    next: String,
    /// The account's username (many have forgotten it too).
    username: String,
}

/// The code sent by the identity or phone step.
#[utoipa::path(post, path = "/api/v1/recovery/{id}/otp/verify", tag = "recovery",
    params(("id" = Uuid, Path)),
    request_body = CodeBody,
    responses(
        (status = 200, body = CodeVerified),
        (status = 401, description = "`invalid_recovery_token`"),
        (status = 409, description = "`step_out_of_order`"),
        (status = 422, description = "`otp_invalid` (with `attempts_left`), `otp_expired`, `invalid_request`"),
        (status = 429, description = "`too_many_attempts`: the code is locked"),
    ),
    security(("recovery_token" = [])))]
pub(crate) async fn verify(
    State(state): State<AccountState>,
    ctx: RequestContext,
    Authorized(access): Authorized,
    body: Result<Json<CodeBody>, JsonRejection>,
) -> ApiResult {
    let service = RecoveryService::new(&state);
    // The token first: a caller without it learns nothing, not even
    // what a good body looks like.
    service.authorize(&access).await?;
    let Json(b) = body?;
    let username = service.verify_code(&ctx, &access, &b.code).await?;
    Ok(no_store(
        StatusCode::OK,
        json!({"next": "password", "username": username}),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct PasswordBody {
    /// The new password (the enrollment's password policy).
    password: String,
}

/// The new password. Every session and refresh token of the account ends,
/// and every second factor (authenticator app, passkeys) is removed. The
/// answer stays 204 as DESIGN.md promises; the wizard tells the citizen
/// what was removed, and `account.recovered` records it.
#[utoipa::path(put, path = "/api/v1/recovery/{id}/password", tag = "recovery",
    params(("id" = Uuid, Path)),
    request_body = PasswordBody,
    responses(
        (status = 204, description = "Recovered; signed out everywhere; second factors removed"),
        (status = 401, description = "`invalid_recovery_token`"),
        (status = 409, description = "`step_out_of_order`"),
        (status = 422, description = "`password_policy`, `password_too_common`, `password_contains_username`"),
    ),
    security(("recovery_token" = [])))]
pub(crate) async fn password(
    State(state): State<AccountState>,
    ctx: RequestContext,
    Authorized(access): Authorized,
    body: Result<Json<PasswordBody>, JsonRejection>,
) -> ApiResult {
    let service = RecoveryService::new(&state);
    // The token first: a caller without it learns nothing, not even
    // what a good body looks like.
    service.authorize(&access).await?;
    let Json(b) = body?;
    // What was removed is for the wizard's page and the audit record.
    service.set_password(&ctx, &access, &b.password).await?;
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The outside service and the store may be back in moments: the
    /// client is told when to repeat the step.
    #[test]
    fn outside_services_and_store_outages_are_503_with_retry_after() {
        for e in [
            RecoveryError::SmsUnavailable,
            RecoveryError::IdentityServiceUnavailable,
            RecoveryError::internal(pratu_storage::StorageError::Full),
        ] {
            let res = ApiError::Recovery(e).into_response();
            assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(res.headers()[header::RETRY_AFTER], "5");
        }
        let res = ApiError::Recovery(RecoveryError::internal(std::io::Error::other("bug")))
            .into_response();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
