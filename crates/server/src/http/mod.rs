//! The HTTP surface that belongs to the server itself (health, metrics), the
//! layers every route gets (request ids, security headers, timeouts,
//! metrics, tracing) and the accept loop that serves them.

pub mod client_ip;
pub mod health;
pub mod layers;
pub mod metrics;
pub mod serve;
