//! The rules the server enforces on every op, written once above the storage boundary:
//! roles per table, columns and values, foreign keys, status transitions, one holder per
//! exclusive resource (one active booking per seat), unique keys, last writer wins per column,
//! clocks, and the numbering of each console's ops. They judge through a [`Ledger`], which
//! only stores and reads inside one transaction, so SQLite and PostgreSQL enforce them alike.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

pub(crate) mod commanding;
pub(crate) mod launch_day;

use crate::auth::Principal;
use crate::outbound::Settled;
use crate::store::StoreError;
use galaxium_sync::hlc::{Hlc, HlcClock};
use galaxium_sync::protocol::{MAX_CLOCK_AHEAD, Op, OpKind, OpResult, RefusalRule};
use galaxium_sync::schema::registry::{self, ConflictPolicy, ReplicatedTable, TABLES};
use galaxium_sync::schema::rules;

/// What the rules read and write, inside one transaction that holds the op log's order (a
/// push is judged and recorded as a whole before the next). It stores and reads; it decides
/// nothing.
pub trait Ledger {
    /// Whether a console has registered `device_id` with a key.
    fn device_claimed(&mut self, device_id: &str) -> Result<bool, StoreError>;
    /// Records that `user` used `device_id` just now.
    fn note_device(&mut self, device_id: &str, user: &str) -> Result<(), StoreError>;
    /// The op id accepted under a console's sequence number.
    fn accepted_op(&mut self, device_id: &str, seq: i64) -> Result<Option<String>, StoreError>;
    /// The refusal kept under a console's sequence number: its op id, the result (JSON) and
    /// the table of the op it answered.
    fn kept_refusal(
        &mut self,
        device_id: &str,
        seq: i64,
    ) -> Result<Option<(String, String, Option<String>)>, StoreError>;
    /// Keeps a refusal (JSON) under a console's sequence number.
    fn keep_refusal(
        &mut self,
        device_id: &str,
        seq: i64,
        op: &Op,
        result: &str,
    ) -> Result<(), StoreError>;
    /// Whether an op with this id was recorded.
    fn op_recorded(&mut self, op_id: &str) -> Result<bool, StoreError>;
    /// The clock time of the newest op recorded from `device_id` (its last in sequence).
    fn newest_clock(&mut self, device_id: &str) -> Result<Option<String>, StoreError>;
    /// The stored state of one row.
    fn row(&mut self, table: &str, row_id: &str) -> Result<Option<StoredRow>, StoreError>;
    /// How many live rows of `table` name `row_id` in `column`. `table` and `column` come
    /// from the registry.
    fn live_references(
        &mut self,
        table: &str,
        column: &str,
        row_id: &str,
    ) -> Result<i64, StoreError>;
    /// The live rows of `table` other than `except` whose columns hold the given values.
    fn live_rows_holding(
        &mut self,
        table: &str,
        key: &[(&str, &str)],
        except: &str,
    ) -> Result<Vec<Map<String, Value>>, StoreError>;
    /// `column` of every live row of `table` other than `except` (keyed tables are reference
    /// data, tens of rows).
    fn live_values(
        &mut self,
        table: &str,
        column: &str,
        except: &str,
    ) -> Result<Vec<Option<String>>, StoreError>;
    /// Appends an accepted op to the log (it takes the next cursor) and stores the row's new
    /// state, or marks it deleted.
    fn record(&mut self, entry: &Recorded<'_>) -> Result<(), StoreError>;
}

/// The stored state of one row.
#[derive(Debug, Clone)]
pub struct StoredRow {
    /// Its columns.
    pub data: Map<String, Value>,
    /// Per column, the clock time of the edit that set it.
    pub clocks: Map<String, Value>,
    /// Whether it was deleted (a tombstone).
    pub deleted: bool,
}

/// An accepted op as the ledger records it.
#[derive(Debug)]
pub struct Recorded<'a> {
    /// The op as sent (re-stamped when its clock was too far ahead).
    pub op: &'a Op,
    /// Its kind as recorded.
    pub kind: OpKind,
    /// The columns that won, as the op log keeps them.
    pub effective: &'a Map<String, Value>,
    /// Who pushed it.
    pub user: &'a str,
    /// The row's new state and column clocks; `None` for a delete.
    pub row: Option<(Map<String, Value>, Map<String, Value>)>,
}

