//! Changing the account's mobile number: a code to the new number (which
//! proves the citizen holds it), then the change, and a notice to the old
//! number (so a hijacked session changing it does not go unnoticed).
//!
//! Numbers are not unique across accounts (enrollment does not make them
//! so: family members share phones), so a number another account uses is
//! accepted here too. The number waiting for its code is kept in the
//! ephemeral store beside the code, bound to it: a code confirms only the
//! number it was sent to.

use std::time::Duration;

use pratu_core::audit::{AuditAction, Outcome};
use pratu_core::domain::{OtpCode, ThaiMobile};
use pratu_core::limits::count_phone_send;
use pratu_core::otp::{OtpError, OtpOutcome};
use pratu_core::sms::SmsMessage;
use pratu_core::web::RequestContext;
use pratu_storage::StorageError;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::notices::Notice;
use super::{AccountError, AccountService, Result, seconds_until};

/// A code went to the new number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PhoneChallenge {
    /// The reference shown beside the code in the SMS.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Seconds the code stays valid.
    pub expires_in: u64,
}

fn subject(user_id: Uuid) -> String {
    format!("account-phone:{user_id}")
}

fn pending_key(user_id: Uuid) -> String {
    format!("account:phone:{user_id}")
}

impl AccountService {
    /// Sends a code to `phone`, the account's new number to be. Limits:
    /// the SMS codes per number shared with enrollment and step-up, and the
    /// OTP policy's cooldown and sends per account.
    pub async fn start_phone_change(
        &self,
        _ctx: &RequestContext,
        user_id: Uuid,
        phone: &str,
    ) -> Result<PhoneChallenge> {
        let phone = ThaiMobile::parse(phone).map_err(|_| AccountError::InvalidPhone)?;
        let user = self.active_user(user_id).await?;
        if user.phone.as_deref() == Some(phone.e164()) {
            return Err(AccountError::PhoneUnchanged);
        }
        let subject = subject(user.id);
        let now = self.clock.now();
        if let Some(p) = self.otp.pending(&subject).await?
            && now < p.resend_at
        {
            return Err(AccountError::TooManyAttempts {
                retry_after: Some(seconds_until(now, p.resend_at).max(1)),
            });
        }
        if !count_phone_send(&*self.ephemeral, self.phone_sends, phone.e164()).await? {
            return Err(AccountError::TooManyAttempts {
                retry_after: Some(self.phone_sends.window_seconds),
            });
        }
        let issued = match self.otp.issue(&subject, phone.e164()).await {
            Ok(i) => i,
            Err(OtpError::Cooldown { retry_after }) => {
                return Err(AccountError::TooManyAttempts {
                    retry_after: Some(retry_after.as_secs().max(1)),
                });
            }
            Err(OtpError::TooManySends) => {
                return Err(AccountError::TooManyAttempts {
                    retry_after: Some(self.otp.policy().send_window.as_secs()),
                });
            }
            Err(OtpError::Storage(e)) => return Err(e.into()),
        };
        // Kept a little past the code, so a late code reads "expired".
        let keep = self.otp.policy().ttl + Duration::from_secs(600);
        self.ephemeral
            .put(&pending_key(user.id), phone.e164().as_bytes(), keep)
            .await?;
        let message = SmsMessage {
            to: phone.e164().to_owned(),
            text: issued.sms_text(),
        };
        if let Err(err) = self.sms.send(&message).await {
            tracing::warn!(error = %err, "SMS not sent");
            self.otp.cancel(&subject).await?;
            return Err(AccountError::SmsUnavailable);
        }
        tracing::info!(user.id = %user.id, "phone change code sent");
        Ok(PhoneChallenge {
            reference: issued.reference().to_owned(),
            expires_in: seconds_until(now, issued.expires_at),
        })
    }

    /// Confirms the pending number with its code: the account's phone
    /// becomes it (verified), the old number gets a notice, and
    /// `account.phone_changed` is audited.
    pub async fn verify_phone_change(
        &self,
        ctx: &RequestContext,
        user_id: Uuid,
        code: &str,
    ) -> Result<()> {
        let code = OtpCode::parse(code).map_err(|_| AccountError::OtpInvalid {
            attempts_left: None,
        })?;
        let user = self.active_user(user_id).await?;
        let Some(raw) = self.ephemeral.get(&pending_key(user.id)).await? else {
            return Err(AccountError::NoPhoneChange);
        };
        let new = String::from_utf8(raw).map_err(AccountError::internal)?;
        match self
            .otp
            .verify(&subject(user.id), &new, code.expose())
            .await?
        {
            OtpOutcome::Verified => {}
            OtpOutcome::Invalid { attempts_left } => {
                tracing::info!(event.kind = "security", "wrong phone change code");
                return Err(AccountError::OtpInvalid {
                    attempts_left: Some(attempts_left),
                });
            }
            OtpOutcome::Locked => return Err(AccountError::TooManyAttempts { retry_after: None }),
            OtpOutcome::Expired | OtpOutcome::NoChallenge => return Err(AccountError::OtpExpired),
        }
        match self
            .store
            .set_user_phone(user.id, &new, self.clock.now())
            .await
        {
            Ok(()) => {}
            Err(StorageError::NotFound { .. }) => return Err(AccountError::AccountGone),
            Err(e) => return Err(e.into()),
        }
        // The change stands; a leftover pending number only expires.
        if let Err(e) = self.ephemeral.delete(&pending_key(user.id)).await {
            tracing::warn!(error = %e, "the pending phone change could not be cleared");
        }
        let notified = match user.phone.as_deref().filter(|old| *old != new) {
            Some(old) => self.notify_number(old, Notice::PhoneChanged).await,
            None => false,
        };
        self.audit(
            ctx,
            user.id,
            AuditAction::AccountPhoneChanged,
            Outcome::Success,
            json!({"old_number_notified": notified}),
        )
        .await?;
        Ok(())
    }
}
