//! Who calls the account API: the owner of an access token of scope
//! `account` that the provider issued to the built-in client
//! `pratu-account`, for an account that still exists, is active, and has
//! not been signed out everywhere since the token's sign-in.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use pratu_core::access::{ACCOUNT_CLIENT_ID, ACCOUNT_SCOPE, AccessTokenError};
use uuid::Uuid;

use super::error::ApiError;
use crate::service::AccountError;
use crate::state::AccountState;

/// The account the caller's token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountCaller {
    pub user_id: Uuid,
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive).
fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl<S> FromRequestParts<S> for AccountCaller
where
    AccountState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AccountState::from_ref(state);
        let token = bearer_token(parts).ok_or(ApiError::MissingToken)?;
        let at = state
            .provider()
            .verify_access_token(token)
            .await
            .map_err(|e| match e {
                AccessTokenError::Invalid(why) => ApiError::InvalidToken(why),
                AccessTokenError::Unavailable => ApiError::Unavailable,
            })?;
        // Only the account app obtains the scope; a token of any other
        // client, even one claiming it, is not for this API.
        if at.client_id != ACCOUNT_CLIENT_ID || !at.has_scope(ACCOUNT_SCOPE) {
            return Err(ApiError::InsufficientScope);
        }
        let (Some(user_id), Some(auth_time)) = (at.user_id, at.auth_time) else {
            return Err(ApiError::InvalidToken(
                "the access token is not for an account",
            ));
        };
        let internal = |e: pratu_storage::StorageError| ApiError::Account(AccountError::from(e));
        if state
            .provider()
            .logged_out_since(user_id, auth_time)
            .await
            .map_err(internal)?
        {
            return Err(ApiError::InvalidToken(
                "the account was signed out everywhere after this token's sign-in",
            ));
        }
        state.service().active_user(user_id).await?;
        Ok(Self { user_id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(auth: Option<&str>) -> Parts {
        let mut b = Request::builder();
        if let Some(a) = auth {
            b = b.header(AUTHORIZATION, a);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn only_a_bearer_token_is_taken() {
        assert_eq!(bearer_token(&parts(Some("Bearer abc"))), Some("abc"));
        assert_eq!(bearer_token(&parts(Some("bearer  abc "))), Some("abc"));
        assert_eq!(bearer_token(&parts(Some("Basic abc"))), None);
        assert_eq!(bearer_token(&parts(Some("Bearer "))), None);
        assert_eq!(bearer_token(&parts(None)), None);
    }
}
