//! Step 7: the mobile number and its SMS one-time code. A code is sent only
//! after identity proofing (DOMAIN.md §6: SMS bombing), within the OTP
//! service's cooldown and caps and the per-number and per-IP limits.

use pratu_core::audit::{AuditAction, Outcome};
use pratu_core::otp::{OtpError, OtpOutcome};
use pratu_core::sms::SmsMessage;
use pratu_storage::records::EnrollmentStep;
use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Progress, seconds_until};
use crate::domain::{OtpCode, ThaiMobile};
use crate::service::data::PhoneData;
use crate::service::fields::FieldCode;
use crate::service::limits::keys;
use crate::service::{
    Context, EnrollmentAccess, EnrollmentError, EnrollmentService, InvalidKind, retry_on_conflict,
};

/// A code went out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OtpSent {
    /// The reference shown beside the code.
    #[serde(rename = "ref")]
    pub reference: String,
    pub expires_in: u64,
    /// Seconds until a new code may be asked for.
    pub resend_in: u64,
    /// `08x-xxx-5678`.
    pub phone: String,
}

/// The live code of an enrollment, for the wizard's code page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingPhone {
    pub reference: String,
    pub phone_masked: String,
    pub expires_at: OffsetDateTime,
    pub expires_in: u64,
    pub resend_in: u64,
}

fn subject(id: Uuid) -> String {
    format!("enroll:{id}")
}

impl EnrollmentService {
    #[tracing::instrument(name = "pratu.enrollment.send_otp", skip_all, fields(enrollment.id = %access.id), err(Display))]
    pub async fn send_phone_code(
        &self,
        ctx: &Context,
        access: &EnrollmentAccess,
        phone: &str,
    ) -> Result<OtpSent, EnrollmentError> {
        let phone = ThaiMobile::parse(phone)
            .map_err(|e| EnrollmentError::invalid(InvalidKind::Request, vec![e.on("phone")]))?;
        retry_on_conflict!(self.send_once(ctx, access, &phone).await)
    }

    async fn send_once(
        &self,
        ctx: &Context,
        access: &EnrollmentAccess,
        phone: &ThaiMobile,
    ) -> Result<OtpSent, EnrollmentError> {
        let id = access.id;
        let (e, mut data) = self.load(access).await?;
        if e.step < EnrollmentStep::Phone || e.step == EnrollmentStep::Completed {
            return Err(EnrollmentError::StepOutOfOrder { current: e.step });
        }
        let now = self.clock.now();
        let subject = subject(id);
        if let Some(p) = self.otp.pending(&subject).await?
            && now < p.resend_at
        {
            return Err(EnrollmentError::TooManyAttempts {
                retry_after: Some(seconds_until(now, p.resend_at).max(1)),
            });
        }
        let rule = &self.limits.otp_sends_per_phone;
        if !self.limiter.phone_send(rule, phone.e164()).await? {
            return Err(EnrollmentError::TooManyAttempts {
                retry_after: Some(rule.window_seconds),
            });
        }
        if let Some(ip) = ctx.ip {
            let rule = &self.limits.otp_sends_per_ip;
            if !self.limiter.hit(rule, &keys::otp_sends_per_ip(ip)).await? {
                return Err(EnrollmentError::TooManyAttempts {
                    retry_after: Some(rule.window_seconds),
                });
            }
        }
        data.phone = Some(PhoneData {
            e164: phone.e164().to_owned(),
            verified: false,
        });
        self.save(e, &data, EnrollmentStep::Phone).await?;

        let issued = match self.otp.issue(&subject, phone.e164()).await {
            Ok(i) => i,
            Err(OtpError::Cooldown { retry_after }) => {
                return Err(EnrollmentError::TooManyAttempts {
                    retry_after: Some(retry_after.as_secs().max(1)),
                });
            }
            Err(OtpError::TooManySends) => {
                return Err(EnrollmentError::TooManyAttempts {
                    retry_after: Some(self.otp_config.send_window_seconds),
                });
            }
            Err(OtpError::Storage(e)) => return Err(e.into()),
        };
        let message = SmsMessage {
            to: phone.e164().to_owned(),
            text: issued.sms_text(),
        };
        if let Err(err) = self.sms.send(&message).await {
            tracing::warn!(error = %err, "SMS not sent");
            self.otp.cancel(&subject).await?;
            self.audit_quietly(
                ctx,
                id,
                AuditAction::EnrollmentOtpSendFailed,
                Outcome::Failure,
                json!({}),
            )
            .await;
            return Err(EnrollmentError::SmsUnavailable);
        }
        self.audit_quietly(
            ctx,
            id,
            AuditAction::EnrollmentOtpSent,
            Outcome::Success,
            json!({"ref": issued.reference()}),
        )
        .await;
        Ok(OtpSent {
            reference: issued.reference().to_owned(),
            expires_in: seconds_until(now, issued.expires_at),
            resend_in: seconds_until(now, issued.resend_at),
            phone: phone.masked(),
        })
    }

