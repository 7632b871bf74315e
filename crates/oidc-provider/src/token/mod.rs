//! The token endpoint (RFC 6749 §3.2, OIDC Core §3.1.3): authorization
//! code, refresh token and client credentials grants. Errors follow RFC
//! 6749 §5.2; every answer carries `Cache-Control: no-store`.

pub(crate) mod bearer;
pub(crate) mod client_auth;
mod code;
pub(crate) mod code_format;
mod credentials;
pub(crate) mod mint;
mod refresh;
pub(crate) mod refresh_format;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, PRAGMA};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use pratu_storage::records::GrantType;
use serde::Serialize;

use crate::discovery::TOKEN_PATH;
use crate::state::OidcState;
use crate::web::oauth_error::{ErrorCode, OAuthError};
use crate::web::params::Params;

#[derive(Debug, Serialize)]
pub(crate) struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    pub scope: String,
}

impl IntoResponse for TokenResponse {
    fn into_response(self) -> Response {
        let mut res = axum::Json(self).into_response();
        res.headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        res.headers_mut()
            .insert(PRAGMA, HeaderValue::from_static("no-cache"));
        res
    }
}

/// `POST /token`.
#[tracing::instrument(name = "pratu.oidc.token", skip_all)]
pub(crate) async fn token(
    State(state): State<OidcState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match handle(&state, &headers, &body).await {
        Ok(r) => r.into_response(),
        Err(e) => {
            tracing::info!(error = e.code.as_str(), description = %e.description, "token request refused");
            e.into_response()
        }
    }
}

async fn handle(
    state: &OidcState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<TokenResponse, OAuthError> {
    let p = Params::from_form(headers, body).ok_or_else(|| {
        OAuthError::invalid_request("the body must be application/x-www-form-urlencoded")
    })?;
    if let Some(name) = p.first_duplicate() {
        return Err(OAuthError::invalid_request(format!("{name} is repeated")));
    }
    let grant_type = p
        .get("grant_type")
        .ok_or_else(|| OAuthError::invalid_request("grant_type is missing"))?;
    let endpoint = state.0.issuer.endpoint(TOKEN_PATH);
    let client = client_auth::authenticate(state, headers, &p, &endpoint).await?;
    match grant_type.parse::<GrantType>() {
        Ok(GrantType::AuthorizationCode) => code::exchange(state, &client, &p).await,
        Ok(GrantType::RefreshToken) => refresh::exchange(state, &client, &p).await,
        Ok(GrantType::ClientCredentials) => credentials::exchange(state, &client, &p),
        Err(_) => Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            "unsupported grant_type",
        )),
    }
}
