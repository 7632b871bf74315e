//! Users on PostgreSQL.

use async_trait::async_trait;
use sqlx::postgres::PgRow;
use time::OffsetDateTime;
use uuid::Uuid;

use std::collections::HashMap;

use sqlx::PgPool;

use super::PgStore;
use super::audit::insert_audit;
use super::batch::Job;
use super::row::{Reader, json, opt_json};
use crate::error::{Result, StorageError};
use crate::records::{AuditEvent, SealedCitizenId, User, UserStatus};
use crate::repo::{DeleteOutcome, DisableOutcome, UserRepo};
use crate::sql::{classify, names};

/// Every column of `users`, qualified, as a literal for `concat!`.
macro_rules! user_columns {
    () => {
        "users.id, users.username, users.password_hash, users.status, users.roles, users.name, \
         users.birth_date, users.phone, users.phone_verified, users.citizen_id_sealed, \
         users.citizen_index, users.proofing, users.locale, users.created_at, users.updated_at"
    };
}
pub(super) use user_columns;

/// `SELECT <every column> FROM users` followed by the given clause.
macro_rules! select {
    ($rest:literal) => {
        concat!("SELECT ", user_columns!(), " FROM users ", $rest)
    };
}

pub(super) fn user_from_row(row: &PgRow) -> Result<User> {
    let r = Reader::new(row, "users");
    let sealed: Option<Vec<u8>> = r.get("citizen_id_sealed")?;
    let index: Option<Vec<u8>> = r.get("citizen_index")?;
    let citizen_id = match (sealed, index) {
        (Some(ciphertext), Some(index)) => Some(SealedCitizenId { ciphertext, index }),
        (None, None) => None,
        _ => {
            return Err(StorageError::InconsistentRow {
                table: "users",
                column: "citizen_index",
            });
        }
    };
    Ok(User {
        id: r.get("id")?,
        username: r.get("username")?,
        password_hash: r.get("password_hash")?,
        status: r.parsed("status", names::parse_user_status)?,
        roles: r.get("roles")?,
        name: r.json("name")?,
        birth_date: r.opt_json("birth_date")?,
        phone: r.get("phone")?,
        phone_verified: r.get("phone_verified")?,
        citizen_id,
        proofing: r.opt_json("proofing")?,
        locale: r.get("locale")?,
        created_at: r.get("created_at")?,
        updated_at: r.get("updated_at")?,
    })
}

/// A user read by id, as a [`Job`]: every code exchange and userinfo
/// request reads one, and under load those reads go to the database
/// together (see `batch`), one statement for many ids.
pub(super) struct UserReads;

#[async_trait]
impl Job for UserReads {
    type Input = Uuid;
    type Output = Option<User>;

    async fn many(&self, pool: &PgPool, ids: &[Uuid]) -> Result<Vec<Option<User>>> {
        let rows = sqlx::query(select!("WHERE id = ANY($1)"))
            .bind(ids)
            .fetch_all(pool)
            .await
            .map_err(classify)?;
        let mut found = HashMap::with_capacity(rows.len());
        for row in &rows {
            let user = user_from_row(row)?;
            found.insert(user.id, user);
        }
        // The same id twice in a batch gets the user twice.
        Ok(ids.iter().map(|id| found.get(id).cloned()).collect())
    }

    async fn one(&self, pool: &PgPool, id: &Uuid) -> Result<Option<User>> {
        let row = sqlx::query(select!("WHERE id = $1"))
            .bind(id)
            .fetch_optional(pool)
            .await
            .map_err(classify)?;
        row.as_ref().map(user_from_row).transpose()
    }
}

