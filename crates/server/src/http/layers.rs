//! Layers every response passes through. `app::router` composes them into
//! one stack; the pieces that need a name live here.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Request, header};
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::request_id::{MakeRequestId, RequestId};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use uuid::Uuid;

pub const REQUEST_ID: HeaderName =
    HeaderName::from_static(pratu_core::web::context::REQUEST_ID_HEADER);

/// Strict defaults; a route that needs something else (e.g. the form_post
/// response mode's auto-submitting page) sets its own header first and these
/// layers leave it alone.
pub const SECURITY_HEADERS: [(HeaderName, &str); 6] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::CONTENT_SECURITY_POLICY, pratu_core::web::csp::PAGE),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    ),
    (
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=()",
    ),
];

/// HSTS, on an https issuer only.
pub const HSTS: (HeaderName, &str) = (
    header::STRICT_TRANSPORT_SECURITY,
    "max-age=31536000; includeSubDomains",
);

/// Sets `name: value` on responses that do not carry `name` yet.
pub fn default_header(
    (name, value): (HeaderName, &'static str),
) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

/// One span per request, carrying the request id. The path only: query
/// strings can carry codes and hints.
fn span(req: &Request<Body>) -> tracing::Span {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
}

pub type Trace =
    TraceLayer<SharedClassifier<ServerErrorsAsFailures>, fn(&Request<Body>) -> tracing::Span>;

pub fn trace() -> Trace {
    TraceLayer::new_for_http().make_span_with(span as fn(&Request<Body>) -> tracing::Span)
}

/// Request ids for requests that arrive without one: 64 random bits drawn
/// once per process, then a counter, in UUID form. Unique across nodes and
/// restarts without a random draw (a `getrandom` call) per request; a
/// request id correlates log lines and audit events and is not a secret.
#[derive(Clone, Debug)]
pub struct RequestIds {
    prefix: u64,
    next: Arc<AtomicU64>,
}

impl RequestIds {
    pub fn new() -> Self {
        Self {
            // A node's ids differ from every other node's.
            prefix: u64::from_le_bytes(<dyn pratu_core::Random>::array(&pratu_core::OsRandom)),
            next: Arc::new(AtomicU64::new(0)),
        }
    }

    fn next_id(&self) -> Uuid {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let mut bytes = [0_u8; 16];
        bytes[..8].copy_from_slice(&self.prefix.to_be_bytes());
        bytes[8..].copy_from_slice(&n.to_be_bytes());
        // Version 8 ("custom") with the RFC 9562 variant bits.
        Uuid::new_v8(bytes)
    }
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let mut buf = Uuid::encode_buffer();
        let text = self.next_id().hyphenated().encode_lower(&mut buf);
        HeaderValue::from_str(text).ok().map(RequestId::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_distinct_uuids() {
        let mut ids = RequestIds::new();
        let req = Request::new(());
        let a = ids.make_request_id(&req).unwrap();
        let b = ids.make_request_id(&req).unwrap();
        let a = a.header_value().to_str().unwrap().to_owned();
        let b = b.header_value().to_str().unwrap().to_owned();
        assert_ne!(a, b);
        assert_eq!(Uuid::parse_str(&a).unwrap().get_version_num(), 8);
        // Another process (another prefix) does not repeat this one's ids.
        let mut other = RequestIds::new();
        let c = other.make_request_id(&req).unwrap();
        assert_ne!(c.header_value().to_str().unwrap(), a);
    }
}
