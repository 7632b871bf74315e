//! Enrollments on SQLite, including the one transaction that turns a
//! finished enrollment into a user.

use async_trait::async_trait;
use rusqlite::{Connection, params};
use sqlx::sqlite::SqliteRow;
use time::OffsetDateTime;
use uuid::Uuid;

use super::SqliteStore;
use super::audit::insert_audit;
use super::row::{Columns, Reader, json, micros};
use super::users::insert_user;
use super::writer::{execute, first_row};
use crate::error::{Result, StorageError};
use crate::records::{AuditEvent, Enrollment, EnrollmentStep, SealedCitizenId, User};
use crate::repo::EnrollmentRepo;
use crate::sql::classify;

fn enrollment_from_row(row: &SqliteRow) -> Result<Enrollment> {
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
        id: r.uuid("id")?,
        step: r.parsed("step", EnrollmentStep::parse)?,
        version: r.get("version")?,
        token_digest: r.get("token_hash")?,
        citizen_id,
        data: r.json("data")?,
        user_id: r.opt_uuid("user_id")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
        expires_at: r.time("expires_at")?,
    })
}

const NOT_FOUND: StorageError = StorageError::NotFound { what: "enrollment" };
const CONFLICT: StorageError = StorageError::Conflict { what: "enrollment" };

#[async_trait]
impl EnrollmentRepo for SqliteStore {
    #[tracing::instrument(name = "db.enrollments.create_enrollment", skip_all, fields(db.system = "sqlite"))]
    async fn create_enrollment(&self, e: &Enrollment) -> Result<()> {
        self.write(e.clone(), insert_enrollment).await
    }

    #[tracing::instrument(name = "db.enrollments.enrollment_by_id", skip_all, fields(db.system = "sqlite"))]
    async fn enrollment_by_id(&self, id: Uuid) -> Result<Option<Enrollment>> {
        let row = sqlx::query(
            "SELECT id, step, version, token_hash, citizen_id_sealed, citizen_index, data, user_id, \
             created_at, updated_at, expires_at FROM enrollments WHERE id = ?1",
        )
        .bind(id.to_string())
        .fetch_optional(&self.reader)
        .await
        .map_err(classify)?;
        row.as_ref().map(enrollment_from_row).transpose()
    }

    #[tracing::instrument(name = "db.enrollments.update_enrollment", skip_all, fields(db.system = "sqlite"))]
    async fn update_enrollment(&self, e: &Enrollment) -> Result<()> {
        self.write(e.clone(), update_enrollment).await
    }

    #[tracing::instrument(name = "db.enrollments.complete_enrollment", skip_all, fields(db.system = "sqlite"))]
    async fn complete_enrollment(
        &self,
        enrollment_id: Uuid,
        expected_version: i64,
        user: &User,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<()> {
        let completion = Completion {
            enrollment_id: enrollment_id.to_string(),
            expected_version,
            user: user.clone(),
            at: micros(at),
            audit: audit.clone(),
        };
        self.write(completion, complete_enrollment).await
    }

    #[tracing::instrument(name = "db.enrollments.delete_expired_enrollments", skip_all, fields(db.system = "sqlite"))]
    async fn delete_expired_enrollments(&self, now: OffsetDateTime) -> Result<u64> {
        self.write(micros(now), |conn, now| {
            execute(
                conn,
                "DELETE FROM enrollments WHERE expires_at < ?1 AND step <> 'completed'",
                params![now],
            )
        })
        .await
    }

    #[tracing::instrument(name = "db.enrollments.delete_completed_enrollments", skip_all, fields(db.system = "sqlite"))]
    async fn delete_completed_enrollments(&self, before: OffsetDateTime) -> Result<u64> {
        self.write(micros(before), |conn, before| {
            execute(
                conn,
                "DELETE FROM enrollments WHERE step = 'completed' AND updated_at < ?1",
                params![before],
            )
        })
        .await
    }
}

fn insert_enrollment(conn: &Connection, e: &Enrollment) -> Result<()> {
    execute(
        conn,
        "INSERT INTO enrollments (id, step, version, citizen_id_sealed, citizen_index, data, \
         user_id, created_at, updated_at, expires_at, token_hash) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            e.id.to_string(),
            e.step.as_str(),
            e.version,
            e.citizen_id.as_ref().map(|c| c.ciphertext.as_slice()),
            e.citizen_id.as_ref().map(|c| c.index.as_slice()),
            json(&e.data)?,
            e.user_id.map(|u| u.to_string()),
            micros(e.created_at),
            micros(e.updated_at),
            micros(e.expires_at),
            e.token_digest.as_slice(),
        ],
    )?;
    Ok(())
}

fn update_enrollment(conn: &Connection, e: &Enrollment) -> Result<()> {
    let updated = execute(
        conn,
        "UPDATE enrollments SET step = ?1, version = ?2, citizen_id_sealed = ?3, \
         citizen_index = ?4, data = ?5, user_id = ?6, updated_at = ?7, expires_at = ?8 \
         WHERE id = ?9 AND version = ?10",
        params![
            e.step.as_str(),
            e.version,
            e.citizen_id.as_ref().map(|c| c.ciphertext.as_slice()),
            e.citizen_id.as_ref().map(|c| c.index.as_slice()),
            json(&e.data)?,
            e.user_id.map(|u| u.to_string()),
            micros(e.updated_at),
            micros(e.expires_at),
            e.id.to_string(),
            e.version - 1,
        ],
    )?;
    if updated == 1 {
        return Ok(());
    }
    Err(if exists(conn, &e.id.to_string())? {
        CONFLICT
    } else {
        NOT_FOUND
    })
}

/// The inputs of [`EnrollmentRepo::complete_enrollment`], owned so the
/// writer thread can run it.
struct Completion {
    enrollment_id: String,
    expected_version: i64,
    user: User,
    at: i64,
    audit: AuditEvent,
}

/// On the writer thread: if the user insert fails, the writer rolls back the
/// claim with it (see `writer.rs`).
fn complete_enrollment(conn: &Connection, c: &Completion) -> Result<()> {
    // Claim the enrollment first, so of several racing completions the
    // losers see `Conflict` rather than the winner's username. The reference
    // to the user is checked at commit (deferred key).
    let claimed = execute(
        conn,
        "UPDATE enrollments SET step = 'completed', user_id = ?1, version = version + 1, \
         updated_at = ?2 WHERE id = ?3 AND version = ?4",
        params![
            c.user.id.to_string(),
            c.at,
            c.enrollment_id,
            c.expected_version
        ],
    )?;
    if claimed == 0 {
        return Err(if exists(conn, &c.enrollment_id)? {
            CONFLICT
        } else {
            NOT_FOUND
        });
    }
    // A taken username or citizen ID fails here; the writer then rolls back
    // the claim above with it (and so for the audit record).
    insert_user(conn, &c.user)?;
    insert_audit(conn, &c.audit)
}

fn exists(conn: &Connection, id: &str) -> Result<bool> {
    let found = first_row(
        conn,
        "SELECT 1 FROM enrollments WHERE id = ?1",
        params![id],
        |_| Ok(()),
    )?;
    Ok(found.is_some())
}
