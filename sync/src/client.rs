//! The sync client: signs in, pushes pending ops, pulls what others did.
//!
//! Errors say whether a retry can help: an unreachable server can (the replica keeps working
//! offline meanwhile); an expired sign-in or a refused role cannot until a person acts.

use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use crate::protocol::{
    DEVICE_HEADER, ErrorBody, LoginRequest, LoginResponse, MAX_PUSH_OPS, MissionClock,
    NewTrainingSession, OpResult, PROTOCOL_HEADER, PROTOCOL_VERSION, PullResponse, PushRequest,
    PushResponse, TelemetryAccepted, TelemetryBatch, TrainingSession,
};
use crate::replica::{Replica, ReplicaError, SyncRun};

/// The most op bytes one push sends (the server reads bodies up to 16 MiB).
pub const PUSH_BYTES: usize = 8 * 1024 * 1024;
/// How many pulled ops to ask for per page.
pub const PULL_PAGE: usize = 2_000;

/// The environment variable naming the operator's own certificate authority (PEM): a site
/// that signs its server's certificate itself names its CA here, on every console, and the
/// console then trusts that authority alone.
pub const AUTHORITY_FILE_VARIABLE: &str = "GALAXIUM_CA_FILE";

/// The operator's certificate authority file and its bytes, when one is named.
pub(crate) fn operator_authority() -> Result<Option<(String, Vec<u8>)>, SyncError> {
    let Some(path) = std::env::var_os(AUTHORITY_FILE_VARIABLE) else {
        return Ok(None);
    };
    let shown = path.to_string_lossy().into_owned();
    std::fs::read(&path)
        .map(|bytes| Some((shown, bytes)))
        .map_err(|err| authority_error(&err.to_string()))
}

/// The server's reason, with the advice to sign in again unless it gives it already.
fn with_advice_to_sign_in(reason: &str) -> String {
    if reason.to_lowercase().contains("sign in again") {
        reason.to_owned()
    } else {
        format!("{reason}. Sign in again")
    }
}

pub(crate) fn authority_error(cause: &str) -> SyncError {
    SyncError::AuthorityFile {
        path: std::env::var(AUTHORITY_FILE_VARIABLE).unwrap_or_default(),
        cause: cause.to_owned(),
    }
}

/// Why a sync did not complete.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// No answer from the server.
    #[error(
        "cannot reach the server at {url} ({cause}); this console keeps working offline and will try again"
    )]
    Unreachable {
        /// The server.
        url: String,
        /// What the network said.
        cause: String,
    },
    /// The sign-in is missing, wrong or expired.
    #[error("the server refused the sign-in: {}", with_advice_to_sign_in(.0))]
    Unauthorized(String),
    /// The role may not do this.
    #[error("the server refused: {0}")]
    Forbidden(String),
    /// The server's op log is in another epoch than the one this console pulled in (it was
    /// restored from a copy): a sync pulls first, then sends again.
    #[error("the server was restored from a copy since this console last synced: {0}")]
    EpochChanged(String),
    /// Any other refusal or failure, with the server's reason.
    #[error("the server answered {status}: {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// The server's sentence.
        message: String,
    },
    /// The operator's certificate authority file (`GALAXIUM_CA_FILE`) cannot be used.
    #[error("the certificate authority file {path} (GALAXIUM_CA_FILE) cannot be used: {cause}")]
    AuthorityFile {
        /// The file.
        path: String,
        /// Why.
        cause: String,
    },
    /// The server's answer could not be read.
    #[error("the server's answer could not be read ({0}); is that URL a Galaxium server?")]
    BadAnswer(String),
    /// The local replica failed.
    #[error(transparent)]
    Replica(#[from] ReplicaError),
}

impl SyncError {
    /// Whether trying again later, unchanged, can succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            // The next sync pulls first and learns the epoch.
            Self::Unreachable { .. } | Self::EpochChanged(_) => true,
            Self::Server { status, .. } => *status >= 500 || *status == 408 || *status == 429,
            _ => false,
        }
    }
}

