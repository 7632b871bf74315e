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

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, PRAGMA};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use pratu_storage::StorageError;
use pratu_storage::records::GrantType;
use serde::Serialize;

use crate::discovery::TOKEN_PATH;
use crate::state::{Audit, ClientAuth, Tokens};
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
    State(auth): State<ClientAuth>,
    State(tokens): State<Tokens>,
    State(audit): State<Audit>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match handle(&auth, &tokens, &audit, &headers, &body).await {
        Ok(r) => r.into_response(),
        Err(e) => {
            tracing::info!(error = e.code.as_str(), description = %e.description, "token request refused");
            e.into_response()
        }
    }
}

async fn handle(
    auth: &ClientAuth,
    tokens: &Tokens,
    audit: &Audit,
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
    let endpoint = auth.issuer.endpoint(TOKEN_PATH);
    let client = client_auth::authenticate(auth, headers, &p, &endpoint).await?;
    match grant_type.parse::<GrantType>() {
        Ok(GrantType::AuthorizationCode) => code::exchange(tokens, audit, &client, &p).await,
        Ok(GrantType::RefreshToken) => refresh::exchange(tokens, audit, &client, &p).await,
        Ok(GrantType::ClientCredentials) => credentials::exchange(tokens, &client, &p),
        Err(_) => Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            "unsupported grant_type",
        )),
    }
}

/// How often a revocation that must not be lost is tried within one request.
const REVOKE_ATTEMPTS: u32 = 3;
/// The pause after the first failed try; it doubles after each.
const REVOKE_BACKOFF: Duration = Duration::from_millis(50);

/// Runs a revocation, retried a few times so that a blip of the store does
/// not leave live the tokens it was meant to end. The last error is
/// returned: the caller must then fail the request (so the client retries
/// and the revocation is tried again), not drop it.
pub(crate) async fn revoke_retried<F, Fut, T>(
    what: &'static str,
    mut revoke: F,
) -> Result<(), StorageError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StorageError>>,
{
    let mut pause = REVOKE_BACKOFF;
    let mut attempt = 1;
    loop {
        match revoke().await {
            Ok(_) => return Ok(()),
            Err(e) if attempt < REVOKE_ATTEMPTS => {
                tracing::warn!(error = %error_chain(&e), attempt, "{what} failed; trying again");
                tokio::time::sleep(pause).await;
                pause *= 2;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// An error and its causes on one line, for logs (storage errors keep
/// their backend's details in the source).
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        next = cause.source();
    }
    out
}
