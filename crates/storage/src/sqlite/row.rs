//! Reading SQLite rows into records: each getter names the table and column
//! it failed on (`InconsistentRow`), and the encodings of the schema (UUIDs as
//! text, times as integer microseconds, lists as JSON text) live here.
//! [`Reader`] reads `sqlx` rows (the reader pool), [`LiteReader`] the
//! `rusqlite` rows of the writer thread.

use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::error::{Result, StorageError};

/// Unix microseconds, UTC: the precision PostgreSQL keeps.
pub(crate) fn micros(t: OffsetDateTime) -> i64 {
    // Saturate far outside any real date rather than fail.
    i64::try_from(t.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

pub(crate) fn opt_micros(t: Option<OffsetDateTime>) -> Option<i64> {
    t.map(micros)
}

/// Serialises a value for a JSON column. Records are plain data, so this
/// cannot fail in practice; if it does, it is reported rather than stored.
pub(crate) fn json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(StorageError::unhandled)
}

pub(crate) fn opt_json<T: Serialize>(value: Option<&T>) -> Result<Option<String>> {
    value.map(json).transpose()
}

/// What a record mapper needs of a row, whichever driver read it: the
/// schema's encodings are written once, in the provided methods, so a
/// mapper written against `impl Columns` serves both the `sqlx` reader pool
/// and the `rusqlite` writer thread and inline readers.
pub(crate) trait Columns {
    /// The error naming this row's table and `column`.
    fn bad(&self, column: &'static str) -> StorageError;
    fn opt_text(&self, column: &'static str) -> Result<Option<String>>;
    fn opt_i64(&self, column: &'static str) -> Result<Option<i64>>;
    fn opt_blob(&self, column: &'static str) -> Result<Option<Vec<u8>>>;

    fn text(&self, column: &'static str) -> Result<String> {
        self.opt_text(column)?.ok_or_else(|| self.bad(column))
    }

    fn blob(&self, column: &'static str) -> Result<Vec<u8>> {
        self.opt_blob(column)?.ok_or_else(|| self.bad(column))
    }

    fn bool(&self, column: &'static str) -> Result<bool> {
        let v = self.opt_i64(column)?.ok_or_else(|| self.bad(column))?;
        Ok(v != 0)
    }

    fn uuid(&self, column: &'static str) -> Result<Uuid> {
        self.opt_uuid(column)?.ok_or_else(|| self.bad(column))
    }

    fn opt_uuid(&self, column: &'static str) -> Result<Option<Uuid>> {
        self.opt_text(column)?
            .map(|s| Uuid::parse_str(&s).map_err(|_| self.bad(column)))
            .transpose()
    }

    fn time(&self, column: &'static str) -> Result<OffsetDateTime> {
        self.opt_time(column)?.ok_or_else(|| self.bad(column))
    }

    fn opt_time(&self, column: &'static str) -> Result<Option<OffsetDateTime>> {
        self.opt_i64(column)?
            .map(|us| from_micros(us).ok_or_else(|| self.bad(column)))
            .transpose()
    }

    fn json<T: DeserializeOwned>(&self, column: &'static str) -> Result<T> {
        self.opt_json(column)?.ok_or_else(|| self.bad(column))
    }

    /// A nullable JSON text column.
    fn opt_json<T: DeserializeOwned>(&self, column: &'static str) -> Result<Option<T>> {
        self.opt_text(column)?
            .map(|s| serde_json::from_str(&s).map_err(|_| self.bad(column)))
            .transpose()
    }

    /// A text column holding one of a fixed set of names.
    fn parsed<T>(&self, column: &'static str, parse: impl FnOnce(&str) -> Option<T>) -> Result<T> {
        let s = self.text(column)?;
        parse(&s).ok_or_else(|| self.bad(column))
    }
}

/// A `sqlx` row of `table` (the reader pool).
pub(crate) struct Reader<'r> {
    row: &'r SqliteRow,
    table: &'static str,
}

impl<'r> Reader<'r> {
    pub(crate) fn new(row: &'r SqliteRow, table: &'static str) -> Self {
        Self { row, table }
    }

    pub(crate) fn get<T>(&self, column: &'static str) -> Result<T>
    where
        T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
    {
        self.row.try_get(column).map_err(|_| self.bad(column))
    }
}

impl Columns for Reader<'_> {
    fn bad(&self, column: &'static str) -> StorageError {
        StorageError::InconsistentRow {
            table: self.table,
            column,
        }
    }

    fn opt_text(&self, column: &'static str) -> Result<Option<String>> {
        self.get(column)
    }

    fn opt_i64(&self, column: &'static str) -> Result<Option<i64>> {
        self.get(column)
    }

    fn opt_blob(&self, column: &'static str) -> Result<Option<Vec<u8>>> {
        self.get(column)
    }
}

/// A `rusqlite` row of `table` (the writer thread's `RETURNING` rows and the
/// inline readers).
pub(crate) struct LiteReader<'r, 's> {
    row: &'r rusqlite::Row<'s>,
    table: &'static str,
}

impl<'r, 's> LiteReader<'r, 's> {
    pub(crate) fn new(row: &'r rusqlite::Row<'s>, table: &'static str) -> Self {
        Self { row, table }
    }

    pub(crate) fn get<T: rusqlite::types::FromSql>(&self, column: &'static str) -> Result<T> {
        self.row.get(column).map_err(|_| self.bad(column))
    }
}

impl Columns for LiteReader<'_, '_> {
    fn bad(&self, column: &'static str) -> StorageError {
        StorageError::InconsistentRow {
            table: self.table,
            column,
        }
    }

    fn opt_text(&self, column: &'static str) -> Result<Option<String>> {
        self.get(column)
    }

    fn opt_i64(&self, column: &'static str) -> Result<Option<i64>> {
        self.get(column)
    }

    fn opt_blob(&self, column: &'static str) -> Result<Option<Vec<u8>>> {
        self.get(column)
    }
}

fn from_micros(us: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1_000).ok()
}
