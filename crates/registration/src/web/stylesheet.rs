//! The wizard's stylesheet, served from the binary so the content security
//! policy can forbid inline styles (`style-src 'self'`).

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;

pub(crate) const PATH: &str = "/register/wizard.css";

const CSS: &str = include_str!("../../assets/wizard.css");

/// An hour of caching: short enough that a new release's styles arrive the
/// same day, long enough that the wizard's pages do not refetch them.
pub(crate) async fn stylesheet() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
}
