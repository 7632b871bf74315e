//! The citizen's portal under `/account`: signing in through Pratu itself
//! ([`session`]), the shell every portal page shares ([`page`]: chrome,
//! navigation, rendering, error pages; [`i18n`]: the words), and the
//! profile page. Other sections build on [`PortalUser`] (who is signed in,
//! CSRF per form purpose), [`PortalUser::chrome`] and [`page::render`].

pub mod i18n;
pub mod page;
mod profile;
pub mod session;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::{get, post};

pub use page::{Chrome, PageLang, error_page, render};
pub use session::PortalUser;

use crate::state::AccountState;

pub(crate) fn routes<S>() -> Router<S>
where
    AccountState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/account", get(profile::profile))
        .route(session::CALLBACK_PATH, get(session::callback))
        .route(session::SIGNOUT_PATH, post(session::signout))
        .route(page::STYLESHEET_PATH, get(page::stylesheet))
}
