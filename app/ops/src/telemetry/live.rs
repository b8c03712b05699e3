//! The server's live feed as a telemetry source: a thread of its own follows the relay (a
//! WebSocket) with the console's kept sign-in, reconnects with backoff when the link drops,
//! and catches up from the last sequence number it saw, so an outage loses nothing the server
//! still holds. Frames never wait on the UI: they queue until the next frame polls them.

use std::collections::{BTreeSet, HashMap};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Utc};
use galaxium_sync::client::SyncClient;
use galaxium_sync::client::SyncError;
use galaxium_sync::live;
use galaxium_sync::protocol::{MissionClock, TelemetryFrame};

use super::dictionary::Dictionary;
use super::{Sample, SourceKind, TelemetrySource};
use crate::sync_agent::backoff;

/// How often a console following a training session reads the session's mission clock.
const CLOCK_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// At most this many unknown channel names are remembered (to name them on screen).
const UNKNOWN_NAMES_KEPT: usize = 12;

/// Where the link to the relay stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LiveLink {
    /// Connecting (or reconnecting).
    #[default]
    Connecting,
    /// Connected: frames arrive as the server relays them.
    Connected {
        /// Since when.
        since: DateTime<Utc>,
    },
    /// The link dropped; the next try is scheduled.
    Retrying {
        /// Consecutive failures.
        attempt: u32,
        /// When the next try starts.
        next_at: DateTime<Utc>,
        /// What went wrong, in words.
        reason: String,
    },
    /// The server refused (sign-in expired, role not allowed): a person must act.
    Refused {
        /// The server's reason.
        reason: String,
    },
}

/// What the screen shows about the live feed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LiveStatus {
    /// The server followed.
    pub server: String,
    /// The training session followed, if it is one.
    pub session: Option<String>,
    /// The session's mission clock as last read (the trainer's, ×1 to ×60).
    pub clock: Option<MissionClock>,
    /// The link.
    pub link: LiveLink,
    /// Points received since following began.
    pub points: u64,
    /// The last sequence number received.
    pub last_seq: Option<u64>,
    /// Channels the server sent that the dictionary does not know (dropped, named here).
    pub unknown_channels: BTreeSet<String>,
    /// Points dropped because they were older than the channel's newest one.
    pub out_of_order: u64,
}

/// The live feed.
pub struct LiveSource {
    samples: mpsc::Receiver<Sample>,
    status: Arc<Mutex<LiveStatus>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl LiveSource {
    /// Starts following the relay at `server` (operations', or training session `session`'s,
    /// whose clock it then follows too) with `token`; channels are matched to `dictionary` by
    /// id.
    pub fn start(
        server: &str,
        session: Option<&str>,
        token: &str,
        dictionary: &Dictionary,
    ) -> std::io::Result<Self> {
        let status = Arc::new(Mutex::new(LiveStatus {
            server: server.to_owned(),
            session: session.map(str::to_owned),
            ..LiveStatus::default()
        }));
        let (sender, samples) = mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let clock = session.map(|id| {
            follow_clock(
                server.to_owned(),
                id.to_owned(),
                token.to_owned(),
                Arc::clone(&status),
            )
        });
        let mut follower = Follower {
            server: server.to_owned(),
            session: session.map(str::to_owned),
            token: token.to_owned(),
            channels: dictionary
                .channels
                .iter()
                .enumerate()
                .map(|(i, c)| (c.id.clone(), i))
                .collect(),
            newest: vec![f64::NEG_INFINITY; dictionary.channels.len()],
            sender,
            status: Arc::clone(&status),
        };
        std::thread::Builder::new()
            .name("galaxium-live".into())
            .spawn(move || {
                runtime.block_on(async move {
                    // Dropping the source drops `stop`, which ends the follower here.
                    let clock = async {
                        match clock {
                            Some(clock) => clock.await,
                            None => std::future::pending().await,
                        }
                    };
                    tokio::select! {
                        () = follower.run() => {}
                        () = clock => {}
                        _ = stopped => {}
                    }
                });
            })?;
        Ok(Self {
            samples,
            status,
            _stop: stop,
        })
    }
}

impl TelemetrySource for LiveSource {
    fn kind(&self) -> SourceKind {
        SourceKind::Live
    }

    fn poll(&mut self, _now: DateTime<Utc>, out: &mut Vec<Sample>) {
        out.extend(self.samples.try_iter());
    }

