//! Steps 3–5: method, personal data as on the card, laser code and the
//! identity check.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::http::StatusCode;
use axum::response::Response;

use super::i18n::{MONTHS, fill, format_birth, text};
use super::page::Page;
use super::{Stage, Web, masked};
use crate::domain::Title;
use crate::service::{EnrollmentError, PersonalInput, Review};

type Fields = Form<HashMap<String, String>>;

#[derive(Template)]
#[template(path = "method.html")]
pub(crate) struct MethodPage {
    pub p: Page,
    pub selected: String,
}

#[derive(Template)]
#[template(path = "no_laser_code.html")]
pub(crate) struct NoLaserPage {
    pub p: Page,
}

/// The personal-data form as typed (or as saved).
#[derive(Debug, Clone, Default)]
pub(crate) struct PersonalForm {
    pub title: String,
    pub first_name: String,
    pub middle_name: String,
    pub last_name: String,
    pub title_en: String,
    pub first_name_en: String,
    pub middle_name_en: String,
    pub last_name_en: String,
    pub birth_day: String,
    pub birth_month: String,
    pub birth_year: String,
}

#[derive(Template)]
#[template(path = "personal.html")]
pub(crate) struct PersonalPage {
    pub p: Page,
    pub form: PersonalForm,
    pub titles: Vec<&'static str>,
    pub days: Vec<u8>,
    pub months: Vec<(u8, &'static str)>,
}

#[derive(Template)]
#[template(path = "laser_code.html")]
pub(crate) struct LaserPage {
    pub p: Page,
    pub name: String,
    pub birth: String,
}

pub(crate) async fn method_page(mut web: Web) -> Response {
    let (_, review) = match web.open(Stage::Method).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut p = web.page(3, Stage::Method.path());
    p.citizen_masked = masked(&review);
    let selected = review.method.clone().unwrap_or_default();
    web.render(StatusCode::OK, &MethodPage { p, selected })
}

pub(crate) async fn method_submit(mut web: Web, Form(form): Fields) -> Response {
    if !web.csrf_ok(form.get("csrf")) {
        return web.csrf_failed(Stage::Method.path());
    }
    let (id, review) = match web.open(Stage::Method).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let method = form.get("method").cloned().unwrap_or_default();
    match web
        .state
        .service()
        .choose_method(&web.ctx, &id, &method)
        .await
    {
        Ok(_) => web.redirect(Stage::Personal.path()),
        Err(EnrollmentError::ProofingMethodUnsupported) => web.redirect("/register/no-laser-code"),
        Err(EnrollmentError::Invalid { .. }) => {
            let mut p = web
                .page(3, Stage::Method.path())
                .with_error("method", "err.method.unknown");
            p.citizen_masked = masked(&review);
            web.render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &MethodPage {
                    p,
                    selected: String::new(),
                },
            )
        }
        Err(EnrollmentError::StepOutOfOrder { .. }) => web.redirect("/register"),
        Err(e) => web.fail(&e),
    }
}

pub(crate) async fn no_laser_page(mut web: Web) -> Response {
    let (_, review) = match web.open(Stage::Method).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut p = web.page(3, "/register/no-laser-code");
    p.citizen_masked = masked(&review);
    web.render(StatusCode::OK, &NoLaserPage { p })
}

fn personal_view(
    web: &Web,
    review: &Review,
    p: Page,
    form: PersonalForm,
    status: StatusCode,
) -> Response {
    let mut p = p;
    p.citizen_masked = masked(review);
    let months = MONTHS
        .iter()
        .zip(1u8..)
        .map(|(key, n)| (n, text(web.lang, key)))
        .collect();
    web.render(
        status,
        &PersonalPage {
            p,
            form,
            titles: Title::common().collect(),
            days: (1..=31).collect(),
            months,
        },
    )
}

fn saved_form(web: &Web, review: &Review) -> PersonalForm {
    let Some(s) = &review.personal else {
        return PersonalForm::default();
    };
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let (day, month, year) = s.birth.map_or((0, 0, 0), |b| {
        let year = match web.lang {
            super::Lang::Th => b.year_be(),
            super::Lang::En => b.year_ce(),
        };
        (b.day().unwrap_or(0), b.month().unwrap_or(0), year)
    });
    PersonalForm {
        title: opt(&s.title),
        first_name: s.first_name.clone(),
        middle_name: opt(&s.middle_name),
        last_name: s.last_name.clone(),
        title_en: opt(&s.title_en),
        first_name_en: opt(&s.first_name_en),
        middle_name_en: opt(&s.middle_name_en),
        last_name_en: opt(&s.last_name_en),
        birth_day: day.to_string(),
        birth_month: month.to_string(),
        birth_year: year.to_string(),
    }
}

pub(crate) async fn personal_page(mut web: Web) -> Response {
    let (_, review) = match web.open(Stage::Personal).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let form = saved_form(&web, &review);
    let p = web.page(4, Stage::Personal.path());
    personal_view(&web, &review, p, form, StatusCode::OK)
}

