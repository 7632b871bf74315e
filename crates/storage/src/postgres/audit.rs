//! The audit log on PostgreSQL.

use async_trait::async_trait;
use sqlx::PgPool;
use sqlx::postgres::PgRow;
use time::OffsetDateTime;

use super::PgStore;
use super::batch::{Job, column};
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

/// An audit event appended, as a [`Job`]: every sign-in writes one, and
/// under load they go to the database together (see `batch`).
pub(super) struct AuditAppends;

#[async_trait]
impl Job for AuditAppends {
    type Input = AuditEvent;
    type Output = ();

    async fn many(&self, pool: &PgPool, events: &[AuditEvent]) -> Result<Vec<()>> {
        let details = events
            .iter()
            .map(|e| json(&e.details))
            .collect::<Result<Vec<_>>>()?;
        sqlx::query(
            "INSERT INTO audit_events (id, at, actor, action, target, request_id, outcome, details) \
             SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], \
             $5::text[], $6::text[], $7::text[], $8::jsonb[])",
        )
        .bind(column(events, |e| e.id))
        .bind(column(events, |e| e.at))
        .bind(column(events, |e| e.actor.as_str()))
        .bind(column(events, |e| e.action.as_str()))
        .bind(column(events, |e| e.target.as_deref()))
        .bind(column(events, |e| e.request_id.as_deref()))
        .bind(column(events, |e| e.outcome.as_str()))
        .bind(details)
        .execute(pool)
        .await
        .map_err(classify)?;
        Ok(events.iter().map(|_| ()).collect())
    }

    async fn one(&self, pool: &PgPool, e: &AuditEvent) -> Result<()> {
        insert_audit(pool, e).await
    }
}

/// Appends `e` on `conn`: the pool, or the open transaction of a unit of
/// work whose other writes it records (and commits or fails with).
pub(super) async fn insert_audit<'c, E>(conn: E, e: &AuditEvent) -> Result<()>
where
    E: sqlx::Executor<'c, Database = sqlx::Postgres>,
{
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
    .execute(conn)
    .await
    .map_err(classify)?;
    Ok(())
}

#[async_trait]
impl AuditRepo for PgStore {
    #[tracing::instrument(name = "db.audit.append_audit", skip_all, fields(db.system = "postgresql"))]
    async fn append_audit(&self, e: &AuditEvent) -> Result<()> {
        self.audit_appends.submit(e.clone()).await
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

#[cfg(test)]
mod tests {
    //! The batched append itself (a failing batch would fall back to one
    //! statement per event, hiding it from every other test).

    use uuid::Uuid;

    use super::*;
    use crate::testing::fixtures::t0;
    use crate::testing::{Must, pg_store_from_env};

    #[tokio::test]
    async fn a_batch_of_events_is_appended_whole() {
        let Some((store, _guard)) = pg_store_from_env().await else {
            return;
        };
        let event = |n: i64, target: Option<&str>| AuditEvent {
            id: Uuid::now_v7(),
            at: t0() + time::Duration::seconds(n),
            actor: format!("user:{n}"),
            action: "login.succeeded".to_owned(),
            target: target.map(str::to_owned),
            request_id: (n == 1).then(|| "req-1".to_owned()),
            outcome: "success".to_owned(),
            details: serde_json::json!({"n": n}),
        };
        let events = [event(1, None), event(2, Some("client:rp"))];
        AuditAppends
            .many(&store.pool, &events)
            .await
            .must("batched append");
        let mut listed = store.list_audit(&AuditFilter::default()).await.must("list");
        listed.reverse();
        assert_eq!(listed, events);
    }
}
