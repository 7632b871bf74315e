//! Facts about a request every surface needs: the client's address (per-IP
//! limits, audit) and the request id (logs, audit, error reports).

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;

/// The request-id header the server sets on every request (and echoes).
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Longest request id taken from a request; anything longer is ignored.
const MAX_REQUEST_ID: usize = 128;

/// The client's address as the server determined it (the TCP peer, or the
/// right address of a trusted proxy header). The server inserts it as a
/// request extension; without it the TCP peer (`ConnectInfo`) is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// The request's id, the one way every surface reads it.
pub fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= MAX_REQUEST_ID)
        .map(str::to_owned)
}

/// The client's address: the server's [`ClientIp`], else the TCP peer.
pub fn client_ip(parts: &Parts) -> Option<IpAddr> {
    parts.extensions.get::<ClientIp>().map(|c| c.0).or_else(|| {
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
    })
}

/// Client address and request id, extracted from any request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    pub ip: Option<IpAddr>,
    pub request_id: Option<String>,
}

impl RequestContext {
    pub fn of(parts: &Parts) -> Self {
        Self {
            ip: client_ip(parts),
            request_id: request_id(&parts.headers),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::of(parts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(req: Request<()>) -> Parts {
        req.into_parts().0
    }

    #[test]
    fn the_servers_client_ip_wins_over_the_peer() {
        let mut p = parts(
            Request::builder()
                .header(REQUEST_ID_HEADER, "abc")
                .body(())
                .unwrap(),
        );
        p.extensions
            .insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 1], 1234))));
        assert_eq!(client_ip(&p), Some(IpAddr::from([10, 0, 0, 1])));
        p.extensions.insert(ClientIp(IpAddr::from([192, 0, 2, 7])));
        let ctx = RequestContext::of(&p);
        assert_eq!(ctx.ip, Some(IpAddr::from([192, 0, 2, 7])));
        assert_eq!(ctx.request_id.as_deref(), Some("abc"));
    }

    #[test]
    fn an_overlong_or_empty_request_id_is_ignored() {
        let long = "x".repeat(MAX_REQUEST_ID + 1);
        let p = parts(
            Request::builder()
                .header(REQUEST_ID_HEADER, long)
                .body(())
                .unwrap(),
        );
        assert_eq!(request_id(&p.headers), None);
        let p = parts(
            Request::builder()
                .header(REQUEST_ID_HEADER, "")
                .body(())
                .unwrap(),
        );
        assert_eq!(RequestContext::of(&p), RequestContext::default());
    }
}
