//! The audit log on PostgreSQL.

use async_trait::async_trait;
use sqlx::postgres::PgRow;
use time::OffsetDateTime;

use super::PgStore;
use super::row::{Reader, json};
use crate::error::Result;
use crate::records::{AuditEvent, AuditFilter};
use crate::repo::AuditRepo;
use crate::sql::{audit_limit, classify};

fn event_from_row(row: &PgRow) -> Result<AuditEvent> {
    let r = Reader::new(row, "audit_events");
    Ok(AuditEvent {
        id: r.get("id")?,
        at: r.get("at")?,
        actor: r.get("actor")?,
        action: r.get("action")?,
        target: r.get("target")?,
        request_id: r.get("request_id")?,
        outcome: r.get("outcome")?,
        details: r.json("details")?,
    })
}

#[async_trait]
impl AuditRepo for PgStore {
    #[tracing::instrument(name = "db.audit.append_audit", skip_all, fields(db.system = "postgresql"))]
    async fn append_audit(&self, e: &AuditEvent) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_events (id, at, actor, action, target, request_id, outcome, details) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(e.id)
        .bind(e.at)
        .bind(&e.actor)
        .bind(&e.action)
        .bind(&e.target)
        .bind(&e.request_id)
        .bind(&e.outcome)
        .bind(json(&e.details)?)
        .execute(&self.pool)
        .await
        .map_err(classify)?;
        Ok(())
    }

    /// `from` is inclusive, `to` exclusive. Events are ordered by `(at, id)`
    /// descending; `before` continues after that event (an unknown `before`
    /// yields an empty page). `limit` 0 means the cap (1000).
    #[tracing::instrument(name = "db.audit.list_audit", skip_all, fields(db.system = "postgresql"))]
    async fn list_audit(&self, f: &AuditFilter) -> Result<Vec<AuditEvent>> {
        // Each optional filter is `(?n IS NULL OR column = ?n)`: one cached
        // statement serves every combination.
        let rows = sqlx::query(
            "SELECT id, at, actor, action, target, request_id, outcome, details FROM audit_events \
             WHERE ($1 IS NULL OR at >= $1) AND ($2 IS NULL OR at < $2) \
             AND ($3 IS NULL OR actor = $3) AND ($4 IS NULL OR action = $4) \
             AND ($5 IS NULL OR target = $5) \
             AND ($6 IS NULL OR (at, id) < (SELECT at, id FROM audit_events WHERE id = $6)) \
             ORDER BY at DESC, id DESC LIMIT $7",
        )
        .bind(f.from)
        .bind(f.to)
        .bind(&f.actor)
        .bind(&f.action)
        .bind(&f.target)
        .bind(f.before)
        .bind(audit_limit(f.limit))
        .fetch_all(&self.pool)
        .await
        .map_err(classify)?;
        rows.iter().map(event_from_row).collect()
    }

    #[tracing::instrument(name = "db.audit.delete_audit_before", skip_all, fields(db.system = "postgresql"))]
    async fn delete_audit_before(&self, cutoff: OffsetDateTime) -> Result<u64> {
        let done = sqlx::query("DELETE FROM audit_events WHERE at < $1")
            .bind(cutoff)
            .execute(&self.pool)
            .await
            .map_err(classify)?;
        Ok(done.rows_affected())
    }
}
