//! The HTML wizard at `/register`: one page per step, Thai by default with
//! an English switch (`?lang=en`, remembered in a cookie; otherwise the
//! browser's `Accept-Language` decides), works without
//! JavaScript, CSRF-protected forms. It calls the same service as the JSON
//! API; each page re-reads the persisted enrollment and sends the citizen to
//! the step it is really at.

use askama::Template;
use axum::Router;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use pratu_core::web::Csrf;
use pratu_storage::records::EnrollmentStep;

use crate::request::context_of;
use crate::service::{Context, EnrollmentAccess, EnrollmentError, Review};
use crate::state::RegistrationState;

mod account;
mod continue_to;
mod cookies;
mod finish;
mod i18n;
mod identity;
mod page;
mod phone;
mod problem;
mod start;
mod stylesheet;

pub use i18n::Lang;
use page::Page;

pub(crate) fn routes<S>() -> Router<S>
where
    RegistrationState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/register", get(start::consent_page))
        .route(stylesheet::PATH, get(stylesheet::stylesheet))
        .route("/register/consent", post(start::consent_submit))
        .route("/register/restart", post(start::restart))
        .route(
            "/register/citizen-id",
            get(start::citizen_page).post(start::citizen_submit),
        )
        .route(
            "/register/method",
            get(identity::method_page).post(identity::method_submit),
        )
        .route("/register/no-laser-code", get(identity::no_laser_page))
        .route(
            "/register/personal",
            get(identity::personal_page).post(identity::personal_submit),
        )
        .route(
            "/register/laser-code",
            get(identity::laser_page).post(identity::laser_submit),
        )
        .route(
            "/register/account",
            get(account::account_page).post(account::account_submit),
        )
        .route(
            "/register/phone",
            get(phone::phone_page).post(phone::phone_submit),
        )
        .route(
            "/register/phone/verify",
            get(phone::verify_page).post(phone::verify_submit),
        )
        .route("/register/phone/resend", post(phone::resend))
        .route("/register/review", get(finish::review_page))
        .route("/register/confirm", post(finish::confirm))
        .route("/register/done", get(finish::done_page))
}

/// Where in the wizard an enrollment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    CitizenId,
    Method,
    Personal,
    Laser,
    Account,
    Phone,
    Verify,
    Review,
    Done,
}

impl Stage {
    pub fn path(self) -> &'static str {
        match self {
            Self::CitizenId => "/register/citizen-id",
            Self::Method => "/register/method",
            Self::Personal => "/register/personal",
            Self::Laser => "/register/laser-code",
            Self::Account => "/register/account",
            Self::Phone => "/register/phone",
            Self::Verify => "/register/phone/verify",
            Self::Review => "/register/review",
            Self::Done => "/register/done",
        }
    }

    /// The enrollment's current page.
    pub fn of(review: &Review, code_pending: bool) -> Self {
        match review.step {
            EnrollmentStep::CitizenId => Self::CitizenId,
            EnrollmentStep::Identity if review.method.is_none() => Self::Method,
            EnrollmentStep::Identity if review.personal.is_none() => Self::Personal,
            EnrollmentStep::Identity => Self::Laser,
            EnrollmentStep::Account => Self::Account,
            EnrollmentStep::Phone if code_pending => Self::Verify,
            EnrollmentStep::Phone => Self::Phone,
            EnrollmentStep::Review => Self::Review,
            EnrollmentStep::Completed => Self::Done,
        }
    }

    /// Whether this page may be shown (and its form sent) now.
    pub fn open(self, review: &Review) -> bool {
        use EnrollmentStep as S;
        let step = review.step;
        match self {
            Self::CitizenId => matches!(step, S::CitizenId | S::Identity),
            Self::Method => step == S::Identity,
            Self::Personal => step == S::Identity && review.method.is_some(),
            Self::Laser => step == S::Identity && review.personal.is_some(),
            Self::Account => matches!(step, S::Account | S::Phone | S::Review),
            Self::Phone => matches!(step, S::Phone | S::Review),
            Self::Verify => step == S::Phone && review.phone.is_some(),
            Self::Review => step == S::Review,
            Self::Done => step == S::Completed,
        }
    }
}

