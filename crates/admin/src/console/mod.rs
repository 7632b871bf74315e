//! The operator console: server-rendered pages under `/admin` for the
//! everyday tasks — list clients, register one (its secret shown once),
//! rotate a secret, browse the audit log. Operators sign in through Pratu
//! itself ([`session`]); every form carries a CSRF token bound to the
//! console session.

mod pages;
mod session;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::{get, post};
use pratu_oidc::clients::{ClientError, NewClient};
use pratu_oidc::scopes::ADMIN_SCOPE;

use crate::state::AdminState;

pub(crate) fn router<S>() -> Router<S>
where
    AdminState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/admin", get(pages::home))
        .route("/admin/", get(pages::home))
        .route("/admin/login", get(pages::login))
        .route(session::CALLBACK_PATH, get(session::callback))
        .route("/admin/logout", post(pages::logout))
        .route("/admin/signed-out", get(pages::signed_out))
        .route("/admin/clients", get(pages::clients))
        .route(
            "/admin/clients/new",
            get(pages::new_client).post(pages::create_client),
        )
        .route(
            "/admin/clients/{client_id}/secret",
            post(pages::rotate_secret),
        )
        .route("/admin/audit", get(pages::audit))
        .route(STYLESHEET_PATH, get(stylesheet))
}

const STYLESHEET_PATH: &str = "/admin/console.css";

/// Served from the binary so the content security policy can forbid inline
/// styles (`style-src 'self'`).
async fn stylesheet() -> impl axum::response::IntoResponse {
    use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/console.css"),
    )
}

impl AdminState {
    /// Registers (or brings up to date) the console's own client: a public,
    /// first-party client of this issuer allowed `openid pratu:admin`,
    /// redirecting to `/admin/callback`. Call once at start; several nodes
    /// starting at once converge on the same record.
    pub async fn register_console_client(&self) -> Result<(), ClientError> {
        let id = self.0.config.console_client_id.clone();
        let meta = || NewClient {
            client_id: Some(id.clone()),
            client_name: "Pratu operator console".to_owned(),
            redirect_uris: vec![format!(
                "{}{}",
                self.oidc().issuer(),
                session::CALLBACK_PATH
            )],
            public: true,
            scopes: vec!["openid".to_owned(), ADMIN_SCOPE.to_owned()],
            first_party: true,
            ..NewClient::default()
        };
        self.oidc().clients().ensure_first_party(meta()).await
    }
}
