//! Telemetry: the dictionary, sources (the built-in simulator first; recorded playback and the
//! server's live feed plug in behind the same trait), per-channel history, limit checking and
//! alarms. No UI here: the Mission view draws what [`Telemetry`] holds.

pub mod acks;
pub mod alarms;
pub mod archive;
pub mod dictionary;
pub mod limits;
pub mod live;
pub mod playback;
pub mod series;
pub mod sim;
pub mod tone;

use chrono::{DateTime, Utc};

use alarms::AlarmBoard;
use dictionary::{Dictionary, Subsystem};
use limits::LimitState;
use series::Series;

/// One value of one channel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// The channel's index in the dictionary.
    pub channel: usize,
    /// When it was measured, Unix seconds.
    pub t: f64,
    /// The value, in the channel's unit.
    pub value: f64,
}

/// Where samples come from; every screen says which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// The built-in simulator.
    Simulated,
    /// A recorded file played back.
    Playback,
    /// The server's live feed.
    Live,
}

impl SourceKind {
    /// The word on screen.
    pub fn label(self) -> &'static str {
        match self {
            Self::Simulated => "SIMULATED",
            Self::Playback => "PLAYBACK",
            Self::Live => "LIVE",
        }
    }
}

/// A source of samples, polled once a frame.
pub trait TelemetrySource: Send {
    /// What kind of source it is.
    fn kind(&self) -> SourceKind;
    /// Appends the samples that have arrived by `now`.
    fn poll(&mut self, now: DateTime<Utc>, out: &mut Vec<Sample>);
    /// The orbit's sunlight and contacts, for a source that models the vehicle (recorded and
    /// live data carry their own).
    fn set_environment(&mut self, _environment: &sim::Environment) {}
    /// Holds a channel at a value (a fault injected for training); `false` when the source
    /// cannot (recorded and live data are what they are).
    fn inject(&mut self, _channel: usize, _value: Option<f64>) -> bool {
        false
    }
    /// Plays a fault on a channel (a drill), or ends it with `None`; `false` when the
    /// source cannot.
    fn play_fault(&mut self, _channel: usize, _fault: Option<sim::Fault>) -> bool {
        false
    }
    /// When its mission started, Unix seconds, if it knows.
    fn mission_start(&self) -> Option<f64> {
        None
    }
    /// Why commands cannot reach the vehicle this source shows, if they cannot (a
    /// recording is the past).
    fn uplink_refusal(&self) -> Option<String> {
        Some(format!(
            "the telemetry source ({}) cannot receive commands",
            self.kind().label()
        ))
    }
    /// Whether the vehicle is in contact with the ground at `t`, when the source knows better
    /// than the predicted passes (a simulated loss of comms); `None` to go by the passes.
    fn in_contact(&self, _t: f64) -> Option<bool> {
        None
    }
    /// Whether commands reach the vehicle through the server (the ground segment carries them
    /// out), rather than through this source.
    fn uplinks_through_server(&self) -> bool {
        false
    }
    /// Carries out a command's effect on channel `channel` of the vehicle; `false` when the
    /// source cannot.
    fn actuate(&mut self, _channel: usize, _actuation: sim::Actuation) -> bool {
        false
    }
    /// The recording being played, when the source is one (for its controls).
    fn playback(&mut self) -> Option<&mut playback::Playback> {
        None
    }
    /// The link to the server, when the source is its live feed.
    fn live(&self) -> Option<live::LiveStatus> {
        None
    }
    /// The training scenario being played, when the source is one (for the trainer's
    /// controls).
    fn training(&mut self) -> Option<&mut crate::training::source::ScenarioSource> {
        None
    }
    /// The training session this console hosts, when the source posts to one.
    fn hosted(&self) -> Option<&crate::training::session::HostedSource> {
        None
    }
}

