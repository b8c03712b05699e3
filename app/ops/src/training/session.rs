//! A scenario shared through a server training session: the trainer's console hosts it (plays
//! the scenario and runs the mission clock) and posts its telemetry and clock to the session;
//! trainee consoles follow the session's relay and clock (see `telemetry::live`), so every
//! console in the session sees the same telemetry at the same mission time.
//!
//! Posting runs on a thread of its own, so the console never waits on the network; points
//! are held while the server is away (up to [`MAX_HELD_POINTS`], the oldest dropped first,
//! and counted) and sent in order when it is back.

use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use galaxium_sync::client::{SyncClient, SyncError};
use galaxium_sync::protocol::{MAX_TELEMETRY_POINTS, MissionClock, TelemetryBatch, TelemetryPoint};

use super::source::ScenarioSource;
use crate::sync_agent::backoff;
use crate::telemetry::sim::Environment;
use crate::telemetry::{Sample, SourceKind, TelemetrySource};

/// Points held while the server is away: ten minutes of 100 channels at 10 Hz.
pub const MAX_HELD_POINTS: usize = 600_000;
/// How often held points are posted.
const POST_EVERY: Duration = Duration::from_millis(250);

/// How posting to the session stands, for the trainer's row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostStatus {
    /// The session.
    pub session: String,
    /// Points the server has taken.
    pub posted: u64,
    /// Points waiting for the server.
    pub held: usize,
    /// Points dropped because the server was away too long.
    pub dropped: u64,
    /// The last failure, while it lasts.
    pub problem: Option<String>,
}

enum Outgoing {
    Points(Vec<TelemetryPoint>),
    Clock(MissionClock),
    Token(String),
}

/// A scenario played on this console and posted to a training session.
pub struct HostedSource {
    inner: ScenarioSource,
    channel_ids: Vec<String>,
    outgoing: mpsc::Sender<Outgoing>,
    status: Arc<Mutex<HostStatus>>,
    polled: Vec<Sample>,
}

impl HostedSource {
    /// Hosts `inner` in session `session` on `server`, signed in with `token`.
    pub fn start(
        inner: ScenarioSource,
        server: &str,
        session: &str,
        token: &str,
    ) -> Result<Self, SyncError> {
        let channel_ids = inner
            .dictionary()
            .channels
            .iter()
            .map(|c| c.id.clone())
            .collect();
        let client = SyncClient::new(server)?
            .with_token(token.to_owned())
            .in_training_session(session);
        let status = Arc::new(Mutex::new(HostStatus {
            session: session.to_owned(),
            ..HostStatus::default()
        }));
        let (outgoing, incoming) = mpsc::channel();
        let poster = Poster {
            client,
            session: session.to_owned(),
            incoming,
            status: Arc::clone(&status),
            held: Vec::new(),
            clock: None,
        };
        std::thread::Builder::new()
            .name("galaxium-training-host".into())
            .spawn(move || poster.run())
            .map_err(|err| SyncError::BadAnswer(format!("cannot start posting: {err}")))?;
        let hosted = Self {
            inner,
            channel_ids,
            outgoing,
            status,
            polled: Vec::new(),
        };
        // Trainees' consoles count mission time from the scenario's start.
        hosted.publish_clock(MissionClock::WALL);
        Ok(hosted)
    }

    /// How posting stands.
    pub fn status(&self) -> HostStatus {
        self.status
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Posts with a newer sign-in from now on.
    pub fn use_token(&self, token: &str) {
        let _ = self.outgoing.send(Outgoing::Token(token.to_owned()));
    }

    /// Sends the trainer's mission clock to the session, with the scenario's start, for the
    /// trainees' consoles.
    pub fn publish_clock(&self, clock: MissionClock) {
        let clock = MissionClock {
            mission_start: self.inner.mission_start(),
            ..clock
        };
        // The poster ends only with the console.
        let _ = self.outgoing.send(Outgoing::Clock(clock));
    }
}

impl TelemetrySource for HostedSource {
    fn kind(&self) -> SourceKind {
        SourceKind::Simulated
    }

