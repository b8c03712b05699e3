//! Training sessions: each one a namespace of its own, with its own database of replicated
//! rows and its own telemetry relay, so nothing a trainee does can reach operational data.
//!
//! A trainer opens a session for a scenario; the trainer's console plays the scenario and
//! posts its telemetry to the session; trainee consoles follow the session's relay, so every
//! console in it sees the same telemetry at the same time, and their sandboxes sync through
//! the session (the trainer sees the trainees' incidents). The session's mission clock is the
//! trainer's (×1 to ×60), and the joined consoles follow it. Inside a session trainers and
//! trainees may do what operations allow anyone (the rows are the scenario's, not real
//! people's); controllers and staff keep to operations. Devices that reach a session are
//! remembered, and the operational push refuses them.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;

use super::auth::Principal;
use super::store::{SqliteStore, Store, StoreError};
use super::telemetry::{LiveQuery, ingest_into, live_from};
use super::{
    ApiError, AppState, Namespace, PullQuery, authenticate_until, bad_json, blocking,
    check_protocol, check_push, pull_from, pulling_for, push_into, speaking_for,
};
use galaxium_sync::protocol::{
    MissionClock, NewTrainingSession, PullResponse, PushRequest, PushResponse, TelemetryAccepted,
    TelemetryBatch, TrainingSession,
};
use galaxium_sync::schema::registry::Role;

/// Roles that may take part in a training session.
const PARTICIPANTS: [Role; 3] = [Role::Admin, Role::Trainer, Role::Trainee];
/// Roles that may open a session, run its clock and play its telemetry.
const RUNNERS: [Role; 2] = [Role::Admin, Role::Trainer];

/// Session databases kept open at once; beyond it, the one unused longest that nobody is
/// using (no request in hand, no one following its telemetry) is closed. Each open session
/// holds three files (its database, log and index): without a cap, a few hundred sessions
/// used up the server's file descriptors.
pub const MOST_OPEN_SESSIONS: usize = 32;

/// The training sessions the server has opened, each with its namespace.
#[derive(Default)]
pub struct Sessions {
    /// Where each session's rows live.
    home: SessionHome,
    open: Mutex<HashMap<String, (Namespace, std::time::Instant)>>,
}

/// Where training sessions keep their rows.
#[derive(Default)]
enum SessionHome {
    /// In memory (tests).
    #[default]
    Memory,
    /// One SQLite file each in this folder.
    Dir(PathBuf),
    /// Inside the operational store's database (a schema each on PostgreSQL).
    Within(Arc<dyn Store>),
}

impl Sessions {
    /// Sessions kept in `dir`, one database file each.
    pub fn in_dir(dir: PathBuf) -> Self {
        Self {
            home: SessionHome::Dir(dir),
            open: Mutex::default(),
        }
    }

    /// Sessions kept inside the database of `operations` (see
    /// [`Store::holds_training_sessions`]).
    pub fn within(operations: Arc<dyn Store>) -> Self {
        Self {
            home: SessionHome::Within(operations),
            open: Mutex::default(),
        }
    }

    /// The namespace of session `id`, opening its database the first time.
    fn namespace(&self, id: &str) -> Result<Namespace, StoreError> {
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((namespace, used)) = open.get_mut(id) {
            *used = std::time::Instant::now();
            return Ok(namespace.clone());
        }
        if open.len() >= MOST_OPEN_SESSIONS && !matches!(self.home, SessionHome::Memory) {
            close_one_unused(&mut open);
        }
        let store: Arc<dyn Store> = match &self.home {
            SessionHome::Dir(dir) => {
                std::fs::create_dir_all(dir).map_err(|err| StoreError::Io(err.to_string()))?;
                // `id` is a checked UUID, so it cannot climb out of `dir`.
                Arc::new(SqliteStore::open(&dir.join(format!("{id}.sqlite")))?)
            }
            SessionHome::Memory => Arc::new(SqliteStore::open(std::path::Path::new(":memory:"))?),
            // Its schema's tables are made on its first use, off the async runtime.
            SessionHome::Within(operations) => operations.training_session_store(id)?,
        };
        let telemetry = tokio::sync::broadcast::channel(super::telemetry::RELAY_BACKLOG).0;
        store.relay_from_other_instances(telemetry.clone());
        let namespace = Namespace {
            store,
            telemetry,
            sandbox: true,
        };
        open.insert(
            id.to_owned(),
            (namespace.clone(), std::time::Instant::now()),
        );
        Ok(namespace)
    }

    /// How many session databases are open.
    pub fn open_count(&self) -> usize {
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }
}

