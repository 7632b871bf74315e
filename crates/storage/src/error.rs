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
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;
