//! `/account/factors`: the second factors the account has. Today that is
//! one — a code by SMS to the verified phone, which step-up sign-ins ask
//! for; an authenticator app and passkeys join it here (issue 19).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::page::{Chrome, PageLang, render};
use super::session::PortalUser;
use crate::service::mask_phone;
use crate::state::AccountState;

pub(crate) const FACTORS_PATH: &str = "/account/factors";

#[derive(Template)]
#[template(path = "portal/factors.html")]
pub(crate) struct FactorsPage {
    pub c: Chrome,
    /// The verified phone, masked; `None` when the account has none.
    pub sms_phone: Option<String>,
}

pub(crate) async fn factors(
    State(state): State<AccountState>,
    lang: PageLang,
    user: PortalUser,
) -> Response {
    let sms_phone = user
        .user
        .phone
        .as_deref()
        .filter(|_| user.user.phone_verified)
        .map(mask_phone);
    render(
        &state,
        lang,
        StatusCode::OK,
        &FactorsPage {
            c: user.chrome(&state, lang, FACTORS_PATH),
            sms_phone,
        },
    )
}
