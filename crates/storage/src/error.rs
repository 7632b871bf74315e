//! Backend-neutral storage errors. Storage knows nothing of HTTP: the feature
//! crates map these to their own error enums (e.g. `AlreadyExists` on the
//! citizen-ID index becomes `citizen_id_taken`).

/// What went wrong in a repository or store call.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A unique constraint refused the write; `what` names the constraint's
    /// subject (`"username"`, `"citizen_id"`, `"client_id"`, …).
    #[error("{what} already exists")]
    AlreadyExists { what: &'static str },
    /// The record to change does not exist.
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// An optimistic-concurrency check failed: someone else changed the
    /// record first.
    #[error("{what} was changed concurrently")]
    Conflict { what: &'static str },
    /// A row that cannot be turned into a record (bad JSON, unknown enum).
    #[error("inconsistent row in {table}.{column}")]
    InconsistentRow {
        table: &'static str,
        column: &'static str,
    },
    /// The bounded ephemeral store is full and refused a new entry rather
    /// than evict security state; callers fail closed (503).
    #[error("ephemeral store full")]
    Full,
    /// The backend is unreachable or failed; details are in the source and
    /// must not be shown to users.
    #[error("storage backend error")]
    Unhandled(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StorageError {
    pub fn unhandled(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Unhandled(Box::new(e))
    }

    /// Whether the store is down or out of room rather than wrong: a
    /// connection refused, cut or timed out, a pool that cannot hand out a
    /// connection, the SQLite writer stopped, the bounded store full. The
    /// request may succeed once the store is back, so callers answer 503
    /// with `Retry-After` (fail closed), never 500 — or 401 for a
    /// credential they could not check.
    pub fn is_outage(&self) -> bool {
        match self {
            Self::Full => true,
            Self::Unhandled(source) => {
                let source: &(dyn std::error::Error + 'static) = &**source;
                if let Some(e) = source.downcast_ref::<sqlx::Error>() {
                    return is_sqlx_outage(e);
                }
                if let Some(e) = source.downcast_ref::<redis::RedisError>() {
                    return e.is_io_error()
                        || e.is_timeout()
                        || e.is_connection_refusal()
                        || e.is_connection_dropped()
                        || e.is_unrecoverable_error();
                }
                source.is::<crate::ephemeral::redis::Timeout>()
                    || source.is::<crate::sqlite::WriterDown>()
                    || source.is::<crate::sqlite::writer::WriterStopped>()
            }
            _ => false,
        }
    }
}

/// A connection that could not be made, was cut or spoke nonsense (a
/// peer that hung up in the handshake reads as a protocol error), or a
/// server that is shutting down, restarting or full of connections: all
/// pass when the database is back.
fn is_sqlx_outage(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => d.code().is_some_and(|c| is_outage_sqlstate(&c)),
        _ => false,
    }
}

/// PostgreSQL's SQLSTATEs of a server going away rather than a statement
/// being wrong: class 08 (connection exception), 57P01–57P03
/// (`admin_shutdown` — what `pg_terminate_backend` and a fast shutdown
/// send —, `crash_shutdown`, `cannot_connect_now`) and 53300
/// (`too_many_connections`).
fn is_outage_sqlstate(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outages_are_told_from_faults() {
        assert!(StorageError::Full.is_outage());
        assert!(StorageError::unhandled(sqlx::Error::PoolTimedOut).is_outage());
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(StorageError::unhandled(sqlx::Error::Io(refused)).is_outage());
        assert!(StorageError::unhandled(crate::ephemeral::redis::Timeout).is_outage());
        assert!(!StorageError::NotFound { what: "user" }.is_outage());
        assert!(!StorageError::unhandled(sqlx::Error::RowNotFound).is_outage());
        let hung_up = sqlx::Error::Protocol("unexpected response from SSLRequest: 0x00".into());
        assert!(StorageError::unhandled(hung_up).is_outage());
        for code in ["57P01", "57P03", "08006", "53300"] {
            assert!(is_outage_sqlstate(code), "{code}");
        }
        for code in ["23505", "40001", "42P01"] {
            assert!(!is_outage_sqlstate(code), "{code}");
        }
        assert!(
            !StorageError::InconsistentRow {
                table: "users",
                column: "roles"
            }
            .is_outage()
        );
    }
}
