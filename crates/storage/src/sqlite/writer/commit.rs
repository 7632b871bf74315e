//! One batch, one transaction: running the requests, committing, and what
//! happens when a request or the commit fails (see the module docs).

use std::sync::atomic::Ordering;

use rusqlite::Connection;

use super::Status;
use super::job::Job;
use crate::sql::classify_lite;

/// Why a transaction was given up as a whole.
enum Abort {
    /// The request at this index failed after changing rows (or SQLite
    /// ended the transaction under it): its changes cannot be undone alone.
    Request(usize),
    /// `BEGIN` or `COMMIT` failed.
    Sql(rusqlite::Error),
}

impl From<rusqlite::Error> for Abort {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sql(e)
    }
}

/// Commits `jobs` in one transaction and answers them. When that is given
/// up, rolls back and tries again without the culprit: the requests before
/// it together, it alone (so its own error is what its caller gets), the
/// requests after it together. If `BEGIN` or `COMMIT` failed, each request
/// runs alone.
pub(super) fn commit_group(conn: &Connection, mut jobs: Vec<Box<dyn Job>>, status: &Status) {
    if jobs.is_empty() {
        return;
    }
    match transaction(conn, &mut jobs) {
        Ok(()) => {
            status.commits.fetch_add(1, Ordering::Relaxed);
            jobs.into_iter().for_each(|job| job.answer(None));
        }
        Err(Abort::Request(culprit)) => {
            rollback(conn);
            let after = jobs.split_off(culprit + 1);
            let Some(failed) = jobs.pop() else {
                return;
            };
            if jobs.is_empty() && after.is_empty() {
                failed.fail();
                return;
            }
            commit_group(conn, jobs, status);
            commit_group(conn, vec![failed], status);
            commit_group(conn, after, status);
        }
        Err(Abort::Sql(e)) => {
            rollback(conn);
            if jobs.len() == 1 {
                if let Some(job) = jobs.pop() {
                    job.answer(Some(classify_lite(e)));
                }
                return;
            }
            tracing::warn!(
                requests = jobs.len(),
                error = %e,
                "a group commit failed; running its writes one by one"
            );
            for job in jobs {
                commit_group(conn, vec![job], status);
            }
        }
    }
}

/// Runs `jobs` in one transaction. A request that failed having changed
/// rows gives it up (see the module docs).
fn transaction(conn: &Connection, jobs: &mut [Box<dyn Job>]) -> Result<(), Abort> {
    let run = |sql: &str| conn.prepare_cached(sql)?.execute([]).map(drop);
    run("BEGIN IMMEDIATE")?;
    for (i, job) in jobs.iter_mut().enumerate() {
        let before = conn.total_changes();
        let ok = job.run(conn);
        // Some errors (disk full, I/O) make SQLite roll back on its own.
        if conn.is_autocommit() || (!ok && conn.total_changes() != before) {
            return Err(Abort::Request(i));
        }
    }
    run("COMMIT")?;
    Ok(())
}

/// Ends whatever transaction a failure left open (none, if `BEGIN` failed
/// or SQLite rolled back on its own).
fn rollback(conn: &Connection) {
    if conn.is_autocommit() {
        return;
    }
    if let Err(error) = conn.execute_batch("ROLLBACK") {
        tracing::warn!(%error, "rolling back the SQLite writer's transaction failed");
    }
}
