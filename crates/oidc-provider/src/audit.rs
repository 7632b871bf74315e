//! Audit events of the provider (sign-ins, consent, logout, token reuse,
//! client registration). Written off the request path: an audit write never
//! delays a response. Details never hold secrets or citizen IDs.
//!
//! Each event carries the request's `x-request-id` (set by the server's
//! request-id layer): [`with_request_id`] wraps every provider route and
//! keeps the id in a task-local for the duration of the request, so call
//! sites do not thread it through.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use pratu_storage::records::AuditEvent;
use serde_json::Value;
use uuid::Uuid;

use crate::state::OidcState;

/// Longest request id recorded (a client-supplied id is kept as given).
const MAX_REQUEST_ID_LEN: usize = 128;

tokio::task_local! {
    static REQUEST_ID: Option<String>;
}

/// Middleware: makes the request id available to [`OidcState::audit`].
pub(crate) async fn with_request_id(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= MAX_REQUEST_ID_LEN)
        .map(str::to_owned);
    REQUEST_ID.scope(id, next.run(req)).await
}

/// The id of the request being handled, if any.
pub(crate) fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok().flatten()
}

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
            request_id: current_request_id(),
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
