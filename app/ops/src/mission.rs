//! The mission loop: everything a console does with the crewed vehicle between two frames,
//! without a window or a sound device. It chooses and starts the telemetry source, takes in
//! samples (limits and alarms), predicts the orbit's sunlight and ground-station contacts,
//! takes acknowledgements made at other consoles, lets alarms open incidents, scores a
//! training scenario's expected responses, follows a session's mission clock and decides the
//! alarm tone. The console drives it with [`MissionLoop::tick`] once a frame; tests, benches
//! and headless hosts drive it the same way with a clock of their own.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use galaxium_sync::protocol::{MAX_CLOCK_RATE, MissionClock};
use galaxium_sync::{LoggedEvent, Replica};

use crate::commanding::UplinkEvent;
use crate::incidents::detect::{Detection, Detector, Rules};
use crate::incidents::{self, IncidentDetail};
use crate::orbit::{OrbitData, StationPasses};
use crate::telemetry::alarms::AlarmEvent;
use crate::telemetry::dictionary::Dictionary;
use crate::telemetry::limits::Severity;
use crate::telemetry::live::LiveSource;
use crate::telemetry::playback::Playback;
use crate::telemetry::sim::{Fault, Simulator};
use crate::telemetry::tone::{ToneControl, TonePattern};
use crate::telemetry::{
    self, Telemetry, TelemetrySource, acks, environment_from_orbit, unix_seconds,
};
use crate::training::{self, score::Scored, session::HostedSource};

/// The simulator's seed: the same demo mission on every console.
pub const SIMULATOR_SEED: u64 = 2026;

/// The preference holding the incident snapshot window, minutes.
pub const SNAPSHOT_WINDOW_KEY: &str = "incident_snapshot_minutes";

/// How often the orbit's sunlight and contacts are predicted again.
const ENVIRONMENT_EVERY: Duration = Duration::from_mins(10);
/// How often acknowledgements made at other consoles are looked for.
const ACKS_EVERY: Duration = Duration::from_secs(1);
/// How often a training scenario's responses are scored.
const SCORE_EVERY: Duration = Duration::from_secs(1);
/// How often a hosted session's poster is handed the newest sign-in.
const SESSION_TOKEN_EVERY: Duration = Duration::from_secs(5);

/// A fault a controller can play on the simulator to rehearse (or to see the console's alarms
/// and incidents at work). Every value, alarm, event and incident it causes is marked DRILL,
/// and its incidents stay on this console.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Drill {
    /// What it rehearses.
    pub name: &'static str,
    /// The channels it moves: each toward a value at a rate a second, as the failure would
    /// (a leak lowers the oxygen's partial pressure with the cabin's).
    pub moves: &'static [(&'static str, f64, f64)],
}

/// The drills, in the order of the Drill menu.
pub const DRILLS: [Drill; 4] = [
    Drill {
        name: "Cabin pressure drop",
        // A leak: total pressure and the oxygen in it fall together (21 % of it).
        moves: &[("ls.cabin_pressure", 88.0, 0.2), ("ls.ppo2", 18.5, 0.042)],
    },
    Drill {
        name: "CO2 scrubber failure",
        moves: &[("ls.ppco2", 1.25, 0.01)],
    },
    Drill {
        name: "Main bus undervoltage",
        moves: &[("pwr.bus_voltage", 23.2, 0.1)],
    },
    Drill {
        name: "Low oxygen partial pressure",
        moves: &[("ls.ppo2", 15.2, 0.05)],
    },
];

/// A change of telemetry source, a move of the recording being played, a drill, or a
/// trainer's control of the scenario.
#[derive(Debug, Clone, PartialEq)]
pub enum TelemetryCommand {
    /// Back to the built-in simulator.
    UseSimulator,
    /// Play the recording at this path.
    PlayRecording(String),
    /// Pause (true) or resume (false).
    Pause(bool),
    /// Play this many times faster than recorded.
    Speed(f64),
    /// Jump to this recording time (Unix seconds).
    Seek(f64),
    /// Follow the server's live feed with the console's sign-in.
    FollowLive,
    /// Inject the drill fault at this index of [`DRILLS`] into the simulator, or clear every
    /// injected fault (`None`).
    Drill(Option<usize>),
    /// Pause (true) or resume the training scenario.
    TrainingPause(bool),
    /// Bring the scenario's next event forward to now.
    TrainingNext,
    /// Run the mission clock this many times as fast (1 to 60).
    TrainingSpeed(f64),
    /// Move the scenario on to its event at this index.
    TrainingJump(usize),
    /// Write the debrief page.
    TrainingDebrief,
}

impl TelemetryCommand {
    /// What it does, in words.
    pub fn label(&self) -> String {
        match self {
            Self::UseSimulator => "Use the simulator".to_owned(),
            Self::PlayRecording(path) => format!("Play {path}"),
            Self::Pause(true) => "Pause playback".to_owned(),
            Self::Pause(false) => "Resume playback".to_owned(),
            Self::Speed(speed) => format!("Play at {speed}×"),
            Self::Seek(_) => "Seek in the recording".to_owned(),
            Self::FollowLive => "Follow the server's live feed".to_owned(),
            Self::Drill(Some(i)) => {
                format!("Start a drill: {}", DRILLS[*i % DRILLS.len()].name)
            }
            Self::Drill(None) => "End the drills".to_owned(),
            Self::TrainingPause(true) => "Pause the scenario".to_owned(),
            Self::TrainingPause(false) => "Resume the scenario".to_owned(),
            Self::TrainingNext => "Bring the next scenario event forward".to_owned(),
            Self::TrainingSpeed(rate) => format!("Run the mission clock at x{rate}"),
            Self::TrainingJump(index) => format!("Jump to scenario event {}", index + 1),
            Self::TrainingDebrief => "Export the training debrief".to_owned(),
        }
    }
}

/// What the loop has to tell the person at the console, for the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Said {
    /// Something went as asked.
    Info(String),
    /// Something failed or needs attention; the text says what.
    Problem(String),
}

impl Said {
    fn info(text: impl Into<String>) -> Self {
        Self::Info(text.into())
    }

    fn problem(text: impl Into<String>) -> Self {
        Self::Problem(text.into())
    }
}

/// Something a tick did that the console shows or acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MissionEvent {
    /// Alarms opened an incident, or added to one: the incidents were written and want
    /// reading again and syncing.
    IncidentsWritten {
        /// References and titles of the incidents opened.
        opened: Vec<(String, String)>,
    },
    /// Something for the status bar (a scenario's scrub, a detection that failed).
    Said(Said),
    /// The uplink released, sent, verified or failed commands: they want syncing now.
    CommandsWritten,
}

/// The wall clock at one tick: the instant paces the loop's periodic work, the time is what
/// the mission clock runs from.
#[derive(Debug, Clone, Copy)]
pub struct Wall {
    /// Monotonic, for pacing.
    pub instant: Instant,
    /// The wall-clock time.
    pub utc: DateTime<Utc>,
}

