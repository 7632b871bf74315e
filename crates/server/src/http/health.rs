//! `/healthz`: the process is up. `/readyz`: the database and the ephemeral
//! store answer — a load balancer sends traffic only when both do, and the
//! answer recovers on its own when a dependency comes back.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;

use crate::app::AppState;

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, Json(json!({"status": "ok"})))
}

pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let (db, eph) = tokio::join!(
        tokio::time::timeout(CHECK_TIMEOUT, state.store.ping()),
        tokio::time::timeout(CHECK_TIMEOUT, state.ephemeral.ping()),
    );
    let db_ok = matches!(db, Ok(Ok(())));
    let eph_ok = matches!(eph, Ok(Ok(())));
    if !db_ok {
        tracing::warn!(
            backend = state.store.backend(),
            "readiness: database unreachable"
        );
    }
    if !eph_ok {
        tracing::warn!(
            backend = state.ephemeral.backend(),
            "readiness: ephemeral store unreachable"
        );
    }
    let status = if db_ok && eph_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    (
        status,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(json!({
            "status": word(db_ok && eph_ok),
            "database": {"backend": state.store.backend(), "status": word(db_ok)},
            "ephemeral": {"backend": state.ephemeral.backend(), "status": word(eph_ok)},
        })),
    )
}
