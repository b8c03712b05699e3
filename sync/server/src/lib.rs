//! The thin central server (axum): sign-in, push, pull, health and metrics. It is generic
//! over the table registry and holds no UI workflow.

/// A clock counter at or above this is re-stamped by the server: a counter runs to 999,999
/// at most, and one near the end would carry consoles past what a clock time can say.
pub const COUNTER_LIMIT: u32 = 100_000;

pub mod auth;
pub mod backup;
pub mod cli;
pub mod metrics;
pub mod outbound;
pub mod postgres;
pub mod repair;
pub mod rules;
pub mod serving;
pub mod store;
pub mod telemetry;
#[doc(hidden)]
pub mod testing;
pub mod throttle;
pub mod training;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use serde::Deserialize;
use tower_http::timeout::TimeoutLayer;

use self::auth::{BoundDevice, Principal};
use self::metrics::Metrics;
use self::store::{Registration, Store, StoreError};
use galaxium_sync::protocol::{
    DEVICE_HEADER, DeviceClaim, ErrorBody, LoginRequest, LoginResponse, MAX_PULL_OPS, MAX_PUSH_OPS,
    OLDEST_ACCEPTED_VERSION, OpResult, PROTOCOL_HEADER, PROTOCOL_VERSION, PushRequest,
    PushResponse, is_device_id,
};
use galaxium_sync::schema::registry::Role;

/// The largest request body the server reads.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// How long one request may take before the server gives up on it.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Everything a request handler needs.
pub struct AppState {
    /// Where data lives.
    pub store: Arc<dyn Store>,
    /// Counters for `/metrics`.
    pub metrics: Metrics,
    /// How long a token lives.
    pub token_ttl: chrono::Duration,
    /// Telemetry frames on their way to every connected console.
    pub telemetry: tokio::sync::broadcast::Sender<Arc<galaxium_sync::protocol::TelemetryFrame>>,
    /// Training sessions, each in its own namespace.
    pub training: training::Sessions,
    /// Failed sign-ins per user and per address.
    pub throttle: throttle::Throttle,
    /// Password checks, a few at once (each holds some 19 MiB while it runs).
    pub password_checks: auth::PasswordChecks,
    /// Moves on when any sign-in ends (read from the store every [`SIGN_IN_ENDINGS_READ_EVERY`]
    /// while serving): the live feeds then look at their own sign-ins at once.
    pub sign_ins_ended: tokio::sync::watch::Sender<u64>,
    /// Whether a sign-in without a device key may push and pull for a device it names (one no
    /// console has claimed): only while a site upgrades consoles older than device keys.
    pub admits_unclaimed_devices: bool,
}

/// How often a serving server reads whether a sign-in has ended (a revocation from the command
/// line reaches the live feeds within this).
pub const SIGN_IN_ENDINGS_READ_EVERY: Duration = Duration::from_secs(1);

/// Password checks run at once; the rest wait their turn.
pub const HASHING_AT_ONCE: usize = 2;
/// Sign-ins that may wait for a password check; more are turned away at once (503).
pub const HASHING_QUEUE: usize = 64;

impl AppState {
    /// The state of a server on `store` whose sign-ins last `token_ttl`. Training sessions
    /// are kept inside the store's database where it holds them (PostgreSQL), otherwise in
    /// memory until [`AppState::with_training_dir`] names a folder for them.
    pub fn new(store: Arc<dyn Store>, token_ttl: chrono::Duration) -> Self {
        let telemetry = tokio::sync::broadcast::channel(telemetry::RELAY_BACKLOG).0;
        store.relay_from_other_instances(telemetry.clone());
        // On PostgreSQL the sessions live in its database, whoever starts the server.
        let training = if store.holds_training_sessions() {
            training::Sessions::within(Arc::clone(&store))
        } else {
            training::Sessions::default()
        };
        Self {
            store,
            metrics: Metrics::default(),
            token_ttl,
            telemetry,
            training,
            throttle: throttle::Throttle::default(),
            password_checks: auth::PasswordChecks::start(HASHING_AT_ONCE, HASHING_QUEUE),
            admits_unclaimed_devices: false,
            sign_ins_ended: tokio::sync::watch::Sender::new(0),
        }
    }

