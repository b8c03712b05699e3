//! Training scenarios: files in `assets/scenarios/` (format in its README) describing a
//! simulated mission's start and a timeline of injected events, each with the responses
//! expected of trainees. A malformed file is refused with its name, the line and the reason.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::incidents::{IncidentKind, runbooks};
use crate::telemetry::dictionary::Dictionary;

/// The shipped scenarios: (file name, text).
pub const SHIPPED: &[(&str, &str)] = &[
    (
        "slow-cabin-leak.toml",
        include_str!("../../../../assets/scenarios/slow-cabin-leak.toml"),
    ),
    (
        "power-bus-fault-eclipse.toml",
        include_str!("../../../../assets/scenarios/power-bus-fault-eclipse.toml"),
    ),
    (
        "weather-scrub-rebooking.toml",
        include_str!("../../../../assets/scenarios/weather-scrub-rebooking.toml"),
    ),
];

/// Why a scenario file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: line {line}: {reason}")]
pub struct ScenarioError {
    /// The file.
    pub file: String,
    /// The line (1-based).
    pub line: usize,
    /// What is wrong and what to write instead.
    pub reason: String,
}

/// A sensor fault.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FaultSpec {
    /// Jumps to the value and stays.
    Step(f64),
    /// Changes by this much a second from the event's time.
    Drift(f64),
    /// Extra noise of this standard deviation.
    Noise(f64),
    /// Keeps reporting its last value.
    Stuck,
    /// Stops reporting.
    Dropout,
}

/// What an event does.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A sensor fault on a channel.
    Fault {
        /// The channel.
        channel: String,
        /// The fault.
        fault: FaultSpec,
    },
    /// A channel's fault ends.
    Clear {
        /// The channel.
        channel: String,
    },
    /// No ground station hears the vehicle for this many seconds.
    LossOfComms {
        /// How long.
        seconds: f64,
    },
    /// A crew member's vital signs move.
    Medical {
        /// Their seat.
        seat: String,
        /// Heart rate, beats a minute.
        heart_rate: f64,
        /// Oxygen saturation, %.
        spo2: f64,
    },
    /// The sandbox's launch is scrubbed.
    Scrub {
        /// Why.
        reason: String,
    },
}

/// A response expected of trainees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expectation {
    /// Acknowledge the alarm on a channel.
    Acknowledge {
        /// The channel.
        channel: String,
    },
    /// Open an incident of a kind.
    OpenIncident {
        /// Its kind.
        kind: IncidentKind,
    },
    /// Tick every step of a runbook.
    CompleteRunbook {
        /// The runbook's id.
        runbook: String,
    },
    /// Book every passenger of the scrubbed launch again.
    Rebook,
    /// Send a command (from the command dictionary) that is verified by its telemetry.
    Command {
        /// The command's name.
        name: String,
    },
}

/// One timed expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// What.
    pub response: Expectation,
    /// Within how long of the event.
    pub within_seconds: u32,
}

/// One event of the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioEvent {
    /// Mission-elapsed seconds.
    pub at_s: f64,
    /// What happens.
    pub action: Action,
    /// What the trainer sees.
    pub note: String,
    /// What trainees should do.
    pub expect: Vec<Expected>,
    /// Its line in the file.
    pub line: usize,
}

/// A passenger of the sandbox's launch.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioPassenger {
    /// Full name.
    pub name: String,
    /// Seat, such as "1A".
    pub seat: String,
    /// Body mass, kg.
    pub mass_kg: f64,
}

/// A scenario, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Stable name.
    pub id: String,
    /// Its title.
    pub title: String,
    /// What trainees are told.
    pub briefing: String,
    /// The simulator's seed.
    pub seed: u64,
    /// When it ends, mission-elapsed seconds.
    pub duration_s: f64,
    /// Channel values at the start.
    pub initial: Vec<(String, f64)>,
    /// The crewed vehicle's element set, if given.
    pub tle: Option<String>,
    /// The sandbox launch's passengers.
    pub passengers: Vec<ScenarioPassenger>,
    /// The timeline, in time order.
    pub events: Vec<ScenarioEvent>,
}

