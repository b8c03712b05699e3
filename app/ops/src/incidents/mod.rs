//! Incidents, from the first alarm or a report on site to the closed report: the record, its
//! lifecycle (every move checked here and again by the server when replicas merge), its
//! append-only timeline, tasks, roles and runbooks. No UI here.
//!
//! Everything goes through the replica, so staff on site file and work incidents offline.

pub mod detect;
pub mod report;
pub mod runbooks;
pub mod snapshot;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use galaxium_sync::replica::Writer;
use galaxium_sync::schema::registry::INCIDENT_TRANSITIONS;
use galaxium_sync::{Replica, ReplicaError};
use rusqlite::{OptionalExtension as _, Row};
use serde_json::{Map, Value, json};

/// Why an incident action did not happen.
#[derive(Debug, thiserror::Error)]
pub enum IncidentError {
    /// A rule refused it; the message says which and what to do.
    #[error("{0}")]
    Refused(String),
    /// The replica could not store it.
    #[error(transparent)]
    Replica(#[from] ReplicaError),
    /// The replica could not be read.
    #[error("reading the replica failed: {0}")]
    Read(#[from] rusqlite::Error),
}

/// The one text column `sql` selects for `id`, if the row exists.
fn text_of(conn: &rusqlite::Connection, sql: &str, id: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row(sql, [id], |r| r.get(0)).optional()
}

fn refused<T>(message: impl Into<String>) -> Result<T, IncidentError> {
    Err(IncidentError::Refused(message.into()))
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// `t` as stored (see [`galaxium_sync::time`]).
pub fn stamp(t: DateTime<Utc>) -> String {
    galaxium_sync::time::stored(t)
}

/// What kind of incident it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IncidentKind {
    /// The vehicle in flight or on the pad.
    Vehicle,
    /// A passenger's medical event.
    PassengerMedical,
    /// Ground operations: fuelling, pad equipment, evacuation.
    GroundOperations,
    /// Security at the spaceport.
    Security,
    /// IT and communications systems.
    It,
}

impl IncidentKind {
    /// Every kind, in menu order.
    pub const ALL: [Self; 5] = [
        Self::Vehicle,
        Self::PassengerMedical,
        Self::GroundOperations,
        Self::Security,
        Self::It,
    ];

    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vehicle => "vehicle",
            Self::PassengerMedical => "passenger_medical",
            Self::GroundOperations => "ground_operations",
            Self::Security => "security",
            Self::It => "it",
        }
    }

    /// As shown.
    pub fn label(self) -> &'static str {
        match self {
            Self::Vehicle => "Vehicle",
            Self::PassengerMedical => "Passenger medical",
            Self::GroundOperations => "Ground operations",
            Self::Security => "Security",
            Self::It => "IT",
        }
    }

    /// From its stored form.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

pub use galaxium_sync::schema::words::IncidentStatus;

/// One level of the severity scale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeverityLevel {
    /// "SEV1" … "SEV4".
    pub code: String,
    /// 1 is the most severe.
    pub rank: i64,
    /// Its name.
    pub name: String,
    /// When to use it.
    pub description: String,
}

/// The built-in scale, used until an admin rewords it.
pub fn default_severities() -> Vec<SeverityLevel> {
    [
        (
            "SEV1",
            "Critical",
            "Life at risk or the vehicle in danger: all hands, now",
        ),
        (
            "SEV2",
            "Major",
            "A serious failure or injury; the mission or a launch is affected",
        ),
        (
            "SEV3",
            "Minor",
            "Degraded operations with a workaround; no one at risk",
        ),
        (
            "SEV4",
            "Low",
            "A near miss or a small fault worth recording",
        ),
    ]
    .into_iter()
    .zip(1..)
    .map(|((code, name, description), rank)| SeverityLevel {
        code: code.to_owned(),
        rank,
        name: name.to_owned(),
        description: description.to_owned(),
    })
    .collect()
}

