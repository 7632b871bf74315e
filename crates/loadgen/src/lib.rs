//! pratu-load: a load generator for Pratu and the driver of its benchmark.
//!
//! Every virtual user owns one plain HTTP/1.1 keep-alive connection and a
//! cookie jar, and runs one scenario in a loop; latencies of the operations
//! that start inside the measured window are kept exactly (no histogram
//! buckets), so percentiles are the real ones. A run with any error is not a
//! result: [`Summary::is_result`] says so and the binary exits non-zero.
//!
//! `bench` starts the real `pratu` binary (SQLite, and PostgreSQL + Redis
//! when given), prepares it through its CLI, measures the machine's Argon2id
//! limit, runs every scenario and writes the README's Performance table.

pub mod bench;
pub mod conn;
pub mod ctx;
pub mod enroll;
pub mod error;
pub mod flow;
pub mod html;
pub mod idtoken;
pub mod outbox;
pub mod procstat;
pub mod random;
pub mod registry;
pub mod report;
pub mod ring_jwt;
pub mod run;
pub mod scenario;
pub mod stats;

pub use ctx::{Ctx, CtxOptions};
pub use error::LoadError;
pub use run::{RunOptions, run};
pub use scenario::Scenario;
pub use stats::Summary;
