//! Audit records of the enrollment, through `pratu_core`'s one audit
//! policy. They name the enrollment or the new user, never the citizen ID,
//! names, phone number or codes.

use pratu_core::audit::{AuditAction, Entry, Outcome};
use serde_json::Value;
use uuid::Uuid;

use super::{Context, EnrollmentService};
use crate::service::EnrollmentError;

impl EnrollmentService {
    /// The record of an enrollment step (`confirm` writes it in the unit of
    /// work it records).
    pub(crate) fn entry(
        ctx: &Context,
        enrollment: Uuid,
        action: AuditAction,
        outcome: Outcome,
        details: Value,
    ) -> Entry {
        Entry::new("anonymous", action, outcome)
            .target(format!("enrollment:{enrollment}"))
            .request_id(ctx.request_id.clone())
            .details(details)
    }

    /// For steps that must not happen unrecorded: a failed write fails the
    /// step.
    pub(crate) async fn audit(
        &self,
        ctx: &Context,
        enrollment: Uuid,
        action: AuditAction,
        outcome: Outcome,
        details: Value,
    ) -> Result<(), EnrollmentError> {
        let entry = Self::entry(ctx, enrollment, action, outcome, details);
        self.auditor.try_record(entry).await?;
        Ok(())
    }

    /// For refusals: the refusal is the answer even if the audit write
    /// fails, so a failure here is logged, not returned.
    pub(crate) async fn audit_quietly(
        &self,
        ctx: &Context,
        enrollment: Uuid,
        action: AuditAction,
        outcome: Outcome,
        details: Value,
    ) {
        let entry = Self::entry(ctx, enrollment, action, outcome, details);
        self.auditor.record(entry).await;
    }
}
