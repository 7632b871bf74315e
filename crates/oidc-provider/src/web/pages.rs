//! The provider's HTML pages: one askama view per page (templates in
//! `templates/`), rendered with security headers that keep them out of
//! frames and caches.

use askama::Template;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, SET_COOKIE, X_FRAME_OPTIONS,
};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::i18n::Texts;

#[derive(Template)]
#[template(path = "login.html")]
pub(crate) struct LoginPage<'a> {
    pub t: &'static Texts,
    pub lang_url: Option<String>,
    pub action: &'a str,
    pub req: &'a str,
    pub csrf: &'a str,
    pub client_name: &'a str,
    pub username: &'a str,
    pub error: Option<&'a str>,
    pub register_url: &'a str,
    /// Offer "sign in with a passkey" (the issuer is a domain); the page
    /// then loads the passkey script.
    pub passkey: bool,
}

#[derive(Template)]
#[template(path = "consent.html")]
pub(crate) struct ConsentPage<'a> {
    pub t: &'static Texts,
    pub lang_url: Option<String>,
    pub action: &'a str,
    pub req: &'a str,
    pub csrf: &'a str,
    pub client_name: &'a str,
    pub items: Vec<&'static str>,
}

#[derive(Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage<'a> {
    pub t: &'static Texts,
    pub lang_url: Option<String>,
    pub message: &'a str,
    pub code: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "form_post.html")]
pub(crate) struct FormPostPage<'a> {
    pub t: &'static Texts,
    pub action: &'a str,
    pub fields: Vec<(&'a str, &'a str)>,
    pub nonce: &'a str,
}

#[derive(Template)]
#[template(path = "logout.html")]
pub(crate) struct LogoutPage<'a> {
    pub t: &'static Texts,
    pub lang_url: Option<String>,
    pub action: &'a str,
    pub csrf: &'a str,
    pub logout: &'a str,
}

#[derive(Template)]
#[template(path = "logged_out.html")]
pub(crate) struct LoggedOutPage {
    pub t: &'static Texts,
    pub lang_url: Option<String>,
}

#[derive(Template)]
#[template(path = "otp.html")]
pub(crate) struct OtpPage<'a> {
    pub t: &'static Texts,
    pub lang_url: Option<String>,
    pub action: &'a str,
    pub req: &'a str,
    pub csrf: &'a str,
    pub phone: &'a str,
    pub reference: &'a str,
    /// The account's other second factors: (link, label).
    pub others: Vec<(String, &'static str)>,
    pub error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "totp.html")]
pub(crate) struct TotpPage<'a> {
    pub t: &'static Texts,
    pub lang_url: Option<String>,
    pub action: &'a str,
    pub req: &'a str,
    pub csrf: &'a str,
    pub others: Vec<(String, &'static str)>,
    pub error: Option<&'a str>,
}

/// Step-up with a passkey after the password (loads the passkey script).
#[derive(Template)]
#[template(path = "passkey_step_up.html")]
pub(crate) struct PasskeyStepUpPage<'a> {
    pub t: &'static Texts,
    pub lang_url: Option<String>,
    pub action: &'a str,
    /// Where the script fetches the ceremony's options.
    pub options: &'a str,
    pub req: &'a str,
    pub csrf: &'a str,
    pub others: Vec<(String, &'static str)>,
    pub error: Option<&'a str>,
}

/// The one page policy (`pratu_core::web::csp`), set here as well as by the
/// server's layer so the provider's pages carry it in any router.
const CSP: &str = pratu_core::web::csp::PAGE;

/// Renders `page` as an HTML response with `status`, setting `cookies`.
pub(crate) fn render(
    status: StatusCode,
    page: &impl Template,
    cookies: &[HeaderValue],
) -> Response {
    render_with_csp(status, page, cookies, CSP)
}

pub(crate) fn render_with_csp(
    status: StatusCode,
    page: &impl Template,
    cookies: &[HeaderValue],
    csp: &str,
) -> Response {
    let body = match page.render() {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
        }
    };
    let mut res = (status, body).into_response();
    let h = res.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        HeaderName::from_static("referrer-policy"),
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(v) = HeaderValue::from_str(csp) {
        h.insert(CONTENT_SECURITY_POLICY, v);
    }
    for c in cookies {
        h.append(SET_COOKIE, c.clone());
    }
    res
}

/// The origin `form-action` names for a redirect URI: scheme, host and
/// port, or the scheme alone for a custom scheme (a native app).
fn redirect_origin(redirect_uri: &str) -> Option<String> {
    let url = url::Url::parse(redirect_uri).ok()?;
    Some(match url.origin() {
        origin @ url::Origin::Tuple(..) => origin.ascii_serialization(),
        url::Origin::Opaque(_) => format!("{}:", url.scheme()),
    })
}

/// Renders a page whose form may end at the client's `redirect_uri`
/// (`pratu_core::web::csp::page_to`); an unparsable URI (never registered)
/// gets the same-origin policy.
pub(crate) fn render_to(
    status: StatusCode,
    page: &impl Template,
    cookies: &[HeaderValue],
    redirect_uri: &str,
) -> Response {
    match redirect_origin(redirect_uri) {
        Some(origin) => render_with_csp(
            status,
            page,
            cookies,
            &pratu_core::web::csp::page_to(&origin),
        ),
        None => render(status, page, cookies),
    }
}

