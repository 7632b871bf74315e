//! `/account/activity` (what happened to the account, newest first) and
//! `/account/data` with `GET /account/export` (everything held about the
//! account, as the service's export JSON, downloaded as a file).

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION};
use axum::response::{IntoResponse, Response};
use pratu_core::web::RequestContext;

use super::page::{Chrome, PageLang, render, unavailable};
use super::profile::format_date;
use super::session::PortalUser;
use crate::service::EXPORT_FILENAME;
use crate::state::AccountState;

pub(crate) const ACTIVITY_PATH: &str = "/account/activity";
pub(crate) const DATA_PATH: &str = "/account/data";
pub(crate) const EXPORT_PATH: &str = "/account/export";

/// One event as shown.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub when: String,
    pub action: String,
    pub outcome: String,
    pub app: Option<String>,
}

#[derive(Template)]
#[template(path = "portal/activity.html")]
pub(crate) struct ActivityPage {
    pub c: Chrome,
    pub events: Vec<Event>,
}

pub(crate) async fn activity(
    State(state): State<AccountState>,
    lang: PageLang,
    user: PortalUser,
) -> Response {
    let items = match state.service().activity(user.user_id).await {
        Ok(i) => i,
        Err(e) => return unavailable(&state, lang, e),
    };
    let events = items
        .into_iter()
        .map(|i| Event {
            when: format!(
                "{} {:02}:{:02} UTC",
                format_date(lang.lang, i.time),
                i.time.hour(),
                i.time.minute()
            ),
            action: i.action,
            outcome: i.outcome,
            app: i.client_id,
        })
        .collect();
    render(
        &state,
        lang,
        StatusCode::OK,
        &ActivityPage {
            c: user.chrome(&state, lang, ACTIVITY_PATH),
            events,
        },
    )
}

#[derive(Template)]
#[template(path = "portal/data.html")]
pub(crate) struct DataPage {
    pub c: Chrome,
}

pub(crate) async fn data(
    State(state): State<AccountState>,
    lang: PageLang,
    user: PortalUser,
) -> Response {
    render(
        &state,
        lang,
        StatusCode::OK,
        &DataPage {
            c: user.chrome(&state, lang, DATA_PATH),
        },
    )
}

/// A download, not a page: the service audits the export.
pub(crate) async fn export(
    State(state): State<AccountState>,
    lang: PageLang,
    user: PortalUser,
    ctx: RequestContext,
) -> Response {
    match state.service().export(&ctx, user.user_id).await {
        Ok(v) => (
            [
                (
                    CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{EXPORT_FILENAME}\""),
                ),
                (CACHE_CONTROL, "no-store".to_owned()),
            ],
            Json(v),
        )
            .into_response(),
        Err(e) => unavailable(&state, lang, e),
    }
}
