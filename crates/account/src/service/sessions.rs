//! The account's SSO sessions, and signing out everywhere.

use pratu_core::access::SessionInfo;
use pratu_core::audit::{AuditAction, Outcome};
use pratu_core::web::RequestContext;
use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{AccountService, Result};

/// One live SSO session (a browser signed in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Session {
    /// An opaque name for the session in this list (not its cookie).
    pub id: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub last_seen_at: OffsetDateTime,
    /// The assurance reached (`urn:pratu:acr:…`).
    pub acr: String,
    /// How it was reached (`pwd`, `sms`…).
    pub amr: Vec<String>,
}

impl From<SessionInfo> for Session {
    fn from(s: SessionInfo) -> Self {
        Self {
            id: s.id,
            started_at: s.started_at,
            last_seen_at: s.last_seen_at,
            acr: s.acr,
            amr: s.amr,
        }
    }
}

impl AccountService {
    /// The account's live SSO sessions, newest first.
    pub async fn sessions(&self, user_id: Uuid) -> Result<Vec<Session>> {
        let user = self.active_user(user_id).await?;
        let sessions = self.provider.sessions_of(user.id).await?;
        Ok(sessions.into_iter().map(Session::from).collect())
    }

    /// Ends every SSO session and refresh token of the account, on every
    /// node (the caller's own token and portal session too).
    pub async fn sign_out_everywhere(&self, ctx: &RequestContext, user_id: Uuid) -> Result<()> {
        let user = self.active_user(user_id).await?;
        let revoked = self.provider.end_user_sessions(user.id).await?;
        self.audit(
            ctx,
            user.id,
            AuditAction::AccountSignedOutEverywhere,
            Outcome::Success,
            json!({"refresh_tokens_revoked": revoked}),
        )
        .await
    }
}
