//! Live telemetry: producers post batches, the server stores them and relays them to every
//! connected console over a WebSocket.
//!
//! Every point gets a sequence number when stored. The relay sends frames in sequence order
//! and, whenever it sees a gap (a console that fell behind the broadcast, or two producers
//! whose frames crossed), reads the missing points back from the store, so a console sees
//! every point once and in order. A console that reconnects passes the last sequence number it
//! saw and catches up the same way.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::ws::{
    CloseFrame, Message, WebSocket, WebSocketUpgrade, rejection::WebSocketUpgradeRejection,
};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use tokio::sync::broadcast;

use super::auth::Principal;
use super::{
    ApiError, AppState, Namespace, authenticate_until, bad_json, blocking, check_protocol,
};
use galaxium_sync::protocol::{TelemetryAccepted, TelemetryBatch, TelemetryFrame};
use galaxium_sync::schema::registry::Role;

/// Frames held for consoles that read slowly; one that falls further behind catches up from
/// the store.
pub const RELAY_BACKLOG: usize = 256;
/// Points per frame when catching up from the store.
pub const CATCH_UP_POINTS: usize = 20_000;
pub use galaxium_sync::protocol::{CLOSE_SIGN_IN_EXPIRED, HEARTBEAT};

/// Roles that may post telemetry: the ground segment signs in as a controller.
const PRODUCERS: [Role; 2] = [Role::Admin, Role::Controller];
/// Roles that may follow the relay. Crew vital signs travel on it, so staff do not.
const FOLLOWERS: [Role; 3] = [Role::Admin, Role::Controller, Role::Trainer];

/// `POST /api/v1/telemetry/batch`.
pub async fn ingest(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Json<TelemetryBatch>, JsonRejection>,
) -> Result<Json<TelemetryAccepted>, ApiError> {
    state.metrics.request("telemetry_batch");
    let principal = ground_segment(&state, &headers, "send telemetry").await?;
    ingest_into(&state, &state.operational(), &principal, body).await
}

/// The ground segment behind a request: a sign-in (or a telemetry token) of a role that may
/// produce the vehicle's telemetry, and so take its commands. `what` is what it asked to do.
async fn ground_segment(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    what: &str,
) -> Result<Principal, ApiError> {
    check_protocol(headers)?;
    let (principal, _) =
        crate::authenticate_for(state, headers, crate::auth::Scope::Telemetry).await?;
    if !PRODUCERS.contains(&principal.role) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "the {} role may not {what}; sign the ground segment in as a controller",
                principal.role.as_str()
            ),
        ));
    }
    Ok(principal)
}

/// Stores a batch in `namespace` and relays it to the consoles following it.
pub(crate) async fn ingest_into(
    state: &AppState,
    namespace: &Namespace,
    principal: &Principal,
    body: Result<Json<TelemetryBatch>, JsonRejection>,
) -> Result<Json<TelemetryAccepted>, ApiError> {
    let Json(batch) = body.map_err(bad_json)?;
    if let Some(problem) = batch.problem() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("telemetry batch refused, nothing stored: {problem}"),
        ));
    }
    let store = namespace.store.clone();
    let producer = principal.user.clone();
    let frame = blocking(move || store.append_telemetry(&producer, batch.points)).await?;
    let accepted = TelemetryAccepted {
        accepted: frame.points.len(),
        last_seq: frame.last_seq,
    };
    state.metrics.telemetry_points(accepted.accepted as u64);
    // No console listening is not an error: the points are stored for those that come.
    let _ = namespace.telemetry.send(Arc::new(frame));
    Ok(Json(accepted))
}

/// Query of the live relay.
#[derive(Debug, Deserialize)]
pub struct LiveQuery {
    /// Start after this sequence number (what the console saw last); without it, from now.
    after: Option<u64>,
}

/// `GET /api/v1/telemetry/live` (WebSocket).
pub async fn live(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: Result<Query<LiveQuery>, QueryRejection>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    state.metrics.request("telemetry_live");
    check_protocol(&headers)?;
    let (principal, expires) = authenticate_until(&state, &headers).await?;
    if !FOLLOWERS.contains(&principal.role) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "the {} role may not follow live telemetry; an admin, controller or trainer can",
                principal.role.as_str()
            ),
        ));
    }
    let namespace = state.operational();
    live_from(
        state,
        namespace,
        (principal, expires),
        query,
        upgrade,
        &headers,
    )
    .await
}