    /// A training session's mission started when its clock says.
    fn mission_start(&self) -> Option<f64> {
        self.status
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clock
            .and_then(|c| c.mission_start)
    }

    fn live(&self) -> Option<LiveStatus> {
        Some(
            self.status
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        )
    }

    /// Operations' commands go through the server to the ground segment; a training
    /// session's vehicle is the trainer's console's, which commands are not relayed to.
    fn uplink_refusal(&self) -> Option<String> {
        let session = self
            .status
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .session
            .is_some();
        session.then(|| {
            "in a training session the trainer's console flies the simulated vehicle, and commands are not relayed to it: command from the trainer's console".to_owned()
        })
    }

    fn uplinks_through_server(&self) -> bool {
        true
    }
}

/// Reads the session's mission clock every [`CLOCK_EVERY`] into `status`; unreachable reads
/// keep the last clock (the relay's link state says what is wrong).
async fn follow_clock(
    server: String,
    session: String,
    token: String,
    status: Arc<Mutex<LiveStatus>>,
) {
    let Ok(client) = SyncClient::new(&server) else {
        return;
    };
    let client = client.with_token(token);
    loop {
        if let Ok(found) = client.training_session(&session).await {
            status.lock().unwrap_or_else(PoisonError::into_inner).clock = Some(found.clock);
        }
        tokio::time::sleep(CLOCK_EVERY).await;
    }
}

struct Follower {
    server: String,
    session: Option<String>,
    token: String,
    channels: HashMap<String, usize>,
    /// Each channel's newest time, so history stays in order.
    newest: Vec<f64>,
    sender: mpsc::Sender<Sample>,
    status: Arc<Mutex<LiveStatus>>,
}

impl Follower {
    fn update(&self, change: impl FnOnce(&mut LiveStatus)) {
        change(&mut self.status.lock().unwrap_or_else(PoisonError::into_inner));
    }

    async fn run(&mut self) {
        let mut failures = 0;
        loop {
            self.update(|s| s.link = LiveLink::Connecting);
            let after = self.status.lock().map_or(None, |s| s.last_seq);
            let (server, token) = (self.server.clone(), self.token.clone());
            let session = self.session.clone();
            let status = Arc::clone(&self.status);
            let connected = std::sync::atomic::AtomicBool::new(false);
            let result = live::follow(
                &server,
                session.as_deref(),
                &token,
                after,
                |frame| self.take(frame),
                || {
                    connected.store(true, std::sync::atomic::Ordering::Relaxed);
                    status.lock().unwrap_or_else(PoisonError::into_inner).link =
                        LiveLink::Connected { since: Utc::now() };
                },
            )
            .await;
            if connected.load(std::sync::atomic::Ordering::Relaxed) {
                failures = 0;
            }
            let reason = match result {
                // The server closed the connection (a restart): connect again soon.
                Ok(()) => "the server closed the connection".to_owned(),
                Err(err) if is_refusal(&err) => {
                    self.update(|s| {
                        s.link = LiveLink::Refused {
                            reason: err.to_string(),
                        };
                    });
                    return;
                }
                Err(err) => err.to_string(),
            };
            failures += 1;
            let wait = backoff(failures);
            let next_at = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
            self.update(|s| {
                s.link = LiveLink::Retrying {
                    attempt: failures,
                    next_at,
                    reason,
                };
            });
            tokio::time::sleep(wait).await;
        }
    }

    fn take(&mut self, frame: TelemetryFrame) {
        let mut unknown = Vec::new();
        let mut out_of_order = 0;
        let count = frame.points.len() as u64;
        for point in frame.points {
            let Some(&channel) = self.channels.get(&point.channel) else {
                unknown.push(point.channel);
                continue;
            };
            if point.t < self.newest[channel] {
                out_of_order += 1;
                continue;
            }
            self.newest[channel] = point.t;
            // The console closing drops the receiver; the follower ends with it.
            let _ = self.sender.send(Sample {
                channel,
                t: point.t,
                value: point.value,
            });
        }
        self.update(|s| {
            s.points += count;
            s.last_seq = Some(frame.last_seq);
            s.out_of_order += out_of_order;
            for name in unknown {
                if s.unknown_channels.len() < UNKNOWN_NAMES_KEPT {
                    s.unknown_channels.insert(name);
                }
            }
        });
    }
}

/// Whether trying again unchanged cannot help: the sign-in or the role was refused.
fn is_refusal(err: &SyncError) -> bool {
    matches!(err, SyncError::Unauthorized(_) | SyncError::Forbidden(_))
}
