//! The front door `/`: where a citizen who typed the service's address
//! lands — sign in to my Digital ID (the portal), enroll, or recover.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::portal::page::{Chrome, PageLang, render};
use crate::state::AccountState;

#[derive(Template)]
#[template(path = "portal/front.html")]
pub(crate) struct FrontPage {
    pub c: Chrome,
}

/// `GET /`.
pub(crate) async fn front(State(state): State<AccountState>, lang: PageLang) -> Response {
    render(
        &state,
        lang,
        StatusCode::OK,
        &FrontPage {
            c: Chrome::public(lang.lang, "/"),
        },
    )
}
