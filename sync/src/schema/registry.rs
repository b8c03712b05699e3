//! The table registry: which tables replicate, their columns, who may write them, and how
//! concurrent edits are settled. The server enforces it; it holds no workflow of its own.

/// How concurrent edits of a table are settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictPolicy {
    /// Per column, the edit with the later hybrid-logical-clock time wins.
    LastWriterWins,
    /// Rows are only ever added; nothing to settle.
    AppendOnly,
    /// Last writer wins per column, after the server checks the table's constraints; an edit
    /// that breaks one is rejected and reaches a person.
    ServerValidated,
}

/// A role a user signs in with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Manages users and reference data.
    Admin,
    /// Flight controller.
    Controller,
    /// Spaceport staff.
    Staff,
    /// Runs training sessions.
    Trainer,
    /// In training: writes only to training sandboxes.
    Trainee,
}

impl Role {
    /// Every role.
    pub const ALL: [Self; 5] = [
        Self::Admin,
        Self::Controller,
        Self::Staff,
        Self::Trainer,
        Self::Trainee,
    ];

    /// The word used on the wire and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Controller => "controller",
            Self::Staff => "staff",
            Self::Trainer => "trainer",
            Self::Trainee => "trainee",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == text)
            .ok_or_else(|| {
                format!(
                    "unknown role {text:?}; roles are admin, controller, staff, trainer, trainee"
                )
            })
    }
}

/// A column that must name a live row of another table.
#[derive(Debug, Clone, Copy)]
pub struct ForeignKey {
    /// The column holding the id.
    pub column: &'static str,
    /// The table it points into.
    pub table: &'static str,
}

/// The states a status column may move between.
#[derive(Debug, Clone, Copy)]
pub struct Transitions {
    /// The status column.
    pub column: &'static str,
    /// Allowed moves, `(from, to)`.
    pub allowed: &'static [(&'static str, &'static str)],
}

impl Transitions {
    /// Whether moving from `from` to `to` is allowed (staying put always is).
    pub fn allows(&self, from: &str, to: &str) -> bool {
        from == to || self.allowed.iter().any(|(f, t)| *f == from && *t == to)
    }
}

/// A resource (named by `key` columns) that at most one active row may hold: one active
/// booking per launch and seat. A pending row counts while its hold has not lapsed.
#[derive(Debug, Clone, Copy)]
pub struct Exclusive {
    /// What the rule says, for refusals.
    pub rule: &'static str,
    /// The columns that together name the resource; a row with any of them null holds nothing.
    pub key: &'static [&'static str],
    /// The status column.
    pub status_column: &'static str,
    /// Statuses that hold the resource.
    pub holding: &'static [&'static str],
    /// A status that holds it only until the time (RFC 3339) in the second column.
    pub hold: Option<(&'static str, &'static str)>,
}

impl Exclusive {
    /// Whether a row with `status` (and hold expiry `expires_at`, RFC 3339) holds the resource
    /// at `now`. Times are compared as times, not as text: a hold written to the second that
    /// lapsed half a second ago has lapsed, whatever precision either side was written in. An
    /// expiry that cannot be read holds nothing (the value rules refuse such a row anyway).
    pub fn holds(
        &self,
        status: &str,
        expires_at: Option<&str>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> bool {
        self.holding.contains(&status)
            || self.hold.is_some_and(|(held, _)| {
                held == status
                    && expires_at
                        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                        .is_some_and(|expiry| expiry > now)
            })
    }
}

/// A bound of a numeric range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// No bound on this side.
    None,
    /// The value may equal it.
    Inclusive(f64),
    /// The value must stay strictly beyond it.
    Exclusive(f64),
}

/// What values a column takes. One declaration serves the server (which refuses an op that
/// breaks it, naming the column) and the replica (which checks a pulled op against it before
/// applying it); a test holds it to the replica's SQL schema, so the two cannot drift.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRule {
    /// Text of at least `min_chars` characters.
    Text {
        /// The fewest characters.
        min_chars: usize,
    },
    /// Text of exactly this many characters (a locator, a currency code).
    TextOfLength(usize),
    /// One of these words.
    OneOf(&'static [&'static str]),
    /// The id of a row (non-empty text).
    Id,
    /// A time as RFC 3339 UTC text ending in `Z`, so that text order is time order.
    Timestamp,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// JSON: an array or object, or text that holds one.
    Json,
    /// A whole number within `min..=max`.
    Integer {
        /// The smallest allowed.
        min: i64,
        /// The largest allowed.
        max: i64,
    },
    /// A finite number within the bounds.
    Real {
        /// The lower bound.
        min: Bound,
        /// The upper bound.
        max: Bound,
    },
    /// A flag: `true`/`false` or `1`/`0`.
    Flag,
}

/// One replicated column: its name, the values it takes, and whether it may be null.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Column {
    /// The SQL column name.
    pub name: &'static str,
    /// The values it takes.
    pub rule: ValueRule,
    /// Whether null is allowed.
    pub nullable: bool,
}

/// Why a value does not fit its column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{column}: {reason}")]
pub struct ValueProblem {
    /// The column.
    pub column: String,
    /// What is wrong, with the value that was given.
    pub reason: String,
}

impl Column {
    /// A column of this rule that may not be null.
    pub const fn required(name: &'static str, rule: ValueRule) -> Self {
        Self {
            name,
            rule,
            nullable: false,
        }
    }

    /// A column of this rule that may be null.
    pub const fn optional(name: &'static str, rule: ValueRule) -> Self {
        Self {
            name,
            rule,
            nullable: true,
        }
    }

    /// Checks one value against the column.
    pub fn check(&self, value: &serde_json::Value) -> Result<(), ValueProblem> {
        let problem = |reason: String| ValueProblem {
            column: self.name.to_owned(),
            reason,
        };
        if value.is_null() {
            return if self.nullable {
                Ok(())
            } else {
                Err(problem("may not be empty (null)".to_owned()))
            };
        }
        self.rule.check(value).map_err(problem)
    }
}