    /// Lets sign-ins without a device key push and pull for a device they name, as long as no
    /// console has claimed it (`--allow-unclaimed-devices`).
    #[must_use]
    pub fn admitting_unclaimed_devices(mut self) -> Self {
        self.admits_unclaimed_devices = true;
        self
    }

    /// Keeps each training session's database in `dir` (one file per session).
    #[must_use]
    pub fn with_training_dir(mut self, dir: std::path::PathBuf) -> Self {
        self.training = training::Sessions::in_dir(dir);
        self
    }

    /// Keeps training sessions where `sessions` says (a schema each on PostgreSQL).
    #[must_use]
    pub fn with_training(mut self, sessions: training::Sessions) -> Self {
        self.training = sessions;
        self
    }

    /// The operational namespace: the replicated rows and telemetry of real operations.
    pub fn operational(&self) -> Namespace {
        Namespace {
            store: Arc::clone(&self.store),
            telemetry: self.telemetry.clone(),
            sandbox: false,
        }
    }
}

/// Where one namespace's replicated rows and telemetry live: operations, or one training
/// session.
#[derive(Clone)]
pub struct Namespace {
    /// Its rows and telemetry.
    pub store: Arc<dyn Store>,
    /// Its telemetry frames on their way to the consoles following it.
    pub telemetry: tokio::sync::broadcast::Sender<Arc<galaxium_sync::protocol::TelemetryFrame>>,
    /// A training session's: its participants act with every write and read the registry
    /// allows. Its people are the scenario's, or pseudonymised when the session began as a
    /// copy of a replica (no personal column of a real passenger is in it), and trainees
    /// practise the desk's work on them.
    pub sandbox: bool,
}

impl Namespace {
    /// Who `principal` acts as here.
    fn acting_as(&self, principal: &Principal) -> Principal {
        if self.sandbox {
            Principal {
                role: Role::Admin,
                practising: true,
                ..principal.clone()
            }
        } else {
            principal.clone()
        }
    }
}

/// The HTTP routes with their limits.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/metrics", get(metrics_text))
        .route("/api/v1/login", post(login))
        .route("/api/v1/logout", post(logout))
        .route("/api/v1/admin/audit", get(audit_log))
        .route("/api/v1/push", post(push))
        .route("/api/v1/pull", get(pull))
        .route("/api/v1/telemetry/batch", post(telemetry::ingest))
        .route("/api/v1/telemetry/live", get(telemetry::live))
        .route("/api/v1/telemetry/commands", get(telemetry::uplink))
        .route(
            "/api/v1/training/sessions",
            get(training::list).post(training::create),
        )
        .route("/api/v1/training/sessions/{id}", get(training::show))
        .route(
            "/api/v1/training/sessions/{id}/clock",
            axum::routing::put(training::set_clock),
        )
        .route("/api/v1/training/sessions/{id}/push", post(training::push))
        .route("/api/v1/training/sessions/{id}/pull", get(training::pull))
        .route(
            "/api/v1/training/sessions/{id}/telemetry/batch",
            post(training::ingest),
        )
        .route(
            "/api/v1/training/sessions/{id}/telemetry/live",
            get(training::live),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&state),
            time_request,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .with_state(state)
}

/// Times each request for the per-endpoint duration histogram of `/metrics`.
async fn time_request(
    State(state): State<Arc<AppState>>,
    route: Option<axum::extract::MatchedPath>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let endpoint = route.map_or("other", |route| metrics::endpoint_of(route.as_str()));
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    state.metrics.duration(endpoint, started.elapsed());
    response
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    tokio::spawn(watch_sign_in_endings(Arc::downgrade(&state)));
    serving::serve_with_limits(listener, router(state), None, shutdown).await
}

/// Serves through TLS (`tls` from [`serving::tls_config`]) until `shutdown` resolves.
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    tls: Arc<tokio_rustls::rustls::ServerConfig>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    tokio::spawn(watch_sign_in_endings(Arc::downgrade(&state)));
    serving::serve_with_limits(listener, router(state), Some(tls), shutdown).await
}

