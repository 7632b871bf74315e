//! Initial access tokens for dynamic client registration on PostgreSQL.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::PgStore;
use crate::error::Result;
use crate::records::RegistrationToken;
use crate::repo::RegistrationTokenRepo;
use crate::sql::classify;

#[async_trait]
impl RegistrationTokenRepo for PgStore {
    #[tracing::instrument(name = "db.registration_tokens.insert", skip_all, fields(db.system = "postgresql"))]
    async fn insert_registration_token(&self, t: &RegistrationToken) -> Result<()> {
        sqlx::query(
            "INSERT INTO registration_tokens (token_hash, created_at, expires_at) \
             VALUES ($1, $2, $3)",
        )
        .bind(t.token_hash.as_slice())
        .bind(t.created_at)
        .bind(t.expires_at)
        .execute(&self.pool)
        .await
        .map_err(classify)?;
        Ok(())
    }

    #[tracing::instrument(name = "db.registration_tokens.valid", skip_all, fields(db.system = "postgresql"))]
    async fn registration_token_valid(
        &self,
        token_hash: &[u8],
        now: OffsetDateTime,
    ) -> Result<bool> {
        let found: Option<i32> = sqlx::query_scalar(
            "SELECT 1 FROM registration_tokens WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(classify)?;
        Ok(found.is_some())
    }

    #[tracing::instrument(name = "db.registration_tokens.consume", skip_all, fields(db.system = "postgresql"))]
    async fn consume_registration_token(
        &self,
        token_hash: &[u8],
        now: OffsetDateTime,
    ) -> Result<bool> {
        let done = sqlx::query(
            "DELETE FROM registration_tokens WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(classify)?;
        Ok(done.rows_affected() > 0)
    }

    #[tracing::instrument(name = "db.registration_tokens.delete_expired", skip_all, fields(db.system = "postgresql"))]
    async fn delete_expired_registration_tokens(&self, now: OffsetDateTime) -> Result<u64> {
        let done = sqlx::query("DELETE FROM registration_tokens WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(classify)?;
        Ok(done.rows_affected())
    }
}
