//! Reading PostgreSQL rows into records: each getter names the table and
//! column it failed on (`InconsistentRow`). Types are native (uuid,
//! timestamptz, text[], bytea); documents are jsonb.

use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::types::Json;

use crate::error::{Result, StorageError};

/// A value for a jsonb column. Records are plain data, so serialising cannot
/// fail in practice; if it does, it is reported rather than stored.
pub(crate) fn json<T: Serialize + ?Sized>(value: &T) -> Result<Json<serde_json::Value>> {
    serde_json::to_value(value)
        .map(Json)
        .map_err(StorageError::unhandled)
}

pub(crate) fn opt_json<T: Serialize>(value: Option<&T>) -> Result<Option<Json<serde_json::Value>>> {
    value.map(json).transpose()
}

/// A row of `table`, read column by column.
pub(crate) struct Reader<'r> {
    row: &'r PgRow,
    table: &'static str,
}

impl<'r> Reader<'r> {
    pub(crate) fn new(row: &'r PgRow, table: &'static str) -> Self {
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
        T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
    {
        self.row.try_get(column).map_err(|_| self.bad(column))
    }

    pub(crate) fn json<T: DeserializeOwned>(&self, column: &'static str) -> Result<T> {
        let Json(value): Json<serde_json::Value> = self.get(column)?;
        serde_json::from_value(value).map_err(|_| self.bad(column))
    }

    pub(crate) fn opt_json<T: DeserializeOwned>(&self, column: &'static str) -> Result<Option<T>> {
        let value: Option<Json<serde_json::Value>> = self.get(column)?;
        value
            .map(|Json(v)| serde_json::from_value(v).map_err(|_| self.bad(column)))
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

    /// A `text[]` column each of whose elements is one of a fixed set of
    /// names.
    pub(crate) fn parsed_list<T>(
        &self,
        column: &'static str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Vec<T>> {
        let names: Vec<String> = self.get(column)?;
        names
            .iter()
            .map(|s| parse(s).ok_or_else(|| self.bad(column)))
            .collect()
    }
}
