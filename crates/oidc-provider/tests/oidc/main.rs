//! In-process tests of the provider: the real router on a local port with
//! SQLite and the in-memory ephemeral store.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers outside #[test] functions fail loudly on purpose"
)]

mod helpers;

mod audit_trail;
mod authorize;
mod backends;
mod clients;
mod code_flow;
mod discovery;
mod introspection;
mod keys;
mod logout;
mod outages;
mod registration;
mod tokens;
