//! The replica's side of sync: pending ops out, server verdicts and pulled ops in, the
//! conflicts inbox, and the history of sync runs.

use std::collections::HashMap;

use chrono::Utc;
use rusqlite::{OptionalExtension as _, Transaction, TransactionBehavior, params};
use serde_json::{Map, Value};

use super::{Replica, ReplicaError, meta, values};
use crate::hlc::Hlc;
use crate::protocol::{Op, OpKind, OpResult, RefusalRule, ServerEpoch, ServerOp};
use crate::schema::registry::{self, ReplicatedTable};

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
    /// Which rule refused it (none from an older server).
    pub rule: Option<RefusalRule>,
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

/// A pulled op this replica could not apply, kept aside with the reason so that the rest of
/// the sync goes on.
#[derive(Debug, Clone, PartialEq)]
pub struct SetAsideOp {
    /// Its place in the server's order.
    pub cursor: u64,
    /// The op.
    pub op_id: String,
    /// Its table.
    pub table: String,
    /// Its row.
    pub row_id: String,
    /// What kind of change it was.
    pub kind: String,
    /// Its values.
    pub payload: Map<String, Value>,
    /// Why it could not be applied.
    pub reason: String,
    /// When it was set aside (RFC 3339).
    pub set_aside_at: String,
}

/// How long ops the server accepted are kept, to be sent again after a restore of the server.
pub const SENT_OPS_KEPT_DAYS: i64 = 14;

/// What the server's epoch said (see [`Replica::follow_server_epoch`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpochChange {
    /// The epoch this replica knew.
    Same,
    /// The first epoch this replica saw: recorded.
    First,
    /// Another server's database altogether (this console now syncs elsewhere): pulled again
    /// from the start; nothing sent to the other server is sent here.
    OtherServer {
        /// The cursor at the other server.
        cursor_was: u64,
    },
    /// Another epoch: the cursor went back and what was sent went back into the outbox.
    Restored {
        /// Ops put back into the outbox.
        resent: u64,
        /// The cursor in the old epoch.
        cursor_was: u64,
        /// Where pulling starts again.
        cursor_now: u64,
    },
}

