//! Remembered consents on PostgreSQL.

use async_trait::async_trait;
use sqlx::postgres::PgRow;
use uuid::Uuid;

use super::PgStore;
use super::row::Reader;
use crate::error::Result;
use crate::records::Consent;
use crate::repo::ConsentRepo;
use crate::sql::classify;

fn consent_from_row(row: &PgRow) -> Result<Consent> {
    let r = Reader::new(row, "consents");
    Ok(Consent {
        user_id: r.get("user_id")?,
        client_id: r.get("client_id")?,
        scopes: r.get("scopes")?,
        granted_at: r.get("granted_at")?,
    })
}

#[async_trait]
impl ConsentRepo for PgStore {
    #[tracing::instrument(name = "db.consents.put_consent", skip_all, fields(db.system = "postgresql"))]
    async fn put_consent(&self, c: &Consent) -> Result<()> {
        sqlx::query(
            "INSERT INTO consents (user_id, client_id, scopes, granted_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = excluded.scopes, \
             granted_at = excluded.granted_at",
        )
        .bind(c.user_id)
        .bind(&c.client_id)
        .bind(&c.scopes)
        .bind(c.granted_at)
        .execute(&self.pool)
        .await
        .map_err(classify)?;
        Ok(())
    }

    #[tracing::instrument(name = "db.consents.consent", skip_all, fields(db.system = "postgresql"))]
    async fn consent(&self, user_id: Uuid, client_id: &str) -> Result<Option<Consent>> {
        let row = sqlx::query(
            "SELECT user_id, client_id, scopes, granted_at FROM consents \
             WHERE user_id = $1 AND client_id = $2",
        )
        .bind(user_id)
        .bind(client_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(classify)?;
        row.as_ref().map(consent_from_row).transpose()
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
}
