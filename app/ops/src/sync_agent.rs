//! The console's background sync: its own connection to the replica and a small tokio
//! runtime on a thread of its own, so no frame ever waits for the network.
//!
//! It syncs soon after each local change and every few seconds while online; while the
//! server is unreachable it retries with exponential backoff and jitter. The UI reads its
//! [`SyncStatus`] every frame and sends it [`SyncRequest`]s.

use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use galaxium_sync::Replica;
use galaxium_sync::client::{SyncClient, SyncError, sync_once};
use galaxium_sync::replica::SignIn;
use tokio::sync::mpsc;

/// How often to sync while online and idle.
pub const SYNC_EVERY: Duration = Duration::from_secs(5);
/// The longest wait between retries while the server is unreachable.
pub const MAX_BACKOFF: Duration = Duration::from_mins(1);

/// What the UI asks of the sync task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncRequest {
    /// Sign in and start syncing. The password is used once and dropped.
    SignIn {
        /// Server address.
        server: String,
        /// User name.
        user: String,
        /// Password.
        password: String,
    },
    /// Forget the sign-in and stop syncing.
    SignOut,
    /// Sync now (after a local change, or on request).
    SyncNow,
    /// Sync this often while online (at least every 200 ms): quicker while commands wait
    /// for an approval made at another console, [`SYNC_EVERY`] otherwise.
    Pace(Duration),
}

/// How often to sync while this console has commands on their way: an approval made at
/// another console shows here within about this long.
pub const SYNC_WHILE_COMMANDING: Duration = Duration::from_millis(400);

/// How often a console syncs while a go/no-go poll is open: each position's answer reaches
/// every console within a few seconds.
pub const SYNC_WHILE_POLLING: Duration = Duration::from_secs(1);

/// Where the link to the server stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LinkState {
    /// Not signed in: the console works on its local replica only.
    #[default]
    SignedOut,
    /// Signing in.
    SigningIn,
    /// A sync is running.
    Syncing,
    /// The last sync succeeded.
    Online,
    /// The server could not be reached; the next try is scheduled.
    Retrying {
        /// Consecutive failures.
        attempt: u32,
        /// When the next try starts.
        next_at: DateTime<Utc>,
    },
    /// The server refused the sign-in; a person must sign in again.
    NeedsSignIn,
}

/// What the UI shows about sync.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncStatus {
    /// The link.
    pub state: LinkState,
    /// Who is signed in, where (the token stays in the sync task).
    pub signed_in: Option<(String, String, String)>,
    /// When the last sync succeeded.
    pub last_success: Option<DateTime<Utc>>,
    /// The last failure, in words.
    pub last_error: Option<String>,
    /// When this console's clock is more than the server allows off the server's: what to do.
    pub clock_warning: Option<String>,
    /// When the server was found put back to a copy of itself (restored from a backup): what
    /// this console did about it, and when.
    pub server_restored: Option<String>,
    /// Bumped whenever a sync changed the replica, so the UI re-reads it.
    pub generation: u64,
    /// Sign-ins finished (accepted or refused), so a sign-in dialog knows its answer came:
    /// refused when `last_error` says why, accepted when `signed_in` names the user.
    pub sign_ins_finished: u64,
}

/// What the Sync view says once this console found the server put back to a copy of itself.
pub fn restore_notice(resent: u64, at: DateTime<Utc>) -> String {
    format!(
        "at {} UTC this console sent it again the {resent} changes it had sent since, and pulled again from where the copy ends; any the server refused are in the conflicts inbox.",
        at.format("%H:%M:%S")
    )
}

/// Handle to the running sync task. Dropping it closes the task's inbox, which ends the task
/// once any sync under way has finished (each sync commits atomically, so ending the process
/// earlier is safe too).
pub struct SyncAgent {
    requests: mpsc::UnboundedSender<SyncRequest>,
    status: Arc<Mutex<SyncStatus>>,
    thread: std::thread::JoinHandle<()>,
}