/// What one sync did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyncSummary {
    /// Ops sent.
    pub pushed: u64,
    /// Of those, refused (now in the conflicts inbox).
    pub rejected: u64,
    /// Ops received.
    pub pulled: u64,
    /// Request bytes sent.
    pub bytes_up: u64,
    /// Response bytes received.
    pub bytes_down: u64,
    /// How long it took.
    pub duration_ms: u64,
    /// Pulled ops this replica could not apply, kept aside (listed in the Sync view).
    pub set_aside: u64,
    /// Refusals the server reached after accepting this console's ops, now in the inbox.
    pub late_refusals: u64,
    /// Ops sent again because the server's op log is another epoch than this console's
    /// (restored from a copy, or another server).
    pub resent: u64,
    /// How far this console's clock is ahead of the server's (negative: behind), in
    /// milliseconds, when the server said its time.
    pub clock_offset_ms: Option<i64>,
}

impl SyncSummary {
    /// The warning for a clock that differs from the server's by more than the server
    /// allows ([`crate::protocol::MAX_CLOCK_AHEAD`]), if it does.
    pub fn clock_warning(&self) -> Option<String> {
        let offset = self.clock_offset_ms?;
        let allowed =
            i64::try_from(crate::protocol::MAX_CLOCK_AHEAD.as_millis()).unwrap_or(i64::MAX);
        if offset.abs() <= allowed {
            return None;
        }
        let minutes = offset.unsigned_abs() / 60_000;
        let span = if minutes >= 120 {
            format!("{} h {} min", minutes / 60, minutes % 60)
        } else {
            format!("{minutes} min")
        };
        Some(if offset > 0 {
            format!(
                "this console's clock is {span} ahead of the server's: set it right (meanwhile the server takes its edits at the server's time)"
            )
        } else {
            format!(
                "this console's clock is {span} behind the server's: set it right, or its edits lose to older ones made elsewhere"
            )
        })
    }
}

impl std::fmt::Display for SyncSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pushed {} ({} rejected), pulled {}, {} bytes up, {} bytes down, {} ms",
            self.pushed,
            self.rejected,
            self.pulled,
            self.bytes_up,
            self.bytes_down,
            self.duration_ms
        )?;
        if self.resent > 0 {
            write!(
                f,
                "; the server was restored from a copy: {} changes this console had sent were sent again",
                self.resent
            )?;
        }
        if self.late_refusals > 0 {
            write!(
                f,
                "; {} earlier edits refused by the server's repair (see the conflicts inbox)",
                self.late_refusals
            )?;
        }
        if self.set_aside > 0 {
            write!(
                f,
                "; {} pulled changes could not be applied and were kept aside (see the Sync view)",
                self.set_aside
            )?;
        }
        if let Some(warning) = self.clock_warning() {
            write!(f, "; warning: {warning}")?;
        }
        Ok(())
    }
}

/// An HTTP client for one server.
#[derive(Debug, Clone)]
pub struct SyncClient {
    http: reqwest::Client,
    base: String,
    /// Where push, pull and telemetry live: operations (`/api/v1`) or a training session.
    api: String,
    token: Option<String>,
}

