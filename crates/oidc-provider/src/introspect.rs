//! Token introspection (RFC 7662) for resource servers, and revocation
//! (RFC 7009). Both authenticate the calling client. A revoked access
//! token is inactive at once on every node: its `jti` is in the shared
//! ephemeral store until the token would have expired.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, PRAGMA};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use pratu_core::audit::{AuditAction, Outcome};
use pratu_storage::records::Client;
use serde_json::{Value, json};

use crate::clients::AUTH_NONE;
use crate::discovery::{INTROSPECT_PATH, REVOKE_PATH};
use crate::state::{Audit, ClientAuth, Tokens};
use crate::subject::SubjectKind;
use crate::token::client_auth::authenticate;
use crate::token::mint::{
    ACCESS_TOKEN_TYP, AccessClaims, TokenCheckError, access_token_validation,
};
use crate::token::refresh_format::Presented;
use crate::web::oauth_error::{Challenge, OAuthError, internal};
use crate::web::params::Params;

fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res.headers_mut()
        .insert(PRAGMA, HeaderValue::from_static("no-cache"));
    res
}

fn form(headers: &HeaderMap, body: &[u8]) -> Result<Params, OAuthError> {
    let p = Params::from_form(headers, body).ok_or_else(|| {
        OAuthError::invalid_request("the body must be application/x-www-form-urlencoded")
    })?;
    if let Some(name) = p.first_duplicate() {
        return Err(OAuthError::invalid_request(format!("{name} is repeated")));
    }
    Ok(p)
}

/// `POST /introspect`.
#[tracing::instrument(name = "pratu.oidc.introspect", skip_all)]
pub(crate) async fn introspect(
    State(auth): State<ClientAuth>,
    State(tokens): State<Tokens>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match introspect_inner(&auth, &tokens, &headers, &body).await {
        Ok(v) => no_store(axum::Json(v).into_response()),
        Err(e) => e.into_response(),
    }
}

async fn introspect_inner(
    auth: &ClientAuth,
    tokens: &Tokens,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, OAuthError> {
    let p = form(headers, body)?;
    let caller = authenticate(auth, headers, &p, &auth.issuer.endpoint(INTROSPECT_PATH)).await?;
    if caller.token_endpoint_auth_method == AUTH_NONE {
        return Err(OAuthError::invalid_client(
            "public clients may not introspect",
            Challenge::None,
        ));
    }
    let token = p
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
    let inactive = json!({"active": false});
    let checked = if p.get("token_type_hint") == Some("refresh_token") {
        None
    } else {
        Some(tokens.verify_access_token(token).await)
    };
    match checked {
        Some(Ok(at)) => {
            // Tokens of a client that was disabled or deleted are dead.
            if auth
                .clients
                .active(&at.client_id)
                .await
                .map_err(|e| internal(&e))?
                .is_none()
            {
                return Ok(inactive);
            }
            let mut v = json!({
                "active": true,
                "scope": at.scope,
                "client_id": at.client_id,
                "token_type": "Bearer",
                "exp": at.exp,
                "iat": at.iat,
                "sub": at.sub,
                "aud": at.aud,
                "iss": at.iss,
                "jti": at.jti,
            });
            if let (Some(m), Some(t)) = (v.as_object_mut(), at.auth_time) {
                m.insert("auth_time".into(), json!(t));
            }
            if let (Some(m), Some(a)) = (v.as_object_mut(), at.acr) {
                m.insert("acr".into(), json!(a));
            }
            return Ok(v);
        }
        // Only a token that passed its signature check gets this far: one
        // of ours that cannot be judged now. Reporting it inactive would
        // make resource servers refuse a good token for an outage of ours.
        Some(Err(e @ TokenCheckError::Unavailable(_))) => return Err(e.into()),
        // Perhaps a refresh token.
        Some(Err(TokenCheckError::Invalid(_))) | None => {}
    }
    let Some(presented) = Presented::parse(token) else {
        return Ok(inactive);
    };
    if let Some(rt) = tokens
        .store
        .refresh_token(presented.key())
        .await
        .map_err(|e| internal(&e))?
    {
        let now = tokens.clock.now();
        // A refresh token is a secret of its client: only that client
        // learns anything about it.
        if rt.client_id == caller.client_id
            && rt.used_at.is_none()
            && rt.revoked_at.is_none()
            && rt.expires_at > now
        {
            let sub = rt
                .user_id
                .map(|u| SubjectKind::of(&caller).subject(&tokens.server_key, u));
            return Ok(json!({
                "active": true,
                "scope": rt.scopes.join(" "),
                "client_id": rt.client_id,
                "token_type": "refresh_token",
                "exp": rt.expires_at.unix_timestamp(),
                "iat": rt.issued_at.unix_timestamp(),
                "sub": sub,
                "iss": tokens.issuer.url,
            }));
        }
    }
    Ok(inactive)
}

/// `POST /revoke`: always 200 for a token that is unknown, expired or
/// another client's (RFC 7009 §2.2).
#[tracing::instrument(name = "pratu.oidc.revoke", skip_all)]
pub(crate) async fn revoke(
    State(auth): State<ClientAuth>,
    State(tokens): State<Tokens>,
    State(audit): State<Audit>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match revoke_inner(&auth, &tokens, &audit, &headers, &body).await {
        Ok(()) => no_store(StatusCode::OK.into_response()),
        Err(e) => e.into_response(),
    }
}

async fn revoke_inner(
    auth: &ClientAuth,
    tokens: &Tokens,
    audit: &Audit,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), OAuthError> {
    let p = form(headers, body)?;
    let client = authenticate(auth, headers, &p, &auth.issuer.endpoint(REVOKE_PATH)).await?;
    let token = p
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
    let revoked = |kind: &'static str| {
        audit.record(
            format!("client:{}", client.client_id),
            AuditAction::TokenRevoked,
            None,
            Outcome::Success,
            json!({ "type": kind }),
        )
    };
    if let Some(at) = own_access_token(tokens, &client, token) {
        tokens
            .revoke_access_token(&at.jti, at.exp)
            .await
            .map_err(|e| internal(&e))?;
        revoked("access_token").await;
        return Ok(());
    }
    let Some(presented) = Presented::parse(token) else {
        return Ok(());
    };
    if let Some(rt) = tokens
        .store
        .refresh_token(presented.key())
        .await
        .map_err(|e| internal(&e))?
        && rt.client_id == client.client_id
    {
        tokens
            .store
            .revoke_refresh_family(rt.family_id, tokens.clock.now())
            .await
            .map_err(|e| internal(&e))?;
        revoked("refresh_token").await;
    }
    Ok(())
}

/// An access token we signed for `client` (expired or not).
fn own_access_token(tokens: &Tokens, client: &Client, token: &str) -> Option<AccessClaims> {
    let data = tokens
        .keys
        .ring()
        .decode::<AccessClaims>(token, &access_token_validation(&tokens.issuer.url))
        .ok()?;
    if data.header.typ.as_deref() != Some(ACCESS_TOKEN_TYP) {
        return None;
    }
    let at = data.claims;
    (at.client_id == client.client_id).then_some(at)
}
