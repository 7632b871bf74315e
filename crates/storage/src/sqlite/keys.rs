//! Signing keys on SQLite.

use async_trait::async_trait;
use rusqlite::params;
use sqlx::sqlite::SqliteRow;
use time::OffsetDateTime;

use super::SqliteStore;
use super::row::{Columns, Reader, json, micros, opt_micros};
use super::writer::execute;
use crate::error::{Result, StorageError};
use crate::records::SigningKey;
use crate::repo::SigningKeyRepo;
use crate::sql::classify;

fn key_from_row(row: &SqliteRow) -> Result<SigningKey> {
    let r = Reader::new(row, "signing_keys");
    Ok(SigningKey {
        kid: r.text("kid")?,
        alg: r.text("alg")?,
        private_sealed: r.get("private_sealed")?,
        public_jwk: r.json("public_jwk")?,
        created_at: r.time("created_at")?,
        activates_at: r.time("activates_at")?,
        retires_at: r.opt_time("retires_at")?,
        expires_at: r.opt_time("expires_at")?,
    })
}

#[async_trait]
impl SigningKeyRepo for SqliteStore {
    #[tracing::instrument(name = "db.keys.insert_signing_key", skip_all, fields(db.system = "sqlite"))]
    async fn insert_signing_key(&self, k: &SigningKey) -> Result<()> {
        self.write(k.clone(), |conn, k| {
            execute(
                conn,
                "INSERT INTO signing_keys (kid, alg, private_sealed, public_jwk, created_at, \
                 activates_at, retires_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    k.kid,
                    k.alg,
                    k.private_sealed,
                    json(&k.public_jwk)?,
                    micros(k.created_at),
                    micros(k.activates_at),
                    opt_micros(k.retires_at),
                    opt_micros(k.expires_at),
                ],
            )?;
            Ok(())
        })
        .await
    }

    #[tracing::instrument(name = "db.keys.insert_first_signing_key", skip_all, fields(db.system = "sqlite"))]
    async fn insert_first_signing_key(&self, k: &SigningKey, now: OffsetDateTime) -> Result<bool> {
        // One statement on the single writer: the check and the insert
        // cannot interleave with another writer's.
        self.write((k.clone(), micros(now)), |conn, (k, now)| {
            let inserted = execute(
                conn,
                "INSERT INTO signing_keys (kid, alg, private_sealed, public_jwk, created_at, \
                 activates_at, retires_at, expires_at) \
                 SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE NOT EXISTS (SELECT 1 FROM signing_keys \
                 WHERE alg = ?2 AND (retires_at IS NULL OR retires_at > ?9))",
                params![
                    k.kid,
                    k.alg,
                    k.private_sealed,
                    json(&k.public_jwk)?,
                    micros(k.created_at),
                    micros(k.activates_at),
                    opt_micros(k.retires_at),
                    opt_micros(k.expires_at),
                    now,
                ],
            )?;
            Ok(inserted == 1)
        })
        .await
    }

    #[tracing::instrument(name = "db.keys.signing_keys", skip_all, fields(db.system = "sqlite"))]
    async fn signing_keys(&self, now: OffsetDateTime) -> Result<Vec<SigningKey>> {
        let rows = sqlx::query(
            "SELECT kid, alg, private_sealed, public_jwk, created_at, activates_at, retires_at, \
             expires_at FROM signing_keys WHERE expires_at IS NULL OR expires_at > ?1 \
             ORDER BY created_at, kid",
        )
        .bind(micros(now))
        .fetch_all(&self.reader)
        .await
        .map_err(classify)?;
        rows.iter().map(key_from_row).collect()
    }

    #[tracing::instrument(name = "db.keys.retire_signing_key", skip_all, fields(db.system = "sqlite"))]
    async fn retire_signing_key(
        &self,
        kid: &str,
        retires_at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<()> {
        let data = (micros(retires_at), micros(expires_at), kid.to_owned());
        self.write(data, |conn, (retires_at, expires_at, kid)| {
            let updated = execute(
                conn,
                "UPDATE signing_keys SET retires_at = ?1, expires_at = ?2 WHERE kid = ?3",
                params![retires_at, expires_at, kid],
            )?;
            if updated == 0 {
                return Err(StorageError::NotFound {
                    what: "signing_key",
                });
            }
            Ok(())
        })
        .await
    }
}