/// Per-request wizard context: state, language, CSRF, enrollment cookie.
pub(crate) struct Web {
    pub state: RegistrationState,
    pub lang: Lang,
    lang_chosen: bool,
    csrf_secret: String,
    csrf_new: bool,
    pub enrollment: Option<EnrollmentAccess>,
    pub ctx: Context,
    clear_enrollment: bool,
    set_enrollment: Option<EnrollmentAccess>,
}

impl<S> FromRequestParts<S> for Web
where
    RegistrationState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = RegistrationState::from_ref(state);
        let jar = state.cookies();
        let from_query = parts.uri.query().and_then(|q| {
            q.split('&')
                .filter_map(|kv| kv.split_once('='))
                .find(|(k, _)| *k == "lang")
                .and_then(|(_, v)| Lang::from_tag(v))
        });
        let lang = Lang::negotiate(from_query, jar, &parts.headers);
        let existing = jar
            .get(&parts.headers, cookies::CSRF)
            .filter(|v| Csrf::is_binding(v))
            .map(str::to_owned);
        let csrf_new = existing.is_none();
        let csrf_secret = existing.unwrap_or_else(|| Csrf::new_binding(state.random()));
        let enrollment = jar
            .get(&parts.headers, cookies::ENROLLMENT)
            .and_then(cookies::parse_enrollment);
        Ok(Self {
            ctx: context_of(parts, "web"),
            state,
            lang,
            lang_chosen: from_query.is_some(),
            csrf_secret,
            csrf_new,
            enrollment,
            clear_enrollment: false,
            set_enrollment: None,
        })
    }
}

impl Web {
    /// What this browser's form tokens are bound to. The terms form (sent
    /// before an enrollment exists): the CSRF cookie. Every other form: the
    /// enrollment's token (in the HttpOnly enrollment cookie) and id, so a
    /// form token fits this one enrollment in this one browser, and a CSRF
    /// cookie planted by a sibling host (it cannot carry `__Host-`) does not
    /// help forge one. Without an enrollment those forms fall back to the
    /// CSRF cookie (the start-again form of an expired enrollment).
    fn csrf_binding(&self, start: bool) -> (&str, String) {
        match &self.enrollment {
            Some(a) if !start => (a.token.expose(), format!("enrollment:{}", a.id)),
            _ => (&self.csrf_secret, cookies::CSRF_START_PURPOSE.to_owned()),
        }
    }

    fn page_bound(&self, step: u8, path: &'static str, start: bool) -> Page {
        let (binding, purpose) = self.csrf_binding(start);
        Page {
            lang: self.lang,
            csrf: self.state.csrf().token(binding, &purpose),
            step,
            path,
            citizen_masked: None,
            alert: None,
            errors: Vec::new(),
        }
    }

    pub fn page(&self, step: u8, path: &'static str) -> Page {
        self.page_bound(step, path, false)
    }

    /// A page whose form starts an enrollment (the terms).
    pub fn start_page(&self, step: u8, path: &'static str) -> Page {
        self.page_bound(step, path, true)
    }

    fn csrf_checks(&self, token: Option<&String>, start: bool) -> bool {
        let (binding, purpose) = self.csrf_binding(start);
        // A CSRF cookie made by this very request was never in a form.
        let fresh_cookie = (start || self.enrollment.is_none()) && self.csrf_new;
        !fresh_cookie
            && self
                .state
                .csrf()
                .verify(Some(binding), &purpose, token.map(String::as_str))
    }

    /// Whether a form's CSRF token is good.
    pub fn csrf_ok(&self, token: Option<&String>) -> bool {
        self.csrf_checks(token, false)
    }

