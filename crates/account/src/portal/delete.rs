//! `/account/delete`: the consequences, then the password and a
//! confirmation box →
//! [`AccountService::delete_account`](crate::service::AccountService);
//! the portal session ends with the account.

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

pub(crate) const PATH: &str = "/account/delete";
const PURPOSE: &str = "account.delete";

#[derive(Template)]
#[template(path = "portal/delete.html")]
pub(crate) struct DeletePage {
    pub c: Chrome,
    pub csrf: String,
    /// An i18n key, when the last try failed.
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
        &DeletePage {
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

pub(crate) async fn delete(
    State(state): State<AccountState>,
    lang: PageLang,
    user: PortalUser,
    ctx: RequestContext,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !user.csrf_ok(&state, PURPOSE, form.get("csrf").map(String::as_str)) {
        return error_page(&state, lang, StatusCode::FORBIDDEN, "error.form_stale");
    }
    if form.get("confirm").map(String::as_str) != Some("yes") {
        return page(
            &state,
            lang,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("delete.error.unconfirmed"),
        );
    }
    let password = form.get("password").map_or("", String::as_str);
    let error = match state
        .service()
        .delete_account(&ctx, user.user_id, password)
        .await
    {
        Ok(()) => return Redirect::to(&done_path("deleted")).into_response(),
        Err(AccountError::InvalidPassword) => "password.error.wrong",
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
