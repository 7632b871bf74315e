//! `/account/passkeys`: the account's passkeys (name, added, last used),
//! each removable with the password re-entered, and "add a passkey".
//!
//! Adding needs the browser's passkey dialog, which only JavaScript can
//! open: the page loads one script from Pratu ([`SCRIPT_PATH`]), and only
//! this page's content security policy allows it. The script fetches the
//! options ([`OPTIONS_PATH`]), runs `navigator.credentials.create` and posts
//! the answer with the name in an ordinary form. Without JavaScript (or
//! passkey support) the add button stays hidden and the list and removal
//! work as plain forms.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Json, Redirect, Response};
use pratu_core::web::RequestContext;
use pratu_core::web::csp;

use super::page::{Chrome, PageLang, error_page, render, unavailable};
use super::profile::format_date;
use super::session::PortalUser;
use crate::service::AccountError;
use crate::state::AccountState;

pub(crate) const PATH: &str = "/account/passkeys";
pub(crate) const OPTIONS_PATH: &str = "/account/passkeys/options";
pub(crate) const REMOVE_PATH: &str = "/account/passkeys/remove";
pub(crate) const SCRIPT_PATH: &str = "/account/passkeys.js";
const ADD_PURPOSE: &str = "account.passkeys.add";
const REMOVE_PURPOSE: &str = "account.passkeys.remove";

#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub id: String,
    pub name: String,
    pub added: String,
    /// `None`: never used to sign in.
    pub last_used: Option<String>,
}

#[derive(Template)]
#[template(path = "portal/passkeys.html")]
pub(crate) struct PasskeysPage {
    pub c: Chrome,
    pub add_csrf: String,
    pub remove_csrf: String,
    pub passkeys: Vec<Row>,
    /// Whether this deployment can register passkeys (a domain issuer).
    pub supported: bool,
    /// An i18n key (`passkeys.notice.*`).
    pub notice: Option<&'static str>,
    /// An i18n key (`passkeys.error.*` or `password.error.*`).
    pub error: Option<&'static str>,
}

async fn page(
    state: &AccountState,
    lang: PageLang,
    user: &PortalUser,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<&'static str>,
) -> Response {
    let service = state.service();
    let passkeys = match service.passkeys(user.user_id).await {
        Ok(p) => p,
        Err(e) => return unavailable(state, lang, e),
    };
    let passkeys = passkeys
        .into_iter()
        .map(|p| Row {
            id: p.id,
            name: p.name,
            added: format_date(lang.lang, p.created_at),
            last_used: p.last_used_at.map(|t| format_date(lang.lang, t)),
        })
        .collect();
    let mut res = render(
        state,
        lang,
        status,
        &PasskeysPage {
            c: user.chrome(state, lang, super::factors::FACTORS_PATH),
            add_csrf: user.csrf_token(state, ADD_PURPOSE),
            remove_csrf: user.csrf_token(state, REMOVE_PURPOSE),
            passkeys,
            supported: service.passkeys_supported(),
            notice,
            error,
        },
    );
    res.headers_mut().insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp::PASSKEY_PAGE),
    );
    res
}

pub(crate) async fn show(
    State(state): State<AccountState>,
    lang: PageLang,
    user: PortalUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let notice = match q.get("notice").map(String::as_str) {
        Some("added") => Some("passkeys.notice.added"),
        Some("removed") => Some("passkeys.notice.removed"),
        _ => None,
    };
    page(&state, lang, &user, StatusCode::OK, notice, None).await
}

/// `POST /account/passkeys/options` (the script's fetch, form-encoded with
/// the add form's CSRF token): `{"handle", "publicKey"}` for
/// `navigator.credentials.create`.
pub(crate) async fn options(
    State(state): State<AccountState>,
    user: PortalUser,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !user.csrf_ok(&state, ADD_PURPOSE, form.get("csrf").map(String::as_str)) {
        return (
            StatusCode::FORBIDDEN,
            Json(serde_json::json!({"error": "form_stale"})),
        )
            .into_response();
    }
    match state
        .service()
        .start_passkey_registration(&*state.deps().random, user.user_id)
        .await
    {
        Ok((handle, mut options)) => {
            if let Some(o) = options.as_object_mut() {
                o.insert("handle".into(), handle.into());
            }
            let mut res = Json(options).into_response();
            res.headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(e @ (AccountError::TooManyPasskeys | AccountError::PasskeysUnsupported)) => (
            StatusCode::CONFLICT,
            Json(serde_json::json!({"error": e.code()})),
        )
            .into_response(),
        Err(AccountError::AccountGone) => StatusCode::FORBIDDEN.into_response(),
        Err(e) => pratu_core::web::error::InternalError::from(e).attach(
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"error": "service_unavailable"})),
            )
                .into_response(),
        ),
    }
}

/// `POST /account/passkeys`: the name and the browser's answer.
pub(crate) async fn add(
    State(state): State<AccountState>,
    lang: PageLang,
    user: PortalUser,
    ctx: RequestContext,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| form.get(k).map_or("", String::as_str);
    if !user.csrf_ok(&state, ADD_PURPOSE, form.get("csrf").map(String::as_str)) {
        return error_page(&state, lang, StatusCode::FORBIDDEN, "error.form_stale");
    }
    let res = state
        .service()
        .finish_passkey_registration(
            &ctx,
            user.user_id,
            field("handle"),
            field("name"),
            field("credential"),
        )
        .await;
    let error = match res {
        Ok(()) => return Redirect::to(&format!("{PATH}?notice=added")).into_response(),
        Err(AccountError::InvalidPasskeyName) => "passkeys.error.name",
        Err(AccountError::PasskeyRefused) => "passkeys.error.refused",
        Err(AccountError::PasskeyExpired) => "passkeys.error.expired",
        Err(AccountError::TooManyPasskeys) => "passkeys.error.too_many",
        Err(AccountError::PasskeysUnsupported) => "passkeys.unsupported",
        Err(e) => return unavailable(&state, lang, e),
    };
    page(
        &state,
        lang,
        &user,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
        Some(error),
    )
    .await
}

/// `POST /account/passkeys/remove`: one passkey, the password re-entered.
pub(crate) async fn remove(
    State(state): State<AccountState>,
    lang: PageLang,
    user: PortalUser,
    ctx: RequestContext,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| form.get(k).map_or("", String::as_str);
    if !user.csrf_ok(&state, REMOVE_PURPOSE, form.get("csrf").map(String::as_str)) {
        return error_page(&state, lang, StatusCode::FORBIDDEN, "error.form_stale");
    }
    let res = state
        .service()
        .remove_passkey(&ctx, user.user_id, field("id"), field("password"))
        .await;
    let (status, error) = match res {
        Ok(()) => return Redirect::to(&format!("{PATH}?notice=removed")).into_response(),
        Err(AccountError::InvalidPassword) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "password.error.wrong")
        }
        Err(AccountError::TooManyAttempts { .. }) => {
            (StatusCode::TOO_MANY_REQUESTS, "password.error.too_many")
        }
        Err(AccountError::PasskeyNotFound) => {
            return error_page(&state, lang, StatusCode::NOT_FOUND, "error.not_found");
        }
        Err(e) => return unavailable(&state, lang, e),
    };
    page(&state, lang, &user, status, None, Some(error)).await
}

/// `GET /account/passkeys.js`: served from the binary (the pages allow
/// same-origin scripts, never inline ones). The sign-in page has its own.
pub(crate) async fn script() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        pratu_core::passkey::SCRIPT,
    )
}
