//! The app's routes:
//!
//! | route | what |
//! | --- | --- |
//! | `GET /` | who is signed in: ID token claims and the userinfo answer |
//! | `GET /login` | starts a sign-in: redirect to Pratu's authorization endpoint |
//! | `GET /callback` | Pratu's answer: code exchange, ID token checks, userinfo |
//! | `POST /logout` | ends the local session, then RP-initiated logout at Pratu |
//! | `POST /backchannel-logout` | Pratu ends a session (logout elsewhere) |
//! | `GET /healthz` | liveness |

use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use openidconnect::CsrfToken;
use serde::Deserialize;
use serde_json::json;

use crate::config::Config;
use crate::pages::{self, ErrorPage};
use crate::provider::{LogoutTokenCheck, Provider, ProviderError};
use crate::sessions::{SeenTokens, Sessions};

#[derive(Debug, Clone)]
pub struct AppState {
    config: Arc<Config>,
    provider: Arc<Provider>,
    sessions: Arc<Sessions>,
    seen_logout_tokens: Arc<SeenTokens>,
}

/// The app as an axum router (a library function so tests and other
/// binaries can mount it).
pub fn router(config: Config) -> Result<Router, ProviderError> {
    let config = Arc::new(config);
    let state = AppState {
        provider: Arc::new(Provider::new(config.clone())?),
        config,
        sessions: Arc::default(),
        seen_logout_tokens: Arc::default(),
    };
    Ok(Router::new()
        .route("/", get(home))
        .route("/login", get(login))
        .route("/callback", get(callback))
        .route("/logout", post(logout))
        .route("/backchannel-logout", post(backchannel_logout))
        .route("/healthz", get(|| async { "ok" }))
        .route("/demo.css", get(stylesheet))
        .with_state(state))
}

/// Errors shown to the browser as a friendly page. Details go to the log,
/// never to the page.
#[derive(Debug, thiserror::Error)]
enum WebError {
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error("callback without a matching sign-in in progress")]
    LoginExpired,
    #[error("callback from another issuer")]
    WrongIssuer,
    #[error("Pratu answered {0}")]
    Refused(String),
}

impl WebError {
    fn page(&self, state: &AppState) -> Response {
        tracing::warn!(error = %self, "sign-in failed");
        let (status, heading, body) = match self {
            Self::LoginExpired | Self::WrongIssuer => (
                StatusCode::BAD_REQUEST,
                "การเข้าสู่ระบบหมดเวลาหรือไม่ถูกต้อง",
                "The sign-in expired or did not start here. Please sign in again.",
            ),
            Self::Refused(e) if e == "access_denied" => (
                StatusCode::FORBIDDEN,
                "ไม่ได้รับอนุญาต",
                "The sign-in was cancelled or not allowed.",
            ),
            Self::Refused(_) => (
                StatusCode::BAD_GATEWAY,
                "เข้าสู่ระบบไม่สำเร็จ",
                "The identity provider could not sign you in. Please try again.",
            ),
            Self::Provider(ProviderError::Discovery(_)) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "ระบบยืนยันตัวตนไม่พร้อมใช้งาน",
                "The identity provider cannot be reached right now. Please try again later.",
            ),
            Self::Provider(_) => (
                StatusCode::BAD_GATEWAY,
                "เข้าสู่ระบบไม่สำเร็จ",
                "The sign-in could not be completed. Please try again.",
            ),
        };
        let page = ErrorPage {
            title: &state.config.title,
            app: state.config.app.slug(),
            heading,
            body,
        };
        html(status, pages::render(&page), &state.config)
    }
}

#[derive(Deserialize)]
struct HomeQuery {
    /// Present when Pratu sends the browser back after RP-initiated logout.
    state: Option<String>,
}

async fn home(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HomeQuery>,
) -> Response {
    let cookie = read_cookie(&headers, s.config.app.cookie_name());
    let logged_out = q
        .state
        .is_some_and(|st| s.sessions.finish_logout(cookie.as_deref(), &st));
    let view = s.sessions.view(cookie.as_deref());
    let page = pages::home(&s.config, view.user.as_ref(), &view.csrf, logged_out);
    html(StatusCode::OK, pages::render(&page), &s.config)
}

async fn login(State(s): State<AppState>, headers: HeaderMap) -> Response {
    let cookie = read_cookie(&headers, s.config.app.cookie_name());
    let id = s.sessions.ensure(cookie.as_deref());
    let (url, pending) = match s.provider.authorization_request().await {
        Ok(r) => r,
        Err(e) => return WebError::from(e).page(&s),
    };
    s.sessions.start_login(&id, pending);
    let mut res = redirect(url.as_str());
    set_cookie(&mut res, &s.config, &id);
    res
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    /// RFC 9207: which issuer sent the browser back (mix-up defence when an
    /// app trusts several providers).
    iss: Option<String>,
}

async fn callback(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let cookie = read_cookie(&headers, s.config.app.cookie_name());
    // The pending sign-in is used up whatever the outcome.
    let pending = q
        .state
        .as_deref()
        .and_then(|st| s.sessions.take_login(cookie.as_deref(), st));
    let result = async {
        let pending = pending.ok_or(WebError::LoginExpired)?;
        if q.iss.as_deref().is_some_and(|iss| iss != s.config.issuer) {
            return Err(WebError::WrongIssuer);
        }
        if let Some(error) = q.error {
            return Err(WebError::Refused(error));
        }
        let code = q.code.ok_or(WebError::Refused("no code".into()))?;
        Ok(s.provider.complete_login(code, pending).await?)
    }
    .await;
    match (result, cookie) {
        (Ok(user), Some(old_id)) => {
            tracing::info!("signed in");
            let id = s.sessions.sign_in(&old_id, user);
            let mut res = redirect(&s.config.home_url());
            set_cookie(&mut res, &s.config, &id);
            res
        }
        (Ok(_), None) => WebError::LoginExpired.page(&s),
        (Err(e), _) => e.page(&s),
    }
}

