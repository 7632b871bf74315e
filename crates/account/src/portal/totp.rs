//! `/account/totp`: the authenticator app (TOTP) from the portal — add one
//! (its QR code and secret, then a code from it), see it, make new
//! recovery codes, remove it with the password re-entered.
//!
//! The secret and the recovery codes are shown once, in the body of the
//! answer to the form that made them (never in a URL, a cookie or a log
//! line; the portal's pages are `no-store`), which is why those answers
//! render the page instead of redirecting. The QR code is inline SVG made
//! here, so the page needs no script and no image URL carrying the secret.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use pratu_core::web::RequestContext;
use qrcode::QrCode;
use qrcode::render::svg;
use zeroize::Zeroizing;

use super::page::{Chrome, PageLang, error_page, render, unavailable};
use super::profile::format_date;
use super::session::PortalUser;
use crate::service::AccountError;
use crate::state::AccountState;

pub(crate) const PATH: &str = "/account/totp";
pub(crate) const START_PATH: &str = "/account/totp/start";
pub(crate) const CONFIRM_PATH: &str = "/account/totp/confirm";
pub(crate) const CODES_PATH: &str = "/account/totp/recovery-codes";
pub(crate) const REMOVE_PATH: &str = "/account/totp/remove";
const START_PURPOSE: &str = "account.totp.start";
const CONFIRM_PURPOSE: &str = "account.totp.confirm";
const CODES_PURPOSE: &str = "account.totp.recovery_codes";
const REMOVE_PURPOSE: &str = "account.totp.remove";

/// What the page shows, after the action that led to it.
pub(crate) enum View {
    /// No active app: the "add" button.
    Off,
    /// A new pending app: the QR code, the secret to type in, the code
    /// form. No `Debug` (the secret).
    Setup {
        /// Inline `<svg>` of the `otpauth://` URI.
        qr_svg: Zeroizing<String>,
        /// The base32 secret in groups of four, for typing in.
        secret_groups: Zeroizing<String>,
    },
    /// A code was refused: the code form again (the pending secret stays
    /// until the next start), and a way to start over.
    Retry,
    /// Recovery codes, just made: shown this once.
    Codes { codes: Vec<Zeroizing<String>> },
    /// The active app.
    Active {
        since: String,
        recovery_codes_left: u32,
    },
}

#[derive(Template)]
#[template(path = "portal/totp.html")]
pub(crate) struct TotpPage {
    pub c: Chrome,
    pub view: View,
    /// One token per form: each is bound to its purpose.
    pub start_csrf: String,
    pub confirm_csrf: String,
    pub codes_csrf: String,
    pub remove_csrf: String,
    /// An i18n key (`totp.notice.*`).
    pub notice: Option<&'static str>,
    /// An i18n key (`totp.error.*` or `password.error.*`).
    pub error: Option<&'static str>,
}

/// An SVG of `uri` as a QR code, without the XML declaration so it can
/// sit inside the HTML. Only `fill` attributes, no `style`: the page's
/// content security policy forbids inline styles.
fn qr_svg(uri: &str) -> Result<Zeroizing<String>, qrcode::types::QrError> {
    let code = QrCode::new(uri.as_bytes())?;
    let image = Zeroizing::new(
        code.render::<svg::Color<'_>>()
            .min_dimensions(220, 220)
            .quiet_zone(true)
            .build(),
    );
    let start = image.find("<svg").unwrap_or(0);
    Ok(Zeroizing::new(image[start..].to_owned()))
}

/// `ABCDEFGHIJ…` as `ABCD EFGH IJ…`: easier to type and to check.
fn grouped(secret: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(secret.len() + secret.len() / 4));
    for (i, ch) in secret.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push(' ');
        }
        out.push(ch);
    }
    out
}

