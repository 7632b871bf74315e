//! Facts about the request that the service needs: client address and
//! request id.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::service::Context;

/// Extracts a [`Context`] for a channel (`C::CHANNEL`).
#[derive(Debug, Clone)]
pub(crate) struct RequestContext(pub Context);

/// The service's context of a request: `pratu_core`'s request context
/// (client IP, request id) and the channel it came through.
pub(crate) fn context_of(parts: &Parts, channel: &'static str) -> Context {
    let ctx = pratu_core::web::RequestContext::of(parts);
    Context {
        ip: ctx.ip,
        request_id: ctx.request_id,
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
