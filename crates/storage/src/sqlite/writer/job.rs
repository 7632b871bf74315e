//! Requests as the writer thread sees them: the caller's work and data, the
//! result it produced, and the channel its caller waits on.

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::{RolledBack, stopped};

/// The request's work panicked (a bug); the writer carries on.
#[derive(Debug, thiserror::Error)]
#[error("a SQLite write request panicked")]
struct Panicked;
use crate::error::{Result, StorageError};

/// A request with its result type erased, so one queue carries them all.
pub(super) trait Job: Send {
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

pub(super) struct Request<D, T, F> {
    pub(super) data: D,
    pub(super) work: F,
    pub(super) result: Option<Result<T>>,
    pub(super) reply: oneshot::Sender<Result<T>>,
    /// The caller's span, so what the work logs lands under it.
    pub(super) span: tracing::Span,
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
        // A panic would take the writer thread, and every later write, with
        // it: it fails this request instead.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.span.in_scope(|| (self.work)(conn, &self.data))
        }))
        .unwrap_or_else(|_| Err(StorageError::unhandled(Panicked)));
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