/// The page for `view`; `None` looks the app's state up (active or off).
async fn page(
    state: &AccountState,
    lang: PageLang,
    user: &PortalUser,
    status: StatusCode,
    view: Option<View>,
    notice: Option<&'static str>,
    error: Option<&'static str>,
) -> Response {
    let view = match view {
        Some(v) => v,
        None => match state.service().totp_status(user.user_id).await {
            Ok(Some(s)) => View::Active {
                since: format_date(lang.lang, s.activated_at),
                recovery_codes_left: s.recovery_codes_left,
            },
            Ok(None) => View::Off,
            Err(e) => return unavailable(state, lang, e),
        },
    };
    render(
        state,
        lang,
        status,
        &TotpPage {
            c: chrome(state, lang, user),
            view,
            start_csrf: user.csrf_token(state, START_PURPOSE),
            confirm_csrf: user.csrf_token(state, CONFIRM_PURPOSE),
            codes_csrf: user.csrf_token(state, CODES_PURPOSE),
            remove_csrf: user.csrf_token(state, REMOVE_PURPOSE),
            notice,
            error,
        },
    )
}

/// The menu marks "second factors" (this page is one of them); the
/// language link stays on this page.
fn chrome(state: &AccountState, lang: PageLang, user: &PortalUser) -> Chrome {
    let mut c = user.chrome(state, lang, super::factors::FACTORS_PATH);
    c.path = PATH;
    c
}

fn csrf_ok(state: &AccountState, user: &PortalUser, purpose: &str, form: &Fields) -> bool {
    user.csrf_ok(state, purpose, form.get("csrf").map(String::as_str))
}

type Fields = HashMap<String, String>;

/// `GET /account/totp`.
pub(crate) async fn show(
    State(state): State<AccountState>,
    lang: PageLang,
    user: PortalUser,
    Query(q): Query<Fields>,
) -> Response {
    let notice = match q.get("notice").map(String::as_str) {
        Some("removed") => Some("totp.notice.removed"),
        _ => None,
    };
    page(&state, lang, &user, StatusCode::OK, None, notice, None).await
}

/// `POST /account/totp/start`: a new pending secret, shown once.
pub(crate) async fn start(
    State(state): State<AccountState>,
    lang: PageLang,
    user: PortalUser,
    Form(form): Form<Fields>,
) -> Response {
    if !csrf_ok(&state, &user, START_PURPOSE, &form) {
        return error_page(&state, lang, StatusCode::FORBIDDEN, "error.form_stale");
    }
    let enrolment = match state.service().start_totp(user.user_id).await {
        Ok(e) => e,
        Err(AccountError::TotpAlreadyActive) => {
            return page(
                &state,
                lang,
                &user,
                StatusCode::CONFLICT,
                None,
                None,
                Some("totp.error.already_active"),
            )
            .await;
        }
        Err(e) => return unavailable(&state, lang, e),
    };
    let qr_svg = match qr_svg(&enrolment.otpauth_uri) {
        Ok(svg) => svg,
        Err(e) => return unavailable(&state, lang, AccountError::internal(e)),
    };
    let view = View::Setup {
        qr_svg,
        secret_groups: grouped(&enrolment.secret),
    };
    page(&state, lang, &user, StatusCode::OK, Some(view), None, None).await
}

/// `POST /account/totp/confirm`: the code from the app; on success the
/// first recovery codes, shown once.
pub(crate) async fn confirm(
    State(state): State<AccountState>,
    lang: PageLang,
    user: PortalUser,
    ctx: RequestContext,
    Form(form): Form<Fields>,
) -> Response {
    if !csrf_ok(&state, &user, CONFIRM_PURPOSE, &form) {
        return error_page(&state, lang, StatusCode::FORBIDDEN, "error.form_stale");
    }
    // People type codes with spaces ("123 456"), as apps show them.
    let code: String = form
        .get("code")
        .map_or("", String::as_str)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let service = state.service();
    let (status, view, error) = match service.confirm_totp(&ctx, user.user_id, &code).await {
        Ok(()) => match service.new_recovery_codes(&ctx, user.user_id).await {
            Ok(codes) => (StatusCode::OK, Some(View::Codes { codes }), None),
            Err(e) => return unavailable(&state, lang, e),
        },
        Err(AccountError::OtpInvalid { .. }) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(View::Retry),
            Some("totp.error.code"),
        ),
        Err(AccountError::TooManyAttempts { .. }) => (
            StatusCode::TOO_MANY_REQUESTS,
            Some(View::Retry),
            Some("password.error.too_many"),
        ),
        Err(AccountError::NoTotpPending) => {
            (StatusCode::CONFLICT, None, Some("totp.error.not_pending"))
        }
        Err(AccountError::TotpAlreadyActive) => (
            StatusCode::CONFLICT,
            None,
            Some("totp.error.already_active"),
        ),
        Err(e) => return unavailable(&state, lang, e),
    };
    let notice = error.is_none().then_some("totp.notice.added");
    page(&state, lang, &user, status, view, notice, error).await
}

