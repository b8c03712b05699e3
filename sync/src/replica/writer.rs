//! Every local change goes through [`Writer`]: the row and its outbox op commit in one
//! SQLite transaction, so an edit is never stored without the op that will replicate it.

use chrono::Utc;
use rusqlite::Transaction;
use serde::Serialize;
use serde_json::{Map, Value};

use super::ReplicaError;
use super::rows::{GroundStationRow, LaunchRow, SpaceportRow, VehicleRow};
use super::values;
use crate::hlc::HlcClock;
use crate::protocol::OpKind;
use crate::schema::registry::{self, ReplicatedTable};

/// Writes to the replica inside one transaction; see [`super::Replica::write`].
pub struct Writer<'conn> {
    pub(crate) tx: Transaction<'conn>,
    pub(crate) clock: &'conn mut HlcClock,
    /// When the transaction began (RFC 3339): every op of it was made then.
    pub(crate) started: String,
}

impl Writer<'_> {
    /// Adds a row. `values` holds every column but `id`.
    pub fn insert(
        &mut self,
        table: &str,
        row_id: &str,
        mut values: Map<String, Value>,
    ) -> Result<(), ReplicaError> {
        let spec = checked(table, &values)?;
        check_values(spec, &values)?;
        spec.store_times(&mut values);
        check_keys(&self.tx, spec, row_id, &values)?;
        values::insert_row(&self.tx, spec.name, row_id, &values, false)
            .map_err(|cause| write_failed(spec.name, row_id, cause))?;
        self.append_op(spec, row_id, OpKind::Insert, values)
    }

    /// Changes the named columns of a row.
    pub fn update(
        &mut self,
        table: &str,
        row_id: &str,
        mut values: Map<String, Value>,
    ) -> Result<(), ReplicaError> {
        let spec = checked(table, &values)?;
        if values.is_empty() {
            return Ok(());
        }
        check_values(spec, &values)?;
        spec.store_times(&mut values);
        check_keys(&self.tx, spec, row_id, &values)?;
        let changed = values::update_row(&self.tx, spec.name, row_id, &values)
            .map_err(|cause| write_failed(spec.name, row_id, cause))?;
        if changed == 0 {
            return Err(ReplicaError::RowNotFound {
                table: spec.name.to_owned(),
                row_id: row_id.to_owned(),
            });
        }
        self.append_op(spec, row_id, OpKind::Update, values)
    }

    /// Deletes a row; other replicas delete it when they sync.
    pub fn delete(&mut self, table: &str, row_id: &str) -> Result<(), ReplicaError> {
        let spec = checked(table, &Map::new())?;
        // Asked before the row (and the incident it names) is gone.
        let local = self.stays_local(spec, row_id, &Map::new())?;
        let sql = format!("DELETE FROM {} WHERE id = ?1", spec.name);
        let changed = self
            .tx
            .execute(&sql, [row_id])
            .map_err(|cause| write_failed(spec.name, row_id, cause))?;
        if changed == 0 {
            return Err(ReplicaError::RowNotFound {
                table: spec.name.to_owned(),
                row_id: row_id.to_owned(),
            });
        }
        if local {
            return Ok(());
        }
        self.append_op(spec, row_id, OpKind::Delete, Map::new())
    }

    /// Keeps row `row_id` of `table` on this console: from now on none of its changes, nor
    /// those of rows hanging off it (by `incident_id`), become ops, so they never reach the
    /// server or another console. `why` says so in the file ("drill"). Call it before the
    /// row is inserted.
    pub fn keep_local(&mut self, table: &str, row_id: &str, why: &str) -> Result<(), ReplicaError> {
        let spec = checked(table, &Map::new())?;
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO local_rows (table_name, row_id, why) VALUES (?1, ?2, ?3)",
            )
            .and_then(|mut stmt| stmt.execute(rusqlite::params![spec.name, row_id, why]))
            .map_err(|cause| write_failed("local_rows", row_id, cause))?;
        Ok(())
    }

    /// Whether a change to `row_id` of `spec` stays on this console: the row is kept local,
    /// or it hangs off an incident that is.
    fn stays_local(
        &self,
        spec: &ReplicatedTable,
        row_id: &str,
        payload: &Map<String, Value>,
    ) -> Result<bool, ReplicaError> {
        is_local(&self.tx, spec, row_id, payload)
            .map_err(|cause| write_failed("local_rows", row_id, cause))
    }

    /// The transaction, for reads that must see the writes made so far (is this seat still
    /// free?). Changes must go through the methods above, which record their ops.
    pub fn reader(&self) -> &rusqlite::Connection {
        &self.tx
    }

    /// Marks a conflict settled, in the same transaction as the edit that settles it (the
    /// seat picked instead, the cancellation), so the inbox and the data never disagree.
    pub fn settle_conflict(
        &mut self,
        conflict_id: &str,
        resolution: &str,
    ) -> Result<(), ReplicaError> {
        let changed = self
            .tx
            .execute(
                "UPDATE conflicts SET resolved_at = ?2, resolution = ?3
                 WHERE id = ?1 AND resolved_at IS NULL",
                rusqlite::params![conflict_id, crate::time::stored(Utc::now()), resolution],
            )
            .map_err(|cause| write_failed("conflicts", conflict_id, cause))?;
        if changed == 0 {
            return Err(ReplicaError::RowNotFound {
                table: "conflicts".into(),
                row_id: conflict_id.into(),
            });
        }
        Ok(())
    }

    /// Ids of rows in `table` marked as demo data.
    pub fn demo_row_ids(&self, table: &str) -> Result<Vec<String>, ReplicaError> {
        let spec = checked(table, &Map::new())?;
        let sql = format!("SELECT id FROM {} WHERE demo = 1 ORDER BY id", spec.name);
        self.tx
            .prepare(&sql)
            .and_then(|mut stmt| stmt.query_map([], |row| row.get(0))?.collect())
            .map_err(|cause| write_failed(spec.name, "(demo rows)", cause))
    }

    /// Adds a vehicle.
    pub fn insert_vehicle(&mut self, v: &VehicleRow) -> Result<(), ReplicaError> {
        self.insert_typed("vehicles", &v.id, v)
    }

    /// Adds a spaceport.
    pub fn insert_spaceport(&mut self, s: &SpaceportRow) -> Result<(), ReplicaError> {
        self.insert_typed("spaceports", &s.id, s)
    }

    /// Adds a ground station.
    pub fn insert_ground_station(&mut self, g: &GroundStationRow) -> Result<(), ReplicaError> {
        self.insert_typed("ground_stations", &g.id, g)
    }

    /// Adds a launch.
    pub fn insert_launch(&mut self, l: &LaunchRow) -> Result<(), ReplicaError> {
        self.insert_typed("launches", &l.id, l)
    }

    fn insert_typed(
        &mut self,
        table: &str,
        row_id: &str,
        row: &impl Serialize,
    ) -> Result<(), ReplicaError> {
        let Ok(Value::Object(mut values)) = serde_json::to_value(row) else {
            unreachable!("typed rows serialise to JSON objects")
        };
        values.remove("id");
        self.insert(table, row_id, values)
    }

    /// Records every replicated row as an insert op, parents before children (the registry's
    /// order), so a fresh identity can send what it holds; returns how many.
    pub(crate) fn republish_every_row(&mut self) -> Result<u64, ReplicaError> {
        let mut count = 0;
        for spec in crate::schema::registry::TABLES {
            let rows = super::sync::read_rows(&self.tx, spec)
                .map_err(|cause| write_failed(spec.name, "*", cause))?;
            for (row_id, values) in rows {
                if self.stays_local(spec, &row_id, &values)? {
                    continue;
                }
                self.append_op(spec, &row_id, OpKind::Insert, values)?;
                count += 1;
            }
        }
        Ok(count)
    }

    fn append_op(
        &mut self,
        spec: &ReplicatedTable,
        row_id: &str,
        kind: OpKind,
        payload: Map<String, Value>,
    ) -> Result<(), ReplicaError> {
        if self.stays_local(spec, row_id, &payload)? {
            return Ok(());
        }
        let now_ms = u64::try_from(Utc::now().timestamp_millis()).unwrap_or(0);
        let hlc = self.clock.tick(now_ms);
        self.tx
            .prepare_cached(
                "INSERT INTO outbox (op_id, hlc, table_name, row_id, kind, payload, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut stmt| {
                stmt.execute(rusqlite::params![
                    super::new_id(),
                    hlc.to_string(),
                    spec.name,
                    row_id,
                    kind.as_str(),
                    Value::Object(payload).to_string(),
                    self.started,
                ])
            })
            .map_err(|cause| write_failed("outbox", row_id, cause))?;
        Ok(())
    }
}

