//! The single SQLite writer, with group commit.
//!
//! SQLite admits one writer at a time, and in WAL mode a commit costs several
//! times the statements before it (the WAL append and its index). So every
//! write of the store goes to one thread that owns the one read-write
//! connection. It takes requests from a queue and runs as many as are waiting
//! (up to [`MAX_BATCH`]) in ONE transaction, `BEGIN IMMEDIATE` … `COMMIT`,
//! then answers each. Under load, the requests that queue while one
//! transaction runs share the next commit; a lone request runs at once, in a
//! transaction of its own.
//!
//! # One request's failure is its own
//! Each request is all-or-nothing, and its failure never changes what the
//! others in its batch get:
//! - A request that fails without having changed a row — a lost version
//!   race, a unique violation, a missing record: the usual failures, since a
//!   failed statement undoes itself — needs no undo; the others commit.
//! - A request that fails after changing rows (a completion whose user insert
//!   hits a taken username, after claiming the enrollment) cannot be undone
//!   alone. The transaction is rolled back and run again without it: the
//!   requests before it together, it alone (where its error stands and its
//!   rollback undoes all it did), the requests after it together.
//! - If the commit itself fails (a deferred foreign key, a full disk),
//!   nothing was written and each request runs again alone.
//!
//! This gives what a `SAVEPOINT` around each request would, without making
//! every request pay for one (two statements, and a copy of every page it
//! touches into the sub-journal); only the rare request that fails half-way
//! costs a second pass. Requests must therefore be repeatable: they run
//! again if their transaction is given up, and have no effect outside the
//! database.
//!
//! Requests run in arrival order on one connection, so each sees the writes
//! of those before it in the same transaction: racing requests are decided
//! exactly as by separate transactions (of ten concurrent completions of one
//! enrollment, the first claims it and the nine others see the new version).
//!
//! # Why a thread calling SQLite directly
//! The reads use `sqlx`, which runs each connection on a thread of its own
//! and sends every statement there and back. On a busy machine each of those
//! hand-offs waits for the scheduler, and a rotation (four statements with
//! its transaction) spent most of its time waiting rather than working. The
//! writer thread instead runs its statements itself through `rusqlite`
//! (linking the same SQLite library): a batch costs one wake-up of the
//! thread however many requests it holds.
//!
//! # Durability
//! A request is answered only after the transaction holding it has
//! committed. If the commit fails, nothing of the batch was written, and each
//! request runs again alone, so one request's failure at commit (a deferred
//! foreign key) cannot fail its neighbours. The database runs in WAL mode
//! with `synchronous = NORMAL`: a committed transaction survives the process
//! being killed, but the last transactions before a power loss or OS crash
//! may be rolled back (never half-applied) at the next start.
//! `synchronous = FULL` would close that window at the price of an fsync per
//! batch.
//!
//! # Lifetime
//! The thread needs no async runtime, so a store outlives the runtime that
//! opened it. It stops when the last handle to the store is dropped, or at
//! [`Writer::close`]. [`Writer::pause`] holds it between transactions while
//! migrations run on a connection of their own.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use crate::error::{Result, StorageError};
use crate::sql::classify_lite;

/// The most requests one transaction holds: bounds how long a transaction
/// keeps later requests waiting (a few milliseconds) and its WAL append.
const MAX_BATCH: usize = 256;

/// Requests that may wait for the writer before callers wait to enqueue.
const QUEUE: usize = 4096;

/// A handle to the writer thread. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    queue: mpsc::Sender<Msg>,
    status: Arc<Status>,
}

/// What the writer is doing, for [`crate::PoolStats`].
#[derive(Debug)]
struct Status {
    open: AtomicBool,
    busy: AtomicBool,
    /// Transactions committed so far.
    commits: AtomicU64,
}

enum Msg {
    /// Runs inside a group-committed transaction.
    Write(Box<dyn Job>),
    /// Acknowledge, then wait (outside any transaction) until resumed.
    Pause {
        paused: oneshot::Sender<()>,
        resume: oneshot::Receiver<()>,
    },
    /// Finish what was queued before, close the connection, stop.
    Close(oneshot::Sender<()>),
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Msg::Write(_) => "Write",
            Msg::Pause { .. } => "Pause",
            Msg::Close(_) => "Close",
        })
    }
}

