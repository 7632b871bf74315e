//! Enrollments on PostgreSQL, including the one transaction that turns a
//! finished enrollment into a user.

use async_trait::async_trait;
use sqlx::postgres::PgRow;
use time::OffsetDateTime;
use uuid::Uuid;

use super::PgStore;
use super::audit::insert_audit;
use super::row::{Reader, json};
use super::users::insert_user;
use crate::error::{Result, StorageError};
use crate::records::{AuditEvent, Enrollment, EnrollmentStep, SealedCitizenId, User};
use crate::repo::EnrollmentRepo;
use crate::sql::classify;

fn enrollment_from_row(row: &PgRow) -> Result<Enrollment> {
    let r = Reader::new(row, "enrollments");
    let sealed: Option<Vec<u8>> = r.get("citizen_id_sealed")?;
    let index: Option<Vec<u8>> = r.get("citizen_index")?;
    let citizen_id = match (sealed, index) {
        (Some(ciphertext), Some(index)) => Some(SealedCitizenId { ciphertext, index }),
        (None, None) => None,
        _ => {
            return Err(StorageError::InconsistentRow {
                table: "enrollments",
                column: "citizen_index",
            });
        }
    };
    Ok(Enrollment {
        id: r.get("id")?,
        step: r.parsed("step", EnrollmentStep::parse)?,
        version: r.get("version")?,
        token_digest: r.get("token_hash")?,
        citizen_id,
        data: r.json("data")?,
        user_id: r.get("user_id")?,
        created_at: r.get("created_at")?,
        updated_at: r.get("updated_at")?,
        expires_at: r.get("expires_at")?,
    })
}

const NOT_FOUND: StorageError = StorageError::NotFound { what: "enrollment" };
const CONFLICT: StorageError = StorageError::Conflict { what: "enrollment" };

#[async_trait]
impl EnrollmentRepo for PgStore {
    #[tracing::instrument(name = "db.enrollments.create_enrollment", skip_all, fields(db.system = "postgresql"))]
    async fn create_enrollment(&self, e: &Enrollment) -> Result<()> {
        sqlx::query(
            "INSERT INTO enrollments (id, step, version, citizen_id_sealed, citizen_index, data, \
             user_id, created_at, updated_at, expires_at, token_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(e.id)
        .bind(e.step.as_str())
        .bind(e.version)
        .bind(e.citizen_id.as_ref().map(|c| c.ciphertext.as_slice()))
        .bind(e.citizen_id.as_ref().map(|c| c.index.as_slice()))
        .bind(json(&e.data)?)
        .bind(e.user_id)
        .bind(e.created_at)
        .bind(e.updated_at)
        .bind(e.expires_at)
        .bind(e.token_digest.as_slice())
        .execute(&self.pool)
        .await
        .map_err(classify)?;
        Ok(())
    }

    #[tracing::instrument(name = "db.enrollments.enrollment_by_id", skip_all, fields(db.system = "postgresql"))]
    async fn enrollment_by_id(&self, id: Uuid) -> Result<Option<Enrollment>> {
        let row = sqlx::query(
            "SELECT id, step, version, token_hash, citizen_id_sealed, citizen_index, data, user_id, \
             created_at, updated_at, expires_at FROM enrollments WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(classify)?;
        row.as_ref().map(enrollment_from_row).transpose()
    }

    #[tracing::instrument(name = "db.enrollments.update_enrollment", skip_all, fields(db.system = "postgresql"))]
    async fn update_enrollment(&self, e: &Enrollment) -> Result<()> {
        let done = sqlx::query(
            "UPDATE enrollments SET step = $1, version = $2, citizen_id_sealed = $3, \
             citizen_index = $4, data = $5, user_id = $6, updated_at = $7, expires_at = $8 \
             WHERE id = $9 AND version = $10",
        )
        .bind(e.step.as_str())
        .bind(e.version)
        .bind(e.citizen_id.as_ref().map(|c| c.ciphertext.as_slice()))
        .bind(e.citizen_id.as_ref().map(|c| c.index.as_slice()))
        .bind(json(&e.data)?)
        .bind(e.user_id)
        .bind(e.updated_at)
        .bind(e.expires_at)
        .bind(e.id)
        .bind(e.version - 1)
        .execute(&self.pool)
        .await
        .map_err(classify)?;
        if done.rows_affected() == 1 {
            return Ok(());
        }
        Err(if self.enrollment_exists(e.id).await? {
            CONFLICT
        } else {
            NOT_FOUND
        })
    }

    #[tracing::instrument(name = "db.enrollments.complete_enrollment", skip_all, fields(db.system = "postgresql"))]
    async fn complete_enrollment(
        &self,
        enrollment_id: Uuid,
        expected_version: i64,
        user: &User,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        // Claim the enrollment first, so of several racing completions the
        // losers see `Conflict` rather than the winner's username. The
        // reference to the user is checked at commit (deferred key).
        let claimed = sqlx::query(
            "UPDATE enrollments SET step = 'completed', user_id = $1, version = version + 1, \
             updated_at = $2 WHERE id = $3 AND version = $4",
        )
        .bind(user.id)
        .bind(at)
        .bind(enrollment_id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await
        .map_err(classify)?;
        if claimed.rows_affected() == 0 {
            let exists = sqlx::query("SELECT 1 FROM enrollments WHERE id = $1")
                .bind(enrollment_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(classify)?
                .is_some();
            // Dropping `tx` rolls back.
            return Err(if exists { CONFLICT } else { NOT_FOUND });
        }
        // A taken username or citizen ID fails here; dropping `tx` undoes
        // the claim above.
        insert_user(&mut *tx, user).await?;
        insert_audit(&mut *tx, audit).await?;
        tx.commit().await.map_err(classify)
    }

    #[tracing::instrument(name = "db.enrollments.delete_expired_enrollments", skip_all, fields(db.system = "postgresql"))]
    async fn delete_expired_enrollments(&self, now: OffsetDateTime) -> Result<u64> {
        let done =
            sqlx::query("DELETE FROM enrollments WHERE expires_at < $1 AND step <> 'completed'")
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(classify)?;
        Ok(done.rows_affected())
    }

    #[tracing::instrument(name = "db.enrollments.delete_completed_enrollments", skip_all, fields(db.system = "postgresql"))]
    async fn delete_completed_enrollments(&self, before: OffsetDateTime) -> Result<u64> {
        let done =
            sqlx::query("DELETE FROM enrollments WHERE step = 'completed' AND updated_at < $1")
                .bind(before)
                .execute(&self.pool)
                .await
                .map_err(classify)?;
        Ok(done.rows_affected())
    }
}

impl PgStore {
    #[tracing::instrument(name = "db.enrollments.enrollment_exists", skip_all, fields(db.system = "postgresql"))]
    async fn enrollment_exists(&self, id: Uuid) -> Result<bool> {
        let row = sqlx::query("SELECT 1 FROM enrollments WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(classify)?;
        Ok(row.is_some())
    }
}
