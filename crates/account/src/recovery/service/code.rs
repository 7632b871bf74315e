//! Steps 3 and 4: a code by SMS to the registered phone or a new number,
//! and its check; a new number becomes the account's.

use pratu_core::audit::{AuditAction, Outcome};
use pratu_core::domain::{OtpCode, ThaiMobile};
use pratu_core::limits::{count_phone_send, keys};
use pratu_core::otp::{OtpError, OtpOutcome};
use pratu_core::sms::SmsMessage;
use pratu_core::web::RequestContext;
use serde_json::json;

use super::{CodeSent, Destination, RecoveryService, masked, seconds_until};
use crate::recovery::error::{FieldCode, InvalidKind, RecoveryError};
use crate::recovery::state::{CodeTarget, Recovery, Step};
use crate::recovery::token::RecoveryAccess;

impl RecoveryService {
    /// Step 3: a code to the registered phone, or (lost phone) to a new
    /// number. Allowed only after proofing; within the OTP service's
    /// cooldown and caps and the per-number and per-IP limits enrollment
    /// counts too.
    #[tracing::instrument(name = "pratu.recovery.send_code", skip_all, fields(recovery.id = %access.id), err(Display))]
    pub async fn send_code(
        &self,
        ctx: &RequestContext,
        access: &RecoveryAccess,
        to: &Destination,
    ) -> Result<CodeSent, RecoveryError> {
        let d = self.state.deps();
        let mut r = self.load(access).await?;
        let new_phone =
            match to {
                Destination::Registered => None,
                Destination::New(raw) => Some(ThaiMobile::parse(raw).map_err(|e| {
                    RecoveryError::invalid(InvalidKind::Request, vec![e.on("phone")])
                })?),
            };
        Self::require(&r, Step::SendCode)?;
        let user = self.user(&r).await?;
        let target = match &new_phone {
            Some(m) => CodeTarget {
                e164: m.e164().to_owned(),
                new_number: true,
            },
            None => CodeTarget {
                e164: user
                    .phone
                    .clone()
                    .ok_or(RecoveryError::StepOutOfOrder { current: r.stage })?,
                new_number: false,
            },
        };
        let subject = Recovery::otp_subject(access.id, target.new_number);
        let now = self.now();
        if let Some(p) = self.otp.pending(&subject).await?
            && now < p.resend_at
        {
            return Err(RecoveryError::TooManyAttempts {
                retry_after: Some(seconds_until(now, p.resend_at).max(1)),
            });
        }
        if !count_phone_send(d.ephemeral.as_ref(), d.phone_sends, &target.e164).await? {
            return Err(RecoveryError::TooManyAttempts {
                retry_after: Some(d.phone_sends.window_seconds),
            });
        }
        if let Some(ip) = ctx.ip {
            let rule = &d.recovery.otp_sends_per_ip;
            if !self.limiter.hit(rule, &keys::otp_sends_per_ip(ip)).await? {
                return Err(RecoveryError::TooManyAttempts {
                    retry_after: Some(rule.window_seconds),
                });
            }
        }
        let issued = match self.otp.issue(&subject, &target.e164).await {
            Ok(i) => i,
            Err(OtpError::Cooldown { retry_after }) => {
                return Err(RecoveryError::TooManyAttempts {
                    retry_after: Some(retry_after.as_secs().max(1)),
                });
            }
            Err(OtpError::TooManySends) => {
                return Err(RecoveryError::TooManyAttempts {
                    retry_after: Some(self.otp.policy().send_window.as_secs()),
                });
            }
            Err(OtpError::Storage(e)) => return Err(e.into()),
        };
        let actor = format!("user:{}", user.id);
        let audit_target = format!("recovery:{}", access.id);
        let message = SmsMessage {
            to: target.e164.clone(),
            text: issued.sms_text(),
        };
        if let Err(err) = d.sms.send(&message).await {
            tracing::warn!(error = %err, "recovery: SMS not sent");
            self.otp.cancel(&subject).await?;
            self.audit(
                ctx,
                actor,
                audit_target,
                AuditAction::RecoveryOtpSendFailed,
                Outcome::Failure,
                json!({}),
            )
            .await;
            return Err(RecoveryError::SmsUnavailable);
        }
        // A code to the other number is void now.
        let other = Recovery::otp_subject(access.id, !target.new_number);
        self.otp.cancel(&other).await?;
        let phone_masked = masked(&target.e164).unwrap_or_default();
        let new_number = target.new_number;
        r.code_sent(target);
        self.save(access.id, &r).await?;
        self.audit(
            ctx,
            actor,
            audit_target,
            AuditAction::RecoveryOtpSent,
            Outcome::Success,
            json!({"ref": issued.reference(), "new_number": new_number}),
        )
        .await;
        Ok(CodeSent {
            reference: issued.reference().to_owned(),
            expires_in: seconds_until(now, issued.expires_at),
            resend_in: seconds_until(now, issued.resend_at),
            phone_masked,
        })
    }

