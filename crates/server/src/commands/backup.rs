//! `pratu backup --to FILE`: a consistent, online backup of the relational
//! store, the one thing Pratu holds that cannot be lost (Redis holds only
//! what may be: sessions, codes, counters). The four secret keys are backed
//! up apart from it (deploy/README.md, "Backups").

use std::path::Path;

use crate::commands::{CommandError, open_store};
use crate::config::Config;

pub async fn run(config: &Config, to: &Path) -> Result<(), CommandError> {
    if to.exists() {
        return Err(CommandError::Failed(format!(
            "{} exists; a backup never overwrites a file",
            to.display()
        )));
    }
    let url = config.database_url();
    if url.starts_with("sqlite:") {
        let store = open_store(config).await?;
        store
            .backup_into(to)
            .await
            .map_err(|source| CommandError::Database {
                url: pratu_storage::redact_url(&url),
                source,
            })?;
    } else {
        pg_dump(&url, to).await?;
    }
    let bytes = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
    crate::commands::print_line(&format!(
        "backup written to {} ({bytes} bytes)",
        to.display()
    ));
    Ok(())
}

/// PostgreSQL's own tool, in its custom format (restored with
/// `pg_restore`): one snapshot of every table, taken without blocking the
/// nodes. A password in the URL goes through the environment
/// (`PGPASSWORD`), not the command line other users can read.
async fn pg_dump(url: &str, to: &Path) -> Result<(), CommandError> {
    let mut dbname = url::Url::parse(url)
        .map_err(|_| CommandError::Failed("database_url is not a valid URL".to_owned()))?;
    let password = dbname.password().map(str::to_owned);
    // Setting an empty password on a URL without one cannot fail.
    let _ = dbname.set_password(None);
    let mut cmd = tokio::process::Command::new("pg_dump");
    cmd.arg("--format=custom")
        .arg("--no-owner")
        .arg("--file")
        .arg(to)
        .arg("--dbname")
        .arg(dbname.as_str());
    if let Some(p) = password {
        let p = percent_encoding::percent_decode_str(&p).decode_utf8_lossy();
        cmd.env("PGPASSWORD", p.as_ref());
    }
    let status = cmd.status().await.map_err(|e| {
        CommandError::Failed(format!(
            "cannot run pg_dump (install the PostgreSQL client tools): {e}"
        ))
    })?;
    if !status.success() {
        // pg_dump said why on stderr; leave no partial file behind.
        if to.exists() {
            std::fs::remove_file(to).map_err(|e| {
                CommandError::Failed(format!(
                    "pg_dump failed; cannot remove {}: {e}",
                    to.display()
                ))
            })?;
        }
        return Err(CommandError::Failed(format!("pg_dump failed ({status})")));
    }
    Ok(())
}
