//! Accepting connections with limits: a request's head must arrive within
//! [`HEADER_READ`] (which also closes a connection idle between requests), a connection
//! serves requests for at most [`CONNECTION_LIFETIME`], and at most [`MAX_CONNECTIONS`] are
//! open at once (more wait in the kernel's queue), so idle or slow clients cannot use up the
//! server's sockets and file descriptors. Each request carries the peer's address
//! ([`ConnectInfo`]) for the sign-in throttle.

use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::{Semaphore, watch};
use tower::Service as _;

/// How long a client has to send a request's head (and how long a kept-alive connection may
/// sit idle before its next request).
pub const HEADER_READ: Duration = Duration::from_secs(10);
/// How long one connection serves requests before it is closed (after the request in hand).
/// A WebSocket leaves this once upgraded: it ends with its sign-in.
pub const CONNECTION_LIFETIME: Duration = Duration::from_mins(10);
/// Connections open at once; the packaged service's open-file limit is well above it.
pub const MAX_CONNECTIONS: usize = 4_000;
/// How long a stopping server waits for requests in hand.
const DRAIN: Duration = Duration::from_secs(5);

/// Serves `router` on `listener` until `shutdown` resolves, then lets requests in hand end.
pub async fn serve_with_limits(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let open = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&open).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of descriptors or a connection reset before it was taken: wait a
                    // moment rather than spin, and go on serving the connections in hand.
                    tracing::warn!("accepting a connection failed: {err}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let mut router = router.clone();
            async move { router.call(request).await }
        });
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            // HTTP/1.1 only (what consoles, producers and scrapers speak): the protocol sniffing
            // of an HTTP/1-or-2 server waits for a first byte without any time limit.
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ);
            let mut connection = pin!(
                builder
                    .serve_connection(TokioIo::new(stream), service)
                    .with_upgrades()
            );
            let mut lifetime = pin!(tokio::time::sleep(CONNECTION_LIFETIME));
            let mut closing = false;
            loop {
                tokio::select! {
                    result = connection.as_mut() => {
                        if let Err(err) = result {
                            tracing::debug!("connection from {peer} ended: {err}");
                        }
                        break;
                    }
                    () = &mut lifetime, if !closing => {
                        closing = true;
                        connection.as_mut().graceful_shutdown();
                    }
                    _ = stop.changed(), if !closing => {
                        closing = true;
                        connection.as_mut().graceful_shutdown();
                    }
                }
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Every permit back: every connection closed (or the drain time is over).
    let all = u32::try_from(MAX_CONNECTIONS).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(DRAIN, open.acquire_many(all)).await;
    Ok(())
}

/// The peer of a request served by [`serve_with_limits`].
pub(crate) type Peer = Option<axum::Extension<ConnectInfo<SocketAddr>>>;
