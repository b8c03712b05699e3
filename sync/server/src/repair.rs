//! Repairs, when the server starts, rows that an older version let break a rule: a second
//! row holding a unique key (two vehicles named "Aurora"), a value outside its column's rule
//! (a body mass of -5 kg), a column clock far in the future. Left alone, such a row stops
//! every console's pull for good.
//!
//! The oldest holder of a key keeps it. Every other offending row is removed by an op the
//! server makes itself (device [`SERVER_DEVICE`]), after the rows that refer to it, and each
//! such op carries a [`RefusalNotice`] for the console that wrote the row, which puts the
//! refusal in its conflicts inbox: nothing is dropped without a person hearing of it.

use std::collections::BTreeMap;

use chrono::{SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension as _, Transaction, TransactionBehavior, params};
use serde_json::{Map, Value};

use galaxium_sync::hlc::{Hlc, HlcClock};
use galaxium_sync::protocol::{MAX_CLOCK_AHEAD, OpKind, RefusalNotice, RefusalRule, SERVER_DEVICE};
use galaxium_sync::schema::registry::{ReplicatedTable, TABLES, UniqueKey};

/// A row the repair removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovedRow {
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
    pub removed: Vec<RemovedRow>,
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
        if self.clocks_clamped > 0 {
            tracing::warn!(
                clocks = self.clocks_clamped,
                "repair: column clocks far ahead of the server's clock set to its time"
            );
        }
    }
}

/// Finds and repairs offending rows in one transaction; a database without any is left as
/// it was.
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
        let mut offending: Vec<Offending> = Vec::new();
        for (row_id, data) in &rows {
            if let Err(problem) = spec.check_values(data) {
                let column = spec.column(&problem.column).map(|c| c.name);
                offending.push(Offending {
                    row_id: row_id.clone(),
                    reason: format!("{} {problem}", spec.row_noun),
                    column,
                    rule: RefusalRule::Value,
                });
            }
        }
        for key in spec.unique_keys {
            offending.extend(
                later_holders(&tx, spec, key, &rows, &offending)?
                    .into_iter()
                    .map(|(row_id, reason)| Offending {
                        row_id,
                        reason,
                        column: Some(key.column),
                        rule: RefusalRule::UniqueKey,
                    }),
            );
        }
        for row in offending {
            remove(&tx, clock, spec, &row, &mut report)?;
        }
    }
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

/// Rows holding `key` after an older row took it, with the refusal each gets.
fn later_holders(
    tx: &Transaction<'_>,
    spec: &ReplicatedTable,
    key: &UniqueKey,
    rows: &[(String, Map<String, Value>)],
    already: &[Offending],
) -> rusqlite::Result<Vec<(String, String)>> {
    let mut holders: BTreeMap<String, Vec<(i64, String, String)>> = BTreeMap::new();
    for (row_id, data) in rows {
        if already.iter().any(|o| &o.row_id == row_id) {
            continue;
        }
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
                .map(|(_, row_id, shown)| (row_id, key.taken(&shown))),
        );
    }
    Ok(later)
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
            for child_id in children {
                let child_row = Offending {
                    row_id: child_id,
                    reason: because.clone(),
                    column: None,
                    rule: RefusalRule::Reference,
                };
                remove(tx, clock, child, &child_row, report)?;
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
    let now = Utc::now();
    let now_ms = u64::try_from(now.timestamp_millis()).unwrap_or(0);
    let seq: i64 = tx.query_row(
        "SELECT coalesce(max(seq), 0) + 1 FROM ops WHERE device_id = ?1",
        [SERVER_DEVICE],
        |r| r.get(0),
    )?;
    tx.execute(
        "INSERT INTO ops (op_id, device_id, seq, hlc, table_name, row_id, kind, payload, user, received_at, notice)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'delete', '{}', ?2, ?7, ?8)",
        params![
            uuid::Uuid::now_v7().to_string(),
            SERVER_DEVICE,
            seq,
            clock.tick(now_ms).to_string(),
            spec.name,
            row_id,
            now.to_rfc3339_opts(SecondsFormat::Millis, true),
            notice.as_ref().and_then(|n| serde_json::to_string(n).ok()),
        ],
    )?;
    tx.execute(
        "UPDATE rows SET deleted = 1 WHERE table_name = ?1 AND row_id = ?2",
        params![spec.name, row_id],
    )?;
    report.removed.push(RemovedRow {
        table: spec.name.to_owned(),
        row_id: row_id.to_owned(),
        reason: reason.to_owned(),
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
