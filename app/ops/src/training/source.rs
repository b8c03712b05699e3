//! A scenario as a telemetry source: the simulator the scenario starts, its events fired at
//! their mission-elapsed times, and the trainer's controls (pause, resume, jump to the next
//! event, an ad-hoc fault). Samples stay on the wall clock; the scenario's clock leaves out
//! the time it was paused, so a pause holds the timeline and the telemetry stops (STALE).

use chrono::{DateTime, Utc};

use super::run::ScenarioRun;
use super::scenario::{Scenario, ScenarioEvent};
use crate::telemetry::dictionary::Dictionary;
use crate::telemetry::sim::{Environment, Fault, Simulator};
use crate::telemetry::{Sample, SourceKind, TelemetrySource, unix_seconds};

/// A scenario being played for trainees.
pub struct ScenarioSource {
    run: ScenarioRun,
    sim: Simulator,
    dictionary: Dictionary,
    /// Wall time the mission started, Unix seconds.
    started: f64,
    /// Seconds the scenario's clock was held (pauses) less the seconds jumped.
    held: f64,
    /// When the current pause began.
    paused_at: Option<f64>,
    /// Events fired, with the wall time they fired at.
    fired: Vec<(ScenarioEvent, f64)>,
}

impl ScenarioSource {
    /// Starts `scenario` at `now` for `dictionary` (made for the scenario's crew).
    pub fn new(scenario: Scenario, dictionary: Dictionary, now: DateTime<Utc>) -> Self {
        let run = ScenarioRun::new(scenario, now);
        let sim = run.simulator(&dictionary);
        Self {
            run,
            sim,
            dictionary,
            started: unix_seconds(now).floor(),
            held: 0.0,
            paused_at: None,
            fired: Vec::new(),
        }
    }

    /// The channels it plays.
    pub fn dictionary(&self) -> &Dictionary {
        &self.dictionary
    }

    /// The scenario.
    pub fn scenario(&self) -> &Scenario {
        self.run.scenario()
    }

    /// The scenario's clock at wall time `now`: mission-elapsed seconds, pauses left out.
    pub fn elapsed_s(&self, now: f64) -> f64 {
        let until = self.paused_at.unwrap_or(now);
        until - self.started - self.held
    }

    /// Whether it is paused.
    pub fn paused(&self) -> bool {
        self.paused_at.is_some()
    }

    /// Pauses (the timeline holds and the telemetry stops) or resumes.
    pub fn set_paused(&mut self, paused: bool, now: f64) {
        match (paused, self.paused_at) {
            (true, None) => self.paused_at = Some(now),
            (false, Some(since)) => {
                self.held += now - since;
                self.paused_at = None;
                // No samples for the pause: the simulator picks up from now.
                self.sim.skip_to(now);
            }
            _ => {}
        }
    }

    /// The next event the scenario's clock has not reached at `now`, if any.
    pub fn next_event(&self, now: f64) -> Option<&ScenarioEvent> {
        let elapsed = self.elapsed_s(now);
        self.scenario().events.iter().find(|e| e.at_s > elapsed)
    }

    /// Brings the next event forward to now: the scenario's clock moves on to it (it fires at
    /// the next poll).
    pub fn jump_to_next(&mut self, now: f64) {
        if let Some(at) = self.next_event(now).map(|e| e.at_s) {
            self.held -= at - self.elapsed_s(now);
        }
    }

    /// Moves the scenario's clock on to event `index` (every event before it fires at the
    /// next poll with it); `false` when that event has been reached already.
    pub fn jump_to(&mut self, index: usize, now: f64) -> bool {
        let Some(at) = self.scenario().events.get(index).map(|e| e.at_s) else {
            return false;
        };
        let elapsed = self.elapsed_s(now);
        if at <= elapsed {
            return false;
        }
        self.held -= at - elapsed;
        true
    }

    /// Events fired so far, with the wall time each fired.
    pub fn fired(&self) -> &[(ScenarioEvent, f64)] {
        &self.fired
    }

    /// Whether the scenario has run its course.
    pub fn finished(&self, now: f64) -> bool {
        self.elapsed_s(now) >= self.scenario().duration_s
    }
}

impl TelemetrySource for ScenarioSource {
    fn kind(&self) -> SourceKind {
        SourceKind::Simulated
    }