/// The writer was closed or its thread is gone.
#[derive(Debug, thiserror::Error)]
#[error("the SQLite writer has stopped (the store was closed)")]
struct WriterStopped;

/// The transaction holding a request was rolled back under it.
#[derive(Debug, thiserror::Error)]
#[error("the SQLite write transaction was rolled back")]
struct RolledBack;

fn stopped() -> StorageError {
    StorageError::unhandled(WriterStopped)
}

/// Holds the writer between transactions until dropped.
#[derive(Debug)]
pub(crate) struct Paused {
    _resume: oneshot::Sender<()>,
}

impl Writer {
    /// Starts the writer thread, which opens its connection with `open` and
    /// owns it from then on. Fails if the connection cannot be opened.
    pub(crate) async fn start<O>(open: O) -> Result<Self>
    where
        O: FnOnce() -> rusqlite::Result<Connection> + Send + 'static,
    {
        let (queue, inbox) = mpsc::channel(QUEUE);
        let status = Arc::new(Status {
            open: AtomicBool::new(false),
            busy: AtomicBool::new(false),
            commits: AtomicU64::new(0),
        });
        let (ready, opened) = oneshot::channel();
        let thread_status = status.clone();
        std::thread::Builder::new()
            .name("pratu-sqlite-writer".to_owned())
            .spawn(move || match open() {
                Ok(conn) => {
                    thread_status.open.store(true, Ordering::Relaxed);
                    let _waiting = ready.send(Ok(()));
                    serve(conn, inbox, &thread_status);
                }
                Err(e) => {
                    let _waiting = ready.send(Err(StorageError::unhandled(e)));
                }
            })
            .map_err(StorageError::unhandled)?;
        opened.await.map_err(|_| stopped())??;
        Ok(Self { queue, status })
    }

    /// Runs `work(conn, &data)` inside the next group-committed transaction
    /// and answers once that transaction has committed.
    pub(crate) async fn write<D, T, F>(&self, data: D, work: F) -> Result<T>
    where
        D: Send + 'static,
        T: Send + 'static,
        F: Fn(&Connection, &D) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let request = Request {
            data,
            work,
            result: None,
            reply,
            span: tracing::Span::current(),
        };
        self.queue
            .send(Msg::Write(Box::new(request)))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Waits for the writer to finish its transaction, then holds it until
    /// the returned guard drops.
    pub(crate) async fn pause(&self) -> Result<Paused> {
        let (paused, acknowledged) = oneshot::channel();
        let (guard, resume) = oneshot::channel();
        self.queue
            .send(Msg::Pause { paused, resume })
            .await
            .map_err(|_| stopped())?;
        acknowledged.await.map_err(|_| stopped())?;
        Ok(Paused { _resume: guard })
    }

    /// Lets queued writes finish, closes the connection and stops the
    /// thread. Later writes fail.
    pub(crate) async fn close(&self) {
        let (done, closed) = oneshot::channel();
        if self.queue.send(Msg::Close(done)).await.is_ok() {
            let _closed = closed.await;
        }
    }

    /// Transactions committed so far.
    #[cfg(test)]
    fn commits(&self) -> u64 {
        self.status.commits.load(Ordering::Relaxed)
    }

    /// Requests waiting in the queue.
    #[cfg(test)]
    fn queued(&self) -> usize {
        QUEUE - self.queue.capacity()
    }

    /// `(open, busy)`: whether the connection is open and running a batch.
    pub(crate) fn status(&self) -> (bool, bool) {
        (
            self.status.open.load(Ordering::Relaxed),
            self.status.busy.load(Ordering::Relaxed),
        )
    }
}

