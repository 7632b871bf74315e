//! Internal errors, logged once, where they become a response.
//!
//! A handler that fails for a reason the client cannot fix answers a
//! generic page or problem and attaches the cause to the response as an
//! [`InternalError`] extension; the [`log_internal_errors`] middleware (one
//! layer in the server, around every surface) logs it with the request id.
//! So `?` both propagates and records, no handler logs by hand, and none
//! forgets to: every surface's route error turns its `Internal` variant
//! into this extension.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

use super::context::REQUEST_ID_HEADER;

/// The cause of a 5xx answer, carried to the log.
#[derive(Clone)]
pub struct InternalError(Arc<dyn Error + Send + Sync>);

impl InternalError {
    pub fn new(e: impl Error + Send + Sync + 'static) -> Self {
        Self(Arc::new(e))
    }

    /// From an already boxed error (a `Box<dyn Error>` is not an `Error`).
    pub fn from_boxed(e: Box<dyn Error + Send + Sync>) -> Self {
        Self(Arc::from(e))
    }

    /// The error and its sources, `: `-separated (errors here never carry
    /// personal data: storage and adapter errors name what failed, not
    /// values).
    pub fn chain(&self) -> String {
        chain(self.0.as_ref())
    }

    /// A cause known only by its description (when the error itself stays
    /// with its owner).
    pub fn described(chain: String) -> Self {
        Self::new(Described(chain))
    }

    /// Whether the cause is a store that is down or full (see
    /// [`pratu_storage::StorageError::is_outage`]), anywhere in its chain:
    /// such a failure is answered 503 with `Retry-After`, not 500.
    pub fn is_outage(&self) -> bool {
        is_outage(self.0.as_ref())
    }

    /// Attaches this cause to `response`, for the log.
    pub fn attach(self, mut response: Response) -> Response {
        response.extensions_mut().insert(self);
        response
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Described(String);

impl fmt::Debug for InternalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("InternalError").field(&self.chain()).finish()
    }
}

impl<E: Error + Send + Sync + 'static> From<E> for InternalError {
    fn from(e: E) -> Self {
        Self::new(e)
    }
}

/// Whether `e` or one of its sources is a storage outage.
pub fn is_outage(e: &(dyn Error + 'static)) -> bool {
    let mut next = Some(e);
    while let Some(e) = next {
        if e.downcast_ref::<pratu_storage::StorageError>()
            .is_some_and(pratu_storage::StorageError::is_outage)
        {
            return true;
        }
        next = e.source();
    }
    false
}

/// `e` and its sources, `: `-separated: how an error is written to a log
/// line or a start-up message.
pub fn chain(e: &dyn Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Logs the [`InternalError`] a response carries, once, with the request
/// id and the route.
pub async fn log_internal_errors(request: Request, next: Next) -> Response {
    // Cheap clones (shared bytes): read only when something failed.
    let headers = request.headers().get(REQUEST_ID_HEADER).cloned();
    let uri = request.uri().clone();
    let response = next.run(request).await;
    if let Some(e) = response.extensions().get::<InternalError>() {
        let id = headers
            .as_ref()
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        tracing::error!(
            request_id = id,
            path = uri.path(),
            status = response.status().as_u16(),
            error = %e.chain(),
            "request failed"
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    /// A captured log, for the test below.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_response_carrying_a_cause_is_logged_once_with_the_request_id() {
        use axum::Router;
        use axum::response::IntoResponse as _;
        use tower::ServiceExt as _;

        let log = Captured::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);

        let app = Router::new()
            .route(
                "/fails",
                axum::routing::get(|| async {
                    crate::web::Problem::internal(Outer(std::io::Error::other("disk full")))
                        .into_response()
                }),
            )
            .route("/works", axum::routing::get(|| async { "ok" }))
            .layer(axum::middleware::from_fn(log_internal_errors));
        for path in ["/fails", "/works"] {
            let req = axum::http::Request::get(path)
                .header(REQUEST_ID_HEADER, "req-42")
                .body(axum::body::Body::empty())
                .unwrap();
            app.clone().oneshot(req).await.unwrap();
        }
        let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.matches("request failed").count(), 1, "{text}");
        assert!(
            text.contains("req-42") && text.contains("outer: disk full"),
            "{text}"
        );
        assert!(
            text.contains("/fails") && !text.contains("/works"),
            "{text}"
        );
    }

    #[test]
    fn the_chain_names_every_source() {
        let e = InternalError::from(Outer(std::io::Error::other("inner")));
        assert_eq!(e.chain(), "outer: inner");
        assert!(format!("{e:?}").contains("outer: inner"));
    }
}
