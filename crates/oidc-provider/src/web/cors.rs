//! CORS for the endpoints browser apps (public clients with PKCE) call
//! directly: discovery, JWKS, token, userinfo, revocation, introspection.
//! Any origin may call them: they never rely on cookies, so the browser's
//! ambient credentials are not in play (`Access-Control-Allow-Credentials`
//! is never sent). The interactive endpoints (authorize, login, consent,
//! logout) get no CORS headers: they are navigations, not fetches.

use axum::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Adds the CORS headers of a simple or actual request.
pub(crate) async fn allow_any_origin(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(
        ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("WWW-Authenticate, ETag"),
    );
    res
}

/// Answers a preflight (`OPTIONS`).
pub(crate) async fn preflight() -> Response {
    let mut res = StatusCode::NO_CONTENT.into_response();
    let h = res.headers_mut();
    h.insert(
        ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST"),
    );
    h.insert(
        ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Authorization, Content-Type"),
    );
    h.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    res
}
