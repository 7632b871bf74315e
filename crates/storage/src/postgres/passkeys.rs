//! Passkeys of accounts on PostgreSQL.

use async_trait::async_trait;
use sqlx::postgres::PgRow;
use time::OffsetDateTime;
use uuid::Uuid;

use super::PgStore;
use super::row::Reader;
use crate::error::{Result, StorageError};
use crate::records::Passkey;
use crate::repo::PasskeyRepo;
use crate::sql::classify;

fn passkey_from_row(row: &PgRow) -> Result<Passkey> {
    let r = Reader::new(row, "passkeys");
    Ok(Passkey {
        credential_id: r.get("credential_id")?,
        user_id: r.get("user_id")?,
        name: r.get("name")?,
        credential: r.get("credential")?,
        created_at: r.get("created_at")?,
        last_used_at: r.get("last_used_at")?,
    })
}

const COLUMNS: &str = "credential_id, user_id, name, credential, created_at, last_used_at";

#[async_trait]
impl PasskeyRepo for PgStore {
    #[tracing::instrument(name = "db.passkeys.add", skip_all, fields(db.system = "postgresql"))]
    async fn add_passkey(&self, p: &Passkey) -> Result<()> {
        sqlx::query(
            "INSERT INTO passkeys (credential_id, user_id, name, credential, created_at, \
             last_used_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(p.credential_id.as_slice())
        .bind(p.user_id)
        .bind(&p.name)
        .bind(&p.credential)
        .bind(p.created_at)
        .bind(p.last_used_at)
        .execute(&self.pool)
        .await
        .map_err(classify)?;
        Ok(())
    }

    #[tracing::instrument(name = "db.passkeys.of_user", skip_all, fields(db.system = "postgresql"))]
    async fn passkeys_of_user(&self, user_id: Uuid) -> Result<Vec<Passkey>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM passkeys WHERE user_id = $1 \
             ORDER BY created_at, credential_id"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(classify)?;
        rows.iter().map(passkey_from_row).collect()
    }

    #[tracing::instrument(name = "db.passkeys.by_credential_id", skip_all, fields(db.system = "postgresql"))]
    async fn passkey_by_credential_id(&self, credential_id: &[u8]) -> Result<Option<Passkey>> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM passkeys WHERE credential_id = $1"
        ))
        .bind(credential_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(classify)?;
        row.as_ref().map(passkey_from_row).transpose()
    }

    #[tracing::instrument(name = "db.passkeys.record_use", skip_all, fields(db.system = "postgresql"))]
    async fn record_passkey_use(
        &self,
        credential_id: &[u8],
        credential: &str,
        at: OffsetDateTime,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE passkeys SET credential = $1, last_used_at = $2 WHERE credential_id = $3",
        )
        .bind(credential)
        .bind(at)
        .bind(credential_id)
        .execute(&self.pool)
        .await
        .map_err(classify)?;
        if done.rows_affected() == 0 {
            return Err(StorageError::NotFound { what: "passkey" });
        }
        Ok(())
    }

    #[tracing::instrument(name = "db.passkeys.remove", skip_all, fields(db.system = "postgresql"))]
    async fn remove_passkey(&self, user_id: Uuid, credential_id: &[u8]) -> Result<bool> {
        let done = sqlx::query("DELETE FROM passkeys WHERE user_id = $1 AND credential_id = $2")
            .bind(user_id)
            .bind(credential_id)
            .execute(&self.pool)
            .await
            .map_err(classify)?;
        Ok(done.rows_affected() > 0)
    }
}
