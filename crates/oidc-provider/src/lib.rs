//! The OAuth 2.0 / OpenID Connect provider through which agency applications
//! sign citizens and staff in with one account and one SSO session.
//!
//! # For the server
//! - Build [`OidcState`] once with [`OidcState::init`] from [`OidcDeps`]
//!   (after migrations; it creates signing keys on first start), start
//!   [`OidcState::spawn_background`], and mount [`router`] with a state
//!   from which `OidcState` can be taken (`FromRef`).
//! - The CLI uses [`clients::ClientService`] (`pratu client …`) and
//!   [`keys::KeyManager`] (`pratu keys list|rotate`), which work without a
//!   running server.
//! - Configuration sections live in [`config`].
//!
//! # Handlers and their dependencies
//! A handler takes the substates of [`OidcState`] it uses as separate
//! `State<…>` extractors (`State<Tokens>`, `State<Sessions>`,
//! `State<Forms>`, …; see the `state` module), never the whole state, so its
//! signature says what it can touch. Behaviour lives on the substate it
//! needs (minting on `Tokens`, the SSO session on `Sessions`, the next step
//! of an authorization request on `AuthorizeFlow`). The server only needs
//! `OidcState: FromRef<S>`: every substate is taken from it.
//!
//! # Layout
//! One module per endpoint or concern: [`discovery`] (metadata, JWKS),
//! `authorize` (authorization endpoint, login, consent, continue step),
//! `stepup` (second factors for `urn:pratu:acr:aal2`: passkey, authenticator app, SMS OTP), `token` (grants, client
//! authentication, minting), `userinfo`, `introspect` (introspection and
//! revocation), `logout` (RP-initiated and back-channel), `session` (the
//! SSO session in the ephemeral store), [`claims`] and [`scopes`] (what is
//! released), `subject` (public and pairwise `sub`), [`keys`] and
//! [`clients`].
#![forbid(unsafe_code)]

mod access;
pub mod acr;
mod audit;
mod authorize;
pub mod claims;
pub mod clients;
pub mod config;
pub mod discovery;
mod introspect;
pub mod keys;
mod logout;
mod ratelimit;
pub mod scopes;
mod session;
mod state;
mod stepup;
mod subject;
mod token;
mod userinfo;
pub mod web;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::{get, post};

pub use state::{InitError, Issuer, OidcDeps, OidcState};
pub use token::bearer::{Bearer, BearerError};

/// Every endpoint of the provider, at the paths discovery advertises.
pub fn router<S>() -> Router<S>
where
    OidcState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    use discovery as d;
    use web::cors;
    // Endpoints browser apps fetch directly: CORS for any origin.
    let api = Router::new()
        .route(
            d::DISCOVERY_PATH,
            get(d::discovery).options(cors::preflight),
        )
        .route(d::JWKS_PATH, get(d::jwks).options(cors::preflight))
        .route(d::JWKS_ALIAS_PATH, get(d::jwks).options(cors::preflight))
        .route(d::TOKEN_PATH, post(token::token).options(cors::preflight))
        .route(
            d::USERINFO_PATH,
            get(userinfo::userinfo)
                .post(userinfo::userinfo)
                .options(cors::preflight),
        )
        .route(
            d::INTROSPECT_PATH,
            post(introspect::introspect).options(cors::preflight),
        )
        .route(
            d::REVOKE_PATH,
            post(introspect::revoke).options(cors::preflight),
        )
        .layer(axum::middleware::map_response(cors::allow_any_origin));
    // RFC 7591/7592: bearer-token JSON endpoints for registrant software.
    let registration = {
        use clients::registration as r;
        Router::new()
            .route(r::REGISTER_PATH, post(r::register))
            .route(
                r::MANAGE_PATH,
                get(r::read).put(r::update).delete(r::delete),
            )
    };
    // Navigations: pages and redirects, no CORS.
    let interactive = Router::new()
        .route(
            d::AUTHORIZE_PATH,
            get(authorize::authorize_get).post(authorize::authorize_post),
        )
        .route(authorize::CONTINUE_PATH, get(authorize::continue_get))
        .route(authorize::LOGIN_PATH, post(authorize::login_post))
        .route(
            authorize::passkey::OPTIONS_PATH,
            post(authorize::passkey::options_post),
        )
        .route(
            authorize::passkey::LOGIN_PATH,
            post(authorize::passkey::login_post),
        )
        .route(
            authorize::passkey::SCRIPT_PATH,
            get(authorize::passkey::script),
        )
        .route(stepup::OTP_PATH, post(stepup::otp_post))
        .route(stepup::TOTP_PATH, post(stepup::totp_post))
        .route(stepup::PASSKEY_PATH, post(stepup::passkey_post))
        .route(authorize::CONSENT_PATH, post(authorize::consent_post))
        .route(
            d::END_SESSION_PATH,
            get(logout::end_session).post(logout::end_session),
        )
        .route(logout::CONFIRM_PATH, post(logout::confirm))
        .route(web::stylesheet::PATH, get(web::stylesheet::stylesheet));
    api.merge(interactive)
        .merge(registration)
        .layer(axum::middleware::from_fn(audit::with_request_id))
}
