//! One module per sub-command.

pub mod client;
pub mod keys;
pub mod migrate;
pub mod serve;
pub mod user;

use std::sync::Arc;

use pratu_storage::Store;
use pratu_storage::ephemeral::EphemeralStore;

use crate::config::Config;

/// Errors a command reports before exiting non-zero.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("database ({url}): {source}")]
    Database {
        url: String,
        #[source]
        source: pratu_storage::StorageError,
    },
    #[error("ephemeral store: {0}")]
    Ephemeral(#[source] pratu_storage::StorageError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Failed(String),
}

/// Opens the relational store (no migration).
pub async fn open_store(config: &Config) -> Result<Arc<dyn Store>, CommandError> {
    let url = config.database_url();
    if url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            CommandError::Failed(format!(
                "cannot create data_dir {}: {e}",
                config.data_dir.display()
            ))
        })?;
    }
    let opts = pratu_storage::PoolOptions {
        max_connections: config.database.max_connections,
        acquire_timeout: std::time::Duration::from_secs(config.database.acquire_timeout_seconds),
    };
    pratu_storage::open(&url, &opts)
        .await
        .map_err(|source| CommandError::Database {
            url: pratu_storage::redact_url(&url),
            source,
        })
}

pub async fn open_ephemeral(
    config: &Config,
    clock: Arc<dyn pratu_storage::Clock>,
) -> Result<Arc<dyn EphemeralStore>, CommandError> {
    Ok(match &config.redis_url {
        Some(url) => Arc::new(
            pratu_storage::ephemeral::redis::RedisStore::connect(url, &config.redis_prefix)
                .await
                .map_err(CommandError::Ephemeral)?,
        ),
        None => Arc::new(pratu_storage::ephemeral::memory::MemoryStore::new(
            clock,
            config.ephemeral.max_entries,
        )),
    })
}

/// Commands print results on stdout (scripts read them) and logs on stderr.
#[expect(clippy::print_stdout, reason = "command output goes to stdout")]
pub fn print_line(line: &str) {
    println!("{line}");
}

#[expect(clippy::print_stdout, reason = "command output goes to stdout")]
pub fn print_json(value: &serde_json::Value) {
    println!("{value}");
}
