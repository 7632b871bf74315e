//! The HTTP surface that belongs to the server itself (health, metrics) and
//! the layers every route gets (request ids, security headers, timeouts,
//! metrics, tracing).

pub mod client_ip;
pub mod health;
pub mod layers;
pub mod metrics;
