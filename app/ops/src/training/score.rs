//! Scoring: each response a scenario expects, timed from its event against what trainees did
//! (the alarm log's acknowledgements, the incidents in the sandbox and their runbook ticks).

use chrono::DateTime;

use super::scenario::{Expectation, Expected, ScenarioEvent};
use crate::incidents::{IncidentDetail, runbooks};
use crate::telemetry::alarms::AlarmEvent;
use crate::telemetry::unix_seconds;

/// How an expected response went.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// Done in time, this many seconds after the event.
    Met(f64),
    /// Done, but after the time allowed.
    Late(f64),
    /// Not done, and the time allowed has passed.
    Missed,
    /// Not done yet; this many seconds are left.
    Pending(f64),
}

impl Outcome {
    /// Points: 1 in time, 0.5 late, 0 otherwise.
    pub fn points(self) -> f64 {
        match self {
            Self::Met(_) => 1.0,
            Self::Late(_) => 0.5,
            Self::Missed | Self::Pending(_) => 0.0,
        }
    }
}

/// One expected response and how it went.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// The event's note.
    pub event: String,
    /// When the event fired (Unix seconds).
    pub fired_at: f64,
    /// What was expected.
    pub expected: Expected,
    /// How it went.
    pub outcome: Outcome,
}

impl Scored {
    /// The expectation in words.
    pub fn describe(&self) -> String {
        let what = match &self.expected.response {
            Expectation::Acknowledge { channel } => format!("acknowledge the {channel} alarm"),
            Expectation::OpenIncident { kind } => format!("open a {} incident", kind.label()),
            Expectation::CompleteRunbook { runbook } => format!(
                "complete the {} runbook",
                runbooks::get(runbook).map_or(runbook.as_str(), |r| r.title.as_str())
            ),
            Expectation::Rebook => "rebook the scrubbed launch's passengers".to_owned(),
            Expectation::Command { name } => format!("send {name}, verified"),
        };
        format!("{what} within {} s", self.expected.within_seconds)
    }
}

/// What trainees did, as the sandbox and the alarm log hold it.
pub struct Actions<'a> {
    /// The alarm board's log.
    pub log: &'a [AlarmEvent],
    /// Every incident in the sandbox, with its timeline.
    pub incidents: &'a [IncidentDetail],
    /// Acknowledgements kept in the replica, from every console in the session (channel,
    /// Unix seconds).
    pub acknowledged: &'a [(String, f64)],
    /// Passengers of the scrubbed launch booked again (Unix seconds of the last rebooking),
    /// when a scrub was played.
    pub rebooked_at: Option<f64>,
    /// Commands verified by their telemetry (name, Unix seconds of the verification), from
    /// every console in the session.
    pub verified_commands: &'a [(String, f64)],
}

fn rfc3339(text: &str) -> Option<f64> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| unix_seconds(t.into()))
}

/// When trainees first did what `expected` asks, after `since`.
fn done_at(expected: &Expectation, since: f64, actions: &Actions<'_>) -> Option<f64> {
    match expected {
        Expectation::Acknowledge { channel } => actions
            .log
            .iter()
            .filter(|e| &e.channel == channel && e.what.starts_with("acknowledged by"))
            .map(|e| unix_seconds(e.at))
            .chain(
                actions
                    .acknowledged
                    .iter()
                    .filter(|(c, _)| c == channel)
                    .map(|(_, t)| *t),
            )
            .filter(|t| *t >= since)
            .reduce(f64::min),
        Expectation::OpenIncident { kind } => actions
            .incidents
            .iter()
            .filter(|d| d.incident.kind == *kind)
            .filter_map(|d| rfc3339(&d.incident.reported_at))
            .filter(|t| *t >= since)
            .reduce(f64::min),
        Expectation::CompleteRunbook { runbook } => {
            let steps = runbooks::get(runbook)?.steps.len();
            actions
                .incidents
                .iter()
                .filter(|d| &d.incident.runbook == runbook && d.ticked.len() == steps)
                .filter_map(|d| {
                    d.ticked
                        .values()
                        .filter_map(|(_, at)| rfc3339(at))
                        .reduce(f64::max)
                })
                .filter(|t| *t >= since)
                .reduce(f64::min)
        }
        Expectation::Rebook => actions.rebooked_at.filter(|t| *t >= since),
        Expectation::Command { name } => actions
            .verified_commands
            .iter()
            .filter(|(n, t)| n == name && *t >= since)
            .map(|(_, t)| *t)
            .reduce(f64::min),
    }
}

