//! Following the server's live telemetry relay (a WebSocket) from a console.

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};

use crate::client::SyncError;
use crate::protocol::{CLOSE_SIGN_IN_EXPIRED, HEARTBEAT};
use crate::protocol::{ErrorBody, PROTOCOL_HEADER, PROTOCOL_VERSION, TelemetryFrame};

/// A connection that says nothing (not even the server's heartbeat) for this long is dead.
pub const SILENCE_LIMIT: Duration = Duration::from_secs(HEARTBEAT.as_secs() * 2 + 5);

/// The relay's address for a server's base URL (`http://host:port`, or `https://` for TLS):
/// operations' relay, or training session `session`'s.
pub fn live_url(
    base: &str,
    session: Option<&str>,
    after: Option<u64>,
) -> Result<String, SyncError> {
    let base = base.trim_end_matches('/');
    let rest = if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else {
        return Err(SyncError::BadAnswer(format!(
            "{base:?} is not a server address (http://HOST:PORT)"
        )));
    };
    let api = session.map_or_else(
        || "/api/v1".to_owned(),
        |id| format!("/api/v1/training/sessions/{id}"),
    );
    Ok(match after {
        Some(after) => format!("{rest}{api}/telemetry/live?after={after}"),
        None => format!("{rest}{api}/telemetry/live"),
    })
}

/// With an operator's certificate authority named (see
/// [`crate::client::AUTHORITY_FILE_VARIABLE`]), a TLS connector that trusts it alone, as the
/// HTTP client does; otherwise the system's roots (the default connector).
fn authority_connector() -> Result<Option<tokio_tungstenite::Connector>, SyncError> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject as _;
    use tokio_rustls::rustls;
    let Some((_, pem)) = crate::client::operator_authority()? else {
        return Ok(None);
    };
    let mut roots = rustls::RootCertStore::empty();
    let operator: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<_, _>>()
        .map_err(|err| crate::client::authority_error(&err.to_string()))?;
    if operator.is_empty() {
        return Err(crate::client::authority_error("it holds no certificate"));
    }
    for certificate in operator {
        roots
            .add(certificate)
            .map_err(|err| crate::client::authority_error(&err.to_string()))?;
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|err| crate::client::authority_error(&err.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Some(tokio_tungstenite::Connector::Rustls(
        std::sync::Arc::new(config),
    )))
}

/// Follows the relay at `base` (operations', or training session `session`'s) with `token`,
/// starting after sequence number `after` (or from now), and hands every frame to `on_frame`
/// in order. Returns when the server closes the
/// connection or it goes silent; an error says whether retrying can help
/// ([`SyncError::is_retryable`]).
pub async fn follow(
    base: &str,
    session: Option<&str>,
    token: &str,
    after: Option<u64>,
    mut on_frame: impl FnMut(TelemetryFrame) + Send,
    on_connected: impl FnOnce() + Send,
) -> Result<(), SyncError> {
    let url = live_url(base, session, after)?;
    let unreachable = |cause: String| SyncError::Unreachable {
        url: base.to_owned(),
        cause,
    };
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|err| SyncError::BadAnswer(err.to_string()))?;
    let headers = request.headers_mut();
    headers.insert(
        tungstenite::http::header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| SyncError::Unauthorized("the kept token is not valid text".to_owned()))?,
    );
    headers.insert(PROTOCOL_HEADER, HeaderValue::from(PROTOCOL_VERSION));
    let connector = authority_connector()?;
    let connect = tokio::time::timeout(
        Duration::from_secs(10),
        tokio_tungstenite::connect_async_tls_with_config(request, None, false, connector),
    );
    let (mut stream, _) = match connect.await {
        Err(_) => return Err(unreachable("no answer within 10 s".to_owned())),
        Ok(Ok(connected)) => connected,
        Ok(Err(tungstenite::Error::Http(response))) => {
            let status = response.status();
            let body = response.body().clone().unwrap_or_default();
            let message = serde_json::from_slice::<ErrorBody>(&body).map_or_else(
                |_| String::from_utf8_lossy(&body).chars().take(200).collect(),
                |e| e.error,
            );
            return Err(match status.as_u16() {
                401 => SyncError::Unauthorized(message),
                403 => SyncError::Forbidden(message),
                other => SyncError::Server {
                    status: other,
                    message,
                },
            });
        }
        Ok(Err(err)) => return Err(unreachable(err.to_string())),
    };
    on_connected();
    loop {
        let message = match tokio::time::timeout(SILENCE_LIMIT, stream.next()).await {
            Err(_) => {
                return Err(unreachable(format!(
                    "the live feed was silent for {} s",
                    SILENCE_LIMIT.as_secs()
                )));
            }
            Ok(None) => return Ok(()),
            Ok(Some(Err(err))) => return Err(unreachable(err.to_string())),
            Ok(Some(Ok(message))) => message,
        };
        match message {
            Message::Text(text) => {
                let frame: TelemetryFrame = serde_json::from_str(&text).map_err(|err| {
                    SyncError::BadAnswer(format!("a live telemetry frame could not be read: {err}"))
                })?;
                on_frame(frame);
            }
            Message::Close(Some(close)) if close.code == CloseCode::from(CLOSE_SIGN_IN_EXPIRED) => {
                return Err(SyncError::Unauthorized(close.reason.to_string()));
            }
            Message::Close(_) => return Ok(()),
            Message::Ping(payload) => {
                // Answered at once so the server's heartbeat sees a live console.
                stream
                    .send(Message::Pong(payload))
                    .await
                    .map_err(|err| unreachable(err.to_string()))?;
            }
            Message::Binary(_) | Message::Pong(_) | Message::Frame(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relay_address_follows_the_server_address() {
        assert_eq!(
            live_url("http://127.0.0.1:8780/", None, None).unwrap(),
            "ws://127.0.0.1:8780/api/v1/telemetry/live"
        );
        assert_eq!(
            live_url("http://ops.example:80", None, Some(42)).unwrap(),
            "ws://ops.example:80/api/v1/telemetry/live?after=42"
        );
        assert_eq!(
            live_url("https://ops.example", None, None).unwrap(),
            "wss://ops.example/api/v1/telemetry/live"
        );
        assert_eq!(
            live_url("http://ops.example", Some("0192"), Some(7)).unwrap(),
            "ws://ops.example/api/v1/training/sessions/0192/telemetry/live?after=7"
        );
        assert!(live_url("ftp://x", None, None).is_err());
    }
}