/// Reads every second whether a sign-in has ended, and tells the live feeds when one has;
/// ends with the server (when its state is gone).
async fn watch_sign_in_endings(state: std::sync::Weak<AppState>) {
    let mut every = tokio::time::interval(SIGN_IN_ENDINGS_READ_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let Some(state) = state.upgrade() else {
            return;
        };
        let store = Arc::clone(&state.store);
        match blocking(move || store.sign_ins_ended()).await {
            Ok(generation) => {
                state.sign_ins_ended.send_if_modified(|seen| {
                    let moved = *seen != generation;
                    *seen = generation;
                    moved
                });
            }
            Err(err) => tracing::warn!("cannot read whether sign-ins ended: {err:?}"),
        }
    }
}

/// An error answer: a status and a sentence.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    /// Seconds after which trying again may succeed (`Retry-After`).
    retry_after: Option<u64>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    /// The same, with the seconds to wait before trying again.
    pub(crate) fn retry_after(mut self, wait: Duration) -> Self {
        // Whole seconds, rounded up: a client never comes back a moment too early.
        self.retry_after = Some(wait.as_secs() + u64::from(wait.subsec_nanos() > 0));
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(ErrorBody {
                error: self.message,
            }),
        )
            .into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        if let StoreError::DeviceClaimed(_) = err {
            return Self::new(StatusCode::FORBIDDEN, err.to_string());
        }
        // A key the request repeats is the request's fault, not an outage a console should
        // retry for ever.
        let sqlite_constraint = matches!(
            &err,
            StoreError::Database(rusqlite::Error::SqliteFailure(cause, _))
                if cause.code == rusqlite::ErrorCode::ConstraintViolation
        );
        if sqlite_constraint || matches!(err, StoreError::PostgresConstraint(_)) {
            tracing::warn!("a request broke a constraint: {err}");
            return Self::new(
                StatusCode::CONFLICT,
                "the request conflicts with what the server holds; it was not applied",
            );
        }
        tracing::error!("store failed: {err}");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server cannot reach its database; try again shortly",
        )
    }
}

/// Runs blocking store work off the async runtime.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| {
            tracing::error!("store task failed: {err}");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the server failed; try again",
            )
        })?
        .map_err(ApiError::from)
}

pub(crate) fn check_protocol(headers: &HeaderMap) -> Result<(), ApiError> {
    let version = headers
        .get(PROTOCOL_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u32>().ok());
    match version {
        Some(v) if (OLDEST_ACCEPTED_VERSION..=PROTOCOL_VERSION).contains(&v) => Ok(()),
        Some(v) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "protocol version {v} is not spoken here; this server accepts {OLDEST_ACCEPTED_VERSION} to {PROTOCOL_VERSION}. Update the console"
            ),
        )),
        None => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("the {PROTOCOL_HEADER} header is missing or not a number"),
        )),
    }
}

pub(crate) async fn authenticate(
    state: &Arc<AppState>,
    headers: &HeaderMap,
) -> Result<Principal, ApiError> {
    authenticate_until(state, headers).await.map(|(p, _)| p)
}

/// As [`authenticate_until`], also taking a service account's API token of `scope` (which
/// every other endpoint refuses).
pub(crate) async fn authenticate_for(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    scope: auth::Scope,
) -> Result<(Principal, chrono::DateTime<Utc>), ApiError> {
    let (principal, expires) = authenticate_any(state, headers).await?;
    match principal.scope {
        Some(granted) if granted != scope => Err(scope_refused(granted)),
        _ => Ok((principal, expires)),
    }
}

fn scope_refused(granted: auth::Scope) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        format!(
            "this API token may only be used for {}; people sign in for the rest",
            granted.as_str()
        ),
    )
}

