//! Checking a Pratu access token presented to a resource Pratu itself
//! serves (the admin API): the same checks as userinfo and introspection —
//! signature, type, issuer, expiry, revocation, and a client that is still
//! active — with the account resolved for user-bound tokens.

use pratu_storage::StorageError;
use pratu_storage::records::UserStatus;
use uuid::Uuid;

use crate::scopes::OPERATOR_ROLE;
use crate::state::{Accounts, Clients, Tokens};
use crate::subject::SubjectKind;
use crate::token::mint::TokenCheckError;

/// A verified access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bearer {
    pub client_id: String,
    /// The account of a token from the authorization code (or refresh)
    /// grant; `None` for client credentials.
    pub user_id: Option<Uuid>,
    pub scopes: Vec<String>,
    pub jti: String,
    /// Unix seconds of the sign-in (user-bound tokens only).
    pub auth_time: Option<i64>,
    /// Unix seconds.
    pub exp: i64,
}

impl Bearer {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BearerError {
    /// Not ours, malformed, expired, revoked, or of a client no longer
    /// active. The reason is safe to show.
    #[error("{0}")]
    Invalid(&'static str),
    /// The revocation list or client registry could not be read.
    #[error("the access token cannot be checked now")]
    Unavailable,
}

impl Tokens {
    /// Verifies an access token this provider issued (of a client still
    /// active in `clients`).
    pub(crate) async fn verify_bearer(
        &self,
        clients: &Clients,
        token: &str,
    ) -> Result<Bearer, BearerError> {
        let at = self.verify_access_token(token).await.map_err(|e| match e {
            TokenCheckError::Invalid(why) => BearerError::Invalid(why.as_str()),
            TokenCheckError::Unavailable(cause) => {
                tracing::error!(error = %cause, "revocation lookup failed");
                BearerError::Unavailable
            }
        })?;
        let client = clients
            .active(&at.client_id)
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "client lookup failed");
                BearerError::Unavailable
            })?
            .ok_or(BearerError::Invalid(
                "the client of this token is no longer active",
            ))?;
        // Only user-bound tokens carry the sign-in time.
        let user_id = match at.auth_time {
            None => None,
            Some(_) => Some(
                SubjectKind::of(&client)
                    .user(&self.server_key, &at.sub)
                    .ok_or(BearerError::Invalid("the access token is not valid"))?,
            ),
        };
        Ok(Bearer {
            client_id: at.client_id,
            user_id,
            scopes: at
                .scope
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            jti: at.jti,
            auth_time: at.auth_time,
            exp: at.exp,
        })
    }
}

impl Accounts {
    /// Whether the account exists, is active and holds the operator role —
    /// read from the record each time, so revoking the role or disabling
    /// the account takes effect at once.
    pub(crate) async fn is_operator(&self, user_id: Uuid) -> Result<bool, StorageError> {
        Ok(self.store.user_by_id(user_id).await?.is_some_and(|u| {
            u.status == UserStatus::Active && u.roles.iter().any(|r| r == OPERATOR_ROLE)
        }))
    }
}
