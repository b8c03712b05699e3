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
    /// When this was read.
    pub read_at: DateTime<Utc>,
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
        read_at: now,
    })
}