/// A short, bounded rendering of a value for a refusal (a value can be long).
fn shown(value: &serde_json::Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text
    }
}

impl ValueRule {
    /// Checks a non-null value; the error says what was expected and what came.
    pub fn check(&self, value: &serde_json::Value) -> Result<(), String> {
        match *self {
            Self::Integer { min, max } => check_integer(value, min, max),
            Self::Real { min, max } => check_real(value, min, max),
            Self::Flag => match value {
                serde_json::Value::Bool(_) => Ok(()),
                serde_json::Value::Number(n) if n.as_i64().is_some_and(|n| n == 0 || n == 1) => {
                    Ok(())
                }
                _ => Err(format!("must be true or false, not {}", shown(value))),
            },
            Self::Json => check_json(value),
            Self::Text { .. }
            | Self::TextOfLength(_)
            | Self::OneOf(_)
            | Self::Id
            | Self::Timestamp
            | Self::Date => {
                let text = value
                    .as_str()
                    .ok_or_else(|| format!("must be text, not {}", shown(value)))?;
                // SQLite's length() stops at a NUL: a replica would count such text otherwise
                // than the server, and refuse what the server took.
                if text.contains('\0') {
                    return Err("may not contain a NUL character".to_owned());
                }
                self.check_text(text)
                    .map_err(|expected| format!("{expected}, not {}", shown(value)))
            }
        }
    }

    /// Checks text against a text rule; the error says what was expected.
    fn check_text(&self, text: &str) -> Result<(), String> {
        let ok = match *self {
            Self::Text { min_chars } => {
                if text.chars().count() >= min_chars {
                    return Ok(());
                }
                return Err(if min_chars == 1 {
                    "may not be empty".to_owned()
                } else {
                    format!("needs at least {min_chars} characters")
                });
            }
            Self::TextOfLength(length) => {
                if text.chars().count() == length {
                    return Ok(());
                }
                return Err(format!("must be {length} characters long"));
            }
            Self::OneOf(words) => {
                if words.contains(&text) {
                    return Ok(());
                }
                return Err(format!("must be one of {}", words.join(", ")));
            }
            Self::Id => !text.is_empty(),
            Self::Timestamp => {
                text.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(text).is_ok()
            }
            Self::Date => {
                text.len() == 10 && chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
            }
            _ => true,
        };
        if ok {
            return Ok(());
        }
        Err(match *self {
            Self::Id => "must name a row (an id)".to_owned(),
            Self::Timestamp => "must be a UTC time like 2026-11-30T09:00:00Z".to_owned(),
            _ => "must be a date like 2026-11-30".to_owned(),
        })
    }
}

fn check_integer(value: &serde_json::Value, min: i64, max: i64) -> Result<(), String> {
    #[allow(
        clippy::cast_possible_truncation,
        reason = "only whole numbers well inside the range of i64 get here"
    )]
    let whole = value.as_i64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    });
    match whole {
        Some(n) if (min..=max).contains(&n) => Ok(()),
        Some(_) => Err(format!(
            "must be between {min} and {max}, not {}",
            shown(value)
        )),
        None => Err(format!("must be a whole number, not {}", shown(value))),
    }
}

fn check_real(value: &serde_json::Value, min: Bound, max: Bound) -> Result<(), String> {
    let Some(n) = value.as_f64().filter(|n| n.is_finite()) else {
        return Err(format!("must be a number, not {}", shown(value)));
    };
    let low_ok = match min {
        Bound::None => true,
        Bound::Inclusive(b) => n >= b,
        Bound::Exclusive(b) => n > b,
    };
    let high_ok = match max {
        Bound::None => true,
        Bound::Inclusive(b) => n <= b,
        Bound::Exclusive(b) => n < b,
    };
    if low_ok && high_ok {
        Ok(())
    } else {
        Err(format!(
            "must be {}, not {}",
            describe_range(min, max),
            shown(value)
        ))
    }
}

fn check_json(value: &serde_json::Value) -> Result<(), String> {
    use serde_json::Value;
    match value {
        Value::Array(_) | Value::Object(_) => Ok(()),
        Value::String(t)
            if serde_json::from_str::<Value>(t).is_ok_and(|v| v.is_array() || v.is_object()) =>
        {
            Ok(())
        }
        _ => Err(format!(
            "must be a JSON array or object, not {}",
            shown(value)
        )),
    }
}

fn describe_range(min: Bound, max: Bound) -> String {
    let low = match min {
        Bound::None => None,
        Bound::Inclusive(b) => Some(format!("at least {b}")),
        Bound::Exclusive(b) => Some(format!("above {b}")),
    };
    let high = match max {
        Bound::None => None,
        Bound::Inclusive(b) => Some(format!("at most {b}")),
        Bound::Exclusive(b) => Some(format!("below {b}")),
    };
    match (low, high) {
        (Some(l), Some(h)) => format!("{l} and {h}"),
        (Some(one), None) | (None, Some(one)) => one,
        (None, None) => "a number".to_owned(),
    }
}

/// A column whose value at most one live row of its table may hold (compared trimmed and
/// without regard to case: "Aurora" and "aurora " are one name to a person).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UniqueKey {
    /// The column.
    pub column: &'static str,
    /// How a refusal names the holder: `a vehicle named`.
    pub holder: &'static str,
}

impl UniqueKey {
    /// The key as compared, or `None` when the value holds no key (null or not text).
    pub fn normalised(value: Option<&serde_json::Value>) -> Option<String> {
        value
            .and_then(serde_json::Value::as_str)
            .map(|text| text.trim().to_lowercase())
    }

    /// The refusal for a value another row holds: `a vehicle named "Aurora" already exists`.
    pub fn taken(&self, value: &str) -> String {
        format!("{} {value:?} already exists", self.holder)
    }
}