    fn poll(&mut self, now: DateTime<Utc>, out: &mut Vec<Sample>) {
        self.polled.clear();
        self.inner.poll(now, &mut self.polled);
        if !self.polled.is_empty() {
            let points = self
                .polled
                .iter()
                .map(|s| TelemetryPoint {
                    t: s.t,
                    channel: self.channel_ids[s.channel].clone(),
                    value: s.value,
                })
                .collect();
            let _ = self.outgoing.send(Outgoing::Points(points));
        }
        out.append(&mut self.polled);
    }

    fn set_environment(&mut self, environment: &Environment) {
        self.inner.set_environment(environment);
    }

    fn inject(&mut self, channel: usize, value: Option<f64>) -> bool {
        self.inner.inject(channel, value)
    }

    fn mission_start(&self) -> Option<f64> {
        self.inner.mission_start()
    }

    fn uplink_refusal(&self) -> Option<String> {
        self.inner.uplink_refusal()
    }

    fn in_contact(&self, t: f64) -> Option<bool> {
        self.inner.in_contact(t)
    }

    fn actuate(&mut self, channel: usize, actuation: crate::telemetry::sim::Actuation) -> bool {
        self.inner.actuate(channel, actuation)
    }

    fn training(&mut self) -> Option<&mut ScenarioSource> {
        Some(&mut self.inner)
    }

    fn hosted(&self) -> Option<&HostedSource> {
        Some(self)
    }
}

struct Poster {
    client: SyncClient,
    session: String,
    incoming: mpsc::Receiver<Outgoing>,
    status: Arc<Mutex<HostStatus>>,
    held: Vec<TelemetryPoint>,
    /// A clock not yet taken by the server.
    clock: Option<MissionClock>,
}

impl Poster {
    fn run(mut self) {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            self.update(|s| s.problem = Some("the network runtime cannot start".to_owned()));
            return;
        };
        let mut failures = 0;
        loop {
            let wait = if failures == 0 {
                POST_EVERY
            } else {
                backoff(failures)
            };
            match self.incoming.recv_timeout(wait) {
                Ok(item) => self.take(item),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                // The console closed.
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
            while let Ok(item) = self.incoming.try_recv() {
                self.take(item);
            }
            match runtime.block_on(self.send()) {
                Ok(()) => {
                    failures = 0;
                    self.update(|s| s.problem = None);
                }
                Err(err) => {
                    failures += 1;
                    self.update(|s| s.problem = Some(err.to_string()));
                }
            }
        }
    }

    fn take(&mut self, item: Outgoing) {
        match item {
            Outgoing::Points(points) => self.held.extend(points),
            Outgoing::Clock(clock) => self.clock = Some(clock),
            Outgoing::Token(token) => self.client = self.client.clone().with_token(token),
        }
        let excess = self.held.len().saturating_sub(MAX_HELD_POINTS);
        self.held.drain(..excess);
        let held = self.held.len();
        self.update(|s| {
            s.dropped += excess as u64;
            s.held = held;
        });
    }

    async fn send(&mut self) -> Result<(), SyncError> {
        if let Some(clock) = self.clock {
            self.client
                .set_training_clock(&self.session, &clock)
                .await?;
            self.clock = None;
        }
        while !self.held.is_empty() {
            let take = self.held.len().min(MAX_TELEMETRY_POINTS);
            let batch = TelemetryBatch {
                points: self.held[..take].to_vec(),
            };
            self.client.post_telemetry(&batch).await?;
            self.held.drain(..take);
            let held = self.held.len();
            self.update(|s| {
                s.posted += take as u64;
                s.held = held;
            });
        }
        Ok(())
    }

    fn update(&self, change: impl FnOnce(&mut HostStatus)) {
        change(&mut self.status.lock().unwrap_or_else(PoisonError::into_inner));
    }
}
