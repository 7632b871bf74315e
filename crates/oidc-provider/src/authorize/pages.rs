//! Rendering the login and consent pages of a pending request.

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use pratu_storage::records::Client;

use super::flow::{CONSENT_PATH, CONTINUE_PATH, LOGIN_PATH, REGISTER_PATH};
use super::request::AuthRequest;
use crate::state::Forms;
use crate::web::i18n::{Locale, claim_label};
use crate::web::pages::{self, ConsentPage, LoginPage};
use pratu_core::web::{Csrf, csrf};

impl Forms {
    /// The browser's CSRF cookie value, and a `Set-Cookie` when it had none.
    pub(crate) fn csrf_browser(&self, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
        match self.issuer.cookies.get(headers, csrf::COOKIE) {
            Some(v) if Csrf::is_binding(v) => (v.to_owned(), None),
            _ => {
                let v = Csrf::new_binding(&*self.random);
                let cookie = self.issuer.cookies.set(csrf::COOKIE, &v, None);
                (v, cookie)
            }
        }
    }

    /// The language of a page shown before (or without) a pending request:
    /// `explicit` if any, else the language cookie or `Accept-Language`.
    pub(crate) fn locale(&self, headers: &HeaderMap, explicit: Option<Locale>) -> Locale {
        Locale::negotiate(explicit, self.issuer.cookies, headers)
    }

    pub(crate) fn lang_url(&self, id: &str, locale: Locale) -> Option<String> {
        let other = match locale {
            Locale::Th => "en",
            Locale::En => "th",
        };
        Some(format!(
            "{}{CONTINUE_PATH}?req={id}&lang={other}",
            self.issuer.url
        ))
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "one page, its request and its message"
    )]
    pub(crate) fn login_page(
        &self,
        headers: &HeaderMap,
        req: &AuthRequest,
        client: &Client,
        id: &str,
        username: Option<&str>,
        error: Option<&str>,
        status: StatusCode,
    ) -> Response {
        let (browser, cookie) = self.csrf_browser(headers);
        let token = self.csrf.token(&browser, id);
        let action = format!("{}{LOGIN_PATH}", self.issuer.url);
        // The enroll link carries this pending request, so the citizen who
        // enrolls from here comes back to this sign-in (the wizard accepts
        // exactly this shape and nothing else).
        let back: String =
            url::form_urlencoded::byte_serialize(format!("{CONTINUE_PATH}?req={id}").as_bytes())
                .collect();
        let register = format!("{}{REGISTER_PATH}?continue={back}", self.issuer.url);
        let page = LoginPage {
            t: req.locale.texts(),
            lang_url: self.lang_url(id, req.locale),
            action: &action,
            req: id,
            csrf: &token,
            client_name: &client.client_name,
            username: username.or(req.login_hint.as_deref()).unwrap_or(""),
            error,
            register_url: &register,
            passkey: self.passkeys_offered(),
        };
        if page.passkey {
            pages::render_passkey_page_to(status, &page, cookie.as_slice(), &req.redirect_uri)
        } else {
            pages::render_to(status, &page, cookie.as_slice(), &req.redirect_uri)
        }
    }

    pub(crate) fn consent_page(
        &self,
        headers: &HeaderMap,
        req: &AuthRequest,
        client: &Client,
        id: &str,
    ) -> Response {
        let (browser, cookie) = self.csrf_browser(headers);
        let token = self.csrf.token(&browser, id);
        let action = format!("{}{CONSENT_PATH}", self.issuer.url);
        let mut items: Vec<&'static str> = Vec::new();
        let mut add = |name: &str| {
            let label = claim_label(req.locale, name);
            if !items.contains(&label) {
                items.push(label);
            }
        };
        add("sub");
        for s in &req.scopes {
            for c in crate::scopes::claims_of(s) {
                add(c);
            }
        }
        for c in req.claims.all_names() {
            add(c);
        }
        let page = ConsentPage {
            t: req.locale.texts(),
            lang_url: self.lang_url(id, req.locale),
            action: &action,
            req: id,
            csrf: &token,
            client_name: &client.client_name,
            items,
        };
        pages::render_to(StatusCode::OK, &page, cookie.as_slice(), &req.redirect_uri)
    }
}