/// The severity scale in force: the replica's, or the built-in one.
pub fn severities(replica: &Replica) -> Result<Vec<SeverityLevel>, ReplicaError> {
    let stored = replica.read("reading the severity scale", |conn| {
        conn.prepare("SELECT id, rank, name, description FROM incident_severities ORDER BY rank")?
            .query_map([], |r| {
                Ok(SeverityLevel {
                    code: r.get(0)?,
                    rank: r.get(1)?,
                    name: r.get(2)?,
                    description: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()
    })?;
    Ok(if stored.is_empty() {
        default_severities()
    } else {
        stored
    })
}

/// An incident as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    /// Row id.
    pub id: String,
    /// "INC-7F3A2C".
    pub reference: String,
    /// What happened, in a few words.
    pub title: String,
    /// More words.
    pub description: String,
    /// Its kind.
    pub kind: IncidentKind,
    /// A severity code.
    pub severity: String,
    /// Where it stands.
    pub status: IncidentStatus,
    /// When it was reported (RFC 3339).
    pub reported_at: String,
    /// Who reported it ("system" for an alarm).
    pub reported_by: String,
    /// When it became stable.
    pub stable_at: Option<String>,
    /// When it was closed.
    pub closed_at: Option<String>,
    /// What opened it automatically.
    pub source: Option<String>,
    /// The launch it concerns.
    pub launch_id: Option<String>,
    /// The vehicle it concerns.
    pub vehicle_id: Option<String>,
    /// Incident commander.
    pub commander: String,
    /// Scribe.
    pub scribe: String,
    /// Liaison.
    pub liaison: String,
    /// Safety officer.
    pub safety_officer: String,
    /// The runbook in use.
    pub runbook: String,
    /// Tactical report: conditions.
    pub conditions: String,
    /// Tactical report: actions.
    pub actions: String,
    /// Tactical report: needs.
    pub needs: String,
    /// Review: what happened.
    pub review_summary: String,
    /// Review: why.
    pub review_causes: String,
    /// Review: what changes.
    pub review_lessons: String,
}

const INCIDENT_COLUMNS: &str = "id, reference, title, description, kind, severity, status, \
    reported_at, reported_by, stable_at, closed_at, source, launch_id, vehicle_id, commander, \
    scribe, liaison, safety_officer, runbook, conditions, actions, needs, review_summary, \
    review_causes, review_lessons";

fn incident_from(r: &Row<'_>) -> rusqlite::Result<Incident> {
    let kind: String = r.get(4)?;
    let status: String = r.get(6)?;
    Ok(Incident {
        id: r.get(0)?,
        reference: r.get(1)?,
        title: r.get(2)?,
        description: r.get(3)?,
        kind: IncidentKind::parse(&kind).unwrap_or(IncidentKind::Vehicle),
        severity: r.get(5)?,
        status: IncidentStatus::parse(&status).unwrap_or(IncidentStatus::Active),
        reported_at: r.get(7)?,
        reported_by: r.get(8)?,
        stable_at: r.get(9)?,
        closed_at: r.get(10)?,
        source: r.get(11)?,
        launch_id: r.get(12)?,
        vehicle_id: r.get(13)?,
        commander: r.get(14)?,
        scribe: r.get(15)?,
        liaison: r.get(16)?,
        safety_officer: r.get(17)?,
        runbook: r.get(18)?,
        conditions: r.get(19)?,
        actions: r.get(20)?,
        needs: r.get(21)?,
        review_summary: r.get(22)?,
        review_causes: r.get(23)?,
        review_lessons: r.get(24)?,
    })
}

/// Every incident, most severe and newest first within each status.
pub fn list(replica: &Replica) -> Result<Vec<Incident>, ReplicaError> {
    replica.read("reading incidents", |conn| {
        conn.prepare(&format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents ORDER BY severity, reported_at DESC"
        ))?
        .query_map([], incident_from)?
        .collect()
    })
}

fn get(conn: &rusqlite::Connection, id: &str) -> rusqlite::Result<Option<Incident>> {
    conn.query_row(
        &format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = ?1"),
        [id],
        incident_from,
    )
    .optional()
}

/// One stored timeline entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineEntry {
    /// Row id.
    pub id: String,
    /// When (RFC 3339).
    pub at: String,
    /// Who ("system" for the console itself).
    pub author: String,
    /// note, system, status, alarm, runbook, task, edit, pin, unpin.
    pub kind: String,
    /// The words.
    pub text: String,
    /// The entry an edit or pin is about; a runbook step.
    pub refers_to: Option<String>,
}

/// A timeline entry as shown: its latest words and whether it is pinned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownEntry {
    /// The entry as first written.
    pub entry: TimelineEntry,
    /// Its words now (after edits).
    pub text: String,
    /// The last edit: who and when.
    pub edited: Option<(String, String)>,
    /// Pinned to the top.
    pub pinned: bool,
}

impl ShownEntry {
    /// Whether a person wrote it (so it can be edited).
    pub fn is_manual(&self) -> bool {
        self.entry.kind == "note"
    }
}

/// A task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// Row id.
    pub id: String,
    /// What to do.
    pub title: String,
    /// Done.
    pub done: bool,
    /// Who.
    pub assignee: String,
    /// high, medium, low.
    pub priority: String,
    /// By when (RFC 3339), if set.
    pub due_at: Option<String>,
    /// When it was added.
    pub created_at: String,
}

