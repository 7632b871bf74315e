//! `/account/factors`: the second factors the account has, each with a
//! link to where it is managed — a code by SMS to the verified phone
//! (`/account/phone`), an authenticator app (`/account/totp`, its status
//! shown here) and passkeys (`/account/passkeys`). Step-up sign-ins ask
//! for one of them.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::page::{Chrome, PageLang, render, unavailable};
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
    /// Whether the account has an active authenticator app.
    pub totp_active: bool,
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
    let totp_active = match state.service().totp_active(user.user_id).await {
        Ok(a) => a,
        Err(e) => return unavailable(&state, lang, e),
    };
    render(
        &state,
        lang,
        StatusCode::OK,
        &FactorsPage {
            c: user.chrome(&state, lang, FACTORS_PATH),
            sms_phone,
            totp_active,
        },
    )
}
