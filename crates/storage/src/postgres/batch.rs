//! Group commit for the hot writes on PostgreSQL. Under load many requests
//! want the same statement at once (a refresh rotation, a new refresh
//! family). Each statement alone costs a round trip, an executor start-up
//! and a commit with its WAL flush, and on a small machine that per-statement
//! cost, not the row work, is what limits throughput. A [`Batcher`] queues
//! such writes and runs whatever is queued as one statement over arrays:
//! nothing waits for a batch to fill (a lone request runs at once, alone),
//! and a batch forms only while earlier ones are in flight — the way
//! PostgreSQL's own group commit works, one level up.
//!
//! A batch that fails is retried one input at a time, so one bad input (a
//! unique violation, say) fails only its own request.

use std::sync::Arc;

use async_trait::async_trait;
use sqlx::PgPool;
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::error::{Result, StorageError};

/// The most inputs one statement carries: keeps statements and their
/// answers small, and a failed batch's retries few.
const MAX_BATCH: usize = 64;

/// One kind of batched write.
#[async_trait]
pub(crate) trait Job: Send + Sync + 'static {
    type Input: Send + Sync + 'static;
    type Output: Send + 'static;

    /// Runs `inputs` as one statement; the answers come in input order.
    async fn many(&self, pool: &PgPool, inputs: &[Self::Input]) -> Result<Vec<Self::Output>>;

    /// Runs one input alone: a batch of one, and every input of a batch
    /// that failed.
    async fn one(&self, pool: &PgPool, input: &Self::Input) -> Result<Self::Output>;
}

/// One column of a batch, for binding as an array parameter.
pub(crate) fn column<'a, T, U>(rows: &'a [T], field: impl Fn(&'a T) -> U) -> Vec<U> {
    rows.iter().map(field).collect()
}

type Request<J> = (
    <J as Job>::Input,
    oneshot::Sender<Result<<J as Job>::Output>>,
);

/// A queue in front of one [`Job`], drained by a few tasks, each with at
/// most one batch in flight.
pub(crate) struct Batcher<J: Job> {
    queue: mpsc::Sender<Request<J>>,
}

impl<J: Job> Batcher<J> {
    /// Spawns `lanes` draining tasks on the current runtime. They end when
    /// the last handle to the batcher is dropped.
    pub(crate) fn spawn(job: J, pool: PgPool, lanes: usize) -> Self {
        let (queue, rx) = mpsc::channel::<Request<J>>(MAX_BATCH * 16);
        let rx = Arc::new(Mutex::new(rx));
        let job = Arc::new(job);
        for _ in 0..lanes.max(1) {
            let (rx, job, pool) = (Arc::clone(&rx), Arc::clone(&job), pool.clone());
            tokio::spawn(async move {
                while let Some(batch) = next_batch::<J>(&rx).await {
                    run(&*job, &pool, batch).await;
                }
            });
        }
        Self { queue }
    }

    /// Queues `input` and waits for its answer.
    pub(crate) async fn submit(&self, input: J::Input) -> Result<J::Output> {
        let (tx, rx) = oneshot::channel();
        self.queue
            .send((input, tx))
            .await
            .map_err(|_| StorageError::unhandled(Stopped))?;
        rx.await.map_err(|_| StorageError::unhandled(Stopped))?
    }
}

/// Waits for one request, then takes whatever else is already queued.
/// The lock is held only while collecting, so another lane collects the
/// next batch while this one runs.
async fn next_batch<J: Job>(rx: &Mutex<mpsc::Receiver<Request<J>>>) -> Option<Vec<Request<J>>> {
    let mut rx = rx.lock().await;
    let first = rx.recv().await?;
    let mut batch = Vec::with_capacity(8);
    batch.push(first);
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(r) => batch.push(r),
            Err(_) => break,
        }
    }
    Some(batch)
}

async fn run<J: Job>(job: &J, pool: &PgPool, batch: Vec<Request<J>>) {
    let (inputs, answers): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
    if inputs.len() > 1 {
        match job.many(pool, &inputs).await {
            Ok(outputs) if outputs.len() == inputs.len() => {
                for (answer, output) in answers.into_iter().zip(outputs) {
                    let _gone = answer.send(Ok(output));
                }
                return;
            }
            Ok(_) => tracing::error!("a batched statement answered the wrong number of rows"),
            Err(e) if refused_by_the_database(&e) => {
                tracing::debug!(error = %e, size = inputs.len(), "batch refused; retrying its inputs one by one")
            }
            // The database could not be reached or did not answer: one by
            // one would fail the same way, each after its own timeout, and
            // keep this lane from the next batch long after it recovers.
            Err(e) => {
                let e = std::sync::Arc::new(e);
                for answer in answers {
                    let _gone = answer.send(Err(StorageError::unhandled(Shared(e.clone()))));
                }
                return;
            }
        }
    }
    for (input, answer) in inputs.iter().zip(answers) {
        // A request given up on (its client went away) is not retried.
        if !answer.is_closed() {
            let _gone = answer.send(job.one(pool, input).await);
        }
    }
}

