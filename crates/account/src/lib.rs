//! The citizen's own Digital ID account: the front door `/`, the portal
//! `/account` (signed in through Pratu itself as the built-in client
//! `pratu-account`), the account JSON API `/api/v1/account…` (access tokens
//! of scope `account`), and recovery `/api/v1/recovery…` with its wizard.
//!
//! A feature crate: it takes shared services from `pratu-core` (the
//! provider's tokens and sessions through [`pratu_core::access`]) and
//! records from `pratu-storage`, and imports no other feature.
#![forbid(unsafe_code)]

use axum::Router;
use axum::extract::FromRef;

pub mod api;
pub mod config;
mod front;
pub mod portal;
pub mod service;
mod state;

pub use config::{AccountConfig, AccountConfigError};
pub use pratu_core::access::{ACCOUNT_CLIENT_ID, ACCOUNT_SCOPE};
pub use state::{AccountDeps, AccountState};

/// Every route of the citizen's side.
pub fn router<S>() -> Router<S>
where
    AccountState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/", axum::routing::get(front::front))
        .merge(portal::routes())
        .merge(api::routes())
}
