//! Answers of the authorization endpoint: the code or an error sent back to
//! the client (query or form_post, always with `iss` per RFC 9207), or an
//! error page when the client cannot be trusted with a redirect.

use axum::http::header::{CACHE_CONTROL, LOCATION, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use pratu_core::web::error::InternalError;

use pratu_storage::StorageError;

use crate::clients::random_token;
use crate::state::Forms;
use crate::web::i18n::Locale;
use crate::web::pages::{self, ErrorPage, FormPostPage};

pub(crate) use pratu_storage::records::ResponseMode;

/// Where (and how) to send the answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RedirectTarget {
    pub redirect_uri: String,
    pub response_mode: ResponseMode,
    pub state: Option<String>,
    pub locale: Locale,
}

/// Errors shown on a page: no trustworthy redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PageError {
    UnknownClient,
    BadRedirectUri,
    BadRequest(String),
    /// The pending request is gone (expired or already answered).
    Expired,
    /// The account's or the phone's daily step-up codes are used up.
    TooManyCodes,
    Server,
    /// The ephemeral store refused a new pending request (full): try later.
    Unavailable,
    /// This address made `limits.authorize.pending_per_ip` requests.
    TooManyRequests,
}

#[derive(Debug, Clone)]
pub(crate) enum AuthorizeError {
    Page(PageError, Locale),
    /// A failure on our side: the server-error page, its cause logged.
    Internal(InternalError, Locale),
    Redirect {
        target: RedirectTarget,
        error: &'static str,
        description: String,
    },
}

impl AuthorizeError {
    /// A storage failure: a full ephemeral store is a 503 to retry (it
    /// refused rather than evict security state), anything else ours.
    pub fn storage(e: StorageError, locale: Locale) -> Self {
        match e {
            StorageError::Full => Self::Page(PageError::Unavailable, locale),
            e => Self::Internal(e.into(), locale),
        }
    }

    pub fn respond(self, forms: &Forms) -> Response {
        match self {
            Self::Page(e, locale) => error_page(e, locale),
            Self::Internal(cause, locale) => server_error(cause, locale),
            Self::Redirect {
                target,
                error,
                description,
            } => {
                tracing::info!(error, description = %description, "authorization request refused");
                redirect(
                    forms,
                    &target,
                    vec![
                        ("error", error.to_owned()),
                        ("error_description", description),
                    ],
                )
            }
        }
    }
}

/// Marks `page` (the form again, with [`Texts::busy`]) as a refusal to
/// retry: 503 with `Retry-After`, since the password workers' queue was
/// full and no guess was checked.
///
/// [`Texts::busy`]: crate::web::i18n::Texts::busy
pub(crate) fn busy(mut page: Response) -> Response {
    *page.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    page.headers_mut().insert(
        RETRY_AFTER,
        HeaderValue::from(pratu_core::password::BUSY_RETRY_AFTER_SECONDS),
    );
    page
}

/// The friendly page for a failure on our side; the cause goes to the log
/// (once, with the request id, by `pratu_core::web::log_internal_errors`).
pub(crate) fn server_error(cause: impl Into<InternalError>, locale: Locale) -> Response {
    let cause = cause.into();
    // A store that is down is not our bug: 503 with Retry-After, and the
    // page is right again once the store is back.
    let page = if cause.is_outage() {
        PageError::Unavailable
    } else {
        PageError::Server
    };
    cause.attach(error_page(page, locale))
}

pub(crate) fn error_page(e: PageError, locale: Locale) -> Response {
    let t = locale.texts();
    let (status, message, code) = match &e {
        PageError::UnknownClient => (
            StatusCode::BAD_REQUEST,
            t.unknown_client.to_owned(),
            Some("invalid_client".to_owned()),
        ),
        PageError::BadRedirectUri => (
            StatusCode::BAD_REQUEST,
            t.bad_redirect_uri.to_owned(),
            Some("invalid_request".to_owned()),
        ),
        PageError::BadRequest(d) => (
            StatusCode::BAD_REQUEST,
            t.bad_request.to_owned(),
            Some(format!("invalid_request: {d}")),
        ),
        PageError::Expired => (StatusCode::BAD_REQUEST, t.session_expired.to_owned(), None),
        PageError::TooManyCodes => (
            StatusCode::TOO_MANY_REQUESTS,
            t.otp_too_many.to_owned(),
            None,
        ),
        PageError::Server => (
            StatusCode::INTERNAL_SERVER_ERROR,
            t.server_error.to_owned(),
            None,
        ),
        PageError::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            t.server_error.to_owned(),
            Some("temporarily_unavailable".to_owned()),
        ),
        PageError::TooManyRequests => (
            StatusCode::TOO_MANY_REQUESTS,
            t.server_error.to_owned(),
            Some("temporarily_unavailable".to_owned()),
        ),
    };
    let retry_after = match &e {
        PageError::Unavailable => Some(RETRY_UNAVAILABLE_SECONDS),
        PageError::TooManyRequests => Some(super::admission::WINDOW.as_secs()),
        _ => None,
    };
    let mut res = pages::render(
        status,
        &ErrorPage {
            t,
            lang_url: None,
            message: &message,
            code: code.as_deref(),
        },
        &[],
    );
    if let Some(seconds) = retry_after {
        res.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    res
}

/// `Retry-After` of a full store: pending requests expire within minutes.
const RETRY_UNAVAILABLE_SECONDS: u64 = 60;

/// Sends `params` (plus `state` and `iss`) to the client.
pub(crate) fn redirect(
    forms: &Forms,
    target: &RedirectTarget,
    mut params: Vec<(&'static str, String)>,
) -> Response {
    if let Some(s) = &target.state {
        params.push(("state", s.clone()));
    }
    params.push(("iss", forms.issuer.url.clone()));
    match target.response_mode {
        ResponseMode::Query => {
            let Ok(mut url) = url::Url::parse(&target.redirect_uri) else {
                return error_page(PageError::BadRedirectUri, target.locale);
            };
            {
                let mut q = url.query_pairs_mut();
                for (k, v) in &params {
                    q.append_pair(k, v);
                }
            }
            let mut res = StatusCode::SEE_OTHER.into_response();
            if let Ok(v) = HeaderValue::from_str(url.as_str()) {
                res.headers_mut().insert(LOCATION, v);
            }
            res.headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        ResponseMode::FormPost => {
            let nonce = random_token(&*forms.random, 16);
            let Some(csp) = pages::form_post_csp(&nonce, &target.redirect_uri) else {
                return error_page(PageError::BadRedirectUri, target.locale);
            };
            let page = FormPostPage {
                t: target.locale.texts(),
                action: &target.redirect_uri,
                fields: params.iter().map(|(k, v)| (*k, v.as_str())).collect(),
                nonce: &nonce,
            };
            pages::render_with_csp(StatusCode::OK, &page, &[], &csp)
        }
    }
}
