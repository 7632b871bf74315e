//! Statement helpers for the requests' work on the writer's connection.

use rusqlite::Connection;

use crate::error::Result;
use crate::sql::classify_lite;

/// Runs one statement on the writer's connection (prepared once, cached)
/// and returns how many rows it changed.
pub(crate) fn execute(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<u64> {
    let changed = conn
        .prepare_cached(sql)
        .and_then(|mut statement| statement.execute(params))
        .map_err(classify_lite)?;
    Ok(u64::try_from(changed).unwrap_or(u64::MAX))
}

/// Runs one statement on the writer's connection and reads its first row,
/// if any, with `read`.
pub(crate) fn first_row<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    read: impl FnOnce(&rusqlite::Row<'_>) -> Result<T>,
) -> Result<Option<T>> {
    let mut statement = conn.prepare_cached(sql).map_err(classify_lite)?;
    let mut rows = statement.query(params).map_err(classify_lite)?;
    match rows.next().map_err(classify_lite)? {
        Some(row) => read(row).map(Some),
        None => Ok(None),
    }
}
