//! The wizard's pages and their forms.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use pratu_core::web::Language;

use super::i18n::{self, MONTHS, fill};
use super::{Fields, Removed, Web, destination, identity_input, stage_path};
use crate::recovery::error::{FieldError, RecoveryError};
use crate::recovery::state::Stage;
use crate::recovery::token::RecoveryAccess;

const TOTAL_STEPS: u8 = 6;

pub(crate) struct StepItem {
    pub no: u8,
    pub label: &'static str,
    pub state: &'static str,
}

/// What every page shows around its form.
pub(crate) struct Page {
    pub lang: Language,
    pub csrf: String,
    /// 1–6; 0 hides the progress (problem pages).
    pub step: u8,
    /// This page's path, for the language link.
    pub path: &'static str,
    pub alert: Option<String>,
    /// A link to enrollment beside the alert (`no_digital_id`).
    pub enroll_link: bool,
    /// Field and message.
    pub errors: Vec<(String, String)>,
}

impl Page {
    pub fn new(lang: Language, csrf: String, step: u8, path: &'static str) -> Self {
        Self {
            lang,
            csrf,
            step,
            path,
            alert: None,
            enroll_link: false,
            errors: Vec::new(),
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

    pub fn step_of(&self) -> String {
        fill(
            self.t("progress.step_of"),
            &[
                ("n", &self.step.to_string()),
                ("total", &TOTAL_STEPS.to_string()),
            ],
        )
    }

    pub fn steps(&self) -> Vec<StepItem> {
        (1..=TOTAL_STEPS)
            .map(|no| StepItem {
                no,
                label: self.t(&format!("step.{no}")),
                state: match no.cmp(&self.step) {
                    std::cmp::Ordering::Less => "done",
                    std::cmp::Ordering::Equal => "current",
                    std::cmp::Ordering::Greater => "todo",
                },
            })
            .collect()
    }

    pub fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.alert.is_some()
    }

    fn with_fields(mut self, errors: &[FieldError]) -> Self {
        for e in errors {
            let m = i18n::field_message(self.lang, e.field, e.code).to_owned();
            self.errors.push((e.field.to_owned(), m));
        }
        self
    }

    fn with_error(mut self, field: &str, key: &str) -> Self {
        let m = self.t(key).to_owned();
        self.errors.push((field.to_owned(), m));
        self
    }

    fn with_alert(mut self, message: String) -> Self {
        self.alert = Some(message);
        self
    }

    /// The message of a refusal in the page's language.
    pub fn problem(&self, e: &RecoveryError) -> String {
        let key = format!("problem.{}", e.code());
        let mut m = if i18n::has(&key) {
            self.t(&key).to_owned()
        } else {
            self.t("problem.internal_error").to_owned()
        };
        if let RecoveryError::IdentityNotVerified { attempts_left } = e {
            m.push(' ');
            m.push_str(&fill(
                self.t("problem.attempts_left"),
                &[("n", &attempts_left.to_string())],
            ));
        }
        m
    }
}

#[derive(Template)]
#[template(path = "recover/start.html")]
pub(crate) struct StartPage {
    pub p: Page,
    pub value: String,
}

#[derive(Template)]
#[template(path = "recover/problem.html")]
pub(crate) struct ProblemPage {
    pub p: Page,
    pub message: String,
    pub back: &'static str,
}

#[derive(Default)]
pub(crate) struct IdentityForm {
    pub first_name: String,
    pub last_name: String,
    pub birth_day: String,
    pub birth_month: String,
    pub birth_year: String,
}

#[derive(Template)]
#[template(path = "recover/identity.html")]
pub(crate) struct IdentityPage {
    pub p: Page,
    pub form: IdentityForm,
    pub days: Vec<u8>,
    pub months: Vec<(u8, &'static str)>,
}

#[derive(Template)]
#[template(path = "recover/phone.html")]
pub(crate) struct PhonePage {
    pub p: Page,
    pub registered: Option<String>,
    pub lost: bool,
    pub phone: String,
}

#[derive(Template)]
#[template(path = "recover/otp.html")]
pub(crate) struct OtpPage {
    pub p: Page,
    pub sent: String,
    pub reference: Option<String>,
}

#[derive(Template)]
#[template(path = "recover/password.html")]
pub(crate) struct PasswordPage {
    pub p: Page,
    pub username: String,
}

#[derive(Template)]
#[template(path = "recover/done.html")]
pub(crate) struct DonePage {
    pub p: Page,
    /// What the recovery removed, said in the citizen's words.
    pub removed: Option<String>,
}

macro_rules! or_return {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(r) => return r,
        }
    };
}

