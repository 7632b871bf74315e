//! Remembered consents on SQLite.

use async_trait::async_trait;
use rusqlite::params;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use super::SqliteStore;
use super::row::{Columns, LiteReader, Reader, json, micros};
use super::writer::{execute, first_row};
use crate::error::Result;
use crate::records::Consent;
use crate::repo::ConsentRepo;
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

const SELECT_CONSENT: &str = "SELECT user_id, client_id, scopes, granted_at FROM consents \
                              WHERE user_id = ?1 AND client_id = ?2";

#[async_trait]
impl ConsentRepo for SqliteStore {
    #[tracing::instrument(name = "db.consents.put_consent", skip_all, fields(db.system = "sqlite"))]
    async fn put_consent(&self, c: &Consent) -> Result<()> {
        self.write(c.clone(), |conn, c| {
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
}
