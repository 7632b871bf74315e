//! Initial access tokens for dynamic client registration on SQLite.

use async_trait::async_trait;
use rusqlite::params;
use time::OffsetDateTime;

use super::SqliteStore;
use super::row::micros;
use super::writer::execute;
use crate::error::Result;
use crate::records::RegistrationToken;
use crate::repo::RegistrationTokenRepo;
use crate::sql::classify;

#[async_trait]
impl RegistrationTokenRepo for SqliteStore {
    #[tracing::instrument(name = "db.registration_tokens.insert", skip_all, fields(db.system = "sqlite"))]
    async fn insert_registration_token(&self, t: &RegistrationToken) -> Result<()> {
        self.write(t.clone(), |conn, t| {
            execute(
                conn,
                "INSERT INTO registration_tokens (token_hash, created_at, expires_at) \
                 VALUES (?1, ?2, ?3)",
                params![t.token_hash, micros(t.created_at), micros(t.expires_at)],
            )?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(name = "db.registration_tokens.valid", skip_all, fields(db.system = "sqlite"))]
    async fn registration_token_valid(
        &self,
        token_hash: &[u8],
        now: OffsetDateTime,
    ) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM registration_tokens WHERE token_hash = ?1 AND expires_at > ?2",
        )
        .bind(token_hash)
        .bind(micros(now))
        .fetch_optional(&self.reader)
        .await
        .map_err(classify)?;
        Ok(found.is_some())
    }

    #[tracing::instrument(name = "db.registration_tokens.consume", skip_all, fields(db.system = "sqlite"))]
    async fn consume_registration_token(
        &self,
        token_hash: &[u8],
        now: OffsetDateTime,
    ) -> Result<bool> {
        self.write((token_hash.to_vec(), micros(now)), |conn, (hash, now)| {
            let deleted = execute(
                conn,
                "DELETE FROM registration_tokens WHERE token_hash = ?1 AND expires_at > ?2",
                params![hash, now],
            )?;
            Ok(deleted > 0)
        })
        .await
    }

    #[tracing::instrument(name = "db.registration_tokens.delete_expired", skip_all, fields(db.system = "sqlite"))]
    async fn delete_expired_registration_tokens(&self, now: OffsetDateTime) -> Result<u64> {
        self.write(micros(now), |conn, now| {
            execute(
                conn,
                "DELETE FROM registration_tokens WHERE expires_at <= ?1",
                params![now],
            )
        })
        .await
    }
}
