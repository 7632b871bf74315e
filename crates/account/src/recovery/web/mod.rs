//! The recovery wizard at `/recover`: one page per step, Thai by default
//! with an English link (`?lang=en`, remembered in a cookie; otherwise the
//! browser's `Accept-Language`), no JavaScript, a CSRF token on every form.
//! It calls the same service as the JSON API. The recovery's id and token
//! live in the HttpOnly cookie `__Host-pratu_recovery`; once a recovery
//! exists, every form's CSRF token is bound to its token.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use pratu_core::web::error::InternalError;
use pratu_core::web::{CookieDef, Csrf, Language, RequestContext};
use uuid::Uuid;

use super::error::RecoveryError;
use super::service::{Destination, IdentityInput, RecoveryService, Status};
use super::state::Stage;
use super::token::{RecoveryAccess, RecoveryToken};
use crate::state::AccountState;

mod i18n;
mod pages;

use pages::Page;

const STYLESHEET: &str = "/recover/recover.css";
const CSS: &str = include_str!("../../../assets/recover.css");

/// The recovery's id and token: the citizen's one credential for it.
const RECOVERY: CookieDef = CookieDef::host("pratu_recovery");
/// The browser's CSRF binding before a recovery exists.
const CSRF: CookieDef = CookieDef::scoped("pratu_recover_csrf", "/recover");
const START_PURPOSE: &str = "recovery.start";
/// What the finished recovery removed besides the password, for the done
/// page that follows the redirect (`<app removed 0|1>.<passkeys>`): no
/// secret, and kept only long enough to read it.
const REMOVED: CookieDef = CookieDef::scoped("pratu_recovered", "/recover");
const REMOVED_SECONDS: u64 = 600;

/// The second factors a finished recovery removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Removed {
    pub authenticator_app: bool,
    pub passkeys: u32,
}

impl Removed {
    fn encode(self) -> String {
        format!("{}.{}", u8::from(self.authenticator_app), self.passkeys)
    }

    fn decode(v: &str) -> Option<Self> {
        let (app, passkeys) = v.split_once('.')?;
        let authenticator_app = match app {
            "0" => false,
            "1" => true,
            _ => return None,
        };
        let passkeys = passkeys.parse().ok()?;
        (authenticator_app || passkeys > 0).then_some(Self {
            authenticator_app,
            passkeys,
        })
    }
}

pub(crate) fn routes<S>() -> Router<S>
where
    AccountState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route("/recover", get(pages::start_page).post(pages::start_submit))
        .route(STYLESHEET, get(stylesheet))
        .route(
            "/recover/identity",
            get(pages::identity_page).post(pages::identity_submit),
        )
        .route(
            "/recover/phone",
            get(pages::phone_page).post(pages::phone_submit),
        )
        .route("/recover/otp", get(pages::otp_page).post(pages::otp_submit))
        .route(
            "/recover/password",
            get(pages::password_page).post(pages::password_submit),
        )
        .route("/recover/done", get(pages::done_page))
}

/// Served from the binary, so the CSP can forbid inline styles.
async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
}

type Fields = Form<HashMap<String, String>>;

fn stage_path(stage: Stage) -> &'static str {
    match stage {
        Stage::Identity => "/recover/identity",
        Stage::Phone => "/recover/phone",
        Stage::Otp => "/recover/otp",
        Stage::Password => "/recover/password",
    }
}

/// Per-request wizard context: state, language, CSRF, the recovery cookie.
pub(crate) struct Web {
    state: AccountState,
    pub lang: Language,
    lang_chosen: bool,
    csrf_secret: String,
    csrf_new: bool,
    pub recovery: Option<RecoveryAccess>,
    pub ctx: RequestContext,
    set_recovery: Option<RecoveryAccess>,
    clear_recovery: bool,
    /// Second factors this browser's finished recovery removed (cookie).
    pub removed: Option<Removed>,
    /// What this answer tells the done page: `Some(None)` clears an
    /// earlier recovery's report (one that removed nothing says nothing).
    report_removed: Option<Option<Removed>>,
}

