//! Prometheus metrics: requests and latency per route (the matched route
//! template, never the raw path, so ids do not explode the label space) and
//! errors.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::app::AppState;

/// Installs the global recorder once per process; later calls (tests) reuse
/// the first handle.
pub fn recorder() -> PrometheusHandle {
    static HANDLE: std::sync::OnceLock<PrometheusHandle> = std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".into()),
                    &[
                        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                    ],
                )
                .unwrap_or_else(|_| PrometheusBuilder::new());
            match builder.install_recorder() {
                Ok(handle) => handle,
                // Another recorder is installed (embedded use): render an
                // empty, local one instead of failing the server.
                Err(_) => PrometheusBuilder::new().build_recorder().handle(),
            }
        })
        .clone()
}

/// Histograms keep every sample until upkeep folds them into buckets; with
/// an installed recorder nothing does that but us. Without this task memory
/// grew by every request's latency sample until the next scrape (for ever
/// when nobody scrapes /metrics).
pub fn spawn_upkeep(handle: PrometheusHandle) {
    crate::maintenance::repeat(UPKEEP_EVERY, move || handle.run_upkeep());
}

const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

pub async fn render(State(state): State<AppState>) -> impl IntoResponse {
    for pool in state.store.pool_stats() {
        let label = [("pool", pool.pool)];
        metrics::gauge!("db_pool_connections", &label).set(f64::from(pool.size));
        metrics::gauge!("db_pool_idle_connections", &label).set(f64::from(pool.idle));
        metrics::gauge!("db_pool_in_use_connections", &label)
            .set(f64::from(pool.size.saturating_sub(pool.idle)));
        metrics::gauge!("db_pool_max_connections", &label).set(f64::from(pool.max));
    }
    if let Some(o) = state.ephemeral.occupancy() {
        metrics::gauge!("ephemeral_entries").set(o.entries as f64);
        metrics::gauge!("ephemeral_max_entries").set(o.max_entries as f64);
        metrics::counter!("ephemeral_evictions_total").absolute(o.evicted);
    }
    metrics::gauge!("password_hash_memory_bytes").set(state.oidc.password_memory_bytes() as f64);
    state.metrics.run_upkeep();
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        state.metrics.render(),
    )
}

pub async fn track(request: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    let status = response.status();
    let labels = [
        ("method", method),
        ("route", route),
        ("status", status.as_u16().to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels[..2])
        .record(start.elapsed().as_secs_f64());
    if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
        metrics::counter!("http_errors_total", &labels).increment(1);
    }
    response
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt as _;

    use super::*;

    /// What README, "Running it", promises: `http_errors_total` counts 5xx
    /// and 408 answers per route; other answers only `http_requests_total`.
    #[tokio::test]
    async fn server_errors_are_counted_per_route() {
        let handle = recorder();
        let app = Router::new()
            .route(
                "/metrics-test/boom",
                get(|| async { StatusCode::INTERNAL_SERVER_ERROR }),
            )
            .route(
                "/metrics-test/gone",
                get(|| async { StatusCode::NOT_FOUND }),
            )
            .layer(axum::middleware::from_fn(track));
        for path in ["/metrics-test/boom", "/metrics-test/gone"] {
            let request = Request::get(path).body(Body::empty()).unwrap();
            app.clone().oneshot(request).await.unwrap();
        }
        let text = handle.render();
        assert!(
            text.contains(
                r#"http_errors_total{method="GET",route="/metrics-test/boom",status="500"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"http_requests_total{method="GET",route="/metrics-test/gone",status="404"} 1"#
            ),
            "{text}"
        );
        assert!(!text.contains(r#"http_errors_total{method="GET",route="/metrics-test/gone""#));
    }
}
