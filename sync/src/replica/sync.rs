//! The replica's side of sync: pending ops out, server verdicts and pulled ops in, the
//! conflicts inbox, and the history of sync runs.

use std::collections::HashMap;

use chrono::{SecondsFormat, Utc};
use rusqlite::{OptionalExtension as _, Transaction, TransactionBehavior, params};
use serde_json::{Map, Value};

use super::{Replica, ReplicaError, meta, values};
use crate::hlc::Hlc;
use crate::protocol::{Op, OpKind, OpResult, ServerOp};
use crate::schema::manifest::{self, ReplicatedTable};

/// An edit the server refused, waiting for a person.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// The inbox entry's id.
    pub id: String,
    /// The refused op.
    pub op_id: String,
    /// Its table.
    pub table: String,
    /// Its row.
    pub row_id: String,
    /// What kind of change it was.
    pub kind: String,
    /// What this console tried to write.
    pub attempted: Map<String, Value>,
    /// Why the server refused it.
    pub reason: String,
    /// The server's version of the row, which is now also this replica's.
    pub winner: Option<Map<String, Value>>,
    /// When the refusal arrived (RFC 3339).
    pub received_at: String,
    /// How a person settled it, if they have.
    pub resolution: Option<String>,
}

/// A kept sign-in: enough to sync again without the password until it expires.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignIn {
    /// The server's address.
    pub server: String,
    /// User name.
    pub user: String,
    /// Their role.
    pub role: String,
    /// Bearer token.
    pub token: String,
    /// When it expires (RFC 3339).
    pub expires_at: String,
}

/// A sandbox joined to a training session on a server: it syncs with the session's
/// namespace, never with operations.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TrainingLink {
    /// The server's address.
    pub server: String,
    /// The session's id.
    pub session: String,
    /// The scenario it plays.
    pub scenario: String,
    /// Whether this console hosts it (plays the scenario and runs the clock) or follows it.
    pub hosting: bool,
}

impl SignIn {
    /// Whether it still works at `now`.
    pub fn is_valid_at(&self, now: chrono::DateTime<Utc>) -> bool {
        chrono::DateTime::parse_from_rfc3339(&self.expires_at).is_ok_and(|t| t > now)
    }
}

/// One sync run, for the history.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncRun {
    /// When it started (RFC 3339).
    pub started_at: String,
    /// How long it took.
    pub duration_ms: u64,
    /// The server's address.
    pub server: String,
    /// Ops sent.
    pub pushed: u64,
    /// Of those, how many the server refused.
    pub rejected: u64,
    /// Ops received.
    pub pulled: u64,
    /// Request bytes sent.
    pub bytes_up: u64,
    /// Response bytes received.
    pub bytes_down: u64,
    /// Why it stopped, if it failed.
    pub error: Option<String>,
}

