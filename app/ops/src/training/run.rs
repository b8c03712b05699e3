//! Playing a scenario: the simulator it starts (seed, crew, initial values) and its events
//! applied at their mission-elapsed times. The same scenario and start give the same mission,
//! sample for sample.

use chrono::{DateTime, Utc};

use super::scenario::{Action, FaultSpec, Scenario, ScenarioEvent};
use crate::telemetry::dictionary::{Dictionary, DictionaryError};
use crate::telemetry::sim::{Fault, Simulator};
use crate::telemetry::{Sample, TelemetrySource as _, unix_seconds};

/// Unix seconds as a time (milliseconds kept).
fn time_of(t: f64) -> Option<DateTime<Utc>> {
    #[allow(clippy::cast_possible_truncation, reason = "Unix milliseconds")]
    DateTime::<Utc>::from_timestamp_millis((t * 1000.0).round() as i64)
}

/// A scenario being played.
#[derive(Debug, Clone)]
pub struct ScenarioRun {
    scenario: Scenario,
    /// Mission start, Unix seconds.
    start: f64,
    /// The next event to fire.
    next: usize,
}

impl ScenarioRun {
    /// A run of `scenario` whose mission starts at `start`.
    pub fn new(scenario: Scenario, start: DateTime<Utc>) -> Self {
        Self {
            scenario,
            start: unix_seconds(start).floor(),
            next: 0,
        }
    }

    /// The scenario.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The dictionary for the scenario's crew.
    pub fn dictionary(&self) -> Result<Dictionary, DictionaryError> {
        Dictionary::shipped(&self.scenario.seats())
    }

    /// The simulator the scenario starts: its seed, its initial values.
    pub fn simulator(&self, dictionary: &Dictionary) -> Simulator {
        let start = time_of(self.start).unwrap_or_default();
        let mut sim = Simulator::new(dictionary, start, self.scenario.seed);
        for (channel, value) in &self.scenario.initial {
            if let Some(index) = dictionary.channels.iter().position(|c| &c.id == channel) {
                sim.set_initial(index, *value);
            }
        }
        sim
    }

    /// Mission-elapsed seconds at `now`.
    pub fn elapsed_s(&self, now: DateTime<Utc>) -> f64 {
        unix_seconds(now) - self.start
    }

    /// Whether the scenario has run its course at `now`.
    pub fn finished(&self, now: DateTime<Utc>) -> bool {
        self.elapsed_s(now) >= self.scenario.duration_s
    }

    /// Applies the events due by `now` to `sim`, each at its own time: the simulator's
    /// samples before an event are taken (into `out`) before it applies. Returns the events
    /// (a scrub is the caller's to play on the sandbox's bookings). The caller polls the
    /// simulator up to `now` afterwards, as usual.
    pub fn advance(
        &mut self,
        now: DateTime<Utc>,
        sim: &mut Simulator,
        dictionary: &Dictionary,
        out: &mut Vec<Sample>,
    ) -> Vec<ScenarioEvent> {
        self.advance_at(now, 0.0, sim, dictionary, out)
    }

    /// The next event to fire, if any.
    pub fn next_event(&self) -> Option<&ScenarioEvent> {
        self.scenario.events.get(self.next)
    }

    /// As [`ScenarioRun::advance`], with `now` on the scenario's clock and the simulator's
    /// (wall) clock `offset` seconds ahead of it (the time the scenario was held).
    pub fn advance_at(
        &mut self,
        now: DateTime<Utc>,
        offset: f64,
        sim: &mut Simulator,
        dictionary: &Dictionary,
        out: &mut Vec<Sample>,
    ) -> Vec<ScenarioEvent> {
        let elapsed = self.elapsed_s(now);
        let mut fired = Vec::new();
        while let Some(event) = self.scenario.events.get(self.next) {
            if event.at_s > elapsed {
                break;
            }
            let t = self.start + event.at_s + offset;
            // Everything up to (not including) the event's second, as it was.
            if let Some(before) = time_of(t - 0.001) {
                sim.poll(before, out);
            }
            apply(event, t, sim, dictionary);
            fired.push(event.clone());
            self.next += 1;
        }
        fired
    }
}