impl Scenario {
    /// The seats of the crew (for the vital-sign channels).
    pub fn seats(&self) -> Vec<String> {
        self.passengers.iter().map(|p| p.seat.clone()).collect()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    id: String,
    title: String,
    briefing: String,
    seed: u64,
    duration: Spanned<String>,
    #[serde(default)]
    initial: BTreeMap<String, Spanned<f64>>,
    orbit: Option<OrbitSpec>,
    #[serde(default)]
    passengers: Vec<ScenarioPassenger>,
    #[serde(default)]
    events: Vec<Spanned<EventSpec>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrbitSpec {
    tle: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventSpec {
    at: String,
    kind: String,
    channel: Option<String>,
    value: Option<f64>,
    per_minute: Option<f64>,
    sigma: Option<f64>,
    minutes: Option<f64>,
    seat: Option<String>,
    heart_rate: Option<f64>,
    spo2: Option<f64>,
    reason: Option<String>,
    #[serde(default)]
    note: String,
    #[serde(default)]
    expect: Vec<ExpectSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectSpec {
    response: String,
    within_seconds: u32,
    channel: Option<String>,
    kind: Option<String>,
    runbook: Option<String>,
    command: Option<String>,
}

/// "T+00:06:00" as seconds.
pub fn parse_offset(text: &str) -> Option<f64> {
    let rest = text.trim().strip_prefix("T+")?;
    let parts: Vec<&str> = rest.split(':').collect();
    let [h, m, s] = parts.as_slice() else {
        return None;
    };
    let (h, m, s): (u32, u32, u32) = (h.parse().ok()?, m.parse().ok()?, s.parse().ok()?);
    (m < 60 && s < 60).then(|| f64::from(h * 3600 + m * 60 + s))
}

/// Reads and checks a scenario.
pub fn parse(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let error = |line: usize, reason: String| ScenarioError {
        file: file.to_owned(),
        line,
        reason,
    };
    let spec: FileSpec = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(1, |s| line_of(s.start));
        error(line, e.message().trim().to_owned())
    })?;
    let duration_s = parse_offset(spec.duration.get_ref()).ok_or_else(|| {
        error(
            line_of(spec.duration.span().start),
            format!(
                "duration {:?} is not a mission time; write it as T+HH:MM:SS",
                spec.duration.get_ref()
            ),
        )
    })?;
    let seats: Vec<String> = spec.passengers.iter().map(|p| p.seat.clone()).collect();
    let dictionary = Dictionary::shipped(&seats).map_err(|e| error(1, e.to_string()))?;
    let known = |channel: &str| dictionary.channels.iter().any(|c| c.id == channel);
    let mut initial = Vec::new();
    for (channel, value) in &spec.initial {
        if !known(channel) {
            return Err(error(
                line_of(value.span().start),
                format!("initial value for {channel:?}, which is not a channel of the dictionary"),
            ));
        }
        initial.push((channel.clone(), *value.get_ref()));
    }
    let mut events = Vec::new();
    for spanned in &spec.events {
        let line = line_of(spanned.span().start);
        let event = spanned.get_ref();
        let at_s = parse_offset(&event.at).ok_or_else(|| {
            error(
                line,
                format!(
                    "at {:?} is not a mission time; write it as T+HH:MM:SS",
                    event.at
                ),
            )
        })?;
        if at_s > duration_s {
            return Err(error(
                line,
                format!(
                    "the event at {} comes after the scenario ends ({})",
                    event.at,
                    spec.duration.get_ref()
                ),
            ));
        }
        let action = action(event, &known).map_err(|reason| error(line, reason))?;
        let expect = event
            .expect
            .iter()
            .map(|e| expectation(e, &known))
            .collect::<Result<Vec<_>, String>>()
            .map_err(|reason| error(line, reason))?;
        events.push(ScenarioEvent {
            at_s,
            action,
            note: event.note.trim().to_owned(),
            expect,
            line,
        });
    }
    events.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
    Ok(Scenario {
        id: spec.id,
        title: spec.title,
        briefing: spec.briefing.trim().to_owned(),
        seed: spec.seed,
        duration_s,
        initial,
        tle: spec.orbit.map(|o| o.tle),
        passengers: spec.passengers,
        events,
    })
}

fn need<T: Copy>(value: Option<T>, field: &str, kind: &str) -> Result<T, String> {
    value.ok_or_else(|| format!("a {kind} event needs {field}"))
}

fn action(event: &EventSpec, known: &dyn Fn(&str) -> bool) -> Result<Action, String> {
    let kind = event.kind.as_str();
    let channel = || -> Result<String, String> {
        let channel = event
            .channel
            .clone()
            .ok_or_else(|| format!("a {kind} event needs channel"))?;
        if known(&channel) {
            Ok(channel)
        } else {
            Err(format!("{channel:?} is not a channel of the dictionary"))
        }
    };
    Ok(match kind {
        "step" => Action::Fault {
            channel: channel()?,
            fault: FaultSpec::Step(need(event.value, "value", kind)?),
        },
        "drift" => Action::Fault {
            channel: channel()?,
            fault: FaultSpec::Drift(need(event.per_minute, "per_minute", kind)? / 60.0),
        },
        "noise" => {
            let sigma = need(event.sigma, "sigma", kind)?;
            if sigma <= 0.0 {
                return Err("sigma must be more than 0".into());
            }
            Action::Fault {
                channel: channel()?,
                fault: FaultSpec::Noise(sigma),
            }
        }
        "stuck" => Action::Fault {
            channel: channel()?,
            fault: FaultSpec::Stuck,
        },
        "dropout" => Action::Fault {
            channel: channel()?,
            fault: FaultSpec::Dropout,
        },
        "clear" => Action::Clear {
            channel: channel()?,
        },
        "loss_of_comms" => {
            let minutes = need(event.minutes, "minutes", kind)?;
            if minutes <= 0.0 {
                return Err("minutes must be more than 0".into());
            }
            Action::LossOfComms {
                seconds: minutes * 60.0,
            }
        }
        "medical" => {
            let seat = event
                .seat
                .clone()
                .ok_or_else(|| "a medical event needs seat".to_owned())?;
            if !known(&format!("crew.{seat}.heart_rate")) {
                return Err(format!(
                    "seat {seat:?} has no one in it; list the passengers with their seats"
                ));
            }
            Action::Medical {
                seat,
                heart_rate: need(event.heart_rate, "heart_rate", kind)?,
                spo2: need(event.spo2, "spo2", kind)?,
            }
        }
        "scrub" => Action::Scrub {
            reason: event
                .reason
                .clone()
                .ok_or_else(|| "a scrub event needs reason".to_owned())?,
        },
        other => {
            return Err(format!(
                "unknown event kind {other:?}; kinds are step, drift, noise, stuck, dropout, clear, loss_of_comms, medical, scrub"
            ));
        }
    })
}

fn expectation(spec: &ExpectSpec, known: &dyn Fn(&str) -> bool) -> Result<Expected, String> {
    let response = match spec.response.as_str() {
        "acknowledge" => {
            let channel = spec
                .channel
                .clone()
                .ok_or_else(|| "an acknowledge response needs channel".to_owned())?;
            if !known(&channel) {
                return Err(format!("{channel:?} is not a channel of the dictionary"));
            }
            Expectation::Acknowledge { channel }
        }
        "open_incident" => {
            let kind = spec.kind.as_deref().unwrap_or_default();
            Expectation::OpenIncident {
                kind: IncidentKind::parse(kind).ok_or_else(|| {
                    format!("incident kind {kind:?} is not one of vehicle, passenger_medical, ground_operations, security, it")
                })?,
            }
        }
        "complete_runbook" => {
            let runbook = spec.runbook.clone().unwrap_or_default();
            if runbooks::get(&runbook).is_none() {
                return Err(format!(
                    "there is no runbook {runbook:?} in assets/runbooks"
                ));
            }
            Expectation::CompleteRunbook { runbook }
        }
        "rebook" => Expectation::Rebook,
        "command" => {
            let name = spec.command.clone().unwrap_or_default();
            let dictionary = galaxium_sync::commanding::CommandDictionary::shipped()
                .map_err(|e| e.to_string())?;
            if dictionary.get(&name).is_none() {
                return Err(format!("there is no command {name:?} in assets/commands"));
            }
            Expectation::Command { name }
        }
        other => {
            return Err(format!(
                "unknown response {other:?}; responses are acknowledge, open_incident, complete_runbook, rebook, command"
            ));
        }
    };
    if spec.within_seconds == 0 {
        return Err("within_seconds must be more than 0".into());
    }
    Ok(Expected {
        response,
        within_seconds: spec.within_seconds,
    })
}

/// Every shipped scenario, checked.
pub fn shipped() -> Result<Vec<Scenario>, ScenarioError> {
    SHIPPED
        .iter()
        .map(|(file, text)| parse(file, text))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_scenarios_read() {
        let all = shipped().unwrap();
        assert_eq!(all.len(), 3);
        let leak = &all[0];
        assert_eq!(leak.id, "slow-cabin-leak");
        assert!((leak.duration_s - 2400.0).abs() < 1e-9);
        assert_eq!(
            leak.events[0].action,
            Action::Fault {
                channel: "ls.cabin_pressure".into(),
                fault: FaultSpec::Drift(-0.45 / 60.0)
            }
        );
        assert_eq!(leak.events[0].expect.len(), 3);
        let scrub = &all[2];
        assert_eq!(scrub.passengers.len(), 4);
        assert!(matches!(scrub.events[1].action, Action::Scrub { .. }));
        assert_eq!(scrub.events[1].expect[0].response, Expectation::Rebook);
    }

    #[test]
    fn mission_times_are_t_plus_hours_minutes_seconds() {
        assert_eq!(parse_offset("T+00:06:30"), Some(390.0));
        assert_eq!(parse_offset("T+01:00:00"), Some(3600.0));
        assert_eq!(parse_offset("00:06:30"), None);
        assert_eq!(parse_offset("T+00:61:00"), None);
    }

    fn refused(text: &str) -> String {
        parse("bad.toml", text).unwrap_err().to_string()
    }

    const HEAD: &str =
        "id = \"x\"\ntitle = \"X\"\nbriefing = \"b\"\nseed = 1\nduration = \"T+00:10:00\"\n";

    #[test]
    fn a_malformed_scenario_is_refused_with_file_line_and_reason() {
        assert_eq!(
            refused(&format!(
                "{HEAD}\n[[events]]\nat = \"T+00:01:00\"\nkind = \"drift\"\nchannel = \"ls.cabin_pressure\"\n"
            )),
            "bad.toml: line 7: a drift event needs per_minute"
        );
        assert_eq!(
            refused(&format!(
                "{HEAD}\n[[events]]\nat = \"soon\"\nkind = \"stuck\"\nchannel = \"ls.ppo2\"\n"
            )),
            "bad.toml: line 7: at \"soon\" is not a mission time; write it as T+HH:MM:SS"
        );
        assert_eq!(
            refused(&format!(
                "{HEAD}\n[[events]]\nat = \"T+00:01:00\"\nkind = \"stuck\"\nchannel = \"ls.nothing\"\n"
            )),
            "bad.toml: line 7: \"ls.nothing\" is not a channel of the dictionary"
        );
        assert_eq!(
            refused(&format!(
                "{HEAD}\n[[events]]\nat = \"T+00:20:00\"\nkind = \"stuck\"\nchannel = \"ls.ppo2\"\n"
            )),
            "bad.toml: line 7: the event at T+00:20:00 comes after the scenario ends (T+00:10:00)"
        );
        assert_eq!(
            refused(&format!(
                "{HEAD}\n[[events]]\nat = \"T+00:01:00\"\nkind = \"medical\"\nseat = \"9Z\"\nheart_rate = 150.0\nspo2 = 90.0\n"
            )),
            "bad.toml: line 7: seat \"9Z\" has no one in it; list the passengers with their seats"
        );
        let syntax = refused(&format!("{HEAD}seed = 2\n"));
        assert!(syntax.starts_with("bad.toml: line 6: "), "{syntax}");
        let unknown = refused(&format!("{HEAD}colour = \"red\"\n"));
        assert!(
            unknown.starts_with("bad.toml: line 6: unknown field `colour`"),
            "{unknown}"
        );
        assert!(
            refused(&format!("{HEAD}\n[[events]]\nat = \"T+00:01:00\"\nkind = \"step\"\nchannel = \"ls.ppo2\"\nvalue = 15.0\n[[events.expect]]\nresponse = \"panic\"\nwithin_seconds = 10\n"))
                .contains("unknown response \"panic\"")
        );
    }
}