/// A request with its result type erased, so one queue carries them all.
trait Job: Send {
    /// Whether the caller still waits (a dropped caller's write is skipped).
    fn wanted(&self) -> bool;
    /// Runs the request's statements and keeps the result; `true` if it
    /// succeeded.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Answers the caller with the kept result, or with `failure` instead.
    fn answer(self: Box<Self>, failure: Option<StorageError>);
    /// Answers the caller of a request whose transaction was rolled back:
    /// with its own error, or (had it succeeded) a generic one.
    fn fail(self: Box<Self>);
}

struct Request<D, T, F> {
    data: D,
    work: F,
    result: Option<Result<T>>,
    reply: oneshot::Sender<Result<T>>,
    /// The caller's span, so what the work logs lands under it.
    span: tracing::Span,
}

impl<D, T, F> Job for Request<D, T, F>
where
    D: Send + 'static,
    T: Send + 'static,
    F: Fn(&Connection, &D) -> Result<T> + Send + 'static,
{
    fn wanted(&self) -> bool {
        !self.reply.is_closed()
    }

    fn run(&mut self, conn: &Connection) -> bool {
        let outcome = self.span.in_scope(|| (self.work)(conn, &self.data));
        let ok = outcome.is_ok();
        self.result = Some(outcome);
        ok
    }

    fn answer(self: Box<Self>, failure: Option<StorageError>) {
        let outcome = match (failure, self.result) {
            (Some(e), _) => Err(e),
            (None, Some(outcome)) => outcome,
            // Never run: only skipped requests, whose caller is gone.
            (None, None) => Err(stopped()),
        };
        let _gone = self.reply.send(outcome);
    }

    fn fail(mut self: Box<Self>) {
        let outcome = match self.result.take() {
            Some(Err(e)) => Err(e),
            _ => Err(StorageError::unhandled(RolledBack)),
        };
        let _gone = self.reply.send(outcome);
    }
}