impl<S> FromRequestParts<S> for Web
where
    AccountState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AccountState::from_ref(state);
        let jar = state.cookies();
        let chosen = parts.uri.query().and_then(|q| {
            q.split('&')
                .filter_map(|kv| kv.split_once('='))
                .find(|(k, _)| *k == "lang")
                .and_then(|(_, v)| Language::from_tag(v))
        });
        let lang = Language::negotiate(chosen, jar, &parts.headers);
        let existing = jar
            .get(&parts.headers, CSRF)
            .filter(|v| Csrf::is_binding(v))
            .map(str::to_owned);
        let csrf_new = existing.is_none();
        let csrf_secret = existing.unwrap_or_else(|| Csrf::new_binding(&*state.deps().random));
        let recovery = jar.get(&parts.headers, RECOVERY).and_then(|v| {
            let (id, token) = v.split_once('.')?;
            Some(RecoveryAccess::new(
                Uuid::parse_str(id).ok()?,
                RecoveryToken::parse(token)?,
            ))
        });
        let removed = jar.get(&parts.headers, REMOVED).and_then(Removed::decode);
        Ok(Self {
            ctx: RequestContext::of(parts),
            state,
            lang,
            lang_chosen: chosen.is_some(),
            csrf_secret,
            csrf_new,
            recovery,
            set_recovery: None,
            clear_recovery: false,
            removed,
            report_removed: None,
        })
    }
}

impl Web {
    fn service(&self) -> RecoveryService {
        RecoveryService::new(&self.state)
    }

    /// Forms of a recovery are bound to its token (in the HttpOnly cookie)
    /// and id; the start form to the CSRF cookie.
    fn csrf_binding(&self) -> (&str, String) {
        match &self.recovery {
            Some(a) => (a.token.expose(), format!("recovery:{}", a.id)),
            None => (&self.csrf_secret, START_PURPOSE.to_owned()),
        }
    }

    pub fn page(&self, step: u8, path: &'static str) -> Page {
        let (binding, purpose) = self.csrf_binding();
        Page::new(
            self.lang,
            self.state.csrf().token(binding, &purpose),
            step,
            path,
        )
    }

    pub fn csrf_ok(&self, fields: &HashMap<String, String>) -> bool {
        let (binding, purpose) = self.csrf_binding();
        // A CSRF cookie made by this very request was never in a form.
        let fresh = self.recovery.is_none() && self.csrf_new;
        !fresh
            && self.state.csrf().verify(
                Some(binding),
                &purpose,
                fields.get("csrf").map(String::as_str),
            )
    }

    pub fn remember(&mut self, access: RecoveryAccess) {
        self.recovery = Some(access.clone());
        self.set_recovery = Some(access);
    }

    pub fn forget(&mut self) {
        self.recovery = None;
        self.clear_recovery = true;
    }

    /// Tells the done page which second factors the recovery removed
    /// (`None`: none, and no earlier recovery's report either).
    pub fn report_removed(&mut self, removed: Option<Removed>) {
        self.report_removed = Some(removed);
    }

