//! Second factors (authenticator app, recovery codes) on SQLite.

use async_trait::async_trait;
use rusqlite::params;
use sqlx::sqlite::SqliteRow;
use time::OffsetDateTime;
use uuid::Uuid;

use super::SqliteStore;
use super::row::{Columns, Reader, micros};
use super::writer::execute;
use crate::error::{Result, StorageError};
use crate::records::TotpFactor;
use crate::repo::SecondFactorRepo;
use crate::sql::classify;

fn totp_from_row(row: &SqliteRow) -> Result<TotpFactor> {
    let r = Reader::new(row, "user_totp");
    Ok(TotpFactor {
        user_id: r.uuid("user_id")?,
        secret_sealed: r.blob("secret_sealed")?,
        activated_at: r.opt_time("activated_at")?,
        last_used_step: r.opt_i64("last_used_step")?,
        created_at: r.time("created_at")?,
    })
}

#[async_trait]
impl SecondFactorRepo for SqliteStore {
    #[tracing::instrument(name = "db.second_factors.put_pending_totp", skip_all, fields(db.system = "sqlite"))]
    async fn put_pending_totp(&self, factor: &TotpFactor) -> Result<()> {
        let data = (
            factor.user_id.to_string(),
            factor.secret_sealed.clone(),
            micros(factor.created_at),
        );
        self.write(data, |conn, (user_id, sealed, at)| {
            // The upsert leaves an active TOTP as it is (0 rows changed).
            let changed = execute(
                conn,
                "INSERT INTO user_totp (user_id, secret_sealed, activated_at, last_used_step, \
                 created_at) VALUES (?1, ?2, NULL, NULL, ?3) \
                 ON CONFLICT (user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, \
                 created_at = excluded.created_at WHERE user_totp.activated_at IS NULL",
                params![user_id, sealed, at],
            )
            .map_err(|e| match e {
                StorageError::NotFound { .. } => StorageError::NotFound { what: "user" },
                e => e,
            })?;
            if changed == 0 {
                return Err(StorageError::AlreadyExists { what: "totp" });
            }
            Ok(())
        })
        .await
    }

    #[tracing::instrument(name = "db.second_factors.totp_of_user", skip_all, fields(db.system = "sqlite"))]
    async fn totp_of_user(&self, user_id: Uuid) -> Result<Option<TotpFactor>> {
        let row = sqlx::query(
            "SELECT user_id, secret_sealed, activated_at, last_used_step, created_at \
             FROM user_totp WHERE user_id = ?1",
        )
        .bind(user_id.to_string())
        .fetch_optional(&self.reader)
        .await
        .map_err(classify)?;
        row.as_ref().map(totp_from_row).transpose()
    }

    #[tracing::instrument(name = "db.second_factors.activate_totp", skip_all, fields(db.system = "sqlite"))]
    async fn activate_totp(&self, user_id: Uuid, step: i64, at: OffsetDateTime) -> Result<bool> {
        let data = (user_id.to_string(), step, micros(at));
        self.write(data, |conn, (user_id, step, at)| {
            let changed = execute(
                conn,
                "UPDATE user_totp SET activated_at = ?1, last_used_step = ?2 \
                 WHERE user_id = ?3 AND activated_at IS NULL",
                params![at, step, user_id],
            )?;
            Ok(changed > 0)
        })
        .await
    }

    #[tracing::instrument(name = "db.second_factors.use_totp_step", skip_all, fields(db.system = "sqlite"))]
    async fn use_totp_step(&self, user_id: Uuid, step: i64) -> Result<bool> {
        let data = (user_id.to_string(), step);
        self.write(data, |conn, (user_id, step)| {
            let changed = execute(
                conn,
                "UPDATE user_totp SET last_used_step = ?1 WHERE user_id = ?2 \
                 AND activated_at IS NOT NULL \
                 AND (last_used_step IS NULL OR last_used_step < ?1)",
                params![step, user_id],
            )?;
            Ok(changed > 0)
        })
        .await
    }

    #[tracing::instrument(name = "db.second_factors.delete_totp", skip_all, fields(db.system = "sqlite"))]
    async fn delete_totp(&self, user_id: Uuid) -> Result<bool> {
        self.write(user_id.to_string(), |conn, user_id| {
            execute(
                conn,
                "DELETE FROM recovery_codes WHERE user_id = ?1",
                params![user_id],
            )?;
            let deleted = execute(
                conn,
                "DELETE FROM user_totp WHERE user_id = ?1",
                params![user_id],
            )?;
            Ok(deleted > 0)
        })
        .await
    }

    #[tracing::instrument(name = "db.second_factors.replace_recovery_codes", skip_all, fields(db.system = "sqlite"))]
    async fn replace_recovery_codes(
        &self,
        user_id: Uuid,
        code_hashes: &[Vec<u8>],
        at: OffsetDateTime,
    ) -> Result<()> {
        let data = (user_id.to_string(), code_hashes.to_vec(), micros(at));
        self.write(data, |conn, (user_id, hashes, at)| {
            execute(
                conn,
                "DELETE FROM recovery_codes WHERE user_id = ?1",
                params![user_id],
            )?;
            for hash in hashes {
                execute(
                    conn,
                    "INSERT INTO recovery_codes (user_id, code_hash, created_at, used_at) \
                     VALUES (?1, ?2, ?3, NULL)",
                    params![user_id, hash, at],
                )?;
            }
            Ok(())
        })
        .await
    }

    #[tracing::instrument(name = "db.second_factors.consume_recovery_code", skip_all, fields(db.system = "sqlite"))]
    async fn consume_recovery_code(
        &self,
        user_id: Uuid,
        code_hash: &[u8],
        at: OffsetDateTime,
    ) -> Result<bool> {
        let data = (user_id.to_string(), code_hash.to_vec(), micros(at));
        self.write(data, |conn, (user_id, hash, at)| {
            let changed = execute(
                conn,
                "UPDATE recovery_codes SET used_at = ?1 \
                 WHERE user_id = ?2 AND code_hash = ?3 AND used_at IS NULL",
                params![at, user_id, hash],
            )?;
            Ok(changed > 0)
        })
        .await
    }

    #[tracing::instrument(name = "db.second_factors.recovery_codes_left", skip_all, fields(db.system = "sqlite"))]
    async fn recovery_codes_left(&self, user_id: Uuid) -> Result<u32> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM recovery_codes WHERE user_id = ?1 AND used_at IS NULL",
        )
        .bind(user_id.to_string())
        .fetch_one(&self.reader)
        .await
        .map_err(classify)?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }
}
