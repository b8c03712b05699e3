//! Alarm acknowledgements shared through the replica: each one made here is kept as a
//! replicated row, and those made at other consoles are read back, so an alarm acknowledged
//! at one position is acknowledged at every position that has it active, and a trainer's
//! console can score what trainees acknowledged at theirs.

use chrono::{DateTime, Utc};
use galaxium_sync::Replica;
use galaxium_sync::replica::new_id;
use serde_json::json;

use super::limits::Severity;

/// An acknowledgement as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedAck {
    /// The channel whose alarm was acknowledged.
    pub channel: String,
    /// When (RFC 3339 UTC, on the mission clock).
    pub at: String,
    /// Who.
    pub by: String,
    /// What they said.
    pub comment: String,
    /// The console it was made at.
    pub device_id: String,
}

/// Keeps an acknowledgement made at this console.
pub fn record(
    replica: &mut Replica,
    channel: &str,
    severity: Severity,
    by: &str,
    comment: &str,
    at: DateTime<Utc>,
) -> Result<(), galaxium_sync::ReplicaError> {
    let device = replica.device_id().to_owned();
    let severity = if severity == Severity::Critical {
        "critical"
    } else {
        "warning"
    };
    let serde_json::Value::Object(values) = json!({
        "channel": channel,
        "severity": severity,
        "acknowledged_at": galaxium_sync::time::stored(at),
        "acknowledged_by": by,
        "comment": comment,
        "device_id": device,
        "demo": 0,
    }) else {
        unreachable!("a JSON object literal")
    };
    replica.write(|w| w.insert("alarm_acknowledgements", &new_id(), values))
}

/// Acknowledgements made at other consoles after `after` (RFC 3339), oldest first.
pub fn from_elsewhere(
    replica: &Replica,
    after: &str,
) -> Result<Vec<SharedAck>, galaxium_sync::ReplicaError> {
    every(replica, after).map(|acks| {
        acks.into_iter()
            .filter(|a| a.device_id != replica.device_id())
            .collect()
    })
}

/// Every acknowledgement after `after` (RFC 3339), from any console, oldest first.
pub fn every(
    replica: &Replica,
    after: &str,
) -> Result<Vec<SharedAck>, galaxium_sync::ReplicaError> {
    replica.read("reading alarm acknowledgements", |conn| {
        let mut statement = conn.prepare(
            "SELECT channel, acknowledged_at, acknowledged_by, comment, device_id
             FROM alarm_acknowledgements WHERE acknowledged_at > ?1
             ORDER BY acknowledged_at, id",
        )?;
        let rows = statement
            .query_map([after], |r| {
                Ok(SharedAck {
                    channel: r.get(0)?,
                    at: r.get(1)?,
                    by: r.get(2)?,
                    comment: r.get(3)?,
                    device_id: r.get(4)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    })
}