/// Inserts `user` on `conn` (a pool or an open transaction).
pub(super) async fn insert_user<'c, E>(conn: E, user: &User) -> Result<()>
where
    E: sqlx::Executor<'c, Database = sqlx::Postgres>,
{
    sqlx::query(
        "INSERT INTO users (id, username, password_hash, status, roles, name, birth_date, phone, \
         phone_verified, citizen_id_sealed, citizen_index, proofing, locale, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(user.id)
    .bind(&user.username)
    .bind(&user.password_hash)
    .bind(user.status.as_str())
    .bind(&user.roles)
    .bind(json(&user.name)?)
    .bind(opt_json(user.birth_date.as_ref())?)
    .bind(&user.phone)
    .bind(user.phone_verified)
    .bind(user.citizen_id.as_ref().map(|c| c.ciphertext.as_slice()))
    .bind(user.citizen_id.as_ref().map(|c| c.index.as_slice()))
    .bind(opt_json(user.proofing.as_ref())?)
    .bind(&user.locale)
    .bind(user.created_at)
    .bind(user.updated_at)
    .execute(conn)
    .await
    .map_err(classify)?;
    Ok(())
}

type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

impl PgStore {
    async fn one_user(&self, query: PgQuery<'_>) -> Result<Option<User>> {
        let row = query.fetch_optional(&self.pool).await.map_err(classify)?;
        row.as_ref().map(user_from_row).transpose()
    }

    /// Runs `UPDATE users SET <column> = $1, updated_at = $2 WHERE id = $3`.
    async fn update_user(
        &self,
        sql: &'static str,
        id: Uuid,
        value: &str,
        at: OffsetDateTime,
    ) -> Result<()> {
        let done = sqlx::query(sql)
            .bind(value)
            .bind(at)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(classify)?;
        if done.rows_affected() == 0 {
            return Err(StorageError::NotFound { what: "user" });
        }
        Ok(())
    }
}

#[async_trait]
impl UserRepo for PgStore {
    #[tracing::instrument(name = "db.users.create_user", skip_all, fields(db.system = "postgresql"))]
    async fn create_user(&self, user: &User) -> Result<()> {
        insert_user(&self.pool, user).await
    }

    #[tracing::instrument(name = "db.users.user_by_id", skip_all, fields(db.system = "postgresql"))]
    async fn user_by_id(&self, id: Uuid) -> Result<Option<User>> {
        self.user_reads.submit(id).await
    }

    #[tracing::instrument(name = "db.users.user_by_username", skip_all, fields(db.system = "postgresql"))]
    async fn user_by_username(&self, username: &str) -> Result<Option<User>> {
        self.one_user(sqlx::query(select!("WHERE username = $1")).bind(username))
            .await
    }

    #[tracing::instrument(name = "db.users.user_by_citizen_index", skip_all, fields(db.system = "postgresql"))]
    async fn user_by_citizen_index(&self, index: &[u8]) -> Result<Option<User>> {
        self.one_user(sqlx::query(select!("WHERE citizen_index = $1")).bind(index))
            .await
    }

    #[tracing::instrument(name = "db.users.set_user_status", skip_all, fields(db.system = "postgresql"))]
    async fn set_user_status(
        &self,
        id: Uuid,
        status: UserStatus,
        at: OffsetDateTime,
    ) -> Result<()> {
        self.update_user(
            "UPDATE users SET status = $1, updated_at = $2 WHERE id = $3",
            id,
            status.as_str(),
            at,
        )
        .await
    }

    #[tracing::instrument(name = "db.users.set_user_password", skip_all, fields(db.system = "postgresql"))]
    async fn set_user_password(
        &self,
        id: Uuid,
        password_hash: &str,
        at: OffsetDateTime,
    ) -> Result<()> {
        self.update_user(
            "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3",
            id,
            password_hash,
            at,
        )
        .await
    }

    #[tracing::instrument(name = "db.users.set_user_phone", skip_all, fields(db.system = "postgresql"))]
    async fn set_user_phone(&self, id: Uuid, e164: &str, at: OffsetDateTime) -> Result<()> {
        self.update_user(
            "UPDATE users SET phone = $1, phone_verified = TRUE, updated_at = $2 WHERE id = $3",
            id,
            e164,
            at,
        )
        .await
    }

    #[tracing::instrument(name = "db.users.search_users", skip_all, fields(db.system = "postgresql"))]
    async fn search_users(&self, prefix: &str, limit: u32, offset: u32) -> Result<Vec<User>> {
        // `username` has the "C" collation: a byte-order range on the unique
        // index, the same as on SQLite.
        let rows = sqlx::query(select!(
            "WHERE username >= $1 AND username < $2 ORDER BY username LIMIT $3 OFFSET $4"
        ))
        .bind(prefix)
        .bind(format!("{prefix}\u{10FFFF}"))
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(&self.pool)
        .await
        .map_err(classify)?;
        rows.iter().map(user_from_row).collect()
    }

    #[tracing::instrument(name = "db.users.disable_user", skip_all, fields(db.system = "postgresql"))]
    async fn disable_user(
        &self,
        user_id: Uuid,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<DisableOutcome> {
        let mut tx = self.begin().await?;
        let updated = sqlx::query("UPDATE users SET status = $1, updated_at = $2 WHERE id = $3")
            .bind(UserStatus::Disabled.as_str())
            .bind(at)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
        if updated.rows_affected() == 0 {
            // Dropping `tx` rolls back (nothing was changed anyway).
            return Err(StorageError::NotFound { what: "user" });
        }
        let revoked = sqlx::query(
            "UPDATE refresh_families SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .map_err(classify)?;
        // A refused audit row fails here; dropping `tx` undoes the status
        // change and the revocations with it.
        insert_audit(&mut *tx, audit).await?;
        tx.commit().await.map_err(classify)?;
        Ok(DisableOutcome {
            refresh_tokens_revoked: revoked.rows_affected(),
        })
    }

    #[tracing::instrument(name = "db.users.delete_user_account", skip_all, fields(db.system = "postgresql"))]
    async fn delete_user_account(
        &self,
        user_id: Uuid,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<DeleteOutcome> {
        let mut tx = self.begin().await?;
        // Counted by the statements that clear each part, before the user
        // row goes (its consents and refresh families would cascade
        // uncounted).
        let revoked = sqlx::query(
            "UPDATE refresh_families SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .map_err(classify)?;
        sqlx::query("DELETE FROM refresh_families WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
        let consents = sqlx::query("DELETE FROM consents WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
        let enrollments = sqlx::query("DELETE FROM enrollments WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
        let deleted = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
        if deleted.rows_affected() == 0 {
            // Dropping `tx` rolls back (nothing was there to change).
            return Err(StorageError::NotFound { what: "user" });
        }
        // A refused audit row fails here; dropping `tx` brings it all back.
        insert_audit(&mut *tx, audit).await?;
        tx.commit().await.map_err(classify)?;
        Ok(DeleteOutcome {
            refresh_tokens_revoked: revoked.rows_affected(),
            consents_deleted: consents.rows_affected(),
            enrollments_deleted: enrollments.rows_affected(),
        })
    }
}

#[cfg(test)]
mod tests {
    //! The batched read itself (a failing batch would fall back to one
    //! statement per id, hiding it from every other test).

    use super::*;
    use crate::testing::fixtures::user;
    use crate::testing::{Must, pg_store_from_env};

    #[tokio::test]
    async fn a_batch_of_ids_reads_each_user_in_input_order() {
        let Some((store, _guard)) = pg_store_from_env().await else {
            return;
        };
        let (a, b) = (user("somchai"), user("malee"));
        store.create_user(&a).await.must("user");
        store.create_user(&b).await.must("user");
        let nobody = Uuid::new_v4();
        let read = UserReads
            .many(&store.pool, &[b.id, nobody, a.id, b.id])
            .await
            .must("batched read");
        let names: Vec<Option<&str>> = read
            .iter()
            .map(|u| u.as_ref().map(|u| u.username.as_str()))
            .collect();
        assert_eq!(names, [Some("malee"), None, Some("somchai"), Some("malee")]);
        assert_eq!(read[2].as_ref().must("a"), &a, "every column read back");
    }
}
