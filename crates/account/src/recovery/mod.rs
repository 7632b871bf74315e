//! Recovery, for a forgotten password or a lost phone (DESIGN.md "Citizen
//! account and recovery"): the citizen proves the card again (the same
//! proofing provider, limits and counters as enrollment), then a code by
//! SMS to the registered phone or, for a lost phone, to a new number, then
//! a new password. Success ends every session and refresh token of the
//! account.
//!
//! - [`state`]: the state machine, kept in the ephemeral store;
//! - [`service`]: its steps, which both surfaces call;
//! - `api`: the JSON API `/api/v1/recovery…` (problem+json);
//! - `web`: the wizard `/recover…` (askama, Thai first, no JavaScript).
//!
//! A disabled account is not recovered: after the card is proofed the
//! answer is `account_disabled` (403), not `no_digital_id`, since enrolling
//! again would fail for that card anyway and the operator who disabled it
//! is whom the citizen must see.

use axum::Router;
use axum::extract::FromRef;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::state::AccountState;

mod api;
pub mod error;
pub mod policy;
pub mod service;
pub mod state;
pub mod token;
mod web;

pub use error::RecoveryError;
pub use policy::RecoveryPolicy;

/// The JSON API and the wizard.
pub fn routes<S>() -> Router<S>
where
    AccountState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new().merge(api::routes()).merge(web::routes())
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Pratu account recovery API",
        description = "Recover a Digital ID after a forgotten password or a lost phone by \
            proving the ID card again. Calls after the first carry the start's \
            `recovery_token` as `Authorization: Bearer`. Errors are RFC 9457 problem \
            details with a stable `code`.",
    ),
    paths(api::start, api::identity, api::phone, api::verify, api::password),
    modifiers(&RecoveryToken),
    tags((name = "recovery", description = "Forgotten password, lost phone")),
)]
struct ApiDoc;

struct RecoveryToken;

impl Modify for RecoveryToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "recovery_token",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The OpenAPI document of the recovery API (merged into
/// `/api/openapi.json`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_document_lists_every_recovery_call() {
        let doc = serde_json::to_value(super::openapi()).unwrap();
        for path in [
            "/api/v1/recovery",
            "/api/v1/recovery/{id}/identity",
            "/api/v1/recovery/{id}/phone",
            "/api/v1/recovery/{id}/otp/verify",
            "/api/v1/recovery/{id}/password",
        ] {
            assert!(doc["paths"][path].is_object(), "{path}");
        }
        assert!(doc["components"]["schemas"]["IdentityBody"].is_object());
    }
}
