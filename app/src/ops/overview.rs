//! What the Overview shows, read from the replica in one go.

use chrono::{DateTime, Utc};
use galaxium_sync::replica::LaunchSummary;
use galaxium_sync::{Replica, ReplicaStatus};

/// How many upcoming launches the Overview lists.
pub const UPCOMING_LAUNCHES: usize = 8;

/// A consistent read of the replica for the Overview and the status bar.
#[derive(Debug, Clone)]
pub struct OverviewSnapshot {
    /// The replica's own facts and row counts.
    pub status: ReplicaStatus,
    /// The next launches, earliest first.
    pub upcoming: Vec<LaunchSummary>,
    /// When this was read.
    pub read_at: DateTime<Utc>,
}

/// Reads the Overview's facts.
pub fn snapshot(replica: &Replica, now: DateTime<Utc>) -> anyhow::Result<OverviewSnapshot> {
    Ok(OverviewSnapshot {
        status: replica.status()?,
        upcoming: replica.launches_from(now, UPCOMING_LAUNCHES)?,
        read_at: now,
    })
}