impl Replica {
    /// The oldest local ops the server has not yet accepted, in sequence order.
    pub fn pending_ops(&self, limit: usize) -> Result<Vec<Op>, ReplicaError> {
        let read = || -> rusqlite::Result<Vec<Op>> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT seq, op_id, hlc, table_name, row_id, kind, payload
                 FROM outbox ORDER BY seq LIMIT ?1",
            )?;
            stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |row| {
                let payload: String = row.get(6)?;
                let kind: String = row.get(5)?;
                Ok(Op {
                    seq: row.get::<_, i64>(0)?.unsigned_abs(),
                    op_id: row.get(1)?,
                    device_id: self.device_id.clone(),
                    hlc: row.get(2)?,
                    table: row.get(3)?,
                    row_id: row.get(4)?,
                    kind: OpKind::parse(&kind).unwrap_or(OpKind::Update),
                    payload: serde_json::from_str(&payload).unwrap_or_default(),
                })
            })?
            .collect()
        };
        read().map_err(ReplicaError::sqlite("reading the outbox", &self.path))
    }

    /// How many local ops wait for the server.
    pub fn pending_count(&self) -> Result<u64, ReplicaError> {
        self.conn
            .query_row("SELECT count(*) FROM outbox", [], |row| {
                row.get::<_, i64>(0)
            })
            .map(i64::unsigned_abs)
            .map_err(ReplicaError::sqlite("counting the outbox", &self.path))
    }

    /// The server cursor this replica has pulled up to.
    pub fn sync_cursor(&self) -> Result<u64, ReplicaError> {
        meta::get(&self.conn, meta::SYNC_CURSOR)
            .map(|c| c.and_then(|c| c.parse().ok()).unwrap_or(0))
            .map_err(ReplicaError::sqlite("reading the sync cursor", &self.path))
    }

    /// Takes in the server's verdicts on pushed ops: accepted ones leave the outbox; refused
    /// ones go to the conflicts inbox and their local effect is undone, so the replica shows
    /// the server's version. One transaction. Returns how many were refused.
    pub fn settle_push(&mut self, verdicts: &[(Op, OpResult)]) -> Result<u64, ReplicaError> {
        let path = self.path.clone();
        let run = |tx: &Transaction<'_>| -> rusqlite::Result<u64> {
            tx.pragma_update(None, "defer_foreign_keys", true)?;
            let mut rejected = 0;
            // Newest first, so a refused child row is undone before its refused parent.
            for (op, result) in verdicts.iter().rev() {
                tx.prepare_cached("DELETE FROM outbox WHERE op_id = ?1")?
                    .execute([&op.op_id])?;
                if let OpResult::Rejected { reason, winner, .. } = result {
                    rejected += 1;
                    undo(tx, op, winner.as_ref())?;
                    tx.prepare_cached(
                        "INSERT INTO conflicts (id, op_id, table_name, row_id, kind, attempted, reason, winner, received_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    )?
                    .execute(params![
                            super::new_id(),
                            op.op_id,
                            op.table,
                            op.row_id,
                            op.kind.as_str(),
                            Value::Object(op.payload.clone()).to_string(),
                            reason,
                            winner.clone().map(|w| Value::Object(w).to_string()),
                            now_text(),
                        ],
                    )?;
                }
            }
            Ok(rejected)
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(ReplicaError::sqlite("settling a push", &path))?;
        let rejected = run(&tx).map_err(ReplicaError::sqlite("settling a push", &path))?;
        tx.commit()
            .map_err(ReplicaError::sqlite("settling a push", &path))?;
        Ok(rejected)
    }

    /// Applies one page of pulled ops in server order and moves the cursor to `next_cursor`,
    /// in one transaction. Columns this replica has changed and not yet pushed keep their
    /// local value: the server settles them when they arrive.
    ///
    /// Foreign keys are not enforced while pulled ops apply: the server's state is consistent,
    /// and a local edit it has not seen yet (a booking on a launch the server has just
    /// deleted, or a launch deleted here that the server will refuse to delete) may disagree
    /// with it for a moment. That edit is settled when it is pushed, refused or not, and the
    /// replica is consistent again; refusing to apply would wedge the sync instead.
    pub fn apply_pulled(&mut self, ops: &[ServerOp], next_cursor: u64) -> Result<(), ReplicaError> {
        let path = self.path.clone();
        self.conn
            .pragma_update(None, "foreign_keys", false)
            .map_err(ReplicaError::sqlite("applying pulled changes", &path))?;
        let applied = self.apply_pulled_unchecked(ops, next_cursor);
        let restored = self
            .conn
            .pragma_update(None, "foreign_keys", true)
            .map_err(ReplicaError::sqlite("applying pulled changes", &path));
        applied.and(restored)
    }

    fn apply_pulled_unchecked(
        &mut self,
        ops: &[ServerOp],
        next_cursor: u64,
    ) -> Result<(), ReplicaError> {
        let path = self.path.clone();
        let now_ms = u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(ReplicaError::sqlite("applying pulled changes", &path))?;
        let mut run = |tx: &Transaction<'_>| -> Result<(), ReplicaError> {
            tx.pragma_update(None, "defer_foreign_keys", true)
                .map_err(ReplicaError::sqlite("applying pulled changes", &path))?;
            let outbox_empty: bool = tx
                .query_row("SELECT NOT EXISTS (SELECT 1 FROM outbox)", [], |r| r.get(0))
                .map_err(ReplicaError::sqlite("applying pulled changes", &path))?;
            for server_op in ops {
                apply_one(tx, &server_op.op, outbox_empty)
                    .map_err(ReplicaError::sqlite("applying pulled changes", &path))?;
                if let Ok(hlc) = server_op.op.hlc.parse::<Hlc>() {
                    self.clock.observe(&hlc, now_ms);
                }
            }
            meta::set(tx, meta::SYNC_CURSOR, &next_cursor.to_string())
                .and_then(|()| meta::set(tx, meta::HLC_LAST, &self.clock.last().to_string()))
                .map_err(ReplicaError::sqlite("moving the sync cursor", &path))
        };
        run(&tx)?;
        tx.commit()
            .map_err(ReplicaError::sqlite("applying pulled changes", &path))
    }

    /// The conflicts inbox, newest first; settled ones only when asked.
    pub fn conflicts(&self, include_resolved: bool) -> Result<Vec<Conflict>, ReplicaError> {
        let read = || -> rusqlite::Result<Vec<Conflict>> {
            let mut stmt = self.conn.prepare(
                "SELECT id, op_id, table_name, row_id, kind, attempted, reason, winner, received_at, resolution
                 FROM conflicts WHERE ?1 OR resolved_at IS NULL ORDER BY received_at DESC, id DESC",
            )?;
            stmt.query_map([include_resolved], |row| {
                let attempted: String = row.get(5)?;
                let winner: Option<String> = row.get(7)?;
                Ok(Conflict {
                    id: row.get(0)?,
                    op_id: row.get(1)?,
                    table: row.get(2)?,
                    row_id: row.get(3)?,
                    kind: row.get(4)?,
                    attempted: serde_json::from_str(&attempted).unwrap_or_default(),
                    reason: row.get(6)?,
                    winner: winner.and_then(|w| serde_json::from_str(&w).ok()),
                    received_at: row.get(8)?,
                    resolution: row.get(9)?,
                })
            })?
            .collect()
        };
        read().map_err(ReplicaError::sqlite(
            "reading the conflicts inbox",
            &self.path,
        ))
    }

    /// Settles a conflict by keeping the server's version (already in the replica).
    pub fn keep_server_version(&mut self, conflict_id: &str) -> Result<(), ReplicaError> {
        let changed = self
            .conn
            .execute(
                "UPDATE conflicts SET resolved_at = ?2, resolution = 'kept the server version'
                 WHERE id = ?1 AND resolved_at IS NULL",
                params![conflict_id, now_text()],
            )
            .map_err(ReplicaError::sqlite("settling a conflict", &self.path))?;
        if changed == 0 {
            return Err(ReplicaError::RowNotFound {
                table: "conflicts".into(),
                row_id: conflict_id.into(),
            });
        }
        Ok(())
    }

    /// A preference kept in this replica only, never synced (a user's panel layout, say).
    pub fn preference(&self, key: &str) -> Result<Option<String>, ReplicaError> {
        meta::get(&self.conn, &format!("{}{key}", meta::PREFERENCE_PREFIX))
            .map_err(ReplicaError::sqlite("reading a preference", &self.path))
    }

    /// Keeps a preference (see [`Replica::preference`]).
    pub fn set_preference(&mut self, key: &str, value: &str) -> Result<(), ReplicaError> {
        meta::set(
            &self.conn,
            &format!("{}{key}", meta::PREFERENCE_PREFIX),
            value,
        )
        .map_err(ReplicaError::sqlite("keeping a preference", &self.path))
    }

    /// The training session this sandbox belongs to, if it was joined to one.
    pub fn training_link(&self) -> Result<Option<TrainingLink>, ReplicaError> {
        meta::get(&self.conn, meta::TRAINING_SESSION)
            .map(|text| text.and_then(|t| serde_json::from_str(&t).ok()))
            .map_err(ReplicaError::sqlite(
                "reading the training session",
                &self.path,
            ))
    }

    /// Joins this sandbox to a training session; refused on an operational replica, which
    /// never leaves operations.
    pub fn set_training_link(&mut self, link: &TrainingLink) -> Result<(), ReplicaError> {
        if self.kind()? != crate::ReplicaKind::Training {
            return Err(ReplicaError::NotTraining {
                path: self.path.clone(),
            });
        }
        meta::set(
            &self.conn,
            meta::TRAINING_SESSION,
            &serde_json::to_string(link).unwrap_or_default(),
        )
        .map_err(ReplicaError::sqlite(
            "keeping the training session",
            &self.path,
        ))
    }

    /// The kept sign-in, if any.
    pub fn sign_in(&self) -> Result<Option<SignIn>, ReplicaError> {
        meta::get(&self.conn, meta::SIGN_IN)
            .map(|text| text.and_then(|t| serde_json::from_str(&t).ok()))
            .map_err(ReplicaError::sqlite("reading the sign-in", &self.path))
    }

    /// Keeps a sign-in (replacing any other), or forgets it with `None`.
    pub fn keep_sign_in(&mut self, sign_in: Option<&SignIn>) -> Result<(), ReplicaError> {
        let result = match sign_in {
            Some(sign_in) => meta::set(
                &self.conn,
                meta::SIGN_IN,
                &serde_json::to_string(sign_in).unwrap_or_default(),
            ),
            None => self
                .conn
                .execute("DELETE FROM replica_meta WHERE key = ?1", [meta::SIGN_IN])
                .map(|_| ()),
        };
        result.map_err(ReplicaError::sqlite("keeping the sign-in", &self.path))
    }

    /// Records a sync run in the history.
    pub fn record_sync_run(&mut self, run: &SyncRun) -> Result<(), ReplicaError> {
        let signed = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        self.conn
            .execute(
                "INSERT INTO sync_runs (started_at, duration_ms, server, pushed, rejected, pulled, bytes_up, bytes_down, error)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    run.started_at,
                    signed(run.duration_ms),
                    run.server,
                    signed(run.pushed),
                    signed(run.rejected),
                    signed(run.pulled),
                    signed(run.bytes_up),
                    signed(run.bytes_down),
                    run.error,
                ],
            )
            .and_then(|_| {
                self.conn.execute(
                    "DELETE FROM sync_runs WHERE id <= (SELECT max(id) FROM sync_runs) - ?1",
                    [SYNC_HISTORY_KEPT],
                )
            })
            .map_err(ReplicaError::sqlite("recording a sync run", &self.path))?;
        Ok(())
    }

    /// The latest sync runs, newest first.
    pub fn sync_runs(&self, limit: usize) -> Result<Vec<SyncRun>, ReplicaError> {
        let read = || -> rusqlite::Result<Vec<SyncRun>> {
            let mut stmt = self.conn.prepare(
                "SELECT started_at, duration_ms, server, pushed, rejected, pulled, bytes_up, bytes_down, error
                 FROM sync_runs ORDER BY id DESC LIMIT ?1",
            )?;
            let unsigned = |n: i64| n.unsigned_abs();
            stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |row| {
                Ok(SyncRun {
                    started_at: row.get(0)?,
                    duration_ms: unsigned(row.get(1)?),
                    server: row.get(2)?,
                    pushed: unsigned(row.get(3)?),
                    rejected: unsigned(row.get(4)?),
                    pulled: unsigned(row.get(5)?),
                    bytes_up: unsigned(row.get(6)?),
                    bytes_down: unsigned(row.get(7)?),
                    error: row.get(8)?,
                })
            })?
            .collect()
        };
        read().map_err(ReplicaError::sqlite("reading the sync history", &self.path))
    }

    /// Every replicated row of `table` as JSON objects keyed by id, for comparisons.
    pub fn table_rows(
        &self,
        table: &str,
    ) -> Result<std::collections::BTreeMap<String, Map<String, Value>>, ReplicaError> {
        let spec = super::writer::checked(table, &Map::new())?;
        let read =
            || -> rusqlite::Result<_> { Ok(read_rows(&self.conn, spec)?.into_iter().collect()) };
        read().map_err(ReplicaError::sqlite("reading a table", &self.path))
    }
}