/// Judges and records a device's ops, in order, one verdict each.
pub fn push(
    ledger: &mut impl Ledger,
    clock: &mut HlcClock,
    principal: &Principal,
    device_id: &str,
    ops: &[Op],
) -> Result<Vec<Settled>, StoreError> {
    refuse_unbound_speaking_for_a_claimed_device(ledger, principal, device_id)?;
    ledger.note_device(device_id, &principal.user)?;
    ops.iter()
        .map(|op| settle(ledger, clock, principal, device_id, op))
        .collect()
}

/// What a sign-in's device registration comes to, given what the store holds of the device:
/// the hash of its key (none when it was seen before keys) and the user it last synced as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registering {
    /// Registered before with this key: the same console (its kind stays what it registered).
    Known,
    /// Registered with another key (another console, or a copied replica), or seen before
    /// keys under another user who is not an admin: refused.
    Taken,
    /// Seen before keys: the user it last synced as, or an admin, claims it now.
    Claim,
    /// Never seen: registered now.
    New,
}

/// Decides a device's registration (see [`Registering`]).
pub fn registering(
    known: Option<(Option<&str>, &str)>,
    key_hash: &str,
    principal: &Principal,
) -> Registering {
    match known {
        Some((Some(hash), _)) if hash == key_hash => Registering::Known,
        Some((Some(_), _)) => Registering::Taken,
        Some((None, last_user))
            if last_user != principal.user
                && principal.role != galaxium_sync::schema::registry::Role::Admin =>
        {
            Registering::Taken
        }
        Some((None, _)) => Registering::Claim,
        None => Registering::New,
    }
}

/// A sign-in without a device (an older console's) may speak only for devices that never
/// registered a key; checked inside the push's or pull's transaction, so a registration
/// cannot slip in between.
pub fn refuse_unbound_speaking_for_a_claimed_device(
    ledger: &mut impl Ledger,
    principal: &Principal,
    device_id: &str,
) -> Result<(), StoreError> {
    if principal.device.is_some() {
        return Ok(());
    }
    if ledger.device_claimed(device_id)? {
        return Err(StoreError::DeviceClaimed(device_id.to_owned()));
    }
    Ok(())
}

/// A refusal: the reason, and the server's row as it stands.
struct Refusal {
    rule: RefusalRule,
    reason: String,
    winner: Option<Map<String, Value>>,
}

/// A refusal that is no rule's: the op cannot be applied as sent (its numbering or its id).
fn not_applied(op: &Op, reason: String) -> OpResult {
    OpResult::Rejected {
        op_id: op.op_id.clone(),
        reason,
        winner: None,
        rule: None,
    }
}

/// Keeps a refusal whole (filtered on the way out, by the table kept with it), so the same op
/// sent again gets the same answer.
fn keep_refusal(
    ledger: &mut impl Ledger,
    device_id: &str,
    seq: i64,
    op: &Op,
    result: &OpResult,
) -> Result<(), StoreError> {
    ledger.keep_refusal(
        device_id,
        seq,
        op,
        &serde_json::to_string(result).unwrap_or_default(),
    )
}

fn refuse(
    rule: RefusalRule,
    reason: impl Into<String>,
    winner: Option<Map<String, Value>>,
) -> Refusal {
    Refusal {
        rule,
        reason: reason.into(),
        winner,
    }
}

type Current = StoredRow;