/// What the crewed vehicle's orbit predicts from `now` for the next hours: sunlit intervals
/// and ground contacts over every station.
pub fn environment_from_orbit(
    satellite: &galaxium_orbit::Satellite,
    stations: &[crate::orbit::Station],
    now: DateTime<Utc>,
) -> Result<sim::Environment, crate::orbit::OrbitOpsError> {
    let from = now - chrono::Duration::minutes(15);
    let to = now + chrono::Duration::hours(6);
    let sunlit = galaxium_orbit::light_intervals(satellite, from, to)?
        .into_iter()
        .filter(|i| i.state == galaxium_orbit::Illumination::Sunlit)
        .map(|i| (unix_seconds(i.start), unix_seconds(i.end)))
        .collect();
    let contacts = crate::orbit::station_passes(satellite, stations, from, 24)?
        .into_iter()
        .flat_map(|s| s.passes)
        .map(|p| (unix_seconds(p.aos), unix_seconds(p.los)))
        .collect();
    Ok(sim::Environment {
        sunlit,
        contacts,
        known: true,
    })
}

/// The seats of the crewed vehicle being tracked (the one whose element set is newest), for
/// the crew's vital-sign channels; none when no crewed vehicle is tracked.
pub fn crewed_seats(
    replica: &galaxium_sync::Replica,
) -> Result<Vec<String>, galaxium_sync::ReplicaError> {
    let layout: Option<String> = replica.read("reading the crewed vehicle's seats", |conn| {
        use rusqlite::OptionalExtension as _;
        conn.query_row(
            "SELECT v.seat_layout FROM element_sets e JOIN vehicles v ON v.id = e.vehicle_id
             ORDER BY e.epoch DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()
    })?;
    let seats: Vec<serde_json::Value> = layout
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    Ok(seats
        .iter()
        .filter_map(|seat| seat["id"].as_str().map(str::to_owned))
        .collect())
}

/// Unix seconds with fractions.
pub fn unix_seconds(t: DateTime<Utc>) -> f64 {
    #[allow(
        clippy::cast_precision_loss,
        reason = "microseconds since 1970 fit f64's 53 bits"
    )]
    let micros = t.timestamp_micros() as f64;
    micros / 1e6
}

/// Samples older than this are stale: the screen says so.
pub const STALE_AFTER_S: f64 = 5.0;

/// Two samples of a channel further apart than this have a gap between them: a plot does not
/// join them with a line.
pub const GAP_AFTER_S: f64 = STALE_AFTER_S;

/// How a shown value stands: the one answer every screen gives beside a value, so no data,
/// old data and a value nobody expects never look like a live, healthy one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Freshness {
    /// Nothing has arrived for the channel from this source.
    NoData,
    /// No value is expected: loss of signal is predicted (a comms channel out of contact).
    NoContact,
    /// The newest value is older than [`STALE_AFTER_S`]: it is what it was, not what it is.
    Stale {
        /// Seconds since it was measured.
        age_s: f64,
    },
    /// Fresh.
    Live,
}

impl Freshness {
    /// The word on screen, when it is not live.
    pub fn label(self) -> Option<String> {
        match self {
            Self::NoData => Some("NO DATA".to_owned()),
            Self::NoContact => Some("no contact (LOS)".to_owned()),
            Self::Stale { age_s } => Some(format!("STALE {}", age_words(age_s))),
            Self::Live => None,
        }
    }
}

/// "12 s", "4 min", "3 h": how old, in the unit a glance needs.
pub fn age_words(age_s: f64) -> String {
    if age_s < 120.0 {
        format!("{age_s:.0} s")
    } else if age_s < 7200.0 {
        format!("{:.0} min", age_s / 60.0)
    } else {
        format!("{:.0} h", age_s / 3600.0)
    }
}

/// One channel as a screen shows it: its newest value, how fresh it is, its limit state, and
/// whether a drill holds it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// The newest value, if any arrived.
    pub value: Option<f64>,
    /// How it stands against the clock.
    pub freshness: Freshness,
    /// Its limit state as of the newest value.
    pub severity: limits::Severity,
    /// A drill is playing on the channel: the value is not the vehicle's.
    pub drill: bool,
}

