//! Refresh-token families on SQLite. Rotation is the hot path of the token
//! endpoint: normally three statements on the writer (spend, insert the
//! successor, read the user), group-committed with the writes queued
//! beside it (see `writer.rs`).

use async_trait::async_trait;
use rusqlite::{Connection, params};
use sqlx::sqlite::SqliteRow;
use time::OffsetDateTime;
use uuid::Uuid;

use super::SqliteStore;
use super::row::{Columns, LiteReader, Reader, json, micros, opt_micros};
use super::users::user_by_id_on;
use super::writer::{execute, first_row};
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

/// One mapper for both drivers' rows.
fn token_from(r: &impl Columns) -> Result<RefreshToken> {
    Ok(RefreshToken {
        token_hash: r.blob("token_hash")?,
        family_id: r.uuid("family_id")?,
        client_id: r.text("client_id")?,
        user_id: r.opt_uuid("user_id")?,
        scopes: r.json("scopes")?,
        session_id: r.opt_text("session_id")?,
        grant: r.json("grant_info")?,
        issued_at: r.time("issued_at")?,
        expires_at: r.time("expires_at")?,
        used_at: r.opt_time("used_at")?,
        revoked_at: r.opt_time("revoked_at")?,
    })
}

fn token_from_row(row: &SqliteRow) -> Result<RefreshToken> {
    token_from(&Reader::new(row, "refresh_tokens"))
}

/// [`token_from_row`] for the writer thread's rows.
fn token_from_lite_row(row: &rusqlite::Row<'_>) -> Result<RefreshToken> {
    token_from(&LiteReader::new(row, "refresh_tokens"))
}

fn insert(conn: &Connection, t: &RefreshToken) -> Result<()> {
    execute(
        conn,
        "INSERT INTO refresh_tokens (token_hash, family_id, client_id, user_id, scopes, \
         session_id, grant_info, issued_at, expires_at, used_at, revoked_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            t.token_hash,
            t.family_id.to_string(),
            t.client_id,
            t.user_id.map(|u| u.to_string()),
            json(&t.scopes)?,
            t.session_id,
            json(&t.grant)?,
            micros(t.issued_at),
            micros(t.expires_at),
            opt_micros(t.used_at),
            opt_micros(t.revoked_at),
        ],
    )?;
    Ok(())
}

impl SqliteStore {
    /// Revokes the tokens of one family, session or user (`column = ?2`).
    async fn revoke_where(
        &self,
        sql: &'static str,
        key: String,
        at: OffsetDateTime,
    ) -> Result<u64> {
        self.write((key, micros(at)), move |conn, (key, at)| {
            execute(conn, sql, params![at, key])
        })
        .await
    }
}

/// A rotation's inputs, owned so the writer thread can run it.
struct Rotate {
    presented: Vec<u8>,
    client_id: String,
    next: Successor,
    now: i64,
}

/// See [`RefreshTokenRepo::rotate_refresh_token`]. On the writer thread,
/// whose connection has the pages in cache (an inline reader's cache is
/// dropped by every commit): the token is read by the statement that spends
/// it, and its user in the same job. If the insert fails, the writer rolls
/// back the update with it.
fn rotate(conn: &Connection, r: &Rotate) -> Result<Rotation> {
    let sql = concat!(
        "UPDATE refresh_tokens SET used_at = ?1 WHERE token_hash = ?2 AND client_id = ?3 \
         AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?1 RETURNING ",
        columns!()
    );
    let spent = first_row(
        conn,
        sql,
        params![r.now, r.presented, r.client_id],
        token_from_lite_row,
    )?;
    if let Some(old) = spent {
        insert(conn, &r.next.of(&old))?;
        let user = match old.user_id {
            Some(id) => user_by_id_on(conn, id)?,
            None => None,
        };
        return Ok(Rotation::Rotated { old, user });
    }
    let seen = first_row(
        conn,
        "SELECT family_id, used_at IS NOT NULL OR revoked_at IS NOT NULL AS spent \
         FROM refresh_tokens WHERE token_hash = ?1 AND client_id = ?2",
        params![r.presented, r.client_id],
        |row| {
            let r = LiteReader::new(row, "refresh_tokens");
            Ok((r.uuid("family_id")?, r.bool("spent")?))
        },
    )?;
    let Some((family_id, true)) = seen else {
        // Never issued (to this client), or expired unused.
        return Ok(Rotation::Unknown);
    };
    execute(
        conn,
        "UPDATE refresh_tokens SET revoked_at = ?1 WHERE family_id = ?2 AND revoked_at IS NULL",
        params![r.now, family_id.to_string()],
    )?;
    Ok(Rotation::Reused { family_id })
}

