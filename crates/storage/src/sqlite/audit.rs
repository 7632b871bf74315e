//! The audit log on SQLite.

use async_trait::async_trait;
use rusqlite::{Connection, params};
use sqlx::sqlite::SqliteRow;
use time::OffsetDateTime;

use super::SqliteStore;
use super::row::{Columns, Reader, json, micros};
use super::writer::execute;
use crate::error::Result;
use crate::records::{AuditEvent, AuditFilter};
use crate::repo::AuditRepo;
use crate::sql::{audit_limit, classify};

fn event_from_row(row: &SqliteRow) -> Result<AuditEvent> {
    let r = Reader::new(row, "audit_events");
    Ok(AuditEvent {
        id: r.uuid("id")?,
        at: r.time("at")?,
        actor: r.text("actor")?,
        action: r.text("action")?,
        target: r.opt_text("target")?,
        request_id: r.opt_text("request_id")?,
        outcome: r.text("outcome")?,
        details: r.json("details")?,
    })
}

/// Appends `e` on the writer's connection: alone, or as the record of a
/// unit of work whose other writes share its transaction.
pub(super) fn insert_audit(conn: &Connection, e: &AuditEvent) -> Result<()> {
    execute(
        conn,
        "INSERT INTO audit_events (id, at, actor, action, target, request_id, outcome, \
         details) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            e.id.to_string(),
            micros(e.at),
            e.actor,
            e.action,
            e.target,
            e.request_id,
            e.outcome,
            json(&e.details)?,
        ],
    )?;
    Ok(())
}

#[async_trait]
impl AuditRepo for SqliteStore {
    #[tracing::instrument(name = "db.audit.append_audit", skip_all, fields(db.system = "sqlite"))]
    async fn append_audit(&self, e: &AuditEvent) -> Result<()> {
        self.write(e.clone(), insert_audit).await
    }

    /// `from` is inclusive, `to` exclusive. Events are ordered by `(at, id)`
    /// descending; `before` continues after that event (an unknown `before`
    /// yields an empty page). `limit` 0 means the cap (1000).
    #[tracing::instrument(name = "db.audit.list_audit", skip_all, fields(db.system = "sqlite"))]
    async fn list_audit(&self, f: &AuditFilter) -> Result<Vec<AuditEvent>> {
        // Each optional filter is `(?n IS NULL OR column = ?n)`: one cached
        // statement serves every combination.
        let rows = sqlx::query(
            "SELECT id, at, actor, action, target, request_id, outcome, details FROM audit_events \
             WHERE (?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR at < ?2) \
             AND (?3 IS NULL OR actor = ?3) AND (?4 IS NULL OR action = ?4) \
             AND (?5 IS NULL OR target = ?5) \
             AND (?6 IS NULL OR (at, id) < (SELECT at, id FROM audit_events WHERE id = ?6)) \
             ORDER BY at DESC, id DESC LIMIT ?7",
        )
        .bind(f.from.map(micros))
        .bind(f.to.map(micros))
        .bind(&f.actor)
        .bind(&f.action)
        .bind(&f.target)
        .bind(f.before.map(|id| id.to_string()))
        .bind(audit_limit(f.limit))
        .fetch_all(&self.reader)
        .await
        .map_err(classify)?;
        rows.iter().map(event_from_row).collect()
    }

    #[tracing::instrument(name = "db.audit.delete_audit_before", skip_all, fields(db.system = "sqlite"))]
    async fn delete_audit_before(&self, cutoff: OffsetDateTime) -> Result<u64> {
        self.write(micros(cutoff), |conn, cutoff| {
            execute(
                conn,
                "DELETE FROM audit_events WHERE at < ?1",
                params![cutoff],
            )
        })
        .await
    }
}
