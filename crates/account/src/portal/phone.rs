//! `/account/phone`: step 1, the password (re-authentication through
//! [`AccountService::verify_password`](crate::service::AccountService)) and
//! the new number → `start_phone_change`; step 2, the code sent to it →
//! `verify_phone_change`. Only masked numbers are shown; no number goes
//! into a URL.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use pratu_core::web::RequestContext;

use super::page::{Chrome, PageLang, error_page, render, unavailable};
use super::session::PortalUser;
use crate::service::{AccountError, mask_phone};
use crate::state::AccountState;

pub(crate) const PATH: &str = "/account/phone";
pub(crate) const VERIFY_PATH: &str = "/account/phone/verify";
const PURPOSE: &str = "account.phone";
const VERIFY_PURPOSE: &str = "account.phone.verify";

#[derive(Template)]
#[template(path = "portal/phone.html")]
pub(crate) struct PhonePage {
    pub c: Chrome,
    pub csrf: String,
    pub current: Option<String>,
    /// Step 2: the SMS reference shown beside the code.
    pub reference: Option<String>,
    /// An i18n key: a notice (`phone.changed`) or an error.
    pub notice: Option<&'static str>,
    pub error: Option<&'static str>,
}

/// A reference is short and alphanumeric; anything else is not shown.
fn clean_ref(r: &str) -> Option<String> {
    (!r.is_empty() && r.len() <= 16 && r.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| r.to_owned())
}

fn page(
    state: &AccountState,
    lang: PageLang,
    user: &PortalUser,
    status: StatusCode,
    reference: Option<String>,
    notice: Option<&'static str>,
    error: Option<&'static str>,
) -> Response {
    let purpose = if reference.is_some() {
        VERIFY_PURPOSE
    } else {
        PURPOSE
    };
    render(
        state,
        lang,
        status,
        &PhonePage {
            c: user.chrome(state, lang, PATH),
            csrf: user.csrf_token(state, purpose),
            current: user.user.phone.as_deref().map(mask_phone),
            reference,
            notice,
            error,
        },
    )
}

pub(crate) async fn show(
    State(state): State<AccountState>,
    lang: PageLang,
    user: PortalUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let reference = q.get("ref").and_then(|r| clean_ref(r));
    let notice = q
        .get("notice")
        .is_some_and(|n| n == "changed")
        .then_some("phone.changed");
    page(&state, lang, &user, StatusCode::OK, reference, notice, None)
}

fn error_key(e: &AccountError) -> Option<&'static str> {
    Some(match e {
        AccountError::InvalidPassword => "password.error.wrong",
        AccountError::TooManyAttempts { .. } => "password.error.too_many",
        AccountError::InvalidPhone => "phone.error.invalid",
        AccountError::PhoneUnchanged => "phone.error.unchanged",
        AccountError::SmsUnavailable => "phone.error.sms",
        AccountError::OtpInvalid { .. } => "phone.error.code",
        AccountError::OtpExpired | AccountError::NoPhoneChange => "phone.error.expired",
        _ => return None,
    })
}

pub(crate) async fn start(
    State(state): State<AccountState>,
    lang: PageLang,
    user: PortalUser,
    ctx: RequestContext,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !user.csrf_ok(&state, PURPOSE, form.get("csrf").map(String::as_str)) {
        return error_page(&state, lang, StatusCode::FORBIDDEN, "error.form_stale");
    }
    let field = |k: &str| form.get(k).map_or("", String::as_str);
    let service = state.service();
    let res = match service
        .verify_password(&ctx, user.user_id, field("password"))
        .await
    {
        Ok(()) => service
            .start_phone_change(&ctx, user.user_id, field("phone"))
            .await
            .map(|c| c.reference),
        Err(e) => Err(e),
    };
    match res {
        Ok(reference) => Redirect::to(&format!(
            "{PATH}?ref={}",
            clean_ref(&reference).unwrap_or_default()
        ))
        .into_response(),
        Err(e) => match error_key(&e) {
            Some(key) => page(
                &state,
                lang,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                None,
                Some(key),
            ),
            None => unavailable(&state, lang, e),
        },
    }
}

pub(crate) async fn verify(
    State(state): State<AccountState>,
    lang: PageLang,
    user: PortalUser,
    ctx: RequestContext,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !user.csrf_ok(&state, VERIFY_PURPOSE, form.get("csrf").map(String::as_str)) {
        return error_page(&state, lang, StatusCode::FORBIDDEN, "error.form_stale");
    }
    let code = form.get("code").map_or("", String::as_str);
    match state
        .service()
        .verify_phone_change(&ctx, user.user_id, code)
        .await
    {
        Ok(()) => Redirect::to(&format!("{PATH}?notice=changed")).into_response(),
        Err(e) => match error_key(&e) {
            Some(key) => {
                let reference = form
                    .get("ref")
                    .and_then(|r| clean_ref(r))
                    .or(Some(String::new()));
                page(
                    &state,
                    lang,
                    &user,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    reference,
                    None,
                    Some(key),
                )
            }
            None => unavailable(&state, lang, e),
        },
    }
}