impl SyncClient {
    /// A client for the server at `base` (such as `http://127.0.0.1:8780`).
    pub fn new(base: &str) -> Result<Self, SyncError> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_mins(1))
            // The server closes a connection idle for 10 s; the client lets go first, so a
            // request never goes out on a connection the server is closing.
            .pool_idle_timeout(Duration::from_secs(5));
        if let Some((_, pem)) = operator_authority()? {
            let certificates = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|err| authority_error(&err.to_string()))?;
            if certificates.is_empty() {
                return Err(authority_error("it holds no PEM certificate"));
            }
            // The site's authority alone: the system's verifier does not take extra roots
            // beside its own, and a console talks to its site's server only.
            builder = builder.tls_certs_only(certificates);
        }
        let http = builder
            .build()
            .map_err(|err| SyncError::BadAnswer(err.to_string()))?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            api: "/api/v1".to_owned(),
            token: None,
        })
    }

    /// The same client working in training session `session`'s namespace: its pushes, pulls
    /// and telemetry go to the session, never to operations.
    #[must_use]
    pub fn in_training_session(mut self, session: &str) -> Self {
        self.api = format!("/api/v1/training/sessions/{session}");
        self
    }

    /// Opens a training session for `scenario` (a trainer's sign-in).
    pub async fn create_training_session(
        &self,
        scenario: &str,
        members: &[&str],
    ) -> Result<TrainingSession, SyncError> {
        let body = serde_json::to_vec(&NewTrainingSession {
            scenario: scenario.to_owned(),
            members: members.iter().map(|m| (*m).to_owned()).collect(),
        })
        .map_err(|err| SyncError::BadAnswer(err.to_string()))?;
        let url = format!("{}/api/v1/training/sessions", self.base);
        let (session, _, _) = self
            .send(self.authorised(self.http.post(url)), Some(body))
            .await?;
        Ok(session)
    }

    /// Ends this sign-in on the server (the token stops working there at once) and forgets it.
    pub async fn logout(&mut self) -> Result<(), SyncError> {
        let url = format!("{}/api/v1/logout", self.base);
        let result = self
            .send::<serde_json::Value>(self.authorised(self.http.post(url)), None)
            .await;
        self.token = None;
        result.map(|_| ())
    }

    /// The training sessions the server has, newest first.
    pub async fn training_sessions(&self) -> Result<Vec<TrainingSession>, SyncError> {
        let url = format!("{}/api/v1/training/sessions", self.base);
        let (sessions, _, _) = self.send(self.authorised(self.http.get(url)), None).await?;
        Ok(sessions)
    }

    /// One training session, with its clock.
    pub async fn training_session(&self, session: &str) -> Result<TrainingSession, SyncError> {
        let url = format!("{}/api/v1/training/sessions/{session}", self.base);
        let (found, _, _) = self.send(self.authorised(self.http.get(url)), None).await?;
        Ok(found)
    }

    /// Sets a training session's mission clock (the trainer's).
    pub async fn set_training_clock(
        &self,
        session: &str,
        clock: &MissionClock,
    ) -> Result<TrainingSession, SyncError> {
        let body =
            serde_json::to_vec(clock).map_err(|err| SyncError::BadAnswer(err.to_string()))?;
        let url = format!("{}/api/v1/training/sessions/{session}/clock", self.base);
        let (found, _, _) = self
            .send(self.authorised(self.http.put(url)), Some(body))
            .await?;
        Ok(found)
    }

    /// The server's address.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Uses a token from an earlier sign-in.
    #[must_use]
    pub fn with_token(mut self, token: String) -> Self {
        self.token = Some(token);
        self
    }

    /// Signs in without a device (a telemetry producer); the token is kept for later
    /// requests, the password is not.
    pub async fn login(&mut self, user: &str, password: &str) -> Result<LoginResponse, SyncError> {
        self.login_as(user, password, None).await
    }

    /// Signs in as the console `device` claims (see `Replica::device_claim`): the token is
    /// bound to that device, and the server takes the device from it.
    pub async fn login_as(
        &mut self,
        user: &str,
        password: &str,
        device: Option<crate::protocol::DeviceClaim>,
    ) -> Result<LoginResponse, SyncError> {
        let body = serde_json::to_vec(&LoginRequest {
            user: user.to_owned(),
            password: password.to_owned(),
            device,
        })
        .map_err(|err| SyncError::BadAnswer(err.to_string()))?;
        let (response, _, _): (LoginResponse, _, _) = self
            .send(
                self.http.post(format!("{}/api/v1/login", self.base)),
                Some(body),
            )
            .await?;
        self.token = Some(response.token.clone());
        Ok(response)
    }

    /// Pushes a batch; returns the verdicts and the bytes sent and received.
    pub async fn push(&self, request: &PushRequest) -> Result<(PushResponse, u64, u64), SyncError> {
        let body =
            serde_json::to_vec(request).map_err(|err| SyncError::BadAnswer(err.to_string()))?;
        self.send(
            self.authorised(self.http.post(format!("{}{}/push", self.base, self.api))),
            Some(body),
        )
        .await
    }

    /// Pulls one page after `after`; returns it and the bytes received.
    pub async fn pull(
        &self,
        device_id: &str,
        after: u64,
        limit: usize,
    ) -> Result<(PullResponse, u64), SyncError> {
        let request = self
            .authorised(self.http.get(format!(
                "{}{}/pull?after={after}&limit={limit}",
                self.base, self.api
            )))
            .header(DEVICE_HEADER, device_id);
        let (page, _, down) = self.send(request, None).await?;
        Ok((page, down))
    }

    /// Sends a telemetry batch (a ground-segment producer's job); the server stores it and
    /// relays it to every console following the live feed.
    pub async fn post_telemetry(
        &self,
        batch: &TelemetryBatch,
    ) -> Result<TelemetryAccepted, SyncError> {
        let body =
            serde_json::to_vec(batch).map_err(|err| SyncError::BadAnswer(err.to_string()))?;
        let (accepted, _, _) = self
            .send(
                self.authorised(
                    self.http
                        .post(format!("{}{}/telemetry/batch", self.base, self.api)),
                ),
                Some(body),
            )
            .await?;
        Ok(accepted)
    }

    /// The commands consoles sent to the vehicle after `after` (the op-log cursor of the last
    /// answer), for the ground segment; without a cursor, none, and the cursor of now.
    pub async fn uplink_commands(
        &self,
        after: Option<u64>,
    ) -> Result<crate::protocol::UplinkCommands, SyncError> {
        let query = after.map_or_else(String::new, |after| format!("?after={after}"));
        let (answer, _, _) = self
            .send(
                self.authorised(self.http.get(format!(
                    "{}{}/telemetry/commands{query}",
                    self.base, self.api
                ))),
                None,
            )
            .await?;
        Ok(answer)
    }

    /// The token from the sign-in, if any.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    fn authorised(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        body: Option<Vec<u8>>,
    ) -> Result<(T, u64, u64), SyncError> {
        let bytes_up = body.as_ref().map_or(0, |b| b.len() as u64);
        let mut request = request.header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string());
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let response = request.send().await.map_err(|err| SyncError::Unreachable {
            url: self.base.clone(),
            cause: without_url(&err),
        })?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|err| SyncError::Unreachable {
                url: self.base.clone(),
                cause: without_url(&err),
            })?;
        if !status.is_success() {
            let message = serde_json::from_slice::<ErrorBody>(&bytes).map_or_else(
                |_| String::from_utf8_lossy(&bytes).chars().take(200).collect(),
                |e| e.error,
            );
            return Err(match status {
                StatusCode::UNAUTHORIZED => SyncError::Unauthorized(message),
                StatusCode::FORBIDDEN => SyncError::Forbidden(message),
                StatusCode::PRECONDITION_FAILED => SyncError::EpochChanged(message),
                other => SyncError::Server {
                    status: other.as_u16(),
                    message,
                },
            });
        }
        let value =
            serde_json::from_slice(&bytes).map_err(|err| SyncError::BadAnswer(err.to_string()))?;
        Ok((value, bytes_up, bytes.len() as u64))
    }
}

