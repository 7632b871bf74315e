//! The authorization code grant: single use, bound to its client and
//! redirect URI, PKCE-checked. A second use of a code fails and revokes what
//! the first issued (RFC 6749 §4.1.2): the access token's `jti` and the
//! refresh family's id derive from the code (see `code_format`), so nothing
//! is kept per redemption.

use pratu_core::audit::{AuditAction, Outcome};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use pratu_storage::records::{Client, RefreshToken, UserStatus};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

use super::mint::SignIn;
use super::{TokenResponse, error_chain, revoke_retried};
use super::{code_format, refresh_format};
use crate::authorize::{CodeGrant, code_key};
use crate::clients::{GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN, allows_grant};
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
    if !allows_grant(client, GRANT_AUTHORIZATION_CODE) {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "this client may not use authorization codes",
        ));
    }
    let code = p
        .get("code")
        .ok_or_else(|| OAuthError::invalid_request("code is missing"))?;
    let redirect_uri = p
        .get("redirect_uri")
        .ok_or_else(|| OAuthError::invalid_request("redirect_uri is missing"))?;
    if code.len() > 128 {
        return Err(OAuthError::invalid_grant(
            "the code is invalid, expired or already used",
        ));
    }
    let key = code_key(code);
    let Some(raw) = tokens
        .ephemeral
        .take(&key)
        .await
        .map_err(|e| internal(&e))?
    else {
        replayed(tokens, audit, code, &key).await?;
        return Err(OAuthError::invalid_grant(
            "the code is invalid, expired or already used",
        ));
    };
    let grant: CodeGrant = serde_json::from_slice(&raw).map_err(|e| internal(&e))?;
    if grant.client_id != client.client_id {
        return Err(OAuthError::invalid_grant(
            "the code was issued to another client",
        ));
    }
    if grant.redirect_uri != redirect_uri {
        return Err(OAuthError::invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    check_pkce(grant.code_challenge.as_deref(), p.get("code_verifier"))?;

    let user = tokens
        .store
        .user_by_id(grant.user_id)
        .await
        .map_err(|e| internal(&e))?
        .filter(|u| u.status == UserStatus::Active)
        .ok_or_else(|| OAuthError::invalid_grant("the account is no longer active"))?;

    // Derived from the code, so that a replay can revoke them (see
    // `code_format`).
    let now = tokens.clock.now().unix_timestamp();
    let issued = code_format::issued_by(&tokens.server_key, code, now);
    let jti = issued.jti;
    let family_id = allows_grant(client, GRANT_REFRESH_TOKEN).then_some(issued.family_id);
    let sub = SubjectKind::of(client).subject(&tokens.server_key, user.id);
    let sign_in = SignIn {
        auth_time: grant.auth_time,
        acr: grant.acr.clone(),
        amr: grant.amr.clone(),
        sid: Some(grant.sid.clone()),
        claims: grant.claims.clone(),
    };
    let minted = tokens.mint_access_token(client, &sub, &grant.scopes, Some(&sign_in), jti)?;
    let refresh_token = match family_id {
        Some(family_id) => {
            let (token, token_hash) = refresh_format::issue(&*tokens.random, family_id);
            let issued_at = tokens.clock.now();
            let record = RefreshToken {
                token_hash,
                family_id,
                client_id: client.client_id.clone(),
                user_id: Some(user.id),
                scopes: grant.scopes.clone(),
                session_id: Some(grant.sid.clone()),
                grant: serde_json::to_value(&sign_in).map_err(|e| internal(&e))?,
                issued_at,
                expires_at: issued_at + refresh_lifetime(tokens),
                used_at: None,
                revoked_at: None,
            };
            tokens
                .store
                .insert_refresh_token(&record)
                .await
                .map_err(|e| internal(&e))?;
            Some(token)
        }
        None => None,
    };
    let id_token = if grant.scopes.iter().any(|s| s == "openid") {
        Some(tokens.mint_id_token(
            client,
            &sub,
            &user,
            &sign_in,
            grant.nonce.as_deref(),
            Some(&minted.token),
            &grant.scopes,
        )?)
    } else {
        None
    };
    Ok(TokenResponse {
        access_token: minted.token,
        token_type: "Bearer",
        expires_in: tokens.config.access_token_lifetime_seconds,
        refresh_token,
        id_token,
        scope: grant.scopes.join(" "),
    })
}

pub(super) fn refresh_lifetime(tokens: &Tokens) -> time::Duration {
    time::Duration::seconds(
        i64::try_from(tokens.config.refresh_token_lifetime_seconds).unwrap_or(86_400),
    )
}

/// RFC 7636 §4.6, S256 only. A verifier without a challenge is refused too
/// (a PKCE downgrade).
fn check_pkce(challenge: Option<&str>, verifier: Option<&str>) -> Result<(), OAuthError> {
    match (challenge, verifier) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(OAuthError::invalid_grant(
            "code_verifier sent but no code_challenge was",
        )),
        (Some(_), None) => Err(OAuthError::invalid_grant("code_verifier is missing")),
        (Some(c), Some(v)) => {
            let well_formed = (43..=128).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
            let computed = B64.encode(Sha256::digest(v.as_bytes()));
            if well_formed && bool::from(computed.as_bytes().ct_eq(c.as_bytes())) {
                Ok(())
            } else {
                Err(OAuthError::invalid_grant(
                    "code_verifier does not match the code_challenge",
                ))
            }
        }
    }
}

