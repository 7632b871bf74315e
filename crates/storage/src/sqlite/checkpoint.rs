//! A background checkpointer: copies the WAL into the database file off the
//! writer thread.
//!
//! In WAL mode with `synchronous = NORMAL`, commits append to the WAL without
//! an fsync; the fsyncs come with the checkpoint, which the writer runs
//! itself after a commit once the WAL holds `wal_autocheckpoint` pages.
//! Measured under refresh load, that checkpoint stopped the writer — and so
//! every write of the node — for ~180 ms every few seconds (two fsyncs of
//! ~90 ms, the WAL's and the database's): the refresh p99 was ~115 ms for a
//! p50 of ~6 ms. This thread runs `PRAGMA wal_checkpoint(PASSIVE)` on a
//! connection of its own a few times a second instead: a passive checkpoint
//! never blocks the writer or the readers, so the fsyncs and the copying
//! happen beside the writes. The writer's own checkpoint stays, now finding
//! nearly everything copied already: it remains the one that lets the next
//! write restart the WAL from its beginning (only a checkpoint that ends
//! with nothing left to copy does, and under constant writes only the
//! writer can see that moment), so the WAL file stays bounded.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::BUSY_TIMEOUT;

/// How often the WAL is copied. Short enough that the writer's checkpoint
/// finds little left; each pass with nothing new costs a few system calls.
const INTERVAL: Duration = Duration::from_millis(250);

/// Stops the thread when the last store handle holding it is dropped.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    _stop: Sender<()>,
}

impl Checkpointer {
    /// Starts the thread for the database file at `path` (already created
    /// and in WAL mode by the writer). `None` if no thread can be started:
    /// the writer's own checkpoints still run.
    pub(crate) fn start(path: &Path) -> Option<Self> {
        let (stop, stopped) = mpsc::channel::<()>();
        let path: PathBuf = path.to_owned();
        std::thread::Builder::new()
            .name("pratu-sqlite-checkpoint".to_owned())
            .spawn(move || {
                let mut conn = None;
                // A message or a dropped sender both mean stop.
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
                    if conn.is_none() {
                        conn = open(&path)
                            .map_err(|e| tracing::warn!(error = %e, "SQLite checkpointer: cannot open the database"))
                            .ok();
                    }
                    if let Some(c) = &conn
                        && let Err(e) = checkpoint(c)
                    {
                        tracing::debug!(error = %e, "SQLite background checkpoint failed; retrying");
                        conn = None;
                    }
                }
            })
            .map_err(|e| tracing::warn!(error = %e, "SQLite checkpointer not started"))
            .ok()?;
        Some(Self { _stop: stop })
    }
}

fn open(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Checkpoints read pages straight from the WAL: no cache needed.
    conn.pragma_update(None, "cache_size", -64)?;
    // Never checkpoint on close here: that could block the writer.
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    Ok(conn)
}

/// One passive pass: copies what no reader still needs, waits for nobody.
fn checkpoint(conn: &Connection) -> rusqlite::Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::PoolOptions;
    use crate::repo::{Store as _, UserRepo as _};
    use crate::sqlite::SqliteStore;

    /// What is committed reaches the database file without the writer's
    /// own checkpoint (which waits for 10 000 pages of WAL).
    #[tokio::test]
    async fn commits_reach_the_database_file_in_the_background() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.db");
        let store = SqliteStore::open_path(&file, &PoolOptions::default())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let before = std::fs::metadata(&file).unwrap().len();
        // Enough rows for new pages (a few hundred KiB), far below the
        // writer's own checkpoint threshold.
        for i in 0..300 {
            let user = crate::testing::fixtures::user(&format!("u{i}"));
            store.create_user(&user).await.unwrap();
        }
        // Generous: the thread runs every 250 ms; this waits for the result,
        // it does not time it.
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::fs::metadata(&file).unwrap().len() <= before {
            assert!(
                Instant::now() < deadline,
                "nothing was checkpointed into the database file"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