/// Closes the session unused longest that nobody holds (its store held only here, nobody
/// following its telemetry); an in-memory one (tests) is never closed, it would be lost.
fn close_one_unused(open: &mut HashMap<String, (Namespace, std::time::Instant)>) {
    let idle = open
        .iter()
        .filter(|(_, (namespace, _))| {
            Arc::strong_count(&namespace.store) == 1 && namespace.telemetry.receiver_count() == 0
        })
        .min_by_key(|(_, (_, used))| *used)
        .map(|(id, _)| id.clone());
    if let Some(id) = idle {
        open.remove(&id);
        tracing::debug!(session = %id, "closed an unused training session's database");
    }
}

/// Who may do what in a session, checked once per request.
enum Need {
    /// Taking part: syncing, following telemetry, reading the session.
    Participant,
    /// Running it: its clock and its telemetry.
    Runner,
}

async fn principal_for(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    need: &Need,
) -> Result<(Principal, chrono::DateTime<Utc>), ApiError> {
    check_protocol(headers)?;
    let (principal, expires) = authenticate_until(state, headers).await?;
    let (allowed, who): (&[Role], &str) = match need {
        Need::Participant => (&PARTICIPANTS, "trainers and trainees"),
        Need::Runner => (&RUNNERS, "trainers"),
    };
    if !allowed.contains(&principal.role) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "the {} role may not do this in a training session; it is for {who} (sign in with a training account)",
                principal.role.as_str()
            ),
        ));
    }
    Ok((principal, expires))
}

/// The session named by the path, or 404.
async fn session(
    state: &Arc<AppState>,
    id: Result<Path<String>, PathRejection>,
    principal: &Principal,
) -> Result<(TrainingSession, Namespace), ApiError> {
    let Path(id) = id.map_err(|err| ApiError::new(StatusCode::BAD_REQUEST, err.to_string()))?;
    let unknown = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("there is no training session {id:?}; list them at /api/v1/training/sessions"),
        )
    };
    if uuid::Uuid::parse_str(&id).is_err() {
        return Err(unknown());
    }
    let store = state.store.clone();
    let wanted = id.clone();
    let found = blocking(move || store.training_session(&wanted))
        .await?
        .ok_or_else(unknown)?;
    // Only its members read or write a session (and admins).
    if principal.role != Role::Admin {
        let store = state.store.clone();
        let (session_id, user) = (found.id.clone(), principal.user.clone());
        if !blocking(move || store.is_training_member(&session_id, &user)).await? {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "{} does not take part in training session {}; its trainer names the trainees when opening it",
                    principal.user, found.id
                ),
            ));
        }
    }
    let state = Arc::clone(state);
    let session_id = found.id.clone();
    let namespace = blocking(move || state.training.namespace(&session_id)).await?;
    Ok((found, namespace))
}

/// `POST /api/v1/training/sessions`.
pub async fn create(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Json<NewTrainingSession>, JsonRejection>,
) -> Result<Json<TrainingSession>, ApiError> {
    state.metrics.request("training_sessions");
    let (principal, _) = principal_for(&state, &headers, &Need::Runner).await?;
    let Json(request) = body.map_err(bad_json)?;
    let scenario_ok = !request.scenario.is_empty()
        && request.scenario.len() <= 64
        && request
            .scenario
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !scenario_ok {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "scenario {:?} is not a scenario id (1 to 64 lower-case letters, digits, '-' or '_')",
                request.scenario
            ),
        ));
    }
    let now = Utc::now();
    let session = TrainingSession {
        id: uuid::Uuid::now_v7().to_string(),
        scenario: request.scenario,
        created_by: principal.user,
        created_at: galaxium_sync::time::stored(now),
        clock: MissionClock::WALL,
    };
    let store = state.store.clone();
    let mut members = request.members;
    members.sort();
    members.dedup();
    if members.len() > 200 {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "at most 200 members in one session",
        ));
    }
    for member in &members {
        let (store, name) = (state.store.clone(), member.clone());
        if blocking(move || store.user(&name)).await?.is_none() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("there is no user {member:?} to take part in the session"),
            ));
        }
    }
    let record = session.clone();
    blocking(move || store.create_training_session(&record, &members)).await?;
    tracing::info!(session = %session.id, scenario = %session.scenario, "training session opened");
    Ok(Json(session))
}

/// `GET /api/v1/training/sessions`.
pub async fn list(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<Vec<TrainingSession>>, ApiError> {
    state.metrics.request("training_sessions");
    let (principal, _) = principal_for(&state, &headers, &Need::Participant).await?;
    let store = state.store.clone();
    // Each sees the sessions they take part in; admins see all.
    let member = (principal.role != Role::Admin).then_some(principal.user);
    Ok(Json(
        blocking(move || store.training_sessions(member.as_deref())).await?,
    ))
}

/// `GET /api/v1/training/sessions/{id}`.
pub async fn show(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<TrainingSession>, ApiError> {
    state.metrics.request("training_sessions");
    let (principal, _) = principal_for(&state, &headers, &Need::Participant).await?;
    Ok(Json(session(&state, id, &principal).await?.0))
}

/// `PUT /api/v1/training/sessions/{id}/clock`.
pub async fn set_clock(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Result<Json<MissionClock>, JsonRejection>,
) -> Result<Json<TrainingSession>, ApiError> {
    state.metrics.request("training_sessions");
    let (principal, _) = principal_for(&state, &headers, &Need::Runner).await?;
    let (mut found, _) = session(&state, id, &principal).await?;
    let Json(clock) = body.map_err(bad_json)?;
    if let Some(problem) = clock.problem() {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, problem));
    }
    let store = state.store.clone();
    let id = found.id.clone();
    blocking(move || store.set_training_clock(&id, &clock)).await?;
    found.clock = clock;
    Ok(Json(found))
}