/// The writer thread's loop.
fn serve(conn: Connection, mut inbox: mpsc::Receiver<Msg>, status: &Status) {
    let mut held: Option<Msg> = None;
    while let Some(msg) = held.take().or_else(|| inbox.blocking_recv()) {
        match msg {
            Msg::Write(first) => {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match inbox.try_recv() {
                        Ok(Msg::Write(job)) => batch.push(job),
                        Ok(other) => {
                            held = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                batch.retain(|job| job.wanted());
                if !batch.is_empty() {
                    status.busy.store(true, Ordering::Relaxed);
                    commit_group(&conn, batch, status);
                    status.busy.store(false, Ordering::Relaxed);
                }
            }
            Msg::Pause { paused, resume } => {
                if paused.send(()).is_ok() {
                    // Resumes when the guard is dropped (or sends).
                    let _resumed = resume.blocking_recv();
                }
            }
            Msg::Close(done) => {
                shut(conn, status);
                let _gone = done.send(());
                return;
            }
        }
    }
    shut(conn, status);
}

fn shut(conn: Connection, status: &Status) {
    if let Err((_conn, error)) = conn.close() {
        tracing::warn!(%error, "closing the SQLite writer connection failed");
    }
    status.open.store(false, Ordering::Relaxed);
}

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
fn commit_group(conn: &Connection, mut jobs: Vec<Box<dyn Job>>, status: &Status) {
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

#[cfg(test)]
mod tests {
    use tokio::task::JoinHandle;

    use super::*;

    /// A writer on a private in-memory database with a table `t (k)` and a
    /// table `child (k)` whose key must be in `t` by commit time.
    async fn writer() -> Writer {
        Writer::start(|| {
            let conn = Connection::open_in_memory()?;
            conn.execute_batch(
                "PRAGMA foreign_keys = ON; \
                 CREATE TABLE t (k TEXT NOT NULL PRIMARY KEY); \
                 CREATE TABLE child (k TEXT NOT NULL \
                     REFERENCES t (k) DEFERRABLE INITIALLY DEFERRED);",
            )?;
            Ok(conn)
        })
        .await
        .unwrap()
    }

    fn insert(conn: &Connection, k: &&'static str) -> Result<()> {
        execute(conn, "INSERT INTO t (k) VALUES (?1)", [k]).map(drop)
    }

    /// Inserts its key, then fails: a request that fails half-way.
    fn insert_then_fail(conn: &Connection, k: &&'static str) -> Result<()> {
        insert(conn, k)?;
        Err(StorageError::Conflict { what: "test" })
    }

    /// Inserts a child whose parent does not exist: fine until the commit.
    fn orphan(conn: &Connection, k: &&'static str) -> Result<()> {
        execute(conn, "INSERT INTO child (k) VALUES (?1)", [k]).map(drop)
    }

    async fn keys(w: &Writer) -> Vec<String> {
        w.write((), |conn, ()| {
            let mut s = conn.prepare("SELECT k FROM t ORDER BY k").unwrap();
            let rows = s.query_map([], |r| r.get(0)).unwrap();
            Ok(rows.map(Result::unwrap).collect())
        })
        .await
        .unwrap()
    }

    type Write = fn(&Connection, &&'static str) -> Result<()>;

    /// Sends `writes` while the writer is paused, so they reach it as one
    /// batch, in this order; returns their answers in the same order.
    async fn batch(w: &Writer, writes: &[(Write, &'static str)]) -> Vec<Result<()>> {
        let paused = w.pause().await.unwrap();
        let mut handles: Vec<JoinHandle<Result<()>>> = Vec::new();
        for (i, &(work, k)) in writes.iter().enumerate() {
            let writer = w.clone();
            handles.push(tokio::spawn(async move { writer.write(k, work).await }));
            // Queue them in order.
            while w.queued() < i + 1 {
                tokio::task::yield_now().await;
            }
        }
        drop(paused);
        let mut answers = Vec::new();
        for h in handles {
            answers.push(h.await.unwrap());
        }
        answers
    }

    #[tokio::test]
    async fn writes_queued_together_commit_in_one_transaction() {
        let w = writer().await;
        let before = w.commits();
        let answers = batch(&w, &[(insert, "a"), (insert, "b"), (insert, "c")]).await;
        assert!(answers.iter().all(Result::is_ok), "{answers:?}");
        assert_eq!(w.commits() - before, 1);
        assert_eq!(keys(&w).await, ["a", "b", "c"]);
    }

    #[tokio::test]
    async fn a_request_failing_without_writing_leaves_its_batch_alone() {
        let w = writer().await;
        w.write("a", insert).await.unwrap();
        let before = w.commits();
        // The duplicate fails on its one statement, which undoes itself.
        let answers = batch(&w, &[(insert, "b"), (insert, "a"), (insert, "c")]).await;
        assert!(answers[0].is_ok() && answers[2].is_ok(), "{answers:?}");
        assert!(
            matches!(answers[1], Err(StorageError::AlreadyExists { .. })),
            "{answers:?}"
        );
        assert_eq!(w.commits() - before, 1, "still one transaction");
        assert_eq!(keys(&w).await, ["a", "b", "c"]);
    }

    #[tokio::test]
    async fn a_request_failing_half_way_is_undone_and_the_others_commit() {
        let w = writer().await;
        let answers = batch(&w, &[(insert, "a"), (insert_then_fail, "x"), (insert, "c")]).await;
        assert!(answers[0].is_ok() && answers[2].is_ok(), "{answers:?}");
        assert!(
            matches!(answers[1], Err(StorageError::Conflict { what: "test" })),
            "the request's own error: {answers:?}"
        );
        assert_eq!(keys(&w).await, ["a", "c"], "nothing of the failed request");
    }

    #[tokio::test]
    async fn a_failed_commit_fails_only_the_request_that_caused_it() {
        let w = writer().await;
        let answers = batch(&w, &[(insert, "a"), (orphan, "nobody"), (insert, "c")]).await;
        assert!(answers[0].is_ok() && answers[2].is_ok(), "{answers:?}");
        assert!(answers[1].is_err(), "{answers:?}");
        assert_eq!(keys(&w).await, ["a", "c"]);
    }

    #[tokio::test]
    async fn writes_after_close_fail() {
        let w = writer().await;
        w.write("a", insert).await.unwrap();
        w.close().await;
        assert!(w.write("b", insert).await.is_err());
        assert_eq!(w.status(), (false, false));
    }
}