/// The bearer token of a request, if it has one.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// Appends to the audit log off the runtime; a failure to write it is logged, never the
/// request's failure.
pub(crate) async fn audit(
    state: &AppState,
    (actor, action): (&str, &'static str),
    subject: Option<&str>,
    detail: String,
    address: Option<std::net::IpAddr>,
) {
    let store = state.store.clone();
    let (actor, subject) = (actor.to_owned(), subject.map(str::to_owned));
    let address = address.map(|a| a.to_string());
    let written = tokio::task::spawn_blocking(move || {
        store.audit(&store::NewAuditEntry {
            actor: &actor,
            action,
            subject: subject.as_deref(),
            detail: &detail,
            address: address.as_deref(),
        })
    })
    .await;
    if !matches!(written, Ok(Ok(()))) {
        tracing::error!("the audit log could not be written: {action}");
    }
}

/// The principal behind the request's token and when the token expires; a service account's
/// API token is refused here (see [`authenticate_for`]).
pub(crate) async fn authenticate_until(
    state: &Arc<AppState>,
    headers: &HeaderMap,
) -> Result<(Principal, chrono::DateTime<Utc>), ApiError> {
    let (principal, expires) = authenticate_any(state, headers).await?;
    if let Some(granted) = principal.scope {
        return Err(scope_refused(granted));
    }
    Ok((principal, expires))
}

async fn authenticate_any(
    state: &Arc<AppState>,
    headers: &HeaderMap,
) -> Result<(Principal, chrono::DateTime<Utc>), ApiError> {
    let token = bearer_token(headers).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "sign in first: this needs an Authorization: Bearer token",
        )
    })?;
    let hash = auth::token_hash(token);
    let store = state.store.clone();
    let found = blocking(move || store.token(&hash)).await?;
    match found {
        Some((principal, expires)) if expires > Utc::now() => Ok((principal, expires)),
        Some(_) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "your sign-in has expired; sign in again",
        )),
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "this sign-in is not known here (it ended, or the server was put back to a copy); sign in again",
        )),
    }
}

async fn health(State(state): State<Arc<AppState>>) -> Result<Json<serde_json::Value>, ApiError> {
    state.metrics.request("health");
    let store = state.store.clone();
    blocking(move || store.ping()).await?;
    Ok(Json(
        serde_json::json!({ "status": "ok", "protocol": PROTOCOL_VERSION }),
    ))
}

async fn metrics_text(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    state.metrics.request("metrics");
    let (principal, _) = authenticate_for(&state, &headers, auth::Scope::Metrics).await?;
    if !matches!(principal.role, Role::Admin | Role::Controller) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "the {} role may not read server metrics; an admin or controller can",
                principal.role.as_str()
            ),
        ));
    }
    let store = state.store.clone();
    let figures = blocking(move || store.stats()).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(figures),
    )
        .into_response())
}

/// The user whose password this is, with the waits, the audit and the checks' limits of a
/// sign-in; or why not.
async fn check_password(
    state: &AppState,
    user_name: &str,
    password: String,
    address: Option<std::net::IpAddr>,
) -> Result<store::UserRecord, ApiError> {
    // Guessing is slowed, not answered: during a wait no password is checked.
    if let Some(wait) = state
        .throttle
        .wait(user_name, address, std::time::Instant::now())
    {
        state.metrics.login_failed();
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "too many failed sign-ins; try again in {} s",
                wait.as_secs().max(1)
            ),
        )
        .retry_after(wait));
    }
    let store = state.store.clone();
    let name = user_name.to_owned();
    let user = blocking(move || store.user(&name)).await?;
    // Verify against a real hash even for unknown users, so timing does not tell who exists.
    let verified = state
        .password_checks
        .run(move || {
            if let Some(user) = user {
                auth::verify_password(&password, &user.password_hash).then_some(user)
            } else {
                auth::verify_unknown_user(&password);
                None
            }
        })
        .await
        .map_err(|auth::ChecksBusy| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the server is busy checking other sign-ins; try again in a moment",
            )
            .retry_after(Duration::from_secs(1))
        })?;
    let Some(user) = verified else {
        state.metrics.login_failed();
        state
            .throttle
            .failed(user_name, address, std::time::Instant::now());
        audit(
            state,
            (user_name, "sign-in-failed"),
            None,
            String::new(),
            address,
        )
        .await;
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "wrong user name or password",
        ));
    };
    state.throttle.succeeded(user_name, address);
    if user.disabled {
        audit(
            state,
            (&user.name, "sign-in-refused"),
            None,
            "the account is disabled".into(),
            address,
        )
        .await;
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "this account is disabled; an admin can enable it",
        ));
    }
    Ok(user)
}