impl SyncAgent {
    /// Starts the task on the replica at `replica_path`; `repaint` wakes the UI when the
    /// status changes.
    pub fn start(
        replica_path: &Path,
        repaint: impl Fn() + Send + 'static,
    ) -> std::io::Result<Self> {
        let replica_path = replica_path.to_path_buf();
        let status = Arc::new(Mutex::new(SyncStatus::default()));
        let (requests, inbox) = mpsc::unbounded_channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let task_status = Arc::clone(&status);
        let thread = std::thread::Builder::new()
            .name("galaxium-sync".into())
            .spawn(move || {
                // The console opened (and checked) the file a moment ago.
                let replica = match Replica::reopen(&replica_path) {
                    Ok(replica) => replica,
                    Err(err) => {
                        let mut status = task_status.lock().unwrap_or_else(PoisonError::into_inner);
                        status.last_error = Some(format!("sync cannot open the replica: {err}"));
                        drop(status);
                        repaint();
                        return;
                    }
                };
                let mut task = Task {
                    replica,
                    client: None,
                    status: task_status,
                    repaint: Box::new(repaint),
                    failures: 0,
                    every: SYNC_EVERY,
                };
                runtime.block_on(task.run(inbox));
            })?;
        Ok(Self {
            requests,
            status,
            thread,
        })
    }

    /// Ends the task and waits for it: a sync under way finishes first (its requests are
    /// bounded by their timeouts), and opening the replica, if it has not finished, does.
    pub fn stop(self) {
        let Self {
            requests, thread, ..
        } = self;
        // The task ends when it finds no sender left.
        drop(requests);
        if thread.join().is_err() {
            tracing::error!("the sync task panicked");
        }
    }

    /// The status as of now.
    pub fn status(&self) -> SyncStatus {
        self.status
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Asks the task to do something; it answers through the status.
    pub fn send(&self, request: SyncRequest) {
        // A closed channel means the task ended (the console is closing): nothing to do.
        let _ = self.requests.send(request);
    }
}

struct Task {
    replica: Replica,
    client: Option<SyncClient>,
    status: Arc<Mutex<SyncStatus>>,
    repaint: Box<dyn Fn() + Send>,
    failures: u32,
    /// How often to sync while online and idle.
    every: Duration,
}

impl Task {
    async fn run(&mut self, mut inbox: mpsc::UnboundedReceiver<SyncRequest>) {
        self.resume_kept_sign_in();
        let mut wait = Duration::ZERO;
        loop {
            let request = if self.client.is_some() {
                match tokio::time::timeout(wait, inbox.recv()).await {
                    Ok(None) => return,
                    Ok(Some(request)) => Some(request),
                    Err(_elapsed) => None,
                }
            } else {
                match inbox.recv().await {
                    None => return,
                    Some(request) => Some(request),
                }
            };
            match request {
                Some(SyncRequest::SignIn {
                    server,
                    user,
                    password,
                }) => self.sign_in(&server, &user, &password).await,
                Some(SyncRequest::SignOut) => self.sign_out().await,
                Some(SyncRequest::Pace(every)) => {
                    self.every = every.max(Duration::from_millis(200));
                }
                Some(SyncRequest::SyncNow) | None => {}
            }
            wait = if self.client.is_some() {
                self.sync().await
            } else {
                Duration::ZERO
            };
        }
    }

    fn update(&self, change: impl FnOnce(&mut SyncStatus)) {
        change(&mut self.status.lock().unwrap_or_else(PoisonError::into_inner));
        (self.repaint)();
    }

    fn resume_kept_sign_in(&mut self) {
        match self.replica.sign_in() {
            Ok(Some(kept)) if kept.is_valid_at(Utc::now()) => {
                if let Ok(client) = SyncClient::new(&kept.server) {
                    self.client = Some(client.with_token(kept.token.clone()));
                    self.update(|s| {
                        s.signed_in = Some((kept.server, kept.user, kept.role));
                        s.state = LinkState::Syncing;
                    });
                }
            }
            Ok(Some(_)) => self.update(|s| {
                s.state = LinkState::NeedsSignIn;
                s.last_error = Some("the kept sign-in has expired; sign in again".into());
            }),
            Ok(None) => {}
            Err(err) => self.update(|s| s.last_error = Some(err.to_string())),
        }
    }

