//! Commanding: the command queue every console shares (replicated rows, judged again by the
//! server), and the uplink that releases this console's commands to the vehicle while it is
//! in contact, in queue order, and verifies each against the telemetry its dictionary entry
//! names. A verifier not met in time fails the command and raises an alarm.
//!
//! A command belongs to the console that queued it: that console releases and uplinks it
//! (to its simulated vehicle); any console with a user of the right role may approve a
//! two-person command, reorder or cancel one that waits.

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use galaxium_sync::Replica;
use galaxium_sync::commanding::{CommandDictionary, CommandSpec, Condition, EffectKind, Target};
use galaxium_sync::replica::{ReplicaError, new_id};
use galaxium_sync::schema::registry::Role;
use serde_json::{Map, Value, json};

use crate::telemetry::limits::Severity;
use crate::telemetry::sim::Actuation;
use crate::telemetry::{Telemetry, unix_seconds};

pub use galaxium_sync::commanding::{PRIORITIES, STATUSES};

/// Why a commanding action was not carried out.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The replica could not be read or written.
    #[error(transparent)]
    Replica(#[from] ReplicaError),
    /// A rule refuses it; the text says which and why.
    #[error("{0}")]
    Refused(String),
}

fn refused(text: impl Into<String>) -> CommandError {
    CommandError::Refused(text.into())
}

/// One stage of a command, as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// queued, approved, released, sent, verified, failed or cancelled.
    pub stage: String,
    /// When (RFC 3339 UTC, on the mission clock).
    pub at: String,
    /// Who (the server's word once synced).
    pub by: String,
    /// At which console.
    pub device_id: String,
    /// Which verifier, what was seen, why.
    pub detail: String,
}

/// A command in the queue or in its history.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    /// Its id.
    pub id: String,
    /// The dictionary's name.
    pub name: String,
    /// Its arguments.
    pub arguments: Map<String, Value>,
    /// urgent, normal or routine.
    pub priority: String,
    /// Its place within its priority.
    pub queue_position: f64,
    /// Where it stands.
    pub status: String,
    /// Its sender confirmed its hazard.
    pub hazard_confirmed: bool,
    /// Who queued it.
    pub queued_by: String,
    /// When.
    pub queued_at: String,
    /// The console that uplinks it.
    pub device_id: String,
    /// Every stage, oldest first.
    pub stages: Vec<Stage>,
}

impl Command {
    /// As typed: `LS.SCRUBBER_MODE mode=boost`.
    pub fn text_form(&self) -> String {
        let mut text = self.name.clone();
        for (name, value) in &self.arguments {
            let shown = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            let _ = write!(text, " {name}={shown}");
        }
        text
    }

    /// Whether it waits in the queue (for approval, or to be released).
    pub fn waiting(&self) -> bool {
        matches!(self.status.as_str(), "queued" | "approved")
    }

    /// Whether it has left the queue and is not finished (released or sent, not verified).
    pub fn in_progress(&self) -> bool {
        matches!(self.status.as_str(), "released" | "sent")
    }

    /// Who approved it, if someone did.
    pub fn approved_by(&self) -> Option<&str> {
        self.stages
            .iter()
            .rev()
            .find(|s| s.stage == "approved")
            .map(|s| s.by.as_str())
    }

    /// The newest stage of this kind.
    pub fn stage(&self, stage: &str) -> Option<&Stage> {
        self.stages.iter().rev().find(|s| s.stage == stage)
    }
}

/// The rank of a priority: urgent first.
pub fn priority_rank(priority: &str) -> usize {
    PRIORITIES
        .iter()
        .position(|p| *p == priority)
        .unwrap_or(PRIORITIES.len())
}

/// The waiting commands in the order they are released: by priority, then place.
pub fn queue_order(commands: &[Command]) -> Vec<&Command> {
    let mut waiting: Vec<&Command> = commands.iter().filter(|c| c.waiting()).collect();
    waiting.sort_by(|a, b| {
        priority_rank(&a.priority)
            .cmp(&priority_rank(&b.priority))
            .then(a.queue_position.total_cmp(&b.queue_position))
            .then(a.queued_at.cmp(&b.queued_at))
    });
    waiting
}

/// How many finished commands the history keeps in view.
pub const HISTORY_SHOWN: usize = 500;

/// Every waiting or unfinished command and the newest finished ones (at most `history`),
/// newest first, each with its stages.
pub fn read(replica: &Replica, history: usize) -> Result<Vec<Command>, ReplicaError> {
    let limit = i64::try_from(history).unwrap_or(i64::MAX);
    read_matching(replica, "1", "", limit)
}

/// The commands that wait in the queue (any console's), and this console's sent and not yet
/// verified: what the uplink and the queue's rules work on, without the history.
fn read_open(replica: &Replica) -> Result<Vec<Command>, ReplicaError> {
    read_matching(
        replica,
        "status IN ('queued', 'approved') OR (status = 'sent' AND device_id = ?2)",
        replica.device_id(),
        i64::MAX,
    )
}

