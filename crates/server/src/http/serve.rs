//! The accept loop. `axum::serve` gives a connection all the time it likes
//! to send its request head and accepts connections without bound, so a
//! client trickling headers (slowloris) or opening sockets by the thousand
//! holds the server's file descriptors. Here a connection gets
//! `http.header_read_timeout_seconds` for each request head and at most
//! `http.max_connections` are served at once: the next one is accepted only
//! when one closes, and waits in the kernel's listen backlog until then.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use crate::config::HttpConfig;

/// What bounds the connections of one listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub header_read_timeout: Duration,
    pub max_connections: u32,
}

impl From<&HttpConfig> for Limits {
    fn from(http: &HttpConfig) -> Self {
        Self {
            header_read_timeout: Duration::from_secs(http.header_read_timeout_seconds),
            max_connections: http.max_connections,
        }
    }
}

/// Serves `app` on `listener` until `stop` turns true, then lets every open
/// connection finish its request in flight and returns once all have
/// closed. Requests carry `ConnectInfo<SocketAddr>` (the TCP peer), as with
/// `into_make_service_with_connect_info`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) {
    let max = limits.max_connections.max(1);
    let slots = Arc::new(Semaphore::new(max as usize));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    loop {
        // A slot first, then the connection: at the limit nothing is
        // accepted, so the kernel queues (and eventually refuses) the rest.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                // Never closed; stop serving rather than spin if it were.
                Err(_) => break,
            },
            () = stopped(&mut stop) => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    accept_failed(&e).await;
                    continue;
                }
            },
            () = stopped(&mut stop) => break,
        };
        tokio::spawn(connection(
            stream,
            peer,
            app.clone(),
            builder.clone(),
            stop.clone(),
            slot,
        ));
    }
    // No new connections from here on; the open ones finish.
    drop(listener);
    if let Err(e) = slots.acquire_many(max).await {
        tracing::warn!(error = %e, "cannot wait for open connections");
    }
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    builder: http1::Builder,
    mut stop: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    if let Err(e) = stream.set_nodelay(true) {
        // Only latency suffers; the connection still works.
        tracing::debug!(error = %e, "cannot set TCP_NODELAY");
    }
    let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        let app = app.clone();
        async move {
            let response = tower::ServiceExt::oneshot(app, request).await;
            Ok::<_, Infallible>(match response {
                Ok(r) => r,
                Err(never) => match never {},
            })
        }
    });
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let result = tokio::select! {
        result = conn.as_mut() => result,
        () = stopped(&mut stop) => {
            // Finish the request in flight, then close.
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        // The client's doing (a reset, a header timeout, a malformed
        // request): nothing for the operator, but visible when debugging.
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

/// Resolves once `stop` turns true.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    if stop.wait_for(|s| *s).await.is_err() {
        // The sender is gone, which happens only once serving is over: as
        // good as a stop.
        tracing::debug!("stop signal sender dropped");
    }
}

/// Per-connection failures (the client gave up during the handshake) are
/// skipped; others (out of file descriptors) get a pause before the next
/// try instead of a busy loop.
async fn accept_failed(e: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %e, "cannot accept a connection; retrying in 1 s");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