/// The live window each channel keeps: 24 hours at 1 Hz.
pub const HISTORY_SAMPLES: usize = 24 * 3600;

/// Everything the mission screens show, fed from one source.
pub struct Telemetry {
    /// The channels.
    pub dictionary: Dictionary,
    source: Box<dyn TelemetrySource>,
    series: Vec<Series>,
    limits: Vec<LimitState>,
    board: AlarmBoard,
    /// Ground contacts `[aos, los)`, Unix seconds: alarms on comms channels are suppressed
    /// outside them. Empty when unknown (nothing suppressed).
    contacts: Vec<(f64, f64)>,
    scratch: Vec<Sample>,
    last_arrival: Option<f64>,
    archive: Option<archive::Archive>,
    /// Channels a drill is playing on.
    drilled: Vec<bool>,
    /// When the mission started, as the first source that knew said: a source started
    /// again later (the simulator after the live feed) keeps the same mission clock.
    mission_start: Option<f64>,
}

impl Telemetry {
    /// Telemetry of `dictionary` from `source`, keeping [`HISTORY_SAMPLES`] per channel.
    pub fn new(dictionary: Dictionary, source: Box<dyn TelemetrySource>) -> Self {
        Self::with_history(dictionary, source, HISTORY_SAMPLES)
    }

    /// As [`Telemetry::new`], keeping `samples` per channel in memory.
    pub fn with_history(
        dictionary: Dictionary,
        source: Box<dyn TelemetrySource>,
        samples: usize,
    ) -> Self {
        let n = dictionary.channels.len();
        Self {
            series: (0..n).map(|_| Series::with_capacity(samples)).collect(),
            limits: vec![LimitState::default(); n],
            dictionary,
            source,
            board: AlarmBoard::default(),
            contacts: Vec::new(),
            scratch: Vec::new(),
            last_arrival: None,
            archive: None,
            drilled: vec![false; n],
            mission_start: None,
        }
        .with_mission_start()
    }

    fn with_mission_start(mut self) -> Self {
        self.mission_start = self.source.mission_start();
        self
    }

    /// Writes every sample taken in from now on into `archive` as well.
    pub fn attach_archive(&mut self, archive: archive::Archive) {
        self.archive = Some(archive);
    }

    /// Takes the archive off (dropping it waits for its writer to finish).
    pub fn detach_archive(&mut self) -> Option<archive::Archive> {
        self.archive.take()
    }

    /// The archive, when one is attached.
    pub fn archive(&self) -> Option<&archive::Archive> {
        self.archive.as_ref()
    }

    /// The predicted ground contacts, for suppressing comms alarms during loss of signal.
    pub fn set_contacts(&mut self, contacts: Vec<(f64, f64)>) {
        self.contacts = contacts;
    }

    /// What the orbit predicts: the source models it (if it models anything) and comms
    /// alarms are suppressed outside the contacts.
    pub fn set_environment(&mut self, environment: &sim::Environment) {
        self.source.set_environment(environment);
        self.contacts = if environment.known {
            environment.contacts.clone()
        } else {
            Vec::new()
        };
    }

    /// When the mission started, Unix seconds, if a source said: the first that knew, kept
    /// across a change of source so mission elapsed time runs on.
    pub fn mission_start(&self) -> Option<f64> {
        self.mission_start.or_else(|| self.source.mission_start())
    }

    /// Plays a drill on channel `id`: held at `fault` by the simulator, and every value,
    /// alarm and event of it marked DRILL until it is cleared with `None`. `false` when
    /// there is no such channel or the source cannot play it (recorded and live data).
    pub fn drill(&mut self, id: &str, fault: Option<sim::Fault>) -> bool {
        let Some(index) = self.index_of(id) else {
            return false;
        };
        if !self.source.play_fault(index, fault) {
            return false;
        }
        self.drilled[index] = fault.is_some();
        true
    }

