//! The refresh token grant with rotation: every use returns a new refresh
//! token and retires the old one; presenting a retired one is a replay that
//! revokes the whole family (OAuth 2.0 Security BCP §4.14).

use pratu_core::audit::{AuditAction, Outcome};
use pratu_storage::records::{Client, Rotation, Successor, UserStatus};

use super::code::refresh_lifetime;
use super::mint::SignIn;
use super::refresh_format::{self, Presented};
use super::{TokenResponse, error_chain, revoke_retried};
use crate::clients::{GRANT_REFRESH_TOKEN, allows_grant, random_token};
use crate::state::{Audit, Tokens};
use crate::subject::SubjectKind;
use crate::web::oauth_error::{ErrorCode, OAuthError, internal};
use crate::web::params::Params;

pub(crate) async fn exchange(
    tokens: &Tokens,
    audit: &Audit,
    client: &Client,
    p: &Params,
) -> Result<TokenResponse, OAuthError> {
    if !allows_grant(client, GRANT_REFRESH_TOKEN) {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use refresh tokens",
        ));
    }
    let presented = p
        .get("refresh_token")
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is missing"))?;
    let invalid = || OAuthError::invalid_grant("the refresh token is invalid, expired or revoked");
    let presented = Presented::parse(presented).ok_or_else(invalid)?;
    // Read first only when needed, once: a token from before families
    // names none, and its successor must; a narrower scope is checked
    // before the token is spent, so a refused request leaves it usable. The
    // usual request needs neither and spends the token in its first and
    // only round trip.
    let scope = p.get("scope");
    let read = if presented.family_id().is_none() || scope.is_some() {
        Some(
            tokens
                .store
                .refresh_token(presented.key())
                .await
                .map_err(|e| internal(&e))?
                .ok_or_else(invalid)?,
        )
    } else {
        None
    };
    let family_id = presented
        .family_id()
        .or(read.as_ref().map(|t| t.family_id))
        .ok_or_else(invalid)?;
    let presented = presented.of_family(family_id);
    let narrowed = match (scope, read) {
        (Some(s), Some(t)) => {
            if t.client_id != client.client_id {
                return Err(invalid());
            }
            let asked: Vec<String> = s
                .split(' ')
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect();
            if asked.iter().any(|a| !t.scopes.contains(a)) {
                return Err(OAuthError::new(
                    ErrorCode::InvalidScope,
                    "scope exceeds the original grant",
                ));
            }
            Some(asked)
        }
        _ => None,
    };

    let now = tokens.clock.now();
    let (token, token_hash) = refresh_format::issue(&*tokens.random, family_id);
    let next = Successor {
        token_hash,
        issued_at: now,
        expires_at: now + refresh_lifetime(tokens),
    };
    let (family, user) = match tokens
        .store
        .rotate_refresh_token(presented.key(), &client.client_id, &next, now)
        .await
        .map_err(|e| internal(&e))?
    {
        Rotation::Rotated { current, user } => (current, user),
        Rotation::Reused { family_id } => {
            tracing::warn!(event.kind = "security", family = %family_id, "refresh token reused; family revoked");
            // Rare: the one read that names whose family it was.
            let actor = match tokens.store.refresh_token(presented.key()).await {
                Ok(Some(t)) => t.user_id.map(|u| format!("user:{u}")),
                _ => None,
            };
            audit
                .record(
                    actor.unwrap_or_else(|| "anonymous".to_owned()),
                    AuditAction::TokenRefreshReused,
                    Some(format!("client:{}", client.client_id)),
                    Outcome::Failure,
                    serde_json::json!({"family_id": family_id}),
                )
                .await;
            return Err(invalid());
        }
        Rotation::Unknown => return Err(invalid()),
    };
    // The refresh token keeps the original scope (RFC 6749 §6); the access
    // token gets the narrower one if asked.
    let scopes = narrowed.unwrap_or_else(|| family.scopes.clone());
    let sign_in: SignIn = serde_json::from_value(family.grant).map_err(|e| internal(&e))?;
    // The absolute lifetime, from the sign-in that started the family (its
    // grant keeps `auth_time`, so families issued before this check have
    // one too). Checked after the rotation, which is the one round trip;
    // the successor just stored dies with the family.
    let absolute =
        i64::try_from(tokens.config.refresh_absolute_lifetime_seconds).unwrap_or(i64::MAX);
    if now.unix_timestamp() >= sign_in.auth_time.saturating_add(absolute) {
        if let Err(e) = revoke_retried("ending a refresh family at its absolute lifetime", || {
            tokens.store.revoke_refresh_family(family.family_id, now)
        })
        .await
        {
            tracing::error!(
                event.kind = "security",
                error = %error_chain(&e),
                "a refresh family past its absolute lifetime could not be revoked"
            );
            return Err(OAuthError::temporarily_unavailable());
        }
        return Err(OAuthError::invalid_grant(
            "the refresh token reached its absolute lifetime; sign in again",
        ));
    }
    let Some(user) = user.filter(|u| u.status == UserStatus::Active) else {
        // The presented token is spent already, so a retry is a reuse,
        // which revokes the family in the store: failing the request here
        // loses nothing, while answering `invalid_grant` would leave the
        // successor just stored live.
        if let Err(e) = revoke_retried("revoking a disabled account's refresh tokens", || {
            tokens.store.revoke_refresh_family(family.family_id, now)
        })
        .await
        {
            tracing::error!(
                event.kind = "security",
                error = %error_chain(&e),
                "a disabled account's refresh tokens could not be revoked"
            );
            return Err(OAuthError::temporarily_unavailable());
        }
        return Err(OAuthError::invalid_grant("the account is no longer active"));
    };
    let sub = SubjectKind::of(client).subject(&tokens.server_key, user.id);
    let minted = tokens.mint_access_token(
        client,
        &sub,
        &scopes,
        Some(&sign_in),
        random_token(&*tokens.random, 16),
    )?;
    let id_token = if family.scopes.iter().any(|s| s == "openid") {
        Some(tokens.mint_id_token(
            client,
            &sub,
            &user,
            &sign_in,
            None,
            Some(&minted.token),
            &scopes,
        )?)
    } else {
        None
    };
    Ok(TokenResponse {
        access_token: minted.token,
        token_type: "Bearer",
        expires_in: tokens.config.access_token_lifetime_seconds,
        refresh_token: Some(token),
        id_token,
        scope: scopes.join(" "),
    })
}
