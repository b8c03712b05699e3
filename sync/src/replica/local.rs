//! What a console keeps for itself and never replicates: the Mission event log, and which
//! rows a drill keeps on this console.

use rusqlite::params;

use super::{Replica, ReplicaError};

/// One entry of the Mission event log as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedEvent {
    /// When, in the stored time form (RFC 3339 UTC).
    pub at: String,
    /// The channel, or empty for what is not about one channel.
    pub channel: String,
    /// The severity's word at the time.
    pub severity: String,
    /// What happened, in words.
    pub what: String,
    /// About a drill.
    pub drill: bool,
}

/// How many entries the event log keeps: the oldest go first.
pub const MISSION_LOG_KEPT: i64 = 20_000;

impl Replica {
    /// Appends `events` to the Mission event log, in one transaction, and trims it to
    /// [`MISSION_LOG_KEPT`].
    pub fn log_events(&mut self, events: &[LoggedEvent]) -> Result<(), ReplicaError> {
        if events.is_empty() {
            return Ok(());
        }
        let write = |conn: &mut rusqlite::Connection| -> rusqlite::Result<()> {
            let tx = conn.transaction()?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO mission_log (at, channel, severity, what, drill)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?;
                for e in events {
                    insert.execute(params![e.at, e.channel, e.severity, e.what, e.drill])?;
                }
            }
            tx.execute(
                "DELETE FROM mission_log WHERE seq <= (SELECT max(seq) FROM mission_log) - ?1",
                [MISSION_LOG_KEPT],
            )?;
            tx.commit()
        };
        write(&mut self.conn).map_err(ReplicaError::sqlite("keeping the event log", &self.path))
    }

    /// The newest `limit` entries of the Mission event log, oldest first.
    pub fn logged_events(&self, limit: usize) -> Result<Vec<LoggedEvent>, ReplicaError> {
        let read = || -> rusqlite::Result<Vec<LoggedEvent>> {
            let mut stmt = self.conn.prepare(
                "SELECT at, channel, severity, what, drill FROM
                   (SELECT * FROM mission_log ORDER BY seq DESC LIMIT ?1)
                 ORDER BY seq",
            )?;
            stmt.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
                Ok(LoggedEvent {
                    at: r.get(0)?,
                    channel: r.get(1)?,
                    severity: r.get(2)?,
                    what: r.get(3)?,
                    drill: r.get(4)?,
                })
            })?
            .collect()
        };
        read().map_err(ReplicaError::sqlite("reading the event log", &self.path))
    }

    /// Whether row `row_id` of `table` is kept on this console (a drill's incident).
    pub fn is_kept_local(&self, table: &str, row_id: &str) -> Result<bool, ReplicaError> {
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM local_rows WHERE table_name = ?1 AND row_id = ?2)",
                [table, row_id],
                |r| r.get(0),
            )
            .map_err(ReplicaError::sqlite("reading the local rows", &self.path))
    }
}