    /// Whether a drill is playing on any channel.
    pub fn drilling(&self) -> bool {
        self.drilled.iter().any(|d| *d)
    }

    /// Channel `index` as a screen shows it at `now`. For a recording, "now" is the newest
    /// time it has played (a paused recording is not stale).
    pub fn reading(&self, index: usize, now: DateTime<Utc>) -> Reading {
        let reference = self.reference_time(now);
        let last = self.series[index].last();
        let channel = &self.dictionary.channels[index];
        let freshness = match last {
            _ if channel.subsystem == Subsystem::Comms && self.los_predicted(reference) => {
                Freshness::NoContact
            }
            None => Freshness::NoData,
            Some((t, _)) if reference - t > STALE_AFTER_S => Freshness::Stale {
                age_s: reference - t,
            },
            Some(_) => Freshness::Live,
        };
        Reading {
            value: last.map(|(_, v)| v),
            freshness,
            severity: self.limits[index].severity,
            drill: self.drilled[index],
        }
    }

    /// The time values are judged against: the wall clock, or for a recording the newest
    /// time it has played.
    fn reference_time(&self, now: DateTime<Utc>) -> f64 {
        if self.source.kind() == SourceKind::Playback {
            self.series
                .iter()
                .filter_map(|s| s.last().map(|(t, _)| t))
                .fold(f64::MIN, f64::max)
        } else {
            unix_seconds(now)
        }
    }

    /// How the whole feed stands at `now`: no data yet, stale (nothing for longer than
    /// [`STALE_AFTER_S`]) or live.
    pub fn feed_freshness(&self, now: DateTime<Utc>) -> Freshness {
        match self.age_s(now) {
            None => Freshness::NoData,
            Some(age_s) if age_s > STALE_AFTER_S => Freshness::Stale { age_s },
            Some(_) => Freshness::Live,
        }
    }

    /// Holds channel `id` at `value` (a fault injected for training or a drill); `false` when
    /// there is no such channel or the source cannot.
    pub fn inject(&mut self, id: &str, value: Option<f64>) -> bool {
        match self.index_of(id) {
            Some(index) => self.source.inject(index, value),
            None => false,
        }
    }

    /// Whether a command can reach the vehicle at `t`: in contact with a ground station, as
    /// the source knows (a simulated loss of comms) or the passes predict (always, when no
    /// pass is known).
    pub fn in_contact(&self, t: f64) -> bool {
        self.source
            .in_contact(t)
            .unwrap_or_else(|| !self.los_predicted(t))
    }

    /// The ground contact under way at `t`, or the next one, `[aos, los)` in Unix seconds.
    pub fn next_contact(&self, t: f64) -> Option<(f64, f64)> {
        self.contacts
            .iter()
            .filter(|(_, los)| *los > t)
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .copied()
    }

    /// Why commands cannot reach the vehicle from this source, if they cannot.
    pub fn uplink_refusal(&self) -> Option<String> {
        self.source.uplink_refusal()
    }

    /// Whether commands reach the vehicle through the server (a live feed).
    pub fn uplinks_through_server(&self) -> bool {
        self.source.uplinks_through_server()
    }

    /// Carries out what a command does to channel `id` of the vehicle.
    pub fn actuate(&mut self, id: &str, actuation: sim::Actuation) -> bool {
        match self.index_of(id) {
            Some(index) => self.source.actuate(index, actuation),
            None => false,
        }
    }

    /// Whether loss of signal is predicted at `t` (contacts known and none covers `t`).
    pub fn los_predicted(&self, t: f64) -> bool {
        !self.contacts.is_empty() && !self.contacts.iter().any(|(a, b)| *a <= t && t < *b)
    }

