//! Digital ID enrollment: a citizen proves who they are once (citizen ID,
//! laser code checked against the card registry, phone by SMS OTP) and gets
//! an account that signs in everywhere through `pratu-oidc`.
//!
//! The server builds a [`RegistrationState`] from [`RegistrationDeps`] (with
//! [`proofing::build_proofing`] and [`sms::build_sms`] for the adapters) and
//! merges [`router`], which serves the HTML wizard under `/register` and the
//! JSON API under `/api/v1/`.
#![forbid(unsafe_code)]

use axum::Router;
use axum::extract::FromRef;

pub mod api;
pub mod config;
pub mod domain;
pub mod proofing;
mod request;
pub mod service;
pub mod sms;
mod state;
mod web;

pub use config::{
    ConfigError, EnrollmentConfig, LimitsConfig, OtpConfig, ProofingConfig, SmsConfig,
};
pub use proofing::{IdentityProofing, build_proofing};
pub use sms::{build_sms, build_sms_with_clock};
pub use state::{RegistrationDeps, RegistrationState};

/// The enrollment routes: `/register…` (HTML wizard) and `/api/v1/…` (JSON).
pub fn router<S>() -> Router<S>
where
    RegistrationState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new().merge(api::routes()).merge(web::routes())
}