fn settle(
    ledger: &mut impl Ledger,
    clock: &mut HlcClock,
    principal: &Principal,
    device_id: &str,
    op: &Op,
) -> Result<Settled, StoreError> {
    let answer = |result| Settled {
        table: Some(op.table.clone()),
        result,
    };
    // A sequence number names one op of this device for ever: 1 and up, within what the
    // database's integers hold (numbers from 2^63 up would all have collided on the largest).
    let Ok(seq) = i64::try_from(op.seq) else {
        return Ok(answer(not_applied(
            op,
            format!("sequence number {} is out of range", op.seq),
        )));
    };
    if seq < 1 {
        return Ok(answer(not_applied(
            op,
            "sequence numbers start at 1".to_owned(),
        )));
    }
    let accepted = ledger.accepted_op(device_id, seq)?;
    if let Some(op_id) = accepted {
        // The same op sent again is answered as before; another op under a number already
        // used is never "accepted": the console must learn it was not stored.
        return Ok(answer(if op_id == op.op_id {
            OpResult::Accepted { op_id }
        } else {
            not_applied(
                op,
                format!("this console's sequence number {seq} was used by another change already"),
            )
        }));
    }
    let refused = ledger.kept_refusal(device_id, seq)?;
    if let Some((op_id, result, table)) = refused {
        if op_id != op.op_id {
            return Ok(answer(not_applied(
                op,
                format!("this console's sequence number {seq} was used by another change already"),
            )));
        }
        if let Ok(result) = serde_json::from_str(&result) {
            // Answered with the table of the op it answered, not what this request names.
            return Ok(Settled { table, result });
        }
    }
    // An op id names one change anywhere: the same id under another number is not applied
    // (answered as a refusal, not as the database's failure, which a console retries for ever).
    if ledger.op_recorded(&op.op_id)? {
        let result = not_applied(
            op,
            "a change with this op id was recorded already; this one is not applied".to_owned(),
        );
        keep_refusal(ledger, device_id, seq, op, &result)?;
        return Ok(answer(result));
    }
    let existing = match registry::table(&op.table) {
        Some(spec) => ledger.row(spec.name, &op.row_id)?,
        None => None,
    };
    let clamped = clamp_to_server_clock(ledger, op, clock)?;
    let op = clamped.as_ref().unwrap_or(op);
    match judge(ledger, principal, device_id, op, existing.as_ref())? {
        Ok(Verdict { kind, mut payload }) => {
            // One stored form for every time, whatever precision the console sent.
            if let Some(spec) = registry::table(&op.table) {
                spec.store_times(&mut payload);
            }
            stamp_who(principal, device_id, &op.table, &mut payload);
            record(ledger, principal, op, kind, &payload, existing.as_ref())?;
            Ok(answer(OpResult::Accepted {
                op_id: op.op_id.clone(),
            }))
        }
        Err(refusal) => {
            let result = OpResult::Rejected {
                op_id: op.op_id.clone(),
                reason: refusal.reason,
                winner: refusal.winner,
                rule: Some(refusal.rule),
            };
            keep_refusal(ledger, device_id, seq, op, &result)?;
            Ok(answer(result))
        }
    }
}

/// Who did it is who signed in, and where is the pushing console, not what the console wrote.
fn stamp_who(
    principal: &Principal,
    device_id: &str,
    table: &str,
    payload: &mut Map<String, Value>,
) {
    let stamps = [
        (registry::ACTOR_COLUMNS, principal.user.as_str()),
        (registry::DEVICE_COLUMNS, device_id),
    ];
    for (columns, stamp) in stamps {
        for (_, column) in columns.iter().filter(|(of, _)| *of == table) {
            // A null stays null: an optional actor column (who decided a poll) says nobody yet.
            if let Some(value) = payload.get_mut(*column).filter(|v| !v.is_null()) {
                *value = Value::String(stamp.to_owned());
            }
        }
    }
}

fn is_live(ledger: &mut impl Ledger, table: &str, row_id: &str) -> Result<bool, StoreError> {
    Ok(ledger.row(table, row_id)?.is_some_and(|row| !row.deleted))
}

/// What an accepted op does: its kind as recorded (an insert of a row the server holds
/// already is recorded as the update it amounts to) and the columns that won.
struct Verdict {
    kind: OpKind,
    payload: Map<String, Value>,
}

type Judged = Result<Result<Verdict, Refusal>, StoreError>;

fn accept(kind: OpKind, payload: Map<String, Value>) -> Verdict {
    Verdict { kind, payload }
}

/// An op stamped further ahead of the server's clock than [`MAX_CLOCK_AHEAD`] allows (or with
/// a counter near the end of its six digits, which would carry every console that saw it past
/// what a clock time can say), re-stamped at the server's time: later than every time the
/// server gave before, and later than the newest op it accepted from the same console, so one
/// console's edits keep their order while edits made elsewhere with a right clock win after
/// it. `None` when the op's own time stands.
fn clamp_to_server_clock(
    ledger: &mut impl Ledger,
    op: &Op,
    clock: &mut HlcClock,
) -> Result<Option<Op>, StoreError> {
    let Ok(stamped) = op.hlc.parse::<Hlc>() else {
        return Ok(None);
    };
    let now_ms = u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0);
    let limit = now_ms + u64::try_from(MAX_CLOCK_AHEAD.as_millis()).unwrap_or(u64::MAX);
    if stamped.wall_ms <= limit && stamped.counter < crate::COUNTER_LIMIT {
        return Ok(None);
    }
    // The console's newest op is its last in sequence (its clock never goes back), found
    // through the (device, seq) index rather than by reading all its ops.
    let newest = ledger.newest_clock(&op.device_id)?;
    // (An older server may hold one from far ahead; that one is not followed.)
    if let Some(newest) = newest
        .and_then(|h| h.parse::<Hlc>().ok())
        .filter(|h| h.wall_ms <= limit)
    {
        clock.catch_up(&newest);
    }
    let mut server_time = clock.tick(now_ms);
    server_time.device = stamped.device;
    tracing::warn!(
        device = %op.device_id,
        ahead_ms = stamped.wall_ms.saturating_sub(now_ms),
        counter = stamped.counter,
        "an op stamped too far ahead of the server's clock was re-stamped at its ceiling"
    );
    Ok(Some(Op {
        hlc: server_time.to_string(),
        ..op.clone()
    }))
}

