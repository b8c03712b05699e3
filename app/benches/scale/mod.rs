//! The scale every console benchmark shares: 10,000 launches of 16 seats, passengers, and
//! 200,000 bookings on one launch; and the figures taken of a run of samples.

use std::time::Duration;

use chrono::{DateTime, Utc};
use galaxium::ops::bookings::Fare;
use galaxium::ops::bookings::actions::seat_layout;
use galaxium_sync::replica::{self, LaunchRow, SpaceportRow, VehicleRow};
use galaxium_sync::{Replica, ReplicaError};
use serde_json::{Value, json};

/// Launches in the replica.
pub const LAUNCHES: usize = 10_000;
/// Bookings on the first launch.
pub const BIG_BOOKINGS: usize = 200_000;

/// What [`fill`] wrote.
pub struct Fleet {
    /// Launch ids, soonest first.
    pub launches: Vec<String>,
    /// Passenger ids.
    pub passengers: Vec<String>,
}

/// Writes [`LAUNCHES`] launches and `passengers` passengers.
pub fn fill(replica: &mut Replica, now: DateTime<Utc>, passengers: usize) -> Fleet {
    let seats = seat_layout(
        4,
        &[
            ('A', "window"),
            ('B', "aisle"),
            ('C', "aisle"),
            ('D', "window"),
        ],
        "Cabin",
    );
    let fares = vec![Fare {
        code: "STD".into(),
        name: "Standard".into(),
        price_minor: 12_000_000,
        currency: "USD".into(),
    }];
    let vehicle = VehicleRow {
        id: replica::new_id(),
        name: "Celestia Bench".into(),
        model: "S-8".into(),
        seat_count: 16,
        max_passenger_mass_kg: 1500.0,
        max_baggage_mass_kg: 160.0,
        demo: false,
        seat_layout: serde_json::to_string(&seats).unwrap(),
    };
    let port = SpaceportRow {
        id: replica::new_id(),
        code: "SPB".into(),
        name: "Spaceport America (bench)".into(),
        lat_deg: 32.99,
        lon_deg: -106.97,
        alt_m: 1401.0,
        demo: false,
    };
    let mut launches = Vec::with_capacity(LAUNCHES);
    let mut people = Vec::with_capacity(passengers);
    replica
        .write(|w| {
            w.insert_vehicle(&vehicle)?;
            w.insert_spaceport(&port)?;
            for n in 0..LAUNCHES {
                let at = now + chrono::Duration::hours(48 + i64::try_from(n).unwrap() * 6);
                let row = LaunchRow {
                    id: replica::new_id(),
                    mission: format!("GX-{n:05}"),
                    vehicle_id: vehicle.id.clone(),
                    spaceport_id: port.id.clone(),
                    pad: "Runway 16/34".into(),
                    scheduled_at: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    status: "scheduled".into(),
                    demo: false,
                    fare_classes: serde_json::to_string(&fares).unwrap(),
                    checkin_opens_hours: 24.0,
                    checkin_closes_hours: 1.0,
                };
                w.insert_launch(&row)?;
                launches.push(row.id);
            }
            for n in 0..passengers {
                let id = replica::new_id();
                let Value::Object(values) = json!({
                    "full_name": format!("Passenger {n:06}"),
                    "date_of_birth": "1980-01-01", "nationality": "NLD",
                    "document_number": format!("P{n:08}"), "email": null, "phone": null,
                    "emergency_contact": null, "body_mass_kg": 75.0,
                    "medical_status": "cleared", "medical_expires_on": "2030-01-01",
                    "training_completed_on": "2026-01-01", "waiver_signed_on": "2026-01-01",
                    "demo": false,
                }) else {
                    unreachable!()
                };
                w.insert("passengers", &id, values)?;
                people.push(id);
            }
            Ok::<_, ReplicaError>(())
        })
        .expect("fill");
    Fleet {
        launches,
        passengers: people,
    }
}

/// 200,000 bookings on the first launch: the last 16 hold its seats, the rest were cancelled.
pub fn fill_big_launch(replica: &mut Replica, fleet: &Fleet, now: DateTime<Utc>) {
    let stamp = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let seats: Vec<String> = (1..=4)
        .flat_map(|r| ['A', 'B', 'C', 'D'].map(|c| format!("{r}{c}")))
        .collect();
    replica
        .write(|w| {
            for n in 0..BIG_BOOKINGS {
                let status = if n >= BIG_BOOKINGS - 16 {
                    "confirmed"
                } else {
                    "cancelled"
                };
                let Value::Object(values) = json!({
                    "locator": format!("B{n:05}").chars().take(6).collect::<String>(),
                    "launch_id": fleet.launches[0],
                    "passenger_id": fleet.passengers[n % fleet.passengers.len()],
                    "seat_id": seats[n % seats.len()],
                    "fare_class": "STD", "status": status, "hold_expires_at": null,
                    "hold_extensions": 0, "baggage_mass_kg": 5.0,
                    "created_at": stamp, "updated_at": stamp, "demo": false,
                }) else {
                    unreachable!()
                };
                w.insert("bookings", &replica::new_id(), values)?;
            }
            Ok::<_, ReplicaError>(())
        })
        .expect("fill bookings");
}

/// Median, 95th and 99th percentiles and the worst of a run, in milliseconds.
pub struct Stats {
    /// The median.
    pub median: f64,
    /// The 95th percentile.
    pub p95: f64,
    /// The 99th percentile.
    pub p99: f64,
    /// The worst.
    pub max: f64,
}

impl Stats {
    /// The figures of `samples`.
    pub fn of(mut samples: Vec<Duration>) -> Self {
        samples.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let at = |per_mille: usize| ms(samples[(samples.len() - 1) * per_mille / 1000]);
        Self {
            median: at(500),
            p95: at(950),
            p99: at(990),
            max: ms(samples[samples.len() - 1]),
        }
    }
}
