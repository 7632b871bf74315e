//! Connected apps: the agency applications the citizen has consented to,
//! and withdrawing that consent (PDPA s.19: as easy to withdraw as to
//! give).

use pratu_core::audit::{AuditAction, Outcome};
use pratu_core::web::RequestContext;
use pratu_storage::StorageError;
use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{AccountError, AccountService, Result};

/// One application holding the citizen's consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ConnectedApp {
    pub client_id: String,
    /// The application's registered name (its id when it no longer
    /// exists).
    pub client_name: String,
    /// The scopes the citizen granted it.
    pub scopes: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub granted_at: OffsetDateTime,
}

impl AccountService {
    /// The applications holding the account's consent, newest grant first.
    pub async fn connected_apps(&self, user_id: Uuid) -> Result<Vec<ConnectedApp>> {
        let user = self.active_user(user_id).await?;
        let consents = self.store.consents_of_user(user.id).await?;
        let mut out = Vec::with_capacity(consents.len());
        for c in consents {
            let client_name = self
                .store
                .client_by_id(&c.client_id)
                .await?
                .map_or_else(|| c.client_id.clone(), |client| client.client_name);
            out.push(ConnectedApp {
                client_id: c.client_id,
                client_name,
                scopes: c.scopes,
                granted_at: c.granted_at,
            });
        }
        Ok(out)
    }

    /// Withdraws the consent given to `client_id`: that application's
    /// access tokens for the account are revoked first (the provider's
    /// marker), then, in one unit of work, the consent, its refresh tokens
    /// and the audit record (`consent.withdrawn`). The next sign-in to it
    /// asks for consent again. An unknown application is
    /// [`AccountError::AppNotFound`]; a known one without a consent is
    /// still cut off (first-party apps hold tokens without one).
    pub async fn withdraw_app(
        &self,
        ctx: &RequestContext,
        user_id: Uuid,
        client_id: &str,
    ) -> Result<()> {
        let user = self.active_user(user_id).await?;
        if self.store.client_by_id(client_id).await?.is_none() {
            return Err(AccountError::AppNotFound);
        }
        self.provider
            .revoke_access_tokens(user.id, client_id)
            .await?;
        let entry = Self::entry(
            ctx,
            user.id,
            AuditAction::ConsentWithdrawn,
            Outcome::Success,
        )
        .target(format!("client:{client_id}"))
        .details(json!({}));
        let record = self.auditor.event(entry);
        match self
            .store
            .withdraw_consent(user.id, client_id, record.at, &record)
            .await
        {
            Ok(done) => {
                tracing::info!(
                    user.id = %user.id,
                    client_id,
                    refresh_tokens_revoked = done.refresh_tokens_revoked,
                    "consent withdrawn"
                );
                Ok(())
            }
            Err(StorageError::NotFound { .. }) => Err(AccountError::AccountGone),
            Err(e) => Err(e.into()),
        }
    }
}
