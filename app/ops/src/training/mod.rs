//! Trainer mode: scenarios (a simulated mission's start and a timeline of injected events with
//! the responses expected of trainees) and the run that plays them into the simulator.

pub mod debrief;
pub mod run;
pub mod scenario;
pub mod score;
pub mod session;
pub mod source;

use galaxium_sync::{Replica, ReplicaError, ReplicaKind};

/// The preference naming the scenario a training replica was prepared with.
pub const SCENARIO_KEY: &str = "training_scenario";

/// Why a sandbox could not be prepared or its scenario read.
#[derive(Debug, thiserror::Error)]
pub enum TrainingError {
    /// The replica failed.
    #[error(transparent)]
    Replica(#[from] ReplicaError),
    /// A scenario file is malformed.
    #[error(transparent)]
    Scenario(#[from] scenario::ScenarioError),
    /// No such scenario.
    #[error("no scenario {0:?}; the shipped ones are {1}")]
    Unknown(String, String),
    /// The replica is not a training sandbox.
    #[error(
        "{0} is an operational replica; training runs only in a sandbox (galaxium training prepare)"
    )]
    Operational(String),
}

/// The shipped scenario with `id`.
pub fn scenario_by_id(id: &str) -> Result<scenario::Scenario, TrainingError> {
    let all = scenario::shipped()?;
    let names: Vec<String> = all.iter().map(|s| s.id.clone()).collect();
    all.into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| TrainingError::Unknown(id.to_owned(), names.join(", ")))
}

/// The scenario a training replica was prepared with; `None` for an operational replica or
/// a training one without a scenario.
pub fn prepared_scenario(replica: &Replica) -> Result<Option<scenario::Scenario>, TrainingError> {
    if replica.kind()? != ReplicaKind::Training {
        return Ok(None);
    }
    match replica.preference(SCENARIO_KEY)? {
        Some(id) => scenario_by_id(&id).map(Some),
        None => Ok(None),
    }
}

/// Makes `replica` (a training sandbox) play `scenario_id` when a console opens it.
pub fn prepare(
    replica: &mut Replica,
    scenario_id: &str,
) -> Result<scenario::Scenario, TrainingError> {
    if replica.kind()? != ReplicaKind::Training {
        return Err(TrainingError::Operational(
            replica.path().display().to_string(),
        ));
    }
    let scenario = scenario_by_id(scenario_id)?;
    replica.set_preference(SCENARIO_KEY, &scenario.id)?;
    Ok(scenario)
}

/// A launch scrubbed by a scenario, and whom it left without a flight.
#[derive(Debug, Clone, PartialEq)]
pub struct Scrub {
    /// The launch.
    pub launch_id: String,
    /// Its mission name.
    pub mission: String,
    /// Passengers whose bookings it held.
    pub passengers: Vec<String>,
    /// When (Unix seconds).
    pub at: f64,
}

