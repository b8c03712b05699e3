//! Typed rows of the domain tables and the writer that stores them.

use rusqlite::{Row, Transaction, params};

/// A vehicle of the fleet.
#[derive(Debug, Clone, PartialEq)]
pub struct VehicleRow {
    /// UUIDv7.
    pub id: String,
    /// The vehicle's name ("Aurora").
    pub name: String,
    /// Its model ("Galaxium G-6 capsule").
    pub model: String,
    /// Passenger seats.
    pub seat_count: u32,
    /// The most passenger mass it may carry.
    pub max_passenger_mass_kg: f64,
    /// The most baggage mass it may carry.
    pub max_baggage_mass_kg: f64,
    /// Part of the demo dataset.
    pub demo: bool,
}

/// A spaceport with its location.
#[derive(Debug, Clone, PartialEq)]
pub struct SpaceportRow {
    /// UUIDv7.
    pub id: String,
    /// A short code ("GSP").
    pub code: String,
    /// Its name.
    pub name: String,
    /// Geodetic latitude.
    pub lat_deg: f64,
    /// Longitude in (-180, 180].
    pub lon_deg: f64,
    /// Height above the WGS84 ellipsoid.
    pub alt_m: f64,
    /// Part of the demo dataset.
    pub demo: bool,
}

/// A ground station that can talk to the vehicle.
#[derive(Debug, Clone, PartialEq)]
pub struct GroundStationRow {
    /// UUIDv7.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Geodetic latitude.
    pub lat_deg: f64,
    /// Longitude in (-180, 180].
    pub lon_deg: f64,
    /// Height above the WGS84 ellipsoid.
    pub alt_m: f64,
    /// The elevation below which it has no contact.
    pub min_elevation_deg: f64,
    /// Part of the demo dataset.
    pub demo: bool,
}

/// A launch as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchRow {
    /// UUIDv7.
    pub id: String,
    /// The mission name.
    pub mission: String,
    /// The vehicle flying it.
    pub vehicle_id: String,
    /// Where it launches from.
    pub spaceport_id: String,
    /// The pad at that spaceport.
    pub pad: String,
    /// RFC 3339 UTC with `Z`.
    pub scheduled_at: String,
    /// planned, scheduled, boarding, launched, landed, scrubbed or cancelled.
    pub status: String,
    /// Part of the demo dataset.
    pub demo: bool,
}

/// A launch with the names a person needs to read it.
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchSummary {
    /// UUIDv7.
    pub id: String,
    /// The mission name.
    pub mission: String,
    /// The vehicle's name.
    pub vehicle: String,
    /// The spaceport's code.
    pub spaceport: String,
    /// The pad.
    pub pad: String,
    /// RFC 3339 UTC with `Z`.
    pub scheduled_at: String,
    /// Its status.
    pub status: String,
    /// Part of the demo dataset.
    pub demo: bool,
}

impl LaunchSummary {
    pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            mission: row.get(1)?,
            vehicle: row.get(2)?,
            spaceport: row.get(3)?,
            pad: row.get(4)?,
            scheduled_at: row.get(5)?,
            status: row.get(6)?,
            demo: row.get(7)?,
        })
    }
}

/// Writes to the replica inside one transaction; see [`super::Replica::write`].
pub struct Writer<'conn> {
    pub(crate) tx: Transaction<'conn>,
}

impl Writer<'_> {
    /// Adds a vehicle.
    pub fn insert_vehicle(&self, v: &VehicleRow) -> rusqlite::Result<()> {
        self.tx.execute(
            "INSERT INTO vehicles (id, name, model, seat_count, max_passenger_mass_kg, max_baggage_mass_kg, demo)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![v.id, v.name, v.model, v.seat_count, v.max_passenger_mass_kg, v.max_baggage_mass_kg, v.demo],
        )?;
        Ok(())
    }

    /// Adds a spaceport.
    pub fn insert_spaceport(&self, s: &SpaceportRow) -> rusqlite::Result<()> {
        self.tx.execute(
            "INSERT INTO spaceports (id, code, name, lat_deg, lon_deg, alt_m, demo)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![s.id, s.code, s.name, s.lat_deg, s.lon_deg, s.alt_m, s.demo],
        )?;
        Ok(())
    }

    /// Adds a ground station.
    pub fn insert_ground_station(&self, g: &GroundStationRow) -> rusqlite::Result<()> {
        self.tx.execute(
            "INSERT INTO ground_stations (id, name, lat_deg, lon_deg, alt_m, min_elevation_deg, demo)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![g.id, g.name, g.lat_deg, g.lon_deg, g.alt_m, g.min_elevation_deg, g.demo],
        )?;
        Ok(())
    }

    /// Adds a launch.
    pub fn insert_launch(&self, l: &LaunchRow) -> rusqlite::Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO launches (id, mission, vehicle_id, spaceport_id, pad, scheduled_at, status, demo)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                l.id,
                l.mission,
                l.vehicle_id,
                l.spaceport_id,
                l.pad,
                l.scheduled_at,
                l.status,
                l.demo
            ])?;
        Ok(())
    }
}
