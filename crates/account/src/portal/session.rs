//! Signing citizens in to the portal through Pratu itself: the portal is
//! the built-in public client `pratu-account` of its own issuer (code +
//! PKCE, scope `openid account`). The access token it receives is verified
//! in-process; the citizen then holds a portal session — a random handle in
//! a cookie, the record in the ephemeral store under the handle's digest,
//! so every node sees it and a stolen store dump holds no usable handle.
//!
//! Every page checks the session again ([`PortalUser::load`]): the account
//! must still exist and be active, and must not have been signed out
//! everywhere since (an operator's force logout, the citizen's own "sign
//! out everywhere", a password change, a recovery, a deletion all end the
//! portal session with the SSO sessions).
//!
//! Cookies: both are whole-origin cookies, `__Host-` on https
//! (`__Host-pratu_account`, `__Host-pratu_account_login`; HttpOnly,
//! Secure unless the issuer is loopback http, SameSite=Lax so the return
//! from `/authorize` carries them). A cookie scoped to `/account` would not
//! reach the rest of the site, but it could not carry `__Host-`, and then a
//! sibling subdomain could plant a session or a sign-in state of its own
//! choosing (session fixation, login CSRF); binding the cookie to the exact
//! origin matters more than hiding it from the site's other paths, which
//! never read it.

use std::collections::HashMap;
use std::time::Duration;

use askama::Template;
use axum::Form;
use axum::extract::{FromRef, FromRequestParts, Query, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use pratu_core::access::{ACCOUNT_CLIENT_ID, ACCOUNT_SCOPE};
use pratu_core::web::CookieDef;
use pratu_core::web::error::InternalError;
use pratu_storage::records::{User, UserStatus};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;
use uuid::Uuid;

use super::page::{Chrome, NAV, NavItem, PageLang, Shell, error_page, render, unavailable};
use crate::state::AccountState;

/// The portal session's handle.
pub(crate) const SESSION_COOKIE: CookieDef = CookieDef::host("pratu_account");
/// The sign-in in progress (its `state`), binding the callback to this
/// browser.
const LOGIN_COOKIE: CookieDef = CookieDef::host("pratu_account_login");
pub(crate) const CALLBACK_PATH: &str = "/account/callback";
pub(crate) const SIGNOUT_PATH: &str = "/account/signout";
/// How long a citizen may take on the sign-in page.
const LOGIN_TTL: Duration = Duration::from_secs(600);
/// Longest handle read back from a cookie; longer is not ours.
const MAX_HANDLE: usize = 64;
const SIGNOUT_PURPOSE: &str = "account.signout";

fn digest(v: &str) -> String {
    B64.encode(Sha256::digest(v.as_bytes()))
}

fn session_key(handle: &str) -> String {
    format!("account_portal:{}", digest(handle))
}

fn login_key(state: &str) -> String {
    format!("account_login:{}", digest(state))
}

/// The portal session as stored.
#[derive(Debug, Serialize, Deserialize)]
struct SessionRecord {
    user_id: Uuid,
    /// Unix seconds; signing out everywhere after this ends the session.
    created_at: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct PendingLogin {
    verifier: String,
    /// The portal page to show after signing in.
    next: String,
}

/// The citizen signed in to the portal, checked on this request. Use it as
/// an extractor: without a live session a `GET` starts signing in (and
/// comes back to the same page), anything else goes to `/account`.
#[derive(Debug, Clone)]
pub struct PortalUser {
    pub user_id: Uuid,
    /// The account as it is now (active).
    pub user: User,
    /// The session's handle: what the portal's CSRF tokens are bound to.
    handle: String,
}

impl PortalUser {
    /// The signed-in citizen of `headers`, if the session is live and the
    /// account active and not signed out everywhere since.
    pub async fn load(
        state: &AccountState,
        headers: &HeaderMap,
    ) -> Result<Option<Self>, InternalError> {
        let Some(handle) = state
            .cookies()
            .get(headers, SESSION_COOKIE)
            .filter(|h| h.len() <= MAX_HANDLE)
        else {
            return Ok(None);
        };
        let deps = state.deps();
        let Some(raw) = deps.ephemeral.get(&session_key(handle)).await? else {
            return Ok(None);
        };
        let Ok(record) = serde_json::from_slice::<SessionRecord>(&raw) else {
            return Ok(None);
        };
        let Some(user) = deps.store.user_by_id(record.user_id).await? else {
            return Ok(None);
        };
        if user.status != UserStatus::Active
            || state
                .provider()
                .logged_out_since(user.id, record.created_at)
                .await?
        {
            return Ok(None);
        }
        Ok(Some(Self {
            user_id: user.id,
            user,
            handle: handle.to_owned(),
        }))
    }

    /// A CSRF token for one of the portal's forms, bound to this session
    /// and to the form's `purpose` (e.g. `account.password`).
    pub fn csrf_token(&self, state: &AccountState, purpose: &str) -> String {
        state.csrf().token(&self.handle, purpose)
    }

    /// Whether a form's token is this session's for `purpose`.
    pub fn csrf_ok(&self, state: &AccountState, purpose: &str, presented: Option<&str>) -> bool {
        state.csrf().verify(Some(&self.handle), purpose, presented)
    }

    /// The chrome of a signed-in page at `path` (its navigation entry is
    /// marked current).
    pub fn chrome(&self, state: &AccountState, lang: PageLang, path: &'static str) -> Chrome {
        Chrome {
            lang: lang.lang,
            path,
            shell: Some(Shell {
                username: self.user.username.clone(),
                signout_csrf: self.csrf_token(state, SIGNOUT_PURPOSE),
                nav: NAV
                    .iter()
                    .map(|&(href, key)| NavItem {
                        href,
                        key,
                        current: href == path,
                    })
                    .collect(),
            }),
        }
    }
}

impl<S> FromRequestParts<S> for PortalUser
where
    AccountState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let lang = PageLang::from_request_parts(parts, state)
            .await
            .unwrap_or_else(|never| match never {});
        let state = AccountState::from_ref(state);
        match Self::load(&state, &parts.headers).await {
            Ok(Some(user)) => Ok(user),
            Ok(None) if parts.method == Method::GET => {
                Err(start_login(&state, lang, next_page(parts.uri.path())).await)
            }
            Ok(None) => Err(see_other("/account")),
            Err(e) => Err(unavailable(&state, lang, e)),
        }
    }
}

