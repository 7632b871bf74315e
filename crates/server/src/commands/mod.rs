//! One module per sub-command.

pub mod backup;
pub mod check_config;
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
        Some(url) => {
            let store =
                pratu_storage::ephemeral::redis::RedisStore::connect(url, &config.redis_prefix)
                    .await
                    .map_err(CommandError::Ephemeral)?;
            warn_unless_noeviction(&store).await;
            Arc::new(store)
        }
        None => Arc::new(pratu_storage::ephemeral::memory::MemoryStore::new(
            clock,
            config.ephemeral.max_entries,
        )),
    })
}

/// Warns when Redis may evict keys: revocations, lockouts and replay
/// markers live there, and must be refused (503) rather than dropped when
/// Redis is full (deploy/README.md, Redis).
async fn warn_unless_noeviction(store: &pratu_storage::ephemeral::redis::RedisStore) {
    match store.eviction_policy().await {
        Ok(Some(policy)) if policy == "noeviction" => {}
        Ok(Some(policy)) => tracing::warn!(
            maxmemory_policy = %policy,
            "Redis may evict security state when full (revoked tokens, lockouts): \
             set maxmemory-policy noeviction"
        ),
        Ok(None) => tracing::info!(
            "Redis does not tell its maxmemory-policy (CONFIG refused); \
             make sure it is noeviction"
        ),
        Err(e) => tracing::warn!(
            error = %e,
            "could not read Redis maxmemory-policy; make sure it is noeviction"
        ),
    }
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

/// Rows as text columns two spaces apart, each as wide as its widest cell
/// (the last column unpadded).
pub fn columns<'a, const N: usize>(rows: impl IntoIterator<Item = &'a [String; N]>) -> Vec<String> {
    let rows: Vec<&[String; N]> = rows.into_iter().collect();
    let mut widths = [0; N];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row.iter()) {
            *width = (*width).max(display_width(cell));
        }
    }
    rows.iter()
        .map(|row| {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                line.push_str(cell);
                if i + 1 < N {
                    let pad = widths[i] - display_width(cell) + 2;
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            line.trim_end().to_owned()
        })
        .collect()
}

/// Columns a terminal gives `text`: one per character, except Thai vowel
/// and tone marks written above or below the consonant before them (and
/// other combining marks), which take none — a Thai client name lines up.
fn display_width(text: &str) -> usize {
    text.chars()
        .filter(|c| {
            !matches!(c,
                '\u{0300}'..='\u{036F}' // combining diacritical marks
                | '\u{0E31}' | '\u{0E34}'..='\u{0E3A}' | '\u{0E47}'..='\u{0E4E}' // Thai
            )
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_with_thai_text() {
        let rows = [
            ["ID".to_owned(), "NAME".to_owned(), "URI".to_owned()],
            [
                "a1".to_owned(),
                "ระบบข้อมูลติดต่อ".to_owned(),
                "https://a/cb".to_owned(),
            ],
            ["b2-long".to_owned(), "INFO".to_owned(), String::new()],
        ];
        let lines = columns(&rows);
        assert_eq!(
            lines,
            [
                "ID       NAME          URI",
                "a1       ระบบข้อมูลติดต่อ  https://a/cb",
                "b2-long  INFO",
            ]
        );
    }
}