/// `POST /account/totp/recovery-codes`: a new set, replacing the old,
/// shown once.
pub(crate) async fn recovery_codes(
    State(state): State<AccountState>,
    lang: PageLang,
    user: PortalUser,
    ctx: RequestContext,
    Form(form): Form<Fields>,
) -> Response {
    if !csrf_ok(&state, &user, CODES_PURPOSE, &form) {
        return error_page(&state, lang, StatusCode::FORBIDDEN, "error.form_stale");
    }
    match state.service().new_recovery_codes(&ctx, user.user_id).await {
        Ok(codes) => {
            let view = View::Codes { codes };
            page(&state, lang, &user, StatusCode::OK, Some(view), None, None).await
        }
        Err(AccountError::NoTotp) => {
            page(
                &state,
                lang,
                &user,
                StatusCode::CONFLICT,
                None,
                None,
                Some("totp.error.none"),
            )
            .await
        }
        Err(e) => unavailable(&state, lang, e),
    }
}

/// `POST /account/totp/remove`: the app and its recovery codes, the
/// password re-entered.
pub(crate) async fn remove(
    State(state): State<AccountState>,
    lang: PageLang,
    user: PortalUser,
    ctx: RequestContext,
    Form(form): Form<Fields>,
) -> Response {
    if !csrf_ok(&state, &user, REMOVE_PURPOSE, &form) {
        return error_page(&state, lang, StatusCode::FORBIDDEN, "error.form_stale");
    }
    let password = form.get("password").map_or("", String::as_str);
    let res = state
        .service()
        .remove_totp(&ctx, user.user_id, password)
        .await;
    let (status, error) = match res {
        // Gone either way: removed now, or already (another tab).
        Ok(()) | Err(AccountError::NoTotp) => {
            return Redirect::to(&format!("{PATH}?notice=removed")).into_response();
        }
        Err(AccountError::InvalidPassword) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "password.error.wrong")
        }
        Err(AccountError::TooManyAttempts { .. }) => {
            (StatusCode::TOO_MANY_REQUESTS, "password.error.too_many")
        }
        Err(e) => return unavailable(&state, lang, e),
    };
    page(&state, lang, &user, status, None, None, Some(error)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_is_grouped_by_four() {
        assert_eq!(grouped("ABCDEFGHIJ").as_str(), "ABCD EFGH IJ");
        assert_eq!(grouped("ABCD").as_str(), "ABCD");
        assert_eq!(grouped("").as_str(), "");
    }

    /// The QR code is bare SVG markup the page CSP allows: no XML
    /// declaration inside HTML, no inline style, no script, no data URL,
    /// and not the secret in clear.
    #[test]
    fn the_qr_code_is_inline_svg_without_styles_or_the_secret() {
        let uri =
            "otpauth://totp/Pratu:somchai87?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Pratu";
        let svg = qr_svg(uri).unwrap();
        assert!(svg.starts_with("<svg "), "{}", &svg[..40]);
        assert!(svg.ends_with("</svg>"));
        for banned in ["<?xml", "style", "<script", "data:", "JBSWY3DP"] {
            assert!(!svg.contains(banned), "{banned}");
        }
    }
}
