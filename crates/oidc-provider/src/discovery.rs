//! OpenID Connect Discovery 1.0 metadata and the JWKS endpoint, both served
//! from bytes serialised ahead of time (discovery once at startup, JWKS once
//! per key load) with caching headers.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use pratu_storage::records::{GrantType, ResponseMode, SubjectType, TokenEndpointAuthMethod};
use serde_json::json;

use crate::config::OidcConfig;
use crate::keys::SigningAlg;
use crate::state::{DiscoveryDocument, Issuer, Jwks};
use crate::{acr, claims, scopes};

pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
pub const JWKS_PATH: &str = "/jwks";
/// Some relying parties guess this location; served as an alias.
pub const JWKS_ALIAS_PATH: &str = "/.well-known/jwks.json";
pub const AUTHORIZE_PATH: &str = "/authorize";
pub const TOKEN_PATH: &str = "/token";
pub const USERINFO_PATH: &str = "/userinfo";
pub const INTROSPECT_PATH: &str = "/introspect";
pub const REVOKE_PATH: &str = "/revoke";
pub const END_SESSION_PATH: &str = "/logout";

/// The discovery document: every capability listed here works.
pub(crate) fn document(issuer: &Issuer, config: &OidcConfig, step_up: bool) -> Bytes {
    let algs: Vec<&str> = SigningAlg::ALL.iter().map(|a| a.as_str()).collect();
    let authenticated: Vec<TokenEndpointAuthMethod> = TokenEndpointAuthMethod::ALL
        .iter()
        .copied()
        .filter(|m| *m != TokenEndpointAuthMethod::None)
        .collect();
    let acr_values = acr::supported(&issuer.url, step_up);
    let doc = json!({
        "issuer": issuer.url,
        "authorization_endpoint": issuer.endpoint(AUTHORIZE_PATH),
        "token_endpoint": issuer.endpoint(TOKEN_PATH),
        "userinfo_endpoint": issuer.endpoint(USERINFO_PATH),
        "jwks_uri": issuer.endpoint(JWKS_PATH),
        "end_session_endpoint": issuer.endpoint(END_SESSION_PATH),
        "introspection_endpoint": issuer.endpoint(INTROSPECT_PATH),
        "revocation_endpoint": issuer.endpoint(REVOKE_PATH),
        "scopes_supported": scopes::all().collect::<Vec<_>>(),
        "response_types_supported": ["code"],
        "response_modes_supported": ResponseMode::ALL,
        "grant_types_supported": GrantType::ALL,
        "subject_types_supported": SubjectType::ALL,
        "id_token_signing_alg_values_supported": algs,
        "token_endpoint_auth_methods_supported": TokenEndpointAuthMethod::ALL,
        "token_endpoint_auth_signing_alg_values_supported": algs,
        // A public client has no business introspecting.
        "introspection_endpoint_auth_methods_supported": authenticated,
        "introspection_endpoint_auth_signing_alg_values_supported": algs,
        "revocation_endpoint_auth_methods_supported": TokenEndpointAuthMethod::ALL,
        "revocation_endpoint_auth_signing_alg_values_supported": algs,
        "code_challenge_methods_supported": ["S256"],
        "acr_values_supported": acr_values,
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "display_values_supported": ["page"],
        "claim_types_supported": ["normal"],
        "claims_supported": scopes::all_claims(),
        "claims_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "ui_locales_supported": ["th", "en"],
        "authorization_response_iss_parameter_supported": true,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "verified_claims_supported": true,
        "trust_frameworks_supported": config.assurance.trust_frameworks,
        "evidence_supported": ["electronic_record"],
        "electronic_records_supported": ["population_register"],
        "claims_in_verified_claims_supported": claims::VERIFIED_CLAIMS,
    });
    let mut doc = doc;
    if config.clients.dynamic_registration
        && let Some(m) = doc.as_object_mut()
    {
        m.insert(
            "registration_endpoint".to_owned(),
            serde_json::Value::String(issuer.endpoint(crate::clients::registration::REGISTER_PATH)),
        );
    }
    Bytes::from(doc.to_string())
}

pub(crate) async fn discovery(State(DiscoveryDocument(doc)): State<DiscoveryDocument>) -> Response {
    let mut res = doc.into_response();
    let h = res.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    res
}

pub(crate) async fn jwks(State(jwks): State<Jwks>, headers: HeaderMap) -> Response {
    let ring = jwks.keys.ring();
    let max_age = jwks.max_age_seconds;
    let cache = HeaderValue::from_str(&format!("public, max-age={max_age}")).ok();
    let etag = HeaderValue::from_str(ring.jwks_etag()).ok();
    let unchanged = headers
        .get(IF_NONE_MATCH)
        .zip(etag.as_ref())
        .is_some_and(|(inm, etag)| inm == etag);
    let mut res = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ring.jwks_bytes().clone().into_response()
    };
    let h = res.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/jwk-set+json"),
    );
    if let Some(v) = cache {
        h.insert(CACHE_CONTROL, v);
    }
    if let Some(v) = etag {
        h.insert(ETAG, v);
    }
    res
}