/// Whether `row_id` of `spec` is kept on this console, itself or through the incident it
/// hangs off (its `incident_id`, in `payload` or, for an update or delete, in the stored row).
fn is_local(
    conn: &rusqlite::Connection,
    spec: &ReplicatedTable,
    row_id: &str,
    payload: &Map<String, Value>,
) -> rusqlite::Result<bool> {
    let listed = |table: &str, id: &str| -> rusqlite::Result<bool> {
        conn.prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM local_rows WHERE table_name = ?1 AND row_id = ?2)",
        )?
        .query_row([table, id], |r| r.get(0))
    };
    if listed(spec.name, row_id)? {
        return Ok(true);
    }
    if !spec.has_column("incident_id") {
        return Ok(false);
    }
    let parent = if let Some(id) = payload.get("incident_id").and_then(Value::as_str) {
        Some(id.to_owned())
    } else {
        use rusqlite::OptionalExtension as _;
        let sql = format!("SELECT incident_id FROM {} WHERE id = ?1", spec.name);
        conn.prepare_cached(&sql)?
            .query_row([row_id], |r| r.get::<_, String>(0))
            .optional()?
    };
    match parent {
        Some(incident) => listed("incidents", &incident),
        None => Ok(false),
    }
}

/// The registry entry of `table`, after checking every column in `values` belongs to it
/// (column names become SQL, so only the registry's own names may pass).
pub(crate) fn checked(
    table: &str,
    values: &Map<String, Value>,
) -> Result<&'static ReplicatedTable, ReplicaError> {
    let spec = registry::table(table).ok_or_else(|| ReplicaError::UnknownTable {
        table: table.to_owned(),
    })?;
    if let Some(column) = values.keys().find(|c| !spec.has_column(c)) {
        return Err(ReplicaError::UnknownColumn {
            table: spec.name.to_owned(),
            column: column.clone(),
        });
    }
    Ok(spec)
}

