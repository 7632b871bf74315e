//! Steps 8–9: review everything, confirm, and the result.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::continue_to::{self, ContinueTo};
use super::i18n::{fill, format_birth};
use super::page::Page;
use super::{Stage, Web, masked};
use crate::service::{EnrollmentError, Review};

#[derive(Template)]
#[template(path = "review.html")]
pub(crate) struct ReviewPage {
    pub p: Page,
    pub citizen_id: String,
    pub name: String,
    pub name_en: String,
    pub birth: String,
    pub username: String,
    pub phone: String,
}

#[derive(Template)]
#[template(path = "done.html")]
pub(crate) struct DonePage {
    pub p: Page,
    pub body: String,
    pub sign_in_url: String,
    /// Back to the agency app's sign-in the enrollment began from.
    pub continue_url: Option<String>,
}

fn join(parts: &[Option<&str>]) -> String {
    parts
        .iter()
        .flatten()
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

fn review_view(web: &Web, review: &Review, p: Page, status: StatusCode) -> Response {
    let mut p = p;
    p.citizen_masked = None;
    let (name, name_en, birth) = review.personal.as_ref().map_or_else(Default::default, |s| {
        (
            join(&[
                s.title.as_deref(),
                Some(&s.first_name),
                s.middle_name.as_deref(),
                Some(&s.last_name),
            ]),
            if s.first_name_en.is_some() || s.last_name_en.is_some() {
                join(&[
                    s.title_en.as_deref(),
                    s.first_name_en.as_deref(),
                    s.middle_name_en.as_deref(),
                    s.last_name_en.as_deref(),
                ])
            } else {
                String::new()
            },
            s.birth
                .map(|b| format_birth(web.lang, b))
                .unwrap_or_default(),
        )
    });
    web.render(
        status,
        &ReviewPage {
            citizen_id: masked(review).unwrap_or_default(),
            name,
            name_en,
            birth,
            username: review.username.clone().unwrap_or_default(),
            phone: review.phone.clone().unwrap_or_default(),
            p,
        },
    )
}

pub(crate) async fn review_page(mut web: Web) -> Response {
    let (_, review) = match web.open(Stage::Review).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let p = web.page(8, Stage::Review.path());
    review_view(&web, &review, p, StatusCode::OK)
}

pub(crate) async fn confirm(mut web: Web, Form(form): Form<HashMap<String, String>>) -> Response {
    if !web.csrf_ok(form.get("csrf")) {
        return web.csrf_failed(Stage::Review.path());
    }
    let (id, review) = match web.load().await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let p = web.page(8, Stage::Review.path());
    match web.state.service().confirm(&web.ctx, &id).await {
        Ok(_) => web.redirect(Stage::Done.path()),
        Err(EnrollmentError::UsernameTaken) => {
            let p = web
                .page(6, Stage::Account.path())
                .with_error("username", "err.username.taken");
            let username = review.username.clone().unwrap_or_default();
            super::account::view(&web, &review, p, username, StatusCode::CONFLICT)
        }
        Err(EnrollmentError::CitizenIdTaken) => {
            let m = p.t("problem.citizen_id_taken");
            review_view(&web, &review, p.with_alert(m), StatusCode::CONFLICT)
        }
        Err(EnrollmentError::StepOutOfOrder { .. }) => {
            let at = web.stage(&id, &review).await;
            web.redirect(at.path())
        }
        Err(e) => web.fail(&e),
    }
}

pub(crate) async fn done_page(mut web: Web, headers: HeaderMap) -> Response {
    let (_, review) = match web.open(Stage::Done).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let p = web.page(9, Stage::Done.path());
    let username = review.username.clone().unwrap_or_default();
    let body = fill(p.t("done.body"), &[("username", &username)]);
    let sign_in_url = web.state.service().config().sign_in_url.clone();
    let continue_url = web
        .state
        .cookies()
        .get(&headers, continue_to::COOKIE)
        .and_then(ContinueTo::from_cookie)
        .map(|c| c.url(&username, web.lang.code()));
    web.render(
        StatusCode::OK,
        &DonePage {
            p,
            body,
            sign_in_url,
            continue_url,
        },
    )
}
