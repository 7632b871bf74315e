//! Signing keys on PostgreSQL.

use async_trait::async_trait;
use sqlx::postgres::PgRow;
use time::OffsetDateTime;

use super::PgStore;
use super::row::{Reader, json};
use crate::error::{Result, StorageError};
use crate::records::SigningKey;
use crate::repo::SigningKeyRepo;
use crate::sql::classify;

fn key_from_row(row: &PgRow) -> Result<SigningKey> {
    let r = Reader::new(row, "signing_keys");
    Ok(SigningKey {
        kid: r.get("kid")?,
        alg: r.get("alg")?,
        private_sealed: r.get("private_sealed")?,
        public_jwk: r.json("public_jwk")?,
        created_at: r.get("created_at")?,
        activates_at: r.get("activates_at")?,
        retires_at: r.get("retires_at")?,
        expires_at: r.get("expires_at")?,
    })
}

#[async_trait]
impl SigningKeyRepo for PgStore {
    #[tracing::instrument(name = "db.keys.insert_signing_key", skip_all, fields(db.system = "postgresql"))]
    async fn insert_signing_key(&self, k: &SigningKey) -> Result<()> {
        sqlx::query(
            "INSERT INTO signing_keys (kid, alg, private_sealed, public_jwk, created_at, \
             activates_at, retires_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&k.kid)
        .bind(&k.alg)
        .bind(k.private_sealed.as_slice())
        .bind(json(&k.public_jwk)?)
        .bind(k.created_at)
        .bind(k.activates_at)
        .bind(k.retires_at)
        .bind(k.expires_at)
        .execute(&self.pool)
        .await
        .map_err(classify)?;
        Ok(())
    }

    #[tracing::instrument(name = "db.keys.insert_first_signing_key", skip_all, fields(db.system = "postgresql"))]
    async fn insert_first_signing_key(&self, k: &SigningKey, now: OffsetDateTime) -> Result<bool> {
        let mut tx = self.pool.begin().await.map_err(classify)?;
        // READ COMMITTED lets two "insert if none" statements both see none;
        // the transaction lock makes the second wait and then see the first.
        sqlx::query(
            "SELECT pg_advisory_xact_lock(hashtext('pratu.signing_keys:' || coalesce(current_schema(), '')))",
        )
        .execute(&mut *tx)
        .await
        .map_err(classify)?;
        let done = sqlx::query(
            "INSERT INTO signing_keys (kid, alg, private_sealed, public_jwk, created_at, \
             activates_at, retires_at, expires_at) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8 WHERE NOT EXISTS (SELECT 1 FROM signing_keys \
             WHERE alg = $2 AND (retires_at IS NULL OR retires_at > $9))",
        )
        .bind(&k.kid)
        .bind(&k.alg)
        .bind(k.private_sealed.as_slice())
        .bind(json(&k.public_jwk)?)
        .bind(k.created_at)
        .bind(k.activates_at)
        .bind(k.retires_at)
        .bind(k.expires_at)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(classify)?;
        tx.commit().await.map_err(classify)?;
        Ok(done.rows_affected() == 1)
    }

    #[tracing::instrument(name = "db.keys.signing_keys", skip_all, fields(db.system = "postgresql"))]
    async fn signing_keys(&self, now: OffsetDateTime) -> Result<Vec<SigningKey>> {
        let rows = sqlx::query(
            "SELECT kid, alg, private_sealed, public_jwk, created_at, activates_at, retires_at, \
             expires_at FROM signing_keys WHERE expires_at IS NULL OR expires_at > $1 \
             ORDER BY created_at, kid",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await
        .map_err(classify)?;
        rows.iter().map(key_from_row).collect()
    }

    #[tracing::instrument(name = "db.keys.retire_signing_key", skip_all, fields(db.system = "postgresql"))]
    async fn retire_signing_key(
        &self,
        kid: &str,
        retires_at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<()> {
        let done =
            sqlx::query("UPDATE signing_keys SET retires_at = $1, expires_at = $2 WHERE kid = $3")
                .bind(retires_at)
                .bind(expires_at)
                .bind(kid)
                .execute(&self.pool)
                .await
                .map_err(classify)?;
        if done.rows_affected() == 0 {
            return Err(StorageError::NotFound {
                what: "signing_key",
            });
        }
        Ok(())
    }
}
