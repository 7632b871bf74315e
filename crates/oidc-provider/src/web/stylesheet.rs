//! The pages' stylesheet, served from the binary so the content security
//! policy can forbid inline styles (`style-src 'self'`).

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::IntoResponse;

pub(crate) const PATH: &str = "/assets/pratu.css";

const CSS: &str = include_str!("../../assets/pratu.css");

/// An hour of caching: short enough that a new release's styles arrive the
/// same day, long enough that a sign-in does not fetch them twice.
pub(crate) async fn stylesheet() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
}