pub(crate) async fn start_page(mut web: Web) -> Response {
    // The start form is bound to the CSRF cookie, as its submission checks
    // it, whatever recovery the browser still holds (starting over).
    web.recovery = None;
    let p = web.page(1, "/recover");
    web.render(
        StatusCode::OK,
        &StartPage {
            p,
            value: String::new(),
        },
    )
}

pub(crate) async fn start_submit(mut web: Web, axum::Form(form): Fields) -> Response {
    // The start form is bound to the CSRF cookie, not to a recovery the
    // browser may still hold.
    web.recovery = None;
    if !web.csrf_ok(&form) {
        return web.csrf_failed("/recover");
    }
    let value = form.get("citizen_id").cloned().unwrap_or_default();
    match web.service().start(&web.ctx, &value).await {
        Ok(started) => {
            web.remember(RecoveryAccess::new(started.id, started.token));
            web.redirect("/recover/identity")
        }
        Err(RecoveryError::Invalid { errors, .. }) => {
            let p = web.page(1, "/recover").with_fields(&errors);
            web.render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &StartPage {
                    p,
                    value: String::new(),
                },
            )
        }
        Err(e @ RecoveryError::TooManyAttempts { .. }) => {
            let p = web.page(1, "/recover");
            let m = p.problem(&e);
            web.render(
                StatusCode::TOO_MANY_REQUESTS,
                &StartPage {
                    p: p.with_alert(m),
                    value: String::new(),
                },
            )
        }
        Err(e) => web.fail(&e),
    }
}

fn identity_view(web: &Web, p: Page, form: IdentityForm, status: StatusCode) -> Response {
    let months = MONTHS
        .iter()
        .zip(1u8..)
        .map(|(key, n)| (n, i18n::text(web.lang, key)))
        .collect();
    web.render(
        status,
        &IdentityPage {
            p,
            form,
            days: (1..=31).collect(),
            months,
        },
    )
}

pub(crate) async fn identity_page(mut web: Web) -> Response {
    or_return!(web.open(&[Stage::Identity]).await);
    let p = web.page(2, "/recover/identity");
    identity_view(&web, p, IdentityForm::default(), StatusCode::OK)
}

