//! Registered clients on PostgreSQL.

use async_trait::async_trait;
use sqlx::postgres::PgRow;
use time::OffsetDateTime;

use super::PgStore;
use super::audit::insert_audit;
use super::row::{Reader, json, opt_json};
use crate::error::{Result, StorageError};
use crate::records::{AuditEvent, Client, ClientStatus, GrantType};
use crate::repo::ClientRepo;
use crate::sql::{classify, names};

/// `SELECT <every column> FROM clients` followed by the given clause.
macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT client_id, secret_hash, client_name, redirect_uris, ",
            "post_logout_redirect_uris, grant_types, response_types, scopes, ",
            "token_endpoint_auth_method, jwks, jwks_uri, id_token_signed_response_alg, ",
            "subject_type, sector_identifier_uri, backchannel_logout_uri, ",
            "backchannel_logout_session_required, first_party, allow_citizen_id, status, extra, ",
            "created_at, updated_at, default_acr_values FROM clients ",
            $rest
        )
    };
}

fn client_from_row(row: &PgRow) -> Result<Client> {
    let r = Reader::new(row, "clients");
    Ok(Client {
        client_id: r.get("client_id")?,
        secret_hash: r.get("secret_hash")?,
        client_name: r.get("client_name")?,
        redirect_uris: r.get("redirect_uris")?,
        post_logout_redirect_uris: r.get("post_logout_redirect_uris")?,
        grant_types: r.parsed_list("grant_types", |s| s.parse().ok())?,
        response_types: r.get("response_types")?,
        scopes: r.get("scopes")?,
        token_endpoint_auth_method: r.parsed("token_endpoint_auth_method", |s| s.parse().ok())?,
        jwks: r.opt_json("jwks")?,
        jwks_uri: r.get("jwks_uri")?,
        id_token_signed_response_alg: r.get("id_token_signed_response_alg")?,
        subject_type: r.parsed("subject_type", |s| s.parse().ok())?,
        sector_identifier_uri: r.get("sector_identifier_uri")?,
        backchannel_logout_uri: r.get("backchannel_logout_uri")?,
        backchannel_logout_session_required: r.get("backchannel_logout_session_required")?,
        first_party: r.get("first_party")?,
        allow_citizen_id: r.get("allow_citizen_id")?,
        status: r.parsed("status", names::parse_client_status)?,
        extra: r.json("extra")?,
        created_at: r.get("created_at")?,
        updated_at: r.get("updated_at")?,
        default_acr_values: r.get("default_acr_values")?,
    })
}

/// The `text[]` of a client's grant types: their RFC names.
fn grant_names(grants: &[GrantType]) -> Vec<&'static str> {
    grants.iter().map(|g| g.as_str()).collect()
}

const NOT_FOUND: StorageError = StorageError::NotFound { what: "client" };

fn found(rows_affected: u64) -> Result<()> {
    if rows_affected == 0 {
        Err(NOT_FOUND)
    } else {
        Ok(())
    }
}