impl Wall {
    /// Now.
    pub fn now() -> Self {
        Self {
            instant: Instant::now(),
            utc: Utc::now(),
        }
    }
}

/// Work done at most once per period.
#[derive(Debug, Clone)]
struct Every {
    period: Duration,
    last: Option<Instant>,
}

impl Every {
    fn new(period: Duration) -> Self {
        Self { period, last: None }
    }

    /// Whether the period has passed at `at` (the first call always); marks it done if so.
    fn due(&mut self, at: Instant) -> bool {
        let due = self
            .last
            .is_none_or(|last| at.saturating_duration_since(last) >= self.period);
        if due {
            self.last = Some(at);
        }
        due
    }

    /// Due again at the next call.
    fn reset(&mut self) {
        self.last = None;
    }
}

/// A training scenario's scoring: the events already looked at, the scrub it played, and the
/// incidents and acknowledgements it scores against, read again only when the replica changed.
#[derive(Debug)]
struct Scoring {
    every: Every,
    scores: Vec<Scored>,
    /// Scenario events already looked at (a scrub is played once).
    seen: usize,
    scrub: Option<training::Scrub>,
    /// Every incident with its detail, and every acknowledgement (channel, Unix seconds);
    /// `None` when the replica changed since they were read.
    read: Option<ScoredAgainst>,
}

/// What a scenario's responses are scored against: every incident with its detail, every
/// acknowledgement (channel, Unix seconds) and every verified command (name, Unix seconds).
type ScoredAgainst = (Vec<IncidentDetail>, Vec<(String, f64)>, Vec<(String, f64)>);

/// The mission loop of one console. See the module documentation.
pub struct MissionLoop {
    telemetry: Result<Telemetry, String>,
    clock: MissionClock,
    environment: Every,
    contacts: Vec<StationPasses>,
    detector: Option<Detector>,
    tone: ToneControl,
    tone_wanted: Option<TonePattern>,
    acks: Every,
    /// The newest acknowledgement from elsewhere taken in (its RFC 3339 time).
    acks_seen: String,
    session_token: Every,
    scoring: Scoring,
    /// How much of the event log is kept in the replica.
    logged: usize,
    /// This console's command uplink.
    uplink: crate::commanding::Uplink,
    /// Who is at the console: the releases and verifications its uplink records are theirs.
    operator: String,
}

/// How many entries of the event log a console shows again after a restart.
const LOG_RESTORED: usize = 2_000;

impl MissionLoop {
    /// The loop of a console on `replica`: telemetry from the source the replica calls for
    /// (see [`start_telemetry`]), the incident detector from the shipped rules. What cannot
    /// start is kept with its reason ([`MissionLoop::start_problem`]) and the rest runs.
    pub fn start(replica: &Replica) -> Self {
        let telemetry = start_telemetry(replica);
        if let Err(err) = &telemetry {
            tracing::error!("telemetry cannot start: {err}");
        }
        Self::with_telemetry(replica, telemetry)
    }

    /// The loop around telemetry started elsewhere (tests and benches choose the source).
    pub fn with_telemetry(replica: &Replica, mut telemetry: Result<Telemetry, String>) -> Self {
        let mut logged = 0;
        if let Ok(tm) = &mut telemetry {
            match replica.logged_events(LOG_RESTORED) {
                Ok(earlier) => {
                    let earlier: Vec<AlarmEvent> =
                        earlier.into_iter().filter_map(event_from_row).collect();
                    logged = earlier.len();
                    tm.board_mut().restore_log(earlier);
                }
                Err(err) => tracing::warn!("the earlier event log cannot be read: {err}"),
            }
        }
        Self {
            telemetry,
            clock: MissionClock::WALL,
            environment: Every::new(ENVIRONMENT_EVERY),
            contacts: Vec::new(),
            detector: start_detector(replica),
            tone: ToneControl::default(),
            tone_wanted: None,
            acks: Every::new(ACKS_EVERY),
            acks_seen: String::new(),
            session_token: Every::new(SESSION_TOKEN_EVERY),
            scoring: Scoring {
                every: Every::new(SCORE_EVERY),
                scores: Vec::new(),
                seen: 0,
                scrub: None,
                read: None,
            },
            logged,
            uplink: crate::commanding::Uplink::new(),
            operator: String::new(),
        }
    }

    /// Who is at the console (the uplink records its releases as theirs).
    pub fn set_operator(&mut self, user: &str) {
        if self.operator != user {
            user.clone_into(&mut self.operator);
        }
    }

    /// The command dictionary, or why it cannot be read.
    pub fn command_dictionary(
        &self,
    ) -> Result<&galaxium_sync::commanding::CommandDictionary, &str> {
        self.uplink.dictionary()
    }

    /// Why telemetry did not start, if it did not.
    pub fn start_problem(&self) -> Option<&str> {
        self.telemetry.as_ref().err().map(String::as_str)
    }

    /// The telemetry, when it started.
    pub fn telemetry(&self) -> Option<&Telemetry> {
        self.telemetry.as_ref().ok()
    }

    /// The telemetry, to feed or steer it (tests and drills inject values through it).
    pub fn telemetry_mut(&mut self) -> Option<&mut Telemetry> {
        self.telemetry.as_mut().ok()
    }

    /// The mission clock: the wall clock in operations; in training, the trainer's (×1 to
    /// ×60), which a console joined to a session follows.
    pub fn clock(&self) -> MissionClock {
        self.clock
    }

    /// The mission time when the wall clock reads `wall`.
    pub fn now_at(&self, wall: DateTime<Utc>) -> DateTime<Utc> {
        if self.clock == MissionClock::WALL {
            return wall;
        }
        let mission = self.clock.mission(unix_seconds(wall));
        #[allow(clippy::cast_possible_truncation, reason = "Unix milliseconds")]
        DateTime::from_timestamp_millis((mission * 1000.0).round() as i64).unwrap_or(wall)
    }

    /// What the Mission view draws from: the telemetry (to steer its plot and history), the
    /// contacts and the scores; `None` when telemetry did not start.
    pub fn view_parts(&mut self) -> Option<(&mut Telemetry, &[StationPasses], &[Scored])> {
        let telemetry = self.telemetry.as_mut().ok()?;
        Some((telemetry, &self.contacts, &self.scoring.scores))
    }

    /// Each ground station's contacts with the crewed vehicle, as last predicted.
    pub fn contacts(&self) -> &[StationPasses] {
        &self.contacts
    }

    /// The trainees' expected responses as last scored (on the console playing a scenario).
    pub fn scores(&self) -> &[Scored] {
        &self.scoring.scores
    }

    /// The detector, if its rules read.
    pub fn detector(&self) -> Option<&Detector> {
        self.detector.as_ref()
    }

    /// The detector, to point it at the crewed vehicle or change its snapshot window.
    pub fn detector_mut(&mut self) -> Option<&mut Detector> {
        self.detector.as_mut()
    }

    /// The tone the alarms call for now (after the mute), as decided at the last tick.
    pub fn tone_wanted(&self) -> Option<TonePattern> {
        self.tone_wanted
    }

