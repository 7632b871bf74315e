//! Signing operators in to the console through Pratu itself: the console is
//! a public OIDC client of its own issuer (code + PKCE). The access token it
//! receives is verified in-process; a user holding the operator role gets a
//! console session (a random handle in an HttpOnly cookie, the record in the
//! ephemeral store so every node sees it). The role is checked again on
//! every page, so revoking it or disabling the account ends access at once.

use pratu_core::audit::{AuditAction, Outcome};
use pratu_core::web::error::InternalError;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use pratu_core::web::CookieDef;
use pratu_oidc::scopes::ADMIN_SCOPE;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;
use uuid::Uuid;

use super::pages::error_page;
use crate::state::AdminState;

/// The console's cookies, scoped to `/admin`.
pub(crate) const SESSION_COOKIE: CookieDef = CookieDef::scoped("pratu_admin", "/admin");
const LOGIN_COOKIE: CookieDef = CookieDef::scoped("pratu_admin_login", "/admin");
pub(crate) const CALLBACK_PATH: &str = "/admin/callback";
const LOGIN_TTL: Duration = Duration::from_secs(600);

fn digest(v: &str) -> String {
    B64.encode(Sha256::digest(v.as_bytes()))
}

/// A signed-in operator.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ConsoleSession {
    pub user_id: Uuid,
    pub username: String,
    /// Unix seconds; a force logout after this ends the session.
    #[serde(default)]
    pub created_at: i64,
    /// The cookie handle (not stored; set when loaded).
    #[serde(skip)]
    pub handle: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct PendingLogin {
    verifier: String,
}

impl AdminState {
    fn redirect_uri(&self) -> String {
        format!("{}{CALLBACK_PATH}", self.oidc().issuer())
    }

    /// The operator signed in to the console, if any — and still an
    /// operator.
    pub(crate) async fn console_session(&self, headers: &HeaderMap) -> Option<ConsoleSession> {
        let handle = self.cookies().get(headers, SESSION_COOKIE)?;
        if handle.len() > 64 {
            return None;
        }
        let raw = self
            .0
            .ephemeral
            .get(&format!("admin_console:{}", digest(handle)))
            .await
            .ok()??;
        let mut s: ConsoleSession = serde_json::from_slice(&raw).ok()?;
        if !self.oidc().is_operator(s.user_id).await.ok()?
            || self
                .oidc()
                .logged_out_since(s.user_id, s.created_at)
                .await
                .unwrap_or(true)
        {
            return None;
        }
        s.handle = handle.to_owned();
        Some(s)
    }

    /// A CSRF token for the console's forms: bound to the session handle
    /// and the form's purpose with the console key.
    pub(crate) fn csrf(&self, session: &ConsoleSession, purpose: &str) -> String {
        self.0.csrf.token(&session.handle, purpose)
    }

    pub(crate) fn csrf_ok(&self, session: &ConsoleSession, purpose: &str, presented: &str) -> bool {
        self.0
            .csrf
            .verify(Some(&session.handle), purpose, Some(presented))
    }
}

/// Sends the browser to Pratu's authorization endpoint as the console
/// client.
pub(crate) async fn start_login(state: &AdminState) -> Response {
    let login_state = state.0.random.token(16);
    let verifier = state.0.random.token(32);
    let challenge = B64.encode(Sha256::digest(verifier.as_bytes()));
    let pending = serde_json::to_vec(&PendingLogin { verifier }).unwrap_or_default();
    if let Err(e) = state
        .0
        .ephemeral
        .put(
            &format!("admin_login:{}", digest(&login_state)),
            &pending,
            LOGIN_TTL,
        )
        .await
    {
        return InternalError::from(e).attach(error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Please try again shortly.",
        ));
    }
    let mut url = match url::Url::parse(&format!("{}/authorize", state.oidc().issuer())) {
        Ok(u) => u,
        Err(_) => return error_page(StatusCode::INTERNAL_SERVER_ERROR, "Misconfigured issuer."),
    };
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &state.0.config.console_client_id)
        .append_pair("redirect_uri", &state.redirect_uri())
        .append_pair("scope", &format!("openid {ADMIN_SCOPE}"))
        .append_pair("state", &login_state)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let mut res = StatusCode::SEE_OTHER.into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(url.as_str()) {
        h.insert(LOCATION, v);
    }
    h.append(
        SET_COOKIE,
        state.set_cookie(LOGIN_COOKIE, &login_state, Some(LOGIN_TTL.as_secs())),
    );
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

