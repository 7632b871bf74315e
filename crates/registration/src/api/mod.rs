//! The JSON API of DESIGN.md "Enrollment": one call per step, errors as
//! problem+json. The enrollment id in the path names the enrollment; the
//! `enrollment_token` the start answered, sent as `Authorization: Bearer`,
//! is what lets a caller continue it (see [`access`]).

use axum::extract::{FromRef, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::request::RequestContext;
use crate::service::{EnrollmentError, IdentityInput, PersonalInput, Progress, StartInput};
use crate::state::RegistrationState;

mod access;
mod error;
mod json;
mod openapi;

pub use openapi::openapi;

use access::Authorized;

pub use error::ApiError;
pub use json::ApiJson;

pub(crate) fn routes<S>() -> Router<S>
where
    RegistrationState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/api/v1/terms", get(terms))
        .route("/api/v1/enrollments", post(start))
        .route("/api/v1/enrollments/{id}", get(review))
        .route("/api/v1/enrollments/{id}/citizen-id", put(citizen_id))
        .route("/api/v1/enrollments/{id}/identity", put(identity))
        .route("/api/v1/enrollments/{id}/account", put(account))
        .route("/api/v1/enrollments/{id}/phone", post(phone))
        .route("/api/v1/enrollments/{id}/phone/verify", post(verify_phone))
        .route("/api/v1/enrollments/{id}/confirm", post(confirm))
}

type ApiResult = Result<Response, ApiError>;

