//! Step 7: mobile number, then its SMS code.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::http::StatusCode;
use axum::response::Response;

use super::i18n::fill;
use super::page::Page;
use super::{Stage, Web, masked};
use crate::service::{EnrollmentAccess, EnrollmentError, Review};

type Fields = Form<HashMap<String, String>>;

#[derive(Template)]
#[template(path = "phone.html")]
pub(crate) struct PhonePage {
    pub p: Page,
    pub phone: String,
}

#[derive(Template)]
#[template(path = "otp.html")]
pub(crate) struct OtpPage {
    pub p: Page,
    pub sent: String,
    pub expires: String,
    pub reference: String,
    pub resend_wait: Option<String>,
}

pub(crate) async fn phone_page(mut web: Web) -> Response {
    let (_, review) = match web.open(Stage::Phone).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut p = web.page(7, Stage::Phone.path());
    p.citizen_masked = masked(&review);
    web.render(
        StatusCode::OK,
        &PhonePage {
            p,
            phone: String::new(),
        },
    )
}

/// A sending refusal as a message on the page it came from.
fn send_problem(p: Page, e: &EnrollmentError) -> Option<(StatusCode, Page)> {
    Some(match e {
        EnrollmentError::Invalid { errors, .. } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            p.with_field_errors(errors),
        ),
        EnrollmentError::TooManyAttempts { retry_after } => {
            let mut m = p.t("problem.too_many_attempts").to_owned();
            if let Some(s) = retry_after.filter(|s| *s <= 120) {
                m.push(' ');
                m.push_str(&fill(p.t("otp.resend_wait"), &[("n", &s.to_string())]));
            }
            (StatusCode::TOO_MANY_REQUESTS, p.with_alert(m))
        }
        EnrollmentError::SmsUnavailable => {
            let m = p.t("problem.sms_unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, p.with_alert(m))
        }
        _ => return None,
    })
}

pub(crate) async fn phone_submit(mut web: Web, Form(form): Fields) -> Response {
    if !web.csrf_ok(form.get("csrf")) {
        return web.csrf_failed(Stage::Phone.path());
    }
    let (id, review) = match web.open(Stage::Phone).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let phone = form.get("phone").cloned().unwrap_or_default();
    match web
        .state
        .service()
        .send_phone_code(&web.ctx, &id, &phone)
        .await
    {
        Ok(_) => web.redirect(Stage::Verify.path()),
        Err(EnrollmentError::StepOutOfOrder { .. }) => web.redirect("/register"),
        Err(e) => {
            let mut p = web.page(7, Stage::Phone.path());
            p.citizen_masked = masked(&review);
            match send_problem(p, &e) {
                Some((status, p)) => web.render(status, &PhonePage { p, phone }),
                None => web.fail(&e),
            }
        }
    }
}

async fn verify_view(
    web: &Web,
    id: &EnrollmentAccess,
    review: &Review,
    p: Page,
    status: StatusCode,
) -> Response {
    let mut p = p;
    p.citizen_masked = masked(review);
    let pending = match web.state.service().pending_phone(id).await {
        Ok(Some(pending)) => pending,
        Ok(None) => return web.redirect(Stage::Phone.path()),
        Err(e) => return super::problem::render(web, &e),
    };
    let sent = fill(
        p.t("otp.sent"),
        &[
            ("phone", &pending.phone_masked),
            ("ref", &pending.reference),
        ],
    );
    let minutes = pending.expires_in.div_ceil(60).to_string();
    let expires = fill(p.t("otp.expires"), &[("n", &minutes)]);
    let resend_wait = (pending.resend_in > 0).then(|| {
        fill(
            p.t("otp.resend_wait"),
            &[("n", &pending.resend_in.to_string())],
        )
    });
    web.render(
        status,
        &OtpPage {
            p,
            sent,
            expires,
            reference: pending.reference,
            resend_wait,
        },
    )
}

pub(crate) async fn verify_page(mut web: Web) -> Response {
    let (id, review) = match web.open(Stage::Verify).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let p = web.page(7, Stage::Verify.path());
    verify_view(&web, &id, &review, p, StatusCode::OK).await
}

pub(crate) async fn verify_submit(mut web: Web, Form(form): Fields) -> Response {
    if !web.csrf_ok(form.get("csrf")) {
        return web.csrf_failed(Stage::Verify.path());
    }
    let (id, review) = match web.open(Stage::Verify).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let code = form.get("code").map_or("", String::as_str);
    let p = web.page(7, Stage::Verify.path());
    let (status, p) = match web.state.service().verify_phone(&web.ctx, &id, code).await {
        Ok(_) => return web.redirect(Stage::Review.path()),
        Err(EnrollmentError::Invalid { errors, .. }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            p.with_field_errors(&errors),
        ),
        Err(EnrollmentError::OtpInvalid { attempts_left }) => {
            let left = fill(
                p.t("problem.attempts_left"),
                &[("n", &attempts_left.to_string())],
            );
            let mut p = p;
            let message = format!("{} {left}", p.t("err.code.wrong"));
            p.push_error("code", message);
            (StatusCode::UNPROCESSABLE_ENTITY, p)
        }
        Err(EnrollmentError::OtpExpired) => {
            let m = p.t("problem.otp_expired");
            (StatusCode::UNPROCESSABLE_ENTITY, p.with_alert(m))
        }
        Err(EnrollmentError::TooManyAttempts { .. }) => {
            let m = format!(
                "{} {}",
                p.t("problem.too_many_attempts"),
                p.t("problem.otp_expired")
            );
            (StatusCode::TOO_MANY_REQUESTS, p.with_alert(m))
        }
        Err(EnrollmentError::StepOutOfOrder { .. }) => return web.redirect("/register"),
        Err(e) => return web.fail(&e),
    };
    verify_view(&web, &id, &review, p, status).await
}

pub(crate) async fn resend(mut web: Web, Form(form): Fields) -> Response {
    if !web.csrf_ok(form.get("csrf")) {
        return web.csrf_failed(Stage::Verify.path());
    }
    let (id, review) = match web.open(Stage::Verify).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match web.state.service().resend_phone_code(&web.ctx, &id).await {
        Ok(_) => web.redirect(Stage::Verify.path()),
        Err(EnrollmentError::StepOutOfOrder { .. }) => web.redirect("/register"),
        Err(e) => {
            let p = web.page(7, Stage::Verify.path());
            match send_problem(p, &e) {
                Some((status, p)) => verify_view(&web, &id, &review, p, status).await,
                None => web.fail(&e),
            }
        }
    }
}
