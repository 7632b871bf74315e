//! The recovery wizard at `/recover`.

use axum::Router;
use axum::extract::FromRef;

use crate::state::AccountState;

pub(crate) fn routes<S>() -> Router<S>
where
    AccountState: FromRef<S>,
    S: Clone + Send + Sync + 'static,
{
    Router::new()
}