#[async_trait]
impl RefreshTokenRepo for SqliteStore {
    #[tracing::instrument(name = "db.refresh.insert_refresh_token", skip_all, fields(db.system = "sqlite"))]
    async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<()> {
        self.write(token.clone(), insert).await
    }

    #[tracing::instrument(name = "db.refresh.refresh_token", skip_all, fields(db.system = "sqlite"))]
    async fn refresh_token(&self, token_hash: &[u8]) -> Result<Option<RefreshToken>> {
        let sql = concat!(
            "SELECT ",
            columns!(),
            " FROM refresh_tokens WHERE token_hash = ?1"
        );
        if let Some(read) = self.inline.as_ref().and_then(|r| {
            r.read(|conn| first_row(conn, sql, params![token_hash], token_from_lite_row))
        }) {
            return read;
        }
        let row = sqlx::query(sql)
            .bind(token_hash)
            .fetch_optional(&self.reader)
            .await
            .map_err(classify)?;
        row.as_ref().map(token_from_row).transpose()
    }

    /// A token that was used or revoked reports `Reused` (and revokes its
    /// family) even when it has also expired: a replay is a replay. Only an
    /// unused, unrevoked, expired token is `Unknown`.
    #[tracing::instrument(name = "db.refresh.rotate_refresh_token", skip_all, fields(db.system = "sqlite"))]
    async fn rotate_refresh_token(
        &self,
        presented: &[u8],
        client_id: &str,
        next: &Successor,
        now: OffsetDateTime,
    ) -> Result<Rotation> {
        let rotation = Rotate {
            presented: presented.to_vec(),
            client_id: client_id.to_owned(),
            next: next.clone(),
            now: micros(now),
        };
        self.write(rotation, rotate).await
    }

    /// Counts the tokens this call revoked (those not revoked before).
    #[tracing::instrument(name = "db.refresh.revoke_refresh_family", skip_all, fields(db.system = "sqlite"))]
    async fn revoke_refresh_family(&self, family_id: Uuid, at: OffsetDateTime) -> Result<u64> {
        self.revoke_where(
            "UPDATE refresh_tokens SET revoked_at = ?1 WHERE family_id = ?2 AND revoked_at IS NULL",
            family_id.to_string(),
            at,
        )
        .await
    }

    #[tracing::instrument(name = "db.refresh.revoke_refresh_by_session", skip_all, fields(db.system = "sqlite"))]
    async fn revoke_refresh_by_session(&self, session_id: &str, at: OffsetDateTime) -> Result<u64> {
        self.revoke_where(
            "UPDATE refresh_tokens SET revoked_at = ?1 WHERE session_id = ?2 AND revoked_at IS NULL",
            session_id.to_owned(),
            at,
        )
        .await
    }

    #[tracing::instrument(name = "db.refresh.revoke_refresh_by_user", skip_all, fields(db.system = "sqlite"))]
    async fn revoke_refresh_by_user(&self, user_id: Uuid, at: OffsetDateTime) -> Result<u64> {
        self.revoke_where(
            "UPDATE refresh_tokens SET revoked_at = ?1 WHERE user_id = ?2 AND revoked_at IS NULL",
            user_id.to_string(),
            at,
        )
        .await
    }

    #[tracing::instrument(name = "db.refresh.delete_expired_refresh_tokens", skip_all, fields(db.system = "sqlite"))]
    async fn delete_expired_refresh_tokens(&self, now: OffsetDateTime) -> Result<u64> {
        self.write(micros(now), |conn, now| {
            execute(
                conn,
                "DELETE FROM refresh_tokens WHERE expires_at < ?1",
                params![now],
            )
        })
        .await
    }
}
