//! Users on SQLite.

use async_trait::async_trait;
use rusqlite::{Connection, params};
use sqlx::sqlite::SqliteRow;
use time::OffsetDateTime;
use uuid::Uuid;

use super::SqliteStore;
use super::audit::insert_audit;
use super::row::{Columns, LiteReader, Reader, json, micros, opt_json};
use super::writer::{execute, first_row};
use crate::error::{Result, StorageError};
use crate::records::{AuditEvent, SealedCitizenId, User, UserStatus};
use crate::repo::{DeleteOutcome, DisableOutcome, UserRepo};
use crate::sql::{classify, names};

/// `SELECT <every column> FROM users` followed by the given clause.
macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT id, username, password_hash, status, roles, name, birth_date, phone, ",
            "phone_verified, citizen_id_sealed, citizen_index, proofing, locale, created_at, ",
            "updated_at FROM users ",
            $rest
        )
    };
}

/// One mapper for both drivers' rows.
fn user_from(r: &impl Columns) -> Result<User> {
    let sealed = r.opt_blob("citizen_id_sealed")?;
    let index = r.opt_blob("citizen_index")?;
    let citizen_id = match (sealed, index) {
        (Some(ciphertext), Some(index)) => Some(SealedCitizenId { ciphertext, index }),
        (None, None) => None,
        (Some(_), None) => return Err(inconsistent("citizen_index")),
        (None, Some(_)) => return Err(inconsistent("citizen_id_sealed")),
    };
    Ok(User {
        id: r.uuid("id")?,
        username: r.text("username")?,
        password_hash: r.text("password_hash")?,
        status: r.parsed("status", names::parse_user_status)?,
        roles: r.json("roles")?,
        name: r.json("name")?,
        birth_date: r.opt_json("birth_date")?,
        phone: r.opt_text("phone")?,
        phone_verified: r.bool("phone_verified")?,
        citizen_id,
        proofing: r.opt_json("proofing")?,
        locale: r.opt_text("locale")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
    })
}

pub(super) fn user_from_row(row: &SqliteRow) -> Result<User> {
    user_from(&Reader::new(row, "users"))
}

/// [`user_from_row`] for the inline readers' rows.
fn user_from_lite_row(row: &rusqlite::Row<'_>) -> Result<User> {
    user_from(&LiteReader::new(row, "users"))
}

/// The user `id` read on `conn`: an inline reader's, or the writer's
/// within a job that needs the user too (a refresh rotation).
pub(super) fn user_by_id_on(conn: &Connection, id: Uuid) -> Result<Option<User>> {
    first_row(
        conn,
        select!("WHERE id = ?1"),
        params![id.to_string()],
        user_from_lite_row,
    )
}

fn inconsistent(column: &'static str) -> StorageError {
    StorageError::InconsistentRow {
        table: "users",
        column,
    }
}

/// Inserts `user` on the writer's connection.
pub(super) fn insert_user(conn: &Connection, user: &User) -> Result<()> {
    execute(
        conn,
        "INSERT INTO users (id, username, password_hash, status, roles, name, birth_date, phone, \
         phone_verified, citizen_id_sealed, citizen_index, proofing, locale, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            user.id.to_string(),
            user.username,
            user.password_hash,
            user.status.as_str(),
            json(&user.roles)?,
            json(&user.name)?,
            opt_json(user.birth_date.as_ref())?,
            user.phone,
            user.phone_verified,
            user.citizen_id.as_ref().map(|c| c.ciphertext.as_slice()),
            user.citizen_id.as_ref().map(|c| c.index.as_slice()),
            opt_json(user.proofing.as_ref())?,
            user.locale,
            micros(user.created_at),
            micros(user.updated_at),
        ],
    )?;
    Ok(())
}

impl SqliteStore {
    async fn one_user(&self, query: SqlQuery<'_>) -> Result<Option<User>> {
        let row = query.fetch_optional(&self.reader).await.map_err(classify)?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Runs `UPDATE users SET <column> = ?1, updated_at = ?2 WHERE id = ?3`.
    async fn update_user(
        &self,
        sql: &'static str,
        id: Uuid,
        value: &str,
        at: OffsetDateTime,
    ) -> Result<()> {
        let data = (value.to_owned(), micros(at), id.to_string());
        self.write(data, move |conn, (value, at, id)| {
            if execute(conn, sql, params![value, at, id])? == 0 {
                return Err(StorageError::NotFound { what: "user" });
            }
            Ok(())
        })
        .await
    }
}

type SqlQuery<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>;

#[async_trait]
impl UserRepo for SqliteStore {
    #[tracing::instrument(name = "db.users.create_user", skip_all, fields(db.system = "sqlite"))]
    async fn create_user(&self, user: &User) -> Result<()> {
        self.write(user.clone(), insert_user).await
    }

    #[tracing::instrument(name = "db.users.user_by_id", skip_all, fields(db.system = "sqlite"))]
    async fn user_by_id(&self, id: Uuid) -> Result<Option<User>> {
        // Every token grant and userinfo call reads the user by id: inline
        // (see `inline.rs`).
        if let Some(read) = self
            .inline
            .as_ref()
            .and_then(|r| r.read(|conn| user_by_id_on(conn, id)))
        {
            return read;
        }
        self.one_user(sqlx::query(select!("WHERE id = ?1")).bind(id.to_string()))
            .await
    }

    #[tracing::instrument(name = "db.users.user_by_username", skip_all, fields(db.system = "sqlite"))]
    async fn user_by_username(&self, username: &str) -> Result<Option<User>> {
        // Every sign-in reads the user by name: inline too.
        if let Some(read) = self.inline.as_ref().and_then(|r| {
            r.read(|conn| {
                first_row(
                    conn,
                    select!("WHERE username = ?1"),
                    params![username],
                    user_from_lite_row,
                )
            })
        }) {
            return read;
        }
        self.one_user(sqlx::query(select!("WHERE username = ?1")).bind(username))
            .await
    }

