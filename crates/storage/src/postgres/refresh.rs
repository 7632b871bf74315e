//! Refresh-token families on PostgreSQL. Rotation is the hot path of the token
//! endpoint: one statement (one round trip, the user read with it), see
//! [`RefreshTokenRepo::rotate_refresh_token`] below.

use async_trait::async_trait;
use sqlx::postgres::PgRow;
use time::OffsetDateTime;
use uuid::Uuid;

use super::PgStore;
use super::row::{Reader, json};
use super::users::{user_columns, user_from_row};
use crate::error::Result;
use crate::records::{RefreshToken, Rotation, Successor};
use crate::repo::RefreshTokenRepo;
use crate::sql::classify;

/// Every column of `refresh_tokens`, as a literal for `concat!`.
macro_rules! columns {
    () => {
        "token_hash, family_id, client_id, user_id, scopes, session_id, grant_info, issued_at, \
         expires_at, used_at, revoked_at"
    };
}

fn token_from_row(row: &PgRow) -> Result<RefreshToken> {
    let r = Reader::new(row, "refresh_tokens");
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
        used_at: r.get("used_at")?,
        revoked_at: r.get("revoked_at")?,
    })
}

async fn insert<'c, E>(conn: E, t: &RefreshToken) -> Result<()>
where
    E: sqlx::Executor<'c, Database = sqlx::Postgres>,
{
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, family_id, client_id, user_id, scopes, \
         session_id, grant_info, issued_at, expires_at, used_at, revoked_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(t.token_hash.as_slice())
    .bind(t.family_id)
    .bind(&t.client_id)
    .bind(t.user_id)
    .bind(&t.scopes)
    .bind(&t.session_id)
    .bind(json(&t.grant)?)
    .bind(t.issued_at)
    .bind(t.expires_at)
    .bind(t.used_at)
    .bind(t.revoked_at)
    .execute(conn)
    .await
    .map_err(classify)?;
    Ok(())
}

#[async_trait]
impl RefreshTokenRepo for PgStore {
    #[tracing::instrument(name = "db.refresh.insert_refresh_token", skip_all, fields(db.system = "postgresql"))]
    async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<()> {
        insert(&self.pool, token).await
    }

    #[tracing::instrument(name = "db.refresh.refresh_token", skip_all, fields(db.system = "postgresql"))]
    async fn refresh_token(&self, token_hash: &[u8]) -> Result<Option<RefreshToken>> {
        let sql = concat!(
            "SELECT ",
            columns!(),
            " FROM refresh_tokens WHERE token_hash = $1"
        );
        let row = sqlx::query(sql)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(classify)?;
        row.as_ref().map(token_from_row).transpose()
    }

    /// A token that was used or revoked reports `Reused` (and revokes its
    /// family) even when it has also expired: a replay is a replay. Only an
    /// unused, unrevoked, expired token is `Unknown`.
    #[tracing::instrument(name = "db.refresh.rotate_refresh_token", skip_all, fields(db.system = "postgresql"))]
    async fn rotate_refresh_token(
        &self,
        presented: &[u8],
        client_id: &str,
        next: &Successor,
        now: OffsetDateTime,
    ) -> Result<Rotation> {
        // One statement, one round trip: mark the presented token used if it
        // is current, insert its successor (a copy of it under the new hash)
        // only then, and return it with its user. The row lock of the UPDATE
        // decides a race: the loser waits, re-reads the row, and matches
        // nothing. Data-modifying CTEs always run to completion, and the
        // statement as a whole is atomic. (`users` and `refresh_tokens` share
        // no column name, so the joined row reads as both.)
        let sql = concat!(
            "WITH old AS (UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 \
             AND client_id = $3 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1 \
             RETURNING ",
            columns!(),
            "), new AS (INSERT INTO refresh_tokens (token_hash, family_id, client_id, user_id, \
             scopes, session_id, grant_info, issued_at, expires_at) \
             SELECT $4, family_id, client_id, user_id, scopes, session_id, grant_info, $5, $6 \
             FROM old) SELECT old.*, ",
            user_columns!(),
            " FROM old LEFT JOIN users ON users.id = old.user_id"
        );
        let current = sqlx::query(sql)
            .bind(now)
            .bind(presented)
            .bind(client_id)
            .bind(next.token_hash.as_slice())
            .bind(next.issued_at)
            .bind(next.expires_at)
            .fetch_optional(&self.pool)
            .await
            .map_err(classify)?;
        if let Some(row) = current {
            let user = match Reader::new(&row, "users").get::<Option<Uuid>>("id")? {
                Some(_) => Some(user_from_row(&row)?),
                None => None,
            };
            return Ok(Rotation::Rotated {
                old: token_from_row(&row)?,
                user,
            });
        }
        // Not current. A separate statement, so it sees what a racing
        // rotation committed while the one above waited for its lock: if the
        // token was used or revoked, it is a replay, and the whole family
        // (the racing winner's successor included) is revoked.
        let seen = sqlx::query(
            "WITH seen AS (SELECT family_id, used_at IS NOT NULL OR revoked_at IS NOT NULL \
             AS spent FROM refresh_tokens WHERE token_hash = $2 AND client_id = $3), \
             revoked AS (UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = \
             (SELECT family_id FROM seen WHERE spent) AND revoked_at IS NULL) \
             SELECT family_id, spent FROM seen",
        )
        .bind(now)
        .bind(presented)
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(classify)?;
        let Some(row) = seen else {
            return Ok(Rotation::Unknown);
        };
        let r = Reader::new(&row, "refresh_tokens");
        if !r.get::<bool>("spent")? {
            // Expired unused.
            return Ok(Rotation::Unknown);
        }
        Ok(Rotation::Reused {
            family_id: r.get("family_id")?,
        })
    }

    /// Counts the tokens this call revoked (those not revoked before).
    #[tracing::instrument(name = "db.refresh.revoke_refresh_family", skip_all, fields(db.system = "postgresql"))]
    async fn revoke_refresh_family(&self, family_id: Uuid, at: OffsetDateTime) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL",
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
            "UPDATE refresh_tokens SET revoked_at = $1 WHERE session_id = $2 AND revoked_at IS NULL",
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
            "UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
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
        let done = sqlx::query("DELETE FROM refresh_tokens WHERE expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(classify)?;
        Ok(done.rows_affected())
    }
}
