//! Re-authentication (the current password, re-entered before a sensitive
//! change) and the password change.
//!
//! Re-authentication attempts are limited per account here: the sign-in
//! lock-out counter belongs to the provider (`pratu-oidc`), which features
//! do not import, so a wrong password re-entered in the account does not
//! count toward the sign-in lock-out; instead at most
//! [`REAUTH_MAX_ATTEMPTS`] re-authentications per account are checked in
//! [`REAUTH_WINDOW`], right or wrong, counted before the check so parallel
//! guesses cannot slip past. Only the holder of a valid account token or
//! portal session can try at all.

use std::time::Duration;

use pratu_core::audit::{AuditAction, Outcome};
use pratu_core::domain::Password;
use pratu_core::password::blocklist;
use pratu_core::web::RequestContext;
use pratu_storage::StorageError;
use pratu_storage::records::User;
use serde_json::json;
use uuid::Uuid;

use super::notices::Notice;
use super::{AccountError, AccountService, Result};

/// Password checks per account per [`REAUTH_WINDOW`].
pub const REAUTH_MAX_ATTEMPTS: u64 = 10;
/// The window of [`REAUTH_MAX_ATTEMPTS`].
pub const REAUTH_WINDOW: Duration = Duration::from_secs(15 * 60);

pub(super) fn reauth_key(user_id: Uuid) -> String {
    format!("account:reauth:{user_id}")
}

impl AccountService {
    /// Checks the account's current password (re-authentication before a
    /// sensitive change). A wrong one is [`AccountError::InvalidPassword`]
    /// and audited (`account.reauth_failed`); past the per-account limit,
    /// [`AccountError::TooManyAttempts`] without checking.
    pub async fn verify_password(
        &self,
        ctx: &RequestContext,
        user_id: Uuid,
        password: &str,
    ) -> Result<()> {
        let user = self.active_user(user_id).await?;
        self.reauthenticate(ctx, &user, password).await
    }

    pub(crate) async fn reauthenticate(
        &self,
        ctx: &RequestContext,
        user: &User,
        password: &str,
    ) -> Result<()> {
        let tries = self
            .ephemeral
            .incr(&reauth_key(user.id), REAUTH_WINDOW)
            .await?;
        if tries > REAUTH_MAX_ATTEMPTS {
            self.audit(
                ctx,
                user.id,
                AuditAction::AccountReauthFailed,
                Outcome::Locked,
                json!({}),
            )
            .await?;
            return Err(AccountError::TooManyAttempts {
                retry_after: Some(REAUTH_WINDOW.as_secs()),
            });
        }
        if self
            .hasher
            .verify(password, Some(&user.password_hash))
            .await?
        {
            return Ok(());
        }
        self.audit(
            ctx,
            user.id,
            AuditAction::AccountReauthFailed,
            Outcome::Failure,
            json!({}),
        )
        .await?;
        tracing::info!(event.kind = "security", "wrong password re-entered");
        Err(AccountError::InvalidPassword)
    }

    /// Changes the password: the current one re-entered, the new one
    /// through the enrollment's policy and the blocklist. Then every SSO
    /// session and refresh token of the account ends — the caller's own
    /// too: a token or portal session from before the change is refused
    /// from then on (the provider's sign-out marker is per account, not per
    /// session), so the owner signs in again with the new password.
    pub async fn change_password(
        &self,
        ctx: &RequestContext,
        user_id: Uuid,
        current: &str,
        new: &str,
    ) -> Result<()> {
        let user = self.active_user(user_id).await?;
        self.reauthenticate(ctx, &user, current).await?;
        let new = Password::parse(new, None, &self.password_policy)
            .map_err(AccountError::WeakPassword)?;
        blocklist::check(new.expose(), Some(&user.username)).map_err(|b| {
            AccountError::WeakPassword(pratu_core::domain::PasswordPolicyError::Blocked(b))
        })?;
        let hash = self.hasher.hash(new.expose()).await?;
        match self
            .store
            .set_user_password(user.id, &hash, self.clock.now())
            .await
        {
            Ok(()) => {}
            Err(StorageError::NotFound { .. }) => return Err(AccountError::AccountGone),
            Err(e) => return Err(e.into()),
        }
        let revoked = self.provider.end_user_sessions(user.id).await?;
        let notified = self.notify(&user, Notice::PasswordChanged).await;
        self.audit(
            ctx,
            user.id,
            AuditAction::AccountPasswordChanged,
            Outcome::Success,
            json!({"refresh_tokens_revoked": revoked, "phone_notified": notified}),
        )
        .await?;
        tracing::info!(user.id = %user.id, "password changed; every session ended");
        Ok(())
    }
}
