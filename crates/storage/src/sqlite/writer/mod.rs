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

mod commit;
mod job;
mod statement;

use commit::commit_group;
use job::{Job, Request};
pub(crate) use statement::{execute, first_row};

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
pub(crate) struct WriterStopped;

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
                    // Marks the writer closed however the thread ends.
                    let _closed = Closed(&thread_status);
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

    /// Whether the writer thread is up with its connection open.
    pub(crate) fn is_open(&self) -> bool {
        self.status.open.load(Ordering::Relaxed)
    }

    /// `(open, busy)`: whether the connection is open and running a batch.
    pub(crate) fn status(&self) -> (bool, bool) {
        (
            self.status.open.load(Ordering::Relaxed),
            self.status.busy.load(Ordering::Relaxed),
        )
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

/// Sets `open` to false when dropped.
struct Closed<'a>(&'a Status);

impl Drop for Closed<'_> {
    fn drop(&mut self) {
        self.0.open.store(false, Ordering::Relaxed);
        self.0.busy.store(false, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests;