/// The commands `filter` (SQL over the commands table, `?2` standing for `param`) keeps, at
/// most `limit`, newest first, each with its stages.
fn read_matching(
    replica: &Replica,
    filter: &str,
    param: &str,
    limit: i64,
) -> Result<Vec<Command>, ReplicaError> {
    replica.read("reading the command queue", |conn| {
        // `?2 = ?2` uses the parameter when the filter does not (rusqlite refuses one unused).
        let mut statement = conn.prepare(&format!(
            "SELECT id, name, arguments, priority, queue_position, status, hazard_confirmed,
                    queued_by, queued_at, device_id
             FROM commands WHERE ({filter}) AND ?2 = ?2
             ORDER BY status IN ('queued', 'approved', 'released', 'sent') DESC, queued_at DESC
             LIMIT ?1"
        ))?;
        let mut commands: Vec<Command> = statement
            .query_map(rusqlite::params![limit, param], |r| {
                let arguments: String = r.get(2)?;
                Ok(Command {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    arguments: serde_json::from_str(&arguments).unwrap_or_default(),
                    priority: r.get(3)?,
                    queue_position: r.get(4)?,
                    status: r.get(5)?,
                    hazard_confirmed: r.get::<_, i64>(6)? != 0,
                    queued_by: r.get(7)?,
                    queued_at: r.get(8)?,
                    device_id: r.get(9)?,
                    stages: Vec::new(),
                })
            })?
            .collect::<Result<_, _>>()?;
        commands.sort_by(|a, b| b.queued_at.cmp(&a.queued_at));
        let index: HashMap<String, usize> = commands
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.clone(), i))
            .collect();
        let mut stages = conn.prepare(
            "SELECT command_id, stage, at, by_user, device_id, detail FROM command_stages
             WHERE command_id IN (SELECT value FROM json_each(?1)) ORDER BY at, rowid",
        )?;
        let ids = serde_json::to_string(&index.keys().collect::<Vec<_>>()).unwrap_or_default();
        let rows = stages.query_map([ids], |r| {
            Ok((
                r.get::<_, String>(0)?,
                Stage {
                    stage: r.get(1)?,
                    at: r.get(2)?,
                    by: r.get(3)?,
                    device_id: r.get(4)?,
                    detail: r.get(5)?,
                },
            ))
        })?;
        for row in rows {
            let (command_id, stage) = row?;
            if let Some(&i) = index.get(&command_id) {
                commands[i].stages.push(stage);
            }
        }
        Ok(commands)
    })
}

/// A command to queue.
#[derive(Debug, Clone)]
pub struct NewCommand<'a> {
    /// The dictionary's entry.
    pub spec: &'a CommandSpec,
    /// Its arguments, checked against the entry.
    pub arguments: Map<String, Value>,
    /// urgent, normal or routine.
    pub priority: &'a str,
    /// The sender confirmed the hazard (a hazardous command is not queued without it).
    pub hazard_confirmed: bool,
}

/// Refuses a role the dictionary does not name for `spec` (in a training sandbox everyone
/// practises the controller's work, as the server has it).
fn check_role(spec: &CommandSpec, role: Role) -> Result<(), CommandError> {
    if spec.allows(role) {
        Ok(())
    } else {
        Err(refused(format!(
            "{} may be queued, approved and released only by {}; you are signed in as {}",
            spec.name,
            spec.roles_in_words(),
            role.as_str()
        )))
    }
}

fn stage_row(
    command_id: &str,
    stage: &str,
    at: DateTime<Utc>,
    by: &str,
    device: &str,
    detail: &str,
) -> Map<String, Value> {
    let Value::Object(row) = json!({
        "command_id": command_id,
        "stage": stage,
        "at": galaxium_sync::time::stored(at),
        "by_user": by,
        "device_id": device,
        "detail": detail,
    }) else {
        unreachable!("a JSON object literal")
    };
    row
}

/// Queues a command from this console for `user` (of `role`); returns its id.
pub fn queue(
    replica: &mut Replica,
    new: &NewCommand<'_>,
    (user, role): (&str, Role),
    now: DateTime<Utc>,
) -> Result<String, CommandError> {
    let spec = new.spec;
    check_role(spec, role)?;
    spec.check_arguments(&new.arguments)
        .map_err(|problem| refused(problem.to_string()))?;
    if let Some(hazard) = &spec.hazard
        && !new.hazard_confirmed
    {
        return Err(refused(format!(
            "{} is hazardous: confirm the hazard first ({hazard})",
            spec.name
        )));
    }
    if !PRIORITIES.contains(&new.priority) {
        return Err(refused(format!(
            "priority {:?} is not one of {}",
            new.priority,
            PRIORITIES.join(", ")
        )));
    }
    let device = replica.device_id().to_owned();
    let id = new_id();
    let arguments = Value::Object(new.arguments.clone()).to_string();
    let text = spec.text_form(&new.arguments);
    let last: Option<f64> = replica.read("reading the command queue", |conn| {
        conn.query_row(
            "SELECT max(queue_position) FROM commands WHERE status IN ('queued', 'approved')",
            [],
            |r| r.get(0),
        )
    })?;
    replica.write(|w| {
        let Value::Object(row) = json!({
            "name": spec.name,
            "arguments": arguments,
            "priority": new.priority,
            "queue_position": last.unwrap_or(0.0) + 1.0,
            "status": "queued",
            "hazard_confirmed": new.hazard_confirmed,
            "queued_by": user,
            "queued_at": galaxium_sync::time::stored(now),
            "device_id": device,
        }) else {
            unreachable!("a JSON object literal")
        };
        w.insert("commands", &id, row)?;
        let detail = if spec.two_person {
            format!("{text}: waits for another user's approval")
        } else {
            text.clone()
        };
        w.insert(
            "command_stages",
            &new_id(),
            stage_row(&id, "queued", now, user, &device, &detail),
        )?;
        Ok::<_, CommandError>(())
    })?;
    Ok(id)
}

fn find(replica: &Replica, id: &str) -> Result<Command, CommandError> {
    read_matching(replica, "id = ?2", id, 1)?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(|| refused("that command is no longer in the replica"))
}

