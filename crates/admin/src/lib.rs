//! The operators' surfaces: a JSON admin API under `/admin/api/v1`
//! (RFC 9457 errors, OpenAPI document at `/admin/api/openapi.json`) and a
//! server-rendered console under `/admin`.
//!
//! Pratu protects both with its own tokens: the API takes bearer access
//! tokens this provider issued with scope `pratu:admin` (client credentials
//! for automation, or an operator's sign-in); the console is an OIDC client
//! of its own issuer and admits only accounts holding the operator role.
//! Every call is recorded in the audit trail.
//!
//! # For the server
//! Build [`AdminState`] from [`AdminDeps`], call
//! [`AdminState::register_console_client`] at start (when the console is
//! on), and merge [`router`] with a state from which `AdminState` can be
//! taken (`FromRef`).
#![forbid(unsafe_code)]

pub mod api;
mod auth;
mod config;
mod console;
mod problem;
mod state;

use axum::Router;
use axum::extract::FromRef;

pub use config::{AdminConfig, AdminConfigError};
pub use problem::{ApiError, Problem};
pub use state::{AdminDeps, AdminInitError, AdminState};

/// The admin API (when `admin.api`) and console (when `admin.console`).
pub fn router<S>(config: &AdminConfig) -> Router<S>
where
    AdminState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    let mut r = Router::new();
    if config.api {
        r = r.merge(api::router());
    }
    if config.console {
        r = r.merge(console::router());
    }
    r
}
