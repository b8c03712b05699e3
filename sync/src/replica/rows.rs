//! Typed rows of the domain tables.

use rusqlite::Row;
use serde::Serialize;

/// A vehicle of the fleet.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    /// The seats as a JSON array (see the bookings migration).
    pub seat_layout: String,
}

/// A spaceport with its location.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    /// The fares as a JSON array (see the bookings migration).
    pub fare_classes: String,
    /// Check-in opens this many hours before launch.
    pub checkin_opens_hours: f64,
    /// Check-in closes this many hours before launch.
    pub checkin_closes_hours: f64,
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
