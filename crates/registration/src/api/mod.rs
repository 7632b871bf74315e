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

#[derive(Debug, Deserialize)]
struct StartBody {
    accept_terms: bool,
    terms_version: String,
    #[serde(default)]
    language: Option<String>,
}

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

#[derive(Debug, Deserialize)]
struct CitizenIdBody {
    citizen_id: String,
}

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

#[derive(Debug, Deserialize)]
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

#[derive(Debug, Deserialize)]
struct AccountBody {
    username: String,
    password: String,
}

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

#[derive(Debug, Deserialize)]
struct PhoneBody {
    phone: String,
}

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

#[derive(Debug, Deserialize)]
struct VerifyBody {
    code: String,
}

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

async fn review(
    State(state): State<RegistrationState>,
    Authorized(access): Authorized,
) -> ApiResult {
    let review = state.service().review(&access).await?;
    let body = serde_json::to_value(&review).map_err(EnrollmentError::internal)?;
    Ok(no_store(StatusCode::OK, body))
}

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