fn spec_of<'a>(
    dictionary: &'a CommandDictionary,
    command: &Command,
) -> Result<&'a CommandSpec, CommandError> {
    dictionary.get(&command.name).ok_or_else(|| {
        refused(format!(
            "{} is not in this console's command dictionary",
            command.name
        ))
    })
}

/// Approves a two-person command as `user`, who must not be its sender.
pub fn approve(
    replica: &mut Replica,
    dictionary: &CommandDictionary,
    id: &str,
    (user, role): (&str, Role),
    now: DateTime<Utc>,
) -> Result<(), CommandError> {
    let command = find(replica, id)?;
    let spec = spec_of(dictionary, &command)?;
    check_role(spec, role)?;
    if !spec.two_person {
        return Err(refused(format!(
            "{} does not need a second person's approval",
            spec.name
        )));
    }
    if command.status != "queued" {
        return Err(refused(format!(
            "{} is {}, not waiting for approval",
            command.text_form(),
            command.status
        )));
    }
    if command.queued_by == user {
        return Err(refused(format!(
            "{} needs the approval of another user than its sender: you queued it",
            command.text_form()
        )));
    }
    record_moves(
        replica,
        id,
        &[("approved", &command.text_form())],
        (user, now),
    )?;
    Ok(())
}

fn status(word: &str) -> Map<String, Value> {
    let mut row = Map::new();
    row.insert("status".into(), Value::String(word.into()));
    row
}

/// Moves a command through `moves` in one transaction: each to its status, with the stage
/// that records it (and what the stage says).
fn record_moves(
    replica: &mut Replica,
    id: &str,
    moves: &[(&str, &str)],
    (user, now): (&str, DateTime<Utc>),
) -> Result<(), ReplicaError> {
    let device = replica.device_id().to_owned();
    replica.write(|w| {
        for (stage, detail) in moves {
            w.update("commands", id, status(stage))?;
            w.insert(
                "command_stages",
                &new_id(),
                stage_row(id, stage, now, user, &device, detail),
            )?;
        }
        Ok(())
    })
}

/// Cancels a waiting command, saying why.
pub fn cancel(
    replica: &mut Replica,
    dictionary: &CommandDictionary,
    id: &str,
    (user, role): (&str, Role),
    why: &str,
    now: DateTime<Utc>,
) -> Result<(), CommandError> {
    let command = find(replica, id)?;
    check_role(spec_of(dictionary, &command)?, role)?;
    if !command.waiting() {
        return Err(refused(format!(
            "{} is {}: only a command that waits in the queue can be cancelled",
            command.text_form(),
            command.status
        )));
    }
    let detail = match why.trim() {
        "" => command.text_form(),
        why => format!("{}: {why}", command.text_form()),
    };
    record_moves(replica, id, &[("cancelled", &detail)], (user, now))?;
    Ok(())
}

/// Moves a waiting command one place earlier (`up`) or later among the commands of its
/// priority; `false` when it is first (or last) already.
pub fn move_in_queue(
    replica: &mut Replica,
    dictionary: &CommandDictionary,
    id: &str,
    up: bool,
    role: Role,
) -> Result<bool, CommandError> {
    let commands = read_open(replica)?;
    let order = queue_order(&commands);
    let Some(at) = order.iter().position(|c| c.id == id) else {
        return Err(refused(
            "only a command that waits in the queue can be moved",
        ));
    };
    check_role(spec_of(dictionary, order[at])?, role)?;
    let neighbour = if up {
        at.checked_sub(1)
    } else {
        Some(at + 1).filter(|n| *n < order.len())
    };
    let Some(neighbour) = neighbour.map(|n| order[n]) else {
        return Ok(false);
    };
    if neighbour.priority != order[at].priority {
        return Ok(false);
    }
    let (mine, theirs) = (order[at].queue_position, neighbour.queue_position);
    // Equal places (queued at the same moment on two consoles) are parted first.
    let (mine_after, theirs_after) = if (mine - theirs).abs() < f64::EPSILON {
        if up {
            (theirs - 0.5, theirs)
        } else {
            (theirs + 0.5, theirs)
        }
    } else {
        (theirs, mine)
    };
    let (neighbour_id, own_id) = (neighbour.id.clone(), order[at].id.clone());
    replica.write(|w| {
        let place = |p: f64| {
            let mut row = Map::new();
            row.insert("queue_position".into(), json!(p));
            row
        };
        w.update("commands", &own_id, place(mine_after))?;
        w.update("commands", &neighbour_id, place(theirs_after))
    })?;
    Ok(true)
}

/// Gives a waiting command another priority.
pub fn set_priority(
    replica: &mut Replica,
    dictionary: &CommandDictionary,
    id: &str,
    priority: &str,
    role: Role,
) -> Result<(), CommandError> {
    if !PRIORITIES.contains(&priority) {
        return Err(refused(format!(
            "priority {priority:?} is not one of {}",
            PRIORITIES.join(", ")
        )));
    }
    let command = find(replica, id)?;
    check_role(spec_of(dictionary, &command)?, role)?;
    if !command.waiting() {
        return Err(refused(
            "only a command that waits in the queue can change priority",
        ));
    }
    let mut row = Map::new();
    row.insert("priority".into(), Value::String(priority.into()));
    replica.write(|w| w.update("commands", id, row))?;
    Ok(())
}

