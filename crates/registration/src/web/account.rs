//! Step 6: username and password.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::http::StatusCode;
use axum::response::Response;
use pratu_storage::records::EnrollmentStep;

use super::i18n::fill;
use super::page::Page;
use super::{Stage, Web, masked};
use crate::service::{EnrollmentError, Review};

#[derive(Template)]
#[template(path = "account.html")]
pub(crate) struct AccountPage {
    pub p: Page,
    pub username: String,
    pub username_hint: String,
    pub password_hint: String,
    pub just_verified: bool,
}

pub(super) fn view(
    web: &Web,
    review: &Review,
    mut p: Page,
    username: String,
    status: StatusCode,
) -> Response {
    p.citizen_masked = masked(review);
    let c = web.state.service().config();
    let username_hint = fill(
        p.t("account.username_hint"),
        &[
            ("min", &c.username.min_length.to_string()),
            ("max", &c.username.max_length.to_string()),
        ],
    );
    let password_hint = fill(
        p.t("account.password_hint"),
        &[("min", &c.password.min_length.to_string())],
    );
    web.render(
        status,
        &AccountPage {
            just_verified: review.step == EnrollmentStep::Account && p.errors.is_empty(),
            p,
            username,
            username_hint,
            password_hint,
        },
    )
}

pub(crate) async fn account_page(mut web: Web) -> Response {
    let (_, review) = match web.open(Stage::Account).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let p = web.page(6, Stage::Account.path());
    let username = review.username.clone().unwrap_or_default();
    view(&web, &review, p, username, StatusCode::OK)
}

pub(crate) async fn account_submit(
    mut web: Web,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !web.csrf_ok(form.get("csrf")) {
        return web.csrf_failed(Stage::Account.path());
    }
    let (id, review) = match web.open(Stage::Account).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let username = form.get("username").cloned().unwrap_or_default();
    let password = form.get("password").map_or("", String::as_str);
    let p = web.page(6, Stage::Account.path());
    let (status, p) = match web
        .state
        .service()
        .set_account(&web.ctx, &id, &username, password)
        .await
    {
        Ok(progress) => {
            let next = if progress.next == EnrollmentStep::Review {
                Stage::Review
            } else {
                Stage::Phone
            };
            return web.redirect(next.path());
        }
        Err(EnrollmentError::Invalid { errors, .. }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            p.with_field_errors(&errors),
        ),
        Err(EnrollmentError::UsernameTaken) => (
            StatusCode::CONFLICT,
            p.with_error("username", "err.username.taken"),
        ),
        Err(EnrollmentError::StepOutOfOrder { .. }) => return web.redirect("/register"),
        Err(e) => return web.fail(&e),
    };
    view(&web, &review, p, username, status)
}