/// Decides an op: what it does when accepted, or the refusal.
fn judge(
    ledger: &mut impl Ledger,
    principal: &Principal,
    device_id: &str,
    op: &Op,
    existing: Option<&Current>,
) -> Judged {
    if op.device_id != device_id {
        return Ok(Err(refuse(
            RefusalRule::Device,
            "the op names another device than the push",
            None,
        )));
    }
    let Some(spec) = registry::table(&op.table) else {
        return Ok(Err(refuse(
            RefusalRule::Table,
            format!("there is no replicated table {:?}", op.table),
            None,
        )));
    };
    // What the console must fall back to when refused: the server's live row, if any.
    let fallback = || existing.filter(|c| !c.deleted).map(|c| c.data.clone());
    if !spec.writable_by(principal.role) {
        return Ok(Err(refuse(
            RefusalRule::Role,
            format!(
                "the {} role may not change {}",
                principal.role.as_str(),
                spec.label.to_lowercase()
            ),
            fallback(),
        )));
    }
    if let Some(column) = op.payload.keys().find(|c| !spec.has_column(c)) {
        return Ok(Err(refuse(
            RefusalRule::Column,
            format!("{} has no column {column:?}", spec.name),
            fallback(),
        )));
    }
    if let Err(problem) = spec.check_values(&op.payload) {
        return Ok(Err(refuse(
            RefusalRule::Value,
            format!("{} {problem}", spec.row_noun),
            fallback(),
        )));
    }
    let Ok(made) = op.hlc.parse::<Hlc>() else {
        return Ok(Err(refuse(
            RefusalRule::Clock,
            format!("{:?} is not a clock time", op.hlc),
            fallback(),
        )));
    };
    // The rules that judge a value by when the edit was made: the same as the console's. The
    // op's clock says when, but a client chooses it: an edit is never judged as made more
    // than a day before it arrived (a console offline for a day keeps its edits judged at
    // their time; a clock set back cannot put a bookable launch weeks in the past).
    if op.kind != OpKind::Delete {
        let arrived = Utc::now();
        let made_at = i64::try_from(made.wall_ms)
            .ok()
            .and_then(DateTime::from_timestamp_millis)
            .unwrap_or(arrived)
            .max(arrived - rules::OLDEST_EDIT_JUDGED);
        let status = existing
            .filter(|c| !c.deleted)
            .and_then(|c| c.data.get("status"))
            .and_then(Value::as_str);
        if let Err(problem) = rules::check_edit(spec.name, &op.payload, status, made_at) {
            return Ok(Err(refuse(
                RefusalRule::Value,
                format!("{} {problem}", spec.row_noun),
                fallback(),
            )));
        }
    }
    if spec.policy == ConflictPolicy::AppendOnly && op.kind != OpKind::Insert {
        return Ok(Err(refuse(
            RefusalRule::AppendOnly,
            format!(
                "{} are append-only: rows are added, never changed or deleted",
                spec.label.to_lowercase()
            ),
            fallback(),
        )));
    }
    if let Some(reason) = commanding::refusal(ledger, principal, op, existing)? {
        return Ok(Err(refuse(RefusalRule::Command, reason, fallback())));
    }
    if let Some(reason) = launch_day::refusal(ledger, principal, op, existing)? {
        return Ok(Err(refuse(RefusalRule::LaunchDay, reason, fallback())));
    }
    match op.kind {
        OpKind::Insert => judge_insert(ledger, spec, op, existing),
        OpKind::Update => judge_update(ledger, spec, op, existing),
        OpKind::Delete => judge_delete(ledger, spec, op, existing),
    }
}