/// What went wrong, without the URL (the message names the server already), with the
/// innermost cause: "error sending request" alone does not say that a certificate was
/// refused or a connection reset.
fn without_url(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    if let Some(url) = err.url() {
        text = text.replace(&format!(" for url ({url})"), "");
    }
    let mut innermost = None;
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        innermost = Some(cause.to_string());
        source = cause.source();
    }
    match innermost {
        Some(cause) if !text.contains(&cause) => format!("{text}: {cause}"),
        _ => text,
    }
}

/// One full sync: push every pending op (in batches), then pull every page. Recorded in the
/// replica's sync history when it moved data or failed.
pub async fn sync_once(
    replica: &mut Replica,
    client: &SyncClient,
) -> Result<SyncSummary, SyncError> {
    let started = Instant::now();
    let started_at = crate::time::stored(Utc::now());
    let mut summary = SyncSummary::default();
    let outcome = run_sync(replica, client, &mut summary).await;
    summary.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let run = SyncRun {
        started_at,
        duration_ms: summary.duration_ms,
        server: client.base_url().to_owned(),
        pushed: summary.pushed,
        rejected: summary.rejected,
        pulled: summary.pulled,
        bytes_up: summary.bytes_up,
        bytes_down: summary.bytes_down,
        error: outcome.as_ref().err().map(ToString::to_string),
    };
    // An idle sync every few seconds is not history worth keeping; work and failures are.
    if run.pushed + run.pulled > 0 || run.error.is_some() {
        replica.record_sync_run(&run)?;
    }
    outcome.map(|()| summary)
}

