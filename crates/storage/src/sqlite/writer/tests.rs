//! The writer's promises, on a private in-memory database: batching, and
//! failures that stay with the request that caused them.

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

#[tokio::test]
async fn a_panicking_request_fails_alone_and_the_writer_carries_on() {
    let w = writer().await;
    let panicked = w
        .write((), |_conn, ()| -> Result<()> {
            panic!("a bug in a request")
        })
        .await;
    assert!(panicked.is_err());
    w.write("a", insert).await.unwrap();
    assert_eq!(keys(&w).await, ["a"]);
    assert!(w.is_open());
}
