//! What the Overview shows, read from the replica in one go.

use chrono::{DateTime, Utc};
use galaxium_sync::replica::{Conflict, LaunchSummary, SetAsideOp, SyncRun};
use galaxium_sync::{Replica, ReplicaError, ReplicaStatus};

/// How many past sync runs the Sync view lists.
pub const SYNC_HISTORY: usize = 20;

/// How many upcoming launches the Overview lists.
pub const UPCOMING_LAUNCHES: usize = 8;

/// A consistent read of the replica for the Overview, the Sync view and the status bar.
#[derive(Debug, Clone)]
pub struct OverviewSnapshot {
    /// The replica's own facts and row counts.
    pub status: ReplicaStatus,
    /// The next launches, earliest first.
    pub upcoming: Vec<LaunchSummary>,
    /// Local edits the server has not accepted yet.
    pub pending_ops: u64,
    /// Refused edits waiting for a person, newest first.
    pub conflicts: Vec<Conflict>,
    /// The latest sync runs, newest first.
    pub sync_runs: Vec<SyncRun>,
    /// Pulled changes this replica could not apply, kept aside, oldest first.
    pub set_aside: Vec<SetAsideOp>,
    /// The day's launches (from 12 hours ago to 24 hours ahead, and any boarding), with
    /// where their passengers are.
    pub today: Vec<LaunchDay>,
    /// When this was read.
    pub read_at: DateTime<Utc>,
}

/// A launch of the day and where its passengers are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchDay {
    /// Its id.
    pub id: String,
    /// The mission name.
    pub mission: String,
    /// When it flies (RFC 3339 UTC).
    pub scheduled_at: String,
    /// Its status word.
    pub status: String,
    /// Sold, not yet checked in.
    pub confirmed: u32,
    /// Checked in, not yet aboard.
    pub checked_in: u32,
    /// Aboard.
    pub boarded: u32,
}

/// The launches of the day around `now`, with their passengers' progress.
fn launches_of_the_day(
    replica: &Replica,
    now: DateTime<Utc>,
) -> Result<Vec<LaunchDay>, ReplicaError> {
    let from = galaxium_sync::time::stored(now - chrono::Duration::hours(12));
    let to = galaxium_sync::time::stored(now + chrono::Duration::hours(24));
    replica.read("reading the day's launches", |conn| {
        conn.prepare_cached(
            "SELECT l.id, l.mission, l.scheduled_at, l.status,
                    count(CASE WHEN b.status = 'confirmed' THEN 1 END),
                    count(CASE WHEN b.status = 'checked_in' THEN 1 END),
                    count(CASE WHEN b.status = 'boarded' THEN 1 END)
             FROM launches l LEFT JOIN bookings b ON b.launch_id = l.id
             WHERE (l.scheduled_at BETWEEN ?1 AND ?2 AND l.status NOT IN ('cancelled'))
                OR l.status = 'boarding'
             GROUP BY l.id
             ORDER BY l.scheduled_at
             LIMIT 12",
        )?
        .query_map([from, to], |r| {
            Ok(LaunchDay {
                id: r.get(0)?,
                mission: r.get(1)?,
                scheduled_at: r.get(2)?,
                status: r.get(3)?,
                confirmed: r.get(4)?,
                checked_in: r.get(5)?,
                boarded: r.get(6)?,
            })
        })?
        .collect()
    })
}

/// Reads the Overview's facts.
pub fn snapshot(replica: &Replica, now: DateTime<Utc>) -> Result<OverviewSnapshot, ReplicaError> {
    Ok(OverviewSnapshot {
        status: replica.status()?,
        upcoming: replica.launches_from(now, UPCOMING_LAUNCHES)?,
        pending_ops: replica.pending_count()?,
        conflicts: replica.conflicts(false)?,
        sync_runs: replica.sync_runs(SYNC_HISTORY)?,
        set_aside: replica.set_aside_ops()?,
        today: launches_of_the_day(replica, now)?,
        read_at: now,
    })
}
