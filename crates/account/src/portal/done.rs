//! `/account/done/{what}`: the public page after an operation that ends the
//! portal session (password changed, signed out everywhere, account
//! deleted), reached by POST-redirect-GET.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::page::{Chrome, PageLang, error_page, render};
use crate::state::AccountState;

/// The operations with a "done" page: `(path segment, i18n key prefix)`.
const DONE: &[(&str, &str)] = &[
    ("password", "done.password"),
    ("sessions", "done.sessions"),
    ("deleted", "done.deleted"),
];

pub(crate) fn done_path(what: &str) -> String {
    format!("/account/done/{what}")
}

#[derive(Template)]
#[template(path = "portal/done.html")]
pub(crate) struct DonePage {
    pub c: Chrome,
    /// An i18n key.
    pub message: &'static str,
    /// Offer to sign in again (not after deletion).
    pub again: bool,
}

pub(crate) async fn show(
    State(state): State<AccountState>,
    lang: PageLang,
    Path(what): Path<String>,
) -> Response {
    let Some((seg, key)) = DONE.iter().find(|(w, _)| *w == what) else {
        return error_page(&state, lang, StatusCode::NOT_FOUND, "error.not_found");
    };
    render(
        &state,
        lang,
        StatusCode::OK,
        &DonePage {
            c: Chrome::public(lang.lang, "/account"),
            message: key,
            again: *seg != "deleted",
        },
    )
}
