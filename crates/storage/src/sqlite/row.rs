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

/// A row of `table`, read column by column.
pub(crate) struct Reader<'r> {
    row: &'r SqliteRow,
    table: &'static str,
}

impl<'r> Reader<'r> {
    pub(crate) fn new(row: &'r SqliteRow, table: &'static str) -> Self {
        Self { row, table }
    }

    fn bad(&self, column: &'static str) -> StorageError {
        StorageError::InconsistentRow {
            table: self.table,
            column,
        }
    }

    pub(crate) fn get<T>(&self, column: &'static str) -> Result<T>
    where
        T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
    {
        self.row.try_get(column).map_err(|_| self.bad(column))
    }

    pub(crate) fn text(&self, column: &'static str) -> Result<String> {
        self.get(column)
    }

    pub(crate) fn opt_text(&self, column: &'static str) -> Result<Option<String>> {
        self.get(column)
    }

    pub(crate) fn bool(&self, column: &'static str) -> Result<bool> {
        self.get::<i64>(column).map(|v| v != 0)
    }

    pub(crate) fn uuid(&self, column: &'static str) -> Result<Uuid> {
        let s: String = self.get(column)?;
        Uuid::parse_str(&s).map_err(|_| self.bad(column))
    }

    pub(crate) fn opt_uuid(&self, column: &'static str) -> Result<Option<Uuid>> {
        let s: Option<String> = self.get(column)?;
        s.map(|s| Uuid::parse_str(&s).map_err(|_| self.bad(column)))
            .transpose()
    }

    pub(crate) fn time(&self, column: &'static str) -> Result<OffsetDateTime> {
        let us: i64 = self.get(column)?;
        from_micros(us).ok_or_else(|| self.bad(column))
    }

    pub(crate) fn opt_time(&self, column: &'static str) -> Result<Option<OffsetDateTime>> {
        let us: Option<i64> = self.get(column)?;
        us.map(|us| from_micros(us).ok_or_else(|| self.bad(column)))
            .transpose()
    }

    pub(crate) fn json<T: DeserializeOwned>(&self, column: &'static str) -> Result<T> {
        let s: String = self.get(column)?;
        serde_json::from_str(&s).map_err(|_| self.bad(column))
    }

    pub(crate) fn opt_json<T: DeserializeOwned>(&self, column: &'static str) -> Result<Option<T>> {
        let s: Option<String> = self.get(column)?;
        s.map(|s| serde_json::from_str(&s).map_err(|_| self.bad(column)))
            .transpose()
    }

    /// A text column holding one of a fixed set of names.
    pub(crate) fn parsed<T>(
        &self,
        column: &'static str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<T> {
        let s: String = self.get(column)?;
        parse(&s).ok_or_else(|| self.bad(column))
    }
}

/// A `rusqlite` row of `table`, read column by column (the writer thread's
/// `RETURNING` rows and the reads its requests make).
pub(crate) struct LiteReader<'r, 's> {
    row: &'r rusqlite::Row<'s>,
    table: &'static str,
}

impl<'r, 's> LiteReader<'r, 's> {
    /// A nullable JSON text column.
    pub(crate) fn opt_json<T: DeserializeOwned>(&self, column: &'static str) -> Result<Option<T>> {
        let s: Option<String> = self.get(column)?;
        s.map(|s| serde_json::from_str(&s).map_err(|_| self.bad(column)))
            .transpose()
    }

    /// A text column holding one of a fixed set of names.
    pub(crate) fn parsed<T>(
        &self,
        column: &'static str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<T> {
        let s: String = self.get(column)?;
        parse(&s).ok_or_else(|| self.bad(column))
    }

    pub(crate) fn new(row: &'r rusqlite::Row<'s>, table: &'static str) -> Self {
        Self { row, table }
    }

    fn bad(&self, column: &'static str) -> StorageError {
        StorageError::InconsistentRow {
            table: self.table,
            column,
        }
    }

    pub(crate) fn get<T: rusqlite::types::FromSql>(&self, column: &'static str) -> Result<T> {
        self.row.get(column).map_err(|_| self.bad(column))
    }

    pub(crate) fn bool(&self, column: &'static str) -> Result<bool> {
        self.get::<i64>(column).map(|v| v != 0)
    }

    pub(crate) fn uuid(&self, column: &'static str) -> Result<Uuid> {
        let s: String = self.get(column)?;
        Uuid::parse_str(&s).map_err(|_| self.bad(column))
    }

    pub(crate) fn opt_uuid(&self, column: &'static str) -> Result<Option<Uuid>> {
        let s: Option<String> = self.get(column)?;
        s.map(|s| Uuid::parse_str(&s).map_err(|_| self.bad(column)))
            .transpose()
    }

    pub(crate) fn time(&self, column: &'static str) -> Result<OffsetDateTime> {
        let us: i64 = self.get(column)?;
        from_micros(us).ok_or_else(|| self.bad(column))
    }

    pub(crate) fn opt_time(&self, column: &'static str) -> Result<Option<OffsetDateTime>> {
        let us: Option<i64> = self.get(column)?;
        us.map(|us| from_micros(us).ok_or_else(|| self.bad(column)))
            .transpose()
    }

    pub(crate) fn json<T: DeserializeOwned>(&self, column: &'static str) -> Result<T> {
        let s: String = self.get(column)?;
        serde_json::from_str(&s).map_err(|_| self.bad(column))
    }
}

fn from_micros(us: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1_000).ok()
}
