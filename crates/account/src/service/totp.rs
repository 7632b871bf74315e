//! The authenticator app (TOTP) and its recovery codes.
//!
//! Adding one is two calls: [`AccountService::start_totp`] makes a pending
//! secret (sealed at rest like the citizen ID, aad [`TOTP_SECRET_AAD`]) and
//! hands it out once, as base32 and as the `otpauth://` URI of the QR code;
//! [`AccountService::confirm_totp`] activates it with a code from the app,
//! proving the app holds the secret. A pending secret is no factor and is
//! replaced by the next start.
//!
//! A wrong code counts toward the same per-account limit as a wrong
//! password re-entered ([`super::password::REAUTH_MAX_ATTEMPTS`] in
//! [`super::password::REAUTH_WINDOW`]): the sign-in lock-out belongs to
//! the provider, which features do not import (see `password.rs`).

use pratu_core::audit::{AuditAction, Outcome};
use pratu_core::totp::{self, TotpSecret};
use pratu_core::web::RequestContext;
use pratu_storage::StorageError;
use pratu_storage::records::TotpFactor;
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;
use zeroize::Zeroizing;

use super::notices::Notice;
use super::password::{REAUTH_MAX_ATTEMPTS, REAUTH_WINDOW, reauth_key};
use super::{AccountError, AccountService, Result};

/// See [`totp::SECRET_AAD`]: the sign-in opens what is sealed here.
pub(crate) const TOTP_SECRET_AAD: &[u8] = totp::SECRET_AAD;

/// The name authenticator apps list the account under.
pub const TOTP_ISSUER: &str = "Pratu";

/// An active authenticator app, as the portal shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TotpStatus {
    pub activated_at: OffsetDateTime,
    /// Unused recovery codes: the citizen should make new ones before
    /// running out.
    pub recovery_codes_left: u32,
}

/// A pending authenticator app, to show once.
#[derive(Debug)]
pub struct TotpEnrolment {
    /// RFC 4648 base32, for typing into the app.
    pub secret: Zeroizing<String>,
    /// What the QR code carries.
    pub otpauth_uri: Zeroizing<String>,
}

impl AccountService {
    /// Makes a new pending authenticator secret for the account (replacing
    /// a pending one). [`AccountError::TotpAlreadyActive`] if the account
    /// has an active app: remove it first.
    pub async fn start_totp(&self, user_id: Uuid) -> Result<TotpEnrolment> {
        let user = self.active_user(user_id).await?;
        let secret = TotpSecret::generate(self.random.as_ref());
        let factor = TotpFactor {
            user_id: user.id,
            secret_sealed: self.pii.seal(secret.expose_bytes(), TOTP_SECRET_AAD),
            activated_at: None,
            last_used_step: None,
            created_at: self.clock.now(),
        };
        match self.store.put_pending_totp(&factor).await {
            Ok(()) => {}
            Err(StorageError::AlreadyExists { .. }) => return Err(AccountError::TotpAlreadyActive),
            Err(StorageError::NotFound { .. }) => return Err(AccountError::AccountGone),
            Err(e) => return Err(e.into()),
        }
        Ok(TotpEnrolment {
            secret: secret.base32(),
            otpauth_uri: secret.otpauth_uri(TOTP_ISSUER, &user.username),
        })
    }

