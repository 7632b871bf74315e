//! Registered clients on SQLite.

use async_trait::async_trait;
use rusqlite::{Connection, ToSql, params, params_from_iter};
use sqlx::sqlite::SqliteRow;
use time::OffsetDateTime;

use super::SqliteStore;
use super::audit::insert_audit;
use super::row::{Columns, Reader, json, micros, opt_json};
use super::writer::execute;
use crate::error::{Result, StorageError};
use crate::records::{AuditEvent, Client, ClientStatus};
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

fn client_from_row(row: &SqliteRow) -> Result<Client> {
    let r = Reader::new(row, "clients");
    Ok(Client {
        client_id: r.text("client_id")?,
        secret_hash: r.get("secret_hash")?,
        client_name: r.text("client_name")?,
        redirect_uris: r.json("redirect_uris")?,
        post_logout_redirect_uris: r.json("post_logout_redirect_uris")?,
        grant_types: r.json("grant_types")?,
        response_types: r.json("response_types")?,
        scopes: r.json("scopes")?,
        token_endpoint_auth_method: r.parsed("token_endpoint_auth_method", |s| s.parse().ok())?,
        jwks: r.opt_json("jwks")?,
        jwks_uri: r.opt_text("jwks_uri")?,
        id_token_signed_response_alg: r.opt_text("id_token_signed_response_alg")?,
        subject_type: r.parsed("subject_type", |s| s.parse().ok())?,
        sector_identifier_uri: r.opt_text("sector_identifier_uri")?,
        backchannel_logout_uri: r.opt_text("backchannel_logout_uri")?,
        backchannel_logout_session_required: r.bool("backchannel_logout_session_required")?,
        first_party: r.bool("first_party")?,
        allow_citizen_id: r.bool("allow_citizen_id")?,
        status: r.parsed("status", names::parse_client_status)?,
        extra: r.json("extra")?,
        created_at: r.time("created_at")?,
        updated_at: r.time("updated_at")?,
        default_acr_values: r.json("default_acr_values")?,
    })
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
impl ClientRepo for SqliteStore {
    #[tracing::instrument(name = "db.clients.create_client", skip_all, fields(db.system = "sqlite"))]
    async fn create_client(&self, c: &Client) -> Result<()> {
        self.write(c.clone(), insert_client).await
    }

    #[tracing::instrument(name = "db.clients.client_by_id", skip_all, fields(db.system = "sqlite"))]
    async fn client_by_id(&self, client_id: &str) -> Result<Option<Client>> {
        let row = sqlx::query(select!("WHERE client_id = ?1"))
            .bind(client_id)
            .fetch_optional(&self.reader)
            .await
            .map_err(classify)?;
        row.as_ref().map(client_from_row).transpose()
    }

    #[tracing::instrument(name = "db.clients.list_clients", skip_all, fields(db.system = "sqlite"))]
    async fn list_clients(&self, limit: u32, offset: u32) -> Result<Vec<Client>> {
        let rows = sqlx::query(select!("ORDER BY client_id LIMIT ?1 OFFSET ?2"))
            .bind(i64::from(limit))
            .bind(i64::from(offset))
            .fetch_all(&self.reader)
            .await
            .map_err(classify)?;
        rows.iter().map(client_from_row).collect()
    }

    #[tracing::instrument(name = "db.clients.update_client", skip_all, fields(db.system = "sqlite"))]
    async fn update_client(&self, c: &Client) -> Result<()> {
        self.write(c.clone(), update_client).await
    }

    #[tracing::instrument(name = "db.clients.set_client_secret", skip_all, fields(db.system = "sqlite"))]
    async fn set_client_secret(
        &self,
        client_id: &str,
        secret_hash: Option<&[u8]>,
        at: OffsetDateTime,
    ) -> Result<()> {
        let data = (
            secret_hash.map(<[u8]>::to_vec),
            micros(at),
            client_id.to_owned(),
        );
        self.write(data, |conn, (secret_hash, at, client_id)| {
            found(execute(
                conn,
                "UPDATE clients SET secret_hash = ?1, updated_at = ?2 WHERE client_id = ?3",
                params![secret_hash, at, client_id],
            )?)
        })
        .await
    }

    #[tracing::instrument(name = "db.clients.set_client_status", skip_all, fields(db.system = "sqlite"))]
    async fn set_client_status(
        &self,
        client_id: &str,
        status: ClientStatus,
        at: OffsetDateTime,
    ) -> Result<()> {
        let data = (
            names::client_status(status),
            micros(at),
            client_id.to_owned(),
        );
        self.write(data, |conn, (status, at, client_id)| {
            found(execute(
                conn,
                "UPDATE clients SET status = ?1, updated_at = ?2 WHERE client_id = ?3",
                params![status, at, client_id],
            )?)
        })
        .await
    }

    #[tracing::instrument(name = "db.clients.delete_client", skip_all, fields(db.system = "sqlite"))]
    async fn delete_client(&self, client_id: &str) -> Result<bool> {
        // Consents and refresh tokens go with it (ON DELETE CASCADE).
        self.write(client_id.to_owned(), |conn, client_id| {
            let deleted = execute(
                conn,
                "DELETE FROM clients WHERE client_id = ?1",
                params![client_id],
            )?;
            Ok(deleted > 0)
        })
        .await
    }

    #[tracing::instrument(name = "db.clients.delete_client_with_audit", skip_all, fields(db.system = "sqlite"))]
    async fn delete_client_with_audit(&self, client_id: &str, audit: &AuditEvent) -> Result<()> {
        // One request on the writer: should the audit insert fail after the
        // delete, the writer rolls back both (see `writer/mod.rs`).
        let data = (client_id.to_owned(), audit.clone());
        self.write(data, |conn, (client_id, audit)| {
            found(execute(
                conn,
                "DELETE FROM clients WHERE client_id = ?1",
                params![client_id],
            )?)?;
            insert_audit(conn, audit)
        })
        .await
    }
}

fn insert_client(conn: &Connection, c: &Client) -> Result<()> {
    let mut values = client_params(c)?;
    values.push(Box::new(micros(c.created_at)));
    execute(
        conn,
        "INSERT INTO clients (client_id, secret_hash, client_name, redirect_uris, \
         post_logout_redirect_uris, grant_types, response_types, scopes, \
         token_endpoint_auth_method, jwks, jwks_uri, id_token_signed_response_alg, \
         subject_type, sector_identifier_uri, backchannel_logout_uri, \
         backchannel_logout_session_required, first_party, allow_citizen_id, status, extra, \
         updated_at, default_acr_values, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, \
         ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
        params_from_iter(values),
    )?;
    Ok(())
}

fn update_client(conn: &Connection, c: &Client) -> Result<()> {
    found(execute(
        conn,
        "UPDATE clients SET secret_hash = ?2, client_name = ?3, redirect_uris = ?4, \
         post_logout_redirect_uris = ?5, grant_types = ?6, response_types = ?7, scopes = ?8, \
         token_endpoint_auth_method = ?9, jwks = ?10, jwks_uri = ?11, \
         id_token_signed_response_alg = ?12, subject_type = ?13, sector_identifier_uri = ?14, \
         backchannel_logout_uri = ?15, backchannel_logout_session_required = ?16, \
         first_party = ?17, allow_citizen_id = ?18, status = ?19, extra = ?20, \
         updated_at = ?21, default_acr_values = ?22 WHERE client_id = ?1",
        params_from_iter(client_params(c)?),
    )?)
}

/// `?1` … `?22`: `client_id`, every column of the first migration in table
/// order, `updated_at`, then the columns added later (`default_acr_values`).
fn client_params(c: &Client) -> Result<Vec<Box<dyn ToSql>>> {
    Ok(vec![
        Box::new(c.client_id.clone()),
        Box::new(c.secret_hash.clone()),
        Box::new(c.client_name.clone()),
        Box::new(json(&c.redirect_uris)?),
        Box::new(json(&c.post_logout_redirect_uris)?),
        Box::new(json(&c.grant_types)?),
        Box::new(json(&c.response_types)?),
        Box::new(json(&c.scopes)?),
        Box::new(c.token_endpoint_auth_method.as_str()),
        Box::new(opt_json(c.jwks.as_ref())?),
        Box::new(c.jwks_uri.clone()),
        Box::new(c.id_token_signed_response_alg.clone()),
        Box::new(c.subject_type.as_str()),
        Box::new(c.sector_identifier_uri.clone()),
        Box::new(c.backchannel_logout_uri.clone()),
        Box::new(c.backchannel_logout_session_required),
        Box::new(c.first_party),
        Box::new(c.allow_citizen_id),
        Box::new(names::client_status(c.status)),
        Box::new(json(&c.extra)?),
        Box::new(micros(c.updated_at)),
        Box::new(json(&c.default_acr_values)?),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PoolOptions;
    use crate::repo::Store as _;
    use crate::testing::fixtures::client;

    /// A protocol value Pratu does not know (written by hand, or by a
    /// newer release) makes the row unreadable, naming the column, rather
    /// than reaching a protocol endpoint as something else.
    #[tokio::test]
    async fn an_unknown_protocol_value_is_an_inconsistent_row() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open_path(&dir.path().join("p.db"), &PoolOptions::default())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        for (column, value) in [
            ("grant_types", r#"["authorization_code","implicit"]"#),
            ("token_endpoint_auth_method", "client_secret_jwt"),
            ("subject_type", "secret"),
        ] {
            store.create_client(&client("rp")).await.unwrap();
            assert_eq!(store.client_by_id("rp").await.unwrap(), Some(client("rp")));
            let sql = format!("UPDATE clients SET {column} = ?1 WHERE client_id = 'rp'");
            store
                .write((sql, value), |conn, (sql, value)| {
                    execute(conn, sql, params![value]).map(|_| ())
                })
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