/// What applying one page of pulled ops did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ApplyReport {
    /// Ops applied.
    pub applied: u64,
    /// Ops that could not be applied, kept aside (see [`Replica::set_aside_ops`]).
    pub set_aside: u64,
    /// Refusals the server sent later (after repairing its data), now in the inbox.
    pub late_refusals: u64,
    /// Ops set aside earlier (in this page or before) that no longer matter: the server
    /// has since deleted their row.
    pub cleared_aside: u64,
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

    /// Takes in the server's epoch before a pulled page is applied. The first epoch seen is
    /// recorded. Another epoch of the same database means the server was put back to a copy:
    /// the cursor goes back to where that epoch began (if it was further), and every op the
    /// server accepted in the last [`SENT_OPS_KEPT_DAYS`] days goes back into the outbox, to
    /// be sent again (the server answers the ones it holds as accepted, and takes the rest as
    /// new). Another database is another server: pulled from the start, and what was sent to
    /// the other one is not sent here (a test server's edits never reach operations that way).
    /// Unless the epoch is the same, the page pulled under the old cursor must be pulled again.
    pub fn follow_server_epoch(
        &mut self,
        epoch: &ServerEpoch,
    ) -> Result<EpochChange, ReplicaError> {
        // Every pulled page says its epoch: the usual answer is a read, not a write transaction.
        if self.server_epoch()?.as_deref() == Some(epoch.id.as_str()) {
            return Ok(EpochChange::Same);
        }
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(ReplicaError::sqlite("taking in the server's epoch", &path))?;
        let run = |tx: &Transaction<'_>| -> rusqlite::Result<EpochChange> {
            // "<database> <epoch>"
            let known = meta::get(tx, meta::SERVER_EPOCH)?;
            let (known_database, known_epoch) =
                known.as_deref().and_then(|k| k.split_once(' ')).unzip();
            if known_epoch == Some(epoch.id.as_str()) {
                return Ok(EpochChange::Same);
            }
            meta::set(
                tx,
                meta::SERVER_EPOCH,
                &format!("{} {}", epoch.database, epoch.id),
            )?;
            if known.is_none() {
                return Ok(EpochChange::First);
            }
            let cursor: u64 = meta::get(tx, meta::SYNC_CURSOR)?
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            if known_database != Some(epoch.database.as_str()) {
                meta::set(tx, meta::SYNC_CURSOR, "0")?;
                tx.execute("DELETE FROM sent_ops", [])?;
                return Ok(EpochChange::OtherServer { cursor_was: cursor });
            }
            let from = cursor.min(epoch.since);
            meta::set(tx, meta::SYNC_CURSOR, &from.to_string())?;
            let resent = tx.execute(
                "INSERT OR IGNORE INTO outbox
                     (seq, op_id, hlc, table_name, row_id, kind, payload, created_at)
                 SELECT seq, op_id, hlc, table_name, row_id, kind, payload, created_at
                 FROM sent_ops",
                [],
            )?;
            tx.execute("DELETE FROM sent_ops", [])?;
            Ok(EpochChange::Restored {
                resent: resent as u64,
                cursor_was: cursor,
                cursor_now: from,
            })
        };
        let change =
            run(&tx).map_err(ReplicaError::sqlite("taking in the server's epoch", &path))?;
        tx.commit()
            .map_err(ReplicaError::sqlite("taking in the server's epoch", &path))?;
        match change {
            EpochChange::Restored {
                resent,
                cursor_was,
                cursor_now,
            } => tracing::warn!(
                epoch = %epoch.id,
                resent,
                cursor_was,
                cursor_now,
                "the server was restored from a copy: sending again what it may lack"
            ),
            EpochChange::OtherServer { cursor_was } => tracing::warn!(
                database = %epoch.database,
                cursor_was,
                "this is another server's database: pulling it from the start, sending nothing again"
            ),
            EpochChange::Same | EpochChange::First => {}
        }
        Ok(change)
    }

    /// The id of the server epoch this replica last pulled in, if it has seen one.
    pub fn server_epoch(&self) -> Result<Option<String>, ReplicaError> {
        meta::get(&self.conn, meta::SERVER_EPOCH)
            .map(|kept| kept.map(|k| k.split_once(' ').map_or(k.clone(), |(_, id)| id.to_owned())))
            .map_err(ReplicaError::sqlite(
                "reading the server's epoch",
                &self.path,
            ))
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
    ///
    /// Foreign keys are not enforced while refusals are undone: undoing a refused edit of a
    /// launch the server has deleted removes the launch here too, while a booking on it that
    /// this console made is still waiting to be sent. That booking is refused in its turn
    /// (its launch is gone) and undone then. Refusing to settle instead would refuse the same
    /// verdicts on every sync, for ever: the wedge this must never be.
    pub fn settle_push(&mut self, verdicts: &[(Op, OpResult)]) -> Result<u64, ReplicaError> {
        self.without_foreign_keys("settling a push", |replica| {
            replica.settle_push_unchecked(verdicts)
        })
    }

    /// Runs `work` with foreign keys not enforced on this connection (they cannot be switched
    /// inside a transaction), and enforces them again afterwards whatever `work` returned.
    fn without_foreign_keys<T>(
        &mut self,
        context: &'static str,
        work: impl FnOnce(&mut Self) -> Result<T, ReplicaError>,
    ) -> Result<T, ReplicaError> {
        let path = self.path.clone();
        self.conn
            .pragma_update(None, "foreign_keys", false)
            .map_err(ReplicaError::sqlite(context, &path))?;
        let done = work(self);
        let restored = self
            .conn
            .pragma_update(None, "foreign_keys", true)
            .map_err(ReplicaError::sqlite(context, &path));
        let value = done?;
        restored?;
        Ok(value)
    }

    fn settle_push_unchecked(&mut self, verdicts: &[(Op, OpResult)]) -> Result<u64, ReplicaError> {
        let path = self.path.clone();
        let run = |tx: &Transaction<'_>| -> rusqlite::Result<u64> {
            tx.pragma_update(None, "defer_foreign_keys", true)?;
            let mut rejected = 0;
            let now = now_text();
            // Newest first, so a refused child row is undone before its refused parent.
            for (op, result) in verdicts.iter().rev() {
                if matches!(result, OpResult::Accepted { .. }) {
                    // Kept, to be sent again should the server be put back to a copy taken
                    // before it took this op.
                    tx.prepare_cached(
                        "INSERT OR IGNORE INTO sent_ops
                             (seq, op_id, hlc, table_name, row_id, kind, payload, created_at, accepted_at)
                         SELECT seq, op_id, hlc, table_name, row_id, kind, payload, created_at, ?2
                         FROM outbox WHERE op_id = ?1",
                    )?
                    .execute(params![op.op_id, now])?;
                }
                tx.prepare_cached("DELETE FROM outbox WHERE op_id = ?1")?
                    .execute([&op.op_id])?;
                if let OpResult::Rejected {
                    reason,
                    winner,
                    rule,
                    ..
                } = result
                {
                    rejected += 1;
                    undo_or_drop(tx, op, winner.as_ref())?;
                    tx.prepare_cached(
                        "INSERT INTO conflicts (id, op_id, table_name, row_id, kind, attempted, reason, winner, received_at, rule)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
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
                            rule.map(RefusalRule::as_str),
                        ],
                    )?;
                }
            }
            let kept_since =
                crate::time::stored(Utc::now() - chrono::Duration::days(SENT_OPS_KEPT_DAYS));
            tx.prepare_cached("DELETE FROM sent_ops WHERE accepted_at < ?1")?
                .execute([kept_since])?;
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
    ///
    /// A pulled op that cannot be applied (a value or row that breaks this replica's schema,
    /// which a server of an older version could have let through) is set aside with the
    /// reason, and the rest of the page goes on: one row never stops a sync. Only a failure of
    /// the file itself (a full disk, say) stops the page, and then nothing of it is applied.
    pub fn apply_pulled(
        &mut self,
        ops: &[ServerOp],
        next_cursor: u64,
    ) -> Result<ApplyReport, ReplicaError> {
        self.without_foreign_keys("applying pulled changes", |replica| {
            replica.apply_pulled_unchecked(ops, next_cursor)
        })
    }

    fn apply_pulled_unchecked(
        &mut self,
        ops: &[ServerOp],
        next_cursor: u64,
    ) -> Result<ApplyReport, ReplicaError> {
        let path = self.path.clone();
        let device_id = self.device_id.clone();
        let mut report = ApplyReport::default();
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
            // Nothing set aside (the usual case): no op needs to look for its row there.
            let anything_aside = std::cell::Cell::new(
                tx.query_row("SELECT EXISTS (SELECT 1 FROM pulled_aside)", [], |r| {
                    r.get(0)
                })
                .map_err(ReplicaError::sqlite("applying pulled changes", &path))?,
            );
            let step = |tx: &Transaction<'_>, server_op: &ServerOp, report: &mut ApplyReport| {
                tx.prepare_cached("SAVEPOINT pulled_op")?.execute([])?;
                match apply_checked(tx, &server_op.op, outbox_empty) {
                    Ok(()) => {
                        report.applied += 1;
                        tx.prepare_cached("RELEASE pulled_op")?.execute([])?;
                        if anything_aside.get() {
                            report.cleared_aside += settle_aside(tx, &server_op.op, outbox_empty)?;
                        }
                    }
                    Err(Unapplied::Refused(reason)) => {
                        tx.prepare_cached("ROLLBACK TO pulled_op")?.execute([])?;
                        tx.prepare_cached("RELEASE pulled_op")?.execute([])?;
                        set_aside(tx, server_op, &reason)?;
                        anything_aside.set(true);
                        report.set_aside += 1;
                    }
                    Err(Unapplied::Failed(cause)) => return Err(cause),
                }
                if let Some(notice) = &server_op.notice
                    && notice.device_id == device_id
                    && late_refusal(tx, &server_op.op, notice)?
                {
                    report.late_refusals += 1;
                }
                Ok(())
            };
            for server_op in ops {
                step(tx, server_op, &mut report)
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
            .map_err(ReplicaError::sqlite("applying pulled changes", &path))?;
        Ok(report)
    }

    /// Pulled ops this replica could not apply, oldest first.
    pub fn set_aside_ops(&self) -> Result<Vec<SetAsideOp>, ReplicaError> {
        let read = || -> rusqlite::Result<Vec<SetAsideOp>> {
            let mut stmt = self.conn.prepare(
                "SELECT cursor, op_id, table_name, row_id, kind, payload, reason, set_aside_at
                 FROM pulled_aside ORDER BY cursor",
            )?;
            stmt.query_map([], |row| {
                let payload: String = row.get(5)?;
                Ok(SetAsideOp {
                    cursor: row.get::<_, i64>(0)?.unsigned_abs(),
                    op_id: row.get(1)?,
                    table: row.get(2)?,
                    row_id: row.get(3)?,
                    kind: row.get(4)?,
                    payload: serde_json::from_str(&payload).unwrap_or_default(),
                    reason: row.get(6)?,
                    set_aside_at: row.get(7)?,
                })
            })?
            .collect()
        };
        read().map_err(ReplicaError::sqlite(
            "reading the ops set aside",
            &self.path,
        ))
    }

    /// The conflicts inbox, newest first; settled ones only when asked.
    pub fn conflicts(&self, include_resolved: bool) -> Result<Vec<Conflict>, ReplicaError> {
        let read = || -> rusqlite::Result<Vec<Conflict>> {
            let mut stmt = self.conn.prepare(
                "SELECT id, op_id, table_name, row_id, kind, attempted, reason, winner, received_at, resolution, rule
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
                    rule: row
                        .get::<_, Option<String>>(10)?
                        .and_then(|r| RefusalRule::parse(&r)),
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

    /// Settles a conflict over a unique key (a vehicle's name taken by another console's
    /// vehicle) by sending this console's edit again with the key changed to `key`: a refused
    /// new row is made again under the new key, a refused rename renames to it. One
    /// transaction, so the inbox and the data never disagree; a key this replica already
    /// holds is refused here, before anything is sent.
    pub fn send_again_under(&mut self, conflict_id: &str, key: &str) -> Result<(), ReplicaError> {
        let conflict = self
            .conflicts(false)?
            .into_iter()
            .find(|c| c.id == conflict_id)
            .ok_or_else(|| ReplicaError::RowNotFound {
                table: "conflicts".into(),
                row_id: conflict_id.into(),
            })?;
        let spec = super::writer::checked(&conflict.table, &Map::new())?;
        let Some(unique) = spec
            .unique_keys
            .first()
            .filter(|_| conflict.rule == Some(RefusalRule::UniqueKey))
        else {
            return Err(ReplicaError::KeyTaken {
                table: spec.name.to_owned(),
                reason: "this conflict is not about a taken name or code; keep the server's version or edit the row again".to_owned(),
            });
        };
        let key = key.trim();
        let resolution = format!("sent again as {key:?}");
        let path = self.path.clone();
        self.write(|w| {
            // A row refused as new is made again, unless it is here after all (the server's
            // repair renamed it rather than removing it): then it is renamed.
            let here = w
                .reader()
                .prepare(&format!("SELECT 1 FROM {} WHERE id = ?1", spec.name))
                .and_then(|mut stmt| stmt.exists([&conflict.row_id]))
                .map_err(ReplicaError::sqlite("reading the conflict's row", &path))?;
            if conflict.kind == "insert" && !here {
                let mut row = conflict.attempted.clone();
                row.insert(unique.column.to_owned(), Value::String(key.to_owned()));
                w.insert(spec.name, &conflict.row_id, row)?;
            } else {
                let mut change = Map::new();
                change.insert(unique.column.to_owned(), Value::String(key.to_owned()));
                w.update(spec.name, &conflict.row_id, change)?;
            }
            w.settle_conflict(conflict_id, &resolution)
        })
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

    /// This replica's claim to its device id, sent at sign-in: the id and the device's key,
    /// made (256 random bits) the first time it is asked for under this id.
    pub fn device_claim(&self) -> Result<crate::protocol::DeviceClaim, ReplicaError> {
        let read = || -> rusqlite::Result<(String, bool)> {
            let kept = meta::get(&self.conn, meta::DEVICE_KEY)?;
            let prefix = format!("{} ", self.device_id);
            if let Some(key) = kept.as_deref().and_then(|k| k.strip_prefix(&prefix)) {
                return Ok((key.to_owned(), false));
            }
            let key = format!(
                "{}{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            );
            meta::set(&self.conn, meta::DEVICE_KEY, &format!("{prefix}{key}"))?;
            Ok((key, true))
        };
        let (key, _) =
            read().map_err(ReplicaError::sqlite("reading the device key", &self.path))?;
        Ok(crate::protocol::DeviceClaim {
            id: self.device_id.clone(),
            key,
            training: self.kind()? == super::ReplicaKind::Training,
        })
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
    spec: &crate::schema::registry::ReplicatedTable,
) -> rusqlite::Result<Vec<(String, Map<String, Value>)>> {
    let sql = format!(
        "SELECT id, {} FROM {} ORDER BY id",
        spec.column_names().collect::<Vec<_>>().join(", "),
        spec.name
    );
    let mut stmt = conn.prepare(&sql)?;
    stmt.query_map([], |row| {
        let mut map = Map::new();
        for (index, column) in spec.column_names().enumerate() {
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
    crate::time::stored(Utc::now())
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

/// Why a pulled op was not applied.
enum Unapplied {
    /// The op itself cannot be applied here: set it aside with this reason.
    Refused(String),
    /// The file failed: stop the page.
    Failed(rusqlite::Error),
}

/// Applies one pulled op after checking its values against the registry (the same rules the
/// server applies), so a bad value is named by its column rather than by SQLite.
fn apply_checked(tx: &Transaction<'_>, op: &Op, outbox_empty: bool) -> Result<(), Unapplied> {
    if let Some(spec) = registry::table(&op.table)
        && op.kind != OpKind::Delete
    {
        let known: Map<String, Value> = op
            .payload
            .iter()
            .filter(|(column, _)| spec.has_column(column))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Err(problem) = spec.check_values(&known) {
            return Err(Unapplied::Refused(format!("{} {problem}", spec.row_noun)));
        }
    }
    apply_one(tx, op, outbox_empty).map_err(|cause| match cause {
        // A row SQLite refuses (a constraint, a type): this op cannot be applied here.
        rusqlite::Error::SqliteFailure(code, ref message)
            if code.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Unapplied::Refused(message.clone().unwrap_or_else(|| cause.to_string()))
        }
        other => Unapplied::Failed(other),
    })
}

/// What an applied op means for the ops set aside for its row: a delete makes them moot, an
/// update may mend a kept insert (see [`retry_aside_insert`]). Returns how many left the list.
fn settle_aside(tx: &Transaction<'_>, op: &Op, outbox_empty: bool) -> rusqlite::Result<u64> {
    match op.kind {
        OpKind::Delete => {
            let cleared = tx
                .prepare_cached("DELETE FROM pulled_aside WHERE table_name = ?1 AND row_id = ?2")?
                .execute(params![op.table, op.row_id])?;
            Ok(u64::try_from(cleared).unwrap_or(u64::MAX))
        }
        OpKind::Update => Ok(u64::from(retry_aside_insert(tx, op, outbox_empty)?)),
        OpKind::Insert => Ok(0),
    }
}

/// A row whose insert was set aside may be mended by a later update (the server's repair
/// clearing a bad value, say): the update's columns join the kept insert, which is tried
/// again. Returns whether it applied now (and left the set-aside list); if it still cannot,
/// the kept insert holds the newer values for the next try.
fn retry_aside_insert(
    tx: &Transaction<'_>,
    update: &Op,
    outbox_empty: bool,
) -> rusqlite::Result<bool> {
    let kept: Option<(i64, String, String)> = tx
        .prepare_cached(
            "SELECT cursor, op_id, payload FROM pulled_aside
             WHERE table_name = ?1 AND row_id = ?2 AND kind = 'insert' ORDER BY cursor DESC LIMIT 1",
        )?
        .query_row(params![update.table, update.row_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let Some((cursor, op_id, payload)) = kept else {
        return Ok(false);
    };
    let mut row: Map<String, Value> = serde_json::from_str(&payload).unwrap_or_default();
    row.extend(update.payload.clone());
    let insert = Op {
        op_id,
        kind: OpKind::Insert,
        payload: row.clone(),
        ..update.clone()
    };
    tx.prepare_cached("SAVEPOINT aside_retry")?.execute([])?;
    match apply_checked(tx, &insert, outbox_empty) {
        Ok(()) => {
            tx.prepare_cached("RELEASE aside_retry")?.execute([])?;
            tx.prepare_cached("DELETE FROM pulled_aside WHERE cursor = ?1")?
                .execute([cursor])?;
            Ok(true)
        }
        Err(Unapplied::Refused(reason)) => {
            tx.prepare_cached("ROLLBACK TO aside_retry")?.execute([])?;
            tx.prepare_cached("RELEASE aside_retry")?.execute([])?;
            tx.prepare_cached(
                "UPDATE pulled_aside SET payload = ?2, reason = ?3 WHERE cursor = ?1",
            )?
            .execute(params![cursor, Value::Object(row).to_string(), reason])?;
            Ok(false)
        }
        Err(Unapplied::Failed(cause)) => Err(cause),
    }
}

fn set_aside(tx: &Transaction<'_>, server_op: &ServerOp, reason: &str) -> rusqlite::Result<()> {
    tracing::warn!(
        cursor = server_op.cursor,
        table = %server_op.op.table,
        row = %server_op.op.row_id,
        reason,
        "a pulled op could not be applied; kept aside"
    );
    tx.prepare_cached(
        "INSERT OR REPLACE INTO pulled_aside
             (cursor, op_id, table_name, row_id, kind, payload, reason, set_aside_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        i64::try_from(server_op.cursor).unwrap_or(i64::MAX),
        server_op.op.op_id,
        server_op.op.table,
        server_op.op.row_id,
        server_op.op.kind.as_str(),
        Value::Object(server_op.op.payload.clone()).to_string(),
        reason,
        now_text(),
    ])?;
    Ok(())
}

/// Puts a refusal the server reached after accepting one of this console's ops into the
/// conflicts inbox, once (a replayed page finds it there). Returns whether it was new.
fn late_refusal(
    tx: &Transaction<'_>,
    op: &Op,
    notice: &crate::protocol::RefusalNotice,
) -> rusqlite::Result<bool> {
    let added = tx
        .prepare_cached(
            "INSERT INTO conflicts (id, op_id, table_name, row_id, kind, attempted, reason, winner, received_at, rule)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8, ?9
             WHERE NOT EXISTS (SELECT 1 FROM conflicts WHERE op_id = ?2)",
        )?
        .execute(params![
            super::new_id(),
            notice.op_id,
            op.table,
            op.row_id,
            notice.kind.as_str(),
            Value::Object(notice.attempted.clone()).to_string(),
            notice.reason,
            now_text(),
            notice.rule.map(RefusalRule::as_str),
        ])?;
    Ok(added > 0)
}

/// The row of `spec`'s table other than `except` that holds the unique key `key` with the
/// normalised value `wanted`, if any (see [`registry::UniqueKey`]).
pub(crate) fn key_holder(
    conn: &rusqlite::Connection,
    spec: &ReplicatedTable,
    key: &registry::UniqueKey,
    wanted: &str,
    except: &str,
) -> rusqlite::Result<Option<String>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id, {} FROM {} WHERE id <> ?1",
        key.column, spec.name
    ))?;
    let mut rows = stmt.query([except])?;
    while let Some(row) = rows.next()? {
        let value: Option<String> = row.get(1)?;
        if registry::UniqueKey::normalised(value.map(Value::String).as_ref()).as_deref()
            == Some(wanted)
        {
            return Ok(Some(row.get(0)?));
        }
    }
    Ok(None)
}

fn apply_one(tx: &Transaction<'_>, op: &Op, outbox_empty: bool) -> rusqlite::Result<()> {
    let Some(spec) = registry::table(&op.table) else {
        // A table this build does not know yet (a newer console wrote it): skip, keep going.
        tracing::warn!(table = %op.table, "pulled an op for an unknown table; skipped");
        return Ok(());
    };
    let known = |(column, _): &(&String, &Value)| spec.has_column(column);
    // Nothing unsent and a whole row: no lookups needed (most of an initial sync).
    if outbox_empty
        && op.kind == OpKind::Insert
        && spec.column_names().all(|c| op.payload.contains_key(c))
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
    values::insert_row(
        tx,
        spec.name,
        row_id,
        &with_stored_times(spec, values_in),
        true,
    )
    .map(|_| ())
}

fn update(
    tx: &Transaction<'_>,
    spec: &ReplicatedTable,
    row_id: &str,
    values_in: &Map<String, Value>,
) -> rusqlite::Result<()> {
    values::update_row(tx, spec.name, row_id, &with_stored_times(spec, values_in)).map(|_| ())
}

/// `values` with their times in the one stored form (a server of an older version may send
/// another); copied only when one needs rewriting.
fn with_stored_times<'a>(
    spec: &ReplicatedTable,
    values: &'a Map<String, Value>,
) -> std::borrow::Cow<'a, Map<String, Value>> {
    let needs = values.iter().any(|(name, value)| {
        value
            .as_str()
            .is_some_and(|t| !crate::time::has_stored_form(t))
            && spec
                .column(name)
                .is_some_and(|c| c.rule == crate::schema::registry::ValueRule::Timestamp)
    });
    if !needs {
        return std::borrow::Cow::Borrowed(values);
    }
    let mut owned = values.clone();
    spec.store_times(&mut owned);
    std::borrow::Cow::Owned(owned)
}

/// Undoes a refused op (see [`undo`]); when the server's version cannot be stored here (it
/// breaks this replica's schema), the local row is dropped instead, so that settling never
/// fails on the same verdict at every sync. The refusal is in the inbox either way.
fn undo_or_drop(
    tx: &Transaction<'_>,
    op: &Op,
    winner: Option<&Map<String, Value>>,
) -> rusqlite::Result<()> {
    tx.prepare_cached("SAVEPOINT undo_op")?.execute([])?;
    match undo(tx, op, winner) {
        Ok(()) => tx
            .prepare_cached("RELEASE undo_op")?
            .execute([])
            .map(|_| ()),
        Err(rusqlite::Error::SqliteFailure(code, message))
            if code.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            tx.prepare_cached("ROLLBACK TO undo_op")?.execute([])?;
            tx.prepare_cached("RELEASE undo_op")?.execute([])?;
            tracing::warn!(
                table = %op.table,
                row = %op.row_id,
                cause = message.as_deref().unwrap_or("a constraint"),
                "the server's version of a refused row does not fit this replica; dropped it here"
            );
            match registry_table(&op.table) {
                Some(name) => tx
                    .execute(&format!("DELETE FROM {name} WHERE id = ?1"), [&op.row_id])
                    .map(|_| ()),
                None => Ok(()),
            }
        }
        Err(other) => Err(other),
    }
}

/// The registry's name of `table` (only registry names become SQL).
fn registry_table(table: &str) -> Option<&'static str> {
    registry::table(table).map(|spec| spec.name)
}

/// Undoes the local effect of a refused op, leaving the server's version of the row.
fn undo(
    tx: &Transaction<'_>,
    op: &Op,
    winner: Option<&Map<String, Value>>,
) -> rusqlite::Result<()> {
    let Some(spec) = registry::table(&op.table) else {
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
                .filter(|(c, _)| spec.has_column(c))
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
