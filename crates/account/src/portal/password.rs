//! `/account/password`: the current password and a new one (twice) →
//! [`AccountService::change_password`](crate::service::AccountService).
//! Success ends every session, the portal's too, so the citizen lands on
//! a public "signed in again with the new password" page.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use pratu_core::web::RequestContext;

use super::done::done_path;
use super::page::{Chrome, PageLang, error_page, render, unavailable};
use super::session::PortalUser;
use crate::service::AccountError;
use crate::state::AccountState;

pub(crate) const PATH: &str = "/account/password";
const PURPOSE: &str = "account.password";

#[derive(Template)]
#[template(path = "portal/password.html")]
pub(crate) struct PasswordPage {
    pub c: Chrome,
    pub csrf: String,
    /// An i18n key (`password.error.*`), when the last try failed.
    pub error: Option<&'static str>,
}

fn page(
    state: &AccountState,
    lang: PageLang,
    user: &PortalUser,
    status: StatusCode,
    error: Option<&'static str>,
) -> Response {
    render(
        state,
        lang,
        status,
        &PasswordPage {
            c: user.chrome(state, lang, PATH),
            csrf: user.csrf_token(state, PURPOSE),
            error,
        },
    )
}

pub(crate) async fn show(
    State(state): State<AccountState>,
    lang: PageLang,
    user: PortalUser,
) -> Response {
    page(&state, lang, &user, StatusCode::OK, None)
}

pub(crate) async fn change(
    State(state): State<AccountState>,
    lang: PageLang,
    user: PortalUser,
    ctx: RequestContext,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| form.get(k).map_or("", String::as_str);
    if !user.csrf_ok(&state, PURPOSE, form.get("csrf").map(String::as_str)) {
        return error_page(&state, lang, StatusCode::FORBIDDEN, "error.form_stale");
    }
    if field("new_password") != field("confirm_password") {
        return page(
            &state,
            lang,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("password.error.mismatch"),
        );
    }
    let res = state
        .service()
        .change_password(
            &ctx,
            user.user_id,
            field("current_password"),
            field("new_password"),
        )
        .await;
    let error = match res {
        Ok(()) => return Redirect::to(&done_path("password")).into_response(),
        Err(AccountError::InvalidPassword) => "password.error.wrong",
        Err(AccountError::WeakPassword(_)) => "password.error.weak",
        Err(AccountError::TooManyAttempts { .. }) => "password.error.too_many",
        Err(e) => return unavailable(&state, lang, e),
    };
    page(
        &state,
        lang,
        &user,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(error),
    )
}