/// `POST /api/v1/training/sessions/{id}/push`.
pub async fn push(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Result<Json<PushRequest>, JsonRejection>,
) -> Result<Json<PushResponse>, ApiError> {
    state.metrics.request("training_push");
    let (principal, _) = principal_for(&state, &headers, &Need::Participant).await?;
    let (found, namespace) = session(&state, id, &principal).await?;
    let Json(request) = body.map_err(bad_json)?;
    check_push(&request)?;
    let device = speaking_for(&state, &principal, &request.device_id)?;
    bind_device(&state, &device, &found.id).await?;
    push_into(&state, &namespace, principal, request).await
}

/// `GET /api/v1/training/sessions/{id}/pull`.
pub async fn pull(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    query: Result<Query<PullQuery>, QueryRejection>,
) -> Result<Json<PullResponse>, ApiError> {
    state.metrics.request("training_pull");
    let (principal, _) = principal_for(&state, &headers, &Need::Participant).await?;
    let (found, namespace) = session(&state, id, &principal).await?;
    if let Some(device) = pulling_for(&state, &principal, &headers)? {
        bind_device(&state, &device, &found.id).await?;
    }
    pull_from(&state, &namespace, principal, &headers, query).await
}

/// Remembers a device as a sandbox of the session; one that belongs to another session is
/// refused (a sandbox holds one session's rows).
async fn bind_device(
    state: &Arc<AppState>,
    device: &str,
    session_id: &str,
) -> Result<(), ApiError> {
    let store = state.store.clone();
    let (device, wanted) = (device.to_owned(), session_id.to_owned());
    let bound = {
        let (device, wanted) = (device.clone(), wanted.clone());
        blocking(move || store.bind_training_device(&device, &wanted)).await?
    };
    if bound == wanted {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "device {device} is a sandbox of training session {bound}, not {wanted}; prepare a new sandbox to join another session"
            ),
        ))
    }
}

/// `POST /api/v1/training/sessions/{id}/telemetry/batch`.
pub async fn ingest(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Result<Json<TelemetryBatch>, JsonRejection>,
) -> Result<Json<TelemetryAccepted>, ApiError> {
    state.metrics.request("training_telemetry_batch");
    let (principal, _) = principal_for(&state, &headers, &Need::Runner).await?;
    let (_, namespace) = session(&state, id, &principal).await?;
    ingest_into(&state, &namespace, &principal, body).await
}

/// `GET /api/v1/training/sessions/{id}/telemetry/live` (WebSocket).
pub async fn live(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    query: Result<Query<LiveQuery>, QueryRejection>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    state.metrics.request("training_telemetry_live");
    let (principal, expires) = principal_for(&state, &headers, &Need::Participant).await?;
    let (_, namespace) = session(&state, id, &principal).await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_a_few_dozen_session_databases_stay_open_and_one_in_use_is_never_closed() {
        let dir = tempfile::tempdir().unwrap();
        let sessions = Sessions::in_dir(dir.path().to_path_buf());
        let ids: Vec<String> = (0..MOST_OPEN_SESSIONS + 20)
            .map(|_| uuid::Uuid::now_v7().to_string())
            .collect();
        let held = sessions.namespace(&ids[0]).unwrap();
        held.store.add_user("tia", Role::Trainee, "x").unwrap();
        for id in &ids[1..] {
            sessions.namespace(id).unwrap();
        }
        assert!(sessions.open_count() <= MOST_OPEN_SESSIONS);
        // The one held is still the same store (nothing of it was closed under its holder)...
        let again = sessions.namespace(&ids[0]).unwrap();
        assert!(Arc::ptr_eq(&held.store, &again.store));
        // ...and a closed one opens again with what it held.
        let closed = sessions.namespace(&ids[1]).unwrap();
        closed.store.add_user("tom", Role::Trainee, "x").unwrap();
        drop(closed);
        for id in &ids[2..] {
            sessions.namespace(id).unwrap();
        }
        assert!(
            sessions
                .namespace(&ids[1])
                .unwrap()
                .store
                .user("tom")
                .unwrap()
                .is_some()
        );
    }
}