/// Every expected response of the events fired so far, scored at `now` (Unix seconds).
pub fn score(fired: &[(ScenarioEvent, f64)], actions: &Actions<'_>, now: f64) -> Vec<Scored> {
    let mut scored = Vec::new();
    for (event, fired_at) in fired {
        for expected in &event.expect {
            let allowed = f64::from(expected.within_seconds);
            let outcome = match done_at(&expected.response, *fired_at, actions) {
                Some(t) if t - fired_at <= allowed => Outcome::Met(t - fired_at),
                Some(t) => Outcome::Late(t - fired_at),
                None if now - fired_at > allowed => Outcome::Missed,
                None => Outcome::Pending(allowed - (now - fired_at)),
            };
            scored.push(Scored {
                event: event.note.clone(),
                fired_at: *fired_at,
                expected: expected.clone(),
                outcome,
            });
        }
    }
    scored
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone as _, Utc};

    use super::*;
    use crate::telemetry::limits::Severity;
    use crate::training::scenario;

    fn at(s: i64) -> chrono::DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000, 0).unwrap() + Duration::seconds(s)
    }

    #[test]
    fn responses_are_timed_from_their_event_met_late_missed_or_pending() {
        let leak = scenario::shipped().unwrap().remove(0);
        // The leak's first event expects: acknowledge within 120 s, a vehicle incident within
        // 300 s, the runbook within 1500 s.
        let fired = vec![(leak.events[0].clone(), unix_seconds(at(0)))];
        let log = vec![
            AlarmEvent {
                at: at(30),
                channel: "ls.ppo2".into(),
                what: "acknowledged by tia: wrong channel".into(),
                severity: Severity::Warning,
                drill: false,
            },
            AlarmEvent {
                at: at(95),
                channel: "ls.cabin_pressure".into(),
                what: "acknowledged by tia: suits on".into(),
                severity: Severity::Warning,
                drill: false,
            },
        ];
        let actions = Actions {
            log: &log,
            incidents: &[],
            acknowledged: &[],
            rebooked_at: None,
            verified_commands: &[],
        };
        let scored = score(&fired, &actions, unix_seconds(at(200)));
        assert_eq!(scored.len(), 3);
        assert_eq!(scored[0].outcome, Outcome::Met(95.0));
        assert_eq!(
            scored[0].describe(),
            "acknowledge the ls.cabin_pressure alarm within 120 s"
        );
        assert_eq!(scored[1].outcome, Outcome::Pending(100.0));
        let later = score(&fired, &actions, unix_seconds(at(400)));
        assert_eq!(later[1].outcome, Outcome::Missed);
        // Acknowledged only at 150 s: late, half a point.
        let late_log = vec![AlarmEvent {
            at: at(150),
            ..log[1].clone()
        }];
        let late = score(
            &fired,
            &Actions {
                log: &late_log,
                incidents: &[],
                acknowledged: &[],
                rebooked_at: None,
                verified_commands: &[],
            },
            unix_seconds(at(400)),
        );
        assert_eq!(late[0].outcome, Outcome::Late(150.0));
        assert!((late[0].outcome.points() - 0.5).abs() < 1e-12);
        // A trainee at another console acknowledged at 60 s: the kept row counts.
        let elsewhere = [("ls.cabin_pressure".to_owned(), unix_seconds(at(60)))];
        let shared = score(
            &fired,
            &Actions {
                log: &late_log,
                incidents: &[],
                acknowledged: &elsewhere,
                rebooked_at: None,
                verified_commands: &[],
            },
            unix_seconds(at(400)),
        );
        assert_eq!(shared[0].outcome, Outcome::Met(60.0));
    }

    #[test]
    fn an_incident_and_its_completed_runbook_count_from_the_sandbox() {
        use crate::incidents::{self, IncidentKind, NewIncident};

        let dir = tempfile::tempdir().unwrap();
        let mut replica = galaxium_sync::Replica::open(
            &dir.path().join("r.sqlite"),
            &galaxium_sync::OpenOptions::default(),
        )
        .unwrap();
        let leak = scenario::shipped().unwrap().remove(0);
        let fired = vec![(leak.events[0].clone(), unix_seconds(at(0)))];
        let id = incidents::create(
            &mut replica,
            &NewIncident::quick("Cabin leak", IncidentKind::Vehicle, "SEV1"),
            "tia",
            at(200),
        )
        .unwrap();
        let book = runbooks::get("cabin-depressurisation").unwrap();
        for step in 0..book.steps.len() {
            let when = at(600 + i64::try_from(step).unwrap() * 60);
            incidents::tick_step(&mut replica, &id, step, true, "tia", when).unwrap();
        }
        let details = vec![incidents::detail(&replica, &id).unwrap().unwrap()];
        let scored = score(
            &fired,
            &Actions {
                log: &[],
                incidents: &details,
                acknowledged: &[],
                rebooked_at: None,
                verified_commands: &[],
            },
            unix_seconds(at(2000)),
        );
        assert_eq!(scored[0].outcome, Outcome::Missed);
        assert_eq!(scored[1].outcome, Outcome::Met(200.0));
        // The last of the eight steps at 600 + 7 × 60 s, within the 1500 s allowed.
        assert_eq!(scored[2].outcome, Outcome::Met(1020.0));
    }
}