/// An incident with everything on its detail screen.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentDetail {
    /// The record.
    pub incident: Incident,
    /// Entries people and the console wrote, pinned first, then oldest first.
    pub timeline: Vec<ShownEntry>,
    /// Ticked runbook steps: step index → (who, when).
    pub ticked: BTreeMap<usize, (String, String)>,
    /// Tasks, open first.
    pub tasks: Vec<Task>,
    /// Linked passengers: (link id, passenger id, name).
    pub passengers: Vec<(String, String, String)>,
    /// The launch's mission name, if linked.
    pub mission: Option<String>,
    /// Attached files (without content).
    pub attachments: Vec<Attachment>,
}

/// The detail of one incident, or `None` when it does not exist (any more).
pub fn detail(replica: &Replica, id: &str) -> Result<Option<IncidentDetail>, ReplicaError> {
    replica.read("reading an incident", |conn| {
        let Some(incident) = get(conn, id)? else {
            return Ok(None);
        };
        let entries: Vec<TimelineEntry> = conn
            .prepare(
                "SELECT id, at, author, kind, text, refers_to FROM incident_timeline
                 WHERE incident_id = ?1 ORDER BY at, rowid",
            )?
            .query_map([id], |r| {
                Ok(TimelineEntry {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    author: r.get(2)?,
                    kind: r.get(3)?,
                    text: r.get(4)?,
                    refers_to: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let (timeline, ticked) = fold_timeline(&entries, &incident.runbook);
        let tasks = conn
            .prepare(
                "SELECT id, title, done, assignee, priority, due_at, created_at FROM incident_tasks
                 WHERE incident_id = ?1 ORDER BY done, CASE priority WHEN 'high' THEN 0
                 WHEN 'medium' THEN 1 ELSE 2 END, created_at",
            )?
            .query_map([id], |r| {
                Ok(Task {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    done: r.get(2)?,
                    assignee: r.get(3)?,
                    priority: r.get(4)?,
                    due_at: r.get(5)?,
                    created_at: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let passengers = conn
            .prepare(
                "SELECT l.id, p.id, p.full_name FROM incident_passengers l
                 JOIN passengers p ON p.id = l.passenger_id WHERE l.incident_id = ?1
                 ORDER BY p.full_name",
            )?
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mission = match &incident.launch_id {
            Some(launch) => conn
                .query_row(
                    "SELECT mission FROM launches WHERE id = ?1",
                    [launch],
                    |r| r.get(0),
                )
                .optional()?,
            None => None,
        };
        let attachments = read_attachments(conn, id)?;
        Ok(Some(IncidentDetail {
            incident,
            timeline,
            ticked,
            tasks,
            passengers,
            mission,
            attachments,
        }))
    })
}

/// Folds the append-only entries into what is shown: edits replace an entry's words, pins
/// and unpins set its flag, runbook entries tick and untick steps of the runbook in use.
pub fn fold_timeline(
    entries: &[TimelineEntry],
    runbook: &str,
) -> (Vec<ShownEntry>, BTreeMap<usize, (String, String)>) {
    let mut shown: Vec<ShownEntry> = Vec::new();
    let mut ticked = BTreeMap::new();
    for entry in entries {
        let target = entry
            .refers_to
            .as_deref()
            .and_then(|id| shown.iter_mut().find(|s| s.entry.id == id));
        match (entry.kind.as_str(), target) {
            ("edit", Some(target)) => {
                target.text.clone_from(&entry.text);
                target.edited = Some((entry.author.clone(), entry.at.clone()));
            }
            ("pin", Some(target)) => target.pinned = true,
            ("unpin", Some(target)) => target.pinned = false,
            ("edit" | "pin" | "unpin", None) => {}
            (kind, _) => {
                if kind == "runbook"
                    && let Some((book, step)) = entry
                        .refers_to
                        .as_deref()
                        .and_then(runbooks::parse_step_ref)
                    && book == runbook
                {
                    if entry.text.starts_with("Unticked") {
                        ticked.remove(&step);
                    } else {
                        ticked.insert(step, (entry.author.clone(), entry.at.clone()));
                    }
                }
                shown.push(ShownEntry {
                    entry: entry.clone(),
                    text: entry.text.clone(),
                    edited: None,
                    pinned: false,
                });
            }
        }
    }
    // Pinned first; the sort is stable, so time order holds within each group.
    shown.sort_by_key(|s| !s.pinned);
    (shown, ticked)
}

/// The three fields of the quick form, and what detection adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIncident {
    /// What happened.
    pub title: String,
    /// Its kind.
    pub kind: IncidentKind,
    /// A severity code.
    pub severity: String,
    /// More words, if any.
    pub description: String,
    /// What opened it automatically.
    pub source: Option<String>,
    /// The runbook to follow.
    pub runbook: String,
    /// The vehicle it concerns.
    pub vehicle_id: Option<String>,
    /// The launch it concerns.
    pub launch_id: Option<String>,
    /// Opened by a drill: titled DRILL and kept on this console, never sent to the server.
    pub drill: bool,
}

/// How a drill's incident is titled, so every list, report and export it reaches says so.
pub const DRILL_MARK: &str = "DRILL — ";

impl NewIncident {
    /// The quick form's three fields.
    pub fn quick(title: &str, kind: IncidentKind, severity: &str) -> Self {
        Self {
            title: title.trim().to_owned(),
            kind,
            severity: severity.to_owned(),
            description: String::new(),
            source: None,
            runbook: runbooks::for_kind(kind).map_or_else(String::new, |r| r.id.clone()),
            vehicle_id: None,
            launch_id: None,
            drill: false,
        }
    }
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A reference people can read out: "INC-" and six hexadecimal digits of randomness (16.7
/// million; two consoles offline will not pick the same one in practice, and the id is the
/// key anyway).
fn new_reference() -> String {
    let random = uuid::Uuid::new_v4().as_u128();
    format!("INC-{:06X}", random & 0xFF_FFFF)
}

/// Adds a timeline entry inside a write.
pub fn append_entry(
    w: &mut Writer<'_>,
    incident_id: &str,
    at: DateTime<Utc>,
    author: &str,
    kind: &str,
    text: &str,
    refers_to: Option<&str>,
) -> Result<String, ReplicaError> {
    let id = new_id();
    w.insert(
        "incident_timeline",
        &id,
        object(json!({
            "incident_id": incident_id,
            "at": stamp(at),
            "author": author,
            "kind": kind,
            "text": text,
            "refers_to": refers_to,
            "demo": 0,
        })),
    )?;
    Ok(id)
}

fn check_severity(replica_levels: &[SeverityLevel], code: &str) -> Result<(), IncidentError> {
    if replica_levels.iter().any(|l| l.code == code) {
        Ok(())
    } else {
        let codes: Vec<&str> = replica_levels.iter().map(|l| l.code.as_str()).collect();
        refused(format!(
            "severity {code:?} is not on the scale; choose one of {}",
            codes.join(", ")
        ))
    }
}

/// Opens an incident; returns its id. The title is required; the rest can follow later.
pub fn create(
    replica: &mut Replica,
    new: &NewIncident,
    user: &str,
    now: DateTime<Utc>,
) -> Result<String, IncidentError> {
    let title = new.title.trim();
    if title.is_empty() {
        return refused("Give the incident a title: what happened, in a few words.");
    }
    let levels = severities(replica)?;
    check_severity(&levels, &new.severity)?;
    let title = if new.drill && !title.starts_with(DRILL_MARK) {
        format!("{DRILL_MARK}{title}")
    } else {
        title.to_owned()
    };
    let title = title.as_str();
    replica.write(|w| {
        let id = new_id();
        if new.drill {
            w.keep_local("incidents", &id, "drill")?;
        }
        w.insert(
            "incidents",
            &id,
            object(json!({
                "reference": new_reference(),
                "title": title,
                "description": new.description,
                "kind": new.kind.as_str(),
                "severity": new.severity,
                "status": "active",
                "reported_at": stamp(now),
                "reported_by": user,
                "stable_at": null,
                "closed_at": null,
                "source": new.source,
                "launch_id": new.launch_id,
                "vehicle_id": new.vehicle_id,
                "commander": "",
                "scribe": "",
                "liaison": "",
                "safety_officer": "",
                "runbook": new.runbook,
                "conditions": "",
                "actions": "",
                "needs": "",
                "review_summary": "",
                "review_causes": "",
                "review_lessons": "",
                "demo": 0,
            })),
        )?;
        append_entry(
            w,
            &id,
            now,
            user,
            "system",
            &format!(
                "Opened by {user}: {} {}, {title}",
                new.severity,
                new.kind.label()
            ),
            None,
        )?;
        Ok(id)
    })
}

/// Moves an incident to `to`, recording who and when (and why, if a note is given).
pub fn transition(
    replica: &mut Replica,
    id: &str,
    to: IncidentStatus,
    note: &str,
    user: &str,
    now: DateTime<Utc>,
) -> Result<(), IncidentError> {
    replica.write(|w| {
        let Some(incident) = get(w.reader(), id)? else {
            return refused("this incident no longer exists in the replica");
        };
        let from = incident.status;
        if from == to {
            return refused(format!("{} is {} already", incident.reference, to.label()));
        }
        if !INCIDENT_TRANSITIONS.allows(from.as_str(), to.as_str()) {
            return refused(match (from, to) {
                (IncidentStatus::Active, IncidentStatus::Closed) => format!(
                    "{} is ACTIVE: mark it STABLE once the situation is under control, then close it",
                    incident.reference
                ),
                _ => format!(
                    "{} cannot go from {} to {}; a closed incident is reopened as ACTIVE",
                    incident.reference,
                    from.label(),
                    to.label()
                ),
            });
        }
        let mut values = object(json!({ "status": to.as_str() }));
        match to {
            IncidentStatus::Stable => {
                values.insert("stable_at".into(), json!(stamp(now)));
            }
            IncidentStatus::Closed => {
                values.insert("closed_at".into(), json!(stamp(now)));
            }
            IncidentStatus::Active => {
                values.insert("closed_at".into(), Value::Null);
            }
        }
        w.update("incidents", id, values)?;
        let verb = match (from, to) {
            (IncidentStatus::Closed, IncidentStatus::Active) => "Reopened",
            (IncidentStatus::Stable, IncidentStatus::Active) => "Worsened",
            (_, IncidentStatus::Stable) => "Stable",
            _ => "Closed",
        };
        let mut text = format!("{verb}: {} to {} by {user}", from.label(), to.label());
        if !note.trim().is_empty() {
            text = format!("{text}: {}", note.trim());
        }
        append_entry(w, id, now, user, "status", &text, None)?;
        Ok(())
    })
}

/// Adds a person's note to the timeline.
pub fn add_note(
    replica: &mut Replica,
    id: &str,
    text: &str,
    user: &str,
    now: DateTime<Utc>,
) -> Result<(), IncidentError> {
    let text = text.trim();
    if text.is_empty() {
        return refused("The note is empty: write what happened or what was done.");
    }
    replica.write(|w| {
        append_entry(w, id, now, user, "note", text, None)?;
        Ok(())
    })
}

/// Rewords a note (a new entry that replaces its words; the original stays in the record).
pub fn edit_note(
    replica: &mut Replica,
    incident_id: &str,
    entry_id: &str,
    text: &str,
    user: &str,
    now: DateTime<Utc>,
) -> Result<(), IncidentError> {
    let text = text.trim();
    if text.is_empty() {
        return refused("A note cannot be emptied; pin a correction instead.");
    }
    replica.write(|w| {
        let kind: Option<String> = w
            .reader()
            .query_row(
                "SELECT kind FROM incident_timeline WHERE id = ?1 AND incident_id = ?2",
                [entry_id, incident_id],
                |r| r.get(0),
            )
            .optional()?;
        if kind.as_deref() != Some("note") {
            return refused(
                "Only notes people wrote can be edited; the console's entries stay as written.",
            );
        }
        append_entry(w, incident_id, now, user, "edit", text, Some(entry_id))?;
        Ok(())
    })
}

/// Pins an entry to the top of the timeline, or unpins it.
pub fn set_pinned(
    replica: &mut Replica,
    incident_id: &str,
    entry_id: &str,
    pinned: bool,
    user: &str,
    now: DateTime<Utc>,
) -> Result<(), IncidentError> {
    replica.write(|w| {
        let kind = if pinned { "pin" } else { "unpin" };
        append_entry(w, incident_id, now, user, kind, "", Some(entry_id))?;
        Ok(())
    })
}

/// Fields people edit on the detail screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Title.
    Title,
    /// Description.
    Description,
    /// Severity code.
    Severity,
    /// Kind.
    Kind,
    /// Incident commander.
    Commander,
    /// Scribe.
    Scribe,
    /// Liaison.
    Liaison,
    /// Safety officer.
    SafetyOfficer,
    /// The runbook in use.
    Runbook,
    /// Tactical report: conditions.
    Conditions,
    /// Tactical report: actions.
    Actions,
    /// Tactical report: needs.
    Needs,
    /// Review: summary.
    ReviewSummary,
    /// Review: causes.
    ReviewCauses,
    /// Review: lessons.
    ReviewLessons,
    /// The launch it concerns (an id, empty for none).
    Launch,
}

impl Field {
    /// Its column.
    pub fn column(self) -> &'static str {
        match self {
            Self::Title => "title",
            Self::Description => "description",
            Self::Severity => "severity",
            Self::Kind => "kind",
            Self::Commander => "commander",
            Self::Scribe => "scribe",
            Self::Liaison => "liaison",
            Self::SafetyOfficer => "safety_officer",
            Self::Runbook => "runbook",
            Self::Conditions => "conditions",
            Self::Actions => "actions",
            Self::Needs => "needs",
            Self::ReviewSummary => "review_summary",
            Self::ReviewCauses => "review_causes",
            Self::ReviewLessons => "review_lessons",
            Self::Launch => "launch_id",
        }
    }

    /// How it reads in the timeline.
    pub fn label(self) -> &'static str {
        match self {
            Self::Title => "Title",
            Self::Description => "Description",
            Self::Severity => "Severity",
            Self::Kind => "Kind",
            Self::Commander => "Incident commander",
            Self::Scribe => "Scribe",
            Self::Liaison => "Liaison",
            Self::SafetyOfficer => "Safety officer",
            Self::Runbook => "Runbook",
            Self::Conditions => "Conditions",
            Self::Actions => "Actions",
            Self::Needs => "Needs",
            Self::ReviewSummary => "Review summary",
            Self::ReviewCauses => "Causes",
            Self::ReviewLessons => "Lessons",
            Self::Launch => "Launch",
        }
    }
}

/// Sets fields (each one travels on its own, so two people editing different fields never
/// undo each other). Severity, kind, roles and runbook changes are noted in the timeline.
pub fn set_fields(
    replica: &mut Replica,
    id: &str,
    changes: &[(Field, String)],
    user: &str,
    now: DateTime<Utc>,
) -> Result<(), IncidentError> {
    let levels = severities(replica)?;
    for (field, value) in changes {
        match field {
            Field::Title if value.trim().is_empty() => {
                return refused("The title cannot be empty: what happened, in a few words.");
            }
            Field::Severity => check_severity(&levels, value)?,
            Field::Kind if IncidentKind::parse(value).is_none() => {
                return refused(format!("{value:?} is not a kind of incident"));
            }
            Field::Runbook if !value.is_empty() && runbooks::get(value).is_none() => {
                return refused(format!("there is no runbook {value:?}"));
            }
            _ => {}
        }
    }
    replica.write(|w| {
        if get(w.reader(), id)?.is_none() {
            return refused("this incident no longer exists in the replica");
        }
        let mut values = Map::new();
        for (field, value) in changes {
            let value = value.trim();
            let json_value = if *field == Field::Launch && value.is_empty() {
                Value::Null
            } else {
                json!(value)
            };
            values.insert(field.column().to_owned(), json_value);
            let noted = matches!(
                field,
                Field::Severity
                    | Field::Kind
                    | Field::Commander
                    | Field::Scribe
                    | Field::Liaison
                    | Field::SafetyOfficer
                    | Field::Runbook
            );
            if noted {
                let shown: String = match field {
                    Field::Kind => IncidentKind::parse(value)
                        .map_or_else(|| value.to_owned(), |k| k.label().to_owned()),
                    Field::Runbook => {
                        runbooks::get(value).map_or_else(|| "none".to_owned(), |r| r.title.clone())
                    }
                    _ if value.is_empty() => "nobody".to_owned(),
                    _ => value.to_owned(),
                };
                append_entry(
                    w,
                    id,
                    now,
                    user,
                    "system",
                    &format!("{}: {shown} (set by {user})", field.label()),
                    None,
                )?;
            }
        }
        if values.is_empty() {
            return Ok(());
        }
        w.update("incidents", id, values)?;
        Ok(())
    })
}

/// A new task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    /// What to do.
    pub title: String,
    /// Who.
    pub assignee: String,
    /// high, medium or low.
    pub priority: String,
    /// By when (RFC 3339 or empty).
    pub due_at: String,
}

/// Adds a task.
pub fn add_task(
    replica: &mut Replica,
    incident_id: &str,
    task: &NewTask,
    user: &str,
    now: DateTime<Utc>,
) -> Result<(), IncidentError> {
    let title = task.title.trim();
    if title.is_empty() {
        return refused("The task needs a title: what is to be done.");
    }
    if !matches!(task.priority.as_str(), "high" | "medium" | "low") {
        return refused("Priority is high, medium or low.");
    }
    let due = task.due_at.trim();
    let due = if due.is_empty() {
        None
    } else {
        match DateTime::parse_from_rfc3339(due) {
            Ok(t) => Some(stamp(t.with_timezone(&Utc))),
            Err(_) => {
                return refused(format!(
                    "due {due:?} is not a time; write it as 2026-11-22T18:00:00Z"
                ));
            }
        }
    };
    replica.write(|w| {
        let id = new_id();
        w.insert(
            "incident_tasks",
            &id,
            object(json!({
                "incident_id": incident_id,
                "title": title,
                "done": 0,
                "assignee": task.assignee.trim(),
                "priority": task.priority,
                "due_at": due,
                "created_at": stamp(now),
                "created_by": user,
                "demo": 0,
            })),
        )?;
        let who = if task.assignee.trim().is_empty() {
            String::new()
        } else {
            format!(" for {}", task.assignee.trim())
        };
        append_entry(
            w,
            incident_id,
            now,
            user,
            "task",
            &format!("Task added{who} ({}): {title}", task.priority),
            Some(&id),
        )?;
        Ok(())
    })
}

/// Marks a task done or open again.
pub fn set_task_done(
    replica: &mut Replica,
    incident_id: &str,
    task_id: &str,
    done: bool,
    user: &str,
    now: DateTime<Utc>,
) -> Result<(), IncidentError> {
    replica.write(|w| {
        let title = text_of(
            w.reader(),
            "SELECT title FROM incident_tasks WHERE id = ?1",
            task_id,
        )?;
        let Some(title) = title else {
            return refused("this task no longer exists in the replica");
        };
        w.update(
            "incident_tasks",
            task_id,
            object(json!({ "done": i64::from(done) })),
        )?;
        let text = if done {
            format!("Task done by {user}: {title}")
        } else {
            format!("Task reopened by {user}: {title}")
        };
        append_entry(w, incident_id, now, user, "task", &text, Some(task_id))?;
        Ok(())
    })
}

/// Ticks (or unticks) a step of the incident's runbook; who and when go into the timeline.
pub fn tick_step(
    replica: &mut Replica,
    incident_id: &str,
    step: usize,
    done: bool,
    user: &str,
    now: DateTime<Utc>,
) -> Result<(), IncidentError> {
    replica.write(|w| {
        let Some(incident) = get(w.reader(), incident_id)? else {
            return refused("this incident no longer exists in the replica");
        };
        let Some(book) = runbooks::get(&incident.runbook) else {
            return refused("Choose a runbook for this incident first.");
        };
        let Some(text) = book.steps.get(step) else {
            return refused(format!("{} has no step {}", book.title, step + 1));
        };
        let entry = if done {
            format!("Step {} done: {text}", step + 1)
        } else {
            format!("Unticked step {}: {text}", step + 1)
        };
        append_entry(
            w,
            incident_id,
            now,
            user,
            "runbook",
            &entry,
            Some(&runbooks::step_ref(&book.id, step)),
        )?;
        Ok(())
    })
}

/// Links a passenger to the incident.
pub fn link_passenger(
    replica: &mut Replica,
    incident_id: &str,
    passenger_id: &str,
    user: &str,
    now: DateTime<Utc>,
) -> Result<(), IncidentError> {
    replica.write(|w| {
        let name = text_of(
            w.reader(),
            "SELECT full_name FROM passengers WHERE id = ?1",
            passenger_id,
        )?;
        let Some(name) = name else {
            return refused("no such passenger in the replica");
        };
        let linked: bool = w.reader().query_row(
            "SELECT EXISTS (SELECT 1 FROM incident_passengers WHERE incident_id = ?1 AND passenger_id = ?2)",
            [incident_id, passenger_id],
            |r| r.get(0),
        )?;
        if linked {
            return refused(format!("{name} is linked already"));
        }
        w.insert(
            "incident_passengers",
            &new_id(),
            object(json!({ "incident_id": incident_id, "passenger_id": passenger_id, "demo": 0 })),
        )?;
        append_entry(
            w,
            incident_id,
            now,
            user,
            "system",
            &format!("Passenger linked by {user}: {name}"),
            None,
        )?;
        Ok(())
    })
}

/// Rewords one level of the severity scale (admins). The first change writes the whole
/// built-in scale into the replica, so the scale stays complete on every console.
pub fn save_severity(replica: &mut Replica, level: &SeverityLevel) -> Result<(), IncidentError> {
    if level.name.trim().is_empty() {
        return refused(format!("{} needs a name, such as Critical", level.code));
    }
    let current = severities(replica)?;
    if !current.iter().any(|l| l.code == level.code) {
        return refused(format!("{} is not on the scale", level.code));
    }
    replica.write(|w| {
        let stored: i64 =
            w.reader()
                .query_row("SELECT count(*) FROM incident_severities", [], |r| r.get(0))?;
        if stored == 0 {
            for l in default_severities() {
                w.insert(
                    "incident_severities",
                    &l.code,
                    object(json!({
                        "rank": l.rank, "name": l.name, "description": l.description, "demo": 0,
                    })),
                )?;
            }
        }
        w.update(
            "incident_severities",
            &level.code,
            object(json!({
                "name": level.name.trim(),
                "description": level.description.trim(),
            })),
        )?;
        Ok(())
    })
}

/// Unlinks a passenger from the incident.
pub fn unlink_passenger(
    replica: &mut Replica,
    incident_id: &str,
    link_id: &str,
    user: &str,
    now: DateTime<Utc>,
) -> Result<(), IncidentError> {
    replica.write(|w| {
        let name = text_of(
            w.reader(),
            "SELECT p.full_name FROM incident_passengers l JOIN passengers p ON p.id = l.passenger_id
             WHERE l.id = ?1",
            link_id,
        )?;
        w.delete("incident_passengers", link_id)?;
        append_entry(
            w,
            incident_id,
            now,
            user,
            "system",
            &format!(
                "Passenger unlinked by {user}: {}",
                name.unwrap_or_else(|| "(unknown)".into())
            ),
            None,
        )?;
        Ok(())
    })
}

/// The largest attachment: it travels to every console, so photos and logs are sent as
/// small copies.
pub const MAX_ATTACHMENT_BYTES: usize = 512 * 1024;

/// An attachment, without its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Row id.
    pub id: String,
    /// The file's name.
    pub file_name: String,
    /// Its media type.
    pub media_type: String,
    /// Its size.
    pub size_bytes: i64,
    /// When it was added.
    pub added_at: String,
    /// By whom.
    pub added_by: String,
}

/// A media type from a file name's extension.
pub fn media_type(file_name: &str) -> &'static str {
    let extension = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "pdf" => "application/pdf",
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

/// Attaches a file's bytes to an incident; refused beyond [`MAX_ATTACHMENT_BYTES`].
pub fn attach(
    replica: &mut Replica,
    incident_id: &str,
    file_name: &str,
    bytes: &[u8],
    user: &str,
    now: DateTime<Utc>,
) -> Result<(), IncidentError> {
    use base64::Engine as _;
    let file_name = file_name.trim();
    if file_name.is_empty() {
        return refused("The attachment needs a file name.");
    }
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return refused(format!(
            "{file_name} is {} KiB; attachments are limited to {} KiB each because they travel to every console. Attach a smaller copy.",
            bytes.len().div_ceil(1024),
            MAX_ATTACHMENT_BYTES / 1024
        ));
    }
    replica.write(|w| {
        let id = new_id();
        w.insert(
            "incident_attachments",
            &id,
            object(json!({
                "incident_id": incident_id,
                "file_name": file_name,
                "media_type": media_type(file_name),
                "size_bytes": bytes.len(),
                "content": base64::engine::general_purpose::STANDARD.encode(bytes),
                "added_at": stamp(now),
                "added_by": user,
                "demo": 0,
            })),
        )?;
        append_entry(
            w,
            incident_id,
            now,
            user,
            "system",
            &format!(
                "Attached by {user}: {file_name} ({} KiB)",
                bytes.len().div_ceil(1024)
            ),
            Some(&id),
        )?;
        Ok(())
    })
}

/// An incident's attachments, without their content.
pub fn attachments(replica: &Replica, incident_id: &str) -> Result<Vec<Attachment>, ReplicaError> {
    replica.read("reading attachments", |conn| {
        read_attachments(conn, incident_id)
    })
}

fn read_attachments(
    conn: &rusqlite::Connection,
    incident_id: &str,
) -> rusqlite::Result<Vec<Attachment>> {
    conn.prepare(
        "SELECT id, file_name, media_type, size_bytes, added_at, added_by
             FROM incident_attachments WHERE incident_id = ?1 ORDER BY added_at",
    )?
    .query_map([incident_id], |r| {
        Ok(Attachment {
            id: r.get(0)?,
            file_name: r.get(1)?,
            media_type: r.get(2)?,
            size_bytes: r.get(3)?,
            added_at: r.get(4)?,
            added_by: r.get(5)?,
        })
    })?
    .collect()
}

/// An attachment's bytes, if it exists and decodes.
pub fn attachment_content(replica: &Replica, id: &str) -> Result<Option<Vec<u8>>, ReplicaError> {
    use base64::Engine as _;
    let text: Option<String> = replica.read("reading an attachment", |conn| {
        conn.query_row(
            "SELECT content FROM incident_attachments WHERE id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()
    })?;
    Ok(text.and_then(|t| base64::engine::general_purpose::STANDARD.decode(t).ok()))
}

/// The crewed vehicle being tracked (the one with the newest element set), to tie vehicle
/// incidents to.
pub fn crewed_vehicle_id(replica: &Replica) -> Result<Option<String>, ReplicaError> {
    replica.read("finding the crewed vehicle", |conn| {
        conn.query_row(
            "SELECT vehicle_id FROM element_sets WHERE vehicle_id IS NOT NULL
             ORDER BY epoch DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()
    })
}

/// The open (not closed) incident opened from `source`, if any.
pub fn open_from_source(replica: &Replica, source: &str) -> Result<Option<Incident>, ReplicaError> {
    replica.read("finding the open incident of a source", |conn| {
        conn.query_row(
            &format!(
                "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE source = ?1 AND status != 'closed'
                 ORDER BY reported_at DESC LIMIT 1"
            ),
            [source],
            incident_from,
        )
        .optional()
    })
}

#[cfg(test)]
mod tests;
