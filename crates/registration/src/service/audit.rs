//! Audit records of the enrollment. They name the enrollment or the new
//! user, never the citizen ID, names, phone number or codes.

use pratu_storage::records::AuditEvent;
use serde_json::Value;
use uuid::Uuid;

use super::{Context, EnrollmentService};
use crate::service::EnrollmentError;

impl EnrollmentService {
    pub(crate) async fn audit(
        &self,
        ctx: &Context,
        enrollment: Uuid,
        action: &str,
        outcome: &str,
        details: Value,
    ) -> Result<(), EnrollmentError> {
        let event = AuditEvent {
            id: Uuid::new_v4(),
            at: self.clock.now(),
            actor: "anonymous".into(),
            action: action.into(),
            target: Some(format!("enrollment:{enrollment}")),
            request_id: ctx.request_id.clone(),
            outcome: outcome.into(),
            details,
        };
        self.store.append_audit(&event).await?;
        Ok(())
    }

    /// For refusals: the refusal is the answer even if the audit write
    /// fails, so a failure here is logged, not returned.
    pub(crate) async fn audit_quietly(
        &self,
        ctx: &Context,
        enrollment: Uuid,
        action: &str,
        outcome: &str,
        details: Value,
    ) {
        if let Err(e) = self.audit(ctx, enrollment, action, outcome, details).await {
            tracing::error!(error = %e, audit.action = action, "audit write failed");
        }
    }
}
