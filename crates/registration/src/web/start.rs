//! Steps 1–2: consent, citizen ID; and starting over.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::RawQuery;
use axum::http::{StatusCode, header};
use axum::response::Response;
use pratu_storage::records::EnrollmentStep;

use super::continue_to::{self, ContinueTo};
use super::page::Page;
use super::{Stage, Web, masked};
use crate::service::{EnrollmentError, StartInput};

#[derive(Template)]
#[template(path = "consent.html")]
pub(crate) struct ConsentPage {
    pub p: Page,
    pub terms_version: String,
    pub terms_text: String,
}

#[derive(Template)]
#[template(path = "citizen_id.html")]
pub(crate) struct CitizenIdPage {
    pub p: Page,
    /// What was typed, shown back only on this page when it was refused.
    pub value: String,
}

type Fields = Form<HashMap<String, String>>;

fn consent_view(web: &Web, p: Page, status: StatusCode) -> Response {
    let terms = &web.state.service().config().terms;
    let text = match web.lang {
        super::Lang::Th => terms.th.clone(),
        super::Lang::En => terms.en.clone(),
    };
    web.render(
        status,
        &ConsentPage {
            p,
            terms_version: terms.version.clone(),
            terms_text: text,
        },
    )
}

/// `GET /register[?continue=/authorize/continue?req=…]`: the terms, or the
/// page an enrollment in progress is at. A valid `continue` (the sign-in
/// page's enroll link) is kept for the result page; anything else in it is
/// ignored.
pub(crate) async fn consent_page(web: Web, RawQuery(q): RawQuery) -> Response {
    let keep = q.as_deref().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "continue")
            .and_then(|(_, v)| ContinueTo::parse(&v))
    });
    let age = web.state.service().config().expiry_minutes * 60;
    let cookie = keep.and_then(|c| {
        web.state
            .cookies()
            .set(continue_to::COOKIE, c.cookie_value(), Some(age))
    });
    let mut res = terms_or_resume(web).await;
    if let Some(c) = cookie {
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

async fn terms_or_resume(mut web: Web) -> Response {
    if let Some(id) = web.enrollment.clone() {
        match web.state.service().review(&id).await {
            Ok(r) if r.step != EnrollmentStep::Completed => {
                let at = web.stage(&id, &r).await;
                return web.redirect(at.path());
            }
            _ => web.forget_enrollment(),
        }
    }
    let p = web.start_page(1, "/register");
    consent_view(&web, p, StatusCode::OK)
}

pub(crate) async fn consent_submit(mut web: Web, Form(form): Fields) -> Response {
    if !web.csrf_ok_start(form.get("csrf")) {
        return web.csrf_failed("/register");
    }
    let input = StartInput {
        accept_terms: form.get("accept").is_some_and(|v| v == "yes"),
        terms_version: form.get("terms_version").cloned().unwrap_or_default(),
        language: web.lang.code().to_owned(),
    };
    match web.state.service().start(&web.ctx, input).await {
        Ok(started) => {
            web.remember_enrollment(started.access());
            web.redirect(Stage::CitizenId.path())
        }
        Err(EnrollmentError::TermsNotAccepted) => {
            let p = web
                .start_page(1, "/register")
                .with_error("accept", "err.accept.required");
            consent_view(&web, p, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(EnrollmentError::TermsOutdated { .. }) => {
            let p = web.start_page(1, "/register");
            let p = p.clone().with_alert(p.t("problem.terms_outdated"));
            consent_view(&web, p, StatusCode::CONFLICT)
        }
        Err(EnrollmentError::TooManyAttempts { .. }) => {
            let p = web.start_page(1, "/register");
            let p = p.clone().with_alert(p.t("problem.too_many_attempts"));
            consent_view(&web, p, StatusCode::TOO_MANY_REQUESTS)
        }
        Err(e) => web.fail(&e),
    }
}

/// Forgets the enrollment in this browser and goes back to the terms.
pub(crate) async fn restart(mut web: Web, Form(form): Fields) -> Response {
    if !web.csrf_ok(form.get("csrf")) {
        return web.csrf_failed("/register");
    }
    web.forget_enrollment();
    web.redirect("/register")
}

pub(crate) async fn citizen_page(mut web: Web) -> Response {
    let (_, review) = match web.open(Stage::CitizenId).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut p = web.page(2, Stage::CitizenId.path());
    // Once taken, the ID is shown masked only, never refilled.
    p.citizen_masked = masked(&review);
    web.render(
        StatusCode::OK,
        &CitizenIdPage {
            p,
            value: String::new(),
        },
    )
}

pub(crate) async fn citizen_submit(mut web: Web, Form(form): Fields) -> Response {
    if !web.csrf_ok(form.get("csrf")) {
        return web.csrf_failed(Stage::CitizenId.path());
    }
    let (id, _) = match web.open(Stage::CitizenId).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let value = form.get("citizen_id").cloned().unwrap_or_default();
    let p = web.page(2, Stage::CitizenId.path());
    match web
        .state
        .service()
        .submit_citizen_id(&web.ctx, &id, &value)
        .await
    {
        Ok(_) => web.redirect(Stage::Method.path()),
        Err(EnrollmentError::Invalid { errors, .. }) => {
            let p = p.with_field_errors(&errors);
            web.render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &CitizenIdPage { p, value },
            )
        }
        Err(EnrollmentError::TooManyAttempts { .. }) => {
            let p = p.clone().with_alert(p.t("problem.too_many_attempts"));
            web.render(
                StatusCode::TOO_MANY_REQUESTS,
                &CitizenIdPage {
                    p,
                    value: String::new(),
                },
            )
        }
        Err(EnrollmentError::StepOutOfOrder { .. }) => web.redirect("/register"),
        Err(e) => web.fail(&e),
    }
}
