//! What the OpenID provider offers the other features about the tokens and
//! sessions it issued, as a port: the citizen's account verifies its access
//! tokens and ends sessions through it without importing `pratu-oidc`
//! (features never import each other). The provider implements
//! [`ProviderAccess`]; the server hands that implementation over.

use async_trait::async_trait;
use pratu_storage::StorageError;
use time::OffsetDateTime;
use uuid::Uuid;

/// The scope of the citizen's own account API. Released no claims; only
/// [`ACCOUNT_CLIENT_ID`] may obtain it (an agency client asking for it is
/// granted the rest of its request without it).
pub const ACCOUNT_SCOPE: &str = "account";

/// The built-in first-party public client of the account portal.
pub const ACCOUNT_CLIENT_ID: &str = "pratu-account";

/// An access token the provider issued and still honours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub client_id: String,
    /// The account of a user-bound token; `None` for client credentials.
    pub user_id: Option<Uuid>,
    pub scopes: Vec<String>,
    /// Unix seconds of the sign-in the token came from (user-bound only).
    pub auth_time: Option<i64>,
    /// Unix seconds.
    pub exp: i64,
}

impl AccessToken {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AccessTokenError {
    /// Not ours, malformed, expired, revoked, or of a client no longer
    /// active. The reason is safe to show.
    #[error("{0}")]
    Invalid(&'static str),
    /// The revocation list or client registry could not be read.
    #[error("the access token cannot be checked now")]
    Unavailable,
}

/// One live SSO session of an account, as the account's owner may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionInfo {
    /// An opaque handle for the listing (not the cookie, not the `sid`
    /// relying parties hold).
    pub id: String,
    pub started_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    /// The session's assurance (`acr`) and how it was reached (`amr`).
    pub acr: String,
    pub amr: Vec<String>,
}

/// The provider's side of the account's operations.
#[async_trait]
pub trait ProviderAccess: Send + Sync + std::fmt::Debug {
    /// The issuer URL (no trailing slash).
    fn issuer(&self) -> &str;
    /// Verifies an access token this provider issued.
    async fn verify_access_token(&self, token: &str) -> Result<AccessToken, AccessTokenError>;
    /// The account's live SSO sessions, newest first.
    async fn sessions_of(&self, user_id: Uuid) -> Result<Vec<SessionInfo>, StorageError>;
    /// Ends every SSO session of the account on every node and revokes
    /// every refresh token of it. Returns how many refresh tokens were live.
    async fn end_user_sessions(&self, user_id: Uuid) -> Result<u64, StorageError>;
    /// Ends every SSO session of the account on every node without touching
    /// the relational store, for callers that revoke the refresh tokens in
    /// a unit of work of their own (write this first). Returns its time.
    async fn mark_user_logged_out(&self, user_id: Uuid) -> Result<OffsetDateTime, StorageError>;
    /// Whether the account was signed out everywhere at or after
    /// `since` (unix seconds): sessions and tokens from before are over.
    async fn logged_out_since(&self, user_id: Uuid, since: i64) -> Result<bool, StorageError>;
    /// Forgives the account's failed sign-ins and lifts its lock-out (the
    /// owner proved the card again in a recovery).
    async fn forgive_sign_in_failures(&self, username: &str) -> Result<(), StorageError>;
    /// Revokes the access tokens issued to `client_id` for `user_id`
    /// (consent withdrawn); write it before the store's withdrawal.
    async fn revoke_access_tokens(
        &self,
        user_id: Uuid,
        client_id: &str,
    ) -> Result<(), StorageError>;
}