/// Refuses a value the server would refuse, before SQLite sees it, naming the column.
fn check_values(spec: &ReplicatedTable, values: &Map<String, Value>) -> Result<(), ReplicaError> {
    spec.check_values(values)
        .map_err(|problem| ReplicaError::ValueRefused {
            table: spec.name.to_owned(),
            problem,
        })
}

/// Refuses a value of a unique key that another row of this replica holds. The replica keeps
/// no SQL UNIQUE constraint (a pulled change must always apply); this check and the server's
/// keep keys unique instead.
fn check_keys(
    conn: &rusqlite::Connection,
    spec: &ReplicatedTable,
    row_id: &str,
    values: &Map<String, Value>,
) -> Result<(), ReplicaError> {
    let taken = spec
        .taken_key(values, |key, wanted| {
            super::sync::key_holder(conn, spec, key, wanted, row_id).map(|h| h.is_some())
        })
        .map_err(|cause| write_failed(spec.name, row_id, cause))?;
    match taken {
        Some(reason) => Err(ReplicaError::KeyTaken {
            table: spec.name.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

fn write_failed(table: &str, row_id: &str, cause: rusqlite::Error) -> ReplicaError {
    ReplicaError::WriteRefused {
        table: table.to_owned(),
        row_id: row_id.to_owned(),
        cause,
    }
}
