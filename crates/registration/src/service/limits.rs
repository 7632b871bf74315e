//! Abuse limits over the ephemeral store, so every node counts together.
//! The counter and the keys enrollment shares with recovery live in
//! `pratu_core::limits`; this crate only names the rules (`[limits]`).

pub(crate) use pratu_core::limits::Limiter;
pub(crate) use pratu_core::limits::client_key as limit_key;
pub(crate) use pratu_core::limits::keys;
