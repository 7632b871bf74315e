//! Refresh-token families on SQLite, one row each (migration 0004).
//! Rotation is the hot path of the token endpoint: normally one statement
//! on the writer (replace the family's current digest) and the user read,
//! group-committed with the writes queued beside it (see `writer.rs`).

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

/// The family a key names: its id (`?1`, NULL for a legacy token) or the
/// legacy digest (`?2`) the migration kept, as an SQL expression.
macro_rules! family_of {
    () => {
        "COALESCE(?1, (SELECT family_id FROM refresh_legacy_tokens WHERE token_hash = ?2))"
    };
}

/// One mapper for both drivers' rows: the family as its current token.
fn family_from(r: &impl Columns) -> Result<RefreshToken> {
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
        used_at: None,
        revoked_at: r.opt_time("revoked_at")?,
    })
}

fn family_from_row(row: &SqliteRow) -> Result<RefreshToken> {
    family_from(&Reader::new(row, "refresh_families"))
}

/// [`family_from_row`] for the writer thread's and inline readers' rows.
fn family_from_lite_row(row: &rusqlite::Row<'_>) -> Result<RefreshToken> {
    family_from(&LiteReader::new(row, "refresh_families"))
}

/// The key's bindings for [`family_of!`]: `?1` and `?2`.
fn key_params(key: RefreshKey<'_>) -> (Option<String>, Vec<u8>) {
    match key {
        RefreshKey::Family {
            family_id,
            token_hash,
        } => (Some(family_id.to_string()), token_hash.to_vec()),
        RefreshKey::Legacy { token_hash } => (None, token_hash.to_vec()),
    }
}

fn insert(conn: &Connection, t: &RefreshToken) -> Result<()> {
    execute(
        conn,
        "INSERT INTO refresh_families (family_id, token_hash, client_id, user_id, scopes, \
         session_id, grant_info, issued_at, expires_at, revoked_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            t.family_id.to_string(),
            t.token_hash,
            t.client_id,
            t.user_id.map(|u| u.to_string()),
            json(&t.scopes)?,
            t.session_id,
            json(&t.grant)?,
            micros(t.issued_at),
            micros(t.expires_at),
            opt_micros(t.revoked_at),
        ],
    )?;
    Ok(())
}

impl SqliteStore {
    /// Revokes the live families of one family id, session or user
    /// (`column = ?2`).
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
    family_id: Option<String>,
    presented: Vec<u8>,
    client_id: String,
    next: Successor,
    now: i64,
}

/// See [`RefreshTokenRepo::rotate_refresh_token`]. On the writer thread,
/// whose connection has the pages in cache (an inline reader's cache is
/// dropped by every commit): the family is read by the statement that
/// rotates it, and its user in the same job.
fn rotate(conn: &Connection, r: &Rotate) -> Result<Rotation> {
    let sql = concat!(
        "UPDATE refresh_families SET token_hash = ?3, issued_at = ?4, expires_at = ?5 \
         WHERE family_id = ",
        family_of!(),
        " AND token_hash = ?2 AND client_id = ?6 AND revoked_at IS NULL AND expires_at > ?7 \
         RETURNING ",
        columns!()
    );
    let rotated = first_row(
        conn,
        sql,
        params![
            r.family_id,
            r.presented,
            r.next.token_hash,
            micros(r.next.issued_at),
            micros(r.next.expires_at),
            r.client_id,
            r.now
        ],
        family_from_lite_row,
    )?;
    if let Some(current) = rotated {
        let user = match current.user_id {
            Some(id) => user_by_id_on(conn, id)?,
            None => None,
        };
        return Ok(Rotation::Rotated { current, user });
    }
    let seen = first_row(
        conn,
        concat!(
            "SELECT family_id, token_hash <> ?2 OR revoked_at IS NOT NULL AS spent \
             FROM refresh_families WHERE family_id = ",
            family_of!(),
            " AND client_id = ?3"
        ),
        params![r.family_id, r.presented, r.client_id],
        |row| {
            let r = LiteReader::new(row, "refresh_families");
            Ok((r.uuid("family_id")?, r.bool("spent")?))
        },
    )?;
    let Some((family_id, true)) = seen else {
        // Never issued (to this client), or expired unspent.
        return Ok(Rotation::Unknown);
    };
    execute(
        conn,
        "UPDATE refresh_families SET revoked_at = ?1 WHERE family_id = ?2 AND revoked_at IS NULL",
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
    async fn refresh_token(&self, key: RefreshKey<'_>) -> Result<Option<RefreshToken>> {
        let sql = concat!(
            "SELECT ",
            columns!(),
            " FROM refresh_families WHERE family_id = ",
            family_of!()
        );
        let (family_id, presented) = key_params(key);
        let family = if let Some(read) = self.inline.as_ref().and_then(|r| {
            r.read(|conn| {
                first_row(
                    conn,
                    sql,
                    params![family_id, presented],
                    family_from_lite_row,
                )
            })
        }) {
            read?
        } else {
            let row = sqlx::query(sql)
                .bind(&family_id)
                .bind(&presented)
                .fetch_optional(&self.reader)
                .await
                .map_err(classify)?;
            row.as_ref().map(family_from_row).transpose()?
        };
        Ok(family.map(|f| f.seen_as(&presented)))
    }

    /// A token that was spent or revoked reports `Reused` (and revokes its
    /// family) even when it has also expired: a replay is a replay. Only an
    /// unspent, unrevoked, expired token is `Unknown`.
    #[tracing::instrument(name = "db.refresh.rotate_refresh_token", skip_all, fields(db.system = "sqlite"))]
    async fn rotate_refresh_token(
        &self,
        key: RefreshKey<'_>,
        client_id: &str,
        next: &Successor,
        now: OffsetDateTime,
    ) -> Result<Rotation> {
        let (family_id, presented) = key_params(key);
        let rotation = Rotate {
            family_id,
            presented,
            client_id: client_id.to_owned(),
            next: next.clone(),
            now: micros(now),
        };
        self.write(rotation, rotate).await
    }

    /// Counts the families this call revoked (those not revoked before).
    #[tracing::instrument(name = "db.refresh.revoke_refresh_family", skip_all, fields(db.system = "sqlite"))]
    async fn revoke_refresh_family(&self, family_id: Uuid, at: OffsetDateTime) -> Result<u64> {
        self.revoke_where(
            "UPDATE refresh_families SET revoked_at = ?1 WHERE family_id = ?2 AND revoked_at IS NULL",
            family_id.to_string(),
            at,
        )
        .await
    }

    #[tracing::instrument(name = "db.refresh.revoke_refresh_by_session", skip_all, fields(db.system = "sqlite"))]
    async fn revoke_refresh_by_session(&self, session_id: &str, at: OffsetDateTime) -> Result<u64> {
        self.revoke_where(
            "UPDATE refresh_families SET revoked_at = ?1 WHERE session_id = ?2 AND revoked_at IS NULL",
            session_id.to_owned(),
            at,
        )
        .await
    }

    #[tracing::instrument(name = "db.refresh.revoke_refresh_by_user", skip_all, fields(db.system = "sqlite"))]
    async fn revoke_refresh_by_user(&self, user_id: Uuid, at: OffsetDateTime) -> Result<u64> {
        self.revoke_where(
            "UPDATE refresh_families SET revoked_at = ?1 WHERE user_id = ?2 AND revoked_at IS NULL",
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
                "DELETE FROM refresh_families WHERE expires_at < ?1",
                params![now],
            )
        })
        .await
    }
}