/// Where to come back to after signing in: a portal page (path only), or
/// the profile.
fn next_page(path: &str) -> String {
    let ok = (path == "/account" || path.starts_with("/account/"))
        && path != CALLBACK_PATH
        && path.len() <= 128
        && !path.contains("//")
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_'));
    if ok {
        path.to_owned()
    } else {
        "/account".to_owned()
    }
}

fn see_other(to: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        res.headers_mut().insert(LOCATION, v);
    }
    res
}

/// Sends the browser to the provider's authorization endpoint as
/// `pratu-account`, with a fresh `state` (also in this browser's login
/// cookie) and a PKCE challenge.
async fn start_login(state: &AccountState, lang: PageLang, next: String) -> Response {
    let deps = state.deps();
    let login_state = deps.random.token(16);
    let verifier = deps.random.token(32);
    let challenge = B64.encode(Sha256::digest(verifier.as_bytes()));
    let pending = match serde_json::to_vec(&PendingLogin { verifier, next }) {
        Ok(p) => p,
        Err(e) => return unavailable(state, lang, e),
    };
    // Disposable: anyone may start a sign-in, so a full store refuses it
    // rather than let it displace security state.
    if let Err(e) = deps
        .ephemeral
        .put_disposable(&login_key(&login_state), &pending, LOGIN_TTL)
        .await
    {
        return unavailable(state, lang, e);
    }
    let mut url = match url::Url::parse(&format!("{}/authorize", state.issuer())) {
        Ok(u) => u,
        Err(e) => return unavailable(state, lang, e),
    };
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", ACCOUNT_CLIENT_ID)
        .append_pair("redirect_uri", &state.portal_redirect_uri())
        .append_pair("scope", &format!("openid {ACCOUNT_SCOPE}"))
        .append_pair("state", &login_state)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("ui_locales", lang.lang.code());
    let mut res = see_other(url.as_str());
    if let Some(c) = state
        .cookies()
        .set(LOGIN_COOKIE, &login_state, Some(LOGIN_TTL.as_secs()))
    {
        res.headers_mut().append(SET_COOKIE, c);
    }
    res
}

#[derive(Debug, Deserialize)]
pub(crate) struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TokenResponse {
    access_token: String,
}