/// Whether PostgreSQL itself refused the statement (a constraint, a bad
/// value): then the other rows of the batch may well succeed alone.
fn refused_by_the_database(e: &StorageError) -> bool {
    match e {
        StorageError::AlreadyExists { .. } | StorageError::NotFound { .. } => true,
        StorageError::Unhandled(source) => matches!(
            source.downcast_ref::<sqlx::Error>(),
            Some(sqlx::Error::Database(_))
        ),
        _ => false,
    }
}

/// One batch's failure, answered to each of its requests.
#[derive(Debug, thiserror::Error)]
#[error("the batched statement failed")]
struct Shared(#[source] std::sync::Arc<StorageError>);

/// The draining tasks are gone (the runtime is shutting down).
#[derive(Debug, thiserror::Error)]
#[error("the batched-write queue has stopped")]
struct Stopped;

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Doubles its inputs. A zero is a row the database refuses (the whole
    /// batch holding it fails, as a statement does, and so does the zero
    /// alone); a 1000 makes the batch fail as if the database were
    /// unreachable.
    #[derive(Default)]
    struct Double {
        batches: AtomicUsize,
        largest: AtomicUsize,
        alone: AtomicUsize,
    }

    #[async_trait]
    impl Job for Arc<Double> {
        type Input = u32;
        type Output = u32;

        async fn many(&self, _: &PgPool, inputs: &[u32]) -> Result<Vec<u32>> {
            self.batches.fetch_add(1, Ordering::SeqCst);
            self.largest.fetch_max(inputs.len(), Ordering::SeqCst);
            tokio::task::yield_now().await;
            if inputs.contains(&1000) {
                return Err(StorageError::unhandled(sqlx::Error::PoolTimedOut));
            }
            if inputs.contains(&0) {
                return Err(StorageError::AlreadyExists { what: "zero" });
            }
            Ok(inputs.iter().map(|i| i * 2).collect())
        }

        async fn one(&self, _: &PgPool, input: &u32) -> Result<u32> {
            self.alone.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            if *input == 0 {
                return Err(StorageError::AlreadyExists { what: "zero" });
            }
            Ok(input * 2)
        }
    }

    /// A pool that never connects: the test jobs do not use it.
    fn pool() -> PgPool {
        sqlx::postgres::PgPoolOptions::new()
            .connect_lazy("postgres://nobody@127.0.0.1:1/none")
            .expect("lazy pool")
    }

    /// Submits every input at once, from its own task.
    async fn submit_all(
        b: &Arc<Batcher<Arc<Double>>>,
        inputs: impl Iterator<Item = u32>,
    ) -> Vec<(u32, Result<u32>)> {
        let mut tasks = tokio::task::JoinSet::new();
        for i in inputs {
            let b = Arc::clone(b);
            tasks.spawn(async move { (i, b.submit(i).await) });
        }
        tasks.join_all().await
    }

    #[tokio::test]
    async fn concurrent_requests_share_batches_and_get_their_own_answers() {
        let job = Arc::new(Double::default());
        let b = Arc::new(Batcher::spawn(Arc::clone(&job), pool(), 1));
        for (i, a) in submit_all(&b, 1..=200).await {
            assert_eq!(a.expect("answer"), i * 2);
        }
        assert!(
            job.largest.load(Ordering::SeqCst) > 1,
            "requests were batched"
        );
        assert!(job.largest.load(Ordering::SeqCst) <= MAX_BATCH);
    }

    #[tokio::test]
    async fn a_bad_input_fails_only_its_own_request() {
        let job = Arc::new(Double::default());
        let b = Arc::new(Batcher::spawn(Arc::clone(&job), pool(), 1));
        for (i, a) in submit_all(&b, 0..50).await {
            match i {
                0 => assert!(a.is_err(), "the zero fails"),
                _ => assert_eq!(a.expect("answer"), i * 2),
            }
        }
    }

    #[tokio::test]
    async fn an_unreachable_database_fails_the_batch_without_retries() {
        let job = Arc::new(Double::default());
        let b = Arc::new(Batcher::spawn(Arc::clone(&job), pool(), 1));
        let answers = submit_all(&b, [1, 2, 1000, 3].into_iter()).await;
        assert!(job.largest.load(Ordering::SeqCst) > 1, "one batch");
        assert!(answers.iter().all(|(_, a)| a.is_err()), "{answers:?}");
        assert_eq!(job.alone.load(Ordering::SeqCst), 0, "nothing retried alone");
    }

    #[tokio::test]
    async fn a_lone_request_runs_alone() {
        let job = Arc::new(Double::default());
        let b = Batcher::spawn(Arc::clone(&job), pool(), 2);
        assert_eq!(b.submit(21).await.expect("answer"), 42);
        assert_eq!(job.batches.load(Ordering::SeqCst), 0, "no batch for one");
    }
}
