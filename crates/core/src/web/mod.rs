//! The web plumbing every surface (wizard, provider pages, JSON APIs,
//! console) uses, written once:
//! - [`context`]: who is asking — the client IP and the request id;
//! - [`cookies`]: how a cookie is written and read;
//! - [`csp`]: the Content-Security-Policy of every HTML page;
//! - [`csrf`]: the one CSRF scheme for every form;
//! - [`locale`]: which language (Thai or English) a page is shown in;
//! - [`problem`]: RFC 9457 problem+json responses;
//! - [`error`]: internal errors logged once, with the request id, where
//!   they become a response.

pub mod context;
pub mod cookies;
pub mod csp;
pub mod csrf;
pub mod error;
pub mod locale;
pub mod problem;

pub use context::{ClientIp, RequestContext};
pub use cookies::{CookieDef, CookiePolicy};
pub use csrf::Csrf;
pub use error::{InternalError, log_internal_errors};
pub use locale::Language;
pub use problem::Problem;