    /// Whether the terms form's CSRF token is good.
    pub fn csrf_ok_start(&self, token: Option<&String>) -> bool {
        self.csrf_checks(token, true)
    }

    pub fn remember_enrollment(&mut self, access: EnrollmentAccess) {
        self.enrollment = Some(access.clone());
        self.set_enrollment = Some(access);
    }

    pub fn forget_enrollment(&mut self) {
        self.enrollment = None;
        self.clear_enrollment = true;
    }

    fn finish(&self, mut response: Response) -> Response {
        let jar = self.state.cookies();
        let h = response.headers_mut();
        let mut add = |v: Option<HeaderValue>| {
            if let Some(v) = v {
                h.append(header::SET_COOKIE, v);
            }
        };
        if self.csrf_new {
            add(jar.set(cookies::CSRF, &self.csrf_secret, None));
        }
        if self.lang_chosen {
            add(jar.set(cookies::LANG, self.lang.code(), Some(365 * 24 * 3600)));
        }
        if let Some(access) = &self.set_enrollment {
            let age = self.state.service().config().expiry_minutes * 60;
            let value = cookies::enrollment_value(access);
            add(jar.set(cookies::ENROLLMENT, &value, Some(age)));
        } else if self.clear_enrollment {
            add(jar.clear(cookies::ENROLLMENT));
        }
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.append(
            header::VARY,
            HeaderValue::from_static("accept-language, cookie"),
        );
        h.insert("x-frame-options", HeaderValue::from_static("DENY"));
        h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
        response
    }

    pub fn render(&self, status: StatusCode, template: &impl Template) -> Response {
        match template.render() {
            Ok(html) => self.finish((status, Html(html)).into_response()),
            Err(e) => {
                tracing::error!(error = %e, "template failed");
                self.finish((StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response())
            }
        }
    }

    pub fn redirect(&self, to: &str) -> Response {
        self.finish(Redirect::to(to).into_response())
    }

    /// The enrollment of the cookie, or the response to send instead
    /// (back to the start, or a page saying it expired).
    pub async fn load(&mut self) -> Result<(EnrollmentAccess, Review), Response> {
        let Some(access) = self.enrollment.clone() else {
            return Err(self.redirect("/register"));
        };
        match self.state.service().review(&access).await {
            Ok(r) => Ok((access, r)),
            Err(e) => Err(self.fail(&e)),
        }
    }

    /// The current stage, looking up whether a code is waiting.
    pub async fn stage(&self, access: &EnrollmentAccess, review: &Review) -> Stage {
        let pending = review.step == EnrollmentStep::Phone
            && matches!(
                self.state.service().pending_phone(access).await,
                Ok(Some(_))
            );
        Stage::of(review, pending)
    }

    /// Loads the enrollment and checks that `page` is open; otherwise sends
    /// the citizen to where the enrollment really is.
    pub async fn open(&mut self, page: Stage) -> Result<(EnrollmentAccess, Review), Response> {
        let (access, review) = self.load().await?;
        if page.open(&review) {
            return Ok((access, review));
        }
        let at = self.stage(&access, &review).await;
        Err(self.redirect(at.path()))
    }

    /// Errors no form can fix: a page that says what happened.
    pub fn fail(&mut self, e: &EnrollmentError) -> Response {
        if matches!(
            e,
            EnrollmentError::NotFound | EnrollmentError::Expired | EnrollmentError::InvalidToken
        ) {
            self.forget_enrollment();
        }
        problem::render(self, e)
    }

    /// A form arrived without a good CSRF token.
    pub fn csrf_failed(&self, back: &'static str) -> Response {
        problem::csrf(self, back)
    }
}

/// Masked ID for the page header.
pub(crate) fn masked(review: &Review) -> Option<String> {
    review.citizen_id.clone()
}

#[cfg(test)]
mod tests;
