//! Repairs, when the server starts, rows that an older version let break a rule: a second
//! row holding a unique key (two vehicles named "Aurora", or "Aurora" and "AURORA", which an
//! older replica told apart), a value outside its column's rule (a body mass of -5 kg), a
//! column clock far in the future. Left alone, such a row stops consoles' pulls.
//!
//! Nothing is removed that can be mended: the oldest holder of a key keeps it and later ones
//! are renamed ("Aurora (2)"); a bad optional value is cleared; a row is removed only when a
//! required column holds a value that cannot stand, and then what refers to it through a
//! required reference goes with it (an optional reference is cleared instead). Each change is
//! an op the server makes itself (device [`SERVER_DEVICE`]) carrying a [`RefusalNotice`] for
//! the console that wrote the offending value, which lands in its conflicts inbox. A personal
//! column's value is never repeated in a reason, which every console receives.

use std::collections::BTreeMap;

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension as _, Transaction, TransactionBehavior, params};
use serde_json::{Map, Value};

use galaxium_sync::hlc::{Hlc, HlcClock};
use galaxium_sync::protocol::{MAX_CLOCK_AHEAD, OpKind, RefusalNotice, RefusalRule, SERVER_DEVICE};
use galaxium_sync::schema::registry::{ReplicatedTable, TABLES, UniqueKey};

/// A row the repair removed or changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepairedRow {
    /// Its table.
    pub table: String,
    /// Its id.
    pub row_id: String,
    /// Why, as its author's inbox shows it.
    pub reason: String,
    /// The console told of it (the device that wrote the offending value), if known.
    pub author: Option<String>,
}

/// What one repair did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepairReport {
    /// Rows removed, parents after the rows that referred to them.
    pub removed: Vec<RepairedRow>,
    /// Rows changed instead: renamed off a taken key, a bad optional value cleared, a
    /// reference to a removed row cleared.
    pub changed: Vec<RepairedRow>,
    /// Column clocks that stood further ahead than the server's clock allows, set to its time.
    pub clocks_clamped: usize,
}

impl RepairReport {
    /// Logs what was done, one line per row.
    pub fn log(&self) {
        for row in &self.removed {
            tracing::warn!(
                table = %row.table,
                row = %row.row_id,
                author = row.author.as_deref().unwrap_or("unknown"),
                reason = %row.reason,
                "repair: removed a row that breaks a rule; its author is told"
            );
        }
        for row in &self.changed {
            tracing::warn!(
                table = %row.table,
                row = %row.row_id,
                author = row.author.as_deref().unwrap_or("unknown"),
                reason = %row.reason,
                "repair: changed a row that broke a rule; its author is told"
            );
        }
        if self.clocks_clamped > 0 {
            tracing::warn!(
                clocks = self.clocks_clamped,
                "repair: column clocks far ahead of the server's clock set to its time"
            );
        }
    }
}

/// The version of the rules the repair enforces; a newer one (a new key, a stricter column)
/// makes the next start repair again.
const RULES: i64 = 1;

/// Whether the repair has run for this version of the rules.
pub(crate) fn done(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM repairs WHERE rules = ?1)",
        [RULES],
        |r| r.get(0),
    )
}