    fn poll(&mut self, now: DateTime<Utc>, out: &mut Vec<Sample>) {
        let wall = unix_seconds(now);
        if self.paused_at.is_some() {
            return;
        }
        // The run counts mission time from `started`; our clock leaves pauses out.
        let scenario_now = self.started + self.elapsed_s(wall);
        #[allow(clippy::cast_possible_truncation, reason = "Unix milliseconds")]
        let Some(at) =
            DateTime::<Utc>::from_timestamp_millis((scenario_now * 1000.0).round() as i64)
        else {
            return;
        };
        let offset = wall - scenario_now;
        for event in self
            .run
            .advance_at(at, offset, &mut self.sim, &self.dictionary, out)
        {
            self.fired.push((event, wall));
        }
        self.sim.poll(now, out);
    }

    fn set_environment(&mut self, environment: &Environment) {
        self.sim.set_environment(environment);
    }

    /// An ad-hoc fault from the trainer: the channel held at a value.
    fn inject(&mut self, channel: usize, value: Option<f64>) -> bool {
        self.sim.set_fault(channel, value.map(Fault::Step))
    }

    fn mission_start(&self) -> Option<f64> {
        Some(self.started)
    }

    fn uplink_refusal(&self) -> Option<String> {
        None
    }

    fn in_contact(&self, t: f64) -> Option<bool> {
        TelemetrySource::in_contact(&self.sim, t)
    }

    fn actuate(&mut self, channel: usize, actuation: crate::telemetry::sim::Actuation) -> bool {
        self.sim.actuate(channel, actuation)
    }

    fn training(&mut self) -> Option<&mut ScenarioSource> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::training::scenario;

    fn power() -> (ScenarioSource, DateTime<Utc>, usize) {
        let scenario = scenario::shipped().unwrap().remove(1);
        let dictionary = Dictionary::shipped(&scenario.seats()).unwrap();
        let bus = dictionary
            .channels
            .iter()
            .position(|c| c.id == "pwr.bus_voltage")
            .unwrap();
        let start: DateTime<Utc> = "2026-11-22T12:00:00Z".parse().unwrap();
        (ScenarioSource::new(scenario, dictionary, start), start, bus)
    }

    #[test]
    fn next_event_now_fires_it_at_once_and_pause_holds_the_clock() {
        let (mut source, start, bus) = power();
        let mut out = Vec::new();
        source.poll(start + Duration::seconds(10), &mut out);
        assert!(source.fired().is_empty());
        let wall = unix_seconds(start) + 10.5;
        source.jump_to_next(wall);
        source.jump_to_next(wall);
        out.clear();
        source.poll(start + Duration::seconds(13), &mut out);
        assert_eq!(source.fired().len(), 2, "the noise and the step fired");
        let last_bus = out.iter().rev().find(|s| s.channel == bus).unwrap();
        assert!((last_bus.value - 23.6).abs() < 1e-9, "{}", last_bus.value);

        // Paused, the clock holds and nothing is sampled; resumed, it goes on from there.
        let clock = source.elapsed_s(unix_seconds(start) + 13.0);
        source.set_paused(true, unix_seconds(start) + 13.0);
        out.clear();
        source.poll(start + Duration::seconds(100), &mut out);
        assert!(out.is_empty());
        assert!((source.elapsed_s(unix_seconds(start) + 100.0) - clock).abs() < 1e-9);
        source.set_paused(false, unix_seconds(start) + 100.0);
        source.poll(start + Duration::seconds(102), &mut out);
        assert!(!out.is_empty());
        assert!(out.iter().all(|s| s.t >= unix_seconds(start) + 100.0));
        assert!((source.elapsed_s(unix_seconds(start) + 102.0) - (clock + 2.0)).abs() < 1e-9);
    }

    #[test]
    fn jumping_to_an_event_fires_it_and_every_one_before_it() {
        let (mut source, start, _) = power();
        let last = source.scenario().events.len() - 1;
        let wall = unix_seconds(start) + 5.0;
        assert!(source.jump_to(last, wall));
        let mut out = Vec::new();
        source.poll(start + Duration::seconds(6), &mut out);
        assert_eq!(source.fired().len(), last + 1);
        assert!(!source.jump_to(0, wall + 2.0), "reached already");
        assert!(!source.jump_to(99, wall + 2.0), "no such event");
    }
}