#[async_trait]
impl ClientRepo for PgStore {
    #[tracing::instrument(name = "db.clients.create_client", skip_all, fields(db.system = "postgresql"))]
    async fn create_client(&self, c: &Client) -> Result<()> {
        sqlx::query(
            "INSERT INTO clients (client_id, secret_hash, client_name, redirect_uris, \
             post_logout_redirect_uris, grant_types, response_types, scopes, \
             token_endpoint_auth_method, jwks, jwks_uri, id_token_signed_response_alg, \
             subject_type, sector_identifier_uri, backchannel_logout_uri, \
             backchannel_logout_session_required, first_party, allow_citizen_id, status, extra, \
             created_at, updated_at, default_acr_values) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
             $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)",
        )
        .bind(&c.client_id)
        .bind(c.secret_hash.as_deref())
        .bind(&c.client_name)
        .bind(&c.redirect_uris)
        .bind(&c.post_logout_redirect_uris)
        .bind(grant_names(&c.grant_types))
        .bind(&c.response_types)
        .bind(&c.scopes)
        .bind(c.token_endpoint_auth_method.as_str())
        .bind(opt_json(c.jwks.as_ref())?)
        .bind(&c.jwks_uri)
        .bind(&c.id_token_signed_response_alg)
        .bind(c.subject_type.as_str())
        .bind(&c.sector_identifier_uri)
        .bind(&c.backchannel_logout_uri)
        .bind(c.backchannel_logout_session_required)
        .bind(c.first_party)
        .bind(c.allow_citizen_id)
        .bind(names::client_status(c.status))
        .bind(json(&c.extra)?)
        .bind(c.created_at)
        .bind(c.updated_at)
        .bind(&c.default_acr_values)
        .execute(&self.pool)
        .await
        .map_err(classify)?;
        Ok(())
    }

    #[tracing::instrument(name = "db.clients.client_by_id", skip_all, fields(db.system = "postgresql"))]
    async fn client_by_id(&self, client_id: &str) -> Result<Option<Client>> {
        let row = sqlx::query(select!("WHERE client_id = $1"))
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(classify)?;
        row.as_ref().map(client_from_row).transpose()
    }

    #[tracing::instrument(name = "db.clients.list_clients", skip_all, fields(db.system = "postgresql"))]
    async fn list_clients(&self, limit: u32, offset: u32) -> Result<Vec<Client>> {
        let rows = sqlx::query(select!("ORDER BY client_id LIMIT $1 OFFSET $2"))
            .bind(i64::from(limit))
            .bind(i64::from(offset))
            .fetch_all(&self.pool)
            .await
            .map_err(classify)?;
        rows.iter().map(client_from_row).collect()
    }

    #[tracing::instrument(name = "db.clients.update_client", skip_all, fields(db.system = "postgresql"))]
    async fn update_client(&self, c: &Client) -> Result<()> {
        let done = sqlx::query(
            "UPDATE clients SET secret_hash = $2, client_name = $3, redirect_uris = $4, \
             post_logout_redirect_uris = $5, grant_types = $6, response_types = $7, scopes = $8, \
             token_endpoint_auth_method = $9, jwks = $10, jwks_uri = $11, \
             id_token_signed_response_alg = $12, subject_type = $13, sector_identifier_uri = $14, \
             backchannel_logout_uri = $15, backchannel_logout_session_required = $16, \
             first_party = $17, allow_citizen_id = $18, status = $19, extra = $20, \
             updated_at = $21, default_acr_values = $22 WHERE client_id = $1",
        )
        .bind(&c.client_id)
        .bind(c.secret_hash.as_deref())
        .bind(&c.client_name)
        .bind(&c.redirect_uris)
        .bind(&c.post_logout_redirect_uris)
        .bind(grant_names(&c.grant_types))
        .bind(&c.response_types)
        .bind(&c.scopes)
        .bind(c.token_endpoint_auth_method.as_str())
        .bind(opt_json(c.jwks.as_ref())?)
        .bind(&c.jwks_uri)
        .bind(&c.id_token_signed_response_alg)
        .bind(c.subject_type.as_str())
        .bind(&c.sector_identifier_uri)
        .bind(&c.backchannel_logout_uri)
        .bind(c.backchannel_logout_session_required)
        .bind(c.first_party)
        .bind(c.allow_citizen_id)
        .bind(names::client_status(c.status))
        .bind(json(&c.extra)?)
        .bind(c.updated_at)
        .bind(&c.default_acr_values)
        .execute(&self.pool)
        .await
        .map_err(classify)?;
        found(done.rows_affected())
    }

    #[tracing::instrument(name = "db.clients.set_client_secret", skip_all, fields(db.system = "postgresql"))]
    async fn set_client_secret(
        &self,
        client_id: &str,
        secret_hash: Option<&[u8]>,
        at: OffsetDateTime,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE clients SET secret_hash = $1, updated_at = $2 WHERE client_id = $3",
        )
        .bind(secret_hash)
        .bind(at)
        .bind(client_id)
        .execute(&self.pool)
        .await
        .map_err(classify)?;
        found(done.rows_affected())
    }

    #[tracing::instrument(name = "db.clients.set_client_status", skip_all, fields(db.system = "postgresql"))]
    async fn set_client_status(
        &self,
        client_id: &str,
        status: ClientStatus,
        at: OffsetDateTime,
    ) -> Result<()> {
        let done =
            sqlx::query("UPDATE clients SET status = $1, updated_at = $2 WHERE client_id = $3")
                .bind(names::client_status(status))
                .bind(at)
                .bind(client_id)
                .execute(&self.pool)
                .await
                .map_err(classify)?;
        found(done.rows_affected())
    }

    #[tracing::instrument(name = "db.clients.delete_client", skip_all, fields(db.system = "postgresql"))]
    async fn delete_client(&self, client_id: &str) -> Result<bool> {
        // Consents and refresh tokens go with it (ON DELETE CASCADE).
        let done = sqlx::query("DELETE FROM clients WHERE client_id = $1")
            .bind(client_id)
            .execute(&self.pool)
            .await
            .map_err(classify)?;
        Ok(done.rows_affected() > 0)
    }

    #[tracing::instrument(name = "db.clients.delete_client_with_audit", skip_all, fields(db.system = "postgresql"))]
    async fn delete_client_with_audit(&self, client_id: &str, audit: &AuditEvent) -> Result<()> {
        let mut tx = self.begin().await?;
        // Consents and refresh tokens go with it (ON DELETE CASCADE).
        let done = sqlx::query("DELETE FROM clients WHERE client_id = $1")
            .bind(client_id)
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
        if done.rows_affected() == 0 {
            return Err(StorageError::NotFound { what: "client" });
        }
        // A refused audit row fails here; dropping `tx` brings the client
        // back with its consents and tokens.
        insert_audit(&mut *tx, audit).await?;
        tx.commit().await.map_err(classify)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::fixtures::client;
    use crate::testing::pg_store_from_env;

    /// As on SQLite: a protocol value Pratu does not know makes the row
    /// unreadable, naming the column.
    #[tokio::test]
    async fn an_unknown_protocol_value_is_an_inconsistent_row() {
        let Some((store, _guard)) = pg_store_from_env().await else {
            return;
        };
        for (column, value) in [
            ("grant_types", "{authorization_code,implicit}"),
            ("token_endpoint_auth_method", "client_secret_jwt"),
            ("subject_type", "secret"),
        ] {
            store.create_client(&client("rp")).await.unwrap();
            assert_eq!(store.client_by_id("rp").await.unwrap(), Some(client("rp")));
            let cast = if column == "grant_types" {
                "::text[]"
            } else {
                ""
            };
            sqlx::query(&format!(
                "UPDATE clients SET {column} = $1{cast} WHERE client_id = 'rp'"
            ))
            .bind(value)
            .execute(&store.pool)
            .await
            .unwrap();
            let e = store.client_by_id("rp").await.unwrap_err();
            assert!(
                matches!(e, StorageError::InconsistentRow { table: "clients", column: c } if c == column),
                "{column}: {e:?}"
            );
            assert!(store.delete_client("rp").await.unwrap());
        }
    }
}
