//! In-process tests of the enrollment routes: the real router on a local
//! port, a fresh SQLite store per test, the in-memory ephemeral store and a
//! mock clock. One test binary (modules below).

mod audit_trail;
mod backends;
mod concurrency;
mod flow;
mod helpers;
mod privacy;
mod refusals_account;
mod refusals_identity;
mod refusals_phone;
mod refusals_start;
mod refusals_steps;
mod wizard;