async fn login(
    State(state): State<Arc<AppState>>,
    peer: serving::Peer,
    headers: HeaderMap,
    body: Result<Json<LoginRequest>, JsonRejection>,
) -> Result<Json<LoginResponse>, ApiError> {
    state.metrics.request("login");
    check_protocol(&headers)?;
    let Json(request) = body.map_err(bad_json)?;
    let address = peer.map(|axum::Extension(ConnectInfo(peer))| peer.ip());
    let user = check_password(&state, &request.user, request.password, address).await?;
    let token = auth::new_token();
    let expires_at = Utc::now() + state.token_ttl;
    let mut principal = Principal::of(user.name, user.role);
    if let Some(claim) = request.device {
        let claimed = claim.id.clone();
        match register_device(&state, &principal, claim).await {
            Ok(device) => principal.device = Some(device),
            Err(err) => {
                audit(
                    &state,
                    (&principal.user, "device-refused"),
                    Some(&claimed),
                    err.message.clone(),
                    address,
                )
                .await;
                return Err(err);
            }
        }
    }
    audit(
        &state,
        (&principal.user, "sign-in"),
        principal.device.as_ref().map(|d| d.id.as_str()),
        format!("as {}", principal.role.as_str()),
        address,
    )
    .await;
    let store = state.store.clone();
    let hash = auth::token_hash(&token);
    let role = principal.role;
    blocking(move || store.save_token(&hash, &principal, expires_at)).await?;
    Ok(Json(LoginResponse {
        token,
        expires_at: galaxium_sync::time::stored(expires_at),
        role: role.as_str().to_owned(),
    }))
}

/// `POST /api/v1/logout`: ends the request's sign-in.
async fn logout(
    State(state): State<Arc<AppState>>,
    peer: serving::Peer,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    state.metrics.request("login");
    check_protocol(&headers)?;
    let principal = authenticate(&state, &headers).await?;
    let hash = bearer_token(&headers)
        .map(auth::token_hash)
        .unwrap_or_default();
    let store = state.store.clone();
    blocking(move || store.revoke_token(&hash)).await?;
    let address = peer.map(|axum::Extension(ConnectInfo(peer))| peer.ip());
    audit(
        &state,
        (&principal.user, "sign-out"),
        None,
        String::new(),
        address,
    )
    .await;
    Ok(Json(serde_json::json!({ "signed_out": true })))
}

/// Query of the audit log.
#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    /// Entries after this one.
    #[serde(default)]
    after: i64,
    /// At most this many (1 to 1,000).
    limit: Option<usize>,
}

/// `GET /api/v1/admin/audit`: the audit log, for admins.
async fn audit_log(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<Vec<store::AuditEntry>>, ApiError> {
    state.metrics.request("other");
    check_protocol(&headers)?;
    let principal = authenticate(&state, &headers).await?;
    if principal.role != Role::Admin {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "the {} role may not read the audit log; an admin can",
                principal.role.as_str()
            ),
        ));
    }
    let Query(query) = query.map_err(|err| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("bad audit query ({err}); use ?after=ID&limit=N"),
        )
    })?;
    let limit = query.limit.unwrap_or(100).clamp(1, 1_000);
    let store = state.store.clone();
    Ok(Json(
        blocking(move || store.audit_entries(query.after, limit)).await?,
    ))
}

/// Registers the console signing in as its device (or checks its key); the token will be
/// bound to it.
async fn register_device(
    state: &Arc<AppState>,
    principal: &Principal,
    claim: DeviceClaim,
) -> Result<BoundDevice, ApiError> {
    if !is_device_id(&claim.id) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "the device id is not one a console has (1 to 64 letters, digits and dashes)",
        ));
    }
    if claim.key.len() < 32 || claim.key.len() > 128 {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "the device key is not one a console makes (32 to 128 characters)",
        ));
    }
    let store = state.store.clone();
    let key_hash = auth::token_hash(&claim.key);
    let (id, training, who) = (claim.id.clone(), claim.training, principal.clone());
    match blocking(move || store.register_device(&id, &key_hash, training, &who)).await? {
        Registration::Registered => Ok(BoundDevice {
            id: claim.id,
            training: claim.training,
        }),
        Registration::Taken => {
            tracing::warn!(
                user = %principal.user,
                device = %claim.id,
                "a sign-in claimed a device registered to another console"
            );
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!(
                    "device {} is registered to another console; a copied replica gets an id of its own when it is restored with `galaxium db restore`",
                    claim.id
                ),
            ))
        }
    }
}