    /// Polls the source and takes in what arrived; returns how many samples.
    pub fn tick(&mut self, now: DateTime<Utc>) -> usize {
        let mut samples = std::mem::take(&mut self.scratch);
        samples.clear();
        self.source.poll(now, &mut samples);
        for sample in &samples {
            self.ingest(*sample);
        }
        if let Some(archive) = &self.archive {
            archive.send(&samples);
        }
        if !samples.is_empty() {
            self.last_arrival = Some(unix_seconds(now));
        }
        let n = samples.len();
        self.scratch = samples;
        n
    }

    /// Takes in one sample: history, limit check, alarm.
    pub fn ingest(&mut self, sample: Sample) {
        let Some(channel) = self.dictionary.channels.get(sample.channel) else {
            return;
        };
        if !self.series[sample.channel].push(sample.t, sample.value) {
            return;
        }
        let state = &mut self.limits[sample.channel];
        let before = (state.severity, state.breach);
        let severity = state.update(channel, sample.t, sample.value);
        let breach = state.breach;
        // The board hears about changes, about values while an alarm is up, and about values
        // out of limits (an alarm held back during loss of signal is raised once it ends).
        if (severity, breach) != before
            || severity.alarms()
            || self.board.get(&channel.id).is_some()
        {
            let suppressed = channel.subsystem == Subsystem::Comms
                && !self.contacts.is_empty()
                && !self
                    .contacts
                    .iter()
                    .any(|(a, b)| *a <= sample.t && sample.t < *b);
            #[allow(clippy::cast_possible_truncation, reason = "microseconds since 1970")]
            let at = DateTime::from_timestamp_micros((sample.t * 1e6) as i64).unwrap_or_default();
            let drill = self.drilled[sample.channel];
            self.board.update(
                &channel.id,
                alarms::Change {
                    at,
                    value: sample.value,
                    severity,
                    breach,
                    suppressed,
                    drill,
                },
            );
        }
    }

    /// Takes samples from `source` from now on. History and limit states start again (what
    /// was plotted came from elsewhere), and drills end with the source that played them.
    /// Alarms stay: an alarm still out of limits is not dropped because the data now comes
    /// from elsewhere; it clears the usual way when the new source's values are back in
    /// limits, and until a value arrives its channel reads as no data. The log keeps the
    /// switch and what stayed.
    pub fn switch_source(&mut self, source: Box<dyn TelemetrySource>, now: DateTime<Utc>) {
        let from = self.source.kind().label();
        self.source = source;
        if self.mission_start.is_none() {
            self.mission_start = self.source.mission_start();
        }
        self.restart_history();
        self.drilled.iter_mut().for_each(|d| *d = false);
        let to = self.source.kind().label();
        let kept = self.board.alarms().len();
        let kept = match kept {
            0 => String::new(),
            1 => "; 1 alarm stays until the new source's value is back in limits".to_owned(),
            n => format!("; {n} alarms stay until the new source's values are back in limits"),
        };
        self.board
            .note(now, format!("source switched from {from} to {to}{kept}"));
        self.last_arrival = None;
    }

    /// For a recording being played: jumps to recording time `t`. The history starts again
    /// there, so going back shows the recording as it was.
    pub fn seek(&mut self, t: f64, now: DateTime<Utc>) -> bool {
        let wall = unix_seconds(now);
        let Some(playback) = self.source.playback() else {
            return false;
        };
        playback.seek(t, wall);
        self.restart_history();
        true
    }

    /// The recording being played, if any.
    pub fn playback(&mut self) -> Option<&mut playback::Playback> {
        self.source.playback()
    }

    fn restart_history(&mut self) {
        let capacity = self
            .series
            .first()
            .map_or(HISTORY_SAMPLES, Series::capacity);
        for series in &mut self.series {
            *series = Series::with_capacity(capacity);
        }
        self.limits
            .iter_mut()
            .for_each(|l| *l = LimitState::default());
    }

    /// The source's kind.
    pub fn source_kind(&self) -> SourceKind {
        self.source.kind()
    }

    /// The training scenario being played, if the source is one.
    pub fn training(&mut self) -> Option<&mut crate::training::source::ScenarioSource> {
        self.source.training()
    }