    /// Whether the operator muted the tone.
    pub fn tone_muted(&self) -> bool {
        self.tone.muted()
    }

    /// Stops the telemetry archive's writer after it has written what it was given (the
    /// console keeps showing what is in memory). For benchmarks and tests that must leave no
    /// thread behind.
    pub fn stop_archive(&mut self) {
        if let Ok(tm) = &mut self.telemetry {
            drop(tm.detach_archive());
        }
    }

    /// The replica changed (a sync, another writer, an edit here): what scoring read from it
    /// is read again at its next turn.
    pub fn replica_changed(&mut self) {
        self.scoring.read = None;
    }

    /// One turn of the loop at `wall`: follows a session's clock, predicts the environment
    /// when due, takes in what the source has, takes acknowledgements from elsewhere, lets
    /// alarms open incidents, scores training and decides the tone.
    pub fn tick(
        &mut self,
        replica: &mut Replica,
        orbit: &OrbitData,
        wall: Wall,
    ) -> Vec<MissionEvent> {
        let mut events = Vec::new();
        self.follow_session(replica, wall);
        let now = self.now_at(wall.utc);
        if self.environment.due(wall.instant) {
            self.predict_environment(orbit, now);
        }
        if let Ok(tm) = &mut self.telemetry {
            tm.tick(now);
        }
        if self.acks.due(wall.instant) {
            self.take_acknowledgements_from_elsewhere(replica);
        }
        self.uplink_commands(replica, now, wall, &mut events);
        self.detect_incidents(replica, now, &mut events);
        if self.scoring.every.due(wall.instant) {
            self.score_training(replica, now, &mut events);
        }
        self.decide_tone(now);
        self.keep_log(replica);
        events
    }

    /// Releases this console's commands that may go, and judges the verifiers of those sent.
    fn uplink_commands(
        &mut self,
        replica: &mut Replica,
        now: DateTime<Utc>,
        wall: Wall,
        events: &mut Vec<MissionEvent>,
    ) {
        let Ok(tm) = &mut self.telemetry else {
            return;
        };
        let happened = self
            .uplink
            .tick(replica, tm, &self.operator, now, wall.instant);
        if happened.is_empty() {
            return;
        }
        for event in happened {
            let said = match event {
                UplinkEvent::Sent(text) => {
                    tm.board_mut().note(now, format!("command sent: {text}"));
                    Said::info(format!("Sent {text}."))
                }
                UplinkEvent::Verified(detail) => {
                    tm.board_mut()
                        .note(now, format!("command verified: {detail}"));
                    Said::info(format!("Verified {detail}."))
                }
                UplinkEvent::Failed(detail) => Said::problem(format!("Command failed: {detail}.")),
            };
            events.push(MissionEvent::Said(said));
        }
        self.scoring.read = None;
        events.push(MissionEvent::CommandsWritten);
    }

    /// Writes what was logged since the last turn into the replica, so a restart shows it.
    fn keep_log(&mut self, replica: &mut Replica) {
        let Ok(tm) = &self.telemetry else {
            return;
        };
        let log = tm.board().log();
        if log.len() <= self.logged {
            return;
        }
        let rows: Vec<LoggedEvent> = log[self.logged..]
            .iter()
            .map(|e| LoggedEvent {
                at: galaxium_sync::time::stored(e.at),
                channel: e.channel.clone(),
                severity: e.severity.label().to_owned(),
                what: e.what.clone(),
                drill: e.drill,
            })
            .collect();
        match replica.log_events(&rows) {
            Ok(()) => self.logged = log.len(),
            // Kept in memory and tried again at the next turn.
            Err(err) => tracing::warn!("the event log cannot be kept in the replica: {err}"),
        }
    }

    /// On a console joined to a training session: follows the session's mission clock, and
    /// hands a newer sign-in to the session's feed or poster.
    fn follow_session(&mut self, replica: &Replica, wall: Wall) {
        let Ok(tm) = &mut self.telemetry else {
            return;
        };
        if let Some(clock) = tm.live_status().and_then(|s| s.session.and(s.clock)) {
            self.clock = clock;
        }
        if let Some(hosted) = tm.source_mut().hosted()
            && self.session_token.due(wall.instant)
            && let Ok(Some(sign_in)) = replica.sign_in()
            && sign_in.is_valid_at(wall.utc)
        {
            hosted.use_token(&sign_in.token);
        }
    }

    /// Predicts the crewed vehicle's sunlight and each station's contacts from `now`.
    fn predict_environment(&mut self, orbit: &OrbitData, now: DateTime<Utc>) {
        let Ok(tm) = &mut self.telemetry else {
            return;
        };
        let Some(satellite) = orbit
            .objects
            .iter()
            .find(|o| o.vehicle.is_some())
            .and_then(|o| o.satellite.as_ref().ok())
        else {
            return;
        };
        match environment_from_orbit(satellite, &orbit.stations, now) {
            Ok(environment) => tm.set_environment(&environment),
            Err(err) => tracing::warn!("orbit environment for telemetry: {err:#}"),
        }
        self.contacts = crate::orbit::station_passes(
            satellite,
            &orbit.stations,
            now - chrono::Duration::minutes(15),
            24,
        )
        .unwrap_or_else(|err| {
            tracing::warn!("ground-station contacts: {err:#}");
            Vec::new()
        });
    }

    /// Acknowledges here the alarms acknowledged at other consoles (synced rows).
    fn take_acknowledgements_from_elsewhere(&mut self, replica: &Replica) {
        let Ok(tm) = &mut self.telemetry else {
            return;
        };
        let found = match acks::from_elsewhere(replica, &self.acks_seen) {
            Ok(found) => found,
            Err(err) => {
                tracing::warn!("alarm acknowledgements from other consoles: {err}");
                return;
            }
        };
        for ack in found {
            if let Ok(at) = DateTime::parse_from_rfc3339(&ack.at) {
                tm.board_mut().acknowledge_from_elsewhere(
                    &ack.channel,
                    &ack.by,
                    &ack.comment,
                    at.into(),
                );
            }
            self.acks_seen = ack.at;
        }
    }

    /// Looks for alarms that open incidents (and snapshots to finish).
    fn detect_incidents(
        &mut self,
        replica: &mut Replica,
        now: DateTime<Utc>,
        events: &mut Vec<MissionEvent>,
    ) {
        let (Some(detector), Ok(tm)) = (self.detector.as_mut(), self.telemetry.as_ref()) else {
            return;
        };
        match detector.check(replica, tm, now) {
            Ok(found) if found.is_empty() => {}
            Ok(found) => {
                let mut opened = Vec::new();
                for detection in found {
                    match detection {
                        Detection::Opened {
                            reference, title, ..
                        } => opened.push((reference, title)),
                        Detection::Added { reference, .. } => {
                            tracing::info!("an alarm was added to {reference}");
                        }
                    }
                }
                self.scoring.read = None;
                events.push(MissionEvent::IncidentsWritten { opened });
            }
            Err(err) => {
                tracing::error!("incident detection failed: {err}");
                events.push(MissionEvent::Said(Said::problem(format!(
                    "An alarm could not open its incident: {err}"
                ))));
            }
        }
    }

