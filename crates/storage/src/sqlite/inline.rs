//! Read-only rusqlite connections used inline, on the calling task's
//! thread, for the token endpoint's point lookups (a refresh token by its
//! hash). Through the sqlx reader pool every such read is two hand-offs to
//! and from the connection's own thread, more than the read itself costs:
//! an indexed lookup of a page in cache takes microseconds, about what
//! signing a token does inline. WAL lets these readers run beside the
//! writer. A file database only; in-memory databases use the pool.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};

use super::{BUSY_TIMEOUT, READER_CACHE_KIB};
use crate::error::Result;

/// Idle connections kept for reuse; more are opened under load and dropped
/// after use.
const KEEP: usize = 8;

#[derive(Debug, Clone)]
pub(crate) struct InlineReaders {
    path: Arc<PathBuf>,
    idle: Arc<Mutex<Vec<Connection>>>,
}

impl InlineReaders {
    pub fn new(path: &Path) -> Self {
        Self {
            path: Arc::new(path.to_owned()),
            idle: Arc::new(Mutex::new(Vec::new())),
        }
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            self.path.as_path(),
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "cache_size", -READER_CACHE_KIB)?;
        conn.set_prepared_statement_cache_capacity(16);
        Ok(conn)
    }

    /// Runs `read` on an idle connection (or a new one); `None` when no
    /// connection can be had, so the caller falls back to the pool.
    pub fn read<T>(&self, read: impl FnOnce(&Connection) -> Result<T>) -> Option<Result<T>> {
        let idle = self.idle.lock().ok().and_then(|mut v| v.pop());
        let conn = match idle {
            Some(c) => c,
            None => self.open().ok()?,
        };
        let out = read(&conn);
        if let Ok(mut v) = self.idle.lock()
            && v.len() < KEEP
        {
            v.push(conn);
        }
        Some(out)
    }
}