/// `GET /admin/callback`: the end of the console's sign-in.
pub(crate) async fn callback(
    State(state): State<AdminState>,
    headers: HeaderMap,
    Query(q): Query<Callback>,
) -> Response {
    let request_id = crate::auth::request_id(&headers);
    if q.error.is_some() {
        return error_page(StatusCode::FORBIDDEN, "Sign-in was not completed.");
    }
    let (Some(code), Some(login_state)) = (q.code, q.state) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "The sign-in response is incomplete.",
        );
    };
    // The state must be this browser's (login CSRF).
    let ours = state
        .cookies()
        .get(&headers, LOGIN_COOKIE)
        .is_some_and(|c| bool::from(c.as_bytes().ct_eq(login_state.as_bytes())));
    let pending = match state
        .0
        .ephemeral
        .take(&format!("admin_login:{}", digest(&login_state)))
        .await
    {
        Ok(Some(raw)) if ours => serde_json::from_slice::<PendingLogin>(&raw).ok(),
        _ => None,
    };
    let Some(pending) = pending else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "This sign-in expired or was started elsewhere. Please start again.",
        );
    };
    let token = match exchange(&state, &code, &pending.verifier).await {
        Some(t) => t,
        None => {
            return error_page(
                StatusCode::BAD_GATEWAY,
                "Sign-in failed. Please start again.",
            );
        }
    };
    let bearer = match state.oidc().verify_bearer(&token).await {
        Ok(b) => b,
        Err(_) => return error_page(StatusCode::FORBIDDEN, "Sign-in failed. Please start again."),
    };
    let Some(user_id) = bearer.user_id else {
        return error_page(StatusCode::FORBIDDEN, "Sign-in failed.");
    };
    let user = state.0.store.user_by_id(user_id).await.ok().flatten();
    let operator =
        bearer.has_scope(ADMIN_SCOPE) && state.oidc().is_operator(user_id).await.unwrap_or(false);
    let actor = format!("user:{user_id}");
    let Some(user) = user.filter(|_| operator) else {
        state
            .audit(
                &actor,
                AuditAction::AdminConsoleSignIn,
                None,
                request_id.as_deref(),
                Outcome::Forbidden,
                json!({}),
            )
            .await;
        return error_page(
            StatusCode::FORBIDDEN,
            "This account does not hold the operator role.",
        );
    };
    let handle = state.0.random.token(32);
    let session = ConsoleSession {
        user_id,
        username: user.username,
        created_at: state.0.clock.now().unix_timestamp(),
        handle: String::new(),
    };
    let ttl = state.0.config.console_session_seconds;
    if state
        .0
        .ephemeral
        .put(
            &format!("admin_console:{}", digest(&handle)),
            &serde_json::to_vec(&session).unwrap_or_default(),
            Duration::from_secs(ttl),
        )
        .await
        .is_err()
    {
        return error_page(StatusCode::SERVICE_UNAVAILABLE, "Please try again shortly.");
    }
    state
        .audit(
            &actor,
            AuditAction::AdminConsoleSignIn,
            None,
            request_id.as_deref(),
            Outcome::Success,
            json!({}),
        )
        .await;
    let mut res = StatusCode::SEE_OTHER.into_response();
    let h = res.headers_mut();
    h.insert(LOCATION, HeaderValue::from_static("/admin/clients"));
    h.append(
        SET_COOKIE,
        state.set_cookie(SESSION_COOKIE, &handle, Some(ttl)),
    );
    h.append(SET_COOKIE, state.set_cookie(LOGIN_COOKIE, "", Some(0)));
    res
}

/// Exchanges the code at the issuer's token endpoint, as any client would.
async fn exchange(state: &AdminState, code: &str, verifier: &str) -> Option<String> {
    let res = state
        .0
        .http
        .post(format!("{}/token", state.oidc().issuer()))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &state.redirect_uri()),
            ("client_id", &state.0.config.console_client_id),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .map_err(|e| tracing::error!(error = %e, "console token request failed"))
        .ok()?;
    if !res.status().is_success() {
        tracing::warn!(status = %res.status(), "console token request refused");
        return None;
    }
    res.json::<TokenResponse>()
        .await
        .ok()
        .map(|t| t.access_token)
}

/// Ends the console session (not the SSO session).
pub(crate) async fn end(state: &AdminState, session: &ConsoleSession) -> Response {
    let _ = state
        .0
        .ephemeral
        .delete(&format!("admin_console:{}", digest(&session.handle)))
        .await;
    let mut res = StatusCode::SEE_OTHER.into_response();
    let h = res.headers_mut();
    h.insert(LOCATION, HeaderValue::from_static("/admin/signed-out"));
    h.append(SET_COOKIE, state.set_cookie(SESSION_COOKIE, "", Some(0)));
    res
}
