//! `/account/apps`: the applications holding the citizen's consent, each
//! with a withdraw button →
//! [`AccountService::withdraw_app`](crate::service::AccountService).

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use pratu_core::web::RequestContext;

use super::page::{Chrome, PageLang, error_page, render, unavailable};
use super::profile::format_date;
use super::session::PortalUser;
use crate::service::AccountError;
use crate::state::AccountState;

pub(crate) const PATH: &str = "/account/apps";
const PURPOSE: &str = "account.apps.withdraw";

#[derive(Debug, Clone)]
pub(crate) struct App {
    pub client_id: String,
    pub name: String,
    pub scopes: String,
    pub since: String,
}

#[derive(Template)]
#[template(path = "portal/apps.html")]
pub(crate) struct AppsPage {
    pub c: Chrome,
    pub csrf: String,
    pub apps: Vec<App>,
    pub withdrawn: bool,
}

pub(crate) async fn show(
    State(state): State<AccountState>,
    lang: PageLang,
    user: PortalUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let apps = match state.service().connected_apps(user.user_id).await {
        Ok(a) => a,
        Err(e) => return unavailable(&state, lang, e),
    };
    let apps = apps
        .into_iter()
        .map(|a| App {
            client_id: a.client_id,
            name: a.client_name,
            scopes: a.scopes.join(" "),
            since: format_date(lang.lang, a.granted_at),
        })
        .collect();
    render(
        &state,
        lang,
        StatusCode::OK,
        &AppsPage {
            c: user.chrome(&state, lang, PATH),
            csrf: user.csrf_token(&state, PURPOSE),
            apps,
            withdrawn: q.get("notice").is_some_and(|n| n == "withdrawn"),
        },
    )
}

pub(crate) async fn withdraw(
    State(state): State<AccountState>,
    lang: PageLang,
    user: PortalUser,
    ctx: RequestContext,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !user.csrf_ok(&state, PURPOSE, form.get("csrf").map(String::as_str)) {
        return error_page(&state, lang, StatusCode::FORBIDDEN, "error.form_stale");
    }
    let client_id = form.get("client_id").map_or("", String::as_str);
    match state
        .service()
        .withdraw_app(&ctx, user.user_id, client_id)
        .await
    {
        Ok(()) => Redirect::to(&format!("{PATH}?notice=withdrawn")).into_response(),
        Err(AccountError::AppNotFound) => {
            error_page(&state, lang, StatusCode::NOT_FOUND, "error.not_found")
        }
        Err(e) => unavailable(&state, lang, e),
    }
}