/// Plays a scenario's scrub on the sandbox: the next launch that can be scrubbed (scheduled
/// or boarding) is scrubbed; `None` when the sandbox has none.
pub fn play_scrub(
    replica: &mut Replica,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<Scrub>, crate::bookings::actions::BookingError> {
    let next: Option<(String, String)> = replica.read("finding the launch to scrub", |conn| {
        use rusqlite::OptionalExtension as _;
        conn.query_row(
            "SELECT id, mission FROM launches WHERE status IN ('scheduled', 'boarding')
             ORDER BY scheduled_at LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
    })?;
    let Some((launch_id, mission)) = next else {
        return Ok(None);
    };
    let affected = crate::bookings::actions::set_launch_status(
        replica,
        &launch_id,
        crate::bookings::model::LaunchStatus::Scrubbed,
        now,
    )?;
    let mut passengers: Vec<String> = affected.into_iter().map(|b| b.passenger_id).collect();
    passengers.sort();
    passengers.dedup();
    Ok(Some(Scrub {
        launch_id,
        mission,
        passengers,
        at: crate::telemetry::unix_seconds(now),
    }))
}

/// When every passenger of `scrub` held a live booking on another launch made after the
/// scrub (the last of them, Unix seconds); `None` while someone is still without one.
pub fn rebooked_at(replica: &Replica, scrub: &Scrub) -> Result<Option<f64>, ReplicaError> {
    let since = galaxium_sync::time::stored(
        chrono::DateTime::<chrono::Utc>::from_timestamp_millis(
            #[allow(clippy::cast_possible_truncation, reason = "Unix milliseconds")]
            {
                (scrub.at * 1000.0).round() as i64
            },
        )
        .unwrap_or_default(),
    );
    if scrub.passengers.is_empty() {
        return Ok(Some(scrub.at));
    }
    let mut last: Option<f64> = None;
    for passenger in &scrub.passengers {
        let made: Option<String> = replica.read("finding a rebooking", |conn| {
            conn.query_row(
                "SELECT min(created_at) FROM bookings WHERE passenger_id = ?1 AND launch_id != ?2
                 AND status IN ('pending', 'confirmed', 'checked_in', 'boarded') AND created_at >= ?3",
                rusqlite::params![passenger, scrub.launch_id, since],
                |r| r.get(0),
            )
        })?;
        let Some(t) = made
            .and_then(|m| chrono::DateTime::parse_from_rfc3339(&m).ok())
            .map(|t| crate::telemetry::unix_seconds(t.into()))
        else {
            return Ok(None);
        };
        last = Some(last.map_or(t, |l: f64| l.max(t)));
    }
    Ok(last)
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};
    use galaxium_sync::{OpenOptions, Replica};

    use super::*;
    use crate::bookings::actions::{BookingRules, SeatRequest, confirm, hold_seats};
    use crate::bookings::data::{BookingsData, BookingsRequest};
    use crate::bookings::model::SeatState;
    use crate::demo::DemoDataset;

    #[test]
    fn a_scrub_leaves_passengers_to_rebook_and_counts_them_once_rebooked() {
        let dir = tempfile::tempdir().unwrap();
        let mut replica =
            Replica::open(&dir.path().join("r.sqlite"), &OpenOptions::default()).unwrap();
        let now = Utc::now();
        DemoDataset::shipped()
            .unwrap()
            .seed(&mut replica, now)
            .unwrap();
        let scrub = play_scrub(&mut replica, now)
            .unwrap()
            .expect("a launch to scrub");
        assert!(!scrub.passengers.is_empty());
        assert_eq!(rebooked_at(&replica, &scrub).unwrap(), None);

        // Staff book each passenger on another scheduled launch.
        let data = BookingsData::load(&replica, BookingsRequest::default(), now).unwrap();
        let later = now + Duration::minutes(10);
        // The scheduled launch with the most free seats.
        let (detail, free) = data
            .launches
            .iter()
            .filter(|l| {
                l.id != scrub.launch_id
                    && l.status == crate::bookings::model::LaunchStatus::Scheduled
            })
            .map(|l| {
                let detail = BookingsData::load(
                    &replica,
                    BookingsRequest {
                        selected: Some(&l.id),
                        ..BookingsRequest::default()
                    },
                    later,
                )
                .unwrap()
                .detail
                .unwrap();
                let free: Vec<String> = detail
                    .seats
                    .iter()
                    .filter(|s| matches!(detail.seat_state(&s.id, later), SeatState::Free))
                    .map(|s| s.id.clone())
                    .collect();
                (detail, free)
            })
            .max_by_key(|(_, free)| free.len())
            .expect("another launch");
        let other = detail.id.clone();
        assert!(free.len() >= scrub.passengers.len());
        let requests: Vec<SeatRequest> = scrub
            .passengers
            .iter()
            .zip(&free)
            .map(|(p, seat)| SeatRequest {
                passenger_id: p.clone(),
                seat_id: seat.clone(),
            })
            .collect();
        let fare = detail.fares[0].code.clone();
        let locator = hold_seats(
            &mut replica,
            &other,
            &fare,
            &requests,
            &BookingRules::default(),
            later,
        )
        .unwrap();
        confirm(&mut replica, &locator, later).unwrap();
        let done = rebooked_at(&replica, &scrub)
            .unwrap()
            .expect("everyone rebooked");
        assert!((done - crate::telemetry::unix_seconds(later)).abs() < 1.0);
    }
}