/// One replicated table.
#[derive(Debug, Clone, Copy)]
pub struct ReplicatedTable {
    /// The SQL table name.
    pub name: &'static str,
    /// What a person calls its rows.
    pub label: &'static str,
    /// What a person calls one row, in refusals: `launch`, `incident severity`.
    pub row_noun: &'static str,
    /// Its columns other than `id`, all replicated, with the values each takes.
    pub columns: &'static [Column],
    /// How concurrent edits are settled.
    pub policy: ConflictPolicy,
    /// Who may insert, update or delete rows.
    pub write_roles: &'static [Role],
    /// Columns that reference other tables.
    pub foreign_keys: &'static [ForeignKey],
    /// A status state machine the server enforces, if any.
    pub transitions: Option<Transitions>,
    /// A resource only one active row may hold at a time, which the server enforces.
    pub exclusive: Option<Exclusive>,
    /// Personal columns: sent only to roles in [`PERSONAL_DATA_READERS`].
    pub personal_columns: &'static [&'static str],
    /// Columns whose value at most one live row may hold.
    pub unique_keys: &'static [UniqueKey],
}

impl ReplicatedTable {
    /// Whether rows can be marked as demo data.
    pub fn has_demo_rows(&self) -> bool {
        self.has_column("demo")
    }