/// Relays `namespace`'s telemetry over the WebSocket `upgrade` until the sign-in expires.
pub(crate) async fn live_from(
    state: Arc<AppState>,
    namespace: Namespace,
    (principal, expires): (Principal, DateTime<Utc>),
    query: Result<Query<LiveQuery>, QueryRejection>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let token_hash = crate::bearer_token(headers)
        .map(crate::auth::token_hash)
        .unwrap_or_default();
    let Query(query) = query.map_err(|err| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("bad live query ({err}); use ?after=SEQ or nothing"),
        )
    })?;
    let upgrade = upgrade.map_err(|err| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("the live feed is a WebSocket: {err}"),
        )
    })?;
    // Subscribe before reading the head, so nothing stored in between is missed.
    let frames = namespace.telemetry.subscribe();
    let start = if let Some(after) = query.after {
        after
    } else {
        let store = namespace.store.clone();
        blocking(move || store.telemetry_head()).await?
    };
    Ok(upgrade.on_upgrade(move |socket| async move {
        state.metrics.live_subscriber(true);
        let mut relay = Relay {
            socket,
            store: namespace.store,
            last_sent: start,
            tokens: Arc::clone(&state.store),
            token_hash,
            sign_ins_ended: state.sign_ins_ended.subscribe(),
        };
        if let Err(reason) = relay.run(frames, expires).await {
            tracing::debug!("live relay to {} ended: {reason}", principal.user);
        }
        state.metrics.live_subscriber(false);
    }))
}

struct Relay {
    socket: WebSocket,
    store: Arc<dyn super::store::Store>,
    last_sent: u64,
    /// Where sign-ins are kept, and this socket's: a sign-in ended by an admin (or a
    /// sign-out) closes the socket within a second or two, and at the next heartbeat at
    /// the latest.
    tokens: Arc<dyn super::store::Store>,
    token_hash: String,
    /// Moves on when any sign-in has ended somewhere.
    sign_ins_ended: tokio::sync::watch::Receiver<u64>,
}

impl Relay {
    async fn run(
        &mut self,
        mut frames: broadcast::Receiver<Arc<TelemetryFrame>>,
        expires: DateTime<Utc>,
    ) -> Result<(), String> {
        self.catch_up().await?;
        let until_expiry = (expires - Utc::now()).to_std().unwrap_or_default();
        let expiry = tokio::time::sleep(until_expiry);
        tokio::pin!(expiry);
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                frame = frames.recv() => match frame {
                    Ok(frame) if frame.last_seq <= self.last_sent => {}
                    Ok(frame) if frame.first_seq == self.last_sent + 1 => self.send(&frame).await?,
                    // A gap: this console fell behind, or frames crossed; the store has it all.
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => self.catch_up().await?,
                    Err(broadcast::error::RecvError::Closed) => return Ok(()),
                },
                message = self.socket.recv() => match message {
                    None | Some(Err(_) | Ok(Message::Close(_))) => return Ok(()),
                    Some(Ok(_)) => {}
                },
                () = &mut expiry => {
                    let close = CloseFrame {
                        code: CLOSE_SIGN_IN_EXPIRED,
                        reason: "your sign-in has expired; sign in again".into(),
                    };
                    let _ = self.socket.send(Message::Close(Some(close))).await;
                    return Err("sign-in expired".to_owned());
                }
                Ok(()) = self.sign_ins_ended.changed() => self.close_if_signed_out().await?,
                _ = heartbeat.tick() => {
                    self.close_if_signed_out().await?;
                    self.socket
                        .send(Message::Ping(Vec::new().into()))
                        .await
                        .map_err(|e| e.to_string())?;
                }
            }
        }
    }

    /// Closes the socket, and ends the relay, when this socket's sign-in has ended.
    async fn close_if_signed_out(&mut self) -> Result<(), String> {
        let (tokens, hash) = (Arc::clone(&self.tokens), self.token_hash.clone());
        let live = blocking(move || tokens.token(&hash))
            .await
            .map_err(|e| format!("{e:?}"))?
            .is_some();
        if live {
            return Ok(());
        }
        let close = CloseFrame {
            code: CLOSE_SIGN_IN_EXPIRED,
            reason: "your sign-in was ended; sign in again".into(),
        };
        let _ = self.socket.send(Message::Close(Some(close))).await;
        Err("sign-in ended".to_owned())
    }

    /// Sends everything stored after what was sent last.
    async fn catch_up(&mut self) -> Result<(), String> {
        loop {
            let store = self.store.clone();
            let after = self.last_sent;
            let page = blocking(move || store.telemetry_after(after, CATCH_UP_POINTS))
                .await
                .map_err(|e| format!("{e:?}"))?;
            let Some(frame) = page else {
                return Ok(());
            };
            self.send(&frame).await?;
        }
    }

    async fn send(&mut self, frame: &TelemetryFrame) -> Result<(), String> {
        let text = serde_json::to_string(frame).map_err(|e| e.to_string())?;
        self.socket
            .send(Message::Text(text.into()))
            .await
            .map_err(|e| e.to_string())?;
        self.last_sent = frame.last_seq;
        Ok(())
    }
}

