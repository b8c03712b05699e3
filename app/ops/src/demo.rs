//! The demo dataset: a small, realistic fleet, spaceports, ground stations and upcoming
//! launches, seeded into a new replica so a first-time user sees a working console.
//!
//! The data lives in `assets/demo/dataset.toml`; every row is marked as demo so that it can
//! be removed without touching the operator's own data.

use std::collections::HashMap;

use chrono::{DateTime, Days, NaiveTime, Timelike as _, Utc};
use galaxium_sync::replica::{self, GroundStationRow, LaunchRow, SpaceportRow, VehicleRow};
use galaxium_sync::{Replica, ReplicaError};
use serde::Deserialize;
use serde_json::{Map, json};

use super::bookings::actions;
use super::bookings::{BookingStatus, Fare, Passenger, Seat};

/// Why the demo dataset was not loaded.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The dataset does not describe a usable demo; the text says which entry and why.
    #[error("{0}")]
    Invalid(String),
    /// The replica refused or failed.
    #[error(transparent)]
    Replica(#[from] ReplicaError),
}

type DemoResult<T> = Result<T, DemoError>;

/// Turns a missing or failed value of the dataset into [`DemoError::Invalid`], saying which
/// entry (and, for a failure, its cause).
trait OrInvalid<T> {
    fn or_invalid(self, what: impl FnOnce() -> String) -> DemoResult<T>;
}

impl<T, E: std::fmt::Display> OrInvalid<T> for Result<T, E> {
    fn or_invalid(self, what: impl FnOnce() -> String) -> DemoResult<T> {
        self.map_err(|e| DemoError::Invalid(format!("{}: {e}", what())))
    }
}

impl<T> OrInvalid<T> for Option<T> {
    fn or_invalid(self, what: impl FnOnce() -> String) -> DemoResult<T> {
        self.ok_or_else(|| DemoError::Invalid(what()))
    }
}

const DATASET_TOML: &str = include_str!("../../../assets/demo/dataset.toml");

/// The demo dataset as shipped.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoDataset {
    vehicles: Vec<DemoVehicle>,
    spaceports: Vec<DemoSpaceport>,
    ground_stations: Vec<DemoGroundStation>,
    launches: Vec<DemoLaunch>,
    #[serde(default)]
    passengers: Vec<DemoPassenger>,
    #[serde(default)]
    bookings: Vec<DemoBooking>,
    #[serde(default)]
    blocks: Vec<DemoBlock>,
    #[serde(default)]
    invoices: Vec<DemoInvoice>,
    #[serde(default)]
    element_sets: Vec<DemoElementSet>,
    #[serde(default)]
    documents: Vec<DemoDocument>,
}

/// A passenger's document; its scan is a one-page PDF that says it is the demo's.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoDocument {
    passenger: String,
    kind: String,
    number: String,
    /// Days from seeding to the last day it is valid.
    expires_days: i64,
}