async fn run_sync(
    replica: &mut Replica,
    client: &SyncClient,
    summary: &mut SyncSummary,
) -> Result<(), SyncError> {
    // Nothing a trainee does may reach operational data: a sandbox syncs only with the
    // training session it joined, and says it is a sandbox so operations refuse it anyway.
    let training = replica.kind()? == crate::ReplicaKind::Training;
    let client = if training {
        match replica.training_link()? {
            Some(link) => client.clone().in_training_session(&link.session),
            None => {
                return Err(SyncError::Forbidden(
                    "this replica is a training sandbox; it never syncs with operational data (join it to a training session to sync with the session)".to_owned(),
                ));
            }
        }
    } else {
        client.clone()
    };
    let device_id = replica.device_id().to_owned();
    // More than one pass only when the server's epoch changed (its op log was put back to a
    // copy, or this is another server): what was sent again is pushed, and the pull starts
    // over from the epoch's beginning. A refused push and a changed pull take a pass each.
    for _pass in 0..3 {
        // A server in another epoch refuses a push whole, before judging any op: the pull
        // below learns the epoch, and the next pass sends again.
        let pushed = match push_pending(replica, &client, &device_id, training, summary).await {
            Err(SyncError::EpochChanged(_)) => false,
            other => other.map(|()| true)?,
        };
        if pull_all(replica, &client, &device_id, summary).await? == Pulled::All && pushed {
            return Ok(());
        }
    }
    Err(SyncError::BadAnswer(
        "the server's epoch changed twice in one sync; try again".to_owned(),
    ))
}

/// Whether a pull got to the end.
#[derive(Debug, PartialEq, Eq)]
enum Pulled {
    /// Every page up to the server's head.
    All,
    /// The server is in another epoch: what was sent went back into the outbox and the cursor
    /// back to the epoch's beginning; push and pull again.
    EpochChanged,
}

/// Pushes the outbox in batches.
async fn push_pending(
    replica: &mut Replica,
    client: &SyncClient,
    device_id: &str,
    training: bool,
    summary: &mut SyncSummary,
) -> Result<(), SyncError> {
    loop {
        let mut ops = replica.pending_ops(MAX_PUSH_OPS.min(1_000))?;
        if ops.is_empty() {
            break;
        }
        // Ops carrying attachments are large: a batch stops at PUSH_BYTES (but holds at least
        // one op), well inside the server's body limit.
        let mut bytes = 0;
        let fits = ops
            .iter()
            .take_while(|op| {
                bytes += serde_json::to_vec(&op.payload).map_or(0, |p| p.len()) + 200;
                bytes <= PUSH_BYTES
            })
            .count()
            .max(1);
        ops.truncate(fits);
        let request = PushRequest {
            device_id: device_id.to_owned(),
            ops,
            training,
            epoch: replica.server_epoch()?,
        };
        let (response, up, down) = client.push(&request).await?;
        summary.bytes_up += up;
        summary.bytes_down += down;
        if let Some(server_time) = response
            .server_time
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        {
            summary.clock_offset_ms =
                Some((Utc::now() - server_time.with_timezone(&Utc)).num_milliseconds());
        }
        if response.results.len() != request.ops.len() {
            return Err(SyncError::BadAnswer(format!(
                "{} verdicts for {} ops",
                response.results.len(),
                request.ops.len()
            )));
        }
        summary.pushed += request.ops.len() as u64;
        let verdicts: Vec<(crate::protocol::Op, OpResult)> =
            request.ops.into_iter().zip(response.results).collect();
        summary.rejected += replica.settle_push(&verdicts)?;
    }
    Ok(())
}

/// Pulls pages until the server's head.
async fn pull_all(
    replica: &mut Replica,
    client: &SyncClient,
    device_id: &str,
    summary: &mut SyncSummary,
) -> Result<Pulled, SyncError> {
    loop {
        let after = replica.sync_cursor()?;
        let (page, down) = client.pull(device_id, after, PULL_PAGE).await?;
        summary.bytes_down += down;
        if let Some(epoch) = &page.epoch {
            match replica.follow_server_epoch(epoch)? {
                crate::replica::EpochChange::Same | crate::replica::EpochChange::First => {}
                // This page counted from a cursor of another history: it is pulled again.
                crate::replica::EpochChange::Restored { resent, .. } => {
                    summary.resent += resent;
                    return Ok(Pulled::EpochChanged);
                }
                crate::replica::EpochChange::OtherServer { .. } => {
                    return Ok(Pulled::EpochChanged);
                }
            }
        }
        summary.pulled += page.ops.len() as u64;
        let applied = replica.apply_pulled(&page.ops, page.next_cursor)?;
        summary.set_aside =
            (summary.set_aside + applied.set_aside).saturating_sub(applied.cleared_aside);
        summary.late_refusals += applied.late_refusals;
        if !page.more {
            return Ok(Pulled::All);
        }
    }
}
