//! The authorization code grant: single use, bound to its client and
//! redirect URI, PKCE-checked. A second use of a code fails and revokes what
//! the first issued (RFC 6749 §4.1.2): the redemption leaves a short-lived
//! marker naming the refresh family and access token it produced.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use pratu_storage::records::{Client, RefreshToken, UserStatus};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;
use uuid::Uuid;

use super::TokenResponse;
use super::mint::SignIn;
use super::refresh_format;
use crate::authorize::{CodeGrant, code_key};
use crate::clients::{GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN, allows_grant, random_token};
use crate::state::OidcState;
use crate::subject::SubjectKind;
use crate::web::oauth_error::{ErrorCode, OAuthError, internal};
use crate::web::params::Params;

/// What a redeemed code produced, kept to undo it on replay.
///
/// Kept as a few raw bytes (expiry, family, jti: ~47 bytes), not JSON
/// (~100): the in-process store holds one per sign-in of the last minute,
/// up to its `max_entries`, so the marker's size is most of the node's
/// memory under a burst of sign-ins.
#[derive(Debug, PartialEq)]
struct Redeemed {
    family_id: Option<Uuid>,
    jti: String,
    exp: i64,
}

impl Redeemed {
    /// `exp` (8 bytes, big-endian), 0 or 1 and the family's 16 bytes, the
    /// jti.
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(25 + self.jti.len());
        out.extend_from_slice(&self.exp.to_be_bytes());
        match self.family_id {
            Some(family) => {
                out.push(1);
                out.extend_from_slice(family.as_bytes());
            }
            None => out.push(0),
        }
        out.extend_from_slice(self.jti.as_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let (exp, rest) = bytes.split_first_chunk::<8>()?;
        let (family_id, jti) = match rest.split_first()? {
            (0, jti) => (None, jti),
            (1, rest) => {
                let (family, jti) = rest.split_first_chunk::<16>()?;
                (Some(Uuid::from_bytes(*family)), jti)
            }
            _ => return None,
        };
        Some(Self {
            family_id,
            jti: std::str::from_utf8(jti).ok()?.to_owned(),
            exp: i64::from_be_bytes(*exp),
        })
    }
}

/// The marker's key, from the code's (`code:<digest>` becomes
/// `redeemed:<digest>`, not `redeemed:code:…`: five bytes less per marker
/// put its key in a smaller allocation).
fn redeemed_key(code_key: &str) -> String {
    format!(
        "redeemed:{}",
        code_key.strip_prefix("code:").unwrap_or(code_key)
    )
}

pub(crate) async fn exchange(
    state: &OidcState,
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
    // Hashed once: the code's key and its replay marker's derive from it.
    let key = code_key(code);
    let Some(raw) = state
        .0
        .ephemeral
        .take(&key)
        .await
        .map_err(|e| internal(&e))?
    else {
        replayed(state, &key).await;
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

    let user = state
        .0
        .store
        .user_by_id(grant.user_id)
        .await
        .map_err(|e| internal(&e))?
        .filter(|u| u.status == UserStatus::Active)
        .ok_or_else(|| OAuthError::invalid_grant("the account is no longer active"))?;

    let now = state.0.clock.now().unix_timestamp();
    let jti = random_token(16);
    let issue_refresh = allows_grant(client, GRANT_REFRESH_TOKEN);
    let family_id = issue_refresh.then(Uuid::now_v7);
    let access_exp =
        now + i64::try_from(state.0.config.tokens.access_token_lifetime_seconds).unwrap_or(600);
    // Leave the marker before anything is handed out.
    let marker = Redeemed {
        family_id,
        jti: jti.clone(),
        exp: access_exp,
    }
    .encode();
    // As long as the code itself could have lived: a replay inside that
    // window revokes what the code gave; a later one is refused as an
    // expired code. (It lived as long as the access token before: under a
    // burst of sign-ins the in-process store then held a marker per sign-in
    // for ten minutes, tens of megabytes.)
    let marker_ttl = Duration::from_secs(state.0.config.tokens.code_lifetime_seconds);
    state
        .0
        .ephemeral
        .put(&redeemed_key(&key), &marker, marker_ttl)
        .await
        .map_err(|e| internal(&e))?;

    let sub = SubjectKind::of(client).subject(&state.0.server_key, user.id);
    let sign_in = SignIn {
        auth_time: grant.auth_time,
        acr: grant.acr.clone(),
        amr: grant.amr.clone(),
        sid: Some(grant.sid.clone()),
        claims: grant.claims.clone(),
    };
    let minted = state.mint_access_token(client, &sub, &grant.scopes, Some(&sign_in), jti)?;
    let refresh_token = match family_id {
        Some(family_id) => {
            let (token, token_hash) = refresh_format::issue(family_id);
            let issued_at = state.0.clock.now();
            let record = RefreshToken {
                token_hash,
                family_id,
                client_id: client.client_id.clone(),
                user_id: Some(user.id),
                scopes: grant.scopes.clone(),
                session_id: Some(grant.sid.clone()),
                grant: serde_json::to_value(&sign_in).map_err(|e| internal(&e))?,
                issued_at,
                expires_at: issued_at + refresh_lifetime(state),
                used_at: None,
                revoked_at: None,
            };
            state
                .0
                .store
                .insert_refresh_token(&record)
                .await
                .map_err(|e| internal(&e))?;
            Some(token)
        }
        None => None,
    };
    let id_token = if grant.scopes.iter().any(|s| s == "openid") {
        Some(state.mint_id_token(
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
        expires_in: state.0.config.tokens.access_token_lifetime_seconds,
        refresh_token,
        id_token,
        scope: grant.scopes.join(" "),
    })
}

pub(super) fn refresh_lifetime(state: &OidcState) -> time::Duration {
    time::Duration::seconds(
        i64::try_from(state.0.config.tokens.refresh_token_lifetime_seconds).unwrap_or(86_400),
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

/// A code presented again: revoke what its first redemption issued.
async fn replayed(state: &OidcState, code_key: &str) {
    let Ok(Some(raw)) = state.0.ephemeral.take(&redeemed_key(code_key)).await else {
        return;
    };
    let Some(r) = Redeemed::decode(&raw) else {
        return;
    };
    tracing::warn!(
        event.kind = "security",
        "authorization code replayed; revoking its tokens"
    );
    let _ = state.revoke_access_token(&r.jti, r.exp).await;
    if let Some(family) = r.family_id {
        let _ = state
            .0
            .store
            .revoke_refresh_family(family, state.0.clock.now())
            .await;
    }
    state.audit(
        "anonymous".to_owned(),
        "token.code_replayed",
        None,
        "failure",
        serde_json::json!({}),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_reads_back_as_written_and_garbage_reads_as_nothing() {
        for family_id in [None, Some(Uuid::now_v7())] {
            let marker = Redeemed {
                family_id,
                jti: random_token(16),
                exp: 1_764_150_000,
            };
            let bytes = marker.encode();
            assert!(bytes.len() <= 47, "{} bytes", bytes.len());
            assert_eq!(Redeemed::decode(&bytes), Some(marker));
        }
        for garbage in [&b""[..], b"1234567", b"12345678\x02", b"12345678\x01short"] {
            assert_eq!(Redeemed::decode(garbage), None);
        }
        assert!(redeemed_key(&code_key("abc")).starts_with("redeemed:"));
        assert!(!redeemed_key(&code_key("abc")).contains("code:"));
    }

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
