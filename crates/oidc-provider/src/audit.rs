//! Audit events of the provider (sign-ins, consent, logout, token reuse,
//! client registration), written by the one policy of
//! [`pratu_core::audit::Auditor`]. Details never hold secrets or citizen IDs.
//!
//! Each event carries the request's `x-request-id` (set by the server's
//! request-id layer): [`with_request_id`] wraps every provider route and
//! keeps the id in a task-local for the duration of the request, so call
//! sites do not thread it through.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use pratu_core::audit::{AuditAction, Entry, Outcome};
use pratu_core::web::context::request_id;
use pratu_storage::records::AuditEvent;
use serde_json::Value;

use crate::state::Audit;

tokio::task_local! {
    static REQUEST_ID: Option<String>;
}

/// Middleware: makes the request id available to [`Audit::record`].
pub(crate) async fn with_request_id(req: Request, next: Next) -> Response {
    let id = request_id(req.headers());
    REQUEST_ID.scope(id, next.run(req)).await
}

/// The id of the request being handled, if any.
pub(crate) fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok().flatten()
}

impl Audit {
    /// Records an event through the one audit policy (awaited, a failed
    /// write logged), with the current request's id.
    pub(crate) async fn record(
        &self,
        actor: String,
        action: AuditAction,
        target: Option<String>,
        outcome: Outcome,
        details: Value,
    ) {
        let entry = Entry::new(actor, action, outcome)
            .maybe_target(target)
            .request_id(current_request_id())
            .details(details);
        let Self(auditor) = self;
        auditor.record(entry).await;
    }

    /// The record of an event, stamped now with the current request's id,
    /// for a unit of work that commits it with the change it records (and
    /// fails with it).
    pub(crate) fn event(
        &self,
        actor: String,
        action: AuditAction,
        target: Option<String>,
        outcome: Outcome,
        details: Value,
    ) -> AuditEvent {
        let entry = Entry::new(actor, action, outcome)
            .maybe_target(target)
            .request_id(current_request_id())
            .details(details);
        let Self(auditor) = self;
        auditor.event(entry)
    }

    /// The log line [`Self::record`] writes, for an [`Self::event`] its unit
    /// of work committed.
    pub(crate) fn committed(action: AuditAction, outcome: Outcome) {
        tracing::info!(
            event.kind = "security",
            action = action.as_str(),
            outcome = outcome.as_str(),
            "audit"
        );
    }
}