fn judge_insert(
    ledger: &mut impl Ledger,
    spec: &ReplicatedTable,
    op: &Op,
    existing: Option<&Current>,
) -> Judged {
    if let Some(existing) = existing {
        if existing.deleted {
            return Ok(Err(refuse(
                RefusalRule::RowDeleted,
                "the row was deleted on the server",
                None,
            )));
        }
        // Two consoles that made the same row (the demo dataset, whose ids come from its
        // names) hold one row: the second insert is the update it amounts to.
        if spec.policy == ConflictPolicy::AppendOnly {
            return if existing.data == op.payload {
                Ok(Ok(accept(OpKind::Update, Map::new())))
            } else {
                Ok(Err(refuse(
                    RefusalRule::RowExists,
                    "a different row with this id exists already",
                    Some(existing.data.clone()),
                )))
            };
        }
        return judge_update(ledger, spec, op, Some(existing));
    }
    let missing: Vec<&str> = spec
        .column_names()
        .filter(|c| !op.payload.contains_key(*c))
        .collect();
    if !missing.is_empty() {
        return Ok(Err(refuse(
            RefusalRule::Column,
            format!(
                "a new row needs every column; missing {}",
                missing.join(", ")
            ),
            None,
        )));
    }
    if let Some(refusal) = dangling_reference(ledger, spec, &op.payload)? {
        return Ok(Err(refusal));
    }
    if let Some(refusal) = exclusive_taken(ledger, spec, &op.row_id, &op.payload)? {
        return Ok(Err(refusal));
    }
    if let Some(reason) = key_taken(ledger, spec, &op.row_id, &op.payload)? {
        return Ok(Err(refuse(RefusalRule::UniqueKey, reason, None)));
    }
    Ok(Ok(accept(OpKind::Insert, op.payload.clone())))
}

fn judge_update(
    ledger: &mut impl Ledger,
    spec: &ReplicatedTable,
    op: &Op,
    existing: Option<&Current>,
) -> Judged {
    let Some(existing) = existing else {
        return Ok(Err(refuse(
            RefusalRule::RowMissing,
            "the row does not exist on the server",
            None,
        )));
    };
    if existing.deleted {
        return Ok(Err(refuse(
            RefusalRule::RowDeleted,
            "the row was deleted on the server",
            None,
        )));
    }
    // Per column, the later clock time wins.
    let mut winning = Map::new();
    for (column, value) in &op.payload {
        let stored = existing.clocks.get(column).and_then(Value::as_str);
        if stored.is_none_or(|stored| op.hlc.as_str() > stored) {
            winning.insert(column.clone(), value.clone());
        }
    }
    if let Some(refusal) = dangling_reference(ledger, spec, &winning)? {
        return Ok(Err(refusal));
    }
    if let Some(transitions) = spec.transitions
        && let Some(Value::String(to)) = winning.get(transitions.column)
        && let Some(Value::String(from)) = existing.data.get(transitions.column)
        && !transitions.allows(from, to)
    {
        return Ok(Err(refuse(
            RefusalRule::Transition,
            format!("{} cannot go from {from} to {to}", transitions.column),
            Some(existing.data.clone()),
        )));
    }
    let mut merged = existing.data.clone();
    merged.extend(winning.clone());
    if let Some(refusal) = exclusive_taken(ledger, spec, &op.row_id, &merged)? {
        // The console falls back to the server's version of this row; the holder is named.
        return Ok(Err(Refusal {
            winner: Some(existing.data.clone()),
            ..refusal
        }));
    }
    if let Some(reason) = key_taken(ledger, spec, &op.row_id, &merged)? {
        return Ok(Err(refuse(
            RefusalRule::UniqueKey,
            reason,
            Some(existing.data.clone()),
        )));
    }
    Ok(Ok(accept(OpKind::Update, winning)))
}

fn judge_delete(
    ledger: &mut impl Ledger,
    spec: &ReplicatedTable,
    op: &Op,
    existing: Option<&Current>,
) -> Judged {
    let Some(existing) = existing else {
        return Ok(Err(refuse(
            RefusalRule::RowMissing,
            "the row does not exist on the server",
            None,
        )));
    };
    if existing.deleted {
        return Ok(Ok(accept(OpKind::Delete, Map::new())));
    }
    for child in TABLES {
        for fk in child.foreign_keys.iter().filter(|fk| fk.table == spec.name) {
            // The expression is spelled as its index has it (`index_references`), so this
            // counts from the index instead of reading every row of the child table.
            let users = ledger.live_references(child.name, fk.column, &op.row_id)?;
            if users > 0 {
                return Ok(Err(refuse(
                    RefusalRule::StillUsed,
                    format!("still used by {users} {}", child.label.to_lowercase()),
                    Some(existing.data.clone()),
                )));
            }
        }
    }
    Ok(Ok(accept(OpKind::Delete, Map::new())))
}

