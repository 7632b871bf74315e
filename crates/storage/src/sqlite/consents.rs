//! Remembered consents on SQLite.

use async_trait::async_trait;
use rusqlite::{Connection, params};
use sqlx::sqlite::SqliteRow;
use time::OffsetDateTime;
use uuid::Uuid;

use super::SqliteStore;
use super::audit::insert_audit;
use super::row::{Columns, LiteReader, Reader, json, micros};
use super::writer::{execute, first_row};
use crate::error::{Result, StorageError};
use crate::records::{AuditEvent, Consent};
use crate::repo::{ConsentRepo, WithdrawOutcome};
use crate::sql::classify;

/// One mapper for both drivers' rows.
fn consent_from(r: &impl Columns) -> Result<Consent> {
    Ok(Consent {
        user_id: r.uuid("user_id")?,
        client_id: r.text("client_id")?,
        scopes: r.json("scopes")?,
        granted_at: r.time("granted_at")?,
    })
}

fn consent_from_row(row: &SqliteRow) -> Result<Consent> {
    consent_from(&Reader::new(row, "consents"))
}

/// [`consent_from_row`] for the inline readers' rows.
fn consent_from_lite_row(row: &rusqlite::Row<'_>) -> Result<Consent> {
    consent_from(&LiteReader::new(row, "consents"))
}

/// On the writer thread: inserts or replaces `c`.
fn upsert_consent(conn: &Connection, c: &Consent) -> Result<()> {
    execute(
        conn,
        "INSERT INTO consents (user_id, client_id, scopes, granted_at) \
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT (user_id, client_id) DO UPDATE SET \
         scopes = excluded.scopes, granted_at = excluded.granted_at",
        params![
            c.user_id.to_string(),
            c.client_id,
            json(&c.scopes)?,
            micros(c.granted_at)
        ],
    )?;
    Ok(())
}

const SELECT_CONSENT: &str = "SELECT user_id, client_id, scopes, granted_at FROM consents \
                              WHERE user_id = ?1 AND client_id = ?2";

#[async_trait]
impl ConsentRepo for SqliteStore {
    #[tracing::instrument(name = "db.consents.put_consent", skip_all, fields(db.system = "sqlite"))]
    async fn put_consent(&self, c: &Consent) -> Result<()> {
        self.write(c.clone(), upsert_consent).await
    }

    #[tracing::instrument(name = "db.consents.grant_consent", skip_all, fields(db.system = "sqlite"))]
    async fn grant_consent(&self, c: &Consent, audit: &AuditEvent) -> Result<()> {
        self.write((c.clone(), audit.clone()), |conn, (c, audit)| {
            upsert_consent(conn, c)?;
            // A refused audit row fails here; the writer rolls the consent
            // back with it.
            insert_audit(conn, audit)
        })
        .await
    }

    #[tracing::instrument(name = "db.consents.consent", skip_all, fields(db.system = "sqlite"))]
    async fn consent(&self, user_id: Uuid, client_id: &str) -> Result<Option<Consent>> {
        // Every authorization request of a signed-in user asks: inline (see
        // `inline.rs`).
        if let Some(read) = self.inline.as_ref().and_then(|r| {
            r.read(|conn| {
                first_row(
                    conn,
                    SELECT_CONSENT,
                    params![user_id.to_string(), client_id],
                    consent_from_lite_row,
                )
            })
        }) {
            return read;
        }
        let row = sqlx::query(SELECT_CONSENT)
            .bind(user_id.to_string())
            .bind(client_id)
            .fetch_optional(&self.reader)
            .await
            .map_err(classify)?;
        row.as_ref().map(consent_from_row).transpose()
    }

    #[tracing::instrument(name = "db.consents.consents_of_user", skip_all, fields(db.system = "sqlite"))]
    async fn consents_of_user(&self, user_id: Uuid) -> Result<Vec<Consent>> {
        let rows = sqlx::query(
            "SELECT user_id, client_id, scopes, granted_at FROM consents \
             WHERE user_id = ?1 ORDER BY granted_at DESC, client_id",
        )
        .bind(user_id.to_string())
        .fetch_all(&self.reader)
        .await
        .map_err(classify)?;
        rows.iter().map(consent_from_row).collect()
    }

    #[tracing::instrument(name = "db.consents.revoke_consent", skip_all, fields(db.system = "sqlite"))]
    async fn revoke_consent(&self, user_id: Uuid, client_id: &str) -> Result<bool> {
        let data = (user_id.to_string(), client_id.to_owned());
        self.write(data, |conn, (user_id, client_id)| {
            let deleted = execute(
                conn,
                "DELETE FROM consents WHERE user_id = ?1 AND client_id = ?2",
                params![user_id, client_id],
            )?;
            Ok(deleted > 0)
        })
        .await
    }

    #[tracing::instrument(name = "db.consents.withdraw_consent", skip_all, fields(db.system = "sqlite"))]
    async fn withdraw_consent(
        &self,
        user_id: Uuid,
        client_id: &str,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<WithdrawOutcome> {
        let data = Withdrawal {
            user_id: user_id.to_string(),
            client_id: client_id.to_owned(),
            at: micros(at),
            audit: audit.clone(),
        };
        self.write(data, withdraw_consent).await
    }
}

/// The inputs of [`ConsentRepo::withdraw_consent`], owned so the writer
/// thread can run it.
struct Withdrawal {
    user_id: String,
    client_id: String,
    at: i64,
    audit: AuditEvent,
}

/// On the writer thread, as one request: a failure after the first change
/// (the audit insert) makes the writer roll back the whole request (see
/// `writer/mod.rs`).
fn withdraw_consent(conn: &Connection, w: &Withdrawal) -> Result<WithdrawOutcome> {
    let user = first_row(
        conn,
        "SELECT 1 FROM users WHERE id = ?1",
        params![w.user_id],
        |_| Ok(()),
    )?;
    if user.is_none() {
        return Err(StorageError::NotFound { what: "user" });
    }
    let deleted = execute(
        conn,
        "DELETE FROM consents WHERE user_id = ?1 AND client_id = ?2",
        params![w.user_id, w.client_id],
    )?;
    let refresh_tokens_revoked = execute(
        conn,
        "UPDATE refresh_families SET revoked_at = ?1 \
         WHERE user_id = ?2 AND client_id = ?3 AND revoked_at IS NULL",
        params![w.at, w.user_id, w.client_id],
    )?;
    insert_audit(conn, &w.audit)?;
    Ok(WithdrawOutcome {
        consent_revoked: deleted > 0,
        refresh_tokens_revoked,
    })
}