    /// Plays a scenario's scrub on the sandbox's own launches once, and scores the trainees'
    /// responses against the incidents, acknowledgements and rebookings in the replica.
    fn score_training(
        &mut self,
        replica: &mut Replica,
        now: DateTime<Utc>,
        events: &mut Vec<MissionEvent>,
    ) {
        let Ok(tm) = &mut self.telemetry else {
            return;
        };
        let Some(fired) = tm.training().map(|t| t.fired().to_vec()) else {
            return;
        };
        for (event, _) in fired.iter().skip(self.scoring.seen) {
            if let training::scenario::Action::Scrub { reason } = &event.action {
                match training::play_scrub(replica, now) {
                    Ok(Some(scrub)) => {
                        tm.board_mut().note(
                            now,
                            format!("scenario: {} scrubbed: {reason}", scrub.mission),
                        );
                        events.push(MissionEvent::Said(Said::problem(format!(
                            "{} is scrubbed: {reason}. {} passengers need another launch.",
                            scrub.mission,
                            scrub.passengers.len()
                        ))));
                        self.scoring.scrub = Some(scrub);
                        self.scoring.read = None;
                    }
                    Ok(None) => tracing::warn!("the scenario's scrub found no launch to scrub"),
                    Err(err) => tracing::error!("the scenario's scrub failed: {err}"),
                }
            }
        }
        self.scoring.seen = fired.len();
        let rebooked_at = self
            .scoring
            .scrub
            .as_ref()
            .and_then(|scrub| training::rebooked_at(replica, scrub).ok().flatten());
        let (details, acknowledged, verified_commands) = self
            .scoring
            .read
            .get_or_insert_with(|| read_for_scoring(replica));
        self.scoring.scores = training::score::score(
            &fired,
            &training::score::Actions {
                log: tm.board().log(),
                incidents: details,
                acknowledged,
                rebooked_at,
                verified_commands,
            },
            unix_seconds(now),
        );
    }

    /// Decides the tone the alarms call for, after the mute.
    fn decide_tone(&mut self, now: DateTime<Utc>) {
        self.tone_wanted = match &self.telemetry {
            Ok(tm) => self.tone.decide(tm.board(), now),
            Err(_) => None,
        };
    }

    /// Mutes or unmutes the tone; logged in the event log with who did it.
    pub fn mute(&mut self, muted: bool, user: &str, now: DateTime<Utc>) {
        let Ok(tm) = &mut self.telemetry else {
            return;
        };
        self.tone.set_muted(muted, tm.board());
        let what = if muted { "muted" } else { "unmuted" };
        tm.board_mut()
            .note(now, format!("alarm tone {what} by {user}"));
        self.decide_tone(now);
    }

    /// Acknowledges `channel`'s alarm with `comment`, kept in the replica so that every
    /// console with the alarm sees it acknowledged. Returns what to say and whether the
    /// acknowledgement wants syncing now.
    pub fn acknowledge(
        &mut self,
        replica: &mut Replica,
        channel: &str,
        comment: &str,
        user: &str,
        now: DateTime<Utc>,
    ) -> (Said, bool) {
        let Ok(tm) = &mut self.telemetry else {
            return (Said::problem("Telemetry is not running."), false);
        };
        let alarm = tm.board().get(channel).map(|a| (a.severity, a.drill));
        let outcome = tm.board_mut().acknowledge(channel, user, comment, now);
        let kept = match (&outcome, alarm) {
            // A drill's acknowledgement stays here: shared, it would acknowledge the same
            // channel's real alarm at every other console.
            (Ok(()), Some((severity, false))) => {
                acks::record(replica, channel, severity, user, comment.trim(), now).err()
            }
            _ => None,
        };
        self.scoring.read = None;
        match (outcome, kept) {
            (Ok(()), None) if alarm.is_some_and(|(_, drill)| drill) => (
                Said::info(format!(
                    "Acknowledged the DRILL alarm on {channel}: {comment}"
                )),
                false,
            ),
            (Ok(()), None) => (
                Said::info(format!("Acknowledged {channel}: {comment}")),
                true,
            ),
            (Ok(()), Some(err)) => (
                Said::problem(format!(
                    "Acknowledged {channel} here, but other consoles will not see it: {err}"
                )),
                false,
            ),
            (Err(err), _) => (
                Said::problem(format!("{channel} was not acknowledged: {err}")),
                false,
            ),
        }
    }

    /// Shelves `channel`'s alarm for `minutes`.
    pub fn shelve(&mut self, channel: &str, minutes: i64, user: &str, now: DateTime<Utc>) -> Said {
        let Ok(tm) = &mut self.telemetry else {
            return Said::problem("Telemetry is not running.");
        };
        match tm
            .board_mut()
            .shelve(channel, user, now + chrono::Duration::minutes(minutes), now)
        {
            Ok(()) => Said::info(format!("Shelved {channel} for {minutes} minutes.")),
            Err(err) => Said::problem(format!("{channel} was not shelved: {err}")),
        }
    }