/// Every row of `spec`'s table, by id, with its replicated columns as JSON.
pub(crate) fn read_rows(
    conn: &rusqlite::Connection,
    spec: &crate::schema::manifest::ReplicatedTable,
) -> rusqlite::Result<Vec<(String, Map<String, Value>)>> {
    let sql = format!(
        "SELECT id, {} FROM {} ORDER BY id",
        spec.columns.join(", "),
        spec.name
    );
    let mut stmt = conn.prepare(&sql)?;
    stmt.query_map([], |row| {
        let mut map = Map::new();
        for (index, column) in spec.columns.iter().enumerate() {
            map.insert(
                (*column).to_owned(),
                values::from_sql(row.get_ref(index + 1)?),
            );
        }
        Ok((row.get::<_, String>(0)?, map))
    })?
    .collect()
}

/// How many sync runs the history keeps.
const SYNC_HISTORY_KEPT: i64 = 1_000;

fn now_text() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Columns of a row that local, not yet accepted ops have changed; `None` when a pending
/// op deletes the row.
/// The columns of a row with unsent local edits, each with the clock time of its latest
/// edit; `None` when a local delete of the row is unsent.
fn pending_columns(
    tx: &Transaction<'_>,
    table: &str,
    row_id: &str,
) -> rusqlite::Result<Option<HashMap<String, String>>> {
    let mut stmt = tx.prepare_cached(
        "SELECT kind, payload, hlc FROM outbox WHERE table_name = ?1 AND row_id = ?2",
    )?;
    let mut rows = stmt.query(params![table, row_id])?;
    let mut columns: HashMap<String, String> = HashMap::new();
    while let Some(row) = rows.next()? {
        let kind: String = row.get(0)?;
        if kind == "delete" {
            return Ok(None);
        }
        let payload: String = row.get(1)?;
        let hlc: String = row.get(2)?;
        if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&payload) {
            for (column, _) in map {
                let latest = columns.entry(column).or_default();
                if hlc > *latest {
                    latest.clone_from(&hlc);
                }
            }
        }
    }
    Ok(Some(columns))
}