fn apply(event: &ScenarioEvent, t: f64, sim: &mut Simulator, dictionary: &Dictionary) {
    let index = |channel: &str| dictionary.channels.iter().position(|c| c.id == channel);
    match &event.action {
        Action::Fault { channel, fault } => {
            if let Some(i) = index(channel) {
                sim.set_fault(
                    i,
                    Some(match *fault {
                        FaultSpec::Step(v) => Fault::Step(v),
                        FaultSpec::Drift(per_s) => Fault::Drift { from_t: t, per_s },
                        FaultSpec::Noise(sigma) => Fault::Noise(sigma),
                        FaultSpec::Stuck => Fault::Stuck(None),
                        FaultSpec::Dropout => Fault::Dropout,
                    }),
                );
            }
        }
        Action::Clear { channel } => {
            if let Some(i) = index(channel) {
                sim.set_fault(i, None);
            }
        }
        Action::LossOfComms { seconds } => sim.lose_comms_until(t + seconds),
        Action::Medical {
            seat,
            heart_rate,
            spo2,
        } => {
            for (suffix, value) in [("heart_rate", heart_rate), ("spo2", spo2)] {
                if let Some(i) = index(&format!("crew.{seat}.{suffix}")) {
                    sim.set_fault(i, Some(Fault::Step(*value)));
                }
            }
        }
        Action::Scrub { .. } => {}
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::telemetry::Telemetry;
    use crate::telemetry::alarms::AlarmState;
    use crate::telemetry::limits::Severity;
    use crate::training::scenario;

    fn start() -> DateTime<Utc> {
        "2026-11-22T12:00:00Z".parse().unwrap()
    }

    /// Plays `scenario` for `minutes`, polled every 10 s as a console does; every sample.
    fn play(scenario: &Scenario, minutes: i64) -> (Dictionary, Vec<Sample>) {
        let mut run = ScenarioRun::new(scenario.clone(), start());
        let dictionary = run.dictionary().unwrap();
        let mut sim = run.simulator(&dictionary);
        let mut out = Vec::new();
        for s in (0..=minutes * 60).step_by(10) {
            let now = start() + Duration::seconds(s);
            run.advance(now, &mut sim, &dictionary, &mut out);
            sim.poll(now, &mut out);
        }
        (dictionary, out)
    }

    fn leak() -> Scenario {
        scenario::shipped().unwrap().remove(0)
    }

    #[test]
    fn a_scenario_replays_sample_for_sample_with_its_seed() {
        let (_, a) = play(&leak(), 20);
        let (_, b) = play(&leak(), 20);
        assert_eq!(a.len(), b.len());
        assert!(
            a.iter()
                .zip(&b)
                .all(|(x, y)| x.t.to_bits() == y.t.to_bits()
                    && x.value.to_bits() == y.value.to_bits())
        );
        let mut other = leak();
        other.seed += 1;
        let (_, c) = play(&other, 20);
        assert!(
            a.iter()
                .zip(&c)
                .any(|(x, y)| x.value.to_bits() != y.value.to_bits())
        );
    }

    #[test]
    fn the_leak_drifts_from_its_time_and_raises_the_warning_when_it_should() {
        let (dictionary, samples) = play(&leak(), 20);
        let index = dictionary
            .channels
            .iter()
            .position(|c| c.id == "ls.cabin_pressure")
            .unwrap();
        let at = |minute: f64| {
            samples
                .iter()
                .find(|s| {
                    s.channel == index && (s.t - unix_seconds(start()) - minute * 60.0).abs() < 0.5
                })
                .unwrap()
                .value
        };
        // Before T+6 it holds its initial 101.2; ten minutes of drift later it is 4.5 lower.
        assert!((at(5.0) - 101.2).abs() < 0.3, "{}", at(5.0));
        assert!((at(16.0) - (101.2 - 4.5)).abs() < 0.3, "{}", at(16.0));

        // Through the console's limit checks: the warning (97 kPa) comes about T+15:20.
        let mut tm = Telemetry::new(
            dictionary,
            Box::new(crate::telemetry::playback::Playback::new("s", Vec::new())),
        );
        let mut raised = None;
        for sample in &samples {
            tm.ingest(*sample);
            if raised.is_none()
                && tm.board().get("ls.cabin_pressure").is_some_and(|a| {
                    a.severity >= Severity::Warning && a.state == AlarmState::UnackActive
                })
            {
                raised = Some((sample.t - unix_seconds(start())) / 60.0);
            }
        }
        let minute = raised.expect("the warning is raised");
        assert!(
            (14.8..16.0).contains(&minute),
            "raised at T+{minute:.2} min"
        );
    }

    #[test]
    fn stuck_dropout_and_loss_of_comms_play_as_written() {
        let all = scenario::shipped().unwrap();
        let power = &all[1];
        let (dictionary, samples) = play(power, 20);
        let channel = |id: &str| dictionary.channels.iter().position(|c| c.id == id).unwrap();
        let values = |id: &str, from: f64, to: f64| -> Vec<f64> {
            let i = channel(id);
            samples
                .iter()
                .filter(|s| {
                    let m = (s.t - unix_seconds(start())) / 60.0;
                    s.channel == i && m >= from && m < to
                })
                .map(|s| s.value)
                .collect()
        };
        // Stuck from T+13: one value over and over.
        let stuck = values("pwr.solar_array_current", 13.1, 20.0);
        assert!(stuck.len() > 300);
        assert!(stuck.windows(2).all(|w| w[0].to_bits() == w[1].to_bits()));
        // The bus steps to 23.6 at T+12.
        assert!(
            values("pwr.bus_voltage", 12.1, 13.0)
                .iter()
                .all(|v| (*v - 23.6).abs() < 1e-9)
        );
        // Comms read the receiver's noise floor while the link is lost (T+16 to T+20).
        let floor = dictionary.channels[channel("com.signal_strength")]
            .sim
            .no_contact
            .unwrap();
        let lost = values("com.signal_strength", 16.1, 19.9);
        assert!(lost.iter().all(|v| (v - floor).abs() < 5.0), "{lost:?}");

        // A dropout stops the channel until it is cleared.
        let text = "id = \"d\"\ntitle = \"D\"\nbriefing = \"b\"\nseed = 3\nduration = \"T+00:10:00\"\n[[events]]\nat = \"T+00:02:00\"\nkind = \"dropout\"\nchannel = \"ls.ppo2\"\n[[events]]\nat = \"T+00:05:00\"\nkind = \"clear\"\nchannel = \"ls.ppo2\"\n";
        let dropout = scenario::parse("d.toml", text).unwrap();
        let (dictionary, samples) = play(&dropout, 8);
        let i = dictionary
            .channels
            .iter()
            .position(|c| c.id == "ls.ppo2")
            .unwrap();
        let count = |from: f64, to: f64| {
            samples
                .iter()
                .filter(|s| {
                    let m = (s.t - unix_seconds(start())) / 60.0;
                    s.channel == i && m >= from && m < to
                })
                .count()
        };
        assert_eq!(count(0.0, 2.0), 120);
        assert_eq!(count(2.0, 5.0), 0);
        assert_eq!(count(5.0, 8.0), 180);
    }
}