    /// Carries out a telemetry command for `user`; the debrief is written into `exports`.
    pub fn command(
        &mut self,
        replica: &Replica,
        command: TelemetryCommand,
        (user, exports): (&str, &Path),
        wall: Wall,
    ) -> Option<Said> {
        let now = self.now_at(wall.utc);
        let Ok(tm) = &mut self.telemetry else {
            return Some(Said::problem(
                "Telemetry did not start, so it cannot be steered; the log says why.",
            ));
        };
        match command {
            TelemetryCommand::UseSimulator => {
                // The same mission as before the switch: its clock runs on from its start,
                // and the time in between is not made up.
                let start = tm
                    .mission_start()
                    .and_then(|t| {
                        #[allow(clippy::cast_possible_truncation, reason = "Unix seconds")]
                        DateTime::from_timestamp(t as i64, 0)
                    })
                    .unwrap_or(now);
                let mut simulator = Simulator::new(&tm.dictionary, start, SIMULATOR_SEED);
                simulator.skip_to(unix_seconds(now));
                tm.switch_source(Box::new(simulator), now);
                // The simulator models the orbit: predict it again at once.
                self.environment.reset();
                Some(Said::info("Telemetry: the built-in simulator."))
            }
            TelemetryCommand::PlayRecording(path) => {
                match Playback::open(Path::new(&path), &tm.dictionary) {
                    Ok(playback) => {
                        tm.switch_source(Box::new(playback), now);
                        Some(Said::info(format!("Telemetry: playing {path}.")))
                    }
                    Err(err) => Some(Said::problem(err.to_string())),
                }
            }
            TelemetryCommand::FollowLive => Some(follow_live(tm, replica, wall.utc, now)),
            TelemetryCommand::Drill(drill) => Some(inject_drill(tm, drill, user, now)),
            TelemetryCommand::TrainingPause(paused) => {
                tm.training()?.set_paused(paused, unix_seconds(now));
                let what = if paused { "paused" } else { "resumed" };
                tm.board_mut()
                    .note(now, format!("training scenario {what} by {user}"));
                Some(Said::info(format!("Scenario {what}.")))
            }
            TelemetryCommand::TrainingNext => {
                tm.training()?.jump_to_next(unix_seconds(now));
                tm.board_mut().note(
                    now,
                    format!("next scenario event brought forward by {user}"),
                );
                None
            }
            TelemetryCommand::TrainingSpeed(rate) => {
                tm.training()?;
                let rate = rate.clamp(1.0, MAX_CLOCK_RATE);
                self.clock = self.clock.with_rate(rate, unix_seconds(wall.utc));
                if let Some(hosted) = tm.source_mut().hosted() {
                    hosted.publish_clock(self.clock);
                }
                tm.board_mut()
                    .note(now, format!("mission clock set to x{rate} by {user}"));
                Some(Said::info(format!("Mission clock: x{rate}.")))
            }
            TelemetryCommand::TrainingJump(index) => {
                let training = tm.training()?;
                let note = training.scenario().events.get(index)?.note.clone();
                if !training.jump_to(index, unix_seconds(now)) {
                    return Some(Said::problem("That event has been reached already."));
                }
                tm.board_mut()
                    .note(now, format!("scenario moved on to \"{note}\" by {user}"));
                None
            }
            TelemetryCommand::TrainingDebrief => {
                let commands = crate::commanding::read(replica, crate::commanding::HISTORY_SHOWN)
                    .unwrap_or_else(|err| {
                        tracing::warn!("commands for the debrief: {err}");
                        Vec::new()
                    });
                Some(write_debrief(
                    tm,
                    (&self.scoring.scores, &commands),
                    exports,
                    now,
                ))
            }
            TelemetryCommand::Pause(paused) => {
                if let Some(p) = tm.playback() {
                    p.set_paused(paused, unix_seconds(wall.utc));
                }
                None
            }
            TelemetryCommand::Speed(speed) => {
                if let Some(p) = tm.playback() {
                    p.set_speed(speed, unix_seconds(wall.utc));
                }
                None
            }
            TelemetryCommand::Seek(t) => {
                tm.seek(t, now);
                None
            }
        }
    }
}

/// Telemetry from the source the replica calls for: a trainee's console joined to a session
/// follows the trainer's feed; a training sandbox prepared with a scenario plays it (and
/// posts it to its session when it hosts one); otherwise the built-in simulator, with crew
/// channels for the crewed vehicle's seats. The reason if the dictionary, the scenario or the
/// session's feed cannot be read or started.
pub fn start_telemetry(replica: &Replica) -> Result<Telemetry, String> {
    let scenario = training::prepared_scenario(replica).map_err(|e| e.to_string())?;
    let link = replica.training_link().map_err(|e| e.to_string())?;
    // A kept sign-in that still works (the training commands keep one).
    let token = replica
        .sign_in()
        .map_err(|e| e.to_string())?
        .filter(|s| s.is_valid_at(Utc::now()))
        .map(|s| s.token)
        .unwrap_or_default();
    let (dictionary, source): (Dictionary, Box<dyn TelemetrySource>) = match (scenario, link) {
        // Without a sign-in the feed says so, and Follow live starts it again.
        (_, Some(link)) if !link.hosting => {
            let scenario = training::scenario_by_id(&link.scenario).map_err(|e| e.to_string())?;
            let dictionary = Dictionary::shipped(&scenario.seats()).map_err(|e| e.to_string())?;
            let live = LiveSource::start(&link.server, Some(&link.session), &token, &dictionary)
                .map_err(|e| format!("the session's feed cannot start: {e}"))?;
            (dictionary, Box::new(live))
        }
        (Some(scenario), link) => {
            let dictionary = Dictionary::shipped(&scenario.seats()).map_err(|e| e.to_string())?;
            let source =
                training::source::ScenarioSource::new(scenario, dictionary.clone(), Utc::now());
            let source: Box<dyn TelemetrySource> = match link {
                Some(link) => Box::new(
                    HostedSource::start(source, &link.server, &link.session, &token)
                        .map_err(|e| e.to_string())?,
                ),
                None => Box::new(source),
            };
            (dictionary, source)
        }
        (None, _) => {
            let seats = telemetry::crewed_seats(replica).map_err(|e| e.to_string())?;
            let dictionary = Dictionary::shipped(&seats).map_err(|e| e.to_string())?;
            let simulator = Simulator::new(&dictionary, Utc::now(), SIMULATOR_SEED);
            (dictionary, Box::new(simulator))
        }
    };
    let names: Vec<String> = dictionary.channels.iter().map(|c| c.id.clone()).collect();
    let mut telemetry = Telemetry::new(dictionary, source);
    // Without an archive the console still shows live data (the last 24 hours stay in
    // memory); the reason is logged.
    match telemetry::archive::Archive::start(replica.path(), &names) {
        Ok(archive) => telemetry.attach_archive(archive),
        Err(err) => tracing::error!("telemetry archive cannot start: {err}"),
    }
    Ok(telemetry)
}

/// The detector, from the shipped rules and the replica's snapshot window; `None` (and the
/// reason, logged) if the rules do not read.
fn start_detector(replica: &Replica) -> Option<Detector> {
    match Rules::shipped() {
        Ok(rules) => {
            let mut detector = Detector::new(rules);
            if let Some(minutes) = replica
                .preference(SNAPSHOT_WINDOW_KEY)
                .ok()
                .flatten()
                .and_then(|m| m.parse().ok())
            {
                detector.set_window_minutes(minutes);
            }
            match incidents::crewed_vehicle_id(replica) {
                Ok(vehicle) => detector.set_vehicle(vehicle),
                Err(err) => tracing::warn!("the crewed vehicle for incidents: {err}"),
            }
            Some(detector)
        }
        Err(err) => {
            tracing::error!("alarms will not open incidents: {err}");
            None
        }
    }
}

/// Every incident with its detail and every acknowledgement (channel, Unix seconds), for
/// scoring; what cannot be read scores as missing and is logged.
fn read_for_scoring(replica: &Replica) -> ScoredAgainst {
    let details = incidents::list(replica)
        .unwrap_or_else(|err| {
            tracing::warn!("incidents for scoring: {err}");
            Vec::new()
        })
        .iter()
        .filter_map(|i| incidents::detail(replica, &i.id).ok().flatten())
        .collect();
    let acknowledged = acks::every(replica, "")
        .unwrap_or_else(|err| {
            tracing::warn!("alarm acknowledgements for scoring: {err}");
            Vec::new()
        })
        .into_iter()
        .filter_map(|a| {
            DateTime::parse_from_rfc3339(&a.at)
                .ok()
                .map(|t| (a.channel, unix_seconds(t.into())))
        })
        .collect();
    let verified = crate::commanding::read(replica, crate::commanding::HISTORY_SHOWN)
        .unwrap_or_else(|err| {
            tracing::warn!("commands for scoring: {err}");
            Vec::new()
        })
        .into_iter()
        .filter_map(|c| {
            let at = galaxium_sync::time::parse(&c.stage("verified")?.at)?;
            Some((c.name, unix_seconds(at)))
        })
        .collect();
    (details, acknowledged, verified)
}

