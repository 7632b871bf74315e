//! The account JSON API `/api/v1/account…` (DESIGN.md "Citizen account and
//! recovery"), called with an access token of scope `account` that only the
//! built-in client `pratu-account` obtains, and its OpenAPI document. The
//! handlers only translate: the logic is [`crate::service`]'s, which the
//! portal's pages call too. Every answer is `Cache-Control: no-store`.

mod auth;
mod error;
mod totp;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRef, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use pratu_core::web::RequestContext;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

pub use auth::AccountCaller;
pub use error::{ApiError, Problem};

use crate::service::{
    ActivityItem, ConnectedApp, EXPORT_FILENAME, PhoneChallenge, Profile, Session,
};
use crate::state::AccountState;

/// Every route of the account API, as `(method, path)` in OpenAPI form;
/// a test checks the document lists each.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/api/v1/account"),
    ("delete", "/api/v1/account"),
    ("put", "/api/v1/account/password"),
    ("post", "/api/v1/account/phone"),
    ("post", "/api/v1/account/phone/verify"),
    ("get", "/api/v1/account/apps"),
    ("delete", "/api/v1/account/apps/{client_id}"),
    ("get", "/api/v1/account/sessions"),
    ("delete", "/api/v1/account/sessions"),
    ("get", "/api/v1/account/activity"),
    ("get", "/api/v1/account/export"),
    ("post", "/api/v1/account/totp"),
    ("delete", "/api/v1/account/totp"),
    ("post", "/api/v1/account/totp/verify"),
    ("post", "/api/v1/account/recovery-codes"),
];

/// The account API's routes.
pub fn routes<S>() -> Router<S>
where
    AccountState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/api/v1/account", get(profile).delete(delete_account))
        .route("/api/v1/account/password", put(change_password))
        .route("/api/v1/account/phone", post(start_phone_change))
        .route("/api/v1/account/phone/verify", post(verify_phone_change))
        .route("/api/v1/account/apps", get(apps))
        .route("/api/v1/account/apps/{client_id}", delete(withdraw_app))
        .route(
            "/api/v1/account/sessions",
            get(sessions).delete(sign_out_everywhere),
        )
        .route("/api/v1/account/activity", get(activity))
        .route("/api/v1/account/export", get(export))
        .route(
            "/api/v1/account/totp",
            post(totp::start_totp).delete(totp::remove_totp),
        )
        .route("/api/v1/account/totp/verify", post(totp::verify_totp))
        .route(
            "/api/v1/account/recovery-codes",
            post(totp::new_recovery_codes),
        )
        .layer(axum::middleware::map_response(no_store))
}

/// Personal data: never cached.
async fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn body<T>(b: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    b.map(|Json(v)| v).map_err(ApiError::from)
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Pratu account API",
        description = "The citizen's own Digital ID account: profile, password, phone, connected \
            apps, authenticator app and recovery codes, sessions, activity, PDPA export and \
            deletion. Every call needs an access token of scope `account`, which only the \
            built-in client `pratu-account` obtains (code + PKCE). Errors are RFC 9457 problem \
            details with a stable `code`.",
    ),
    paths(
        profile, change_password, start_phone_change, verify_phone_change, apps, withdraw_app,
        sessions, sign_out_everywhere, activity, export, delete_account, totp::start_totp,
        totp::verify_totp, totp::remove_totp, totp::new_recovery_codes,
    ),
    components(schemas(
        Problem, Profile, PasswordChange, PhoneChange, PhoneCode, PhoneChallenge, ConnectedApp,
        AppList, Session, SessionList, ActivityItem, ActivityList, PasswordConfirmation,
        totp::TotpSetup, totp::TotpCode, totp::RecoveryCodes,
    )),
    modifiers(&AccountBearer),
    tags((name = "account", description = "The citizen's own account")),
)]
struct ApiDoc;

struct AccountBearer;

impl Modify for AccountBearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut http = Http::new(HttpAuthScheme::Bearer);
        http.bearer_format = Some("JWT".to_owned());
        http.description = Some(
            "An access token of scope `account` issued to the client `pratu-account`.".to_owned(),
        );
        components.add_security_scheme("account_token", SecurityScheme::Http(http));
    }
}

/// The OpenAPI document of the account API (merged into
/// `/api/openapi.json` by the server).
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The account, personal data masked.
#[utoipa::path(get, path = "/api/v1/account", tag = "account",
    responses(
        (status = 200, body = Profile),
        (status = 401, description = "`invalid_token`", body = Problem),
        (status = 403, description = "`insufficient_scope`", body = Problem),
        (status = 503, description = "`service_unavailable` (a store is down) or `temporarily_unavailable` (busy); see `Retry-After`", body = Problem),
    ),
    security(("account_token" = ["account"])))]
pub async fn profile(
    State(s): State<AccountState>,
    caller: AccountCaller,
) -> Result<Json<Profile>, ApiError> {
    Ok(Json(s.service().profile(caller.user_id).await?))
}