/// The device a push speaks for: the one the token is bound to (a request naming another is
/// refused). A sign-in without a device key (an older console's) speaks for none, unless the
/// server admits such consoles while a site upgrades: then for the one it names.
pub(crate) fn speaking_for(
    state: &AppState,
    principal: &Principal,
    named: &str,
) -> Result<String, ApiError> {
    match &principal.device {
        Some(bound) if bound.id != named => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "this sign-in belongs to device {}, not {named}; sign in again on this console",
                bound.id
            ),
        )),
        Some(bound) => Ok(bound.id.clone()),
        None if state.admits_unclaimed_devices => Ok(named.to_owned()),
        None => Err(unclaimed_refused()),
    }
}

fn unclaimed_refused() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "this sign-in carries no device key, so it cannot push or keep a pull cursor for a \
         console; sign in again from the console (a console too old to send its key must be \
         updated, or the server started with --allow-unclaimed-devices while it is)",
    )
}

/// The device a pull is for: the token's, or the header's for a sign-in without a device.
pub(crate) fn pulling_for(
    state: &AppState,
    principal: &Principal,
    headers: &HeaderMap,
) -> Result<Option<String>, ApiError> {
    let named = headers
        .get(DEVICE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    match (&principal.device, named) {
        (_, Some(named)) => speaking_for(state, principal, &named).map(Some),
        (Some(bound), None) => Ok(Some(bound.id.clone())),
        // Reading without a cursor kept for a console needs no device.
        (None, None) => Ok(None),
    }
}

async fn push(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Json<PushRequest>, JsonRejection>,
) -> Result<Json<PushResponse>, ApiError> {
    state.metrics.request("push");
    check_protocol(&headers)?;
    let principal = authenticate(&state, &headers).await?;
    if principal.role == Role::Trainee {
        return Err(trainee_refused());
    }
    let Json(request) = body.map_err(bad_json)?;
    check_push(&request)?;
    speaking_for(&state, &principal, &request.device_id)?;
    // Nothing a trainee does may reach operational data: a sandbox says so in its push, and
    // a sandbox's sign-in says so for good (it registered as one).
    if request.training || principal.device.as_ref().is_some_and(|d| d.training) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "these ops come from a training sandbox; they are never applied to operational tables",
        ));
    }
    push_into(&state, &state.operational(), principal, request).await
}

fn trainee_refused() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "trainee accounts work only in training sessions, never on operational data",
    )
}

/// Refuses a push too big or without a device, before any work.
pub(crate) fn check_push(request: &PushRequest) -> Result<(), ApiError> {
    if request.ops.len() > MAX_PUSH_OPS {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "{} ops in one push; send at most {MAX_PUSH_OPS} at a time",
                request.ops.len()
            ),
        ));
    }
    if request.device_id.trim().is_empty() {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "device_id is empty"));
    }
    if request.device_id == galaxium_sync::protocol::SERVER_DEVICE {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "device_id names the server itself; a console pushes under its own device id",
        ));
    }
    Ok(())
}

/// Validates and orders a push in `namespace`.
pub(crate) async fn push_into(
    state: &AppState,
    namespace: &Namespace,
    principal: Principal,
    request: PushRequest,
) -> Result<Json<PushResponse>, ApiError> {
    let store = namespace.store.clone();
    if let Some(epoch) = &request.epoch
        && *epoch != store.epoch().id
    {
        return Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "this server's op log is in another epoch than the one this console last pulled in \
             (it was put back to a copy, or it is another server); pull first, then send \
             again. Nothing of this push was judged",
        ));
    }
    let (user, device) = (principal.user.clone(), request.device_id.clone());
    let command_stages = command_stages_in(&request);
    let acting = namespace.acting_as(&principal);
    let reader = acting.clone();
    let settled = blocking(move || store.push(&acting, &request.device_id, &request.ops)).await?;
    let results: Vec<OpResult> = outbound::for_reader(&reader, settled)
        .into_iter()
        .map(|settled| settled.result)
        .collect();
    let rejected = results
        .iter()
        .filter(|r| matches!(r, OpResult::Rejected { .. }))
        .count() as u64;
    state.metrics.ops(results.len() as u64 - rejected, rejected);
    for (op_id, stage, detail) in command_stages {
        let accepted = results
            .iter()
            .any(|r| matches!(r, OpResult::Accepted { op_id: id } if *id == op_id));
        if accepted {
            let place = if namespace.sandbox {
                "in a training session: "
            } else {
                ""
            };
            audit(
                state,
                (&user, rules::commanding::audit_action(&stage)),
                Some(&device),
                format!("{place}{detail}"),
                None,
            )
            .await;
        }
    }
    if rejected > 0 {
        audit(
            state,
            (&user, "ops-refused"),
            Some(&device),
            format!("{rejected} of {} ops refused", results.len()),
            None,
        )
        .await;
    }
    Ok(Json(PushResponse {
        results,
        server_time: Some(galaxium_sync::time::stored(chrono::Utc::now())),
    }))
}

