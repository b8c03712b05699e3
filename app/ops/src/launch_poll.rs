//! The go/no-go poll of a launch: the flight director opens it, each position answers GO or
//! NO-GO from its own console (answers sync like every row), the commit criteria are
//! evaluated live beside them, a red criterion is waived with a reason or blocks GO, and the
//! poll ends GO, HOLD or SCRUB (a scrub scrubs the launch as the launch page does). Every
//! answer, waiver and the criteria's values at the decision are kept. The server judges the
//! same rules (`galaxium-server`'s `rules/launch_day.rs`) against the same poll list.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use galaxium_sync::launch_poll::{Criterion, CriterionKind, PollList, Position};
use galaxium_sync::replica;
use galaxium_sync::schema::registry::Role;
use galaxium_sync::time::stored;
use galaxium_sync::{Replica, ReplicaError};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::bookings::actions::{self, BookingError, object};
use crate::bookings::model::{BookingStatus, LaunchStatus, MassLimits};
use crate::bookings::{Booking, LaunchDetail};
use crate::incidents::{Incident, IncidentStatus};
use crate::orbit::OrbitData;
use crate::telemetry::alarms::AlarmState;
use crate::telemetry::limits::Severity;
use crate::telemetry::{Telemetry, unix_seconds};

/// A position's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The position's id.
    pub position: String,
    /// GO.
    pub go: bool,
    /// What they said with it.
    pub note: String,
    /// When.
    pub answered_at: String,
    /// Who (the server's word once synced).
    pub by_user: String,
}

/// A red criterion waived by the flight director.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    /// The criterion's id.
    pub criterion: String,
    /// The value that made it red.
    pub value: String,
    /// Why it may be waived.
    pub reason: String,
    /// When.
    pub waived_at: String,
    /// Who.
    pub by_user: String,
}

/// A criterion as evaluated: green or red with the value that decides it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionValue {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Green.
    pub ok: bool,
    /// What decides it, in words ("101.3 kPa", "2 NO-GO: …").
    pub value: String,
    /// A waiver stands for it.
    #[serde(default)]
    pub waived: bool,
}

/// How a poll stands or ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollStatus {
    /// Answers are being taken.
    Open,
    /// GO for launch.
    Go,
    /// Held: a new poll follows.
    Hold,
    /// Scrubbed: the launch was scrubbed.
    Scrub,
}

impl PollStatus {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Go => "go",
            Self::Hold => "hold",
            Self::Scrub => "scrub",
        }
    }

    fn parse(word: &str) -> Self {
        match word {
            "go" => Self::Go,
            "hold" => Self::Hold,
            "scrub" => Self::Scrub,
            _ => Self::Open,
        }
    }

    /// On screen: OPEN, GO FOR LAUNCH, HOLD, SCRUB.
    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "OPEN",
            Self::Go => "GO FOR LAUNCH",
            Self::Hold => "HOLD",
            Self::Scrub => "SCRUB",
        }
    }
}

/// A poll with its answers and waivers.
#[derive(Debug, Clone, PartialEq)]
pub struct Poll {
    /// UUIDv7.
    pub id: String,
    /// The launch.
    pub launch_id: String,
    /// Where it stands.
    pub status: PollStatus,
    /// When it opened.
    pub opened_at: String,
    /// Who opened it.
    pub opened_by: String,
    /// When it was decided.
    pub decided_at: Option<String>,
    /// Who decided it.
    pub decided_by: Option<String>,
    /// What the flight director said with the decision.
    pub decision_note: String,
    /// The criteria's values when it was decided.
    pub criteria: Vec<CriterionValue>,
    /// Every answer, oldest first.
    pub answers: Vec<Answer>,
    /// Every waiver, oldest first.
    pub waivers: Vec<Waiver>,
}

impl Poll {
    /// Each position's latest answer.
    pub fn standing(&self) -> HashMap<&str, &Answer> {
        let mut latest: HashMap<&str, &Answer> = HashMap::new();
        for answer in &self.answers {
            let newer = latest
                .get(answer.position.as_str())
                .is_none_or(|seen| answer.answered_at >= seen.answered_at);
            if newer {
                latest.insert(answer.position.as_str(), answer);
            }
        }
        latest
    }

