//! The application state (the one place that knows every feature crate) and
//! the router that assembles their routes.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;
use pratu_account::AccountState;
use pratu_admin::AdminState;
use pratu_oidc::OidcState;
use pratu_registration::RegistrationState;
use pratu_storage::Clock;
use pratu_storage::Store;
use pratu_storage::ephemeral::EphemeralStore;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;

use crate::config::Config;
use crate::http;
use crate::http::layers;

/// Everything a request may need. Feature crates see only their own slice
/// through `FromRef`. Behind one `Arc`: axum clones the state for every
/// request, and one reference count is cheaper than a dozen.
#[derive(Clone, Debug)]
pub struct AppState(Arc<AppParts>);

impl AppState {
    pub fn new(parts: AppParts) -> Self {
        Self(Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppParts;
    fn deref(&self) -> &AppParts {
        &self.0
    }
}

#[derive(Debug)]
pub struct AppParts {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub ephemeral: Arc<dyn EphemeralStore>,
    pub clock: Arc<dyn Clock>,
    pub metrics: PrometheusHandle,
    pub registration: RegistrationState,
    pub oidc: OidcState,
    pub admin: AdminState,
    pub account: AccountState,
}

impl FromRef<AppState> for AccountState {
    fn from_ref(state: &AppState) -> Self {
        state.account.clone()
    }
}

impl FromRef<AppState> for OidcState {
    fn from_ref(state: &AppState) -> Self {
        state.oidc.clone()
    }
}

impl FromRef<AppState> for AdminState {
    fn from_ref(state: &AppState) -> Self {
        state.admin.clone()
    }
}

impl FromRef<AppState> for RegistrationState {
    fn from_ref(state: &AppState) -> Self {
        state.registration.clone()
    }
}

pub fn router(state: AppState) -> Router {
    let config = state.config.clone();
    let https = !config.insecure_loopback();
    let trusted =
        http::client_ip::TrustedProxies::parse(&config.http.trusted_proxies).unwrap_or_default();
    // One composed stack, applied once: every `Router::layer` call boxes
    // each route again, and a boxed service is cloned (allocated) per
    // request. Outermost first.
    let h = &layers::SECURITY_HEADERS;
    let stack = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(
            layers::REQUEST_ID,
            layers::RequestIds::new(),
        ))
        .layer(PropagateRequestIdLayer::new(layers::REQUEST_ID))
        .layer(layers::trace())
        .option_layer(https.then(|| layers::default_header(layers::HSTS)))
        .layer(layers::default_header(h[0].clone()))
        .layer(layers::default_header(h[1].clone()))
        .layer(layers::default_header(h[2].clone()))
        .layer(layers::default_header(h[3].clone()))
        .layer(layers::default_header(h[4].clone()))
        .layer(layers::default_header(h[5].clone()))
        // Outside the two layers that answer on their own (500 for a panic,
        // 408 for a timeout), so those answers are counted too.
        .layer(axum::middleware::from_fn(http::metrics::track))
        .layer(CatchPanicLayer::new())
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(config.http.request_timeout_seconds),
        ))
        .layer(axum::middleware::from_fn(move |req, next| {
            http::client_ip::resolve(trusted.clone(), req, next)
        }))
        // Every surface's internal errors reach the log here, once, with
        // the request id.
        .layer(axum::middleware::from_fn(
            pratu_core::web::log_internal_errors,
        ))
        // Innermost: it changes the request body type, which `from_fn`
        // middleware does not accept.
        .layer(RequestBodyLimitLayer::new(config.http.max_body_bytes));
    Router::new()
        .route("/healthz", get(http::health::healthz))
        .route("/readyz", get(http::health::readyz))
        .route(CITIZEN_OPENAPI_PATH, get(citizen_openapi))
        .merge(pratu_registration::router())
        .merge(pratu_oidc::router())
        .merge(pratu_admin::router(&config.admin))
        .merge(pratu_account::router())
        .layer(stack)
        .with_state(state)
}

/// Where the citizen APIs' OpenAPI document is served.
pub const CITIZEN_OPENAPI_PATH: &str = "/api/openapi.json";

/// The citizen APIs' OpenAPI document: enrollment, with the account and
/// recovery APIs merged in (`doc.merge(...)`, one line each).
pub fn citizen_openapi_doc() -> utoipa::openapi::OpenApi {
    pratu_registration::api::openapi()
}

async fn citizen_openapi() -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let mut res = axum::Json(citizen_openapi_doc()).into_response();
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-cache"),
    );
    res
}

/// The metrics listener's router (`metrics.listen`): `/metrics` alone.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(http::metrics::render))
        .with_state(state)
}
