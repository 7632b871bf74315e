//! `pratu serve`: migrate, then serve until SIGTERM/SIGINT, letting requests
//! in flight finish (bounded by `http.shutdown_grace_seconds`).

use std::sync::Arc;
use std::time::Duration;

use pratu_storage::{Clock, SystemClock};

use crate::app;
use crate::commands::{CommandError, open_ephemeral, open_store};
use crate::config::Config;
use crate::http::serve::{Limits, serve};

/// Scrapers are few; a handful of connections is plenty.
const METRICS_CONNECTIONS: u32 = 64;

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

    let listener = bind(config.listen_addr()?, "listen").await?;
    let local = local_addr(&listener)?;
    // Its own listener: `/metrics` is never on the public one.
    let metrics_listener = bind(config.metrics_addr()?, "metrics.listen").await?;
    let metrics_local = local_addr(&metrics_listener)?;
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
    let metrics_app = app::metrics_router(state.clone());
    let app = app::router(state);
    // Before the "listening on" line, which tells scripts (and the tests)
    // that everything is up.
    tracing::info!("metrics at http://{metrics_local}/metrics");
    tracing::info!(
        database = store.backend(),
        ephemeral = ephemeral.backend(),
        issuer = %issuer,
        "listening on http://{local}"
    );

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let grace = Duration::from_secs(config.http.shutdown_grace_seconds);
    let limits = Limits::from(&config.http);
    let metrics_limits = Limits {
        max_connections: METRICS_CONNECTIONS,
        ..limits
    };
    let servers = async move {
        tokio::join!(
            serve(listener, app, limits, stop_rx.clone()),
            serve(metrics_listener, metrics_app, metrics_limits, stop_rx),
        );
    };
    let signal = async move {
        stop_signal.await;
        tracing::info!("shutting down: finishing requests in flight");
        if stop_tx.send(true).is_err() {
            // Every server has returned already: nothing left to stop.
            tracing::debug!("no connection left to stop");
        }
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        () = servers => {},
        () = signal => tracing::warn!("shutdown grace period over; closing remaining connections"),
    }
    tracing::info!("stopped");
    Ok(())
}

/// Binds `addr`, the value of configuration key `key` (named in the error:
/// two listeners, either may find its port taken).
async fn bind(
    addr: std::net::SocketAddr,
    key: &str,
) -> Result<tokio::net::TcpListener, CommandError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| CommandError::Listen {
            addr: format!("{addr} (`{key}`)"),
            source,
        })
}

fn local_addr(listener: &tokio::net::TcpListener) -> Result<std::net::SocketAddr, CommandError> {
    listener
        .local_addr()
        .map_err(|source| CommandError::Listen {
            addr: "the bound address".to_owned(),
            source,
        })
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