/// A verifier of a sent command, being watched.
#[derive(Debug, Clone)]
struct Watched {
    channel: String,
    condition: Condition,
    /// In words: `pwr.bus_b_voltage above 26 V`.
    words: String,
    unit: String,
    within_s: f64,
    /// The channel's value when the command was sent.
    at_send: Option<f64>,
    /// When it was met and the value that met it.
    met: Option<(f64, f64)>,
}

/// A command sent from this console, whose verifiers are being watched.
#[derive(Debug, Clone)]
struct InFlight {
    id: String,
    text: String,
    arguments: Map<String, Value>,
    sent_t: f64,
    verifiers: Vec<Watched>,
}

/// What the uplink did at a turn, for the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UplinkEvent {
    /// A command went to the vehicle.
    Sent(String),
    /// Every verifier of a command was met.
    Verified(String),
    /// A command failed; the text says which verifier and what was seen.
    Failed(String),
}

/// How often the uplink reads the queue.
const UPLINK_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// This console's uplink: releases its waiting commands in queue order while the vehicle is
/// in contact, carries them out on the vehicle, and watches their verifiers.
pub struct Uplink {
    dictionary: Result<CommandDictionary, String>,
    in_flight: Vec<InFlight>,
    last_read: Option<std::time::Instant>,
}

impl Default for Uplink {
    fn default() -> Self {
        Self::new()
    }
}

impl Uplink {
    /// The uplink with the shipped dictionary (or the reason it cannot be read).
    pub fn new() -> Self {
        Self {
            dictionary: CommandDictionary::shipped().map_err(|e| e.to_string()),
            in_flight: Vec::new(),
            last_read: None,
        }
    }

    /// The command dictionary, or why it cannot be read.
    pub fn dictionary(&self) -> Result<&CommandDictionary, &str> {
        self.dictionary.as_ref().map_err(String::as_str)
    }

    /// Whether commands of this console are on their way (waiting to be verified).
    pub fn busy(&self) -> bool {
        !self.in_flight.is_empty()
    }

    /// One turn at `now` (mission time) with `at` pacing it: releases what may go, and
    /// judges the verifiers of what was sent. `user` is who releases (this console's).
    pub fn tick(
        &mut self,
        replica: &mut Replica,
        telemetry: &mut Telemetry,
        user: &str,
        now: DateTime<Utc>,
        at: std::time::Instant,
    ) -> Vec<UplinkEvent> {
        let mut events = Vec::new();
        if self.dictionary.is_err() {
            return events;
        }
        if !self.in_flight.is_empty() {
            self.watch(replica, telemetry, (user, now), &mut events);
        }
        let due = self
            .last_read
            .is_none_or(|last| at.saturating_duration_since(last) >= UPLINK_EVERY);
        if !due {
            return events;
        }
        self.last_read = Some(at);
        let Ok(dictionary) = &self.dictionary else {
            return events;
        };
        let commands = match read_open(replica) {
            Ok(commands) => commands,
            Err(err) => {
                tracing::warn!("the command queue cannot be read: {err}");
                return events;
            }
        };
        let device = replica.device_id().to_owned();
        let t = unix_seconds(now);
        // Sent before a restart: watched again from now (a rise is measured from here).
        for command in commands
            .iter()
            .filter(|c| c.device_id == device && c.status == "sent")
        {
            if !self.in_flight.iter().any(|f| f.id == command.id)
                && let Some(spec) = dictionary.get(&command.name)
            {
                self.in_flight.push(in_flight(spec, command, telemetry, t));
            }
        }
        if !telemetry.in_contact(t) {
            return events;
        }
        for command in queue_order(&commands) {
            if command.device_id != device {
                continue;
            }
            let Some(spec) = dictionary.get(&command.name) else {
                continue;
            };
            if spec.two_person && command.status != "approved" {
                // Waits for its approval; those behind it go on (they do not depend on it).
                continue;
            }
            match send(replica, telemetry, spec, command, user, now) {
                Ok(()) => {
                    events.push(UplinkEvent::Sent(command.text_form()));
                    self.in_flight.push(in_flight(spec, command, telemetry, t));
                }
                Err(CommandError::Refused(why)) => {
                    events.push(UplinkEvent::Failed(format!(
                        "{}: {why}",
                        command.text_form()
                    )));
                }
                Err(err) => {
                    tracing::warn!("a command could not be released: {err}");
                }
            }
        }
        events
    }

