//! The client credentials grant, for back-office service clients: an
//! access token whose subject is the client itself. Nothing is written:
//! the hot path is one secret digest and one ES256 signature.

use pratu_storage::records::Client;

use super::TokenResponse;
use crate::clients::{GRANT_CLIENT_CREDENTIALS, allows_grant, random_token};
use crate::state::Tokens;
use crate::web::oauth_error::{ErrorCode, OAuthError};
use crate::web::params::Params;

pub(crate) fn exchange(
    tokens: &Tokens,
    client: &Client,
    p: &Params,
) -> Result<TokenResponse, OAuthError> {
    if !allows_grant(client, GRANT_CLIENT_CREDENTIALS) {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use client_credentials",
        ));
    }
    let scopes: Vec<String> = p
        .get("scope")
        .map(|s| {
            s.split(' ')
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if scopes
        .iter()
        .any(|s| s == "openid" || s == crate::scopes::ACCOUNT_SCOPE || !client.scopes.contains(s))
    {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            "a requested scope is not available to this client",
        ));
    }
    let minted = tokens.mint_access_token(
        client,
        &client.client_id,
        &scopes,
        None,
        random_token(&*tokens.random, 16),
    )?;
    Ok(TokenResponse {
        access_token: minted.token,
        token_type: "Bearer",
        expires_in: tokens.config.access_token_lifetime_seconds,
        refresh_token: None,
        id_token: None,
        scope: scopes.join(" "),
    })
}