pub(crate) async fn identity_submit(mut web: Web, axum::Form(f): Fields) -> Response {
    if !web.csrf_ok(&f) {
        return web.csrf_failed("/recover/identity");
    }
    let (access, _) = or_return!(web.open(&[Stage::Identity]).await);
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let form = IdentityForm {
        first_name: get("first_name"),
        last_name: get("last_name"),
        birth_day: get("birth_day"),
        birth_month: get("birth_month"),
        birth_year: get("birth_year"),
    };
    let p = web.page(2, "/recover/identity");
    let input = identity_input(&f);
    let (status, p) = match web
        .service()
        .verify_identity(&web.ctx, &access, &input, false)
        .await
    {
        Ok(_) => return web.redirect("/recover/phone"),
        Err(RecoveryError::Invalid { errors, .. }) => {
            (StatusCode::UNPROCESSABLE_ENTITY, p.with_fields(&errors))
        }
        Err(RecoveryError::StepOutOfOrder { current }) => {
            return web.redirect(stage_path(current));
        }
        Err(e @ RecoveryError::NoDigitalId) => {
            let m = p.problem(&e);
            let mut p = p.with_alert(m);
            p.enroll_link = true;
            (StatusCode::NOT_FOUND, p)
        }
        Err(
            e @ (RecoveryError::IdentityNotVerified { .. }
            | RecoveryError::AccountDisabled
            | RecoveryError::ProofingMethodUnsupported
            | RecoveryError::IdentityServiceUnavailable
            | RecoveryError::TooManyAttempts { .. }),
        ) => {
            let status = match e {
                RecoveryError::AccountDisabled => StatusCode::FORBIDDEN,
                RecoveryError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
                RecoveryError::IdentityServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            let m = p.problem(&e);
            (status, p.with_alert(m))
        }
        Err(e) => return web.fail(&e),
    };
    identity_view(&web, p, form, status)
}

pub(crate) async fn phone_page(mut web: Web) -> Response {
    let (_, status) = or_return!(web.open(&[Stage::Phone, Stage::Otp]).await);
    let p = web.page(3, "/recover/phone");
    let lost = status.registered_phone_masked.is_none();
    web.render(
        StatusCode::OK,
        &PhonePage {
            p,
            registered: status.registered_phone_masked,
            lost,
            phone: String::new(),
        },
    )
}

pub(crate) async fn phone_submit(mut web: Web, axum::Form(f): Fields) -> Response {
    if !web.csrf_ok(&f) {
        return web.csrf_failed("/recover/phone");
    }
    let (access, status) = or_return!(web.open(&[Stage::Phone, Stage::Otp]).await);
    let p = web.page(3, "/recover/phone");
    let phone = f.get("phone").cloned().unwrap_or_default();
    let lost = f.get("choice").map(String::as_str) == Some("new");
    let view = |web: &Web, p: Page, code: StatusCode| {
        web.render(
            code,
            &PhonePage {
                p,
                registered: status.registered_phone_masked.clone(),
                lost,
                phone: phone.clone(),
            },
        )
    };
    let Some(to) = destination(&f) else {
        return view(
            &web,
            p.with_error("choice", "err.choice"),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    match web.service().send_code(&web.ctx, &access, &to).await {
        Ok(_) => web.redirect("/recover/otp"),
        Err(RecoveryError::Invalid { errors, .. }) => view(
            &web,
            p.with_fields(&errors),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(RecoveryError::StepOutOfOrder { current }) => web.redirect(stage_path(current)),
        Err(e @ (RecoveryError::TooManyAttempts { .. } | RecoveryError::SmsUnavailable)) => {
            let code = match e {
                RecoveryError::SmsUnavailable => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::TOO_MANY_REQUESTS,
            };
            let m = p.problem(&e);
            view(&web, p.with_alert(m), code)
        }
        Err(e) => web.fail(&e),
    }
}

fn otp_view(
    web: &Web,
    p: Page,
    status: &crate::recovery::service::Status,
    code: StatusCode,
) -> Response {
    let sent = fill(
        p.t("otp.sent"),
        &[("phone", status.code_to_masked.as_deref().unwrap_or(""))],
    );
    web.render(
        code,
        &OtpPage {
            p,
            sent,
            reference: status.reference.clone(),
        },
    )
}

pub(crate) async fn otp_page(mut web: Web) -> Response {
    let (_, status) = or_return!(web.open(&[Stage::Otp]).await);
    let p = web.page(4, "/recover/otp");
    otp_view(&web, p, &status, StatusCode::OK)
}

pub(crate) async fn otp_submit(mut web: Web, axum::Form(f): Fields) -> Response {
    if !web.csrf_ok(&f) {
        return web.csrf_failed("/recover/otp");
    }
    let (access, status) = or_return!(web.open(&[Stage::Otp]).await);
    let code = f.get("code").map_or("", String::as_str);
    let p = web.page(4, "/recover/otp");
    let (http, p) = match web.service().verify_code(&web.ctx, &access, code).await {
        Ok(_) => return web.redirect("/recover/password"),
        Err(RecoveryError::Invalid { errors, .. }) => {
            (StatusCode::UNPROCESSABLE_ENTITY, p.with_fields(&errors))
        }
        Err(RecoveryError::OtpInvalid { attempts_left }) => {
            let mut p = p.with_error("code", "err.code.otp_invalid");
            p.alert = Some(fill(
                p.t("problem.attempts_left"),
                &[("n", &attempts_left.to_string())],
            ));
            (StatusCode::UNPROCESSABLE_ENTITY, p)
        }
        Err(e @ (RecoveryError::OtpExpired | RecoveryError::TooManyAttempts { .. })) => {
            let m = p.problem(&e);
            (StatusCode::UNPROCESSABLE_ENTITY, p.with_alert(m))
        }
        Err(RecoveryError::StepOutOfOrder { current }) => {
            return web.redirect(stage_path(current));
        }
        Err(e) => return web.fail(&e),
    };
    otp_view(&web, p, &status, http)
}

pub(crate) async fn password_page(mut web: Web) -> Response {
    let (_, status) = or_return!(web.open(&[Stage::Password]).await);
    let p = web.page(5, "/recover/password");
    web.render(
        StatusCode::OK,
        &PasswordPage {
            p,
            username: status.username.unwrap_or_default(),
        },
    )
}

pub(crate) async fn password_submit(mut web: Web, axum::Form(f): Fields) -> Response {
    if !web.csrf_ok(&f) {
        return web.csrf_failed("/recover/password");
    }
    let (access, status) = or_return!(web.open(&[Stage::Password]).await);
    let password = f.get("password").map_or("", String::as_str);
    let p = web.page(5, "/recover/password");
    match web
        .service()
        .set_password(&web.ctx, &access, password)
        .await
    {
        Ok(done) => {
            web.forget();
            web.report_removed(done.second_factors_removed().then_some(Removed {
                authenticator_app: done.authenticator_app_removed,
                passkeys: done.passkeys_removed,
            }));
            web.redirect("/recover/done")
        }
        Err(RecoveryError::Invalid { errors, .. }) => web.render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &PasswordPage {
                p: p.with_fields(&errors),
                username: status.username.unwrap_or_default(),
            },
        ),
        Err(e) => web.fail(&e),
    }
}

pub(crate) async fn done_page(web: Web) -> Response {
    let p = web.page(6, "/recover/done");
    let removed = web.removed.map(|r| removed_text(&p, r));
    web.render(StatusCode::OK, &DonePage { p, removed })
}

/// "Your authenticator app and 2 passkeys were removed; add them again in
/// your account", for what was removed.
fn removed_text(p: &Page, r: Removed) -> String {
    let n = r.passkeys.to_string();
    match (r.authenticator_app, r.passkeys) {
        (true, 0) => p.t("done.removed.app").to_owned(),
        (false, _) => fill(p.t("done.removed.passkeys"), &[("n", &n)]),
        (true, _) => fill(p.t("done.removed.both"), &[("n", &n)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The done page names what went, in both languages, with the count.
    #[test]
    fn the_done_page_says_which_second_factors_were_removed() {
        for lang in [Language::Th, Language::En] {
            let p = Page::new(lang, String::new(), 6, "/recover/done");
            let app = removed_text(
                &p,
                Removed {
                    authenticator_app: true,
                    passkeys: 0,
                },
            );
            let both = removed_text(
                &p,
                Removed {
                    authenticator_app: true,
                    passkeys: 2,
                },
            );
            let keys = removed_text(
                &p,
                Removed {
                    authenticator_app: false,
                    passkeys: 3,
                },
            );
            for text in [&app, &both, &keys] {
                assert!(!text.is_empty() && !text.contains('{'), "{text}");
            }
            assert!(both.contains('2') && keys.contains('3') && !app.contains('0'));
            assert_ne!(app, both);
            let html = DonePage {
                p: Page::new(lang, String::new(), 6, "/recover/done"),
                removed: Some(both.clone()),
            }
            .render()
            .unwrap();
            assert!(html.contains(r#"id="factors-removed""#) && html.contains(&both));
            let plain = DonePage { p, removed: None }.render().unwrap();
            assert!(!plain.contains("factors-removed"));
        }
        let en = Page::new(Language::En, String::new(), 6, "/recover/done");
        assert_eq!(
            removed_text(
                &en,
                Removed {
                    authenticator_app: true,
                    passkeys: 2
                }
            ),
            "Your authenticator app and 2 passkey(s) were removed. Add them again in your account."
        );
    }
}