/// `PUT /api/v1/account/password`.
/// No `Debug`: it holds a secret.
#[derive(Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Changes the password. Every SSO session and refresh token of the
/// account ends, this token's included: sign in again with the new
/// password.
#[utoipa::path(put, path = "/api/v1/account/password", tag = "account",
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed; every session and refresh token ended"),
        (status = 401, description = "`invalid_token`", body = Problem),
        (status = 403, description = "`invalid_password` (the current one), `insufficient_scope`", body = Problem),
        (status = 422, description = "`password_policy`, `password_too_common`, `password_contains_username`, `invalid_request`", body = Problem),
        (status = 429, description = "`too_many_attempts`", body = Problem),
        (status = 503, description = "`service_unavailable` (a store is down) or `temporarily_unavailable` (busy); see `Retry-After`", body = Problem),
    ),
    security(("account_token" = ["account"])))]
pub async fn change_password(
    State(s): State<AccountState>,
    caller: AccountCaller,
    ctx: RequestContext,
    b: Result<Json<PasswordChange>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let b = body(b)?;
    s.service()
        .change_password(&ctx, caller.user_id, &b.current_password, &b.new_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/account/phone`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PhoneChange {
    /// A Thai mobile number, `0812345678` or `+66812345678`.
    pub phone: String,
}

/// Sends a code to the new number; confirm it with `/phone/verify`.
#[utoipa::path(post, path = "/api/v1/account/phone", tag = "account",
    request_body = PhoneChange,
    responses(
        (status = 202, body = PhoneChallenge),
        (status = 401, description = "`invalid_token`", body = Problem),
        (status = 403, description = "`insufficient_scope`", body = Problem),
        (status = 422, description = "`invalid_phone`, `phone_unchanged`, `invalid_request`", body = Problem),
        (status = 429, description = "`too_many_attempts` (codes per number, cooldown)", body = Problem),
        (status = 503, description = "`sms_unavailable`", body = Problem),
    ),
    security(("account_token" = ["account"])))]
pub async fn start_phone_change(
    State(s): State<AccountState>,
    caller: AccountCaller,
    ctx: RequestContext,
    b: Result<Json<PhoneChange>, JsonRejection>,
) -> Result<(StatusCode, Json<PhoneChallenge>), ApiError> {
    let b = body(b)?;
    let sent = s
        .service()
        .start_phone_change(&ctx, caller.user_id, &b.phone)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(sent)))
}

/// `POST /api/v1/account/phone/verify`.
/// No `Debug`: it holds a secret.
#[derive(Deserialize, ToSchema)]
pub struct PhoneCode {
    /// The six digits of the SMS.
    pub code: String,
}

/// Confirms the new number with its code: the account's phone changes and
/// the old number gets an SMS notice.
#[utoipa::path(post, path = "/api/v1/account/phone/verify", tag = "account",
    request_body = PhoneCode,
    responses(
        (status = 204, description = "The phone is changed"),
        (status = 401, description = "`invalid_token`", body = Problem),
        (status = 403, description = "`insufficient_scope`", body = Problem),
        (status = 409, description = "`no_phone_change`", body = Problem),
        (status = 422, description = "`otp_invalid` (with `attempts_left`), `otp_expired`, `invalid_request`", body = Problem),
        (status = 429, description = "`too_many_attempts`", body = Problem),
    ),
    security(("account_token" = ["account"])))]
pub async fn verify_phone_change(
    State(s): State<AccountState>,
    caller: AccountCaller,
    ctx: RequestContext,
    b: Result<Json<PhoneCode>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let b = body(b)?;
    s.service()
        .verify_phone_change(&ctx, caller.user_id, &b.code)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AppList {
    pub items: Vec<ConnectedApp>,
}

/// The applications holding the account's consent.
#[utoipa::path(get, path = "/api/v1/account/apps", tag = "account",
    responses(
        (status = 200, body = AppList),
        (status = 401, description = "`invalid_token`", body = Problem),
        (status = 403, description = "`insufficient_scope`", body = Problem),
    ),
    security(("account_token" = ["account"])))]
pub async fn apps(
    State(s): State<AccountState>,
    caller: AccountCaller,
) -> Result<Json<AppList>, ApiError> {
    let items = s.service().connected_apps(caller.user_id).await?;
    Ok(Json(AppList { items }))
}

/// Withdraws the consent given to an application and revokes its tokens
/// for the account (access and refresh).
#[utoipa::path(delete, path = "/api/v1/account/apps/{client_id}", tag = "account",
    params(("client_id" = String, Path, description = "The application")),
    responses(
        (status = 204, description = "Consent withdrawn, the app's tokens revoked"),
        (status = 401, description = "`invalid_token`", body = Problem),
        (status = 403, description = "`insufficient_scope`", body = Problem),
        (status = 404, description = "`app_not_found`", body = Problem),
    ),
    security(("account_token" = ["account"])))]
pub async fn withdraw_app(
    State(s): State<AccountState>,
    caller: AccountCaller,
    ctx: RequestContext,
    Path(client_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    s.service()
        .withdraw_app(&ctx, caller.user_id, &client_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    pub items: Vec<Session>,
}

/// The account's live SSO sessions, newest first.
#[utoipa::path(get, path = "/api/v1/account/sessions", tag = "account",
    responses(
        (status = 200, body = SessionList),
        (status = 401, description = "`invalid_token`", body = Problem),
        (status = 403, description = "`insufficient_scope`", body = Problem),
    ),
    security(("account_token" = ["account"])))]
pub async fn sessions(
    State(s): State<AccountState>,
    caller: AccountCaller,
) -> Result<Json<SessionList>, ApiError> {
    let items = s.service().sessions(caller.user_id).await?;
    Ok(Json(SessionList { items }))
}

/// Signs out everywhere: every SSO session and refresh token of the
/// account ends (this token too).
#[utoipa::path(delete, path = "/api/v1/account/sessions", tag = "account",
    responses(
        (status = 204, description = "Signed out everywhere"),
        (status = 401, description = "`invalid_token`", body = Problem),
        (status = 403, description = "`insufficient_scope`", body = Problem),
    ),
    security(("account_token" = ["account"])))]
pub async fn sign_out_everywhere(
    State(s): State<AccountState>,
    caller: AccountCaller,
    ctx: RequestContext,
) -> Result<StatusCode, ApiError> {
    s.service()
        .sign_out_everywhere(&ctx, caller.user_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityList {
    pub items: Vec<ActivityItem>,
}

/// The newest events about the account (sign-ins, changes, apps).
#[utoipa::path(get, path = "/api/v1/account/activity", tag = "account",
    responses(
        (status = 200, body = ActivityList),
        (status = 401, description = "`invalid_token`", body = Problem),
        (status = 403, description = "`insufficient_scope`", body = Problem),
    ),
    security(("account_token" = ["account"])))]
pub async fn activity(
    State(s): State<AccountState>,
    caller: AccountCaller,
) -> Result<Json<ActivityList>, ApiError> {
    let items = s.service().activity(caller.user_id).await?;
    Ok(Json(ActivityList { items }))
}

/// Everything held about the account as a JSON attachment (PDPA s.30–31):
/// account, citizen ID in clear, names, birth date, phone, proofing,
/// connected apps, sessions, activity.
#[utoipa::path(get, path = "/api/v1/account/export", tag = "account",
    responses(
        (status = 200, description = "The data, as an attachment", content_type = "application/json"),
        (status = 401, description = "`invalid_token`", body = Problem),
        (status = 403, description = "`insufficient_scope`", body = Problem),
    ),
    security(("account_token" = ["account"])))]
pub async fn export(
    State(s): State<AccountState>,
    caller: AccountCaller,
    ctx: RequestContext,
) -> Result<Response, ApiError> {
    let doc = s.service().export(&ctx, caller.user_id).await?;
    let mut res = Json(doc).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{EXPORT_FILENAME}\"")) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// `DELETE /api/v1/account`.
/// No `Debug`: it holds a secret.
#[derive(Deserialize, ToSchema)]
pub struct PasswordConfirmation {
    /// The account's current password.
    pub password: String,
}

/// Deletes the account: signed out everywhere at once, sign-in refused,
/// personal data erased; the citizen may enroll again.
#[utoipa::path(delete, path = "/api/v1/account", tag = "account",
    request_body = PasswordConfirmation,
    responses(
        (status = 202, description = "Deleted"),
        (status = 401, description = "`invalid_token`", body = Problem),
        (status = 403, description = "`invalid_password`, `insufficient_scope`", body = Problem),
        (status = 422, description = "`invalid_request`", body = Problem),
        (status = 429, description = "`too_many_attempts`", body = Problem),
    ),
    security(("account_token" = ["account"])))]
pub async fn delete_account(
    State(s): State<AccountState>,
    caller: AccountCaller,
    ctx: RequestContext,
    b: Result<Json<PasswordConfirmation>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let b = body(b)?;
    s.service()
        .delete_account(&ctx, caller.user_id, &b.password)
        .await?;
    Ok(StatusCode::ACCEPTED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_lists_every_route_with_its_method() {
        let doc = serde_json::to_value(openapi()).unwrap();
        for (method, path) in ROUTES {
            assert!(
                doc["paths"][path][method].is_object(),
                "{method} {path} missing from the OpenAPI document"
            );
        }
        assert!(doc["components"]["securitySchemes"]["account_token"].is_object());
        let refused = &doc["paths"]["/api/v1/account/password"]["put"]["responses"]["403"];
        assert!(
            refused["content"]
                .to_string()
                .contains("#/components/schemas/Problem"),
            "a refusal documents its problem body: {refused}"
        );
        assert!(doc["components"]["schemas"]["Profile"].is_object());
    }
}

/// The request bodies holding a secret print without it.
macro_rules! redacted_debug {
    ($($t:ty),+) => {$(
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($t), "([redacted])"))
            }
        }
    )+};
}
redacted_debug!(PasswordChange, PhoneCode, PasswordConfirmation);
redacted_debug!(totp::TotpSetup, totp::TotpCode, totp::RecoveryCodes);