    /// Whether `name` is one of its replicated columns.
    pub fn has_column(&self, name: &str) -> bool {
        self.columns.iter().any(|c| c.name == name)
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The refusal for the first unique key of `row` that another row holds, as `held` (given a
    /// key and its normalised value) finds: `a vehicle named "Aurora" already exists`. The
    /// server and the replica each look holders up in their own storage; the rule is this one.
    pub fn taken_key<E>(
        &self,
        row: &serde_json::Map<String, serde_json::Value>,
        mut held: impl FnMut(&UniqueKey, &str) -> Result<bool, E>,
    ) -> Result<Option<String>, E> {
        for key in self.unique_keys {
            let Some(wanted) = UniqueKey::normalised(row.get(key.column)) else {
                continue;
            };
            if held(key, &wanted)? {
                let shown = row
                    .get(key.column)
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or_default();
                return Ok(Some(key.taken(shown.trim())));
            }
        }
        Ok(None)
    }

    /// The names of its replicated columns, in order.
    pub fn column_names(&self) -> impl Iterator<Item = &'static str> + use<> {
        let columns: &'static [Column] = self.columns;
        columns.iter().map(|c| c.name)
    }

    /// Checks every value in `values` against its column (unknown columns included: they
    /// are refused by name).
    pub fn check_values(
        &self,
        values: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), ValueProblem> {
        for (name, value) in values {
            match self.column(name) {
                Some(column) => column.check(value)?,
                None => {
                    return Err(ValueProblem {
                        column: name.clone(),
                        reason: format!("{} has no such column", self.name),
                    });
                }
            }
        }
        Ok(())
    }

    /// Rewrites the times among `values` into the one stored form ([`crate::time`]), so that
    /// text order stays time order whatever precision a console sent.
    pub fn store_times(&self, values: &mut serde_json::Map<String, serde_json::Value>) {
        for (name, value) in values.iter_mut() {
            if let serde_json::Value::String(text) = value
                && self
                    .column(name)
                    .is_some_and(|c| c.rule == ValueRule::Timestamp)
                && let Some(stored) = crate::time::restored(text)
            {
                *text = stored;
            }
        }
    }

    /// Whether `role` may write this table.
    pub fn writable_by(&self, role: Role) -> bool {
        self.write_roles.contains(&role)
    }
}

/// Columns that say who did what a row records (who reported an incident, who acknowledged
/// an alarm, who closed a manifest): the server writes the signed-in user into them whatever
/// the console sent, so "who did it" is the server's word, not the client's.
pub const ACTOR_COLUMNS: &[(&str, &str)] = &[
    ("manifests", "closed_by"),
    ("incidents", "reported_by"),
    ("incident_tasks", "created_by"),
    ("incident_attachments", "added_by"),
    ("alarm_acknowledgements", "acknowledged_by"),
    ("commands", "queued_by"),
    ("command_stages", "by_user"),
    ("passenger_documents", "added_by"),
    ("pass_keys", "created_by"),
    ("checkin_overrides", "by_user"),
    ("launch_polls", "opened_by"),
    ("launch_polls", "decided_by"),
    ("poll_answers", "by_user"),
    ("poll_waivers", "by_user"),
];

/// Columns that say which console did it: the server writes the pushing device into them.
pub const DEVICE_COLUMNS: &[(&str, &str)] = &[
    ("alarm_acknowledgements", "device_id"),
    ("commands", "device_id"),
    ("command_stages", "device_id"),
];

/// Roles that see passengers' personal data (document, birth date, contact details, document
/// scans) and the keys boarding passes are signed with.
pub const PERSONAL_DATA_READERS: &[Role] = &[Role::Admin, Role::Staff];

/// Roles that act as the desk's supervisor: they may check in a passenger whose readiness is
/// NO-GO for a reason a supervisor may waive.
pub const SUPERVISOR_ROLES: &[Role] = &[Role::Admin];

/// The kinds of NO-GO reason a supervisor may override at check-in; medical and mass never.
pub const WAIVABLE_NO_GO: &[&str] = &["training", "waiver", "documents"];

/// What a passenger's document is.
pub const DOCUMENT_KINDS: &[&str] = &["passport", "id_card", "medical_certificate"];
/// The files a document's scan may be.
pub const DOCUMENT_MEDIA_TYPES: &[&str] = &["application/pdf", "image/png", "image/jpeg"];
/// The largest document scan: it travels to every console that may read it.
pub const MAX_DOCUMENT_BYTES: i64 = 512 * 1024;
/// A go/no-go poll's status.
pub const POLL_STATUSES: &[&str] = &["open", "go", "hold", "scrub"];
/// A position's answer in a poll.
pub const POLL_ANSWERS: &[&str] = &["go", "no_go"];

/// A poll is decided once: GO for launch, HOLD or SCRUB (a new poll follows a hold).
pub const POLL_TRANSITIONS: Transitions = Transitions {
    column: "status",
    allowed: &[("open", "go"), ("open", "hold"), ("open", "scrub")],
};

/// Who takes part in launch polls; the poll list then names who answers for each position.
const POLL_WRITERS: &[Role] = &[Role::Admin, Role::Controller, Role::Staff];

const REFERENCE_DATA_WRITERS: &[Role] = &[Role::Admin];
const OPERATIONS_WRITERS: &[Role] = &[Role::Admin, Role::Controller, Role::Staff];
/// Passengers and their bookings are the spaceport staff's work.
const PASSENGER_WRITERS: &[Role] = &[Role::Admin, Role::Staff];

/// Launch statuses and the moves between them (a scrubbed launch can be rescheduled).
pub const LAUNCH_TRANSITIONS: Transitions = Transitions {
    column: "status",
    allowed: &[
        ("planned", "scheduled"),
        ("planned", "cancelled"),
        ("scheduled", "boarding"),
        ("scheduled", "scrubbed"),
        ("scheduled", "cancelled"),
        ("boarding", "launched"),
        ("boarding", "scrubbed"),
        ("launched", "landed"),
        ("scrubbed", "scheduled"),
        ("scrubbed", "cancelled"),
    ],
};

/// Booking statuses and the moves between them. A waitlisted booking is offered a seat as a
/// pending hold; cancelled, no-show and expired are final.
pub const BOOKING_TRANSITIONS: Transitions = Transitions {
    column: "status",
    allowed: &[
        ("waitlisted", "pending"),
        ("waitlisted", "cancelled"),
        ("pending", "confirmed"),
        ("pending", "cancelled"),
        ("pending", "expired"),
        ("confirmed", "checked_in"),
        ("confirmed", "cancelled"),
        ("confirmed", "no_show"),
        ("checked_in", "boarded"),
        ("checked_in", "cancelled"),
        ("checked_in", "no_show"),
    ],
};

/// Incident statuses: an incident becomes stable, then closed; it goes back to active when it
/// worsens or is reopened. Closing needs it stable first.
pub const INCIDENT_TRANSITIONS: Transitions = Transitions {
    column: "status",
    allowed: &[
        ("active", "stable"),
        ("stable", "active"),
        ("stable", "closed"),
        ("closed", "active"),
    ],
};

/// Incidents are run by controllers and filed by spaceport staff.
const INCIDENT_WRITERS: &[Role] = &[Role::Admin, Role::Controller, Role::Staff];

/// A command's status: queued, approved by a second person when it needs one, released to the
/// uplink, sent, then verified or failed by its telemetry; cancelled while it waits.
pub const COMMAND_TRANSITIONS: Transitions = Transitions {
    column: "status",
    allowed: &[
        ("queued", "approved"),
        ("queued", "released"),
        ("queued", "cancelled"),
        ("approved", "released"),
        ("approved", "cancelled"),
        ("released", "sent"),
        ("released", "failed"),
        ("sent", "verified"),
        ("sent", "failed"),
    ],
};

/// Who may write commands at all; the command dictionary then names who may send each one.
const COMMAND_WRITERS: &[Role] = &[Role::Admin, Role::Controller];

/// One active booking per launch and seat.
pub const ONE_BOOKING_PER_SEAT: Exclusive = Exclusive {
    rule: "one active booking per launch and seat",
    key: &["launch_id", "seat_id"],
    status_column: "status",
    holding: &["confirmed", "checked_in", "boarded"],
    hold: Some(("pending", "hold_expires_at")),
};

use super::words::{BookingStatus, IncidentStatus, InvoiceStatus, LaunchStatus, MedicalStatus};
use ValueRule::{Integer, OneOf, TextOfLength};

const fn req(name: &'static str, rule: ValueRule) -> Column {
    Column::required(name, rule)
}

const fn opt(name: &'static str, rule: ValueRule) -> Column {
    Column::optional(name, rule)
}

const fn real(min: Bound, max: Bound) -> ValueRule {
    ValueRule::Real { min, max }
}

const TEXT: ValueRule = ValueRule::Text { min_chars: 0 };
const NAME: ValueRule = ValueRule::Text { min_chars: 1 };
const ID: ValueRule = ValueRule::Id;
const TIME: ValueRule = ValueRule::Timestamp;
const DATE: ValueRule = ValueRule::Date;
const JSON: ValueRule = ValueRule::Json;
const FLAG: ValueRule = ValueRule::Flag;
const COUNT: ValueRule = Integer {
    min: 0,
    max: i64::MAX,
};
const ANY_NUMBER: ValueRule = real(Bound::None, Bound::None);
const LATITUDE: ValueRule = real(Bound::Inclusive(-90.0), Bound::Inclusive(90.0));
const LONGITUDE: ValueRule = real(Bound::Exclusive(-180.0), Bound::Inclusive(180.0));

/// Every launch status.
pub const LAUNCH_STATUSES: &[&str] = LaunchStatus::WORDS;
/// Every booking status.
pub const BOOKING_STATUSES: &[&str] = BookingStatus::WORDS;
/// A passenger's medical clearance.
pub const MEDICAL_STATUSES: &[&str] = MedicalStatus::WORDS;
/// Every invoice status.
pub const INVOICE_STATUSES: &[&str] = InvoiceStatus::WORDS;
/// What an incident is about.
pub const INCIDENT_KINDS: &[&str] = &[
    "vehicle",
    "passenger_medical",
    "ground_operations",
    "security",
    "it",
];
/// Every incident status.
pub const INCIDENT_STATUSES: &[&str] = IncidentStatus::WORDS;
/// An incident task's priority.
pub const TASK_PRIORITIES: &[&str] = &["high", "medium", "low"];
/// The severities an alarm can have.
pub const ALARM_SEVERITIES: &[&str] = &["warning", "critical"];

/// Every replicated table, parents before children.
pub const TABLES: &[ReplicatedTable] = &[
    ReplicatedTable {
        name: "vehicles",
        label: "Vehicles",
        row_noun: "vehicle",
        columns: &[
            req("name", NAME),
            req("model", TEXT),
            req("seat_count", Integer { min: 1, max: 1_000 }),
            req(
                "max_passenger_mass_kg",
                real(Bound::Exclusive(0.0), Bound::None),
            ),
            req(
                "max_baggage_mass_kg",
                real(Bound::Inclusive(0.0), Bound::None),
            ),
            req("demo", FLAG),
            req("seat_layout", JSON),
        ],
        policy: ConflictPolicy::LastWriterWins,
        write_roles: REFERENCE_DATA_WRITERS,
        foreign_keys: &[],
        transitions: None,
        exclusive: None,
        personal_columns: &[],
        unique_keys: &[UniqueKey {
            column: "name",
            holder: "a vehicle named",
        }],
    },
    ReplicatedTable {
        name: "spaceports",
        label: "Spaceports",
        row_noun: "spaceport",
        columns: &[
            req("code", NAME),
            req("name", TEXT),
            req("lat_deg", LATITUDE),
            req("lon_deg", LONGITUDE),
            req("alt_m", ANY_NUMBER),
            req("demo", FLAG),
        ],
        policy: ConflictPolicy::LastWriterWins,
        write_roles: REFERENCE_DATA_WRITERS,
        foreign_keys: &[],
        transitions: None,
        exclusive: None,
        personal_columns: &[],
        unique_keys: &[UniqueKey {
            column: "code",
            holder: "a spaceport with the code",
        }],
    },
    ReplicatedTable {
        name: "ground_stations",
        label: "Ground stations",
        row_noun: "ground station",
        columns: &[
            req("name", NAME),
            req("lat_deg", LATITUDE),
            req("lon_deg", LONGITUDE),
            req("alt_m", ANY_NUMBER),
            req(
                "min_elevation_deg",
                real(Bound::Inclusive(0.0), Bound::Inclusive(90.0)),
            ),
            req("demo", FLAG),
        ],
        policy: ConflictPolicy::LastWriterWins,
        write_roles: &[Role::Admin, Role::Controller],
        foreign_keys: &[],
        transitions: None,
        exclusive: None,
        personal_columns: &[],
        unique_keys: &[UniqueKey {
            column: "name",
            holder: "a ground station named",
        }],
    },
    ReplicatedTable {
        name: "launches",
        label: "Launches",
        row_noun: "launch",
        columns: &[
            req("mission", TEXT),
            req("vehicle_id", ID),
            req("spaceport_id", ID),
            req("pad", TEXT),
            req("scheduled_at", TIME),
            req("status", OneOf(LAUNCH_STATUSES)),
            req("demo", FLAG),
            req("fare_classes", JSON),
            req("checkin_opens_hours", ANY_NUMBER),
            req("checkin_closes_hours", ANY_NUMBER),
        ],
        policy: ConflictPolicy::ServerValidated,
        write_roles: OPERATIONS_WRITERS,
        foreign_keys: &[
            ForeignKey {
                column: "vehicle_id",
                table: "vehicles",
            },
            ForeignKey {
                column: "spaceport_id",
                table: "spaceports",
            },
        ],
        transitions: Some(LAUNCH_TRANSITIONS),
        exclusive: None,
        personal_columns: &[],
        unique_keys: &[],
    },
    ReplicatedTable {
        name: "passengers",
        label: "Passengers",
        row_noun: "passenger",
        columns: &[
            req("full_name", TEXT),
            opt("date_of_birth", DATE),
            opt("nationality", TEXT),
            opt("document_number", TEXT),
            opt("email", TEXT),
            opt("phone", TEXT),
            opt("emergency_contact", TEXT),
            opt("body_mass_kg", real(Bound::Exclusive(0.0), Bound::None)),
            req("medical_status", OneOf(MEDICAL_STATUSES)),
            opt("medical_expires_on", DATE),
            opt("training_completed_on", DATE),
            opt("waiver_signed_on", DATE),
            req("demo", FLAG),
        ],
        policy: ConflictPolicy::LastWriterWins,
        write_roles: PASSENGER_WRITERS,
        foreign_keys: &[],
        transitions: None,
        exclusive: None,
        personal_columns: &[
            "date_of_birth",
            "nationality",
            "document_number",
            "email",
            "phone",
            "emergency_contact",
        ],
        unique_keys: &[],
    },
    ReplicatedTable {
        name: "bookings",
        label: "Bookings",
        row_noun: "booking",
        columns: &[
            req("locator", TextOfLength(6)),
            req("launch_id", ID),
            req("passenger_id", ID),
            opt("seat_id", TEXT),
            req("fare_class", TEXT),
            req("status", OneOf(BOOKING_STATUSES)),
            opt("hold_expires_at", TIME),
            req("hold_extensions", COUNT),
            req("baggage_mass_kg", real(Bound::Inclusive(0.0), Bound::None)),
            req("created_at", TIME),
            req("updated_at", TIME),
            req("demo", FLAG),
        ],
        policy: ConflictPolicy::ServerValidated,
        write_roles: PASSENGER_WRITERS,
        foreign_keys: &[
            ForeignKey {
                column: "launch_id",
                table: "launches",
            },
            ForeignKey {
                column: "passenger_id",
                table: "passengers",
            },
        ],
        transitions: Some(BOOKING_TRANSITIONS),
        exclusive: Some(ONE_BOOKING_PER_SEAT),
        personal_columns: &[],
        unique_keys: &[],
    },
    ReplicatedTable {
        name: "seat_blocks",
        label: "Seat blocks",
        row_noun: "seat block",
        columns: &[
            req("launch_id", ID),
            req("seat_id", TEXT),
            req("reason", NAME),
            req("created_at", TIME),
            req("demo", FLAG),
        ],
        policy: ConflictPolicy::LastWriterWins,
        write_roles: PASSENGER_WRITERS,
        foreign_keys: &[ForeignKey {
            column: "launch_id",
            table: "launches",
        }],
        transitions: None,
        exclusive: None,
        personal_columns: &[],
        unique_keys: &[],
    },
    ReplicatedTable {
        name: "invoices",
        label: "Invoices",
        row_noun: "invoice",
        columns: &[
            req("locator", TEXT),
            req("number", TEXT),
            req("amount_minor", COUNT),
            req("currency", TextOfLength(3)),
            req("status", OneOf(INVOICE_STATUSES)),
            req("issued_at", TIME),
            req("demo", FLAG),
        ],
        policy: ConflictPolicy::LastWriterWins,
        write_roles: PASSENGER_WRITERS,
        foreign_keys: &[],
        transitions: None,
        exclusive: None,
        personal_columns: &[],
        unique_keys: &[],
    },
    ReplicatedTable {
        name: "manifests",
        label: "Closed manifests",
        row_noun: "closed manifest",
        columns: &[
            req("launch_id", ID),
            req("closed_at", TIME),
            req("closed_by", TEXT),
            req("content", TEXT),
            req("demo", FLAG),
        ],
        policy: ConflictPolicy::AppendOnly,
        write_roles: PASSENGER_WRITERS,
        foreign_keys: &[ForeignKey {
            column: "launch_id",
            table: "launches",
        }],
        transitions: None,
        exclusive: None,
        personal_columns: &[],
        unique_keys: &[],
    },
    ReplicatedTable {
        name: "element_sets",
        label: "Element sets",
        row_noun: "element set",
        columns: &[
            req("object_name", TEXT),
            req("norad_id", COUNT),
            req("epoch", TIME),
            req("omm", JSON),
            opt("vehicle_id", ID),
            req("source", TEXT),
            req("imported_at", TIME),
            req("demo", FLAG),
        ],
        policy: ConflictPolicy::LastWriterWins,
        write_roles: &[Role::Admin, Role::Controller],
        foreign_keys: &[ForeignKey {
            column: "vehicle_id",
            table: "vehicles",
        }],
        transitions: None,
        exclusive: None,
        personal_columns: &[],
        unique_keys: &[],
    },
    ReplicatedTable {
        name: "incident_severities",
        label: "Incident severities",
        row_noun: "incident severity",
        columns: &[
            req(
                "rank",
                Integer {
                    min: i64::MIN,
                    max: i64::MAX,
                },
            ),
            req("name", TEXT),
            req("description", TEXT),
            req("demo", FLAG),
        ],
        policy: ConflictPolicy::LastWriterWins,
        write_roles: REFERENCE_DATA_WRITERS,
        foreign_keys: &[],
        transitions: None,
        exclusive: None,
        personal_columns: &[],
        unique_keys: &[],
    },
    ReplicatedTable {
        name: "incidents",
        label: "Incidents",
        row_noun: "incident",
        columns: &[
            req("reference", TEXT),
            req("title", TEXT),
            req("description", TEXT),
            req("kind", OneOf(INCIDENT_KINDS)),
            req("severity", TEXT),
            req("status", OneOf(INCIDENT_STATUSES)),
            req("reported_at", TIME),
            req("reported_by", TEXT),
            opt("stable_at", TIME),
            opt("closed_at", TIME),
            opt("source", TEXT),
            opt("launch_id", ID),
            opt("vehicle_id", ID),
            req("commander", TEXT),
            req("scribe", TEXT),
            req("liaison", TEXT),
            req("safety_officer", TEXT),
            req("runbook", TEXT),
            req("conditions", TEXT),
            req("actions", TEXT),
            req("needs", TEXT),
            req("review_summary", TEXT),
            req("review_causes", TEXT),
            req("review_lessons", TEXT),
            req("demo", FLAG),
        ],
        policy: ConflictPolicy::ServerValidated,
        write_roles: INCIDENT_WRITERS,
        foreign_keys: &[
            ForeignKey {
                column: "launch_id",
                table: "launches",
            },
            ForeignKey {
                column: "vehicle_id",
                table: "vehicles",
            },
        ],
        transitions: Some(INCIDENT_TRANSITIONS),
        exclusive: None,
        personal_columns: &[],
        unique_keys: &[],
    },
    ReplicatedTable {
        name: "incident_passengers",
        label: "Passengers in incidents",
        row_noun: "incident's passenger",
        columns: &[
            req("incident_id", ID),
            req("passenger_id", ID),
            req("demo", FLAG),
        ],
        policy: ConflictPolicy::LastWriterWins,
        write_roles: INCIDENT_WRITERS,
        foreign_keys: &[
            ForeignKey {
                column: "incident_id",
                table: "incidents",
            },
            ForeignKey {
                column: "passenger_id",
                table: "passengers",
            },
        ],
        transitions: None,
        exclusive: None,
        personal_columns: &[],
        unique_keys: &[],
    },
    ReplicatedTable {
        name: "incident_timeline",
        label: "Incident timelines",
        row_noun: "incident timeline entry",
        columns: &[
            req("incident_id", ID),
            req("at", TIME),
            req("author", TEXT),
            req("kind", TEXT),
            req("text", TEXT),
            opt("refers_to", TEXT),
            req("demo", FLAG),
        ],
        policy: ConflictPolicy::AppendOnly,
        write_roles: INCIDENT_WRITERS,
        foreign_keys: &[ForeignKey {
            column: "incident_id",
            table: "incidents",
        }],
        transitions: None,
        exclusive: None,
        personal_columns: &[],
        unique_keys: &[],
    },
    ReplicatedTable {
        name: "incident_tasks",
        label: "Incident tasks",
        row_noun: "incident task",
        columns: &[
            req("incident_id", ID),
            req("title", TEXT),
            req("done", FLAG),
            req("assignee", TEXT),
            req("priority", OneOf(TASK_PRIORITIES)),
            opt("due_at", TIME),
            req("created_at", TIME),
            req("created_by", TEXT),
            req("demo", FLAG),
        ],
        policy: ConflictPolicy::LastWriterWins,
        write_roles: INCIDENT_WRITERS,
        foreign_keys: &[ForeignKey {
            column: "incident_id",
            table: "incidents",
        }],
        transitions: None,
        exclusive: None,
        personal_columns: &[],
        unique_keys: &[],
    },
    ReplicatedTable {
        name: "incident_attachments",
        label: "Incident attachments",
        row_noun: "incident attachment",
        columns: &[
            req("incident_id", ID),
            req("file_name", TEXT),
            req("media_type", TEXT),
            req("size_bytes", COUNT),
            req("content", TEXT),
            req("added_at", TIME),
            req("added_by", TEXT),
            req("demo", FLAG),
        ],
        policy: ConflictPolicy::AppendOnly,
        write_roles: INCIDENT_WRITERS,
        foreign_keys: &[ForeignKey {
            column: "incident_id",
            table: "incidents",
        }],
        transitions: None,
        exclusive: None,
        personal_columns: &[],
        unique_keys: &[],
    },
    ReplicatedTable {
        name: "alarm_acknowledgements",
        label: "Alarm acknowledgements",
        row_noun: "alarm acknowledgement",
        columns: &[
            req("channel", TEXT),
            req("severity", OneOf(ALARM_SEVERITIES)),
            req("acknowledged_at", TIME),
            req("acknowledged_by", TEXT),
            req("comment", TEXT),
            req("device_id", TEXT),
            req("demo", FLAG),
        ],
        policy: ConflictPolicy::AppendOnly,
        write_roles: &[Role::Admin, Role::Controller],
        foreign_keys: &[],
        transitions: None,
        exclusive: None,
        personal_columns: &[],
        unique_keys: &[],
    },
    ReplicatedTable {
        name: "commands",
        label: "Commands",
        row_noun: "command",
        columns: &[
            req("name", NAME),
            req("arguments", JSON),
            req("priority", OneOf(crate::commanding::PRIORITIES)),
            req("queue_position", ANY_NUMBER),
            req("status", OneOf(crate::commanding::STATUSES)),
            req("hazard_confirmed", FLAG),
            req("queued_by", TEXT),
            req("queued_at", TIME),
            req("device_id", TEXT),
        ],
        policy: ConflictPolicy::ServerValidated,
        write_roles: COMMAND_WRITERS,
        foreign_keys: &[],
        transitions: Some(COMMAND_TRANSITIONS),
        exclusive: None,
        personal_columns: &[],
        unique_keys: &[],
    },
    ReplicatedTable {
        name: "command_stages",
        label: "Command stages",
        row_noun: "command stage",
        columns: &[
            req("command_id", ID),
            req("stage", OneOf(crate::commanding::STATUSES)),
            req("at", TIME),
            req("by_user", TEXT),
            req("device_id", TEXT),
            req("detail", TEXT),
        ],
        policy: ConflictPolicy::AppendOnly,
        write_roles: COMMAND_WRITERS,
        foreign_keys: &[ForeignKey {
            column: "command_id",
            table: "commands",
        }],
        transitions: None,
        exclusive: None,
        personal_columns: &[],
        unique_keys: &[],
    },
    ReplicatedTable {
        name: "passenger_documents",
        label: "Passenger documents",
        row_noun: "passenger document",
        columns: &[
            req("passenger_id", ID),
            req("kind", OneOf(DOCUMENT_KINDS)),
            opt("number", TEXT),
            req("expires_on", DATE),
            opt("file_name", TEXT),
            req("media_type", OneOf(DOCUMENT_MEDIA_TYPES)),
            req(
                "size_bytes",
                Integer {
                    min: 1,
                    max: MAX_DOCUMENT_BYTES,
                },
            ),
            opt("content", TEXT),
            req("added_at", TIME),
            req("added_by", TEXT),
            req("demo", FLAG),
        ],
        policy: ConflictPolicy::LastWriterWins,
        write_roles: PASSENGER_WRITERS,
        foreign_keys: &[ForeignKey {
            column: "passenger_id",
            table: "passengers",
        }],
        transitions: None,
        exclusive: None,
        personal_columns: &["number", "file_name", "content"],
        unique_keys: &[],
    },
    ReplicatedTable {
        name: "pass_keys",
        label: "Boarding pass keys",
        row_noun: "boarding pass key",
        columns: &[
            opt("secret", TEXT),
            req("created_at", TIME),
            req("created_by", TEXT),
        ],
        policy: ConflictPolicy::AppendOnly,
        write_roles: PASSENGER_WRITERS,
        foreign_keys: &[],
        transitions: None,
        exclusive: None,
        personal_columns: &["secret"],
        unique_keys: &[],
    },
    ReplicatedTable {
        name: "checkin_overrides",
        label: "Check-in overrides",
        row_noun: "check-in override",
        columns: &[
            req("booking_id", ID),
            req("waived", JSON),
            req("reason", NAME),
            req("at", TIME),
            req("by_user", TEXT),
        ],
        policy: ConflictPolicy::AppendOnly,
        write_roles: PASSENGER_WRITERS,
        foreign_keys: &[ForeignKey {
            column: "booking_id",
            table: "bookings",
        }],
        transitions: None,
        exclusive: None,
        personal_columns: &[],
        unique_keys: &[],
    },
    ReplicatedTable {
        name: "launch_polls",
        label: "Go/no-go polls",
        row_noun: "go/no-go poll",
        columns: &[
            req("launch_id", ID),
            req("status", OneOf(POLL_STATUSES)),
            req("opened_at", TIME),
            req("opened_by", TEXT),
            opt("decided_at", TIME),
            opt("decided_by", TEXT),
            req("decision_note", TEXT),
            req("criteria", JSON),
        ],
        policy: ConflictPolicy::ServerValidated,
        write_roles: POLL_WRITERS,
        foreign_keys: &[ForeignKey {
            column: "launch_id",
            table: "launches",
        }],
        transitions: Some(POLL_TRANSITIONS),
        exclusive: None,
        personal_columns: &[],
        unique_keys: &[],
    },
    ReplicatedTable {
        name: "poll_answers",
        label: "Go/no-go answers",
        row_noun: "go/no-go answer",
        columns: &[
            req("poll_id", ID),
            req("position", NAME),
            req("answer", OneOf(POLL_ANSWERS)),
            req("note", TEXT),
            req("answered_at", TIME),
            req("by_user", TEXT),
        ],
        policy: ConflictPolicy::AppendOnly,
        write_roles: POLL_WRITERS,
        foreign_keys: &[ForeignKey {
            column: "poll_id",
            table: "launch_polls",
        }],
        transitions: None,
        exclusive: None,
        personal_columns: &[],
        unique_keys: &[],
    },
    ReplicatedTable {
        name: "poll_waivers",
        label: "Commit criteria waivers",
        row_noun: "commit criterion waiver",
        columns: &[
            req("poll_id", ID),
            req("criterion", NAME),
            req("value", TEXT),
            req("reason", NAME),
            req("waived_at", TIME),
            req("by_user", TEXT),
        ],
        policy: ConflictPolicy::AppendOnly,
        write_roles: POLL_WRITERS,
        foreign_keys: &[ForeignKey {
            column: "poll_id",
            table: "launch_polls",
        }],
        transitions: None,
        exclusive: None,
        personal_columns: &[],
        unique_keys: &[],
    },
];

/// The registry entry of `name`.
pub fn table(name: &str) -> Option<&'static ReplicatedTable> {
    TABLES.iter().find(|t| t.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reference_points_at_an_earlier_table() {
        for (index, t) in TABLES.iter().enumerate() {
            for fk in t.foreign_keys {
                let parent = TABLES.iter().position(|p| p.name == fk.table);
                assert!(
                    parent.is_some_and(|p| p < index),
                    "{}.{}",
                    t.name,
                    fk.column
                );
                assert!(t.has_column(fk.column));
            }
        }
    }

    /// Every status a state machine names is a word its column accepts, so no transition can
    /// lead to a value the replicas refuse.
    #[test]
    fn every_transition_names_statuses_the_column_accepts() {
        for table in TABLES {
            let Some(transitions) = table.transitions else {
                continue;
            };
            let Some(ValueRule::OneOf(words)) = table.column(transitions.column).map(|c| c.rule)
            else {
                panic!("{}.{} has no list of words", table.name, transitions.column);
            };
            for (from, to) in transitions.allowed {
                assert!(words.contains(from), "{}: {from}", table.name);
                assert!(words.contains(to), "{}: {to}", table.name);
            }
        }
        if let Some(rule) = table("bookings").and_then(|t| t.exclusive) {
            let words = BOOKING_STATUSES;
            assert!(rule.holding.iter().all(|h| words.contains(h)));
            assert!(rule.hold.is_some_and(|(held, _)| words.contains(&held)));
        }
    }

    #[test]
    fn launch_transitions_follow_the_launch_day() {
        assert!(LAUNCH_TRANSITIONS.allows("scheduled", "boarding"));
        assert!(LAUNCH_TRANSITIONS.allows("scrubbed", "scheduled"));
        assert!(!LAUNCH_TRANSITIONS.allows("landed", "scheduled"));
        assert!(!LAUNCH_TRANSITIONS.allows("cancelled", "boarding"));
    }

    #[test]
    fn incidents_close_only_once_stable_and_can_reopen() {
        assert!(INCIDENT_TRANSITIONS.allows("active", "stable"));
        assert!(INCIDENT_TRANSITIONS.allows("stable", "closed"));
        assert!(INCIDENT_TRANSITIONS.allows("closed", "active"));
        assert!(INCIDENT_TRANSITIONS.allows("stable", "active"));
        assert!(!INCIDENT_TRANSITIONS.allows("active", "closed"));
        assert!(!INCIDENT_TRANSITIONS.allows("closed", "stable"));
    }

    #[test]
    fn a_pending_hold_holds_its_seat_until_it_lapses() {
        let rule = ONE_BOOKING_PER_SEAT;
        let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap().to_utc();
        let now = at("2026-11-22T12:00:00Z");
        assert!(rule.holds("confirmed", None, now));
        assert!(rule.holds("pending", Some("2026-11-22T12:10:00Z"), now));
        assert!(!rule.holds("pending", Some("2026-11-22T11:59:00Z"), now));
        assert!(!rule.holds("cancelled", None, now));
        assert!(!rule.holds("waitlisted", None, now));
        // A hold written to the second has lapsed half a second after it, although its text
        // sorts after the later time's ("…00Z" > "…00.500Z").
        let half_past = at("2026-11-22T12:10:00.500Z");
        assert!(!rule.holds("pending", Some("2026-11-22T12:10:00Z"), half_past));
        assert!(rule.holds("pending", Some("2026-11-22T12:10:00.900Z"), half_past));
    }

    #[test]
    fn personal_columns_are_columns_of_their_table() {
        for t in TABLES {
            for column in t.personal_columns {
                assert!(t.has_column(column), "{}.{column}", t.name);
            }
        }
    }

    #[test]
    fn roles_round_trip_and_unknown_ones_are_named() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("pilot".parse::<Role>().unwrap_err().contains("pilot"));
    }
}
