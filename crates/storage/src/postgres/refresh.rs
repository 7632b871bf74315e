//! Refresh-token families on PostgreSQL, one row each (migration 0004).
//! Rotation is the hot path of the token endpoint: one statement (one round
//! trip, the user read with it) that replaces the family's current digest
//! in place, a heap-only update; see
//! [`RefreshTokenRepo::rotate_refresh_token`] below.

use async_trait::async_trait;
use sqlx::postgres::PgRow;
use time::OffsetDateTime;
use uuid::Uuid;

use super::PgStore;
use super::row::{Reader, json};
use super::users::{user_columns, user_from_row};
use crate::error::Result;
use crate::records::{RefreshKey, RefreshToken, Rotation, Successor};
use crate::repo::RefreshTokenRepo;
use crate::sql::classify;

/// Every column of `refresh_families`, as a literal for `concat!`.
macro_rules! columns {
    () => {
        "family_id, token_hash, client_id, user_id, scopes, session_id, grant_info, issued_at, \
         expires_at, revoked_at"
    };
}

/// The family a key names: its id (`$1`, NULL for a legacy token) or the
/// legacy digest (`$2`) the migration kept, as an SQL expression.
macro_rules! family_of {
    () => {
        "COALESCE($1, (SELECT family_id FROM refresh_legacy_tokens WHERE token_hash = $2))"
    };
}

/// The family as its current token.
fn family_from_row(row: &PgRow) -> Result<RefreshToken> {
    let r = Reader::new(row, "refresh_families");
    Ok(RefreshToken {
        token_hash: r.get("token_hash")?,
        family_id: r.get("family_id")?,
        client_id: r.get("client_id")?,
        user_id: r.get("user_id")?,
        scopes: r.get("scopes")?,
        session_id: r.get("session_id")?,
        grant: r.json("grant_info")?,
        issued_at: r.get("issued_at")?,
        expires_at: r.get("expires_at")?,
        used_at: None,
        revoked_at: r.get("revoked_at")?,
    })
}

/// The key's bindings for [`family_of!`]: `$1` and `$2`.
fn key_params(key: RefreshKey<'_>) -> (Option<Uuid>, &[u8]) {
    match key {
        RefreshKey::Family {
            family_id,
            token_hash,
        } => (Some(family_id), token_hash),
        RefreshKey::Legacy { token_hash } => (None, token_hash),
    }
}

