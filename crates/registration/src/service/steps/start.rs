//! Step 1: consent to the identity-proofing terms (PDPA §19: recorded with
//! the text's version and hash, the time and the channel).

use pratu_core::audit::{AuditAction, Outcome};
use pratu_storage::records::{Enrollment, EnrollmentStep};
use serde_json::json;
use uuid::Uuid;

use super::Started;
use crate::service::data::{ConsentRecord, EnrollmentData};
use crate::service::limits::limit_key;
use crate::service::{Context, EnrollmentError, EnrollmentService, EnrollmentToken};

#[derive(Debug, Clone)]
pub struct StartInput {
    pub accept_terms: bool,
    /// The version the citizen read (from `GET /api/v1/terms` or the page).
    pub terms_version: String,
    /// `th` or `en`.
    pub language: String,
}

impl EnrollmentService {
    #[tracing::instrument(name = "pratu.enrollment.start", skip_all, err(Display))]
    pub async fn start(
        &self,
        ctx: &Context,
        input: StartInput,
    ) -> Result<Started, EnrollmentError> {
        if !input.accept_terms {
            return Err(EnrollmentError::TermsNotAccepted);
        }
        let terms = &self.config.terms;
        if input.terms_version.trim() != terms.version {
            return Err(EnrollmentError::TermsOutdated {
                current: terms.version.clone(),
            });
        }
        if let Some(ip) = ctx.ip {
            let key = format!("enroll:ip:{}", limit_key(ip));
            if !self
                .limiter
                .hit(&self.limits.enrollments_per_ip, &key)
                .await?
            {
                return Err(EnrollmentError::TooManyAttempts {
                    retry_after: Some(self.limits.enrollments_per_ip.window_seconds),
                });
            }
        }
        let now = self.clock.now();
        let language = if input.language == "en" { "en" } else { "th" };
        let data = EnrollmentData {
            consent: Some(ConsentRecord {
                terms_version: terms.version.clone(),
                text_sha256: terms.text_sha256(),
                accepted_at: now,
                channel: ctx.channel.to_owned(),
                language: language.to_owned(),
            }),
            locale: Some(language.to_owned()),
            ..EnrollmentData::default()
        };
        let minutes = i64::try_from(self.config.expiry_minutes).unwrap_or(30);
        let token = EnrollmentToken::generate(&*self.random);
        let enrollment = Enrollment {
            id: Uuid::new_v4(),
            step: EnrollmentStep::CitizenId,
            version: 1,
            token_digest: token.digest(),
            citizen_id: None,
            data: data.to_json().map_err(EnrollmentError::internal)?,
            user_id: None,
            created_at: now,
            updated_at: now,
            expires_at: now + time::Duration::minutes(minutes),
        };
        self.store.create_enrollment(&enrollment).await?;
        self.audit(
            ctx,
            enrollment.id,
            AuditAction::EnrollmentConsent,
            Outcome::Success,
            json!({
                "terms_version": terms.version,
                "text_sha256": terms.text_sha256(),
                "channel": ctx.channel,
                "language": language,
            }),
        )
        .await?;
        Ok(Started {
            enrollment_id: enrollment.id,
            token,
            next: EnrollmentStep::CitizenId,
        })
    }
}