/// Answers carry personal data: never cache them.
fn no_store(status: StatusCode, body: serde_json::Value) -> Response {
    let mut r = (status, Json(body)).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn progress(p: Progress) -> Response {
    no_store(StatusCode::OK, json!({ "next": p.next.as_str() }))
}

#[utoipa::path(get, path = "/api/v1/terms", tag = "enrollment", responses((status = 200, description = "The current terms: `version`, `text` (`th`, `en`), `text_sha256`")))]
async fn terms(State(state): State<RegistrationState>) -> Response {
    let t = &state.service().config().terms;
    no_store(
        StatusCode::OK,
        json!({
            "version": t.version,
            "text": { "th": t.th, "en": t.en },
            "text_sha256": t.text_sha256(),
        }),
    )
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct StartBody {
    accept_terms: bool,
    terms_version: String,
    #[serde(default)]
    language: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/enrollments", tag = "enrollment", request_body = StartBody, responses((status = 201, description = "Started: `enrollment_id`, `enrollment_token`, `next`"), (status = 400, description = "Malformed body", body = openapi::Problem, content_type = "application/problem+json"), (status = 409, description = "`terms_outdated`", body = openapi::Problem, content_type = "application/problem+json"), (status = 422, description = "`terms_not_accepted`", body = openapi::Problem, content_type = "application/problem+json"), (status = 429, description = "`too_many_attempts`", body = openapi::Problem, content_type = "application/problem+json")))]
async fn start(
    State(state): State<RegistrationState>,
    RequestContext(ctx): RequestContext,
    ApiJson(body): ApiJson<StartBody>,
) -> ApiResult {
    let started = state
        .service()
        .start(
            &ctx,
            StartInput {
                accept_terms: body.accept_terms,
                terms_version: body.terms_version,
                language: body.language.unwrap_or_else(|| "th".into()),
            },
        )
        .await?;
    let mut r = no_store(
        StatusCode::CREATED,
        json!({
            "enrollment_id": started.enrollment_id,
            "enrollment_token": started.token.expose(),
            "next": started.next.as_str(),
        }),
    );
    if let Ok(loc) =
        HeaderValue::from_str(&format!("/api/v1/enrollments/{}", started.enrollment_id))
    {
        r.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(r)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct CitizenIdBody {
    citizen_id: String,
}

#[utoipa::path(put, path = "/api/v1/enrollments/{id}/citizen-id", tag = "enrollment", params(("id" = uuid::Uuid, Path, description = "The enrollment id")), security(("enrollment_token" = [])), request_body = CitizenIdBody, responses((status = 200, description = "`next`: `identity`"), (status = 400, description = "Malformed body", body = openapi::Problem, content_type = "application/problem+json"), (status = 401, description = "No or wrong enrollment token (`invalid_enrollment_token`)", body = openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "`enrollment_not_found`", body = openapi::Problem, content_type = "application/problem+json"), (status = 409, description = "`step_out_of_order`, `conflict`", body = openapi::Problem, content_type = "application/problem+json"), (status = 410, description = "`enrollment_expired`", body = openapi::Problem, content_type = "application/problem+json"), (status = 422, description = "`invalid_citizen_id`", body = openapi::Problem, content_type = "application/problem+json"), (status = 429, description = "`too_many_attempts`", body = openapi::Problem, content_type = "application/problem+json")))]
async fn citizen_id(
    State(state): State<RegistrationState>,
    RequestContext(ctx): RequestContext,
    Authorized(access): Authorized,
    ApiJson(body): ApiJson<CitizenIdBody>,
) -> ApiResult {
    let p = state
        .service()
        .submit_citizen_id(&ctx, &access, &body.citizen_id)
        .await?;
    Ok(progress(p))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct IdentityBody {
    #[serde(default = "laser_code")]
    method: String,
    first_name: String,
    last_name: String,
    birth_date: String,
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

fn laser_code() -> String {
    "laser_code".into()
}

#[utoipa::path(put, path = "/api/v1/enrollments/{id}/identity", tag = "enrollment", params(("id" = uuid::Uuid, Path, description = "The enrollment id")), security(("enrollment_token" = [])), request_body = IdentityBody, responses((status = 200, description = "Proofed against the registry; `next`: `account`"), (status = 400, description = "Malformed body", body = openapi::Problem, content_type = "application/problem+json"), (status = 401, description = "No or wrong enrollment token (`invalid_enrollment_token`)", body = openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "`enrollment_not_found`", body = openapi::Problem, content_type = "application/problem+json"), (status = 409, description = "`step_out_of_order`, `conflict`", body = openapi::Problem, content_type = "application/problem+json"), (status = 410, description = "`enrollment_expired`", body = openapi::Problem, content_type = "application/problem+json"), (status = 422, description = "`invalid_request`, `identity_not_verified`, `proofing_method_unsupported`", body = openapi::Problem, content_type = "application/problem+json"), (status = 429, description = "`too_many_attempts`", body = openapi::Problem, content_type = "application/problem+json"), (status = 503, description = "`identity_service_unavailable`", body = openapi::Problem, content_type = "application/problem+json")))]
async fn identity(
    State(state): State<RegistrationState>,
    RequestContext(ctx): RequestContext,
    Authorized(access): Authorized,
    ApiJson(body): ApiJson<IdentityBody>,
) -> ApiResult {
    let input = IdentityInput {
        method: body.method,
        laser_code: body.laser_code,
        personal: PersonalInput {
            title: body.title,
            first_name: body.first_name,
            middle_name: body.middle_name,
            last_name: body.last_name,
            title_en: body.title_en,
            first_name_en: body.first_name_en,
            middle_name_en: body.middle_name_en,
            last_name_en: body.last_name_en,
            birth_date: body.birth_date,
        },
    };
    let p = state
        .service()
        .verify_identity(&ctx, &access, &input)
        .await?;
    Ok(progress(p))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct AccountBody {
    username: String,
    password: String,
}

#[utoipa::path(put, path = "/api/v1/enrollments/{id}/account", tag = "enrollment", params(("id" = uuid::Uuid, Path, description = "The enrollment id")), security(("enrollment_token" = [])), request_body = AccountBody, responses((status = 200, description = "`next`: `phone`"), (status = 400, description = "Malformed body", body = openapi::Problem, content_type = "application/problem+json"), (status = 401, description = "No or wrong enrollment token (`invalid_enrollment_token`)", body = openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "`enrollment_not_found`", body = openapi::Problem, content_type = "application/problem+json"), (status = 409, description = "`step_out_of_order`, `conflict`", body = openapi::Problem, content_type = "application/problem+json"), (status = 410, description = "`enrollment_expired`", body = openapi::Problem, content_type = "application/problem+json"), (status = 422, description = "`invalid_request`, `password_policy`, `password_too_common`, `password_contains_username`", body = openapi::Problem, content_type = "application/problem+json")))]
async fn account(
    State(state): State<RegistrationState>,
    RequestContext(ctx): RequestContext,
    Authorized(access): Authorized,
    ApiJson(body): ApiJson<AccountBody>,
) -> ApiResult {
    let p = state
        .service()
        .set_account(&ctx, &access, &body.username, &body.password)
        .await?;
    Ok(progress(p))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct PhoneBody {
    phone: String,
}

#[utoipa::path(post, path = "/api/v1/enrollments/{id}/phone", tag = "enrollment", params(("id" = uuid::Uuid, Path, description = "The enrollment id")), security(("enrollment_token" = [])), request_body = PhoneBody, responses((status = 202, description = "Code sent: `ref`, `expires_in`, `resend_in`, `phone` (masked), `next`"), (status = 400, description = "Malformed body", body = openapi::Problem, content_type = "application/problem+json"), (status = 401, description = "No or wrong enrollment token (`invalid_enrollment_token`)", body = openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "`enrollment_not_found`", body = openapi::Problem, content_type = "application/problem+json"), (status = 409, description = "`step_out_of_order`, `conflict`", body = openapi::Problem, content_type = "application/problem+json"), (status = 410, description = "`enrollment_expired`", body = openapi::Problem, content_type = "application/problem+json"), (status = 422, description = "`invalid_request`", body = openapi::Problem, content_type = "application/problem+json"), (status = 429, description = "`too_many_attempts`", body = openapi::Problem, content_type = "application/problem+json"), (status = 503, description = "`sms_unavailable`", body = openapi::Problem, content_type = "application/problem+json")))]
async fn phone(
    State(state): State<RegistrationState>,
    RequestContext(ctx): RequestContext,
    Authorized(access): Authorized,
    ApiJson(body): ApiJson<PhoneBody>,
) -> ApiResult {
    let sent = state
        .service()
        .send_phone_code(&ctx, &access, &body.phone)
        .await?;
    Ok(no_store(
        StatusCode::ACCEPTED,
        json!({
            "ref": sent.reference,
            "expires_in": sent.expires_in,
            "resend_in": sent.resend_in,
            "phone": sent.phone,
            "next": "phone_verify",
        }),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct VerifyBody {
    code: String,
}

#[utoipa::path(post, path = "/api/v1/enrollments/{id}/phone/verify", tag = "enrollment", params(("id" = uuid::Uuid, Path, description = "The enrollment id")), security(("enrollment_token" = [])), request_body = VerifyBody, responses((status = 200, description = "`next`: `review`"), (status = 400, description = "Malformed body", body = openapi::Problem, content_type = "application/problem+json"), (status = 401, description = "No or wrong enrollment token (`invalid_enrollment_token`)", body = openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "`enrollment_not_found`", body = openapi::Problem, content_type = "application/problem+json"), (status = 409, description = "`step_out_of_order`, `conflict`", body = openapi::Problem, content_type = "application/problem+json"), (status = 410, description = "`enrollment_expired`", body = openapi::Problem, content_type = "application/problem+json"), (status = 422, description = "`otp_invalid`, `otp_expired`", body = openapi::Problem, content_type = "application/problem+json"), (status = 429, description = "`too_many_attempts`", body = openapi::Problem, content_type = "application/problem+json")))]
async fn verify_phone(
    State(state): State<RegistrationState>,
    RequestContext(ctx): RequestContext,
    Authorized(access): Authorized,
    ApiJson(body): ApiJson<VerifyBody>,
) -> ApiResult {
    let p = state
        .service()
        .verify_phone(&ctx, &access, &body.code)
        .await?;
    Ok(progress(p))
}

#[utoipa::path(get, path = "/api/v1/enrollments/{id}", tag = "enrollment", params(("id" = uuid::Uuid, Path, description = "The enrollment id")), security(("enrollment_token" = [])), responses((status = 200, description = "The enrollment so far (citizen ID masked)"), (status = 400, description = "Malformed body", body = openapi::Problem, content_type = "application/problem+json"), (status = 401, description = "No or wrong enrollment token (`invalid_enrollment_token`)", body = openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "`enrollment_not_found`", body = openapi::Problem, content_type = "application/problem+json"), (status = 409, description = "`step_out_of_order`, `conflict`", body = openapi::Problem, content_type = "application/problem+json"), (status = 410, description = "`enrollment_expired`", body = openapi::Problem, content_type = "application/problem+json")))]
async fn review(
    State(state): State<RegistrationState>,
    Authorized(access): Authorized,
) -> ApiResult {
    let review = state.service().review(&access).await?;
    let body = serde_json::to_value(&review).map_err(EnrollmentError::internal)?;
    Ok(no_store(StatusCode::OK, body))
}

#[utoipa::path(post, path = "/api/v1/enrollments/{id}/confirm", tag = "enrollment", params(("id" = uuid::Uuid, Path, description = "The enrollment id")), security(("enrollment_token" = [])), responses((status = 201, description = "The account exists: `user_id`, `username`, `status`"), (status = 400, description = "Malformed body", body = openapi::Problem, content_type = "application/problem+json"), (status = 401, description = "No or wrong enrollment token (`invalid_enrollment_token`)", body = openapi::Problem, content_type = "application/problem+json"), (status = 404, description = "`enrollment_not_found`", body = openapi::Problem, content_type = "application/problem+json"), (status = 409, description = "`step_out_of_order`, `conflict`", body = openapi::Problem, content_type = "application/problem+json"), (status = 410, description = "`enrollment_expired`", body = openapi::Problem, content_type = "application/problem+json"), (status = 409, description = "`citizen_id_taken`, `username_taken`, `step_out_of_order`", body = openapi::Problem, content_type = "application/problem+json")))]
async fn confirm(
    State(state): State<RegistrationState>,
    RequestContext(ctx): RequestContext,
    Authorized(access): Authorized,
) -> ApiResult {
    let done = state.service().confirm(&ctx, &access).await?;
    Ok(no_store(
        StatusCode::CREATED,
        json!({
            "user_id": done.user_id,
            "username": done.username,
            "status": "registered",
        }),
    ))
}