/// Why `row` (the row as it would be) cannot hold its unique keys: another live row of the
/// table holds one of them. `None` when every key is free.
fn key_taken(
    ledger: &mut impl Ledger,
    spec: &ReplicatedTable,
    row_id: &str,
    row: &Map<String, Value>,
) -> Result<Option<String>, StoreError> {
    spec.taken_key(row, |key, wanted| {
        let values = ledger.live_values(spec.name, key.column, row_id)?;
        Ok(values.into_iter().any(|value| {
            registry::UniqueKey::normalised(value.map(Value::String).as_ref()).as_deref()
                == Some(wanted)
        }))
    })
}

/// The refusal when `row` (the row as it would be) would hold a resource another live row
/// already holds. The holder is named in the reason; the refusal's winner stays the server's
/// version of this row (none for an insert), which is what the console falls back to.
fn exclusive_taken(
    ledger: &mut impl Ledger,
    spec: &ReplicatedTable,
    row_id: &str,
    row: &Map<String, Value>,
) -> Result<Option<Refusal>, StoreError> {
    let Some(rule) = spec.exclusive else {
        return Ok(None);
    };
    let text = |column: &str| row.get(column).and_then(Value::as_str);
    let now = Utc::now();
    let status = text(rule.status_column).unwrap_or_default();
    let expiry = rule.hold.and_then(|(_, column)| text(column));
    if !rule.holds(status, expiry, now) {
        return Ok(None);
    }
    let Some(key) = rule
        .key
        .iter()
        .map(|column| text(column))
        .collect::<Option<Vec<&str>>>()
    else {
        return Ok(None);
    };
    let held: Vec<(&str, &str)> = rule.key.iter().copied().zip(key.iter().copied()).collect();
    let holders = ledger.live_rows_holding(spec.name, &held, row_id)?;
    for other in holders {
        let other_text = |column: &str| other.get(column).and_then(Value::as_str);
        let other_status = other_text(rule.status_column).unwrap_or_default();
        let other_expiry = rule.hold.and_then(|(_, column)| other_text(column));
        if rule.holds(other_status, other_expiry, now) {
            let name = other_text("locator").map_or_else(String::new, |l| format!(" {l}"));
            return Ok(Some(refuse(
                RefusalRule::Exclusive,
                format!(
                    "{}: {} is already held by {}{name} ({other_status})",
                    rule.rule,
                    key.join(" / "),
                    spec.row_noun,
                ),
                None,
            )));
        }
    }
    Ok(None)
}

fn dangling_reference(
    ledger: &mut impl Ledger,
    spec: &ReplicatedTable,
    values: &Map<String, Value>,
) -> Result<Option<Refusal>, StoreError> {
    for fk in spec.foreign_keys {
        if let Some(Value::String(target)) = values.get(fk.column)
            && !is_live(ledger, fk.table, target)?
        {
            return Ok(Some(refuse(
                RefusalRule::Reference,
                format!(
                    "{} names a row of {} that does not exist on the server",
                    fk.column, fk.table
                ),
                None,
            )));
        }
    }
    Ok(None)
}

/// Stores an accepted op: the op log entry, and the row's new state with its column clocks.
fn record(
    ledger: &mut impl Ledger,
    principal: &Principal,
    op: &Op,
    kind: OpKind,
    effective: &Map<String, Value>,
    existing: Option<&Current>,
) -> Result<(), StoreError> {
    let row = (kind != OpKind::Delete).then(|| {
        let (mut data, mut clocks) =
            existing.map_or_else(Default::default, |c| (c.data.clone(), c.clocks.clone()));
        for (column, value) in effective {
            data.insert(column.clone(), value.clone());
            clocks.insert(column.clone(), Value::String(op.hlc.clone()));
        }
        (data, clocks)
    });
    ledger.record(&Recorded {
        op,
        kind,
        effective,
        user: &principal.user,
        row,
    })
}