#[derive(Deserialize)]
struct LogoutForm {
    csrf: String,
}

async fn logout(
    State(s): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<LogoutForm>, FormRejection>,
) -> Response {
    let home = s.config.home_url();
    let cookie = read_cookie(&headers, s.config.app.cookie_name());
    let Ok(Form(form)) = form else {
        return redirect(&home);
    };
    // The local session ends first: whatever happens at Pratu, this app no
    // longer treats the browser as signed in.
    let Some((user, state)) = s.sessions.sign_out(cookie.as_deref(), &form.csrf) else {
        return redirect(&home);
    };
    match s
        .provider
        .end_session_url(&user.id_token, CsrfToken::new(state))
        .await
    {
        Ok(Some(url)) => redirect(url.as_str()),
        Ok(None) => redirect(&home),
        Err(e) => WebError::from(e).page(&s),
    }
}

#[derive(Deserialize)]
struct BackchannelForm {
    logout_token: String,
}

/// Back-Channel Logout 1.0 §2.5–2.8: validate the logout token, end the
/// sessions it names, answer 200; 400 with an OAuth error body if the token
/// is refused (Pratu does not retry those); 503 if Pratu's keys cannot be
/// fetched (Pratu retries).
async fn backchannel_logout(
    State(s): State<AppState>,
    form: Result<Form<BackchannelForm>, FormRejection>,
) -> Response {
    let no_store = || [(header::CACHE_CONTROL, "no-store")];
    let bad = |description: String| {
        tracing::warn!(reason = %description, "back-channel logout refused");
        (
            StatusCode::BAD_REQUEST,
            no_store(),
            Json(json!({"error": "invalid_request", "error_description": description})),
        )
            .into_response()
    };
    let Ok(Form(form)) = form else {
        return bad("logout_token form field required".into());
    };
    let now = i64::try_from(jsonwebtoken::get_current_timestamp()).unwrap_or(i64::MAX);
    let claims = match s
        .provider
        .validate_logout_token(&form.logout_token, now)
        .await
    {
        Ok(c) => c,
        Err(LogoutTokenCheck::Invalid(e)) => return bad(e.to_string()),
        Err(LogoutTokenCheck::Provider(e)) => {
            tracing::error!(error = %e, "back-channel logout: cannot fetch the issuer's keys");
            return (StatusCode::SERVICE_UNAVAILABLE, no_store()).into_response();
        }
    };
    if let Some(jti) = &claims.jti
        && !s.seen_logout_tokens.first_use(jti, claims.exp, now)
    {
        return bad("logout token replayed".into());
    }
    let ended = s
        .sessions
        .end_matching(claims.sid.as_deref(), claims.sub.as_deref());
    tracing::info!(ended, "back-channel logout");
    (StatusCode::OK, no_store()).into_response()
}

fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// HttpOnly: scripts never see it. SameSite=Lax: sent on the top-level
/// redirect back from Pratu (the callback), not on cross-site posts.
fn set_cookie(res: &mut Response, config: &Config, id: &str) {
    let secure = if config.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let value = format!(
        "{}={id}; Path=/; HttpOnly; SameSite=Lax{secure}",
        config.app.cookie_name()
    );
    if let Ok(v) = HeaderValue::from_str(&value) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

fn redirect(to: &str) -> Response {
    match HeaderValue::from_str(to) {
        Ok(loc) => (StatusCode::SEE_OTHER, [(header::LOCATION, loc)]).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Styles come from a served file so the pages' policy can say
/// `style-src 'self'`: agencies copying this app should not need inline styles.
async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../assets/demo.css"),
    )
        .into_response()
}

/// Pages show personal data: never cached, never framed, no scripts; forms
/// may only go here or to Pratu (logout redirects there).
fn html(status: StatusCode, body: Result<String, askama::Error>, config: &Config) -> Response {
    let Ok(body) = body else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let issuer_origin = url::Url::parse(&config.issuer)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let csp = format!(
        "default-src 'none'; style-src 'self'; form-action 'self' {issuer_origin}; \
         frame-ancestors 'none'; base-uri 'none'"
    );
    let mut res = (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
        body,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; info_session=xyz"),
        );
        h.append(
            header::COOKIE,
            HeaderValue::from_static("backoffice_session=q"),
        );
        assert_eq!(read_cookie(&h, "info_session").as_deref(), Some("xyz"));
        assert_eq!(read_cookie(&h, "backoffice_session").as_deref(), Some("q"));
        assert_eq!(read_cookie(&h, "other"), None);
    }

    /// The pages' policy forbids inline styles, so the layout must link the
    /// served stylesheet rather than carry a `<style>` block.
    #[tokio::test]
    async fn styles_come_from_the_served_stylesheet() {
        let layout = include_str!("../templates/base.html");
        assert!(!layout.contains("<style"));
        assert!(layout.contains(r#"href="/demo.css""#));
        let res = stylesheet().await;
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "text/css; charset=utf-8"
        );
    }
}