/// Switches to the server's live feed with the kept sign-in (a sandbox joined to a session
/// follows the session, never operations).
fn follow_live(
    tm: &mut Telemetry,
    replica: &Replica,
    wall: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Said {
    match replica.sign_in() {
        Ok(Some(sign_in)) if sign_in.is_valid_at(wall) => {
            let session = replica.training_link().ok().flatten();
            let (server, session) = session.map_or((sign_in.server.clone(), None), |l| {
                (l.server, Some(l.session))
            });
            match LiveSource::start(&server, session.as_deref(), &sign_in.token, &tm.dictionary) {
                Ok(live) => {
                    tm.switch_source(Box::new(live), now);
                    Said::info(format!(
                        "Telemetry: following the live feed of {}.",
                        sign_in.server
                    ))
                }
                Err(err) => Said::problem(format!(
                    "The live feed cannot start: {err}. Telemetry stays as it was."
                )),
            }
        }
        Ok(_) => Said::problem(
            "Sign in to the server on the Sync screen (Ctrl+9) first: the live feed needs your sign-in.",
        ),
        Err(err) => Said::problem(format!(
            "The sign-in cannot be read from the replica: {err}"
        )),
    }
}

/// An event log entry read back from the replica; `None` for one this build cannot read.
fn event_from_row(row: LoggedEvent) -> Option<AlarmEvent> {
    Some(AlarmEvent {
        at: galaxium_sync::time::parse(&row.at)?,
        channel: row.channel,
        what: row.what,
        severity: Severity::from_label(&row.severity)?,
        drill: row.drill,
    })
}

/// Starts drill `drill` (an index of [`DRILLS`]) on the simulator, or ends every drill;
/// logged in the event log.
fn inject_drill(tm: &mut Telemetry, drill: Option<usize>, user: &str, now: DateTime<Utc>) -> Said {
    if let Some(drill) = drill.and_then(|i| DRILLS.get(i)) {
        let mut played = Vec::new();
        for (channel, to, per_s) in drill.moves {
            let fault = Fault::Ramp {
                to: *to,
                per_s: *per_s,
                at: None,
            };
            if tm.drill(channel, Some(fault)) {
                played.push(format!("{channel} toward {to}"));
            }
        }
        if played.is_empty() {
            return Said::problem(format!(
                "The drill {} needs the built-in simulator: recorded and live data cannot play one.",
                drill.name
            ));
        }
        tm.board_mut()
            .note_drill(now, format!("started by {user}: {}", drill.name));
        return Said::info(format!(
            "DRILL: {} ({}). Its alarms and incidents are marked DRILL and stay on this console; end it from the same menu.",
            drill.name,
            played.join(", ")
        ));
    }
    for drill in &DRILLS {
        for (channel, _, _) in drill.moves {
            tm.drill(channel, None);
        }
    }
    tm.board_mut()
        .note_drill(now, format!("drills ended by {user}"));
    Said::info("Drills ended.")
}

/// Writes the debrief page of the scenario playing into `exports`.
fn write_debrief(
    tm: &mut Telemetry,
    (scores, commands): (&[Scored], &[crate::commanding::Command]),
    exports: &Path,
    now: DateTime<Utc>,
) -> Said {
    use training::debrief::{self, DebriefInput, Trace};
    let Some(training) = tm.training() else {
        return Said::problem("No scenario is playing.");
    };
    let scenario = training.scenario().clone();
    let fired = training.fired().to_vec();
    let started = TelemetrySource::mission_start(&*training).unwrap_or_default();
    let traces: Vec<usize> = debrief::touched_channels(&scenario)
        .iter()
        .filter_map(|c| tm.index_of(c))
        .collect();
    let traces: Vec<Trace<'_>> = traces
        .iter()
        .map(|index| Trace {
            channel: tm.dictionary.channels[*index].id.as_str(),
            unit: tm.dictionary.channels[*index].unit.as_str(),
            points: tm.series(*index).recent(started).collect(),
        })
        .collect();
    let html = debrief::to_html(&DebriefInput {
        scenario: &scenario,
        started,
        fired: &fired,
        scores,
        traces: &traces,
        commands,
        generated_at: now,
    });
    let path = exports.join(format!(
        "debrief-{}-{}.html",
        scenario.id,
        now.format("%Y%m%d-%H%M%S")
    ));
    match html
        .and_then(|h| crate::files::write_whole(&path, h.as_bytes()).map_err(|e| e.to_string()))
    {
        Ok(()) => Said::info(format!("Debrief written to {}", path.display())),
        Err(err) => Said::problem(format!("The debrief was not written: {err}")),
    }
}

#[cfg(test)]
mod tests {
    use galaxium_sync::OpenOptions;

    use super::*;
    use crate::telemetry::Sample;

    fn replica() -> (tempfile::TempDir, Replica) {
        let dir = tempfile::tempdir().unwrap();
        let replica =
            Replica::open(&dir.path().join("replica.sqlite"), &OpenOptions::default()).unwrap();
        (dir, replica)
    }

    /// A loop around telemetry fed by hand (a recording with nothing in it: samples are
    /// ingested by the test).
    fn fed_loop(replica: &Replica) -> MissionLoop {
        let dictionary = Dictionary::shipped(&[]).unwrap();
        let telemetry = Telemetry::new(dictionary, Box::new(Playback::new("test", Vec::new())));
        MissionLoop::with_telemetry(replica, Ok(telemetry))
    }

    fn wall(at: DateTime<Utc>, instant: Instant) -> Wall {
        Wall { instant, utc: at }
    }

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    /// A minute of nominal cabin pressure up to `t`, then a plunge to 60 kPa.
    fn depressurise(mission: &mut MissionLoop, t: f64) {
        let tm = mission.telemetry_mut().unwrap();
        let channel = tm.index_of("ls.cabin_pressure").unwrap();
        let nominal = tm.dictionary.channels[channel].sim.nominal;
        for k in 0..60 {
            tm.ingest(Sample {
                channel,
                t: t - 60.0 + f64::from(k),
                value: nominal,
            });
        }
        for k in 0..4 {
            tm.ingest(Sample {
                channel,
                t: t + f64::from(k) * 0.01,
                value: 60.0,
            });
        }
    }

    #[test]
    fn an_alarm_opens_its_incident_sounds_the_tone_and_an_acknowledgement_silences_it() {
        let (_dir, mut replica) = replica();
        let mut mission = fed_loop(&replica);
        let orbit = OrbitData::default();
        let start = Instant::now();
        assert!(
            mission
                .tick(&mut replica, &orbit, wall(t0(), start))
                .is_empty()
        );
        assert_eq!(mission.tone_wanted(), None);

        depressurise(&mut mission, unix_seconds(t0()) + 1.0);
        let at = t0() + chrono::Duration::seconds(2);
        let events = mission.tick(
            &mut replica,
            &orbit,
            wall(at, start + Duration::from_secs(2)),
        );
        let [MissionEvent::IncidentsWritten { opened }] = events.as_slice() else {
            panic!("{events:?}");
        };
        assert_eq!(opened.len(), 1);
        assert_eq!(opened[0].1, "Cabin depressurisation");
        assert_eq!(incidents::list(&replica).unwrap().len(), 1);
        assert_eq!(mission.tone_wanted(), Some(TonePattern::Critical));

        let (said, sync_now) = mission.acknowledge(
            &mut replica,
            "ls.cabin_pressure",
            "crew in suits",
            "ada",
            at,
        );
        assert_eq!(
            said,
            Said::Info("Acknowledged ls.cabin_pressure: crew in suits".into())
        );
        assert!(sync_now, "other consoles should hear of it at once");
        assert_eq!(acks::every(&replica, "").unwrap().len(), 1);
        let later = at + chrono::Duration::seconds(1);
        mission.tick(
            &mut replica,
            &orbit,
            wall(later, start + Duration::from_secs(3)),
        );
        assert_eq!(mission.tone_wanted(), None);
    }

    #[test]
    fn the_power_bus_scenario_is_recovered_by_enabling_bus_b_and_scored_on_it() {
        use crate::training::scenario::Expectation;
        use crate::training::score::Outcome;
        let (_dir, mut replica) = replica();
        let scenario = crate::training::scenario::shipped()
            .unwrap()
            .into_iter()
            .find(|s| s.id == "power-bus-fault-eclipse")
            .unwrap();
        let dictionary = Dictionary::shipped(&scenario.seats()).unwrap();
        let source = training::source::ScenarioSource::new(scenario, dictionary.clone(), t0());
        let mut mission =
            MissionLoop::with_telemetry(&replica, Ok(Telemetry::new(dictionary, Box::new(source))));
        mission.set_operator("tia");
        let orbit = OrbitData::default();
        let start = Instant::now();
        let mut k = 0_i64;
        let mut tick = |mission: &mut MissionLoop, replica: &mut Replica, seconds: i64| {
            for _ in 0..seconds {
                k += 1;
                let at = t0() + chrono::Duration::seconds(k);
                let instant = start + Duration::from_secs(k.unsigned_abs());
                mission.tick(replica, &orbit, wall(at, instant));
            }
        };
        tick(&mut mission, &mut replica, 3);
        // The regulator fails: the scenario's step event, brought forward.
        let exports = tempfile::tempdir().unwrap();
        let now = t0() + chrono::Duration::seconds(3);
        mission.command(
            &replica,
            TelemetryCommand::TrainingJump(1),
            ("ted", exports.path()),
            wall(now, start + Duration::from_secs(3)),
        );
        tick(&mut mission, &mut replica, 3);
        let bus = mission
            .telemetry()
            .unwrap()
            .index_of("pwr.bus_voltage")
            .unwrap();
        assert!(mission.telemetry().unwrap().series(bus).last().unwrap().1 < 24.0);
        let expected = |mission: &MissionLoop| {
            mission
                .scores()
                .iter()
                .find(|s| matches!(&s.expected.response, Expectation::Command { name } if name == "PWR.BUS_B_ENABLE"))
                .map(|s| s.outcome)
        };
        assert!(matches!(expected(&mission), Some(Outcome::Pending(_))));
        let commands = galaxium_sync::commanding::CommandDictionary::shipped().unwrap();
        let now = t0() + chrono::Duration::seconds(7);
        crate::commanding::queue(
            &mut replica,
            &crate::commanding::NewCommand {
                spec: commands.get("PWR.BUS_B_ENABLE").unwrap(),
                arguments: serde_json::Map::new(),
                priority: "urgent",
                hazard_confirmed: false,
            },
            ("tia", galaxium_sync::schema::registry::Role::Controller),
            now,
        )
        .unwrap();
        tick(&mut mission, &mut replica, 8);
        assert!(mission.telemetry().unwrap().series(bus).last().unwrap().1 > 26.0);
        assert!(
            matches!(expected(&mission), Some(Outcome::Met(s)) if s < 20.0),
            "{:?}",
            mission.scores()
        );
        // The debrief lists the command with its stages.
        let said = mission.command(
            &replica,
            TelemetryCommand::TrainingDebrief,
            ("ted", exports.path()),
            wall(t0() + chrono::Duration::seconds(k), start),
        );
        assert!(matches!(said, Some(Said::Info(_))), "{said:?}");
        let page = std::fs::read_dir(exports.path())
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .next()
            .unwrap();
        assert!(
            page.contains("<h2>Commands</h2>") && page.contains("<code>PWR.BUS_B_ENABLE</code>")
        );
        assert!(
            page.contains("verified by tia: PWR.BUS_B_ENABLE: pwr.bus_b_voltage above 26 V"),
            "{page}"
        );
    }

    #[test]
    fn a_mute_silences_the_tone_and_is_logged_with_who_muted_it() {
        let (_dir, mut replica) = replica();
        let mut mission = fed_loop(&replica);
        let orbit = OrbitData::default();
        let start = Instant::now();
        depressurise(&mut mission, unix_seconds(t0()));
        mission.tick(&mut replica, &orbit, wall(t0(), start));
        assert_eq!(mission.tone_wanted(), Some(TonePattern::Critical));
        mission.mute(true, "ada", t0());
        assert!(mission.tone_muted());
        assert_eq!(mission.tone_wanted(), None);
        let log = mission.telemetry().unwrap().board().log();
        assert!(
            log.iter()
                .any(|entry| entry.what == "alarm tone muted by ada"),
            "{log:?}"
        );
    }

    /// A loop around the built-in simulator started at `t0()`.
    fn simulated_loop(replica: &Replica) -> MissionLoop {
        let dictionary = Dictionary::shipped(&[]).unwrap();
        let simulator = Simulator::new(&dictionary, t0(), SIMULATOR_SEED);
        MissionLoop::with_telemetry(replica, Ok(Telemetry::new(dictionary, Box::new(simulator))))
    }

    #[test]
    fn a_drill_is_started_logged_and_ended() {
        let (_dir, replica) = replica();
        let mut mission = simulated_loop(&replica);
        let exports = tempfile::tempdir().unwrap();
        let said = mission.command(
            &replica,
            TelemetryCommand::Drill(Some(1)),
            ("ada", exports.path()),
            wall(t0(), Instant::now()),
        );
        let Some(Said::Info(said)) = said else {
            panic!("{said:?}");
        };
        assert!(
            said.starts_with("DRILL: CO2 scrubber failure (ls.ppco2 toward 1.25)"),
            "{said}"
        );
        assert!(mission.telemetry().unwrap().drilling());
        let said = mission.command(
            &replica,
            TelemetryCommand::Drill(None),
            ("ada", exports.path()),
            wall(t0(), Instant::now()),
        );
        assert_eq!(said, Some(Said::Info("Drills ended.".into())));
        assert!(!mission.telemetry().unwrap().drilling());
        let log = mission.telemetry().unwrap().board().log();
        assert!(
            log.iter()
                .any(|e| e.drill && e.what == "started by ada: CO2 scrubber failure")
        );
        assert!(log.iter().any(|e| e.what == "drills ended by ada"));
    }

    #[test]
    fn a_drill_on_recorded_data_is_refused_with_the_reason() {
        let (_dir, replica) = replica();
        let mut mission = fed_loop(&replica);
        let exports = tempfile::tempdir().unwrap();
        let said = mission.command(
            &replica,
            TelemetryCommand::Drill(Some(0)),
            ("ada", exports.path()),
            wall(t0(), Instant::now()),
        );
        assert!(
            matches!(&said, Some(Said::Problem(p)) if p.contains("needs the built-in simulator")),
            "{said:?}"
        );
    }

    /// Ticks `mission` once a second for `seconds` from `t0()`; returns what was opened.
    fn run_for(
        mission: &mut MissionLoop,
        replica: &mut Replica,
        seconds: i64,
    ) -> Vec<(String, String)> {
        let orbit = OrbitData::default();
        let start = Instant::now();
        let mut opened = Vec::new();
        for k in 0..=seconds {
            let at = t0() + chrono::Duration::seconds(k);
            let instant = start + Duration::from_secs(u64::try_from(k).unwrap());
            for event in mission.tick(replica, &orbit, wall(at, instant)) {
                if let MissionEvent::IncidentsWritten { opened: o } = event {
                    opened.extend(o);
                }
            }
        }
        opened
    }

    #[test]
    fn a_drill_leaks_the_cabin_gradually_and_its_incident_is_marked_and_stays_local() {
        let (_dir, mut replica) = replica();
        let mut mission = simulated_loop(&replica);
        let exports = tempfile::tempdir().unwrap();
        run_for(&mut mission, &mut replica, 5);
        mission.command(
            &replica,
            TelemetryCommand::Drill(Some(0)),
            ("ada", exports.path()),
            wall(t0() + chrono::Duration::seconds(5), Instant::now()),
        );
        let opened = run_for(&mut mission, &mut replica, 120);
        let tm = mission.telemetry().unwrap();
        // A leak, not a jump: no two samples a second apart differ by more than the drill's
        // rate and the sensor's noise; and the oxygen falls with the cabin.
        let pressure = tm.index_of("ls.cabin_pressure").unwrap();
        let values: Vec<f64> = tm.series(pressure).recent(0.0).map(|(_, v)| v).collect();
        assert!(
            values.windows(2).all(|w| (w[0] - w[1]).abs() < 0.6),
            "{values:?}"
        );
        assert!(values.last().unwrap() < &89.0, "{values:?}");
        let ppo2 = tm.index_of("ls.ppo2").unwrap();
        assert!(tm.series(ppo2).last().unwrap().1 < 19.0);
        let alarm = tm
            .board()
            .get("ls.cabin_pressure")
            .expect("the drill's alarm");
        assert!(alarm.drill);
        assert!(
            tm.reading(pressure, t0() + chrono::Duration::seconds(120))
                .drill
        );
        assert!(
            tm.board()
                .log()
                .iter()
                .any(|e| e.channel == "ls.cabin_pressure" && e.drill)
        );

        assert!(!opened.is_empty());
        let listed = incidents::list(&replica).unwrap();
        assert!(!listed.is_empty());
        for incident in &listed {
            assert!(incident.title.starts_with("DRILL — "), "{}", incident.title);
            assert!(replica.is_kept_local("incidents", &incident.id).unwrap());
        }
        // Its acknowledgement stays here too: shared, it would acknowledge the real alarm of
        // the same channel at every other console.
        let (said, sync_now) =
            mission.acknowledge(&mut replica, "ls.cabin_pressure", "drill", "ada", t0());
        assert!(
            matches!(&said, Said::Info(s) if s.contains("DRILL")),
            "{said:?}"
        );
        assert!(!sync_now);
        assert!(acks::every(&replica, "").unwrap().is_empty());
        // Nothing of it waits to be sent: the incident, its timeline and passengers stay here.
        let unsent: i64 = replica
            .read("counting unsent incident ops", |c| {
                c.query_row(
                    "SELECT count(*) FROM outbox WHERE table_name LIKE 'incident%'",
                    [],
                    |r| r.get(0),
                )
            })
            .unwrap();
        assert_eq!(unsent, 0);
    }

    #[test]
    fn the_event_log_is_shown_again_after_a_restart() {
        let (_dir, mut replica) = replica();
        let mut mission = fed_loop(&replica);
        depressurise(&mut mission, unix_seconds(t0()));
        mission.tick(
            &mut replica,
            &OrbitData::default(),
            wall(t0(), Instant::now()),
        );
        mission.mute(true, "ada", t0());
        mission.tick(
            &mut replica,
            &OrbitData::default(),
            wall(t0(), Instant::now()),
        );
        let before: Vec<AlarmEvent> = mission.telemetry().unwrap().board().log().to_vec();
        assert!(before.len() >= 2, "{before:?}");
        drop(mission);

        let restarted = fed_loop(&replica);
        let after = restarted.telemetry().unwrap().board().log();
        assert_eq!(after, before.as_slice());
    }

    #[test]
    fn a_debrief_without_a_scenario_says_so_and_writes_nothing() {
        let (_dir, replica) = replica();
        let mut mission = fed_loop(&replica);
        let exports = tempfile::tempdir().unwrap();
        let said = mission.command(
            &replica,
            TelemetryCommand::TrainingDebrief,
            ("ada", exports.path()),
            wall(t0(), Instant::now()),
        );
        assert_eq!(said, Some(Said::Problem("No scenario is playing.".into())));
        assert_eq!(std::fs::read_dir(exports.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_loop_whose_telemetry_did_not_start_keeps_the_reason_and_refuses_commands() {
        let (_dir, mut replica) = replica();
        let mut mission =
            MissionLoop::with_telemetry(&replica, Err("the dictionary does not read".into()));
        assert_eq!(
            mission.start_problem(),
            Some("the dictionary does not read")
        );
        let events = mission.tick(
            &mut replica,
            &OrbitData::default(),
            wall(t0(), Instant::now()),
        );
        assert!(events.is_empty());
        let exports = tempfile::tempdir().unwrap();
        let said = mission.command(
            &replica,
            TelemetryCommand::UseSimulator,
            ("ada", exports.path()),
            wall(t0(), Instant::now()),
        );
        assert!(matches!(said, Some(Said::Problem(_))), "{said:?}");
    }

    #[test]
    fn periodic_work_waits_for_its_period_on_the_clock_it_is_given() {
        let start = Instant::now();
        let mut every = Every::new(Duration::from_secs(1));
        assert!(every.due(start));
        assert!(!every.due(start + Duration::from_millis(999)));
        assert!(every.due(start + Duration::from_secs(1)));
        every.reset();
        assert!(every.due(start + Duration::from_secs(1)));
    }
}
