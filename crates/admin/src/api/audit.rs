//! `/admin/api/v1/audit`: the audit trail, newest first, filtered.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use pratu_core::audit::AuditAction;
use pratu_storage::records::{AuditEvent, AuditFilter};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::query;
use crate::auth::Operator;
use crate::problem::{ApiError, Problem};
use crate::state::AdminState;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Events at or after this time (RFC 3339).
    pub from: Option<String>,
    /// Events before this time (RFC 3339).
    pub to: Option<String>,
    /// e.g. `client:ops-bot`, `user:<uuid>`, `cli`.
    pub actor: Option<String>,
    /// e.g. `client.created`.
    pub action: Option<String>,
    /// e.g. `client:<id>`.
    pub target: Option<String>,
    /// Page backwards from (excluding) this event id (`next_before`).
    pub before: Option<Uuid>,
    pub limit: Option<u32>,
}

/// One audit event. Never holds secrets or clear citizen IDs.
#[derive(Debug, ToSchema)]
#[expect(dead_code, reason = "documents the JSON of AuditEvent")]
pub struct Event {
    id: Uuid,
    #[schema(format = DateTime)]
    at: String,
    actor: String,
    action: String,
    target: Option<String>,
    request_id: Option<String>,
    /// `success`, `failure` or a short reason code.
    outcome: String,
    #[schema(value_type = Object)]
    details: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventList {
    #[schema(value_type = Vec<Event>)]
    pub events: Vec<AuditEvent>,
    /// Pass as `before` for the next (older) page; absent on the last.
    pub next_before: Option<Uuid>,
}

pub(crate) fn parse_time(
    field: &'static str,
    v: Option<&str>,
) -> Result<Option<OffsetDateTime>, ApiError> {
    v.filter(|v| !v.is_empty())
        .map(|v| {
            OffsetDateTime::parse(v, &Rfc3339).map_err(|_| ApiError::Invalid {
                field,
                reason: "an RFC 3339 time, e.g. 2026-11-26T03:00:00Z".into(),
            })
        })
        .transpose()
}

/// The filter for `q`, its limit capped at `max`.
pub(crate) fn filter_of(q: &AuditQuery, max: u32) -> Result<AuditFilter, ApiError> {
    let non_empty = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
    Ok(AuditFilter {
        from: parse_time("from", q.from.as_deref())?,
        to: parse_time("to", q.to.as_deref())?,
        actor: non_empty(&q.actor),
        action: non_empty(&q.action),
        target: non_empty(&q.target),
        before: q.before,
        limit: q.limit.unwrap_or(50).clamp(1, max),
    })
}

#[utoipa::path(get, path = "/admin/api/v1/audit", tag = "audit",
    params(AuditQuery),
    responses((status = 200, body = EventList), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = ["pratu:admin"])))]
pub async fn list(
    State(s): State<AdminState>,
    op: Operator,
    q: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<EventList>, ApiError> {
    let r = async {
        let q = query(q)?;
        let filter = filter_of(&q, s.0.config.max_page_size)?;
        let events = s.0.store.list_audit(&filter).await?;
        let next_before = (events.len() >= filter.limit as usize)
            .then(|| events.last().map(|e| e.id))
            .flatten();
        Ok(EventList {
            events,
            next_before,
        })
    }
    .await;
    let r = super::audited(&s, &op, AuditAction::AdminAuditListed, None, r).await;
    Ok(Json(r?))
}