    /// Judges the verifiers of every command in flight against the newest telemetry.
    fn watch(
        &mut self,
        replica: &mut Replica,
        telemetry: &mut Telemetry,
        (user, now): (&str, DateTime<Utc>),
        events: &mut Vec<UplinkEvent>,
    ) {
        let t = unix_seconds(now);
        let mut finished = Vec::new();
        for (index, flight) in self.in_flight.iter_mut().enumerate() {
            for watched in flight.verifiers.iter_mut().filter(|w| w.met.is_none()) {
                if let Some((sample_t, value)) = newest(telemetry, &watched.channel)
                    && sample_t >= flight.sent_t
                    && watched
                        .condition
                        .met(value, watched.at_send, &flight.arguments)
                {
                    watched.met = Some((sample_t, value));
                }
            }
            let late = flight
                .verifiers
                .iter()
                .find(|w| w.met.is_none() && t > flight.sent_t + w.within_s);
            let outcome = if let Some(late) = late {
                let seen = newest(telemetry, &late.channel).map_or_else(
                    || "no value arrived".to_owned(),
                    |(_, v)| format!("last seen {}", shown(v, &late.unit)),
                );
                Some((
                    "failed",
                    format!(
                        "{}: {} not met within {} s ({seen})",
                        flight.text, late.words, late.within_s
                    ),
                    late.channel.clone(),
                ))
            } else if flight.verifiers.iter().all(|w| w.met.is_some()) {
                let seen: Vec<String> = flight
                    .verifiers
                    .iter()
                    .filter_map(|w| {
                        w.met.map(|(at, v)| {
                            format!(
                                "{}: {} after {:.1} s",
                                w.words,
                                shown(v, &w.unit),
                                (at - flight.sent_t).max(0.0)
                            )
                        })
                    })
                    .collect();
                Some((
                    "verified",
                    format!("{}: {}", flight.text, seen.join("; ")),
                    String::new(),
                ))
            } else {
                None
            };
            let Some((stage, detail, channel)) = outcome else {
                continue;
            };
            let written = record_moves(replica, &flight.id, &[(stage, &detail)], (user, now));
            if let Err(err) = written {
                // Kept in flight and judged again at the next turn.
                tracing::warn!("a command's verification could not be kept: {err}");
                continue;
            }
            finished.push(index);
            if stage == "failed" {
                let value = newest(telemetry, &channel).map_or(f64::NAN, |(_, v)| v);
                let name = flight.text.split_whitespace().next().unwrap_or_default();
                telemetry.board_mut().raise_event(
                    name,
                    Severity::Warning,
                    format!("verifier failed: {detail}"),
                    value,
                    now,
                );
                events.push(UplinkEvent::Failed(detail));
            } else {
                events.push(UplinkEvent::Verified(detail));
            }
        }
        for index in finished.into_iter().rev() {
            self.in_flight.remove(index);
        }
    }
}

fn shown(value: f64, unit: &str) -> String {
    if unit.is_empty() {
        format!("{value:.2}")
    } else {
        format!("{value:.2} {unit}")
    }
}

/// The newest sample of channel `id`: its time (Unix seconds) and value.
fn newest(telemetry: &Telemetry, id: &str) -> Option<(f64, f64)> {
    let index = telemetry.index_of(id)?;
    telemetry.series(index).last()
}

fn in_flight(spec: &CommandSpec, command: &Command, telemetry: &Telemetry, t: f64) -> InFlight {
    let sent_t = command
        .stage("sent")
        .and_then(|s| galaxium_sync::time::parse(&s.at))
        .map_or(t, unix_seconds);
    let verifiers = spec
        .verifiers_for(&command.arguments)
        .map(|v| {
            let unit = telemetry
                .dictionary
                .get(&v.channel)
                .map_or_else(String::new, |c| c.unit.clone());
            Watched {
                words: format!("{} {}", v.channel, v.condition.describe(&unit)),
                channel: v.channel.clone(),
                condition: v.condition.clone(),
                unit,
                within_s: v.within_s,
                at_send: newest(telemetry, &v.channel).map(|(_, value)| value),
                met: None,
            }
        })
        .collect();
    InFlight {
        id: command.id.clone(),
        text: command.text_form(),
        arguments: command.arguments.clone(),
        sent_t,
        verifiers,
    }
}

/// Releases and sends one command: the vehicle carries it out, and its stages are kept.
fn send(
    replica: &mut Replica,
    telemetry: &mut Telemetry,
    spec: &CommandSpec,
    command: &Command,
    user: &str,
    now: DateTime<Utc>,
) -> Result<(), CommandError> {
    let text = command.text_form();
    if let Some(why) = telemetry.uplink_refusal() {
        let why = format!("not sent: {why}");
        record_moves(
            replica,
            &command.id,
            &[("released", &text), ("failed", &why)],
            (user, now),
        )?;
        return Err(refused(why));
    }
    let through_server = telemetry.uplinks_through_server();
    let how = if through_server {
        "sent through the server to the ground segment"
    } else {
        "uplinked to the vehicle"
    };
    // Kept first: a command carried out but not recorded would be sent again after a crash.
    record_moves(
        replica,
        &command.id,
        &[("released", &text), ("sent", how)],
        (user, now),
    )?;
    if through_server {
        // The ground segment carries it out when it takes it from the server.
        return Ok(());
    }
    for (channel, actuation) in actuations(spec, &command.arguments) {
        if !telemetry.actuate(&channel, actuation) {
            tracing::warn!(
                "{}: the vehicle has no channel {channel} to act on",
                spec.name
            );
        }
    }
    Ok(())
}

/// What `spec` called with `arguments` does to the simulated vehicle, channel by channel (the
/// console's own simulator, or the ground segment's behind the server).
pub fn actuations(spec: &CommandSpec, arguments: &Map<String, Value>) -> Vec<(String, Actuation)> {
    let mut out = Vec::new();
    for effect in spec.effects_for(arguments) {
        let actuation = match &effect.kind {
            EffectKind::Set {
                target,
                time_constant_s,
                clears_fault,
            } => {
                let (value, held) = match target {
                    Target::Value(v) => (Some(*v), false),
                    // A set point from the command: the hardware holds it.
                    Target::Argument(name) => (arguments.get(name).and_then(Value::as_f64), true),
                };
                let Some(value) = value else {
                    continue;
                };
                Actuation::Set {
                    value,
                    time_constant_s: *time_constant_s,
                    held,
                    clears_fault: *clears_fault,
                }
            }
            EffectKind::Ramp { to, per_s } => Actuation::Ramp {
                to: *to,
                per_s: *per_s,
            },
            EffectKind::Hold => Actuation::Hold,
        };
        out.push((effect.channel.clone(), actuation));
    }
    out
}