/// A code presented again: revoke what its first redemption issued. Only
/// a code of ours within its lifetime counts: a later one is refused as
/// expired, as it always was, and a made-up one costs nothing. Only the
/// first replay revokes and is audited: more of them (a captured code sent
/// in a loop) cost a lookup each, not a database write.
///
/// A revocation that fails even when retried fails the request (503) and
/// forgets that this replay was seen, so that the client's retry, or the
/// attacker's next try, revokes again: answering `invalid_grant` would
/// leave the tokens live with nobody the wiser.
async fn replayed(
    tokens: &Tokens,
    audit: &Audit,
    code: &str,
    code_key: &str,
) -> Result<(), OAuthError> {
    let now = tokens.clock.now();
    let left = match code_format::issued_expiry(&tokens.server_key, code) {
        Some(exp) if exp > now.unix_timestamp() => exp - now.unix_timestamp(),
        _ => return Ok(()),
    };
    let once = format!(
        "replayed:{}",
        code_key.strip_prefix("code:").unwrap_or(code_key)
    );
    let ttl = Duration::from_secs(u64::try_from(left).unwrap_or(0));
    // If the store cannot say, revoke anyway.
    if let Ok(false) = tokens.ephemeral.put_if_absent(&once, b"1", ttl).await {
        return Ok(());
    }
    tracing::warn!(
        event.kind = "security",
        "authorization code replayed; revoking its tokens"
    );
    let issued = code_format::issued_by(&tokens.server_key, code, now.unix_timestamp());
    let lifetime = i64::try_from(tokens.config.access_token_lifetime_seconds).unwrap_or(600);
    let access = revoke_retried("revoking a replayed code's access token", || {
        tokens.revoke_access_token(&issued.jti, now.unix_timestamp() + lifetime)
    })
    .await;
    let refresh = revoke_retried("revoking a replayed code's refresh tokens", || {
        tokens.store.revoke_refresh_family(issued.family_id, now)
    })
    .await;
    if let Err(e) = access.and(refresh) {
        tracing::error!(
            event.kind = "security",
            error = %error_chain(&e),
            "the tokens of a replayed authorization code could not be revoked; refusing the request so that it is retried"
        );
        if let Err(e) = tokens.ephemeral.delete(&once).await {
            tracing::error!(
                error = %error_chain(&e),
                "the replay marker could not be cleared; a retry of this replay will not revoke"
            );
        }
        return Err(OAuthError::temporarily_unavailable());
    }
    audit
        .record(
            "anonymous".to_owned(),
            AuditAction::TokenCodeReplayed,
            None,
            Outcome::Failure,
            serde_json::json!({}),
        )
        .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_accepts_the_rfc_7636_example_and_refuses_others() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(check_pkce(Some(challenge), Some(verifier)).is_ok());
        assert!(
            check_pkce(
                Some(challenge),
                Some("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx")
            )
            .is_err()
        );
        assert!(check_pkce(Some(challenge), None).is_err());
        assert!(check_pkce(None, Some(verifier)).is_err());
        assert!(check_pkce(Some(challenge), Some("short")).is_err());
        assert!(check_pkce(None, None).is_ok());
    }
}
