//! Deleting the account at the citizen's request (PDPA s.33, erasure).
//!
//! Erase or delete? The account exists only for its owner; no law asks
//! Pratu to keep it once they leave, and `retention` keeps nothing past its
//! purpose. So the account is deleted, not anonymised: the user row with
//! its names, birth date, phone, sealed citizen ID and its blind index,
//! password hash and proofing record; its consents and refresh tokens; and
//! the enrollment that created it (its copy of the same data). What stays
//! is the audit trail, which names the account only by its random id and
//! holds no personal data, until `retention.audit_days` like every event:
//! it is the security record of what happened (including this deletion).
//! With the blind index gone the citizen ID is free: the citizen may
//! enroll again, as a new account with a new id.

use pratu_core::audit::{AuditAction, Outcome};
use pratu_core::web::RequestContext;
use pratu_storage::StorageError;
use serde_json::json;
use uuid::Uuid;

use super::{AccountError, AccountService, Result};

impl AccountService {
    /// Deletes the account: the password re-entered, then every session
    /// is ended at once on every node (the provider's marker, first, so
    /// nothing signed in survives a failure below), then one unit of work
    /// deletes the account, its grants and its enrollment and records
    /// `account.deleted`. Sign-in is refused from then on (no such user).
    pub async fn delete_account(
        &self,
        ctx: &RequestContext,
        user_id: Uuid,
        password: &str,
    ) -> Result<()> {
        let user = self.active_user(user_id).await?;
        self.reauthenticate(ctx, &user, password).await?;
        self.provider.mark_user_logged_out(user.id).await?;
        let entry = Self::entry(ctx, user.id, AuditAction::AccountDeleted, Outcome::Success)
            .details(json!({}));
        let record = self.auditor.event(entry);
        let done = match self
            .store
            .delete_user_account(user.id, record.at, &record)
            .await
        {
            Ok(done) => done,
            Err(StorageError::NotFound { .. }) => return Err(AccountError::AccountGone),
            Err(e) => return Err(e.into()),
        };
        // Nothing else refers to the account; a pending phone change only
        // expires.
        if let Err(e) = self
            .ephemeral
            .delete(&format!("account:phone:{}", user.id))
            .await
        {
            tracing::warn!(error = %e, "a pending phone change could not be cleared");
        }
        tracing::info!(
            user.id = %user.id,
            refresh_tokens_revoked = done.refresh_tokens_revoked,
            consents_deleted = done.consents_deleted,
            enrollments_deleted = done.enrollments_deleted,
            "account deleted at its owner's request"
        );
        Ok(())
    }
}