/// A demo document's "scan": a page that names what it stands for and says it is not real.
fn demo_scan(passenger: &str, kind: &str, number: &str, expires_on: &str) -> Vec<u8> {
    use pdf_writer::Content;
    let mut c = Content::new();
    let text = crate::bookings::manifest::pdf_text;
    text(
        &mut c,
        24.0,
        250.0,
        16.0,
        true,
        "DEMO DOCUMENT - NOT A REAL SCAN",
    );
    text(
        &mut c,
        24.0,
        210.0,
        12.0,
        false,
        &format!("{kind} {number}"),
    );
    text(&mut c, 24.0, 190.0, 12.0, false, passenger);
    text(
        &mut c,
        24.0,
        170.0,
        12.0,
        false,
        &format!("valid until {expires_on}"),
    );
    crate::bookings::manifest::one_page_pdf((420.0, 298.0), c, None)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoVehicle {
    name: String,
    model: String,
    cabin: String,
    rows: u32,
    columns: Vec<String>,
    max_passenger_mass_kg: f64,
    max_baggage_mass_kg: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoSpaceport {
    code: String,
    name: String,
    lat_deg: f64,
    lon_deg: f64,
    alt_m: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoGroundStation {
    name: String,
    lat_deg: f64,
    lon_deg: f64,
    alt_m: f64,
    min_elevation_deg: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoLaunch {
    mission: String,
    vehicle: String,
    spaceport: String,
    pad: String,
    days_after_seed: Option<u64>,
    time_utc: Option<String>,
    hours_after_seed: Option<f64>,
    status: String,
    fares: Vec<Fare>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoPassenger {
    full_name: String,
    date_of_birth: String,
    nationality: String,
    document_number: String,
    email: String,
    phone: String,
    emergency_contact: String,
    body_mass_kg: f64,
    medical_status: crate::bookings::model::MedicalStatus,
    medical_valid_days: i64,
    trained: bool,
    waiver: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoBooking {
    locator: String,
    launch: String,
    passenger: String,
    seat: Option<String>,
    fare: String,
    status: String,
    baggage_mass_kg: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoBlock {
    launch: String,
    seat: String,
    reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoInvoice {
    locator: String,
    status: String,
}

/// Mean elements in TLE conventions; the epoch is counted back from the moment of seeding so
/// the demo's predictions start fresh (and then age like any imported set).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoElementSet {
    name: String,
    vehicle: Option<String>,
    norad_id: u64,
    epoch_hours_before_seed: f64,
    inclination_deg: f64,
    raan_deg: f64,
    eccentricity: f64,
    arg_perigee_deg: f64,
    mean_anomaly_deg: f64,
    mean_motion_rev_per_day: f64,
    bstar: f64,
}

impl DemoElementSet {
    fn element_set(&self, now: DateTime<Utc>) -> DemoResult<galaxium_orbit::ElementSet> {
        #[allow(clippy::cast_possible_truncation, reason = "hours of seconds")]
        let epoch = now - chrono::Duration::seconds((self.epoch_hours_before_seed * 3600.0) as i64);
        let omm = json!({
            "OBJECT_NAME": self.name,
            "OBJECT_ID": format!("{}-900A", epoch.format("%Y")),
            "EPOCH": epoch.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
            "MEAN_MOTION": self.mean_motion_rev_per_day,
            "ECCENTRICITY": self.eccentricity,
            "INCLINATION": self.inclination_deg,
            "RA_OF_ASC_NODE": self.raan_deg,
            "ARG_OF_PERICENTER": self.arg_perigee_deg,
            "MEAN_ANOMALY": self.mean_anomaly_deg,
            "EPHEMERIS_TYPE": 0,
            "CLASSIFICATION_TYPE": "U",
            "NORAD_CAT_ID": self.norad_id,
            "ELEMENT_SET_NO": 999,
            "REV_AT_EPOCH": 1,
            "BSTAR": self.bstar,
            "MEAN_MOTION_DOT": 0.0,
            "MEAN_MOTION_DDOT": 0.0,
        });
        let mut sets = galaxium_orbit::elements::parse_omm_json(&omm.to_string())
            .or_invalid(|| format!("demo element set {:?}", self.name))?;
        Ok(sets.remove(0))
    }
}

/// How many rows of each kind a seeding wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedSummary {
    /// Vehicles added.
    pub vehicles: usize,
    /// Spaceports added.
    pub spaceports: usize,
    /// Ground stations added.
    pub ground_stations: usize,
    /// Launches added.
    pub launches: usize,
    /// Passengers added.
    pub passengers: usize,
    /// Bookings added.
    pub bookings: usize,
    /// Element sets added.
    pub element_sets: usize,
}

impl std::fmt::Display for SeedSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} vehicles, {} spaceports, {} ground stations, {} element sets, {} launches, {} passengers and {} bookings",
            self.vehicles,
            self.spaceports,
            self.ground_stations,
            self.element_sets,
            self.launches,
            self.passengers,
            self.bookings
        )
    }
}

fn object(value: serde_json::Value) -> Map<String, serde_json::Value> {
    match value {
        serde_json::Value::Object(map) => map,
        _ => Map::new(),
    }
}

impl DemoVehicle {
    fn seats(&self) -> DemoResult<Vec<Seat>> {
        let columns = self
            .columns
            .iter()
            .map(|c| {
                let (letter, position) = c.split_once(':').or_invalid(|| {
                    format!(
                        "vehicle {:?}: column {c:?} is not LETTER:position",
                        self.name
                    )
                })?;
                let mut letters = letter.chars();
                match (letters.next(), letters.next()) {
                    (Some(l), None) => Ok((l, position)),
                    _ => Err(DemoError::Invalid(format!(
                        "vehicle {:?}: column {c:?} needs one letter",
                        self.name
                    ))),
                }
            })
            .collect::<DemoResult<Vec<_>>>()?;
        Ok(actions::seat_layout(self.rows, &columns, &self.cabin))
    }
}

impl DemoLaunch {
    fn scheduled_at(&self, now: DateTime<Utc>) -> DemoResult<DateTime<Utc>> {
        match (&self.days_after_seed, &self.time_utc, self.hours_after_seed) {
            (Some(days), Some(time_utc), None) => {
                let time = NaiveTime::parse_from_str(time_utc, "%H:%M").or_invalid(|| {
                    format!(
                        "launch {:?}: time_utc {time_utc:?} is not HH:MM",
                        self.mission
                    )
                })?;
                Ok(now
                    .date_naive()
                    .checked_add_days(Days::new(*days))
                    .or_invalid(|| format!("launch {:?}: date out of range", self.mission))?
                    .and_time(time)
                    .and_utc())
            }
            (None, None, Some(hours)) => {
                // Whole minutes, so the demo's times read cleanly.
                let at = now + super::bookings::model::hours_duration(hours);
                Ok(at - chrono::Duration::seconds(i64::from(at.second())))
            }
            _ => Err(DemoError::Invalid(format!(
                "launch {:?}: give days_after_seed with time_utc, or hours_after_seed",
                self.mission
            ))),
        }
    }
}

/// The id of a demo row, derived from what names it in the dataset, so that every console
/// that loads the demo makes the same rows and two demo consoles converge into one demo.
fn demo_id(table: &str, name: &str) -> String {
    replica::stable_id(&format!("demo/{table}/{name}"))
}

impl DemoDataset {
    /// The dataset shipped in `assets/demo/dataset.toml`.
    pub fn shipped() -> DemoResult<Self> {
        Self::parse(DATASET_TOML)
            .or_invalid(|| "the shipped demo dataset (assets/demo/dataset.toml)".to_owned())
    }

    /// Parses a dataset in the shipped format.
    pub fn parse(text: &str) -> DemoResult<Self> {
        toml::from_str(text).map_err(|e| DemoError::Invalid(e.to_string()))
    }

    /// Writes the dataset into `replica` in one transaction, times counted from `now`.
    /// Refuses when the replica already holds demo rows, so seeding twice cannot duplicate it.
    #[allow(clippy::too_many_lines, reason = "one table after another, in order")]
    pub fn seed(&self, replica: &mut Replica, now: DateTime<Utc>) -> DemoResult<SeedSummary> {
        if replica.status()?.demo_rows() > 0 {
            return Err(DemoError::Invalid(
                "the replica already holds the demo dataset; remove it first to load it again"
                    .to_owned(),
            ));
        }
        let vehicles: Vec<(VehicleRow, Vec<Seat>)> = self
            .vehicles
            .iter()
            .map(|v| {
                let seats = v.seats()?;
                Ok((
                    VehicleRow {
                        id: demo_id("vehicles", &v.name),
                        name: v.name.clone(),
                        model: v.model.clone(),
                        seat_count: u32::try_from(seats.len()).unwrap_or(u32::MAX),
                        max_passenger_mass_kg: v.max_passenger_mass_kg,
                        max_baggage_mass_kg: v.max_baggage_mass_kg,
                        demo: true,
                        seat_layout: serde_json::to_string(&seats)
                            .or_invalid(|| format!("vehicle {:?}: seats", v.name))?,
                    },
                    seats,
                ))
            })
            .collect::<DemoResult<_>>()?;
        let spaceports: Vec<SpaceportRow> = self
            .spaceports
            .iter()
            .map(|s| SpaceportRow {
                id: demo_id("spaceports", &s.code),
                code: s.code.clone(),
                name: s.name.clone(),
                lat_deg: s.lat_deg,
                lon_deg: s.lon_deg,
                alt_m: s.alt_m,
                demo: true,
            })
            .collect();
        let ground_stations: Vec<GroundStationRow> = self
            .ground_stations
            .iter()
            .map(|g| GroundStationRow {
                id: demo_id("ground_stations", &g.name),
                name: g.name.clone(),
                lat_deg: g.lat_deg,
                lon_deg: g.lon_deg,
                alt_m: g.alt_m,
                min_elevation_deg: g.min_elevation_deg,
                demo: true,
            })
            .collect();
        let vehicle_ids: HashMap<&str, (&str, &[Seat])> = vehicles
            .iter()
            .map(|(v, seats)| (v.name.as_str(), (v.id.as_str(), seats.as_slice())))
            .collect();
        let spaceport_ids: HashMap<&str, &str> = spaceports
            .iter()
            .map(|s| (s.code.as_str(), s.id.as_str()))
            .collect();
        let launches = self
            .launches
            .iter()
            .map(|l| {
                let (vehicle_id, _) = vehicle_ids.get(l.vehicle.as_str()).or_invalid(|| {
                    format!("launch {:?}: no vehicle named {:?}", l.mission, l.vehicle)
                })?;
                Ok(LaunchRow {
                    id: demo_id("launches", &l.mission),
                    mission: l.mission.clone(),
                    vehicle_id: (*vehicle_id).to_owned(),
                    spaceport_id: (*spaceport_ids.get(l.spaceport.as_str()).or_invalid(|| {
                        format!("launch {:?}: no spaceport {:?}", l.mission, l.spaceport)
                    })?)
                    .to_owned(),
                    pad: l.pad.clone(),
                    scheduled_at: galaxium_sync::time::stored(l.scheduled_at(now)?),
                    status: l.status.clone(),
                    demo: true,
                    fare_classes: serde_json::to_string(&l.fares)
                        .or_invalid(|| format!("launch {:?}: fares", l.mission))?,
                    checkin_opens_hours: 24.0,
                    checkin_closes_hours: 1.0,
                })
            })
            .collect::<DemoResult<Vec<_>>>()?;
        let day = |offset: i64| (now.date_naive() + chrono::Duration::days(offset)).to_string();
        let passengers: Vec<Passenger> = self
            .passengers
            .iter()
            .map(|p| Passenger {
                id: demo_id("passengers", &p.full_name),
                full_name: p.full_name.clone(),
                date_of_birth: Some(p.date_of_birth.clone()),
                nationality: Some(p.nationality.clone()),
                document_number: Some(p.document_number.clone()),
                email: Some(p.email.clone()),
                phone: Some(p.phone.clone()),
                emergency_contact: Some(p.emergency_contact.clone()),
                body_mass_kg: Some(p.body_mass_kg),
                medical_status: p.medical_status,
                medical_expires_on: (p.medical_status
                    != crate::bookings::model::MedicalStatus::Pending)
                    .then(|| day(p.medical_valid_days)),
                training_completed_on: p.trained.then(|| day(-30)),
                waiver_signed_on: p.waiver.then(|| day(-28)),
                demo: true,
            })
            .collect();
        for p in &passengers {
            let problems = actions::validate_passenger(p, now);
            if let Some((field, message)) = problems.first() {
                return Err(DemoError::Invalid(format!(
                    "passenger {:?}: {field}: {message}",
                    p.full_name
                )));
            }
        }
        let launch_of: HashMap<&str, (&LaunchRow, &DemoLaunch)> = launches
            .iter()
            .zip(&self.launches)
            .map(|(row, demo)| (row.mission.as_str(), (row, demo)))
            .collect();
        let passenger_ids: HashMap<&str, &str> = passengers
            .iter()
            .map(|p| (p.full_name.as_str(), p.id.as_str()))
            .collect();
        let stamp = galaxium_sync::time::stored(now);
        let mut bookings = Vec::new();
        for b in &self.bookings {
            let what = || format!("booking {} for {:?}", b.locator, b.passenger);
            let (launch, demo_launch) = launch_of
                .get(b.launch.as_str())
                .or_invalid(|| format!("{}: no launch {:?}", what(), b.launch))?;
            let passenger_id = passenger_ids
                .get(b.passenger.as_str())
                .or_invalid(|| format!("{}: no passenger of that name", what()))?;
            BookingStatus::parse(&b.status)
                .or_invalid(|| format!("{}: unknown status {:?}", what(), b.status))?;
            if !demo_launch.fares.iter().any(|f| f.code == b.fare) {
                return Err(DemoError::Invalid(format!(
                    "{}: launch {:?} has no fare {:?}",
                    what(),
                    b.launch,
                    b.fare
                )));
            }
            let (_, seats) = vehicle_ids[demo_launch.vehicle.as_str()];
            if let Some(seat) = &b.seat
                && !seats.iter().any(|s| &s.id == seat)
            {
                return Err(DemoError::Invalid(format!(
                    "{}: vehicle {} has no seat {seat}",
                    what(),
                    demo_launch.vehicle
                )));
            }
            let hold = (b.status == "pending")
                .then(|| galaxium_sync::time::stored(now + chrono::Duration::minutes(15)));
            bookings.push((
                demo_id("bookings", &format!("{}/{}", b.locator, b.passenger)),
                object(json!({
                    "locator": b.locator,
                    "launch_id": launch.id,
                    "passenger_id": passenger_id,
                    "seat_id": b.seat,
                    "fare_class": b.fare,
                    "status": b.status,
                    "hold_expires_at": hold,
                    "hold_extensions": 0,
                    "baggage_mass_kg": b.baggage_mass_kg,
                    "created_at": stamp,
                    "updated_at": stamp,
                    "demo": true,
                })),
            ));
        }
        let blocks = self
            .blocks
            .iter()
            .map(|b| {
                let (launch, _) = launch_of
                    .get(b.launch.as_str())
                    .or_invalid(|| format!("seat block: no launch {:?}", b.launch))?;
                Ok((
                    demo_id("seat_blocks", &format!("{}/{}", b.launch, b.seat)),
                    object(json!({
                        "launch_id": launch.id,
                        "seat_id": b.seat,
                        "reason": b.reason,
                        "created_at": stamp,
                        "demo": true,
                    })),
                ))
            })
            .collect::<DemoResult<Vec<_>>>()?;
        let invoices = self
            .invoices
            .iter()
            .map(|i| {
                let group: Vec<&DemoBooking> = self
                    .bookings
                    .iter()
                    .filter(|b| b.locator == i.locator)
                    .collect();
                let Some(first) = group.first() else {
                    return Err(DemoError::Invalid(format!(
                        "invoice: no booking has the locator {}",
                        i.locator
                    )));
                };
                let (_, demo_launch) = launch_of[first.launch.as_str()];
                let fare = |code: &str| demo_launch.fares.iter().find(|f| f.code == code);
                let amount: i64 = group
                    .iter()
                    .filter_map(|b| fare(&b.fare))
                    .map(|f| f.price_minor)
                    .sum();
                let currency = fare(&first.fare).map_or("USD", |f| f.currency.as_str());
                Ok((
                    demo_id("invoices", &i.locator),
                    object(json!({
                        "locator": i.locator,
                        "number": format!("GX-{}-{}", now.format("%Y%m%d"), i.locator),
                        "amount_minor": amount,
                        "currency": currency,
                        "status": i.status,
                        "issued_at": stamp,
                        "demo": true,
                    })),
                ))
            })
            .collect::<DemoResult<Vec<_>>>()?;

        let documents = self.documents_rows(&passenger_ids, now)?;
        let element_sets = self
            .element_sets
            .iter()
            .map(|e| {
                let vehicle_id = match &e.vehicle {
                    Some(name) => Some(
                        vehicle_ids
                            .get(name.as_str())
                            .map(|(id, _)| (*id).to_owned())
                            .or_invalid(|| {
                                format!("element set {:?}: no vehicle named {name:?}", e.name)
                            })?,
                    ),
                    None => None,
                };
                Ok((
                    demo_id("element_sets", &e.name),
                    e.element_set(now)?,
                    vehicle_id,
                ))
            })
            .collect::<DemoResult<Vec<_>>>()?;

        replica.write(|w| {
            vehicles.iter().try_for_each(|(v, _)| w.insert_vehicle(v))?;
            spaceports.iter().try_for_each(|s| w.insert_spaceport(s))?;
            ground_stations
                .iter()
                .try_for_each(|g| w.insert_ground_station(g))?;
            launches.iter().try_for_each(|l| w.insert_launch(l))?;
            passengers
                .iter()
                .try_for_each(|p| w.insert("passengers", &p.id, actions::passenger_values(p)))?;
            bookings
                .iter()
                .try_for_each(|(id, values)| w.insert("bookings", id, values.clone()))?;
            blocks
                .iter()
                .try_for_each(|(id, values)| w.insert("seat_blocks", id, values.clone()))?;
            invoices
                .iter()
                .try_for_each(|(id, values)| w.insert("invoices", id, values.clone()))?;
            documents
                .iter()
                .try_for_each(|(id, values)| w.insert("passenger_documents", id, values.clone()))?;
            element_sets.iter().try_for_each(|(id, set, vehicle_id)| {
                super::orbit::insert_element_set(
                    w,
                    id,
                    set,
                    "demo dataset",
                    vehicle_id.as_deref(),
                    now,
                    true,
                )
            })
        })?;
        let summary = SeedSummary {
            vehicles: vehicles.len(),
            spaceports: spaceports.len(),
            ground_stations: ground_stations.len(),
            launches: launches.len(),
            passengers: passengers.len(),
            bookings: bookings.len(),
            element_sets: element_sets.len(),
        };
        tracing::info!(%summary, "seeded the demo dataset");
        Ok(summary)
    }
}

impl DemoDataset {
    /// The documents' rows, each with its generated scan.
    fn documents_rows(
        &self,
        passenger_ids: &HashMap<&str, &str>,
        now: DateTime<Utc>,
    ) -> DemoResult<Vec<(String, Map<String, serde_json::Value>)>> {
        use base64::Engine as _;
        self.documents
            .iter()
            .map(|d| {
                let what = || format!("document {} of {:?}", d.number, d.passenger);
                let passenger = passenger_ids
                    .get(d.passenger.as_str())
                    .or_invalid(|| format!("{}: no passenger of that name", what()))?;
                let kind = crate::bookings::documents::DocumentKind::parse(&d.kind)
                    .or_invalid(|| format!("{}: unknown kind {:?}", what(), d.kind))?;
                let expires =
                    (now.date_naive() + chrono::Duration::days(d.expires_days)).to_string();
                let scan = demo_scan(&d.passenger, kind.label(), &d.number, &expires);
                Ok((
                    demo_id(
                        "passenger_documents",
                        &format!("{}/{}", d.passenger, d.number),
                    ),
                    object(json!({
                        "passenger_id": passenger,
                        "kind": kind.as_str(),
                        "number": d.number,
                        "expires_on": expires,
                        "file_name": format!("{}-{}.pdf", kind.as_str(), d.number),
                        "media_type": "application/pdf",
                        "size_bytes": scan.len(),
                        "content": base64::engine::general_purpose::STANDARD.encode(&scan),
                        "added_at": galaxium_sync::time::stored(now),
                        "added_by": "demo dataset",
                        "demo": true,
                    })),
                ))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use galaxium_sync::OpenOptions;

    use super::*;

    fn new_replica(dir: &tempfile::TempDir) -> Replica {
        Replica::open(&dir.path().join("replica.sqlite"), &OpenOptions::default()).unwrap()
    }

    #[test]
    fn the_shipped_dataset_seeds_upcoming_launches_marked_as_demo() {
        let dir = tempfile::tempdir().unwrap();
        let mut replica = new_replica(&dir);
        let now = Utc::now();
        let summary = DemoDataset::shipped()
            .unwrap()
            .seed(&mut replica, now)
            .unwrap();
        assert!(summary.vehicles >= 2 && summary.launches >= 3, "{summary}");
        assert!(
            summary.passengers >= 10 && summary.bookings >= 10,
            "{summary}"
        );

        let status = replica.status().unwrap();
        assert_eq!(status.demo_rows(), status.total_rows());
        let upcoming = replica.launches_from(now, 100).unwrap();
        // One demo launch has already flown.
        assert_eq!(upcoming.len(), summary.launches - 1);
        assert!(upcoming.iter().all(|l| l.demo));
    }

    #[test]
    fn seeding_twice_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut replica = new_replica(&dir);
        let dataset = DemoDataset::shipped().unwrap();
        dataset.seed(&mut replica, Utc::now()).unwrap();
        let err = dataset.seed(&mut replica, Utc::now()).unwrap_err();
        assert!(err.to_string().contains("already holds"), "{err}");
    }

    #[test]
    fn a_launch_naming_an_unknown_vehicle_is_refused_and_nothing_is_written() {
        let text = DATASET_TOML.replacen("vehicle = \"Aurora\"", "vehicle = \"Nimbus\"", 1);
        let dir = tempfile::tempdir().unwrap();
        let mut replica = new_replica(&dir);
        let err = DemoDataset::parse(&text)
            .unwrap()
            .seed(&mut replica, Utc::now())
            .unwrap_err();
        assert!(err.to_string().contains("Nimbus"), "{err}");
        assert_eq!(replica.status().unwrap().total_rows(), 0);
    }
}
