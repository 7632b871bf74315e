//! The operator console (server-rendered pages under `/admin`).

use axum::Router;
use axum::extract::FromRef;

use crate::state::AdminState;

pub(crate) fn router<S>() -> Router<S>
where
    AdminState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
}

impl AdminState {
    /// Registers (or updates) the console's own client. Call once at start.
    pub async fn register_console_client(&self) -> Result<(), crate::ApiError> {
        Ok(())
    }
}