/// [`render_to`] for the sign-in page offering a passkey: the same, but
/// its policy lets it load Pratu's passkey script
/// (`pratu_core::web::csp::passkey_page_to`).
pub(crate) fn render_passkey_page_to(
    status: StatusCode,
    page: &impl Template,
    cookies: &[HeaderValue],
    redirect_uri: &str,
) -> Response {
    match redirect_origin(redirect_uri) {
        Some(origin) => render_with_csp(
            status,
            page,
            cookies,
            &pratu_core::web::csp::passkey_page_to(&origin),
        ),
        None => render_with_csp(status, page, cookies, pratu_core::web::csp::PASSKEY_PAGE),
    }
}

/// The CSP of the form_post page: its one script, by nonce, and its one
/// form target, the client's redirect URI's origin.
pub(crate) fn form_post_csp(nonce: &str, redirect_uri: &str) -> Option<String> {
    let origin = redirect_origin(redirect_uri)?;
    Some(pratu_core::web::csp::form_post(nonce, &origin))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::Locale;

    /// Every page renders in both languages, and the login page carries
    /// the password-manager hints.
    #[test]
    fn every_page_renders_in_thai_and_english() {
        for locale in [Locale::Th, Locale::En] {
            let t = locale.texts();
            let login = LoginPage {
                t,
                lang_url: Some("/x?lang=en".into()),
                action: "/login",
                req: "r",
                csrf: "c",
                client_name: "<Agency>",
                username: "",
                error: Some(t.bad_credentials),
                register_url: "/register",
                passkey: false,
            }
            .render()
            .unwrap();
            assert!(!login.contains("<script"), "no passkey, no script");
            assert!(login.contains(r#"autocomplete="username""#));
            assert!(login.contains(r#"autocomplete="current-password""#));
            assert!(!login.contains("<Agency>"), "names are escaped");
            assert!(login.contains(t.sign_in));
            assert!(login.contains(r#"href="/register""#));
            let with_passkey = LoginPage {
                t,
                lang_url: None,
                action: "/login",
                req: "r",
                csrf: "c",
                client_name: "A",
                username: "",
                error: None,
                register_url: "/register",
                passkey: true,
            }
            .render()
            .unwrap();
            assert!(with_passkey.contains(t.passkey_sign_in));
            assert!(with_passkey.contains(r#"<script src="/login/passkey.js" defer></script>"#));
            assert!(
                with_passkey.contains(r#"id="passkey-signin""#)
                    && with_passkey.contains(" hidden>")
            );

            let consent = ConsentPage {
                t,
                lang_url: None,
                action: "/consent",
                req: "r",
                csrf: "c",
                client_name: "A",
                items: vec![crate::web::i18n::claim_label(locale, "birthdate")],
            }
            .render()
            .unwrap();
            assert!(consent.contains(t.allow) && consent.contains(t.deny));

            let otp = OtpPage {
                t,
                lang_url: None,
                action: "/login/otp",
                req: "r",
                csrf: "c",
                phone: "08x-xxx-5678",
                reference: "KXQF",
                others: vec![("/authorize/continue?req=r&factor=totp".into(), t.use_totp)],
                error: None,
            }
            .render()
            .unwrap();
            assert!(otp.contains(r#"autocomplete="one-time-code""#));
            assert!(otp.contains("factor=totp") && otp.contains(t.use_totp));
            assert!(otp.contains(t.other_factors));

            let totp = TotpPage {
                t,
                lang_url: None,
                action: "/login/totp",
                req: "r",
                csrf: "c",
                others: vec![],
                error: Some(t.totp_invalid),
            }
            .render()
            .unwrap();
            assert!(totp.contains(r#"autocomplete="one-time-code""#));
            assert!(totp.contains(t.totp_invalid) && totp.contains(t.totp_recovery_hint));
            assert!(!totp.contains(t.other_factors), "no other factor, no links");

            let passkey = PasskeyStepUpPage {
                t,
                lang_url: None,
                action: "/login/stepup/passkey",
                options: "/login/passkey/options",
                req: "r",
                csrf: "c",
                others: vec![("/x".into(), t.use_sms)],
                error: None,
            }
            .render()
            .unwrap();
            assert!(passkey.contains(r#"id="passkey-signin""#) && passkey.contains(" hidden>"));
            assert!(passkey.contains(r#"<script src="/login/passkey.js" defer></script>"#));
            assert!(passkey.contains(t.use_sms));

            let error = ErrorPage {
                t,
                lang_url: None,
                message: t.unknown_client,
                code: Some("invalid_client"),
            }
            .render()
            .unwrap();
            assert!(error.contains(t.unknown_client));
            let form = FormPostPage {
                t,
                action: "https://rp/cb",
                fields: vec![("code", "a\"b")],
                nonce: "n",
            }
            .render()
            .unwrap();
            assert!(form.contains(r#"value="a&#34;b""#) || form.contains("a&quot;b"));
            LogoutPage {
                t,
                lang_url: None,
                action: "/logout/confirm",
                csrf: "c",
                logout: "l",
            }
            .render()
            .unwrap();
            LoggedOutPage { t, lang_url: None }.render().unwrap();
        }
    }
}