    /// The link to the server, when following its live feed.
    pub fn live_status(&self) -> Option<live::LiveStatus> {
        self.source.live()
    }

    /// How posting to the training session stands, when this console hosts one.
    pub fn hosted_status(&self) -> Option<crate::training::session::HostStatus> {
        self.source
            .hosted()
            .map(crate::training::session::HostedSource::status)
    }

    /// Seconds since samples last arrived, if any ever did.
    pub fn age_s(&self, now: DateTime<Utc>) -> Option<f64> {
        self.last_arrival.map(|t| unix_seconds(now) - t)
    }

    /// A channel's history.
    pub fn series(&self, index: usize) -> &Series {
        &self.series[index]
    }

    /// A channel's limit state.
    pub fn limit_state(&self, index: usize) -> LimitState {
        self.limits[index]
    }

    /// The alarms.
    pub fn board(&self) -> &AlarmBoard {
        &self.board
    }

    /// The alarms, for operator actions.
    pub fn board_mut(&mut self) -> &mut AlarmBoard {
        &mut self.board
    }

    /// The source, to steer it (inject a fault into the simulator).
    pub fn source_mut(&mut self) -> &mut dyn TelemetrySource {
        self.source.as_mut()
    }

    /// The index of channel `id`.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.dictionary.channels.iter().position(|c| c.id == id)
    }

    /// Time to reach the nearest warning or critical limit at the recent trend (a least-
    /// squares slope over the last `window_s`), when the channel drifts toward one clearly
    /// enough to stand out of its noise.
    pub fn time_to_limit(&self, index: usize, window_s: f64) -> Option<(f64, f64)> {
        let series = &self.series[index];
        let (t_last, v_last) = series.last()?;
        let points: Vec<(f64, f64)> = series.recent(t_last - window_s).collect();
        if points.len() < 10 {
            return None;
        }
        let slope = least_squares_slope(&points)?;
        #[allow(clippy::cast_precision_loss, reason = "a sample count")]
        let n = points.len() as f64;
        let (mt, mv) = points
            .iter()
            .fold((0.0, 0.0), |(a, b), (t, v)| (a + t / n, b + v / n));
        // Only a drift that stands out of the noise counts: over the window it must move the
        // value by more than three standard deviations of the scatter around the fit.
        #[allow(clippy::cast_precision_loss, reason = "a sample count")]
        let scatter = (points
            .iter()
            .map(|(t, v)| (v - (mv + slope * (t - mt))).powi(2))
            .sum::<f64>()
            / (points.len() - 2) as f64)
            .sqrt();
        let span = points[points.len() - 1].0 - points[0].0;
        if (slope * span).abs() <= 3.0 * scatter {
            return None;
        }
        // A value settling toward a new level (an exponential approach after a change of
        // light) is not a drift: its recent half must move at least half as fast as the whole.
        let recent: Vec<(f64, f64)> = points[points.len() / 2..].to_vec();
        if let Some(late) = least_squares_slope(&recent)
            && (late.signum() != slope.signum() || late.abs() < 0.5 * slope.abs())
        {
            return None;
        }
        let limits = &self.dictionary.channels[index].limits;
        let target = if slope > 0.0 {
            limits.warning.high.or(limits.critical.high)
        } else if slope < 0.0 {
            limits.warning.low.or(limits.critical.low)
        } else {
            None
        }?;
        let seconds = (target - v_last) / slope;
        (seconds > 0.0).then_some((seconds, target))
    }
}

