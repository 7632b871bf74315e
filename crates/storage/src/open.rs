//! Choosing and opening the relational backend from a database URL, once at
//! startup; and printing such a URL without its password.

use std::sync::Arc;
use std::time::Duration;

use crate::error::{Result, StorageError};
use crate::postgres::PgStore;
use crate::repo::Store;
use crate::sqlite::SqliteStore;

/// Connection-pool settings for either backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolOptions {
    /// PostgreSQL: the pool size. SQLite: the number of read connections
    /// (writes always go through one connection).
    pub max_connections: u32,
    /// How long a query waits for a free connection before failing.
    pub acquire_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// Opens the store `url` names: `sqlite:…` (the file and its directory are
/// created if missing) or `postgres://…` / `postgresql://…`. Does not
/// migrate: call [`Store::migrate`] (the server at start, `pratu migrate`).
pub async fn open(url: &str, opts: &PoolOptions) -> Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open(url, opts).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect(url, opts).await?))
    } else {
        Err(StorageError::unhandled(UnsupportedUrl {
            scheme: url.split_once(':').map_or("", |(s, _)| s).to_owned(),
        }))
    }
}

#[derive(Debug, thiserror::Error)]
#[error(
    "unsupported database URL scheme {scheme:?}: expected sqlite:, postgres:// or postgresql://"
)]
struct UnsupportedUrl {
    scheme: String,
}

/// `url` with any password replaced by `***`, for logs and error messages:
/// `postgres://pratu:***@db:5432/pratu`. Query parameters named `password`
/// are hidden too.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        // `sqlite:pratu.db` and the like carry no credentials.
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_url_hides_the_password_and_keeps_the_rest() {
        assert_eq!(
            redact_url("postgres://pratu:s3cr%40t@db.internal:5432/pratu?sslmode=require"),
            "postgres://pratu:***@db.internal:5432/pratu?sslmode=require"
        );
        assert_eq!(
            redact_url("redis://:hunter2@127.0.0.1:6379/0"),
            "redis://:***@127.0.0.1:6379/0"
        );
    }

    #[test]
    fn redact_url_hides_a_password_query_parameter() {
        assert_eq!(
            redact_url("postgres://db/pratu?user=pratu&password=hunter2"),
            "postgres://db/pratu?user=pratu&password=***"
        );
    }

    #[test]
    fn redact_url_leaves_urls_without_credentials_alone() {
        for url in [
            "sqlite:///var/lib/pratu/pratu.db?mode=rwc",
            "sqlite://./data/pratu.db",
            "postgres://postgres@127.0.0.1:5432/test",
            "redis://127.0.0.1:6379",
        ] {
            assert_eq!(redact_url(url), url);
        }
    }

    #[tokio::test]
    async fn open_refuses_an_unknown_scheme() {
        let err = open("mysql://db/pratu", &PoolOptions::default())
            .await
            .unwrap_err();
        let cause = std::error::Error::source(&err).unwrap().to_string();
        assert!(cause.contains("\"mysql\""), "{cause}");
    }
}
