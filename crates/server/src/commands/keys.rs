//! `pratu keys list|rotate`. Rotation writes new keys to the shared database;
//! every node re-reads the key table every `keys.reload_interval_seconds`,
//! publishes the new keys in JWKS at once and signs with them after
//! `keys.activation_delay_seconds`, so relying parties have fetched them
//! before they see a token signed by one.

use std::sync::Arc;

use pratu_core::audit::{self, AuditAction, Entry, Outcome};
use pratu_oidc::keys::KeyManager;
use pratu_storage::{Clock, SystemClock};
use serde_json::json;

use crate::cli::KeysCommand;
use crate::commands::{CommandError, open_store, print_json, print_line};
use crate::config::Config;

pub async fn run(config: &Config, command: KeysCommand) -> Result<(), CommandError> {
    let store = open_store(config).await?;
    store
        .migrate()
        .await
        .map_err(|source| CommandError::Database {
            url: pratu_storage::redact_url(&config.database_url()),
            source,
        })?;
    let secrets = config.secrets.load(&config.data_dir)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let manager = KeyManager::new(
        store.clone(),
        crate::wiring::key_encryption(&secrets),
        clock.clone(),
        config.keys.clone(),
        config.tokens.max_signed_token_lifetime_seconds(),
    );
    let fail = |e: pratu_oidc::keys::KeyError| {
        CommandError::Failed(format!("keys: {}", crate::wiring::error_chain(&e)))
    };
    match command {
        KeysCommand::List { json } => {
            manager.ensure_keys().await.map_err(fail)?;
            let keys = manager.list().await.map_err(fail)?;
            if json {
                print_json(&json!({ "keys": keys }));
            } else {
                for k in &keys {
                    print_line(&format!(
                        "{}\t{}\t{}\tactivates {}",
                        k.kid, k.alg, k.state, k.activates_at
                    ));
                }
            }
        }
        KeysCommand::Rotate => {
            let created = manager.rotate(None).await.map_err(fail)?;
            let kids: Vec<_> = created.iter().map(|k| k.kid.clone()).collect();
            let entry = Entry::new("cli", AuditAction::KeyRotated, Outcome::Success)
                .details(json!({ "kids": kids }));
            audit::record_in(store.as_ref(), clock.as_ref(), entry).await;
            for k in &created {
                print_line(&format!(
                    "new {} key {} published now, signs from {}",
                    k.alg, k.kid, k.activates_at
                ));
            }
        }
    }
    Ok(())
}
