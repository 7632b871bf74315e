//! Facts about the request that the service needs: client address and
//! request id.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::service::Context;

/// The client's address as the server determined it (e.g. from a trusted
/// proxy header). When the server does not insert it, the TCP peer address
/// (`ConnectInfo`) is used, when available.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Extracts a [`Context`] for a channel (`C::CHANNEL`).
#[derive(Debug, Clone)]
pub(crate) struct RequestContext(pub Context);

pub(crate) fn context_of(parts: &Parts, channel: &'static str) -> Context {
    let ip = parts.extensions.get::<ClientIp>().map(|c| c.0).or_else(|| {
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
    });
    let request_id = parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 128)
        .map(str::to_owned);
    Context {
        ip,
        request_id,
        channel,
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let channel = if parts.uri.path().starts_with("/api/") {
            "api"
        } else {
            "web"
        };
        Ok(Self(context_of(parts, channel)))
    }
}
