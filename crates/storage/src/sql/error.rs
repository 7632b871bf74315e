//! Turning `sqlx` errors into [`StorageError`]s, shared by both SQL backends.
//!
//! Unique violations become `AlreadyExists { what }`, where `what` names the
//! constraint's subject so services can answer `username_taken` or
//! `citizen_id_taken`. SQLite names the violated columns in its message
//! (`UNIQUE constraint failed: users.username`); PostgreSQL names the
//! constraint (`users_username_key`). One table maps both.

use sqlx::error::ErrorKind;

use crate::error::StorageError;

/// `(SQLite "table.column", PostgreSQL constraint name, subject)`.
const UNIQUE_SUBJECTS: &[(&str, &str, &str)] = &[
    ("users.username", "users_username_key", "username"),
    (
        "users.citizen_index",
        "users_citizen_index_key",
        "citizen_id",
    ),
    ("users.id", "users_pkey", "user_id"),
    ("enrollments.id", "enrollments_pkey", "enrollment_id"),
    ("clients.client_id", "clients_pkey", "client_id"),
    (
        "refresh_families.family_id",
        "refresh_families_pkey",
        "refresh_token",
    ),
    ("signing_keys.kid", "signing_keys_pkey", "kid"),
    ("audit_events.id", "audit_events_pkey", "audit_event_id"),
    (
        "registration_tokens.token_hash",
        "registration_tokens_pkey",
        "registration_token",
    ),
    ("passkeys.credential_id", "passkeys_pkey", "passkey"),
];

/// Classifies a `sqlx` error. Foreign-key violations (a consent or refresh
/// token for a client or user that does not exist) become
/// `NotFound { what: "referenced record" }`: neither backend says reliably
/// which reference failed.
pub(crate) fn classify(e: sqlx::Error) -> StorageError {
    if let sqlx::Error::Database(db) = &e {
        match db.kind() {
            ErrorKind::UniqueViolation => {
                return StorageError::AlreadyExists {
                    what: unique_subject(db.constraint(), db.message()),
                };
            }
            ErrorKind::ForeignKeyViolation => {
                return StorageError::NotFound {
                    what: "referenced record",
                };
            }
            _ => {}
        }
    }
    StorageError::unhandled(e)
}

/// [`classify`] for the SQLite writer thread, which calls SQLite through
/// `rusqlite`: the same SQLite messages, the same outcomes.
pub(crate) fn classify_lite(e: rusqlite::Error) -> StorageError {
    use rusqlite::ffi;
    if let rusqlite::Error::SqliteFailure(failure, message) = &e {
        match failure.extended_code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                return StorageError::AlreadyExists {
                    what: unique_subject(None, message.as_deref().unwrap_or_default()),
                };
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => {
                return StorageError::NotFound {
                    what: "referenced record",
                };
            }
            _ => {}
        }
    }
    StorageError::unhandled(e)
}

fn unique_subject(constraint: Option<&str>, message: &str) -> &'static str {
    if let Some(name) = constraint
        && let Some((_, _, what)) = UNIQUE_SUBJECTS.iter().find(|(_, pg, _)| *pg == name)
    {
        return what;
    }
    // SQLite: "UNIQUE constraint failed: users.username".
    let columns = message.rsplit_once(": ").map_or(message, |(_, c)| c);
    UNIQUE_SUBJECTS
        .iter()
        .find(|(lite, _, _)| *lite == columns)
        .map_or("record", |(_, _, what)| what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_messages_name_the_subject() {
        assert_eq!(
            unique_subject(None, "UNIQUE constraint failed: users.citizen_index"),
            "citizen_id"
        );
        assert_eq!(
            unique_subject(None, "UNIQUE constraint failed: users.username"),
            "username"
        );
    }

    #[test]
    fn postgres_constraint_names_name_the_subject() {
        assert_eq!(
            unique_subject(Some("clients_pkey"), "duplicate key value"),
            "client_id"
        );
    }

    #[test]
    fn unknown_constraints_fall_back_to_record() {
        assert_eq!(unique_subject(Some("other"), "whatever"), "record");
    }
}
