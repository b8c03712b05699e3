//! What the bookings screens draw from, read in one go and kept until the replica changes.

use chrono::{DateTime, Utc};
use galaxium_sync::{Replica, ReplicaError};

use super::model::{
    Booking, LaunchDetail, LaunchListEntry, PASSENGER_COLUMNS, Passenger, bookings_by_locator,
    launch_list,
};

/// A vehicle a launch can fly on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VehicleChoice {
    /// UUIDv7.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its seats.
    pub seats: u32,
}

/// A spaceport a launch can leave from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpaceportChoice {
    /// UUIDv7.
    pub id: String,
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
}

/// Everything the launches, passengers and check-in screens show.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BookingsData {
    /// Every launch, soonest first.
    pub launches: Vec<LaunchListEntry>,
    /// The selected launch in full.
    pub detail: Option<LaunchDetail>,
    /// Every passenger, by name.
    pub passengers: Vec<Passenger>,
    /// Vehicles, by name.
    pub vehicles: Vec<VehicleChoice>,
    /// Spaceports, by code.
    pub spaceports: Vec<SpaceportChoice>,
    /// The bookings under the locator the check-in desk looked up, with their launch.
    pub desk: Option<(Vec<Booking>, Option<LaunchDetail>)>,
}

impl BookingsData {
    /// The passengers matching `query` by name, document number or e-mail (any case), or
    /// holding a booking under the locator `query` spells (`by_locator`, read with
    /// [`passengers_under_locator`]); every passenger for an empty query.
    pub fn find_passengers(&self, query: &str, by_locator: &[String]) -> Vec<&Passenger> {
        let query = query.trim().to_lowercase();
        self.passengers
            .iter()
            .filter(|p| query.is_empty() || p.matches(&query) || by_locator.contains(&p.id))
            .collect()
    }
}

/// The passengers holding a booking under `locator` (as typed: any case, spaces around), by
/// the locator index; none unless it is six characters, as a locator is.
pub fn passengers_under_locator(
    replica: &Replica,
    locator: &str,
) -> Result<Vec<String>, ReplicaError> {
    let locator = locator.trim().to_uppercase();
    if locator.chars().count() != 6 {
        return Ok(Vec::new());
    }
    replica.read("finding a locator's passengers", |conn| {
        conn.prepare_cached("SELECT DISTINCT passenger_id FROM bookings WHERE locator = ?1")?
            .query_map([locator], |r| r.get(0))?
            .collect()
    })
}

impl BookingsData {
    /// Reads it all; `selected` is the launch shown in full, `locator` the check-in desk's.
    pub fn load(
        replica: &Replica,
        selected: Option<&str>,
        locator: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Self, ReplicaError> {
        replica.read("reading launches and bookings", |conn| {
            let detail = match selected {
                Some(id) => LaunchDetail::load(conn, id)?,
                None => None,
            };
            let desk = match locator {
                Some(locator) if !locator.trim().is_empty() => {
                    let bookings = bookings_by_locator(conn, locator)?;
                    let launch = match bookings.first() {
                        Some(first) => LaunchDetail::load(conn, &first.launch_id)?,
                        None => None,
                    };
                    Some((bookings, launch))
                }
                _ => None,
            };
            Ok(Self {
                launches: launch_list(conn, now)?,
                detail,
                passengers: conn
                    .prepare_cached(&format!(
                        "SELECT {PASSENGER_COLUMNS} FROM passengers ORDER BY full_name, id"
                    ))?
                    .query_map([], Passenger::from_row)?
                    .collect::<rusqlite::Result<_>>()?,
                vehicles: conn
                    .prepare_cached("SELECT id, name, seat_count FROM vehicles ORDER BY name")?
                    .query_map([], |r| {
                        Ok(VehicleChoice {
                            id: r.get(0)?,
                            name: r.get(1)?,
                            seats: r.get(2)?,
                        })
                    })?
                    .collect::<rusqlite::Result<_>>()?,
                spaceports: conn
                    .prepare_cached("SELECT id, code, name FROM spaceports ORDER BY code")?
                    .query_map([], |r| {
                        Ok(SpaceportChoice {
                            id: r.get(0)?,
                            code: r.get(1)?,
                            name: r.get(2)?,
                        })
                    })?
                    .collect::<rusqlite::Result<_>>()?,
                desk,
            })
        })
    }
}
