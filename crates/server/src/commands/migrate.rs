//! `pratu migrate`: apply migrations and exit.

use crate::commands::{CommandError, open_store};
use crate::config::Config;

pub async fn run(config: &Config) -> Result<(), CommandError> {
    let store = open_store(config).await?;
    store
        .migrate()
        .await
        .map_err(|source| CommandError::Database {
            url: pratu_storage::redact_url(&config.database_url()),
            source,
        })?;
    tracing::info!(backend = store.backend(), "migrations applied");
    Ok(())
}
