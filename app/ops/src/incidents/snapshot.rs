//! The telemetry around an incident: every channel from N minutes before the alarm to N
//! minutes after, kept in the replica with the incident (locally: it is this console's
//! recording) and played back in a plot.
//!
//! One row per channel: times as little-endian f64, values as little-endian f32, so a
//! 10-minute snapshot of 100 channels at 10 Hz (600,000 points) reads in one query of 100
//! rows rather than 600,000.

use galaxium_sync::{Replica, ReplicaError};
use rusqlite::params;

use crate::telemetry::Telemetry;

/// One channel's points.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelTrace {
    /// The channel id.
    pub channel: String,
    /// Unix seconds.
    pub times: Vec<f64>,
    /// Values.
    pub values: Vec<f32>,
}

/// A snapshot as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Window start, Unix seconds.
    pub from_t: f64,
    /// Window end.
    pub to_t: f64,
    /// Whether the window after the alarm had passed when it was stored.
    pub complete: bool,
    /// Every channel.
    pub channels: Vec<ChannelTrace>,
}

impl Snapshot {
    /// How many points it holds.
    pub fn points(&self) -> usize {
        self.channels.iter().map(|c| c.times.len()).sum()
    }

    /// A channel's trace.
    pub fn channel(&self, id: &str) -> Option<&ChannelTrace> {
        self.channels.iter().find(|c| c.channel == id)
    }
}

/// Takes every channel's points in `[from_t, to_t]` from the console's history.
pub fn capture(telemetry: &Telemetry, from_t: f64, to_t: f64) -> Vec<ChannelTrace> {
    telemetry
        .dictionary
        .channels
        .iter()
        .enumerate()
        .map(|(index, channel)| {
            let (times, values) = telemetry
                .series(index)
                .recent(from_t)
                .take_while(|(t, _)| *t <= to_t)
                .map(|(t, v)| {
                    #[allow(clippy::cast_possible_truncation, reason = "values are kept as f32")]
                    (t, v as f32)
                })
                .unzip();
            ChannelTrace {
                channel: channel.id.clone(),
                times,
                values,
            }
        })
        .collect()
}

/// Stores (or replaces) an incident's snapshot.
pub fn store(
    replica: &Replica,
    incident_id: &str,
    from_t: f64,
    to_t: f64,
    complete: bool,
    channels: &[ChannelTrace],
) -> Result<(), ReplicaError> {
    replica.read("storing an incident's telemetry snapshot", |conn| {
        let tx = conn.unchecked_transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO incident_snapshots (incident_id, channel, from_t, to_t, complete, times, \"values\")
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (incident_id, channel) DO UPDATE SET from_t = excluded.from_t,
                   to_t = excluded.to_t, complete = excluded.complete, times = excluded.times,
                   \"values\" = excluded.\"values\"",
            )?;
            for trace in channels {
                let times: Vec<u8> = trace.times.iter().flat_map(|t| t.to_le_bytes()).collect();
                let values: Vec<u8> = trace.values.iter().flat_map(|v| v.to_le_bytes()).collect();
                insert.execute(params![
                    incident_id,
                    trace.channel,
                    from_t,
                    to_t,
                    complete,
                    times,
                    values
                ])?;
            }
        }
        tx.commit()
    })
}

/// An incident's snapshot, if this console captured one.
pub fn load(replica: &Replica, incident_id: &str) -> Result<Option<Snapshot>, ReplicaError> {
    replica.read("reading an incident's telemetry snapshot", |conn| {
        let mut query = conn.prepare_cached(
            "SELECT channel, from_t, to_t, complete, times, \"values\" FROM incident_snapshots
             WHERE incident_id = ?1 ORDER BY channel",
        )?;
        let mut rows = query.query([incident_id])?;
        let mut snapshot: Option<Snapshot> = None;
        while let Some(row) = rows.next()? {
            let times: Vec<u8> = row.get(4)?;
            let values: Vec<u8> = row.get(5)?;
            let snapshot = snapshot.get_or_insert_with(|| Snapshot {
                from_t: 0.0,
                to_t: 0.0,
                complete: false,
                channels: Vec::new(),
            });
            snapshot.from_t = row.get(1)?;
            snapshot.to_t = row.get(2)?;
            snapshot.complete = row.get(3)?;
            snapshot.channels.push(ChannelTrace {
                channel: row.get(0)?,
                times: times
                    .chunks_exact(8)
                    .map(|b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
                    .collect(),
                values: values
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes(b.try_into().unwrap_or([0; 4])))
                    .collect(),
            });
        }
        Ok(snapshot)
    })
}