/// `GET /account/callback`: the end of the portal's sign-in.
pub(crate) async fn callback(
    State(state): State<AccountState>,
    lang: PageLang,
    headers: HeaderMap,
    Query(q): Query<Callback>,
) -> Response {
    let fail = |status, key| error_page(&state, lang, status, key);
    if q.error.is_some() {
        return fail(StatusCode::FORBIDDEN, "error.signin_cancelled");
    }
    let (Some(code), Some(login_state)) = (q.code, q.state) else {
        return fail(StatusCode::BAD_REQUEST, "error.signin_failed");
    };
    // The state must be this browser's (login CSRF), and is used once.
    let ours = state
        .cookies()
        .get(&headers, LOGIN_COOKIE)
        .is_some_and(|c| bool::from(c.as_bytes().ct_eq(login_state.as_bytes())));
    if !ours || login_state.len() > MAX_HANDLE {
        return fail(StatusCode::BAD_REQUEST, "error.signin_expired");
    }
    let deps = state.deps();
    let pending = match deps.ephemeral.take(&login_key(&login_state)).await {
        Ok(Some(raw)) => serde_json::from_slice::<PendingLogin>(&raw).ok(),
        Ok(None) => None,
        Err(e) => return unavailable(&state, lang, e),
    };
    let Some(pending) = pending else {
        return fail(StatusCode::BAD_REQUEST, "error.signin_expired");
    };
    let token = match exchange(&state, &code, &pending.verifier).await {
        Ok(Some(t)) => t,
        Ok(None) => return fail(StatusCode::FORBIDDEN, "error.signin_failed"),
        Err(e) => return unavailable(&state, lang, e),
    };
    let access = match state.provider().verify_access_token(&token).await {
        Ok(a) => a,
        Err(pratu_core::access::AccessTokenError::Unavailable) => {
            return unavailable(
                &state,
                lang,
                InternalError::described("the portal's access token cannot be checked".into()),
            );
        }
        Err(_) => return fail(StatusCode::FORBIDDEN, "error.signin_failed"),
    };
    let (Some(user_id), true, true) = (
        access.user_id,
        access.has_scope(ACCOUNT_SCOPE),
        access.client_id == ACCOUNT_CLIENT_ID,
    ) else {
        return fail(StatusCode::FORBIDDEN, "error.signin_failed");
    };
    match deps.store.user_by_id(user_id).await {
        Ok(Some(u)) if u.status == UserStatus::Active => {}
        Ok(_) => return fail(StatusCode::FORBIDDEN, "error.signin_failed"),
        Err(e) => return unavailable(&state, lang, e),
    }
    let handle = deps.random.token(32);
    let ttl = deps.config.portal_session_seconds;
    let record = SessionRecord {
        user_id,
        created_at: deps.clock.now().unix_timestamp(),
    };
    let put = match serde_json::to_vec(&record) {
        Ok(bytes) => {
            deps.ephemeral
                .put(&session_key(&handle), &bytes, Duration::from_secs(ttl))
                .await
        }
        Err(e) => return unavailable(&state, lang, e),
    };
    if let Err(e) = put {
        return unavailable(&state, lang, e);
    }
    let mut res = see_other(&next_page(&pending.next));
    let h = res.headers_mut();
    if let Some(c) = state.cookies().set(SESSION_COOKIE, &handle, Some(ttl)) {
        h.append(SET_COOKIE, c);
    }
    if let Some(c) = state.cookies().clear(LOGIN_COOKIE) {
        h.append(SET_COOKIE, c);
    }
    res
}

/// Exchanges the code at the issuer's token endpoint, as any client would.
/// `Ok(None)`: the provider refused it (used, expired, not ours).
async fn exchange(
    state: &AccountState,
    code: &str,
    verifier: &str,
) -> Result<Option<String>, InternalError> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let res = http
        .post(format!("{}/token", state.issuer()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &state.portal_redirect_uri()),
            ("client_id", ACCOUNT_CLIENT_ID),
            ("code_verifier", verifier),
        ])
        .send()
        .await?;
    if !res.status().is_success() {
        tracing::warn!(status = %res.status(), "the portal's token request was refused");
        return Ok(None);
    }
    Ok(Some(res.json::<TokenResponse>().await?.access_token))
}

#[derive(Template)]
#[template(path = "portal/signed_out.html")]
struct SignedOutPage {
    c: Chrome,
    end_session_url: String,
}

/// The provider's end-session endpoint for the portal's client, coming
/// back to the front door (registered for `pratu-account`).
fn end_session_url(state: &AccountState) -> String {
    let issuer = state.issuer();
    let mut url = match url::Url::parse(&format!("{issuer}/logout")) {
        Ok(u) => u,
        Err(_) => return "/logout".to_owned(),
    };
    url.query_pairs_mut()
        .append_pair("client_id", ACCOUNT_CLIENT_ID)
        .append_pair("post_logout_redirect_uri", &format!("{issuer}/"));
    url.to_string()
}

/// `POST /account/signout`: ends the portal session (not the SSO session;
/// the page that follows offers that).
pub(crate) async fn signout(
    State(state): State<AccountState>,
    lang: PageLang,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let user = match PortalUser::load(&state, &headers).await {
        Ok(Some(u)) => u,
        Ok(None) => return see_other("/"),
        Err(e) => return unavailable(&state, lang, e),
    };
    if !user.csrf_ok(
        &state,
        SIGNOUT_PURPOSE,
        form.get("csrf").map(String::as_str),
    ) {
        return error_page(&state, lang, StatusCode::FORBIDDEN, "error.form_stale");
    }
    if let Err(e) = state
        .deps()
        .ephemeral
        .delete(&session_key(&user.handle))
        .await
    {
        return unavailable(&state, lang, e);
    }
    let mut res = render(
        &state,
        lang,
        StatusCode::OK,
        &SignedOutPage {
            c: Chrome::public(lang.lang, "/account"),
            end_session_url: end_session_url(&state),
        },
    );
    if let Some(c) = state.cookies().clear(SESSION_COOKIE) {
        res.headers_mut().append(SET_COOKIE, c);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_portal_paths_are_returned_to() {
        assert_eq!(next_page("/account/apps"), "/account/apps");
        assert_eq!(next_page("/account"), "/account");
        for bad in [
            "/",
            "//evil.example/account",
            "/accountx",
            "/account//y",
            "/account/callback",
            "/register",
            "/account/%2F%2Fevil",
            "https://evil.example/account",
        ] {
            assert_eq!(next_page(bad), "/account", "{bad}");
        }
    }

    #[test]
    fn stored_keys_hold_digests_not_handles() {
        let k = session_key("secret-handle");
        assert!(k.starts_with("account_portal:") && !k.contains("secret-handle"));
    }
}
