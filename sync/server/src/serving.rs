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

/// Serves `router` on `listener` (through TLS when `tls` is given) until `shutdown`
/// resolves, then lets requests in hand end.
pub async fn serve_with_limits(
    listener: tokio::net::TcpListener,
    router: Router,
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let tls = tls.map(tokio_rustls::TlsAcceptor::from);
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
        let stop = stop_rx.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let _permit = permit;
            match tls {
                None => serve_connection(stream, service, peer, stop).await,
                Some(acceptor) => {
                    // The handshake has the same time as a request head to arrive.
                    match tokio::time::timeout(HEADER_READ, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => serve_connection(stream, service, peer, stop).await,
                        Ok(Err(err)) => tracing::debug!("TLS handshake with {peer} failed: {err}"),
                        Err(_) => tracing::debug!("TLS handshake with {peer} timed out"),
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

/// Serves one connection's requests, within the time limits.
async fn serve_connection<I, S>(
    io: I,
    service: S,
    peer: SocketAddr,
    mut stop: watch::Receiver<bool>,
) where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    S: hyper::service::HttpService<Incoming, ResBody = axum::body::Body> + Send,
    S::Future: Send,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    // HTTP/1.1 only (what consoles, producers and scrapers speak): the protocol sniffing
    // of an HTTP/1-or-2 server waits for a first byte without any time limit.
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ);
    let mut connection = pin!(
        builder
            .serve_connection(TokioIo::new(io), service)
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
}

/// A server's TLS settings from PEM files: its certificate chain (its own first) and its
/// private key.
pub fn tls_config(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<Arc<tokio_rustls::rustls::ServerConfig>, String> {
    use rustls_pki_types::pem::PemObject as _;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|err| {
            format!(
                "the certificate file {} cannot be read: {err}",
                cert.display()
            )
        })?;
    if chain.is_empty() {
        return Err(format!("{} holds no certificate", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|err| format!("the key file {} cannot be read: {err}", key.display()))?;
    let mut config = tokio_rustls::rustls::ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|err| err.to_string())?
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .map_err(|err| format!("the certificate and key do not make a TLS identity: {err}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The peer of a request served by [`serve_with_limits`].
pub(crate) type Peer = Option<axum::Extension<ConnectInfo<SocketAddr>>>;
