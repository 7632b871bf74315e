//! Second factors (authenticator app, recovery codes) on PostgreSQL.

use async_trait::async_trait;
use sqlx::postgres::PgRow;
use time::OffsetDateTime;
use uuid::Uuid;

use super::PgStore;
use super::row::Reader;
use crate::error::{Result, StorageError};
use crate::records::TotpFactor;
use crate::repo::SecondFactorRepo;
use crate::sql::classify;

fn totp_from_row(row: &PgRow) -> Result<TotpFactor> {
    let r = Reader::new(row, "user_totp");
    Ok(TotpFactor {
        user_id: r.get("user_id")?,
        secret_sealed: r.get("secret_sealed")?,
        activated_at: r.get("activated_at")?,
        last_used_step: r.get("last_used_step")?,
        created_at: r.get("created_at")?,
    })
}

#[async_trait]
impl SecondFactorRepo for PgStore {
    #[tracing::instrument(name = "db.second_factors.put_pending_totp", skip_all, fields(db.system = "postgresql"))]
    async fn put_pending_totp(&self, factor: &TotpFactor) -> Result<()> {
        // The upsert leaves an active TOTP as it is (0 rows changed).
        let done = sqlx::query(
            "INSERT INTO user_totp (user_id, secret_sealed, activated_at, last_used_step, \
             created_at) VALUES ($1, $2, NULL, NULL, $3) \
             ON CONFLICT (user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, \
             created_at = excluded.created_at WHERE user_totp.activated_at IS NULL",
        )
        .bind(factor.user_id)
        .bind(factor.secret_sealed.as_slice())
        .bind(factor.created_at)
        .execute(&self.pool)
        .await
        .map_err(|e| match classify(e) {
            StorageError::NotFound { .. } => StorageError::NotFound { what: "user" },
            e => e,
        })?;
        if done.rows_affected() == 0 {
            return Err(StorageError::AlreadyExists { what: "totp" });
        }
        Ok(())
    }

    #[tracing::instrument(name = "db.second_factors.totp_of_user", skip_all, fields(db.system = "postgresql"))]
    async fn totp_of_user(&self, user_id: Uuid) -> Result<Option<TotpFactor>> {
        let row = sqlx::query(
            "SELECT user_id, secret_sealed, activated_at, last_used_step, created_at \
             FROM user_totp WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(classify)?;
        row.as_ref().map(totp_from_row).transpose()
    }

    #[tracing::instrument(name = "db.second_factors.activate_totp", skip_all, fields(db.system = "postgresql"))]
    async fn activate_totp(&self, user_id: Uuid, step: i64, at: OffsetDateTime) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE user_totp SET activated_at = $1, last_used_step = $2 \
             WHERE user_id = $3 AND activated_at IS NULL",
        )
        .bind(at)
        .bind(step)
        .bind(user_id)
        .execute(&self.pool)
        .await
        .map_err(classify)?;
        Ok(done.rows_affected() > 0)
    }

    #[tracing::instrument(name = "db.second_factors.use_totp_step", skip_all, fields(db.system = "postgresql"))]
    async fn use_totp_step(&self, user_id: Uuid, step: i64) -> Result<bool> {
        // One statement: the row lock makes a second writer re-check the
        // condition against the first one's step (READ COMMITTED).
        let done = sqlx::query(
            "UPDATE user_totp SET last_used_step = $1 WHERE user_id = $2 \
             AND activated_at IS NOT NULL \
             AND (last_used_step IS NULL OR last_used_step < $1)",
        )
        .bind(step)
        .bind(user_id)
        .execute(&self.pool)
        .await
        .map_err(classify)?;
        Ok(done.rows_affected() > 0)
    }

    #[tracing::instrument(name = "db.second_factors.delete_totp", skip_all, fields(db.system = "postgresql"))]
    async fn delete_totp(&self, user_id: Uuid) -> Result<bool> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
        let deleted = sqlx::query("DELETE FROM user_totp WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
        tx.commit().await.map_err(classify)?;
        Ok(deleted.rows_affected() > 0)
    }

    #[tracing::instrument(name = "db.second_factors.replace_recovery_codes", skip_all, fields(db.system = "postgresql"))]
    async fn replace_recovery_codes(
        &self,
        user_id: Uuid,
        code_hashes: &[Vec<u8>],
        at: OffsetDateTime,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
        sqlx::query(
            "INSERT INTO recovery_codes (user_id, code_hash, created_at, used_at) \
             SELECT $1, h, $3, NULL FROM unnest($2::bytea[]) AS h",
        )
        .bind(user_id)
        .bind(code_hashes)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(classify)?;
        tx.commit().await.map_err(classify)
    }

    #[tracing::instrument(name = "db.second_factors.consume_recovery_code", skip_all, fields(db.system = "postgresql"))]
    async fn consume_recovery_code(
        &self,
        user_id: Uuid,
        code_hash: &[u8],
        at: OffsetDateTime,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE recovery_codes SET used_at = $1 \
             WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
        )
        .bind(at)
        .bind(user_id)
        .bind(code_hash)
        .execute(&self.pool)
        .await
        .map_err(classify)?;
        Ok(done.rows_affected() > 0)
    }

    #[tracing::instrument(name = "db.second_factors.recovery_codes_left", skip_all, fields(db.system = "postgresql"))]
    async fn recovery_codes_left(&self, user_id: Uuid) -> Result<u32> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await
        .map_err(classify)?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }
}
