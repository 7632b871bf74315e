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
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use super::context::REQUEST_ID_HEADER;

/// The cause of a 5xx answer, carried to the log.
#[derive(Clone)]
pub struct InternalError {
    cause: Arc<dyn Error + Send + Sync>,
    /// Read when the cause is still whole: a cause kept only by its
    /// description has lost its type.
    outage: bool,
}

impl InternalError {
    pub fn new(e: impl Error + Send + Sync + 'static) -> Self {
        let outage = is_outage(&e);
        Self {
            cause: Arc::new(e),
            outage,
        }
    }

    /// From an already boxed error (a `Box<dyn Error>` is not an `Error`).
    pub fn from_boxed(e: Box<dyn Error + Send + Sync>) -> Self {
        let outage = is_outage(e.as_ref());
        Self {
            cause: Arc::from(e),
            outage,
        }
    }

    /// The error and its sources, `: `-separated (errors here never carry
    /// personal data: storage and adapter errors name what failed, not
    /// values).
    pub fn chain(&self) -> String {
        chain(self.cause.as_ref())
    }

    /// A cause known only by its description (when the error itself stays
    /// with its owner).
    pub fn described(chain: String) -> Self {
        Self::new(Described(chain))
    }

    /// A cause that stays with its owner, described for the log; whether
    /// it was an outage is kept.
    pub fn describing(e: &(dyn Error + 'static)) -> Self {
        Self {
            cause: Arc::new(Described(chain(e))),
            outage: is_outage(e),
        }
    }

    /// Whether the cause is a store that is down or full (see
    /// [`pratu_storage::StorageError::is_outage`]), anywhere in its chain:
    /// such a failure is answered 503 with `Retry-After`, not 500.
    pub fn is_outage(&self) -> bool {
        self.outage
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
        f.debug_struct("InternalError")
            .field("chain", &self.chain())
            .field("outage", &self.outage)
            .finish()
    }
}

impl<E: Error + Send + Sync + 'static> From<E> for InternalError {
    fn from(e: E) -> Self {
        Self::new(e)
    }
}

/// `Retry-After` of an answer refused because a store is down: the pools
/// reconnect within seconds of its return, so a client need not wait long.
pub const OUTAGE_RETRY_AFTER_SECONDS: u64 = 5;

/// `Retry-After` of a step refused because the proofing service or the SMS
/// gateway is down (the step did not count): the same short pause.
pub const OUTSIDE_SERVICE_RETRY_AFTER_SECONDS: u64 = 5;

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
/// id and the route; and answers every failure caused by a store that is
/// down as what it is, on every surface alike: a 500 becomes 503, and a
/// 503 without one gets `Retry-After`. (The JSON APIs already answer
/// outages 503 through [`crate::web::Problem::internal`]; this is where
/// the pages of every surface get the same answer without each knowing.)
pub async fn log_internal_errors(request: Request, next: Next) -> Response {
    // Cheap clones (shared bytes): read only when something failed.
    let headers = request.headers().get(REQUEST_ID_HEADER).cloned();
    let uri = request.uri().clone();
    let mut response = next.run(request).await;
    let outage = response
        .extensions()
        .get::<InternalError>()
        .is_some_and(InternalError::is_outage);
    if outage {
        let status = response.status();
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        }
        if response.status() == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .entry(RETRY_AFTER)
                .or_insert(HeaderValue::from(OUTAGE_RETRY_AFTER_SECONDS));
        }
    }
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

    /// Every surface's pages attach their cause and pick a status of their
    /// own; an outage still reaches the visitor as 503 with `Retry-After`.
    #[tokio::test]
    async fn a_page_failing_for_an_outage_is_answered_503_with_retry_after() {
        use axum::Router;
        use axum::response::IntoResponse as _;
        use tower::ServiceExt as _;

        let app = Router::new()
            .route(
                "/down",
                axum::routing::get(|| async {
                    let cause: Box<dyn Error + Send + Sync> =
                        Box::new(pratu_storage::StorageError::Full);
                    InternalError::describing(cause.as_ref())
                        .attach((StatusCode::INTERNAL_SERVER_ERROR, "<p>sorry</p>").into_response())
                }),
            )
            .route(
                "/bug",
                axum::routing::get(|| async {
                    InternalError::new(std::io::Error::other("bug"))
                        .attach((StatusCode::INTERNAL_SERVER_ERROR, "<p>sorry</p>").into_response())
                }),
            )
            .layer(axum::middleware::from_fn(log_internal_errors));
        let get = |path: &'static str| {
            let app = app.clone();
            async move {
                app.oneshot(
                    axum::http::Request::get(path)
                        .body(axum::body::Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap()
            }
        };
        let down = get("/down").await;
        assert_eq!(down.status(), 503);
        assert_eq!(down.headers()[RETRY_AFTER], "5");
        let bug = get("/bug").await;
        assert_eq!(bug.status(), 500);
        assert!(bug.headers().get(RETRY_AFTER).is_none());
    }

    #[test]
    fn the_chain_names_every_source() {
        let e = InternalError::from(Outer(std::io::Error::other("inner")));
        assert_eq!(e.chain(), "outer: inner");
        assert!(format!("{e:?}").contains("outer: inner"));
    }
}
