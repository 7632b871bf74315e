//! Audit events of the provider (sign-ins, consent, logout, token reuse).
//! Written off the request path: an audit write never delays a response.
//! Details never hold secrets or citizen IDs.

use pratu_storage::records::AuditEvent;
use serde_json::Value;
use uuid::Uuid;

use crate::state::OidcState;

impl OidcState {
    pub(crate) fn audit(
        &self,
        actor: String,
        action: &'static str,
        target: Option<String>,
        outcome: &'static str,
        details: Value,
    ) {
        let event = AuditEvent {
            id: Uuid::now_v7(),
            at: self.0.clock.now(),
            actor,
            action: action.to_owned(),
            target,
            request_id: None,
            outcome: outcome.to_owned(),
            details,
        };
        tracing::info!(event.kind = "security", action, outcome, "audit");
        let store = std::sync::Arc::clone(&self.0.store);
        tokio::spawn(async move {
            if let Err(e) = store.append_audit(&event).await {
                tracing::warn!(error = %e, action = %event.action, "audit write failed");
            }
        });
    }
}
