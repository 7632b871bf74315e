//! RP-Initiated Logout 1.0 (`end_session_endpoint`) and the session end
//! that follows: the SSO session is deleted from the shared store (so it
//! ends on every node), the refresh tokens issued under it are revoked, and
//! every client of the session with a back-channel URI is told.
//!
//! With a valid `id_token_hint` for the current session the logout happens
//! at once; otherwise the user confirms on a page (a cross-site link must
//! not sign anyone out). The redirect after logout goes only to a
//! `post_logout_redirect_uri` registered for the client (DGA's
//! `post_logout_redirect_url` spelling is accepted too).

mod backchannel;

use pratu_core::audit::{AuditAction, Outcome};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header::{CACHE_CONTROL, LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::authorize::respond::{AuthorizeError, PageError, error_page, server_error};
use crate::clients::random_token;
use crate::session::{self, Current};
use crate::state::{Forms, Logout, Tokens};
use crate::web::i18n::Locale;
use crate::web::pages::{self, LoggedOutPage, LogoutPage};
use crate::web::params::Params;
use pratu_core::web::csrf;

pub(crate) const CONFIRM_PATH: &str = "/logout/confirm";
const PENDING_TTL: Duration = Duration::from_secs(600);

/// Where to go after a confirmed logout.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct AfterLogout {
    redirect: Option<String>,
    state: Option<String>,
    locale: Locale,
}

