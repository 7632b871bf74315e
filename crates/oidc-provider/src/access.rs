//! The provider's side of [`pratu_core::access::ProviderAccess`]: what the
//! citizen's account (another feature) may ask of the tokens and sessions
//! this provider issued.

use async_trait::async_trait;
use pratu_core::access::{AccessToken, AccessTokenError, ProviderAccess, SessionInfo};
use pratu_storage::StorageError;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::state::LoginThrottle;
use crate::{BearerError, OidcState};
use axum::extract::FromRef as _;

#[async_trait]
impl ProviderAccess for OidcState {
    fn issuer(&self) -> &str {
        OidcState::issuer(self)
    }

    async fn verify_access_token(&self, token: &str) -> Result<AccessToken, AccessTokenError> {
        let b = self.verify_bearer(token).await.map_err(|e| match e {
            BearerError::Invalid(why) => AccessTokenError::Invalid(why),
            BearerError::Unavailable => AccessTokenError::Unavailable,
        })?;
        Ok(AccessToken {
            client_id: b.client_id,
            user_id: b.user_id,
            scopes: b.scopes,
            auth_time: b.auth_time,
            exp: b.exp,
        })
    }

    async fn sessions_of(&self, user_id: Uuid) -> Result<Vec<SessionInfo>, StorageError> {
        OidcState::sessions_of(self, user_id).await
    }

    async fn end_user_sessions(&self, user_id: Uuid) -> Result<u64, StorageError> {
        OidcState::end_user_sessions(self, user_id).await
    }

    async fn mark_user_logged_out(&self, user_id: Uuid) -> Result<OffsetDateTime, StorageError> {
        OidcState::mark_user_logged_out(self, user_id).await
    }

    async fn logged_out_since(&self, user_id: Uuid, since: i64) -> Result<bool, StorageError> {
        OidcState::logged_out_since(self, user_id, since).await
    }

    async fn forgive_sign_in_failures(&self, username: &str) -> Result<(), StorageError> {
        LoginThrottle::from_ref(self).forgive(username).await
    }

    async fn revoke_access_tokens(
        &self,
        user_id: Uuid,
        client_id: &str,
    ) -> Result<(), StorageError> {
        OidcState::revoke_access_tokens(self, user_id, client_id).await
    }
}