/// The least-squares slope of `points`, if they span any time.
fn least_squares_slope(points: &[(f64, f64)]) -> Option<f64> {
    #[allow(clippy::cast_precision_loss, reason = "a sample count")]
    let n = points.len() as f64;
    let (mt, mv) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), (t, v)| (a + t / n, b + v / n));
    let (num, den) = points.iter().fold((0.0, 0.0), |(num, den), (t, v)| {
        (num + (t - mt) * (v - mv), den + (t - mt) * (t - mt))
    });
    (den > 0.0).then(|| num / den)
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::sim::Simulator;
    use super::*;

    fn telemetry(start: DateTime<Utc>) -> Telemetry {
        let d = Dictionary::shipped(&["1A".to_owned()]).unwrap();
        let sim = Simulator::new(&d, start, 42);
        Telemetry::new(d, Box::new(sim))
    }

    #[test]
    fn an_injected_critical_value_raises_an_alarm_and_its_return_latches_it() {
        let start: DateTime<Utc> = "2026-11-22T12:00:00Z".parse().unwrap();
        let mut tm = telemetry(start);
        assert!(tm.tick(start + Duration::seconds(10)) > 0);
        assert!(tm.board().alarms().is_empty(), "a nominal start");
        let ppco2 = tm.index_of("ls.ppco2").unwrap();
        tm.ingest(Sample {
            channel: ppco2,
            t: tm.series(ppco2).last().unwrap().0 + 0.5,
            value: 1.4,
        });
        // Persistence 3: two more.
        for k in 1..3 {
            tm.ingest(Sample {
                channel: ppco2,
                t: tm.series(ppco2).last().unwrap().0 + f64::from(k),
                value: 1.4,
            });
        }
        let alarm = tm.board().get("ls.ppco2").unwrap();
        assert_eq!(alarm.severity, limits::Severity::Critical);
        assert_eq!(alarm.state, alarms::AlarmState::UnackActive);
        tm.tick(start + Duration::seconds(20));
        assert_eq!(
            tm.board().get("ls.ppco2").unwrap().state,
            alarms::AlarmState::UnackCleared
        );
    }

    #[test]
    fn a_value_reads_as_no_data_then_live_then_stale_never_as_normal_without_data() {
        let start: DateTime<Utc> = "2026-11-22T12:00:00Z".parse().unwrap();
        let mut tm = telemetry(start);
        let pressure = tm.index_of("ls.cabin_pressure").unwrap();
        let reading = tm.reading(pressure, start);
        assert_eq!(reading.freshness, Freshness::NoData);
        assert_eq!(reading.value, None);
        assert_eq!(tm.feed_freshness(start), Freshness::NoData);
        tm.tick(start + Duration::seconds(3));
        let live = tm.reading(pressure, start + Duration::seconds(3));
        assert_eq!(live.freshness, Freshness::Live);
        assert!(live.value.is_some());
        let later = start + Duration::seconds(30);
        assert!(matches!(
            tm.reading(pressure, later).freshness,
            Freshness::Stale { age_s } if (age_s - 27.0).abs() < 0.5
        ));
        assert!(matches!(tm.feed_freshness(later), Freshness::Stale { .. }));
        assert_eq!(
            Freshness::Stale { age_s: 27.0 }.label().as_deref(),
            Some("STALE 27 s")
        );
    }

    #[test]
    fn a_source_switch_keeps_an_alarm_until_the_new_source_clears_it_and_the_mission_clock() {
        let start: DateTime<Utc> = "2026-11-22T12:00:00Z".parse().unwrap();
        let mut tm = telemetry(start);
        tm.tick(start + Duration::seconds(10));
        let ppco2 = tm.index_of("ls.ppco2").unwrap();
        let t = tm.series(ppco2).last().unwrap().0;
        for k in 1..=3 {
            tm.ingest(Sample {
                channel: ppco2,
                t: t + f64::from(k) * 0.1,
                value: 1.4,
            });
        }
        tm.board_mut()
            .acknowledge(
                "ls.ppco2",
                "ada",
                "scrubber swap",
                start + Duration::seconds(11),
            )
            .unwrap();
        let mission_start = tm.mission_start();
        // To a source with nothing in it: the acknowledged critical stays, its channel has
        // no data, and the mission clock does not restart.
        let empty = playback::Playback::new("empty", Vec::new());
        tm.switch_source(Box::new(empty), start + Duration::seconds(12));
        let alarm = tm.board().get("ls.ppco2").expect("kept across the switch");
        assert_eq!(alarm.state, alarms::AlarmState::AckActive);
        assert_eq!(
            tm.reading(ppco2, start + Duration::seconds(12)).freshness,
            Freshness::NoData
        );
        assert_eq!(tm.mission_start(), mission_start);
        assert!(
            tm.board()
                .log()
                .last()
                .unwrap()
                .what
                .contains("1 alarm stays")
        );
        // Back to a simulator, whose values are in limits: the acknowledged alarm clears.
        let d = tm.dictionary.clone();
        tm.switch_source(
            Box::new(Simulator::new(&d, start, 42)),
            start + Duration::seconds(13),
        );
        tm.tick(start + Duration::seconds(20));
        assert!(tm.board().get("ls.ppco2").is_none());
    }

    #[test]
    fn comms_alarms_are_suppressed_during_predicted_loss_of_signal() {
        let start: DateTime<Utc> = "2026-11-22T12:00:00Z".parse().unwrap();
        let mut tm = telemetry(start);
        let t0 = unix_seconds(start);
        tm.set_contacts(vec![(t0 + 1000.0, t0 + 1500.0)]);
        let signal = tm.index_of("com.signal_strength").unwrap();
        for k in 0..5 {
            tm.ingest(Sample {
                channel: signal,
                t: t0 + f64::from(k),
                value: -128.0,
            });
        }
        assert!(tm.board().get("com.signal_strength").is_none());
        for k in 0..5 {
            tm.ingest(Sample {
                channel: signal,
                t: t0 + 1100.0 + f64::from(k),
                value: -128.0,
            });
        }
        assert!(
            tm.board().get("com.signal_strength").is_some(),
            "in contact the same value alarms"
        );
    }

    #[test]
    fn a_value_settling_to_a_new_level_is_not_a_drift() {
        let start: DateTime<Utc> = "2026-11-22T12:00:00Z".parse().unwrap();
        let mut tm = telemetry(start);
        let bus = tm.index_of("pwr.bus_voltage").unwrap();
        let t0 = unix_seconds(start);
        for k in 0..600 {
            let value = 28.4 - 0.8 * (-f64::from(k) / 120.0).exp();
            tm.ingest(Sample {
                channel: bus,
                t: t0 + f64::from(k),
                value,
            });
        }
        assert_eq!(tm.time_to_limit(bus, 600.0), None);
    }

    #[test]
    fn noise_alone_predicts_no_limit() {
        let start: DateTime<Utc> = "2026-11-22T12:00:00Z".parse().unwrap();
        let mut tm = telemetry(start);
        let ppco2 = tm.index_of("ls.ppco2").unwrap();
        let t0 = unix_seconds(start);
        for k in 0..120 {
            let wobble = if k % 2 == 0 { 0.01 } else { -0.01 };
            tm.ingest(Sample {
                channel: ppco2,
                t: t0 + f64::from(k),
                value: 0.3 + wobble,
            });
        }
        assert_eq!(tm.time_to_limit(ppco2, 120.0), None);
    }

    #[test]
    fn a_drift_toward_a_limit_gives_the_time_left() {
        let start: DateTime<Utc> = "2026-11-22T12:00:00Z".parse().unwrap();
        let mut tm = telemetry(start);
        let ppco2 = tm.index_of("ls.ppco2").unwrap();
        let t0 = unix_seconds(start);
        // Rising 0.001 kPa a second from 0.47: the warning limit 0.67 is 200 s away.
        for k in 0..60 {
            tm.ingest(Sample {
                channel: ppco2,
                t: t0 + f64::from(k),
                value: 0.47 + 0.001 * f64::from(k) - 0.059,
            });
        }
        let (seconds, limit) = tm.time_to_limit(ppco2, 60.0).unwrap();
        assert!((limit - 0.67).abs() < 1e-12);
        assert!((seconds - 200.0).abs() < 1.0, "{seconds}");
    }
}