    fn finish(&self, mut response: Response) -> Response {
        let jar = self.state.cookies();
        let h = response.headers_mut();
        let mut add = |v: Option<HeaderValue>| {
            if let Some(v) = v {
                h.append(header::SET_COOKIE, v);
            }
        };
        if self.csrf_new && self.recovery.is_none() {
            add(jar.set(CSRF, &self.csrf_secret, None));
        }
        if self.lang_chosen {
            add(jar.set(
                pratu_core::web::locale::COOKIE,
                self.lang.code(),
                Some(365 * 24 * 3600),
            ));
        }
        if let Some(a) = &self.set_recovery {
            let value = format!("{}.{}", a.id, a.token.expose());
            let age = self.state.deps().config.recovery_ttl_seconds;
            add(jar.set(RECOVERY, &value, Some(age)));
        } else if self.clear_recovery {
            add(jar.clear(RECOVERY));
        }
        match self.report_removed {
            Some(Some(r)) => add(jar.set(REMOVED, &r.encode(), Some(REMOVED_SECONDS))),
            Some(None) if self.removed.is_some() => add(jar.clear(REMOVED)),
            Some(None) | None => {}
        }
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(pratu_core::web::csp::PAGE),
        );
        h.append(
            header::VARY,
            HeaderValue::from_static("accept-language, cookie"),
        );
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        response
    }

    pub fn render(&self, status: StatusCode, template: &impl Template) -> Response {
        match template.render() {
            Ok(html) => self.finish((status, Html(html)).into_response()),
            Err(e) => InternalError::new(e).attach(
                self.finish((StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()),
            ),
        }
    }

    pub fn redirect(&self, to: &str) -> Response {
        self.finish(Redirect::to(to).into_response())
    }

    /// The recovery of the cookie and where it stands, or the response to
    /// send instead.
    pub async fn load(&mut self) -> Result<(RecoveryAccess, Status), Response> {
        let Some(access) = self.recovery.clone() else {
            return Err(self.redirect("/recover"));
        };
        match self.service().status(&access).await {
            Ok(s) => Ok((access, s)),
            Err(e) => Err(self.fail(&e)),
        }
    }

    /// Loads the recovery and checks it is at `stage` (or sends the
    /// citizen to where it really is).
    pub async fn open(&mut self, stages: &[Stage]) -> Result<(RecoveryAccess, Status), Response> {
        let (access, status) = self.load().await?;
        if stages.contains(&status.stage) {
            Ok((access, status))
        } else {
            Err(self.redirect(stage_path(status.stage)))
        }
    }

    /// Errors no form can fix: a page that says what happened.
    pub fn fail(&mut self, e: &RecoveryError) -> Response {
        if matches!(e, RecoveryError::InvalidToken) {
            self.forget();
        }
        let status = match e {
            RecoveryError::InvalidToken => StatusCode::UNAUTHORIZED,
            RecoveryError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            RecoveryError::NoDigitalId => StatusCode::NOT_FOUND,
            RecoveryError::AccountDisabled => StatusCode::FORBIDDEN,
            RecoveryError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            RecoveryError::IdentityServiceUnavailable
            | RecoveryError::SmsUnavailable
            | RecoveryError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::CONFLICT,
        };
        let p = self.page(0, "/recover");
        let message = p.problem(e);
        let page = self.render(
            status,
            &pages::ProblemPage {
                p,
                message,
                back: "/recover",
            },
        );
        match e {
            RecoveryError::Internal(source) => {
                InternalError::describing(source.as_ref()).attach(page)
            }
            _ => page,
        }
    }

    pub fn csrf_failed(&self, back: &'static str) -> Response {
        let p = self.page(0, back);
        let message = p.t("problem.csrf").to_owned();
        self.render(
            StatusCode::FORBIDDEN,
            &pages::ProblemPage { p, message, back },
        )
    }
}

/// The identity form's birth date: `YYYY-MM-DD`, `00` for unknown parts.
fn birth_string(day: &str, month: &str, year: &str) -> String {
    let year = year.trim();
    if year.is_empty() {
        return String::new();
    }
    let two = |s: &str| {
        let s = s.trim();
        if s.is_empty() {
            "00".to_owned()
        } else {
            format!("{s:0>2}")
        }
    };
    format!("{year}-{}-{}", two(month), two(day))
}

fn identity_input(f: &HashMap<String, String>) -> IdentityInput {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    IdentityInput {
        method: "laser_code".into(),
        first_name: get("first_name"),
        last_name: get("last_name"),
        birth_date: birth_string(&get("birth_day"), &get("birth_month"), &get("birth_year")),
        laser_code: get("laser_code"),
    }
}

fn destination(f: &HashMap<String, String>) -> Option<Destination> {
    match f.get("choice").map(String::as_str) {
        Some("registered") => Some(Destination::Registered),
        Some("new") => Some(Destination::New(
            f.get("phone").cloned().unwrap_or_default(),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_birth_date_fields_make_the_services_form() {
        assert_eq!(birth_string("1", "1", "2530"), "2530-01-01");
        assert_eq!(birth_string("0", "0", "2530"), "2530-00-00");
        assert_eq!(birth_string("", "", " "), "");
    }

    #[test]
    fn the_phone_choice_is_read_from_the_form() {
        let mut f = HashMap::new();
        assert!(destination(&f).is_none());
        f.insert("choice".to_owned(), "new".to_owned());
        f.insert("phone".to_owned(), "0898765432".to_owned());
        assert!(matches!(destination(&f), Some(Destination::New(p)) if p == "0898765432"));
        f.insert("choice".to_owned(), "registered".to_owned());
        assert!(matches!(destination(&f), Some(Destination::Registered)));
    }

    #[test]
    fn the_removed_factors_survive_the_cookie_and_nonsense_is_none() {
        for r in [
            Removed {
                authenticator_app: true,
                passkeys: 0,
            },
            Removed {
                authenticator_app: false,
                passkeys: 3,
            },
        ] {
            assert_eq!(Removed::decode(&r.encode()), Some(r));
        }
        for bad in ["0.0", "", "1", "2.1", "1.x", "1.-1"] {
            assert_eq!(Removed::decode(bad), None, "{bad}");
        }
    }
}