    #[tracing::instrument(name = "pratu.enrollment.verify_otp", skip_all, fields(enrollment.id = %access.id), err(Display))]
    pub async fn verify_phone(
        &self,
        ctx: &Context,
        access: &EnrollmentAccess,
        code: &str,
    ) -> Result<Progress, EnrollmentError> {
        let id = access.id;
        let code = OtpCode::parse(code)
            .map_err(|e| EnrollmentError::invalid(InvalidKind::Request, vec![e.on("code")]))?;
        let (e, data) = self.load(access).await?;
        let phone = match &data.phone {
            Some(p) if p.verified && e.step > EnrollmentStep::Phone => {
                // Already verified (a repeated request).
                return Ok(Progress { next: e.step });
            }
            Some(p) if e.step == EnrollmentStep::Phone => p.e164.clone(),
            _ => return Err(EnrollmentError::StepOutOfOrder { current: e.step }),
        };
        if let Some(ip) = ctx.ip {
            let rule = &self.limits.otp_checks_per_ip;
            if !self.limiter.hit(rule, &keys::otp_checks_per_ip(ip)).await? {
                return Err(EnrollmentError::TooManyAttempts {
                    retry_after: Some(rule.window_seconds),
                });
            }
        }
        match self.otp.verify(&subject(id), &phone, code.expose()).await? {
            OtpOutcome::Verified => {}
            OtpOutcome::Invalid { attempts_left } => {
                self.audit_quietly(
                    ctx,
                    id,
                    AuditAction::EnrollmentOtpFailed,
                    Outcome::Failure,
                    json!({"attempts_left": attempts_left}),
                )
                .await;
                tracing::info!(event.kind = "security", "wrong OTP");
                return Err(EnrollmentError::OtpInvalid { attempts_left });
            }
            OtpOutcome::Locked => {
                self.audit_quietly(
                    ctx,
                    id,
                    AuditAction::EnrollmentOtpLocked,
                    Outcome::Locked,
                    json!({}),
                )
                .await;
                tracing::info!(event.kind = "security", "OTP locked");
                return Err(EnrollmentError::TooManyAttempts { retry_after: None });
            }
            OtpOutcome::Expired | OtpOutcome::NoChallenge => {
                return Err(EnrollmentError::OtpExpired);
            }
        }
        // The code is used up now: record the verification even if another
        // request changed the enrollment meanwhile.
        let (mut e, mut data) = (e, data);
        for _ in 0..crate::service::CONFLICT_RETRIES {
            if let Some(p) = data.phone.as_mut().filter(|p| p.e164 == phone) {
                p.verified = true;
            } else {
                return Err(EnrollmentError::OtpExpired);
            }
            match self.save(e, &data, EnrollmentStep::Review).await {
                Ok(_) => {
                    self.audit_quietly(
                        ctx,
                        id,
                        AuditAction::EnrollmentPhoneVerified,
                        Outcome::Success,
                        json!({}),
                    )
                    .await;
                    return Ok(Progress {
                        next: EnrollmentStep::Review,
                    });
                }
                Err(EnrollmentError::Conflict) => (e, data) = self.load(access).await?,
                Err(other) => return Err(other),
            }
        }
        Err(EnrollmentError::Conflict)
    }

    /// Sends a new code to the number of the last one (the wizard's
    /// "send again" button).
    pub async fn resend_phone_code(
        &self,
        ctx: &Context,
        access: &EnrollmentAccess,
    ) -> Result<OtpSent, EnrollmentError> {
        let (e, data) = self.load(access).await?;
        let Some(phone) = data.phone.filter(|p| !p.verified) else {
            return Err(EnrollmentError::StepOutOfOrder { current: e.step });
        };
        self.send_phone_code(ctx, access, &phone.e164).await
    }

    /// The code last sent for this enrollment, if still stored.
    pub async fn pending_phone(
        &self,
        access: &EnrollmentAccess,
    ) -> Result<Option<PendingPhone>, EnrollmentError> {
        let id = access.id;
        let (_, data) = self.load(access).await?;
        let Some(phone) = data.phone.filter(|p| !p.verified) else {
            return Ok(None);
        };
        let Some(p) = self.otp.pending(&subject(id)).await? else {
            return Ok(None);
        };
        let now = self.clock.now();
        let mobile = ThaiMobile::parse(&phone.e164).map_err(EnrollmentError::internal)?;
        Ok(Some(PendingPhone {
            reference: p.reference,
            phone_masked: mobile.masked(),
            expires_at: p.expires_at,
            expires_in: seconds_until(now, p.expires_at),
            resend_in: seconds_until(now, p.resend_at),
        }))
    }
}
