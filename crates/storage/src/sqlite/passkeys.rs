//! Passkeys of accounts on SQLite.

use async_trait::async_trait;
use rusqlite::params;
use sqlx::sqlite::SqliteRow;
use time::OffsetDateTime;
use uuid::Uuid;

use super::SqliteStore;
use super::row::{Columns, Reader, micros, opt_micros};
use super::writer::execute;
use crate::error::{Result, StorageError};
use crate::records::Passkey;
use crate::repo::PasskeyRepo;
use crate::sql::classify;

fn passkey_from_row(row: &SqliteRow) -> Result<Passkey> {
    let r = Reader::new(row, "passkeys");
    Ok(Passkey {
        credential_id: r.blob("credential_id")?,
        user_id: r.uuid("user_id")?,
        name: r.text("name")?,
        credential: r.text("credential")?,
        created_at: r.time("created_at")?,
        last_used_at: r.opt_time("last_used_at")?,
    })
}

const COLUMNS: &str = "credential_id, user_id, name, credential, created_at, last_used_at";

#[async_trait]
impl PasskeyRepo for SqliteStore {
    #[tracing::instrument(name = "db.passkeys.add", skip_all, fields(db.system = "sqlite"))]
    async fn add_passkey(&self, p: &Passkey) -> Result<()> {
        self.write(p.clone(), |conn, p| {
            execute(
                conn,
                "INSERT INTO passkeys (credential_id, user_id, name, credential, created_at, \
                 last_used_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    p.credential_id,
                    p.user_id.to_string(),
                    p.name,
                    p.credential,
                    micros(p.created_at),
                    opt_micros(p.last_used_at)
                ],
            )?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(name = "db.passkeys.of_user", skip_all, fields(db.system = "sqlite"))]
    async fn passkeys_of_user(&self, user_id: Uuid) -> Result<Vec<Passkey>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM passkeys WHERE user_id = ?1 \
             ORDER BY created_at, credential_id"
        ))
        .bind(user_id.to_string())
        .fetch_all(&self.reader)
        .await
        .map_err(classify)?;
        rows.iter().map(passkey_from_row).collect()
    }

    #[tracing::instrument(name = "db.passkeys.by_credential_id", skip_all, fields(db.system = "sqlite"))]
    async fn passkey_by_credential_id(&self, credential_id: &[u8]) -> Result<Option<Passkey>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM passkeys WHERE credential_id = ?1"
        ))
        .bind(credential_id)
        .fetch_optional(&self.reader)
        .await
        .map_err(classify)?;
        row.as_ref().map(passkey_from_row).transpose()
    }

    #[tracing::instrument(name = "db.passkeys.record_use", skip_all, fields(db.system = "sqlite"))]
    async fn record_passkey_use(
        &self,
        credential_id: &[u8],
        credential: &str,
        at: OffsetDateTime,
    ) -> Result<()> {
        let data = (credential_id.to_vec(), credential.to_owned(), micros(at));
        self.write(data, |conn, (id, credential, at)| {
            let updated = execute(
                conn,
                "UPDATE passkeys SET credential = ?1, last_used_at = ?2 WHERE credential_id = ?3",
                params![credential, at, id],
            )?;
            if updated == 0 {
                return Err(StorageError::NotFound { what: "passkey" });
            }
            Ok(())
        })
        .await
    }

    #[tracing::instrument(name = "db.passkeys.remove", skip_all, fields(db.system = "sqlite"))]
    async fn remove_passkey(&self, user_id: Uuid, credential_id: &[u8]) -> Result<bool> {
        let data = (user_id.to_string(), credential_id.to_vec());
        self.write(data, |conn, (user_id, id)| {
            let deleted = execute(
                conn,
                "DELETE FROM passkeys WHERE user_id = ?1 AND credential_id = ?2",
                params![user_id, id],
            )?;
            Ok(deleted > 0)
        })
        .await
    }
}
