//! The page for errors no form can fix: expired or unknown enrollments,
//! stale forms, outages.

use askama::Template;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;

use super::Web;
use super::page::Page;
use pratu_core::web::error::InternalError;

use crate::service::EnrollmentError;

#[derive(Template)]
#[template(path = "problem.html")]
pub(crate) struct ProblemPage {
    pub p: Page,
    pub message: String,
    pub start_again: bool,
    pub back: &'static str,
}

pub(crate) fn render(web: &Web, e: &EnrollmentError) -> Response {
    let p = web.page(1, "/register");
    let key = format!("problem.{}", e.code());
    let message = if super::i18n::has(&key) {
        p.t(&key).to_owned()
    } else {
        p.t("problem.internal_error").to_owned()
    };
    let start_again = matches!(
        e,
        EnrollmentError::NotFound | EnrollmentError::Expired | EnrollmentError::InvalidToken
    );
    let status = match e {
        EnrollmentError::NotFound => StatusCode::NOT_FOUND,
        EnrollmentError::InvalidToken => StatusCode::UNAUTHORIZED,
        EnrollmentError::Expired => StatusCode::GONE,
        EnrollmentError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        EnrollmentError::IdentityServiceUnavailable
        | EnrollmentError::SmsUnavailable
        | EnrollmentError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::CONFLICT,
    };
    let mut page = web.render(
        status,
        &ProblemPage {
            p,
            message,
            start_again,
            back: "/register",
        },
    );
    if let EnrollmentError::Busy { retry_after } = e
        && let Ok(v) = HeaderValue::from_str(&retry_after.to_string())
    {
        page.headers_mut().insert(RETRY_AFTER, v);
    }
    match e {
        // The cause stays with the error; its description goes to the log.
        EnrollmentError::Internal(source) => {
            InternalError::describing(source.as_ref()).attach(page)
        }
        _ => page,
    }
}

pub(crate) fn csrf(web: &Web, back: &'static str) -> Response {
    let p = web.page(1, back);
    let message = p.t("problem.csrf").to_owned();
    web.render(
        StatusCode::FORBIDDEN,
        &ProblemPage {
            p,
            message,
            start_again: false,
            back,
        },
    )
}