/// `GET|POST /logout`.
#[tracing::instrument(name = "pratu.oidc.end_session", skip_all)]
pub(crate) async fn end_session(
    State(logout): State<Logout>,
    State(forms): State<Forms>,
    method: Method,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Response {
    let p = if method == Method::POST {
        match Params::from_form(&headers, &body) {
            Some(p) => p,
            None => {
                return error_page(
                    PageError::BadRequest("form expected".into()),
                    forms.locale(&headers, None),
                );
            }
        }
    } else {
        Params::parse(q.unwrap_or_default().as_bytes())
    };
    let locale = forms.locale(&headers, Locale::from_ui_locales(p.get("ui_locales")));
    if let Some(name) = p.first_duplicate() {
        return error_page(PageError::BadRequest(format!("{name} is repeated")), locale);
    }

    // The client: from the hint's audience or client_id.
    let hint = p.get("id_token_hint");
    let hint_aud = hint.and_then(|h| hint_audience(&logout.tokens, h));
    if hint.is_some() && hint_aud.is_none() {
        return error_page(
            PageError::BadRequest("id_token_hint is not an ID token issued here".into()),
            locale,
        );
    }
    let client_id = match (hint_aud.as_deref(), p.get("client_id")) {
        (Some(a), Some(c)) if a != c => {
            return error_page(
                PageError::BadRequest("client_id does not match id_token_hint".into()),
                locale,
            );
        }
        (Some(a), _) => Some(a.to_owned()),
        (None, c) => c.map(str::to_owned),
    };
    let client = match &client_id {
        Some(id) => match logout.clients.active(id).await {
            Ok(Some(c)) => Some(c),
            Ok(None) => return error_page(PageError::UnknownClient, locale),
            Err(e) => return server_error(e, locale),
        },
        None => None,
    };
    let requested = p
        .get("post_logout_redirect_uri")
        .or_else(|| p.get("post_logout_redirect_url"));
    let redirect = match (requested, &client) {
        (None, _) => None,
        (Some(uri), Some(c)) if c.post_logout_redirect_uris.iter().any(|r| r == uri) => {
            Some(uri.to_owned())
        }
        (Some(_), _) => return error_page(PageError::BadRedirectUri, locale),
    };
    let after = AfterLogout {
        redirect,
        state: p.get("state").map(str::to_owned),
        locale,
    };

    let current = match logout.sessions.current_session(&headers).await {
        Ok(c) => c,
        Err(e) => return server_error(e, locale),
    };
    let Some(current) = current else {
        return finish(&after, None);
    };
    let hint_matches = match (hint, &client) {
        (Some(h), Some(c)) => logout.tokens.hint_subject(c, h) == Some(current.session.user_id),
        _ => false,
    };
    if hint_matches {
        return logout.log_out(&current, &after).await;
    }
    // No proof the client speaks for this session: ask the user.
    let id = random_token(&*logout.random, 16);
    let bytes = match serde_json::to_vec(&after) {
        Ok(b) => b,
        Err(e) => return server_error(e, locale),
    };
    // Disposable, as pending authorization requests: a full store refuses
    // it (503) rather than let it displace security state.
    if let Err(e) = logout
        .ephemeral
        .put_disposable(&format!("logout:{id}"), &bytes, PENDING_TTL)
        .await
    {
        return AuthorizeError::storage(e, locale).respond(&forms);
    }
    let (browser, cookie) = forms.csrf_browser(&headers);
    let token = forms.csrf.token(&browser, &format!("logout:{id}"));
    let action = format!("{}{CONFIRM_PATH}", forms.issuer.url);
    let page = LogoutPage {
        t: locale.texts(),
        lang_url: None,
        action: &action,
        csrf: &token,
        logout: &id,
    };
    match &after.redirect {
        Some(uri) => pages::render_to(StatusCode::OK, &page, cookie.as_slice(), uri),
        None => pages::render(StatusCode::OK, &page, cookie.as_slice()),
    }
}

/// `POST /logout/confirm`.
pub(crate) async fn confirm(
    State(logout): State<Logout>,
    State(forms): State<Forms>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(p) = Params::from_form(&headers, &body) else {
        return error_page(
            PageError::BadRequest("form expected".into()),
            forms.locale(&headers, None),
        );
    };
    let id = p.get("logout").unwrap_or_default();
    let browser = forms.issuer.cookies.get(&headers, csrf::COOKIE);
    if id.len() > 64
        || !forms
            .csrf
            .verify(browser, &format!("logout:{id}"), p.get("csrf"))
    {
        return error_page(
            PageError::BadRequest("the form is stale; please try again".into()),
            forms.locale(&headers, None),
        );
    }
    let after: AfterLogout = match logout.ephemeral.take(&format!("logout:{id}")).await {
        Ok(Some(b)) => match serde_json::from_slice(&b) {
            Ok(a) => a,
            Err(e) => return server_error(e, forms.locale(&headers, None)),
        },
        Ok(None) => return error_page(PageError::Expired, forms.locale(&headers, None)),
        Err(e) => return server_error(e, forms.locale(&headers, None)),
    };
    match logout.sessions.current_session(&headers).await {
        Ok(Some(current)) => logout.log_out(&current, &after).await,
        Ok(None) => finish(&after, None),
        Err(e) => server_error(e, after.locale),
    }
}

/// The client an ID token we issued was for (expiry ignored).
fn hint_audience(tokens: &Tokens, hint: &str) -> Option<String> {
    let claims: serde_json::Value = tokens
        .keys
        .ring()
        .decode_id_token_hint(&tokens.issuer.url, hint)
        .ok()?
        .claims;
    match claims.get("aud")? {
        serde_json::Value::String(a) => Some(a.clone()),
        serde_json::Value::Array(v) => v.first()?.as_str().map(str::to_owned),
        _ => None,
    }
}

impl Logout {
    async fn log_out(&self, current: &Current, after: &AfterLogout) -> Response {
        let clients = match self.sessions.end_session(current).await {
            Ok(c) => c,
            Err(e) => return server_error(e, after.locale),
        };
        let s = &current.session;
        if let Err(e) = self
            .tokens
            .store
            .revoke_refresh_by_session(&s.sid, self.tokens.clock.now())
            .await
        {
            tracing::error!(error = %e, "revoking the session's refresh tokens failed");
        }
        self.notify_backchannel(clients, s.user_id, s.sid.clone());
        self.audit
            .record(
                format!("user:{}", s.user_id),
                AuditAction::Logout,
                None,
                Outcome::Success,
                serde_json::json!({}),
            )
            .await;
        finish(after, self.sessions.cookies.clear(session::COOKIE))
    }
}

fn finish(after: &AfterLogout, clear: Option<HeaderValue>) -> Response {
    let cookies: Vec<HeaderValue> = clear.into_iter().collect();
    match &after.redirect {
        Some(uri) => {
            let Ok(mut url) = url::Url::parse(uri) else {
                return error_page(PageError::BadRedirectUri, after.locale);
            };
            if let Some(s) = &after.state {
                url.query_pairs_mut().append_pair("state", s);
            }
            let mut res = StatusCode::SEE_OTHER.into_response();
            let h = res.headers_mut();
            if let Ok(v) = HeaderValue::from_str(url.as_str()) {
                h.insert(LOCATION, v);
            }
            h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            for c in cookies {
                h.append(SET_COOKIE, c);
            }
            res
        }
        None => pages::render(
            StatusCode::OK,
            &LoggedOutPage {
                t: after.locale.texts(),
                lang_url: None,
            },
            &cookies,
        ),
    }
}
