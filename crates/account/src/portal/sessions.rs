//! `/account/sessions`: the browsers signed in to Digital ID, and "sign
//! out everywhere" →
//! [`AccountService::sign_out_everywhere`](crate::service::AccountService),
//! which ends the portal session too.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use pratu_core::web::RequestContext;

use super::done::done_path;
use super::page::{Chrome, PageLang, error_page, render, unavailable};
use super::profile::format_date;
use super::session::PortalUser;
use crate::state::AccountState;

pub(crate) const PATH: &str = "/account/sessions";
const PURPOSE: &str = "account.sessions.end";

#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub started: String,
    pub last_seen: String,
    pub how: String,
}

#[derive(Template)]
#[template(path = "portal/sessions.html")]
pub(crate) struct SessionsPage {
    pub c: Chrome,
    pub csrf: String,
    pub sessions: Vec<Row>,
}

pub(crate) async fn show(
    State(state): State<AccountState>,
    lang: PageLang,
    user: PortalUser,
) -> Response {
    let sessions = match state.service().sessions(user.user_id).await {
        Ok(s) => s,
        Err(e) => return unavailable(&state, lang, e),
    };
    let sessions = sessions
        .into_iter()
        .map(|s| Row {
            started: format_date(lang.lang, s.started_at),
            last_seen: format_date(lang.lang, s.last_seen_at),
            how: s.amr.join(", "),
        })
        .collect();
    render(
        &state,
        lang,
        StatusCode::OK,
        &SessionsPage {
            c: user.chrome(&state, lang, PATH),
            csrf: user.csrf_token(&state, PURPOSE),
            sessions,
        },
    )
}

pub(crate) async fn end_all(
    State(state): State<AccountState>,
    lang: PageLang,
    user: PortalUser,
    ctx: RequestContext,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !user.csrf_ok(&state, PURPOSE, form.get("csrf").map(String::as_str)) {
        return error_page(&state, lang, StatusCode::FORBIDDEN, "error.form_stale");
    }
    match state
        .service()
        .sign_out_everywhere(&ctx, user.user_id)
        .await
    {
        Ok(()) => Redirect::to(&done_path("sessions")).into_response(),
        Err(e) => unavailable(&state, lang, e),
    }
}