/// Query of the uplink: the commands sent after an op-log cursor. Without one, the answer
/// starts from now (a ground segment that starts does not replay what was sent before it).
#[derive(Debug, Deserialize)]
pub struct UplinkQuery {
    /// The cursor of the last answer's `next_after`.
    after: Option<u64>,
}

/// Op-log entries one uplink request reads at most (the rest come at the next).
const UPLINK_PAGE: usize = 1_000;

/// `GET /api/v1/telemetry/commands`: the commands consoles sent to the vehicle (released and
/// uplinked through the server, in operations only), for the ground segment that posts the
/// vehicle's telemetry. The same sign-ins that may post telemetry may ask.
pub async fn uplink(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: Result<Query<UplinkQuery>, QueryRejection>,
) -> Result<Json<galaxium_sync::protocol::UplinkCommands>, ApiError> {
    state.metrics.request("other");
    let principal = ground_segment(&state, &headers, "receive the vehicle's commands").await?;
    let Query(query) = query.map_err(|err| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("bad uplink query ({err}); use ?after=CURSOR"),
        )
    })?;
    let store = state.store.clone();
    let answer = blocking(move || sent_commands(store.as_ref(), &principal, query.after)).await?;
    Ok(Json(answer))
}

/// The commands that moved to `sent` after `after` in the op log, each read whole.
fn sent_commands(
    store: &dyn crate::store::Store,
    principal: &Principal,
    after: Option<u64>,
) -> Result<galaxium_sync::protocol::UplinkCommands, crate::store::StoreError> {
    use galaxium_sync::protocol::{OpKind, UplinkCommand, UplinkCommands};
    let Some(after) = after else {
        return Ok(UplinkCommands {
            commands: Vec::new(),
            next_after: store.stats()?.head_cursor,
        });
    };
    let page = store.pull(principal, None, after, UPLINK_PAGE)?;
    let mut commands = Vec::new();
    for entry in &page.ops {
        let op = &entry.op;
        let sent = op.table == "commands"
            && op.kind != OpKind::Delete
            && op.payload.get("status").and_then(serde_json::Value::as_str) == Some("sent");
        if !sent {
            continue;
        }
        let Some(row) = store.live_row("commands", &op.row_id)? else {
            continue;
        };
        let text = |column: &str| {
            row.get(column)
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let arguments = match row.get("arguments") {
            Some(serde_json::Value::Object(map)) => map.clone(),
            Some(serde_json::Value::String(json)) => serde_json::from_str(json).unwrap_or_default(),
            _ => serde_json::Map::new(),
        };
        commands.push(UplinkCommand {
            id: op.row_id.clone(),
            name: text("name"),
            arguments,
            queued_by: text("queued_by"),
        });
    }
    Ok(UplinkCommands {
        commands,
        next_after: page.next_cursor,
    })
}