/// Finds and repairs offending rows in one transaction, and records that it ran; a database
/// without any is otherwise left as it was.
pub(crate) fn repair(
    conn: &mut Connection,
    clock: &mut HlcClock,
) -> rusqlite::Result<RepairReport> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut report = RepairReport::default();
    clamp_future_clocks(&tx, clock, &mut report)?;
    // Parents before children: a child of a removed parent is removed with it, with its
    // own notice, before its table's turn comes.
    for spec in TABLES {
        let rows = live_rows(&tx, spec.name)?;
        let mut removed: Vec<String> = Vec::new();
        for (row_id, data) in &rows {
            let Some(repair) = value_repair(spec, data) else {
                continue;
            };
            match repair {
                ValueRepair::Remove { reason, column } => {
                    removed.push(row_id.clone());
                    let offending = Offending {
                        row_id: row_id.clone(),
                        reason,
                        column: Some(column),
                        rule: RefusalRule::Value,
                    };
                    remove(&tx, clock, spec, &offending, &mut report)?;
                }
                ValueRepair::Clear {
                    columns,
                    reason,
                    column,
                } => {
                    let change = Offending {
                        row_id: row_id.clone(),
                        reason,
                        column: Some(column),
                        rule: RefusalRule::Value,
                    };
                    change_row(&tx, clock, spec, &change, columns, &mut report)?;
                }
            }
        }
        // The oldest holder of a key keeps it; every later one is renamed off it, so that
        // nothing that refers to it is lost ("Aurora" and "AURORA" were two rows to an older
        // replica, which compared names byte for byte).
        let live: Vec<(String, Map<String, Value>)> = rows
            .into_iter()
            .filter(|(id, _)| !removed.contains(id))
            .collect();
        for key in spec.unique_keys {
            let mut taken: Vec<String> = live
                .iter()
                .filter_map(|(_, data)| UniqueKey::normalised(data.get(key.column)))
                .collect();
            for (row_id, shown) in later_holders(&tx, spec, key, &live)? {
                // At most one more name than there are holders is ever needed.
                let renamed = (2..=taken.len() + 2)
                    .map(|n| format!("{shown} ({n})"))
                    .find(|name| !taken.contains(&name.trim().to_lowercase()))
                    .unwrap_or_else(|| format!("{shown} ({row_id})"));
                taken.push(renamed.trim().to_lowercase());
                let mut columns = Map::new();
                columns.insert(key.column.to_owned(), Value::String(renamed.clone()));
                let change = Offending {
                    row_id,
                    reason: format!("{}; this one is now {renamed:?}", key.taken(&shown)),
                    column: Some(key.column),
                    rule: RefusalRule::UniqueKey,
                };
                change_row(&tx, clock, spec, &change, columns, &mut report)?;
            }
        }
    }
    tx.execute(
        "INSERT OR REPLACE INTO repairs (rules, ran_at) VALUES (?1, ?2)",
        params![RULES, galaxium_sync::time::stored(Utc::now())],
    )?;
    tx.commit()?;
    Ok(report)
}

fn live_rows(
    tx: &Transaction<'_>,
    table: &str,
) -> rusqlite::Result<Vec<(String, Map<String, Value>)>> {
    let mut stmt =
        tx.prepare("SELECT row_id, data FROM rows WHERE table_name = ?1 AND deleted = 0")?;
    stmt.query_map([table], |r| {
        let data: String = r.get(1)?;
        Ok((r.get(0)?, serde_json::from_str(&data).unwrap_or_default()))
    })?
    .collect()
}

/// Rows holding `key` after an older row took it, with the key as each holds it.
fn later_holders(
    tx: &Transaction<'_>,
    spec: &ReplicatedTable,
    key: &UniqueKey,
    rows: &[(String, Map<String, Value>)],
) -> rusqlite::Result<Vec<(String, String)>> {
    let mut holders: BTreeMap<String, Vec<(i64, String, String)>> = BTreeMap::new();
    for (row_id, data) in rows {
        let Some(normalised) = UniqueKey::normalised(data.get(key.column)) else {
            continue;
        };
        let first: Option<i64> = tx.query_row(
            "SELECT min(cursor) FROM ops WHERE table_name = ?1 AND row_id = ?2",
            params![spec.name, row_id],
            |r| r.get(0),
        )?;
        let shown = data
            .get(key.column)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim()
            .to_owned();
        holders.entry(normalised).or_default().push((
            first.unwrap_or(i64::MAX),
            row_id.clone(),
            shown,
        ));
    }
    let mut later = Vec::new();
    for mut group in holders.into_values().filter(|g| g.len() > 1) {
        group.sort();
        later.extend(
            group
                .into_iter()
                .skip(1)
                .map(|(_, row_id, shown)| (row_id, shown)),
        );
    }
    Ok(later)
}

/// What a row whose values break their columns' rules needs.
enum ValueRepair {
    /// A required column is bad: there is no value to put in its place.
    Remove {
        reason: String,
        column: &'static str,
    },
    /// Only optional columns are bad: they are cleared (set to null).
    Clear {
        columns: Map<String, Value>,
        reason: String,
        column: &'static str,
    },
}