    /// Activates the pending authenticator app with a code from it; audits
    /// `account.totp_added`. A wrong code is [`AccountError::OtpInvalid`]
    /// (audited `account.totp_failed`) and counts toward the account's
    /// limit; past it, [`AccountError::TooManyAttempts`] without checking.
    pub async fn confirm_totp(
        &self,
        ctx: &RequestContext,
        user_id: Uuid,
        code: &str,
    ) -> Result<()> {
        let user = self.active_user(user_id).await?;
        let factor = match self.store.totp_of_user(user.id).await? {
            Some(f) if !f.is_active() => f,
            Some(_) => return Err(AccountError::TotpAlreadyActive),
            None => return Err(AccountError::NoTotpPending),
        };
        let tries = self
            .ephemeral
            .incr(&reauth_key(user.id), REAUTH_WINDOW)
            .await?;
        if tries > REAUTH_MAX_ATTEMPTS {
            self.audit(
                ctx,
                user.id,
                AuditAction::AccountTotpFailed,
                Outcome::Locked,
                json!({}),
            )
            .await?;
            return Err(AccountError::TooManyAttempts {
                retry_after: Some(REAUTH_WINDOW.as_secs()),
            });
        }
        let secret = self.open_totp_secret(&factor)?;
        let now = self.clock.now();
        let Some(step) = secret.verify(code, now, None) else {
            self.audit(
                ctx,
                user.id,
                AuditAction::AccountTotpFailed,
                Outcome::Failure,
                json!({}),
            )
            .await?;
            tracing::info!(
                event.kind = "security",
                "wrong authenticator code while adding the app"
            );
            return Err(AccountError::OtpInvalid {
                attempts_left: Some(
                    u32::try_from(REAUTH_MAX_ATTEMPTS.saturating_sub(tries)).unwrap_or(0),
                ),
            });
        };
        let step = i64::try_from(step).map_err(AccountError::internal)?;
        if !self.store.activate_totp(user.id, step, now).await? {
            // A parallel confirmation won, or the app was removed meanwhile.
            return Err(AccountError::NoTotpPending);
        }
        let notified = self.notify(&user, Notice::AuthenticatorAdded).await;
        self.audit(
            ctx,
            user.id,
            AuditAction::AccountTotpAdded,
            Outcome::Success,
            json!({"phone_notified": notified}),
        )
        .await?;
        tracing::info!(user.id = %user.id, "authenticator app added");
        Ok(())
    }

    /// Removes the authenticator app (pending or active) and its recovery
    /// codes, the password re-entered; audits `account.totp_removed`.
    /// [`AccountError::NoTotp`] if there is none.
    pub async fn remove_totp(
        &self,
        ctx: &RequestContext,
        user_id: Uuid,
        password: &str,
    ) -> Result<()> {
        let user = self.active_user(user_id).await?;
        self.reauthenticate(ctx, &user, password).await?;
        if !self.store.delete_totp(user.id).await? {
            return Err(AccountError::NoTotp);
        }
        let notified = self.notify(&user, Notice::AuthenticatorRemoved).await;
        self.audit(
            ctx,
            user.id,
            AuditAction::AccountTotpRemoved,
            Outcome::Success,
            json!({"phone_notified": notified}),
        )
        .await?;
        tracing::info!(user.id = %user.id, "authenticator app removed");
        Ok(())
    }

    /// A new set of recovery codes, replacing the old; shown once, stored
    /// as digests. Only with an active authenticator app
    /// ([`AccountError::NoTotp`] otherwise); audits
    /// `account.recovery_codes_created`.
    pub async fn new_recovery_codes(
        &self,
        ctx: &RequestContext,
        user_id: Uuid,
    ) -> Result<Vec<Zeroizing<String>>> {
        let user = self.active_user(user_id).await?;
        if !self.totp_active(user.id).await? {
            return Err(AccountError::NoTotp);
        }
        let codes = totp::generate_recovery_codes(self.random.as_ref());
        let digests: Vec<Vec<u8>> = codes
            .iter()
            .filter_map(|c| totp::recovery_code_digest(c))
            .map(|d| d.to_vec())
            .collect();
        self.store
            .replace_recovery_codes(user.id, &digests, self.clock.now())
            .await?;
        self.audit(
            ctx,
            user.id,
            AuditAction::AccountRecoveryCodesCreated,
            Outcome::Success,
            json!({"count": digests.len()}),
        )
        .await?;
        Ok(codes)
    }

    /// Whether the account has an active authenticator app.
    pub async fn totp_active(&self, user_id: Uuid) -> Result<bool> {
        Ok(self
            .store
            .totp_of_user(user_id)
            .await?
            .is_some_and(|f| f.is_active()))
    }

    /// The active authenticator app, `None` when there is none (a pending
    /// one is no factor yet).
    pub async fn totp_status(&self, user_id: Uuid) -> Result<Option<TotpStatus>> {
        let Some(activated_at) = self
            .store
            .totp_of_user(user_id)
            .await?
            .and_then(|f| f.activated_at)
        else {
            return Ok(None);
        };
        Ok(Some(TotpStatus {
            activated_at,
            recovery_codes_left: self.store.recovery_codes_left(user_id).await?,
        }))
    }

    fn open_totp_secret(&self, factor: &TotpFactor) -> Result<TotpSecret> {
        let bytes = self
            .pii
            .open(&factor.secret_sealed, TOTP_SECRET_AAD)
            .map_err(AccountError::internal)?;
        Ok(TotpSecret::from_bytes(&bytes))
    }
}