/// Checks the command dictionary against the telemetry dictionary: every channel its
/// verifiers and effects name must exist. The error names the command and its line.
pub fn check_channels(
    commands: &CommandDictionary,
    telemetry: &crate::telemetry::dictionary::Dictionary,
) -> Result<(), String> {
    for spec in &commands.commands {
        if let Some(missing) = spec.channels().find(|c| telemetry.get(c).is_none()) {
            return Err(format!(
                "command dictionary, command {} (line {}): there is no telemetry channel {missing}",
                spec.name, spec.line
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use chrono::TimeZone;
    use galaxium_sync::OpenOptions;

    use super::*;
    use crate::telemetry::dictionary::Dictionary;
    use crate::telemetry::sim::{Environment, Simulator};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()
    }

    /// A console's replica, its simulated vehicle and its uplink, stepped a second at a time.
    struct Console {
        _dir: tempfile::TempDir,
        replica: Replica,
        telemetry: Telemetry,
        uplink: Uplink,
        dictionary: CommandDictionary,
        start: Instant,
        seconds: i64,
    }

    impl Console {
        fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            let replica =
                Replica::open(&dir.path().join("replica.sqlite"), &OpenOptions::default()).unwrap();
            let dictionary = Dictionary::shipped(&[]).unwrap();
            let simulator = Simulator::new(&dictionary, t0(), 2026);
            let mut console = Self {
                _dir: dir,
                replica,
                telemetry: Telemetry::new(dictionary, Box::new(simulator)),
                uplink: Uplink::new(),
                dictionary: CommandDictionary::shipped().unwrap(),
                start: Instant::now(),
                seconds: 0,
            };
            console.step(2);
            console
        }

        fn now(&self) -> DateTime<Utc> {
            t0() + chrono::Duration::seconds(self.seconds)
        }

        /// Runs the vehicle and the uplink for `seconds`; returns what the uplink did.
        fn step(&mut self, seconds: i64) -> Vec<UplinkEvent> {
            let mut events = Vec::new();
            for _ in 0..seconds {
                self.seconds += 1;
                let now = self.now();
                let instant = self.start + Duration::from_secs(self.seconds.unsigned_abs());
                self.telemetry.tick(now);
                events.extend(self.uplink.tick(
                    &mut self.replica,
                    &mut self.telemetry,
                    "ada",
                    now,
                    instant,
                ));
            }
            events
        }

        fn queue(
            &mut self,
            text: &str,
            priority: &str,
            user: &str,
        ) -> Result<String, CommandError> {
            let typed = self
                .dictionary
                .read_text(text)
                .map_err(CommandError::Refused)?;
            let new = NewCommand {
                spec: typed.spec,
                arguments: typed.arguments.clone(),
                priority,
                hazard_confirmed: true,
            };
            let now = self.now();
            queue(&mut self.replica, &new, (user, Role::Controller), now)
        }

        fn command(&self, id: &str) -> Command {
            read(&self.replica, 100)
                .unwrap()
                .into_iter()
                .find(|c| c.id == id)
                .unwrap()
        }
    }

    /// Every way of calling `spec`: one text form per enum value (numbers at their middle).
    fn calls(spec: &CommandSpec) -> Vec<String> {
        let mut calls = vec![spec.name.clone()];
        for argument in &spec.arguments {
            let values: Vec<String> = match &argument.kind {
                galaxium_sync::commanding::ArgumentKind::Enum(values) => values.clone(),
                galaxium_sync::commanding::ArgumentKind::Integer { min, max, .. } => {
                    vec![((min + max) / 2).to_string()]
                }
                galaxium_sync::commanding::ArgumentKind::Real { min, max, .. } => {
                    vec![((min + max) / 2.0).to_string()]
                }
            };
            calls = calls
                .iter()
                .flat_map(|call| {
                    values
                        .iter()
                        .map(move |v| format!("{call} {}={v}", argument.name))
                })
                .collect();
        }
        calls
    }

    #[test]
    fn the_shipped_dictionary_names_only_channels_the_vehicle_sends() {
        let dictionary = CommandDictionary::shipped().unwrap();
        check_channels(&dictionary, &Dictionary::shipped(&[]).unwrap()).unwrap();
        let mut broken = dictionary.clone();
        broken.commands[0].verifiers[0].channel = "pwr.bus_c_voltage".into();
        let err = check_channels(&broken, &Dictionary::shipped(&[]).unwrap()).unwrap_err();
        assert!(
            err.contains("command PWR.BUS_B_ENABLE (line")
                && err.contains("no telemetry channel pwr.bus_c_voltage"),
            "{err}"
        );
    }

    #[test]
    fn every_shipped_command_moves_the_simulated_vehicle_and_is_verified() {
        let dictionary = CommandDictionary::shipped().unwrap();
        for spec in &dictionary.commands {
            for call in calls(spec) {
                let mut console = Console::new();
                let id = console.queue(&call, "normal", "ada").unwrap();
                if spec.two_person {
                    let now = console.now();
                    approve(
                        &mut console.replica,
                        &dictionary,
                        &id,
                        ("bob", Role::Controller),
                        now,
                    )
                    .unwrap();
                }
                let longest = spec
                    .verifiers
                    .iter()
                    .map(|v| v.within_s)
                    .fold(0.0, f64::max);
                #[allow(clippy::cast_possible_truncation, reason = "seconds")]
                let events = console.step(longest as i64 + 5);
                let command = console.command(&id);
                assert_eq!(command.status, "verified", "{call}: {events:?}");
                assert!(
                    events.iter().any(|e| matches!(e, UplinkEvent::Verified(d) if d.starts_with(&command.text_form()))),
                    "{call}: {events:?}"
                );
                let stages: Vec<&str> = command.stages.iter().map(|s| s.stage.as_str()).collect();
                let expected: &[&str] = if spec.two_person {
                    &["queued", "approved", "released", "sent", "verified"]
                } else {
                    &["queued", "released", "sent", "verified"]
                };
                assert_eq!(stages, expected, "{call}");
            }
        }
    }

    #[test]
    fn enabling_bus_b_restores_the_main_bus_after_its_fault() {
        let mut console = Console::new();
        assert!(console.telemetry.inject("pwr.bus_voltage", Some(23.6)));
        console.step(3);
        let bus = console.telemetry.index_of("pwr.bus_voltage").unwrap();
        assert!(console.telemetry.series(bus).last().unwrap().1 < 24.0);
        let id = console.queue("PWR.BUS_B_ENABLE", "urgent", "ada").unwrap();
        console.step(6);
        assert!(console.telemetry.series(bus).last().unwrap().1 > 26.0);
        let bus_b = console.telemetry.index_of("pwr.bus_b_voltage").unwrap();
        assert!(console.telemetry.series(bus_b).last().unwrap().1 > 26.0);
        let command = console.command(&id);
        assert_eq!(command.status, "verified");
        let verified = command.stage("verified").unwrap();
        assert!(
            verified.detail.contains("pwr.bus_b_voltage above 26 V: 2")
                && verified.detail.contains(" s"),
            "{verified:?}"
        );
    }

    #[test]
    fn a_verifier_not_met_in_time_fails_the_command_and_raises_an_alarm() {
        let mut console = Console::new();
        let id = console
            .queue("LS.REPRESS_VALVE_OPEN", "urgent", "ada")
            .unwrap();
        let dictionary = console.dictionary.clone();
        let now = console.now();
        approve(
            &mut console.replica,
            &dictionary,
            &id,
            ("bob", Role::Controller),
            now,
        )
        .unwrap();
        console.step(1);
        assert_eq!(console.command(&id).status, "sent");
        // The valve opens, but a stuck sensor (or a leak as big as the flow) keeps the
        // cabin pressure where it was.
        assert!(console.telemetry.inject("ls.cabin_pressure", Some(101.3)));
        let events = console.step(45);
        let command = console.command(&id);
        assert_eq!(command.status, "failed", "{events:?}");
        let failed = command.stage("failed").unwrap();
        assert!(
            failed.detail.contains(
                "ls.cabin_pressure rises by 0.3 kPa not met within 40 s (last seen 101.30 kPa)"
            ),
            "{failed:?}"
        );
        let alarm = console
            .telemetry
            .board()
            .get("LS.REPRESS_VALVE_OPEN")
            .expect("a failed verifier raises an alarm");
        assert_eq!(alarm.severity, Severity::Warning);
        assert!(alarm.what.as_deref().unwrap().contains("verifier failed"));
        assert!(events.iter().any(|e| matches!(e, UplinkEvent::Failed(_))));
    }

    #[test]
    fn each_verifier_of_the_dictionary_fails_on_a_value_that_does_not_meet_it() {
        let dictionary = CommandDictionary::shipped().unwrap();
        for spec in &dictionary.commands {
            for call in calls(spec) {
                let typed = dictionary.read_text(&call).unwrap();
                for verifier in spec.verifiers_for(&typed.arguments) {
                    let (at_send, wrong) = match &verifier.condition {
                        Condition::Above(x) => (None, x - 0.01),
                        Condition::Below(x) => (None, x + 0.01),
                        Condition::RisesBy(x) => (Some(100.0), 100.0 + x * 0.9),
                        Condition::FallsBy(x) => (Some(100.0), 100.0 - x * 0.9),
                        Condition::Near {
                            argument,
                            tolerance,
                        } => {
                            let wanted = typed.arguments[argument.as_str()].as_f64().unwrap();
                            (None, wanted + tolerance * 1.1)
                        }
                    };
                    assert!(
                        !verifier.condition.met(wrong, at_send, &typed.arguments),
                        "{call}: {} met by {wrong}",
                        verifier.channel
                    );
                }
            }
        }
    }

    /// A console whose vehicle is in contact only from `t0 + aos_s` to `t0 + los_s`.
    fn with_one_pass(console: &mut Console, aos_s: i64, los_s: i64) {
        let t = |s: i64| unix_seconds(t0() + chrono::Duration::seconds(s));
        let environment = Environment {
            sunlit: vec![(t(-100_000), t(100_000))],
            contacts: vec![(t(aos_s), t(los_s))],
            known: true,
        };
        console.telemetry.set_environment(&environment);
    }

    #[test]
    fn out_of_contact_commands_wait_and_go_at_aos_in_queue_order() {
        let mut console = Console::new();
        with_one_pass(&mut console, 60, 600);
        assert!(!console.telemetry.in_contact(unix_seconds(console.now())));
        assert_eq!(
            console
                .telemetry
                .next_contact(unix_seconds(console.now()))
                .map(|c| c.0),
            Some(unix_seconds(t0() + chrono::Duration::seconds(60)))
        );
        let routine = console.queue("PWR.LOAD_SHED", "routine", "ada").unwrap();
        let urgent = console.queue("PWR.BUS_B_ENABLE", "urgent", "ada").unwrap();
        let cancelled = console
            .queue("LS.SCRUBBER_MODE boost", "normal", "ada")
            .unwrap();
        let events = console.step(30);
        assert!(events.is_empty(), "{events:?}");
        assert_eq!(console.command(&urgent).status, "queued");
        let dictionary = console.dictionary.clone();
        let now = console.now();
        cancel(
            &mut console.replica,
            &dictionary,
            &cancelled,
            ("ada", Role::Controller),
            "not needed",
            now,
        )
        .unwrap();
        let events = console.step(30);
        let sent: Vec<&UplinkEvent> = events
            .iter()
            .filter(|e| matches!(e, UplinkEvent::Sent(_)))
            .collect();
        assert_eq!(
            sent,
            [
                &UplinkEvent::Sent("PWR.BUS_B_ENABLE".into()),
                &UplinkEvent::Sent("PWR.LOAD_SHED".into())
            ]
        );
        let released = console
            .command(&urgent)
            .stage("released")
            .unwrap()
            .at
            .clone();
        assert!(released.as_str() >= "2026-12-01T12:01:00", "{released}");
        console.step(15);
        assert_eq!(console.command(&urgent).status, "verified");
        assert_eq!(console.command(&routine).status, "verified");
        let gone = console.command(&cancelled);
        assert_eq!(gone.status, "cancelled");
        assert!(
            gone.stage("cancelled")
                .unwrap()
                .detail
                .ends_with("not needed")
        );
    }

    #[test]
    fn a_two_person_command_waits_for_another_user() {
        let mut console = Console::new();
        let dictionary = console.dictionary.clone();
        let id = console.queue("LS.SCRUBBER_OFF", "normal", "ada").unwrap();
        assert!(console.step(5).is_empty());
        let now = console.now();
        let own = approve(
            &mut console.replica,
            &dictionary,
            &id,
            ("ada", Role::Controller),
            now,
        )
        .unwrap_err();
        assert!(
            own.to_string().contains("another user than its sender"),
            "{own}"
        );
        let staff = approve(
            &mut console.replica,
            &dictionary,
            &id,
            ("sam", Role::Staff),
            now,
        )
        .unwrap_err();
        assert!(staff.to_string().contains("only by controller"), "{staff}");
        approve(
            &mut console.replica,
            &dictionary,
            &id,
            ("bob", Role::Controller),
            now,
        )
        .unwrap();
        let command = console.command(&id);
        assert_eq!(command.approved_by(), Some("bob"));
        let events = console.step(2);
        assert_eq!(events, [UplinkEvent::Sent("LS.SCRUBBER_OFF".into())]);
        let once_more = approve(
            &mut console.replica,
            &dictionary,
            &id,
            ("cy", Role::Controller),
            now,
        )
        .unwrap_err();
        assert!(
            once_more.to_string().contains("not waiting for approval"),
            "{once_more}"
        );
    }

    #[test]
    fn queueing_checks_the_hazard_the_role_and_the_arguments() {
        let mut console = Console::new();
        let dictionary = console.dictionary.clone();
        let spec = dictionary.get("LS.REPRESS_VALVE_OPEN").unwrap();
        let now = console.now();
        let unconfirmed = queue(
            &mut console.replica,
            &NewCommand {
                spec,
                arguments: Map::new(),
                priority: "normal",
                hazard_confirmed: false,
            },
            ("ada", Role::Controller),
            now,
        )
        .unwrap_err();
        assert!(
            unconfirmed.to_string().contains("confirm the hazard"),
            "{unconfirmed}"
        );
        let staff = queue(
            &mut console.replica,
            &NewCommand {
                spec,
                arguments: Map::new(),
                priority: "normal",
                hazard_confirmed: true,
            },
            ("sam", Role::Staff),
            now,
        )
        .unwrap_err();
        assert!(
            staff.to_string().contains("you are signed in as staff"),
            "{staff}"
        );
        let mode = dictionary.get("LS.SCRUBBER_MODE").unwrap();
        let mut arguments = Map::new();
        arguments.insert("mode".into(), Value::String("turbo".into()));
        let bad = queue(
            &mut console.replica,
            &NewCommand {
                spec: mode,
                arguments,
                priority: "normal",
                hazard_confirmed: false,
            },
            ("ada", Role::Controller),
            now,
        )
        .unwrap_err();
        assert!(bad.to_string().contains("one of normal, boost"), "{bad}");
        assert!(read(&console.replica, 10).unwrap().is_empty());
    }

    #[test]
    fn the_queue_is_reordered_and_reprioritised() {
        let mut console = Console::new();
        with_one_pass(&mut console, 3_600, 4_000);
        let dictionary = console.dictionary.clone();
        let a = console.queue("PWR.LOAD_SHED", "normal", "ada").unwrap();
        let b = console.queue("PWR.LOAD_RESTORE", "normal", "ada").unwrap();
        let c = console.queue("PWR.BUS_B_ENABLE", "normal", "ada").unwrap();
        let order = |console: &Console| -> Vec<String> {
            let commands = read(&console.replica, 10).unwrap();
            queue_order(&commands)
                .iter()
                .map(|c| c.id.clone())
                .collect()
        };
        assert_eq!(order(&console), [a.clone(), b.clone(), c.clone()]);
        assert!(
            move_in_queue(
                &mut console.replica,
                &dictionary,
                &c,
                true,
                Role::Controller
            )
            .unwrap()
        );
        assert_eq!(order(&console), [a.clone(), c.clone(), b.clone()]);
        assert!(
            !move_in_queue(
                &mut console.replica,
                &dictionary,
                &a,
                true,
                Role::Controller
            )
            .unwrap()
        );
        set_priority(
            &mut console.replica,
            &dictionary,
            &b,
            "urgent",
            Role::Controller,
        )
        .unwrap();
        assert_eq!(order(&console), [b, a, c]);
    }
}
