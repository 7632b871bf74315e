//! Step 2: the citizen ID. Checksum verified, and nothing more: whether the
//! ID already has a Digital ID is told only after its card is proofed (the
//! identity step), so this step cannot be used to probe who is enrolled.
//! The ID is sealed and indexed, never kept in clear.

use pratu_storage::records::{EnrollmentStep, SealedCitizenId};

use super::Progress;
use crate::domain::CitizenId;
use crate::service::fields::FieldCode;
use crate::service::limits::keys;
use crate::service::{
    CITIZEN_ID_AAD, Context, EnrollmentAccess, EnrollmentError, EnrollmentService, InvalidKind,
    retry_on_conflict,
};

impl EnrollmentService {
    #[tracing::instrument(name = "pratu.enrollment.citizen_id", skip_all, fields(enrollment.id = %access.id), err(Display))]
    pub async fn submit_citizen_id(
        &self,
        ctx: &Context,
        access: &EnrollmentAccess,
        citizen_id: &str,
    ) -> Result<Progress, EnrollmentError> {
        let cid = CitizenId::parse_with(citizen_id, self.config.first_digits()).map_err(|e| {
            EnrollmentError::invalid(InvalidKind::CitizenId, vec![e.on("citizen_id")])
        })?;
        retry_on_conflict!(self.citizen_id_once(ctx, access, &cid).await)
    }

    async fn citizen_id_once(
        &self,
        ctx: &Context,
        access: &EnrollmentAccess,
        cid: &CitizenId,
    ) -> Result<Progress, EnrollmentError> {
        let (mut e, mut data) = self.load(access).await?;
        if e.step == EnrollmentStep::Completed {
            return Err(EnrollmentError::StepOutOfOrder { current: e.step });
        }
        let index = self.citizen_index(cid.expose_digits());
        if e.citizen_id.as_ref().is_some_and(|s| s.index == index) {
            // The same ID again (reload, double submit): nothing to do.
            return Ok(Progress { next: e.step });
        }
        if e.step > EnrollmentStep::Identity {
            // Identity was verified for another ID; changing it now would
            // detach the proofing from the person.
            return Err(EnrollmentError::StepOutOfOrder { current: e.step });
        }
        if let Some(ip) = ctx.ip {
            let rule = &self.limits.citizen_id_per_ip;
            if !self.limiter.hit(rule, &keys::citizen_id_per_ip(ip)).await? {
                return Err(EnrollmentError::TooManyAttempts {
                    retry_after: Some(rule.window_seconds),
                });
            }
        }
        e.citizen_id = Some(SealedCitizenId {
            ciphertext: self
                .pii
                .seal(cid.expose_digits().as_bytes(), CITIZEN_ID_AAD),
            index,
        });
        data.citizen_id_masked = Some(cid.masked());
        // Details typed for another ID do not carry over.
        data.personal = None;
        self.save(e, &data, EnrollmentStep::Identity).await?;
        Ok(Progress {
            next: EnrollmentStep::Identity,
        })
    }
}
