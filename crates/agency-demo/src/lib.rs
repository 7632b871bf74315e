//! Two sample agency applications — "INFO", the public e-Service of the
//! government contact-information system, and a staff back-office — that
//! sign citizens in through Pratu. They are the reference integration an
//! agency copies: read them top-down.
//!
//! - [`config`]: what an app must be told (issuer, client id and secret
//!   from `pratu client create`, its own public URL).
//! - [`provider`]: the OpenID Connect relying party with the
//!   `openidconnect` crate — discovery, authorization code + PKCE (S256),
//!   state, nonce, ID token validation including `at_hash`, userinfo, and
//!   RP-initiated logout.
//! - [`logout_token`]: validation of back-channel logout tokens
//!   (Back-Channel Logout 1.0 §2.6) with `jsonwebtoken`.
//! - [`sessions`]: the app's own sessions (a random id in an HttpOnly
//!   cookie), ended by the logout button or by Pratu's back-channel call.
//! - [`web`]: the routes; [`pages`]: the HTML (askama, escaped).

pub mod config;
pub mod logout_token;
pub mod pages;
pub mod provider;
pub mod sessions;
pub mod web;

pub use config::{App, Config};
pub use web::router;

/// Serves the app on `listener` until the future is dropped or the
/// process ends.
pub async fn serve(config: Config, listener: tokio::net::TcpListener) -> Result<(), ServeError> {
    let app = router(config)?;
    axum::serve(listener, app).await.map_err(ServeError::Io)
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Provider(#[from] provider::ProviderError),
    #[error("serving failed: {0}")]
    Io(std::io::Error),
}