fn apply_one(tx: &Transaction<'_>, op: &Op, outbox_empty: bool) -> rusqlite::Result<()> {
    let Some(spec) = manifest::table(&op.table) else {
        // A table this build does not know yet (a newer console wrote it): skip, keep going.
        tracing::warn!(table = %op.table, "pulled an op for an unknown table; skipped");
        return Ok(());
    };
    let known = |(column, _): &(&String, &Value)| spec.columns.contains(&column.as_str());
    // Nothing unsent and a whole row: no lookups needed (most of an initial sync).
    if outbox_empty
        && op.kind == OpKind::Insert
        && spec.columns.iter().all(|c| op.payload.contains_key(*c))
    {
        let row: Map<String, Value> = op
            .payload
            .iter()
            .filter(known)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        return upsert(tx, spec, &op.row_id, &row);
    }
    let pending = if outbox_empty {
        HashMap::new()
    } else {
        match pending_columns(tx, spec.name, &op.row_id)? {
            Some(pending) => pending,
            None => return Ok(()),
        }
    };
    let exists = tx
        .prepare_cached(&format!("SELECT 1 FROM {} WHERE id = ?1", spec.name))?
        .query_row([&op.row_id], |_| Ok(()))
        .optional()?
        .is_some();
    // A local, unsent edit keeps its value over the server's when it is the later one (it
    // will win at the server too); an earlier one will lose there, so the server's value is
    // shown now. Only on a row that is here: a row that is not (a remote delete came first)
    // comes back whole.
    let local_wins = |column: &String| {
        pending
            .get(column)
            .is_some_and(|local| local.as_str() > op.hlc.as_str())
    };
    let incoming: Map<String, Value> = op
        .payload
        .iter()
        .filter(|entry| known(entry) && (!exists || !local_wins(entry.0)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    match op.kind {
        // SQLite checks NOT NULL before it sees the conflict, so an existing row is updated.
        OpKind::Insert if exists => update(tx, spec, &op.row_id, &incoming),
        OpKind::Insert => upsert(tx, spec, &op.row_id, &incoming),
        OpKind::Update => update(tx, spec, &op.row_id, &incoming),
        OpKind::Delete => tx
            .execute(
                &format!("DELETE FROM {} WHERE id = ?1", spec.name),
                [&op.row_id],
            )
            .map(|_| ()),
    }
}

fn upsert(
    tx: &Transaction<'_>,
    spec: &ReplicatedTable,
    row_id: &str,
    values_in: &Map<String, Value>,
) -> rusqlite::Result<()> {
    if values_in.is_empty() {
        return Ok(());
    }
    values::insert_row(tx, spec.name, row_id, values_in, true).map(|_| ())
}

fn update(
    tx: &Transaction<'_>,
    spec: &ReplicatedTable,
    row_id: &str,
    values_in: &Map<String, Value>,
) -> rusqlite::Result<()> {
    values::update_row(tx, spec.name, row_id, values_in).map(|_| ())
}

/// Undoes the local effect of a refused op, leaving the server's version of the row.
fn undo(
    tx: &Transaction<'_>,
    op: &Op,
    winner: Option<&Map<String, Value>>,
) -> rusqlite::Result<()> {
    let Some(spec) = manifest::table(&op.table) else {
        return Ok(());
    };
    match (op.kind, winner) {
        (OpKind::Insert | OpKind::Update, None) => tx
            .execute(
                &format!("DELETE FROM {} WHERE id = ?1", spec.name),
                [&op.row_id],
            )
            .map(|_| ()),
        (OpKind::Insert | OpKind::Delete, Some(winner)) => {
            let known: Map<String, Value> = winner
                .iter()
                .filter(|(c, _)| spec.columns.contains(&c.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            upsert(tx, spec, &op.row_id, &known)
        }
        (OpKind::Update, Some(winner)) => {
            let restored: Map<String, Value> = op
                .payload
                .keys()
                .filter_map(|c| winner.get(c).map(|v| (c.clone(), v.clone())))
                .collect();
            update(tx, spec, &op.row_id, &restored)
        }
        (OpKind::Delete, None) => Ok(()),
    }
}
