//! Remembered consents on PostgreSQL.

use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::PgPool;
use sqlx::postgres::PgRow;
use time::OffsetDateTime;
use uuid::Uuid;

use super::PgStore;
use super::audit::insert_audit;
use super::batch::{Job, column};
use super::row::Reader;
use crate::error::{Result, StorageError};
use crate::records::{AuditEvent, Consent};
use crate::repo::{ConsentRepo, WithdrawOutcome};
use crate::sql::classify;

/// Inserts or replaces `c` on `conn`: the pool, or a unit of work's
/// transaction.
async fn upsert_consent<'c, E>(conn: E, c: &Consent) -> Result<()>
where
    E: sqlx::Executor<'c, Database = sqlx::Postgres>,
{
    sqlx::query(
        "INSERT INTO consents (user_id, client_id, scopes, granted_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, \
         granted_at = excluded.granted_at",
    )
    .bind(c.user_id)
    .bind(&c.client_id)
    .bind(&c.scopes)
    .bind(c.granted_at)
    .execute(conn)
    .await
    .map_err(classify)?;
    Ok(())
}

fn consent_from_row(row: &PgRow) -> Result<Consent> {
    let r = Reader::new(row, "consents");
    Ok(Consent {
        user_id: r.get("user_id")?,
        client_id: r.get("client_id")?,
        scopes: r.get("scopes")?,
        granted_at: r.get("granted_at")?,
    })
}

/// A consent read, as a [`Job`]: every authorization request of a
/// third-party client reads one, and under load those reads go to the
/// database together (see `batch`).
pub(super) struct ConsentReads;

#[async_trait]
impl Job for ConsentReads {
    type Input = (Uuid, String);
    type Output = Option<Consent>;

    async fn many(&self, pool: &PgPool, keys: &[(Uuid, String)]) -> Result<Vec<Option<Consent>>> {
        let rows = sqlx::query(
            "SELECT c.user_id, c.client_id, c.scopes, c.granted_at FROM consents c \
             JOIN unnest($1::uuid[], $2::text[]) AS i(user_id, client_id) \
             ON c.user_id = i.user_id AND c.client_id = i.client_id",
        )
        .bind(column(keys, |(u, _)| *u))
        .bind(column(keys, |(_, c)| c.as_str()))
        .fetch_all(pool)
        .await
        .map_err(classify)?;
        let mut found = HashMap::with_capacity(rows.len());
        for row in &rows {
            let c = consent_from_row(row)?;
            found.insert((c.user_id, c.client_id.clone()), c);
        }
        Ok(keys.iter().map(|k| found.get(k).cloned()).collect())
    }

    async fn one(
        &self,
        pool: &PgPool,
        (user_id, client_id): &(Uuid, String),
    ) -> Result<Option<Consent>> {
        let row = sqlx::query(
            "SELECT user_id, client_id, scopes, granted_at FROM consents \
             WHERE user_id = $1 AND client_id = $2",
        )
        .bind(user_id)
        .bind(client_id)
        .fetch_optional(pool)
        .await
        .map_err(classify)?;
        row.as_ref().map(consent_from_row).transpose()
    }
}

#[async_trait]
impl ConsentRepo for PgStore {
    #[tracing::instrument(name = "db.consents.put_consent", skip_all, fields(db.system = "postgresql"))]
    async fn put_consent(&self, c: &Consent) -> Result<()> {
        upsert_consent(&self.pool, c).await
    }

    #[tracing::instrument(name = "db.consents.grant_consent", skip_all, fields(db.system = "postgresql"))]
    async fn grant_consent(&self, c: &Consent, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.begin().await?;
        upsert_consent(&mut *tx, c).await?;
        // A refused audit row fails here; dropping `tx` undoes the consent.
        insert_audit(&mut *tx, audit).await?;
        tx.commit().await.map_err(classify)
    }

    #[tracing::instrument(name = "db.consents.consent", skip_all, fields(db.system = "postgresql"))]
    async fn consent(&self, user_id: Uuid, client_id: &str) -> Result<Option<Consent>> {
        self.consent_reads
            .submit((user_id, client_id.to_owned()))
            .await
    }

    #[tracing::instrument(name = "db.consents.consents_of_user", skip_all, fields(db.system = "postgresql"))]
    async fn consents_of_user(&self, user_id: Uuid) -> Result<Vec<Consent>> {
        let rows = sqlx::query(
            "SELECT user_id, client_id, scopes, granted_at FROM consents \
             WHERE user_id = $1 ORDER BY granted_at DESC, client_id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await
        .map_err(classify)?;
        rows.iter().map(consent_from_row).collect()
    }

    #[tracing::instrument(name = "db.consents.revoke_consent", skip_all, fields(db.system = "postgresql"))]
    async fn revoke_consent(&self, user_id: Uuid, client_id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM consents WHERE user_id = $1 AND client_id = $2")
            .bind(user_id)
            .bind(client_id)
            .execute(&self.pool)
            .await
            .map_err(classify)?;
        Ok(done.rows_affected() > 0)
    }

    #[tracing::instrument(name = "db.consents.withdraw_consent", skip_all, fields(db.system = "postgresql"))]
    async fn withdraw_consent(
        &self,
        user_id: Uuid,
        client_id: &str,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<WithdrawOutcome> {
        let mut tx = self.begin().await?;
        let user = sqlx::query("SELECT 1 FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(classify)?;
        if user.is_none() {
            return Err(StorageError::NotFound { what: "user" });
        }
        let deleted = sqlx::query("DELETE FROM consents WHERE user_id = $1 AND client_id = $2")
            .bind(user_id)
            .bind(client_id)
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
        let revoked = sqlx::query(
            "UPDATE refresh_families SET revoked_at = $1 \
             WHERE user_id = $2 AND client_id = $3 AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(user_id)
        .bind(client_id)
        .execute(&mut *tx)
        .await
        .map_err(classify)?;
        // A refused audit row fails here; dropping `tx` undoes the rest.
        insert_audit(&mut *tx, audit).await?;
        tx.commit().await.map_err(classify)?;
        Ok(WithdrawOutcome {
            consent_revoked: deleted.rows_affected() > 0,
            refresh_tokens_revoked: revoked.rows_affected(),
        })
    }
}

#[cfg(test)]
mod tests {
    //! The batched read itself (a failing batch would fall back to one
    //! statement per key, hiding it from every other test).

    use super::*;
    use crate::repo::{ClientRepo, UserRepo};
    use crate::testing::fixtures::{client, t0, user};
    use crate::testing::{Must, pg_store_from_env};

    #[tokio::test]
    async fn a_batch_of_keys_reads_each_consent_in_input_order() {
        let Some((store, _guard)) = pg_store_from_env().await else {
            return;
        };
        let u = user("somchai");
        store.create_user(&u).await.must("user");
        for c in ["rp1", "rp2"] {
            store.create_client(&client(c)).await.must("client");
        }
        let consent = Consent {
            user_id: u.id,
            client_id: "rp2".to_owned(),
            scopes: vec!["openid".to_owned(), "phone".to_owned()],
            granted_at: t0(),
        };
        store.put_consent(&consent).await.must("consent");
        let key = |c: &str| (u.id, c.to_owned());
        let read = ConsentReads
            .many(
                &store.pool,
                &[key("rp1"), key("rp2"), (Uuid::new_v4(), "rp2".to_owned())],
            )
            .await
            .must("batched read");
        assert_eq!(read, [None, Some(consent), None]);
    }
}