/// Whether a row's values break their columns' rules, and what mends it. Columns the
/// registry does not know are left alone (a newer server may have written them). A
/// personal column's value is never repeated in a reason, which every console receives.
fn value_repair(spec: &ReplicatedTable, data: &Map<String, Value>) -> Option<ValueRepair> {
    let mut cleared = Map::new();
    let mut first: Option<(String, &'static str)> = None;
    for column in spec.columns {
        let Some(value) = data.get(column.name) else {
            continue;
        };
        let Err(problem) = column.check(value) else {
            continue;
        };
        let reason = if spec.personal_columns.contains(&column.name) {
            format!(
                "{} {}: its value does not fit the column",
                spec.row_noun, column.name
            )
        } else {
            format!("{} {problem}", spec.row_noun)
        };
        if !column.nullable {
            return Some(ValueRepair::Remove {
                reason,
                column: column.name,
            });
        }
        cleared.insert(column.name.to_owned(), Value::Null);
        first.get_or_insert((reason, column.name));
    }
    first.map(|(reason, column)| ValueRepair::Clear {
        columns: cleared,
        reason: format!("{reason}; cleared"),
        column,
    })
}

/// The op that wrote the offending value: the latest one of the row that set `column`, or
/// the row's insert.
fn author_of(
    tx: &Transaction<'_>,
    table: &str,
    row_id: &str,
    column: Option<&str>,
) -> rusqlite::Result<Option<(String, String, OpKind)>> {
    let mut stmt = tx.prepare(
        "SELECT op_id, device_id, kind, payload FROM ops
         WHERE table_name = ?1 AND row_id = ?2 AND device_id <> ?3 ORDER BY cursor DESC",
    )?;
    let ops: Vec<(String, String, String, String)> = stmt
        .query_map(params![table, row_id, SERVER_DEVICE], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let setter = column.and_then(|column| {
        ops.iter().find(|(_, _, _, payload)| {
            serde_json::from_str::<Map<String, Value>>(payload)
                .is_ok_and(|p| p.contains_key(column))
        })
    });
    let chosen = setter.or_else(|| ops.iter().rev().find(|(_, _, kind, _)| kind == "insert"));
    Ok(chosen.map(|(op_id, device, kind, _)| {
        (
            op_id.clone(),
            device.clone(),
            OpKind::parse(kind).unwrap_or(OpKind::Insert),
        )
    }))
}

/// Removes one row, the live rows that refer to it first, each with a notice to its author.
/// A row that breaks a rule: why, the column that does (none for a row removed with the row
/// it refers to), and the rule.
struct Offending {
    row_id: String,
    reason: String,
    column: Option<&'static str>,
    rule: RefusalRule,
}

fn remove(
    tx: &Transaction<'_>,
    clock: &mut HlcClock,
    spec: &ReplicatedTable,
    offending: &Offending,
    report: &mut RepairReport,
) -> rusqlite::Result<()> {
    let Offending {
        row_id,
        reason,
        column,
        rule,
    } = offending;
    let data: Option<String> = tx
        .query_row(
            "SELECT data FROM rows WHERE table_name = ?1 AND row_id = ?2 AND deleted = 0",
            params![spec.name, row_id],
            |r| r.get(0),
        )
        .optional()?;
    let Some(data) = data else {
        return Ok(());
    };
    for child in TABLES {
        for fk in child.foreign_keys.iter().filter(|fk| fk.table == spec.name) {
            let children: Vec<String> = tx
                .prepare(
                    "SELECT row_id FROM rows WHERE table_name = ?1 AND deleted = 0
                     AND json_extract(data, '$.' || ?2) = ?3",
                )?
                .query_map(params![child.name, fk.column, row_id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let because = format!("the {} it refers to was removed: {reason}", spec.row_noun);
            let optional = child.column(fk.column).is_some_and(|c| c.nullable);
            for child_id in children {
                let child_row = Offending {
                    row_id: child_id,
                    reason: because.clone(),
                    column: optional.then_some(fk.column),
                    rule: RefusalRule::Reference,
                };
                if optional {
                    // An optional reference is cleared; the row itself stays.
                    let mut columns = Map::new();
                    columns.insert(fk.column.to_owned(), Value::Null);
                    change_row(tx, clock, child, &child_row, columns, report)?;
                } else {
                    remove(tx, clock, child, &child_row, report)?;
                }
            }
        }
    }
    let author = author_of(tx, spec.name, row_id, *column)?;
    let notice = author
        .as_ref()
        .map(|(op_id, device_id, kind)| RefusalNotice {
            device_id: device_id.clone(),
            op_id: op_id.clone(),
            kind: *kind,
            reason: reason.clone(),
            rule: Some(*rule),
            attempted: serde_json::from_str(&data).unwrap_or_default(),
        });
    server_op(
        tx,
        clock,
        spec,
        row_id,
        OpKind::Delete,
        &Map::new(),
        notice.as_ref(),
    )?;
    tx.execute(super::store::MARK_DELETED, params![spec.name, row_id])?;
    report.removed.push(RepairedRow {
        table: spec.name.to_owned(),
        row_id: row_id.to_owned(),
        reason: reason.to_owned(),
        author: author.map(|(_, device, _)| device),
    });
    Ok(())
}

/// Records an op of the server's own in the op log; returns its clock time.
fn server_op(
    tx: &Transaction<'_>,
    clock: &mut HlcClock,
    spec: &ReplicatedTable,
    row_id: &str,
    kind: OpKind,
    payload: &Map<String, Value>,
    notice: Option<&RefusalNotice>,
) -> rusqlite::Result<String> {
    let now = Utc::now();
    let now_ms = u64::try_from(now.timestamp_millis()).unwrap_or(0);
    let seq: i64 = tx.query_row(
        "SELECT coalesce(max(seq), 0) + 1 FROM ops WHERE device_id = ?1",
        [SERVER_DEVICE],
        |r| r.get(0),
    )?;
    let hlc = clock.tick(now_ms).to_string();
    tx.execute(
        "INSERT INTO ops (op_id, device_id, seq, hlc, table_name, row_id, kind, payload, user, received_at, notice)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?2, ?9, ?10)",
        params![
            uuid::Uuid::now_v7().to_string(),
            SERVER_DEVICE,
            seq,
            hlc,
            spec.name,
            row_id,
            kind.as_str(),
            Value::Object(payload.clone()).to_string(),
            galaxium_sync::time::stored(now),
            notice.and_then(|n| serde_json::to_string(n).ok()),
        ],
    )?;
    Ok(hlc)
}

/// Changes columns of one row with an op of the server's own, with a notice to the console
/// that wrote the offending value.
fn change_row(
    tx: &Transaction<'_>,
    clock: &mut HlcClock,
    spec: &ReplicatedTable,
    change: &Offending,
    columns: Map<String, Value>,
    report: &mut RepairReport,
) -> rusqlite::Result<()> {
    let stored: Option<(String, String)> = tx
        .query_row(
            "SELECT data, clocks FROM rows WHERE table_name = ?1 AND row_id = ?2 AND deleted = 0",
            params![spec.name, change.row_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((data, clocks)) = stored else {
        return Ok(());
    };
    let author = author_of(tx, spec.name, &change.row_id, change.column)?;
    let notice = author
        .as_ref()
        .map(|(op_id, device_id, kind)| RefusalNotice {
            device_id: device_id.clone(),
            op_id: op_id.clone(),
            kind: *kind,
            reason: change.reason.clone(),
            rule: Some(change.rule),
            attempted: serde_json::from_str(&data).unwrap_or_default(),
        });
    let hlc = server_op(
        tx,
        clock,
        spec,
        &change.row_id,
        OpKind::Update,
        &columns,
        notice.as_ref(),
    )?;
    let mut data: Map<String, Value> = serde_json::from_str(&data).unwrap_or_default();
    let mut clocks: Map<String, Value> = serde_json::from_str(&clocks).unwrap_or_default();
    for (column, value) in columns {
        clocks.insert(column.clone(), Value::String(hlc.clone()));
        data.insert(column, value);
    }
    tx.execute(
        "UPDATE rows SET data = ?3, clocks = ?4 WHERE table_name = ?1 AND row_id = ?2",
        params![
            spec.name,
            change.row_id,
            Value::Object(data).to_string(),
            Value::Object(clocks).to_string()
        ],
    )?;
    report.changed.push(RepairedRow {
        table: spec.name.to_owned(),
        row_id: change.row_id.clone(),
        reason: change.reason.clone(),
        author: author.map(|(_, device, _)| device),
    });
    Ok(())
}

/// Sets every column clock further ahead than [`MAX_CLOCK_AHEAD`] to the server's time, so
/// that later edits of those columns can win again.
fn clamp_future_clocks(
    tx: &Transaction<'_>,
    clock: &mut HlcClock,
    report: &mut RepairReport,
) -> rusqlite::Result<()> {
    let now_ms = u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0);
    let limit = now_ms + u64::try_from(MAX_CLOCK_AHEAD.as_millis()).unwrap_or(u64::MAX);
    let far = Hlc {
        wall_ms: limit,
        counter: 999_999,
        device: String::new(),
    }
    .to_string();
    // Clocks are fixed-width text, so a text comparison finds the rows worth parsing.
    let rows: Vec<(String, String, String)> = tx
        .prepare(
            "SELECT table_name, row_id, clocks FROM rows
             WHERE EXISTS (SELECT 1 FROM json_each(rows.clocks) WHERE value > ?1)",
        )?
        .query_map([&far], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (table, row_id, clocks) in rows {
        let mut clocks: Map<String, Value> = serde_json::from_str(&clocks).unwrap_or_default();
        for value in clocks.values_mut() {
            let Some(stamped) = value.as_str().and_then(|t| t.parse::<Hlc>().ok()) else {
                continue;
            };
            if stamped.wall_ms > limit {
                let mut server_time = clock.tick(now_ms);
                server_time.device = stamped.device;
                *value = Value::String(server_time.to_string());
                report.clocks_clamped += 1;
            }
        }
        tx.execute(
            "UPDATE rows SET clocks = ?3 WHERE table_name = ?1 AND row_id = ?2",
            params![table, row_id, Value::Object(clocks).to_string()],
        )?;
    }
    Ok(())
}