    async fn sign_in(&mut self, server: &str, user: &str, password: &str) {
        let refused = |agent: &mut Self, error: String| {
            agent.signed_out_with(error);
            agent.update(|s| s.sign_ins_finished += 1);
        };
        self.update(|s| {
            s.state = LinkState::SigningIn;
            s.last_error = None;
        });
        let mut client = match SyncClient::new(server) {
            Ok(client) => client,
            Err(err) => return refused(self, err.to_string()),
        };
        let claim = match self.replica.device_claim() {
            Ok(claim) => claim,
            Err(err) => return refused(self, err.to_string()),
        };
        match client.login_as(user, password, Some(claim)).await {
            Ok(login) => {
                let kept = SignIn {
                    server: client.base_url().to_owned(),
                    user: user.to_owned(),
                    role: login.role.clone(),
                    token: login.token,
                    expires_at: login.expires_at,
                };
                if let Err(err) = self.replica.keep_sign_in(Some(&kept)) {
                    return refused(self, err.to_string());
                }
                self.client = Some(client);
                self.failures = 0;
                self.update(|s| {
                    s.signed_in = Some((kept.server, kept.user, kept.role));
                    s.state = LinkState::Syncing;
                    s.sign_ins_finished += 1;
                });
            }
            Err(err) => refused(self, err.to_string()),
        }
    }

    fn signed_out_with(&mut self, error: String) {
        self.client = None;
        self.update(|s| {
            s.state = LinkState::SignedOut;
            s.last_error = Some(error);
        });
    }

    async fn sign_out(&mut self) {
        // Ended on the server too when it can be reached (the token stops working there);
        // offline, it is forgotten here and expires there.
        if let Some(mut client) = self.client.take()
            && let Err(err) = client.logout().await
        {
            tracing::info!("signing out on the server failed: {err}");
        }
        let forgotten = self.replica.keep_sign_in(None);
        self.update(|s| {
            s.state = LinkState::SignedOut;
            s.signed_in = None;
            s.last_error = forgotten.err().map(|e| e.to_string());
        });
    }

    /// One sync; returns how long to wait before the next.
    async fn sync(&mut self) -> Duration {
        let Some(client) = self.client.clone() else {
            return Duration::ZERO;
        };
        self.update(|s| s.state = LinkState::Syncing);
        match sync_once(&mut self.replica, &client).await {
            Ok(summary) => {
                self.failures = 0;
                let changed = summary.pulled > 0 || summary.rejected > 0 || summary.pushed > 0;
                self.update(|s| {
                    s.state = LinkState::Online;
                    s.last_success = Some(Utc::now());
                    s.last_error = None;
                    // Only a push brings the server's time; an idle sync keeps what is known.
                    if summary.clock_offset_ms.is_some() {
                        s.clock_warning = summary.clock_warning();
                    }
                    if summary.resent > 0 {
                        s.server_restored = Some(restore_notice(summary.resent, Utc::now()));
                    }
                    if changed {
                        s.generation += 1;
                    }
                });
                self.every
            }
            Err(err @ SyncError::Unauthorized(_)) => {
                self.client = None;
                let _ = self.replica.keep_sign_in(None);
                self.update(|s| {
                    s.state = LinkState::NeedsSignIn;
                    s.last_error = Some(err.to_string());
                    s.generation += 1;
                });
                Duration::ZERO
            }
            Err(err) => {
                self.failures += 1;
                let wait = backoff(self.failures);
                let next_at = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
                let attempt = self.failures;
                self.update(|s| {
                    s.state = LinkState::Retrying { attempt, next_at };
                    s.last_error = Some(err.to_string());
                    s.generation += 1;
                });
                wait
            }
        }
    }
}

/// Exponential backoff from one second up to [`MAX_BACKOFF`], with full jitter over the
/// upper half so that many consoles coming back together do not retry in step.
pub fn backoff(failures: u32) -> Duration {
    let ceiling = Duration::from_secs(1u64 << failures.saturating_sub(1).min(6)).min(MAX_BACKOFF);
    let jitter = f64::from(uuid::Uuid::new_v4().as_fields().0) / f64::from(u32::MAX);
    ceiling.mul_f64(0.5 + 0.5 * jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_a_ceiling_and_is_jittered() {
        for failures in 1..=12 {
            let wait = backoff(failures);
            let ceiling = Duration::from_secs(1u64 << (failures - 1).min(6)).min(MAX_BACKOFF);
            assert!(
                wait <= ceiling && wait >= ceiling / 2,
                "{failures}: {wait:?}"
            );
        }
        assert!(backoff(20) <= MAX_BACKOFF);
    }
}