    /// Step 4: the code. For a new number it becomes the account's verified
    /// phone now, and the old number gets a notice.
    #[tracing::instrument(name = "pratu.recovery.verify_code", skip_all, fields(recovery.id = %access.id), err(Display))]
    pub async fn verify_code(
        &self,
        ctx: &RequestContext,
        access: &RecoveryAccess,
        code: &str,
    ) -> Result<String, RecoveryError> {
        let d = self.state.deps();
        let mut r = self.load(access).await?;
        let code = OtpCode::parse(code)
            .map_err(|e| RecoveryError::invalid(InvalidKind::Request, vec![e.on("code")]))?;
        Self::require(&r, Step::VerifyCode)?;
        let user = self.user(&r).await?;
        let Some(target) = r.code_to.clone() else {
            return Err(RecoveryError::StepOutOfOrder { current: r.stage });
        };
        if let Some(ip) = ctx.ip {
            let rule = &d.recovery.otp_checks_per_ip;
            if !self.limiter.hit(rule, &keys::otp_checks_per_ip(ip)).await? {
                return Err(RecoveryError::TooManyAttempts {
                    retry_after: Some(rule.window_seconds),
                });
            }
        }
        let actor = format!("user:{}", user.id);
        let audit_target = format!("recovery:{}", access.id);
        let subject = Recovery::otp_subject(access.id, target.new_number);
        match self
            .otp
            .verify(&subject, &target.e164, code.expose())
            .await?
        {
            OtpOutcome::Verified => {}
            OtpOutcome::Invalid { attempts_left } => {
                self.audit(
                    ctx,
                    actor,
                    audit_target,
                    AuditAction::RecoveryOtpFailed,
                    Outcome::Failure,
                    json!({"attempts_left": attempts_left}),
                )
                .await;
                tracing::info!(event.kind = "security", "recovery: wrong OTP");
                return Err(RecoveryError::OtpInvalid { attempts_left });
            }
            OtpOutcome::Locked => {
                self.audit(
                    ctx,
                    actor,
                    audit_target,
                    AuditAction::RecoveryOtpLocked,
                    Outcome::Locked,
                    json!({}),
                )
                .await;
                return Err(RecoveryError::TooManyAttempts { retry_after: None });
            }
            OtpOutcome::Expired | OtpOutcome::NoChallenge => return Err(RecoveryError::OtpExpired),
        }
        if target.new_number {
            let old = user.phone.clone();
            d.store
                .set_user_phone(user.id, &target.e164, self.now())
                .await?;
            self.audit(
                ctx,
                actor.clone(),
                format!("user:{}", user.id),
                AuditAction::AccountPhoneChanged,
                Outcome::Success,
                json!({"via": "recovery", "recovery": access.id}),
            )
            .await;
            if let Some(old) = old.filter(|o| *o != target.e164) {
                self.notify_old_number(&old).await;
            }
        }
        r.code_verified();
        self.save(access.id, &r).await?;
        Ok(user.username)
    }

    /// Tells the old number that the account's phone changed. The change
    /// stands whether or not the notice goes out (the old phone may well be
    /// gone); a failure is logged.
    async fn notify_old_number(&self, old_e164: &str) {
        let message = SmsMessage {
            to: old_e164.to_owned(),
            text: "Pratu: the mobile number of your Digital ID was changed after the ID card \
                   was proved again. If this was not you, call the Digital ID service desk. / \
                   หมายเลขโทรศัพท์ของ Digital ID ของท่านถูกเปลี่ยนแล้ว หากท่านไม่ได้ทำรายการ \
                   กรุณาติดต่อศูนย์บริการ"
                .to_owned(),
        };
        if let Err(e) = self.state.deps().sms.send(&message).await {
            tracing::warn!(error = %e, "recovery: notice to the old number not sent");
        }
    }
}