fn form_of(f: &HashMap<String, String>) -> PersonalForm {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    PersonalForm {
        title: get("title"),
        first_name: get("first_name"),
        middle_name: get("middle_name"),
        last_name: get("last_name"),
        title_en: get("title_en"),
        first_name_en: get("first_name_en"),
        middle_name_en: get("middle_name_en"),
        last_name_en: get("last_name_en"),
        birth_day: get("birth_day"),
        birth_month: get("birth_month"),
        birth_year: get("birth_year"),
    }
}

/// `YYYY-MM-DD` with `00` for the parts the card does not show.
fn birth_string(form: &PersonalForm) -> String {
    let year = form.birth_year.trim();
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
    format!("{year}-{}-{}", two(&form.birth_month), two(&form.birth_day))
}

fn some(s: &str) -> Option<String> {
    Some(s.trim().to_owned()).filter(|s| !s.is_empty())
}

pub(crate) async fn personal_submit(mut web: Web, Form(fields): Fields) -> Response {
    if !web.csrf_ok(fields.get("csrf")) {
        return web.csrf_failed(Stage::Personal.path());
    }
    let (id, review) = match web.open(Stage::Personal).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let form = form_of(&fields);
    let input = PersonalInput {
        title: some(&form.title),
        first_name: form.first_name.clone(),
        middle_name: some(&form.middle_name),
        last_name: form.last_name.clone(),
        title_en: some(&form.title_en),
        first_name_en: some(&form.first_name_en),
        middle_name_en: some(&form.middle_name_en),
        last_name_en: some(&form.last_name_en),
        birth_date: birth_string(&form),
    };
    match web
        .state
        .service()
        .save_personal(&web.ctx, &id, &input)
        .await
    {
        Ok(_) => web.redirect(Stage::Laser.path()),
        Err(EnrollmentError::Invalid { errors, .. }) => {
            let p = web
                .page(4, Stage::Personal.path())
                .with_field_errors(&errors);
            personal_view(&web, &review, p, form, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(EnrollmentError::StepOutOfOrder { .. }) => web.redirect("/register"),
        Err(e) => web.fail(&e),
    }
}

fn laser_view(web: &Web, review: &Review, p: Page, status: StatusCode) -> Response {
    let mut p = p;
    p.citizen_masked = masked(review);
    let (name, birth) = review.personal.as_ref().map_or_else(Default::default, |s| {
        let name = [
            s.title.as_deref(),
            Some(&s.first_name),
            s.middle_name.as_deref(),
            Some(&s.last_name),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        (
            name,
            s.birth
                .map(|b| format_birth(web.lang, b))
                .unwrap_or_default(),
        )
    });
    web.render(status, &LaserPage { p, name, birth })
}

pub(crate) async fn laser_page(mut web: Web) -> Response {
    let (_, review) = match web.open(Stage::Laser).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let p = web.page(5, Stage::Laser.path());
    laser_view(&web, &review, p, StatusCode::OK)
}

pub(crate) async fn laser_submit(mut web: Web, Form(form): Fields) -> Response {
    if !web.csrf_ok(form.get("csrf")) {
        return web.csrf_failed(Stage::Laser.path());
    }
    let (id, review) = match web.open(Stage::Laser).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let laser = form.get("laser_code").map_or("", String::as_str);
    let p = web.page(5, Stage::Laser.path());
    let (status, p) = match web
        .state
        .service()
        .verify_laser_code(&web.ctx, &id, laser)
        .await
    {
        Ok(_) => return web.redirect(Stage::Account.path()),
        Err(EnrollmentError::Invalid { errors, .. }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            p.with_field_errors(&errors),
        ),
        Err(EnrollmentError::IdentityNotVerified { attempts_left }) => {
            let mut message = p.t("problem.identity_not_verified").to_owned();
            message.push(' ');
            message.push_str(&fill(
                p.t("problem.attempts_left"),
                &[("n", &attempts_left.to_string())],
            ));
            (StatusCode::UNPROCESSABLE_ENTITY, p.with_alert(message))
        }
        // Told only now that the card is proofed (DESIGN.md step 2).
        Err(EnrollmentError::CitizenIdTaken) => {
            let m = p.t("problem.citizen_id_taken");
            (StatusCode::CONFLICT, p.with_alert(m))
        }
        Err(EnrollmentError::IdentityServiceUnavailable) => {
            let m = p.t("problem.identity_service_unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, p.with_alert(m))
        }
        Err(EnrollmentError::TooManyAttempts { .. }) => {
            let m = p.t("problem.too_many_attempts");
            (StatusCode::TOO_MANY_REQUESTS, p.with_alert(m))
        }
        Err(EnrollmentError::StepOutOfOrder { .. }) => return web.redirect("/register"),
        Err(e) => return web.fail(&e),
    };
    laser_view(&web, &review, p, status)
}