    #[tracing::instrument(name = "db.users.user_by_citizen_index", skip_all, fields(db.system = "sqlite"))]
    async fn user_by_citizen_index(&self, index: &[u8]) -> Result<Option<User>> {
        self.one_user(sqlx::query(select!("WHERE citizen_index = ?1")).bind(index))
            .await
    }

    #[tracing::instrument(name = "db.users.set_user_status", skip_all, fields(db.system = "sqlite"))]
    async fn set_user_status(
        &self,
        id: Uuid,
        status: UserStatus,
        at: OffsetDateTime,
    ) -> Result<()> {
        self.update_user(
            "UPDATE users SET status = ?1, updated_at = ?2 WHERE id = ?3",
            id,
            status.as_str(),
            at,
        )
        .await
    }

    #[tracing::instrument(name = "db.users.set_user_password", skip_all, fields(db.system = "sqlite"))]
    async fn set_user_password(
        &self,
        id: Uuid,
        password_hash: &str,
        at: OffsetDateTime,
    ) -> Result<()> {
        self.update_user(
            "UPDATE users SET password_hash = ?1, updated_at = ?2 WHERE id = ?3",
            id,
            password_hash,
            at,
        )
        .await
    }

    #[tracing::instrument(name = "db.users.set_user_phone", skip_all, fields(db.system = "sqlite"))]
    async fn set_user_phone(&self, id: Uuid, e164: &str, at: OffsetDateTime) -> Result<()> {
        self.update_user(
            "UPDATE users SET phone = ?1, phone_verified = 1, updated_at = ?2 WHERE id = ?3",
            id,
            e164,
            at,
        )
        .await
    }

    #[tracing::instrument(name = "db.users.search_users", skip_all, fields(db.system = "sqlite"))]
    async fn search_users(&self, prefix: &str, limit: u32, offset: u32) -> Result<Vec<User>> {
        // A range on the unique index (binary collation): every string that
        // starts with `prefix` sorts between `prefix` and `prefix` followed by
        // the highest code point.
        let rows = sqlx::query(select!(
            "WHERE username >= ?1 AND username < ?2 ORDER BY username LIMIT ?3 OFFSET ?4"
        ))
        .bind(prefix)
        .bind(format!("{prefix}\u{10FFFF}"))
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(&self.reader)
        .await
        .map_err(classify)?;
        rows.iter().map(user_from_row).collect()
    }

    #[tracing::instrument(name = "db.users.disable_user", skip_all, fields(db.system = "sqlite"))]
    async fn disable_user(
        &self,
        user_id: Uuid,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<DisableOutcome> {
        let data = Disable {
            user_id: user_id.to_string(),
            at: micros(at),
            audit: audit.clone(),
        };
        self.write(data, disable_user).await
    }

    #[tracing::instrument(name = "db.users.delete_user_account", skip_all, fields(db.system = "sqlite"))]
    async fn delete_user_account(
        &self,
        user_id: Uuid,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<DeleteOutcome> {
        let data = Disable {
            user_id: user_id.to_string(),
            at: micros(at),
            audit: audit.clone(),
        };
        self.write(data, delete_user_account).await
    }
}

/// The inputs of [`UserRepo::disable_user`], owned so the writer thread can
/// run it.
struct Disable {
    user_id: String,
    at: i64,
    audit: AuditEvent,
}

/// On the writer thread, as one request: if a statement after the status
/// update fails (the audit insert), the writer rolls back the whole request
/// (see `writer/mod.rs`), so the status change never commits alone.
fn disable_user(conn: &Connection, d: &Disable) -> Result<DisableOutcome> {
    let updated = execute(
        conn,
        "UPDATE users SET status = ?1, updated_at = ?2 WHERE id = ?3",
        params![UserStatus::Disabled.as_str(), d.at, d.user_id],
    )?;
    if updated == 0 {
        return Err(StorageError::NotFound { what: "user" });
    }
    let refresh_tokens_revoked = execute(
        conn,
        "UPDATE refresh_families SET revoked_at = ?1 WHERE user_id = ?2 AND revoked_at IS NULL",
        params![d.at, d.user_id],
    )?;
    insert_audit(conn, &d.audit)?;
    Ok(DisableOutcome {
        refresh_tokens_revoked,
    })
}

/// On the writer thread, as one request (rolled back whole on any error,
/// including the user not being there, see `writer/mod.rs`): the counts
/// are taken by the statements that clear each part before the user row
/// goes (its consents and refresh families would cascade uncounted).
fn delete_user_account(conn: &Connection, d: &Disable) -> Result<DeleteOutcome> {
    let refresh_tokens_revoked = execute(
        conn,
        "UPDATE refresh_families SET revoked_at = ?1 WHERE user_id = ?2 AND revoked_at IS NULL",
        params![d.at, d.user_id],
    )?;
    execute(
        conn,
        "DELETE FROM refresh_families WHERE user_id = ?1",
        params![d.user_id],
    )?;
    let consents_deleted = execute(
        conn,
        "DELETE FROM consents WHERE user_id = ?1",
        params![d.user_id],
    )?;
    let enrollments_deleted = execute(
        conn,
        "DELETE FROM enrollments WHERE user_id = ?1",
        params![d.user_id],
    )?;
    if execute(conn, "DELETE FROM users WHERE id = ?1", params![d.user_id])? == 0 {
        return Err(StorageError::NotFound { what: "user" });
    }
    insert_audit(conn, &d.audit)?;
    Ok(DeleteOutcome {
        refresh_tokens_revoked,
        consents_deleted,
        enrollments_deleted,
    })
}