/// The command stages a push records: each op's id, the stage, and what the audit log keeps
/// of it. The audit log is the server's own record: nobody edits it, whatever a replica holds.
fn command_stages_in(request: &PushRequest) -> Vec<(String, String, String)> {
    request
        .ops
        .iter()
        .filter(|op| {
            op.table == "command_stages" && op.kind == galaxium_sync::protocol::OpKind::Insert
        })
        .map(|op| {
            let text = |column: &str| {
                op.payload
                    .get(column)
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            let stage = text("stage");
            let detail = format!(
                "command {} {stage} at {}{}",
                text("command_id"),
                text("at"),
                match text("detail") {
                    d if d.is_empty() => String::new(),
                    d => format!(": {}", d.chars().take(300).collect::<String>()),
                }
            );
            (op.op_id.clone(), stage, detail)
        })
        .collect()
}

/// Query of a pull.
#[derive(Debug, Deserialize)]
pub struct PullQuery {
    /// Ops after this cursor.
    #[serde(default)]
    after: u64,
    /// At most this many.
    limit: Option<usize>,
}

async fn pull(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: Result<Query<PullQuery>, QueryRejection>,
) -> Result<Json<galaxium_sync::protocol::PullResponse>, ApiError> {
    state.metrics.request("pull");
    check_protocol(&headers)?;
    let principal = authenticate(&state, &headers).await?;
    if principal.role == Role::Trainee {
        return Err(trainee_refused());
    }
    pull_from(&state, &state.operational(), principal, &headers, query).await
}

/// One page of `namespace`'s ops after the query's cursor.
pub(crate) async fn pull_from(
    state: &AppState,
    namespace: &Namespace,
    principal: Principal,
    headers: &HeaderMap,
    query: Result<Query<PullQuery>, QueryRejection>,
) -> Result<Json<galaxium_sync::protocol::PullResponse>, ApiError> {
    let Query(query) = query.map_err(|err| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("bad pull query ({err}); use ?after=CURSOR&limit=N"),
        )
    })?;
    let limit = query.limit.unwrap_or(1_000).clamp(1, MAX_PULL_OPS);
    let device = pulling_for(state, &principal, headers)?;
    let store = namespace.store.clone();
    let acting = namespace.acting_as(&principal);
    let reader = acting.clone();
    let page = blocking(move || store.pull(&acting, device.as_deref(), query.after, limit)).await?;
    Ok(Json(outbound::for_reader(&reader, page)))
}

async fn method_not_allowed(
    State(state): State<Arc<AppState>>,
    method: axum::http::Method,
    uri: axum::http::Uri,
) -> ApiError {
    state.metrics.request("other");
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "{} does not take {method}; see galaxium-server --help for its endpoints",
            uri.path()
        ),
    )
}

async fn not_found(State(state): State<Arc<AppState>>) -> ApiError {
    state.metrics.request("other");
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no such endpoint; see /health, /metrics, /api/v1/{login,push,pull} and /api/v1/telemetry/{batch,live}",
    )
}

#[allow(
    clippy::needless_pass_by_value,
    reason = "used as map_err(bad_json), which hands over the rejection"
)]
pub(crate) fn bad_json(rejection: JsonRejection) -> ApiError {
    ApiError::new(
        rejection.status(),
        format!(
            "the request body is not what was expected: {}",
            rejection.body_text()
        ),
    )
}
