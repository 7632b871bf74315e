//! `pratu serve`: migrate, then serve until SIGTERM/SIGINT, letting requests
//! in flight finish (bounded by `http.shutdown_grace_seconds`).

use std::sync::Arc;
use std::time::Duration;

use pratu_storage::{Clock, SystemClock};

use crate::app;
use crate::commands::{CommandError, open_ephemeral, open_store};
use crate::config::Config;

pub async fn run(config: Config) -> Result<(), CommandError> {
    let config = Arc::new(config);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = open_store(&config).await?;
    store
        .migrate()
        .await
        .map_err(|source| CommandError::Database {
            url: pratu_storage::redact_url(&config.database_url()),
            source,
        })?;
    let ephemeral = open_ephemeral(&config, clock.clone()).await?;
    let secrets = config.secrets.load(&config.data_dir)?;

    crate::maintenance::spawn(store.clone(), clock.clone(), config.retention.clone());
    crate::maintenance::spawn_sweep(ephemeral.clone());

    let addr = config.listen_addr()?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| CommandError::Listen {
            addr: addr.to_string(),
            source,
        })?;
    let local = listener
        .local_addr()
        .map_err(|source| CommandError::Listen {
            addr: addr.to_string(),
            source,
        })?;
    let stop_signal = shutdown_signal()?;
    let issuer = config.effective_issuer(local);
    let state = crate::wiring::build_state(
        config.clone(),
        issuer.clone(),
        &secrets,
        store.clone(),
        ephemeral.clone(),
        clock,
    )
    .await?;
    crate::http::metrics::spawn_upkeep(state.metrics.clone());
    let app = app::router(state);
    tracing::info!(
        database = store.backend(),
        ephemeral = ephemeral.backend(),
        issuer = %issuer,
        "listening on http://{local}"
    );

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let grace = Duration::from_secs(config.http.shutdown_grace_seconds);
    let mut stopped = stop_rx.clone();
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let _ = stopped.wait_for(|s| *s).await;
    });
    let signal = async move {
        stop_signal.await;
        tracing::info!("shutting down: finishing requests in flight");
        let _ = stop_tx.send(true);
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        result = server => result.map_err(|e| CommandError::Failed(format!("server error: {e}")))?,
        () = signal => tracing::warn!("shutdown grace period over; closing remaining connections"),
    }
    drop(stop_rx);
    tracing::info!("stopped");
    Ok(())
}

/// Installs the SIGTERM/SIGINT handlers at once (before the "listening"
/// line, so a signal sent right after it is never lost) and resolves when
/// either arrives.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, CommandError> {
    use tokio::signal::unix::{SignalKind, signal};
    let install = |kind| {
        signal(kind)
            .map_err(|e| CommandError::Failed(format!("cannot install signal handler: {e}")))
    };
    let mut term = install(SignalKind::terminate())?;
    let mut int = install(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
    })
}