    /// The positions whose standing answer is not GO (unanswered or NO-GO), by name.
    pub fn not_go<'a>(&self, list: &'a PollList) -> Vec<&'a Position> {
        let standing = self.standing();
        list.positions
            .iter()
            .filter(|p| !standing.get(p.id.as_str()).is_some_and(|a| a.go))
            .collect()
    }

    /// The waiver of a criterion, if one stands.
    pub fn waiver(&self, criterion: &str) -> Option<&Waiver> {
        self.waivers.iter().rev().find(|w| w.criterion == criterion)
    }
}

/// The polls of a launch, newest first.
pub fn polls_of(conn: &Connection, launch_id: &str) -> rusqlite::Result<Vec<Poll>> {
    let mut polls: Vec<Poll> = conn
        .prepare_cached(
            "SELECT id, launch_id, status, opened_at, opened_by, decided_at, decided_by,
                    decision_note, criteria
             FROM launch_polls WHERE launch_id = ?1 ORDER BY opened_at DESC, id DESC",
        )?
        .query_map([launch_id], |r| {
            let status: String = r.get(2)?;
            let criteria: String = r.get(8)?;
            Ok(Poll {
                id: r.get(0)?,
                launch_id: r.get(1)?,
                status: PollStatus::parse(&status),
                opened_at: r.get(3)?,
                opened_by: r.get(4)?,
                decided_at: r.get(5)?,
                decided_by: r.get(6)?,
                decision_note: r.get(7)?,
                criteria: serde_json::from_str(&criteria).unwrap_or_default(),
                answers: Vec::new(),
                waivers: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    for poll in &mut polls {
        poll.answers = conn
            .prepare_cached(
                "SELECT position, answer, note, answered_at, by_user FROM poll_answers
                 WHERE poll_id = ?1 ORDER BY answered_at, id",
            )?
            .query_map([&poll.id], |r| {
                Ok(Answer {
                    position: r.get(0)?,
                    go: r.get::<_, String>(1)? == "go",
                    note: r.get(2)?,
                    answered_at: r.get(3)?,
                    by_user: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        poll.waivers = conn
            .prepare_cached(
                "SELECT criterion, value, reason, waived_at, by_user FROM poll_waivers
                 WHERE poll_id = ?1 ORDER BY waived_at, id",
            )?
            .query_map([&poll.id], |r| {
                Ok(Waiver {
                    criterion: r.get(0)?,
                    value: r.get(1)?,
                    reason: r.get(2)?,
                    waived_at: r.get(3)?,
                    by_user: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
    }
    Ok(polls)
}

/// Reads the polls of a launch, newest first.
pub fn read_polls(replica: &Replica, launch_id: &str) -> Result<Vec<Poll>, ReplicaError> {
    replica.read("reading the go/no-go polls", |conn| {
        polls_of(conn, launch_id)
    })
}

/// The positions `role` may answer for (every one when `None`: the replica's owner, not
/// signed in, answers for any position at their own console).
pub fn positions_for(list: &PollList, role: Option<Role>) -> Vec<&Position> {
    list.positions
        .iter()
        .filter(|p| role.is_none_or(|r| p.allows(r)))
        .collect()
}

fn refused<T>(message: impl Into<String>) -> Result<T, BookingError> {
    Err(BookingError::Refused(message.into()))
}

/// Opens a poll for a launch that is scheduled or boarding; refused when one is open.
pub fn open(
    replica: &mut Replica,
    launch_id: &str,
    user: &str,
    now: DateTime<Utc>,
) -> Result<String, BookingError> {
    let id = replica::new_id();
    replica.write(|w| {
        let Some(detail) = LaunchDetail::load(w.reader(), launch_id)? else {
            return refused("the launch is no longer in the replica");
        };
        if !matches!(
            detail.status,
            LaunchStatus::Scheduled | LaunchStatus::Boarding
        ) {
            return refused(format!(
                "{} is {}: a go/no-go poll is for a scheduled or boarding launch",
                detail.mission, detail.status
            ));
        }
        if polls_of(w.reader(), launch_id)?
            .iter()
            .any(|p| p.status == PollStatus::Open)
        {
            return refused(format!(
                "a go/no-go poll is already open for {}",
                detail.mission
            ));
        }
        w.insert(
            "launch_polls",
            &id,
            object(json!({
                "launch_id": launch_id,
                "status": "open",
                "opened_at": stored(now),
                "opened_by": user,
                "decided_at": null,
                "decided_by": null,
                "decision_note": "",
                "criteria": "[]",
            })),
        )?;
        Ok::<(), BookingError>(())
    })?;
    Ok(id)
}

fn open_poll(conn: &Connection, poll_id: &str) -> Result<Poll, BookingError> {
    let launch: Option<String> = conn
        .query_row(
            "SELECT launch_id FROM launch_polls WHERE id = ?1",
            [poll_id],
            |r| r.get(0),
        )
        .ok();
    let Some(launch) = launch else {
        return refused("the poll is no longer in the replica");
    };
    let poll = polls_of(conn, &launch)?
        .into_iter()
        .find(|p| p.id == poll_id)
        .ok_or_else(|| BookingError::Refused("the poll is no longer in the replica".into()))?;
    if poll.status != PollStatus::Open {
        return refused(format!(
            "the poll was decided ({}): open a new poll",
            poll.status.label()
        ));
    }
    Ok(poll)
}

/// Answers GO or NO-GO for `position`; a NO-GO says why.
pub fn answer(
    replica: &mut Replica,
    list: &PollList,
    poll_id: &str,
    (position, go, note): (&str, bool, &str),
    user: &str,
    now: DateTime<Utc>,
) -> Result<(), BookingError> {
    let Some(position) = list.position(position) else {
        return refused(format!(
            "there is no position {position:?} on the poll list"
        ));
    };
    if !go && note.trim().is_empty() {
        return refused(format!(
            "Note: say why {} is NO-GO, so the flight director can act on it.",
            position.name
        ));
    }
    add_to_open_poll(
        replica,
        poll_id,
        "poll_answers",
        json!({
            "poll_id": poll_id,
            "position": position.id,
            "answer": if go { "go" } else { "no_go" },
            "note": note.trim(),
            "answered_at": stored(now),
            "by_user": user,
        }),
    )
}

/// Adds an answer or a waiver to a poll that is still open (checked in the same write).
fn add_to_open_poll(
    replica: &mut Replica,
    poll_id: &str,
    table: &str,
    row: serde_json::Value,
) -> Result<(), BookingError> {
    replica.write(|w| {
        open_poll(w.reader(), poll_id)?;
        w.insert(table, &replica::new_id(), object(row))?;
        Ok(())
    })
}

/// Waives a red criterion with a reason, recording the value that made it red.
pub fn waive(
    replica: &mut Replica,
    poll_id: &str,
    criterion: &CriterionValue,
    reason: &str,
    user: &str,
    now: DateTime<Utc>,
) -> Result<(), BookingError> {
    if reason.trim().is_empty() {
        return refused(format!("Reason: say why {} may be waived.", criterion.name));
    }
    if criterion.ok {
        return refused(format!(
            "{} is green: there is nothing to waive",
            criterion.name
        ));
    }
    add_to_open_poll(
        replica,
        poll_id,
        "poll_waivers",
        json!({
            "poll_id": poll_id,
            "criterion": criterion.id,
            "value": criterion.value,
            "reason": reason.trim(),
            "waived_at": stored(now),
            "by_user": user,
        }),
    )
}

/// What the flight director calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// GO for launch.
    Go,
    /// Hold.
    Hold,
    /// Scrub the launch.
    Scrub,
}

/// Why GO for launch may not be called now: a position not GO, or a red criterion without a
/// waiver. `None` when it may.
pub fn go_blocked(poll: &Poll, list: &PollList, criteria: &[CriterionValue]) -> Option<String> {
    let not_go = poll.not_go(list);
    if !not_go.is_empty() {
        let names: Vec<&str> = not_go.iter().map(|p| p.name.as_str()).collect();
        return Some(format!("not GO yet: {}", names.join(", ")));
    }
    let red: Vec<&str> = criteria
        .iter()
        .filter(|c| !c.ok && !c.waived)
        .map(|c| c.name.as_str())
        .collect();
    (!red.is_empty()).then(|| format!("red and not waived: {}", red.join(", ")))
}

/// Decides the poll, keeping the criteria's values. GO needs every position GO and every red
/// criterion waived; SCRUB scrubs the launch too and returns the bookings it affects.
pub fn decide(
    replica: &mut Replica,
    list: &PollList,
    poll_id: &str,
    (decision, note): (Decision, &str),
    criteria: &[CriterionValue],
    user: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Booking>, BookingError> {
    let poll = replica.read("reading the poll", |conn| Ok(open_poll(conn, poll_id)))??;
    if decision == Decision::Go
        && let Some(blocked) = go_blocked(&poll, list, criteria)
    {
        return refused(format!("GO for launch cannot be called: {blocked}"));
    }
    if decision != Decision::Go && note.trim().is_empty() {
        return refused("Note: say why the launch holds or scrubs.");
    }
    let status = match decision {
        Decision::Go => PollStatus::Go,
        Decision::Hold => PollStatus::Hold,
        Decision::Scrub => PollStatus::Scrub,
    };
    let record = serde_json::to_string(criteria).unwrap_or_else(|_| "[]".to_owned());
    // The scrub and the decision are one transaction: a poll never ends SCRUB on a launch that
    // was not scrubbed, nor a launch scrubbed under a poll still open.
    replica.write(|w| {
        let affected = if decision == Decision::Scrub {
            actions::launch_status_in(w, &poll.launch_id, LaunchStatus::Scrubbed, now)?
        } else {
            Vec::new()
        };
        w.update(
            "launch_polls",
            poll_id,
            object(json!({
                "status": status.as_str(),
                "decided_at": stored(now),
                "decided_by": user,
                "decision_note": note.trim(),
                "criteria": record,
            })),
        )?;
        Ok::<_, BookingError>(affected)
    })
}

/// The crewed vehicle's first ground-station contact at or after the launch: when it
/// begins and the station; an error in words when it cannot be predicted.
pub fn first_contact_after(
    orbit: &OrbitData,
    detail: &LaunchDetail,
) -> Result<Option<(DateTime<Utc>, String)>, String> {
    let object = orbit
        .objects
        .iter()
        .find(|o| o.vehicle.as_deref() == Some(detail.vehicle.as_str()))
        .or_else(|| orbit.objects.iter().find(|o| o.vehicle.is_some()))
        .ok_or_else(|| format!("no element set for {}: contacts unknown", detail.vehicle))?;
    let satellite = object.satellite.as_ref().map_err(Clone::clone)?;
    if orbit.stations.is_empty() {
        return Err("no ground station is defined".to_owned());
    }
    let passes = crate::orbit::station_passes(satellite, &orbit.stations, detail.scheduled_at, 12)
        .map_err(|e| e.to_string())?;
    Ok(passes
        .iter()
        .flat_map(|s| s.passes.iter().map(move |p| (p, &s.station.name)))
        .filter(|(p, _)| p.los > detail.scheduled_at)
        .map(|(p, station)| (p.aos.max(detail.scheduled_at), station.clone()))
        .min_by_key(|(aos, _)| *aos))
}

/// What the criteria are evaluated from.
pub struct PollInputs<'a> {
    /// Now.
    pub now: DateTime<Utc>,
    /// The launch with its bookings.
    pub detail: &'a LaunchDetail,
    /// The telemetry, when it runs.
    pub telemetry: Option<&'a Telemetry>,
    /// Every incident.
    pub incidents: &'a [Incident],
    /// The most severe level's code ("SEV1").
    pub most_severe: &'a str,
    /// The first contact after launch, as [`first_contact_after`] found it.
    pub first_contact: &'a Result<Option<(DateTime<Utc>, String)>, String>,
}

/// Every criterion of `list`, green or red with its deciding value, and whether a waiver of
/// `poll` stands for it.
pub fn evaluate(
    list: &PollList,
    inputs: &PollInputs<'_>,
    poll: Option<&Poll>,
) -> Vec<CriterionValue> {
    list.criteria
        .iter()
        .map(|criterion| {
            let (ok, value) = judge(criterion, inputs);
            CriterionValue {
                id: criterion.id.clone(),
                name: criterion.name.clone(),
                ok,
                value,
                waived: !ok && poll.is_some_and(|p| p.waiver(&criterion.id).is_some()),
            }
        })
        .collect()
}

fn judge(criterion: &Criterion, inputs: &PollInputs<'_>) -> (bool, String) {
    match &criterion.kind {
        CriterionKind::Telemetry {
            channel,
            min,
            max,
            max_age_s,
        } => telemetry_value(inputs, channel, (*min, *max), *max_age_s),
        CriterionKind::Alarms => alarms_value(inputs),
        CriterionKind::Incidents => {
            let open: Vec<&str> = inputs
                .incidents
                .iter()
                // A drill's incident is never taken for a real one.
                .filter(|i| !i.title.starts_with(crate::incidents::DRILL_MARK))
                .filter(|i| i.severity == inputs.most_severe && i.status != IncidentStatus::Closed)
                .map(|i| i.reference.as_str())
                .collect();
            if open.is_empty() {
                (true, "none".to_owned())
            } else {
                (false, format!("open: {}", open.join(", ")))
            }
        }
        CriterionKind::Readiness => readiness_value(inputs),
        CriterionKind::Mass => {
            let budget = inputs.detail.mass_budget(inputs.now);
            let words = format!(
                "passengers {:.1} of {:.0} kg, baggage {:.1} of {:.0} kg",
                budget.passenger_kg,
                budget.passenger_limit_kg,
                budget.baggage_kg,
                budget.baggage_limit_kg
            );
            (!budget.is_over(), words)
        }
        CriterionKind::Manifest => match inputs.detail.manifest_closed_at {
            Some(at) => (true, format!("closed at {}", at.format("%H:%M UTC"))),
            None => (false, "still open".to_owned()),
        },
        CriterionKind::Contact { within_minutes } => match inputs.first_contact {
            Ok(Some((aos, station))) => {
                let wait = (*aos - inputs.detail.scheduled_at).num_seconds() as f64 / 60.0;
                (
                    wait <= *within_minutes,
                    format!(
                        "first pass {station} at T+{wait:.0} min (limit {within_minutes:.0} min)"
                    ),
                )
            }
            Ok(None) => (false, "no contact within 12 h of launch".to_owned()),
            Err(reason) => (false, reason.clone()),
        },
    }
}

fn telemetry_value(
    inputs: &PollInputs<'_>,
    channel: &str,
    (min, max): (Option<f64>, Option<f64>),
    max_age_s: f64,
) -> (bool, String) {
    let Some(tm) = inputs.telemetry else {
        return (false, "no telemetry".to_owned());
    };
    let Some(index) = tm.index_of(channel) else {
        return (
            false,
            format!("{channel} is not in the telemetry dictionary"),
        );
    };
    let unit = &tm.dictionary.channels[index].unit;
    let reading = tm.reading(index, inputs.now);
    let Some((t, value)) = tm.series(index).last() else {
        return (false, "NO DATA".to_owned());
    };
    let shown = format!("{value:.1} {unit}");
    if reading.drill {
        return (
            false,
            format!("{shown}: a drill's value, not the vehicle's"),
        );
    }
    let age_s = unix_seconds(inputs.now) - t;
    if age_s > max_age_s {
        return (
            false,
            format!("{shown}, STALE {}", crate::telemetry::age_words(age_s)),
        );
    }
    let low = min.is_some_and(|m| value < m);
    let high = max.is_some_and(|m| value > m);
    let bounds = match (min, max) {
        (Some(l), Some(h)) => format!("{l}–{h} {unit}"),
        (Some(l), None) => format!("≥ {l} {unit}"),
        (None, Some(h)) => format!("≤ {h} {unit}"),
        (None, None) => String::new(),
    };
    (!low && !high, format!("{shown} (limits {bounds})"))
}

fn alarms_value(inputs: &PollInputs<'_>) -> (bool, String) {
    let Some(tm) = inputs.telemetry else {
        return (false, "no telemetry: alarms unknown".to_owned());
    };
    let unacknowledged: Vec<&str> = tm
        .board()
        .alarms()
        .into_iter()
        .filter(|a| {
            !a.drill && a.severity == Severity::Critical && a.state != AlarmState::AckActive
        })
        .map(|a| a.channel.as_str())
        .collect();
    if unacknowledged.is_empty() {
        (true, "none".to_owned())
    } else {
        (
            false,
            format!("unacknowledged: {}", unacknowledged.join(", ")),
        )
    }
}

fn readiness_value(inputs: &PollInputs<'_>) -> (bool, String) {
    let seated: Vec<&Booking> = inputs
        .detail
        .live_iter()
        .filter(|b| {
            matches!(
                b.status,
                BookingStatus::Confirmed | BookingStatus::CheckedIn | BookingStatus::Boarded
            )
        })
        .collect();
    let no_go: Vec<String> = seated
        .iter()
        .filter_map(|b| {
            let r = inputs.detail.readiness_of(b, MassLimits::default());
            (!r.is_go()).then(|| format!("{} ({})", b.passenger_name, r.texts().join("; ")))
        })
        .collect();
    if no_go.is_empty() {
        (true, format!("all {} GO", seated.len()))
    } else {
        (
            false,
            format!("{} NO-GO: {}", no_go.len(), no_go.join(", ")),
        )
    }
}

/// The criteria record kept with a decided poll, or the live values of an open one.
pub fn shown_criteria(poll: &Poll, live: &[CriterionValue]) -> Vec<CriterionValue> {
    if poll.status == PollStatus::Open {
        live.to_vec()
    } else {
        poll.criteria.clone()
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::telemetry::dictionary::Dictionary;
    use crate::telemetry::sim::Simulator;

    use crate::test_support::{Seeded as Fixture, seeded};

    fn poll_list() -> PollList {
        PollList::shipped().unwrap()
    }

    fn telemetry(now: DateTime<Utc>) -> Telemetry {
        let d = Dictionary::shipped(&["1A".to_owned()]).unwrap();
        let sim = Simulator::new(&d, now - Duration::seconds(30), 42);
        let mut tm = Telemetry::new(d, Box::new(sim));
        tm.tick(now);
        tm
    }

    fn value<'a>(criteria: &'a [CriterionValue], id: &str) -> &'a CriterionValue {
        criteria.iter().find(|c| c.id == id).unwrap()
    }

    #[test]
    fn a_telemetry_criterion_turns_red_when_the_vehicle_leaves_its_limits() {
        let f = seeded();
        let detail = f.launch("GX-12 Twilight Hop");
        let mut tm = telemetry(f.now);
        let contact = Ok(Some((
            detail.scheduled_at + Duration::minutes(20),
            "Svalbard".into(),
        )));
        let evaluate_at = |tm: &Telemetry, now: DateTime<Utc>| {
            let inputs = PollInputs {
                now,
                detail: &detail,
                telemetry: Some(tm),
                incidents: &[],
                most_severe: "SEV1",
                first_contact: &contact,
            };
            evaluate(&poll_list(), &inputs, None)
        };
        let criteria = evaluate_at(&tm, f.now);
        let cabin = value(&criteria, "cabin_pressure");
        assert!(cabin.ok, "{cabin:?}");
        assert!(
            cabin.value.ends_with("kPa (limits 99–103.5 kPa)"),
            "{cabin:?}"
        );
        let contact = value(&criteria, "contact");
        assert!(contact.ok);
        assert_eq!(
            contact.value,
            "first pass Svalbard at T+20 min (limit 45 min)"
        );

        // A leak: the cabin falls below the criterion's floor.
        let index = tm.index_of("ls.cabin_pressure").unwrap();
        let t = tm.series(index).last().unwrap().0 + 1.0;
        tm.ingest(crate::telemetry::Sample {
            channel: index,
            t,
            value: 97.5,
        });
        let criteria = evaluate_at(&tm, f.now);
        let cabin = value(&criteria, "cabin_pressure");
        assert!(!cabin.ok);
        assert_eq!(cabin.value, "97.5 kPa (limits 99–103.5 kPa)");
        // Nothing new for a minute: stale is red, whatever it said.
        let later = f.now + Duration::seconds(60);
        let stale = evaluate_at(&tm, later);
        assert!(value(&stale, "ppo2").value.contains("STALE"), "{stale:?}");
        assert!(!value(&stale, "ppo2").ok);
    }

    #[test]
    fn readiness_mass_manifest_and_incidents_decide_their_criteria() {
        let f = seeded();
        let dawn = f.launch("GX-13 Dawn Patrol");
        let contact = Err("no element set for Celestia: contacts unknown".to_owned());
        let incident = Incident {
            id: "i1".into(),
            reference: "INC-7F3A2C".into(),
            title: "Pad fire alarm".into(),
            description: String::new(),
            kind: crate::incidents::IncidentKind::GroundOperations,
            severity: "SEV1".into(),
            status: IncidentStatus::Stable,
            reported_at: "2026-11-22T11:00:00Z".into(),
            reported_by: "pad".into(),
            stable_at: None,
            closed_at: None,
            source: None,
            launch_id: None,
            vehicle_id: None,
            commander: String::new(),
            scribe: String::new(),
            liaison: String::new(),
            safety_officer: String::new(),
            runbook: String::new(),
            conditions: String::new(),
            actions: String::new(),
            needs: String::new(),
            review_summary: String::new(),
            review_causes: String::new(),
            review_lessons: String::new(),
        };
        let inputs = PollInputs {
            now: f.now,
            detail: &dawn,
            telemetry: None,
            incidents: std::slice::from_ref(&incident),
            most_severe: "SEV1",
            first_contact: &contact,
        };
        let criteria = evaluate(&poll_list(), &inputs, None);
        let readiness = value(&criteria, "readiness");
        assert!(!readiness.ok);
        assert!(
            readiness
                .value
                .contains("Bruno Castell (the waiver is not signed)"),
            "{readiness:?}"
        );
        assert!(!value(&criteria, "manifest").ok);
        assert_eq!(value(&criteria, "manifest").value, "still open");
        let incidents = value(&criteria, "incidents");
        assert_eq!(incidents.value, format!("open: {}", incident.reference));
        assert!(value(&criteria, "mass").ok);
        assert_eq!(
            value(&criteria, "alarms").value,
            "no telemetry: alarms unknown"
        );
        assert_eq!(
            value(&criteria, "contact").value,
            "no element set for Celestia: contacts unknown"
        );
    }

    #[test]
    #[allow(
        clippy::too_many_lines,
        reason = "one poll from its opening to its scrub, each rule on its way"
    )]
    fn go_needs_every_position_go_and_red_criteria_waived_and_a_scrub_scrubs_the_launch() {
        let mut f = seeded();
        let twilight = f.launch("GX-12 Twilight Hop");
        let poll = open(&mut f.replica, &twilight.id, "fd", f.now).unwrap();
        let err = open(&mut f.replica, &twilight.id, "fd", f.now).unwrap_err();
        assert!(err.to_string().contains("already open"), "{err}");
        let criteria = vec![
            CriterionValue {
                id: "battery".into(),
                name: "Battery state of charge".into(),
                ok: false,
                value: "55.0 % (limits ≥ 60)".into(),
                waived: false,
            },
            CriterionValue {
                id: "mass".into(),
                name: "Mass budget".into(),
                ok: true,
                value: String::new(),
                waived: false,
            },
        ];
        let list = poll_list();
        let read = |f: &Fixture| read_polls(&f.replica, &twilight.id).unwrap().remove(0);
        // A NO-GO says why.
        let err = answer(
            &mut f.replica,
            &list,
            &poll,
            ("range", false, " "),
            "rsa",
            f.now,
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("Note: say why Range is NO-GO"));
        answer(
            &mut f.replica,
            &list,
            &poll,
            ("range", false, "boat in the hazard area"),
            "rsa",
            f.now,
        )
        .unwrap();
        let err = decide(
            &mut f.replica,
            &list,
            &poll,
            (Decision::Go, ""),
            &criteria,
            "fd",
            f.now,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("not GO yet: Flight director, Vehicle systems"),
            "{err}"
        );
        for position in &list.positions {
            answer(
                &mut f.replica,
                &list,
                &poll,
                (&position.id, true, ""),
                "all",
                f.now + Duration::seconds(1),
            )
            .unwrap();
        }
        let standing = read(&f);
        assert!(standing.not_go(&list).is_empty());
        let err = decide(
            &mut f.replica,
            &list,
            &poll,
            (Decision::Go, ""),
            &criteria,
            "fd",
            f.now,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .ends_with("red and not waived: Battery state of charge"),
            "{err}"
        );
        waive(
            &mut f.replica,
            &poll,
            &criteria[0],
            "charging on the pad until T-10",
            "fd",
            f.now,
        )
        .unwrap();
        let waived = read(&f);
        assert_eq!(
            waived.waiver("battery").unwrap().value,
            "55.0 % (limits ≥ 60)"
        );
        let mut record = criteria.clone();
        record[0].waived = true;
        // HOLD and SCRUB need a word; a scrub scrubs the launch.
        let err = decide(
            &mut f.replica,
            &list,
            &poll,
            (Decision::Scrub, ""),
            &record,
            "fd",
            f.now,
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("Note:"));
        let affected = decide(
            &mut f.replica,
            &list,
            &poll,
            (Decision::Scrub, "winds above limits"),
            &record,
            "fd",
            f.now,
        )
        .unwrap();
        assert_eq!(affected.len(), 3);
        assert_eq!(
            f.launch("GX-12 Twilight Hop").status,
            LaunchStatus::Scrubbed
        );
        let decided = read(&f);
        assert_eq!(decided.status, PollStatus::Scrub);
        assert_eq!(decided.decision_note, "winds above limits");
        assert_eq!(decided.criteria, record);
        // A decided poll takes no more answers.
        let err = answer(
            &mut f.replica,
            &list,
            &poll,
            ("range", true, ""),
            "rsa",
            f.now,
        )
        .unwrap_err();
        assert!(err.to_string().contains("decided (SCRUB)"), "{err}");
    }

    #[test]
    fn an_incident_about_the_launch_carries_its_decision_into_the_report() {
        let mut f = seeded();
        let twilight = f.launch("GX-12 Twilight Hop");
        let list = poll_list();
        let poll = open(&mut f.replica, &twilight.id, "fd", f.now).unwrap();
        answer(
            &mut f.replica,
            &list,
            &poll,
            ("range", false, "boat in the hazard area"),
            "rsa",
            f.now,
        )
        .unwrap();
        let red = CriterionValue {
            id: "battery".into(),
            name: "Battery state of charge".into(),
            ok: false,
            value: "55.0 % (limits at least 60)".into(),
            waived: false,
        };
        waive(
            &mut f.replica,
            &poll,
            &red,
            "charging on the pad until T-10",
            "fd",
            f.now,
        )
        .unwrap();
        let record = [CriterionValue {
            waived: true,
            ..red
        }];
        decide(
            &mut f.replica,
            &list,
            &poll,
            (Decision::Scrub, "winds above limits"),
            &record,
            "fd",
            f.now,
        )
        .unwrap();
        let incident = crate::incidents::create(
            &mut f.replica,
            &crate::incidents::NewIncident {
                title: "Launch scrubbed on crosswinds".into(),
                kind: crate::incidents::IncidentKind::GroundOperations,
                severity: "SEV3".into(),
                description: String::new(),
                source: None,
                runbook: String::new(),
                vehicle_id: None,
                launch_id: Some(twilight.id.clone()),
                drill: false,
            },
            "fd",
            f.now,
        )
        .unwrap();
        let detail = crate::incidents::detail(&f.replica, &incident)
            .unwrap()
            .unwrap();
        let polls = read_polls(&f.replica, &twilight.id).unwrap();
        let pdf = crate::incidents::report::to_pdf(
            &crate::incidents::report::ReportInput {
                detail: &detail,
                charts: &[],
                severities: &crate::incidents::default_severities(),
                generated_at: f.now,
                generated_by: "fd",
                polls: &polls,
            },
            &|_| {},
        )
        .unwrap();
        let document = lopdf::Document::load_mem(&pdf).unwrap();
        let pages: Vec<u32> = document.get_pages().keys().copied().collect();
        let text = document.extract_text(&pages).unwrap();
        for expected in [
            "Launch decision (go/no-go)",
            "SCRUB at",
            "winds above limits",
            "Range: NO-GO by rsa",
            "boat in the hazard area",
            "Criterion Battery state of charge: WAIVED, 55.0 % (limits at least 60)",
            "Waiver of battery by fd",
            "charging on the pad until T-10",
        ] {
            assert!(text.contains(expected), "{expected:?} not in {text}");
        }
    }

    #[test]
    fn a_scrub_the_launch_cannot_take_leaves_the_poll_open() {
        let mut f = seeded();
        let twilight = f.launch("GX-12 Twilight Hop");
        let list = poll_list();
        let poll = open(&mut f.replica, &twilight.id, "fd", f.now).unwrap();
        // The launch went while the poll was open (marked launched from its page).
        actions::set_launch_status(&mut f.replica, &twilight.id, LaunchStatus::Launched, f.now)
            .unwrap();
        let err = decide(
            &mut f.replica,
            &list,
            &poll,
            (Decision::Scrub, "too late"),
            &[],
            "fd",
            f.now,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("cannot go from launched to scrubbed"),
            "{err}"
        );
        let polls = read_polls(&f.replica, &twilight.id).unwrap();
        assert_eq!(
            polls[0].status,
            PollStatus::Open,
            "nothing of the scrub was kept"
        );
        assert_eq!(
            f.launch("GX-12 Twilight Hop").status,
            LaunchStatus::Launched
        );
    }
}
