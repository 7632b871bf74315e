//! What every page of the front door and the portal shares: the language
//! (chosen once per request), the chrome around the content (header,
//! language link, the signed-in navigation, footer), the response headers of
//! an HTML page, and the friendly error page.

use askama::Template;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, SET_COOKIE, VARY};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use pratu_core::web::Language;
use pratu_core::web::csp;
use pratu_core::web::error::InternalError;
use pratu_core::web::locale;

use super::i18n;
use crate::state::AccountState;

/// How long an explicit language choice is remembered.
const LANG_COOKIE_SECONDS: u64 = 365 * 24 * 3600;

/// The language of this request's page: `?lang=` (remembered in the site's
/// language cookie), else the cookie, else `Accept-Language`, else Thai.
#[derive(Debug, Clone, Copy)]
pub struct PageLang {
    pub lang: Language,
    /// Chosen by `?lang=` on this very request (the cookie is then set).
    chosen: bool,
}

impl PageLang {
    pub fn new(lang: Language) -> Self {
        Self {
            lang,
            chosen: false,
        }
    }
}

impl<S> FromRequestParts<S> for PageLang
where
    AccountState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AccountState::from_ref(state);
        let explicit = parts.uri.query().and_then(|q| {
            q.split('&')
                .filter_map(|kv| kv.split_once('='))
                .find(|(k, _)| *k == "lang")
                .and_then(|(_, v)| Language::from_tag(v))
        });
        Ok(Self {
            lang: Language::negotiate(explicit, state.cookies(), &parts.headers),
            chosen: explicit.is_some(),
        })
    }
}

/// One entry of the portal's navigation.
#[derive(Debug, Clone)]
pub struct NavItem {
    pub href: &'static str,
    /// An [`i18n`] key.
    pub key: &'static str,
    pub current: bool,
}

/// The portal's sections, in menu order: `(path, i18n key)`. A section
/// is listed here once its pages exist (no placeholders).
pub const NAV: &[(&str, &str)] = &[
    ("/account", "nav.profile"),
    ("/account/password", "nav.password"),
    ("/account/phone", "nav.phone"),
    ("/account/activity", "nav.activity"),
    ("/account/apps", "nav.apps"),
    ("/account/sessions", "nav.sessions"),
    ("/account/factors", "nav.factors"),
    ("/account/data", "nav.data"),
    ("/account/delete", "nav.delete"),
];

/// The signed-in part of the chrome.
#[derive(Debug, Clone)]
pub struct Shell {
    pub username: String,
    /// The sign-out form's CSRF token.
    pub signout_csrf: String,
    pub nav: Vec<NavItem>,
}

/// Around every page's content. Templates extend `portal/base.html` and
/// hold a `c: Chrome`.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub lang: Language,
    /// This page's path, for the language link.
    pub path: &'static str,
    /// Present on the portal's signed-in pages.
    pub shell: Option<Shell>,
}

impl Chrome {
    pub fn public(lang: Language, path: &'static str) -> Self {
        Self {
            lang,
            path,
            shell: None,
        }
    }

    pub fn t(&self, key: &str) -> &'static str {
        i18n::text(self.lang, key)
    }

    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    pub fn other_lang_code(&self) -> &'static str {
        self.lang.other().code()
    }

    /// The language link: this page in the other language.
    pub fn lang_href(&self) -> String {
        format!("{}?lang={}", self.path, self.other_lang_code())
    }
}

/// An HTML page with the headers every page of the portal carries: the
/// strict content security policy, no caching (personal data), the
/// language cookie when the language was chosen on this request.
pub fn render(
    state: &AccountState,
    lang: PageLang,
    status: StatusCode,
    page: &impl Template,
) -> Response {
    let mut res = match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => InternalError::from(e)
            .attach((StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()),
    };
    let h = res.headers_mut();
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp::PAGE));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.append(VARY, HeaderValue::from_static("accept-language, cookie"));
    if lang.chosen
        && let Some(c) =
            state
                .cookies()
                .set(locale::COOKIE, lang.lang.code(), Some(LANG_COOKIE_SECONDS))
    {
        h.append(SET_COOKIE, c);
    }
    res
}

#[derive(Template)]
#[template(path = "portal/error.html")]
struct ErrorPage {
    c: Chrome,
    /// An [`i18n`] key.
    message: &'static str,
    /// Offer to start signing in again.
    retry: bool,
}

/// A friendly page for a failure no form can fix, in the visitor's
/// language; `message` is an [`i18n`] key (`error.*`).
pub fn error_page(
    state: &AccountState,
    lang: PageLang,
    status: StatusCode,
    message: &'static str,
) -> Response {
    let retry = matches!(
        message,
        "error.signin_failed"
            | "error.signin_cancelled"
            | "error.signin_expired"
            | "error.form_stale"
    );
    render(
        state,
        lang,
        status,
        &ErrorPage {
            c: Chrome::public(lang.lang, "/account"),
            message,
            retry,
        },
    )
}

/// The error page for an internal failure: the cause goes to the log (once,
/// with the request id), the visitor reads "busy, try again".
pub fn unavailable(
    state: &AccountState,
    lang: PageLang,
    cause: impl Into<InternalError>,
) -> Response {
    cause.into().attach(error_page(
        state,
        lang,
        StatusCode::SERVICE_UNAVAILABLE,
        "error.busy",
    ))
}

/// `GET /account/portal.css`: served from the binary so the content
/// security policy can forbid inline styles (`style-src 'self'`); the
/// enrollment wizard's visual language, plus the portal's pieces.
pub const STYLESHEET_PATH: &str = "/account/portal.css";

pub async fn stylesheet() -> impl IntoResponse {
    use axum::http::header::CONTENT_TYPE;
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/portal.css"),
    )
}