#[async_trait]
impl RefreshTokenRepo for PgStore {
    #[tracing::instrument(name = "db.refresh.insert_refresh_token", skip_all, fields(db.system = "postgresql"))]
    async fn insert_refresh_token(&self, t: &RefreshToken) -> Result<()> {
        sqlx::query(
            "INSERT INTO refresh_families (family_id, token_hash, client_id, user_id, scopes, \
             session_id, grant_info, issued_at, expires_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(t.family_id)
        .bind(t.token_hash.as_slice())
        .bind(&t.client_id)
        .bind(t.user_id)
        .bind(&t.scopes)
        .bind(&t.session_id)
        .bind(json(&t.grant)?)
        .bind(t.issued_at)
        .bind(t.expires_at)
        .bind(t.revoked_at)
        .execute(&self.pool)
        .await
        .map_err(classify)?;
        Ok(())
    }

    #[tracing::instrument(name = "db.refresh.refresh_token", skip_all, fields(db.system = "postgresql"))]
    async fn refresh_token(&self, key: RefreshKey<'_>) -> Result<Option<RefreshToken>> {
        let sql = concat!(
            "SELECT ",
            columns!(),
            " FROM refresh_families WHERE family_id = ",
            family_of!()
        );
        let (family_id, presented) = key_params(key);
        let row = sqlx::query(sql)
            .bind(family_id)
            .bind(presented)
            .fetch_optional(&self.pool)
            .await
            .map_err(classify)?;
        let family = row.as_ref().map(family_from_row).transpose()?;
        Ok(family.map(|f| f.seen_as(presented)))
    }

    /// A token that was spent or revoked reports `Reused` (and revokes its
    /// family) even when it has also expired: a replay is a replay. Only an
    /// unspent, unrevoked, expired token is `Unknown`.
    #[tracing::instrument(name = "db.refresh.rotate_refresh_token", skip_all, fields(db.system = "postgresql"))]
    async fn rotate_refresh_token(
        &self,
        key: RefreshKey<'_>,
        client_id: &str,
        next: &Successor,
        now: OffsetDateTime,
    ) -> Result<Rotation> {
        // One statement, one round trip: replace the family's digest if the
        // presented token is its current one, and return the family with
        // its user. The row lock of the UPDATE decides a race: the loser
        // waits, re-reads the row, and matches nothing. (`users` and
        // `refresh_families` share no column name, so the joined row reads
        // as both.)
        let (family_id, presented) = key_params(key);
        let sql = concat!(
            "WITH f AS (UPDATE refresh_families SET token_hash = $3, issued_at = $4, \
             expires_at = $5 WHERE family_id = ",
            family_of!(),
            " AND token_hash = $2 AND client_id = $6 AND revoked_at IS NULL AND expires_at > $7 \
             RETURNING ",
            columns!(),
            ") SELECT f.*, ",
            user_columns!(),
            " FROM f LEFT JOIN users ON users.id = f.user_id"
        );
        let current = sqlx::query(sql)
            .bind(family_id)
            .bind(presented)
            .bind(next.token_hash.as_slice())
            .bind(next.issued_at)
            .bind(next.expires_at)
            .bind(client_id)
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(classify)?;
        if let Some(row) = current {
            let user = match Reader::new(&row, "users").get::<Option<Uuid>>("id")? {
                Some(_) => Some(user_from_row(&row)?),
                None => None,
            };
            return Ok(Rotation::Rotated {
                current: family_from_row(&row)?,
                user,
            });
        }
        // Not current. A separate statement, so it sees what a racing
        // rotation committed while the one above waited for its lock: if the
        // token was spent or revoked, it is a replay, and the whole family
        // (the racing winner's successor included) is revoked.
        let seen = sqlx::query(concat!(
            "WITH seen AS (SELECT family_id, token_hash <> $2 OR revoked_at IS NOT NULL \
             AS spent FROM refresh_families WHERE family_id = ",
            family_of!(),
            " AND client_id = $3), \
             revoked AS (UPDATE refresh_families SET revoked_at = $4 WHERE family_id = \
             (SELECT family_id FROM seen WHERE spent) AND revoked_at IS NULL) \
             SELECT family_id, spent FROM seen"
        ))
        .bind(family_id)
        .bind(presented)
        .bind(client_id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(classify)?;
        let Some(row) = seen else {
            return Ok(Rotation::Unknown);
        };
        let r = Reader::new(&row, "refresh_families");
        if !r.get::<bool>("spent")? {
            // Expired unspent.
            return Ok(Rotation::Unknown);
        }
        Ok(Rotation::Reused {
            family_id: r.get("family_id")?,
        })
    }

    /// Counts the families this call revoked (those not revoked before).
    #[tracing::instrument(name = "db.refresh.revoke_refresh_family", skip_all, fields(db.system = "postgresql"))]
    async fn revoke_refresh_family(&self, family_id: Uuid, at: OffsetDateTime) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE refresh_families SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(family_id)
        .execute(&self.pool)
        .await
        .map_err(classify)?;
        Ok(done.rows_affected())
    }

    #[tracing::instrument(name = "db.refresh.revoke_refresh_by_session", skip_all, fields(db.system = "postgresql"))]
    async fn revoke_refresh_by_session(&self, session_id: &str, at: OffsetDateTime) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE refresh_families SET revoked_at = $1 WHERE session_id = $2 AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(session_id)
        .execute(&self.pool)
        .await
        .map_err(classify)?;
        Ok(done.rows_affected())
    }

    #[tracing::instrument(name = "db.refresh.revoke_refresh_by_user", skip_all, fields(db.system = "postgresql"))]
    async fn revoke_refresh_by_user(&self, user_id: Uuid, at: OffsetDateTime) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE refresh_families SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(user_id)
        .execute(&self.pool)
        .await
        .map_err(classify)?;
        Ok(done.rows_affected())
    }

    #[tracing::instrument(name = "db.refresh.delete_expired_refresh_tokens", skip_all, fields(db.system = "postgresql"))]
    async fn delete_expired_refresh_tokens(&self, now: OffsetDateTime) -> Result<u64> {
        let done = sqlx::query("DELETE FROM refresh_families WHERE expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(classify)?;
        Ok(done.rows_affected())
    }
}
