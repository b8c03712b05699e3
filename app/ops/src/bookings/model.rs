//! What the bookings screens read: a launch with its vehicle's seats, fares, bookings,
//! passengers and seat blocks, and the rules computed from them (seat states, availability,
//! readiness, the mass budget, the check-in window).

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension as _, Row, params};
use serde::{Deserialize, Serialize};

use super::documents::{DocumentInfo, DocumentKind};

/// One seat of a vehicle's layout, as stored in `vehicles.seat_layout`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seat {
    /// The seat's name ("2B").
    pub id: String,
    /// Its row, from 1 at the front.
    pub row: u32,
    /// Its column, from 1 on the left.
    pub column: u32,
    /// window, aisle or middle.
    pub position: String,
    /// The cabin it is in.
    pub cabin: String,
}

/// A fare class of a launch, as stored in `launches.fare_classes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fare {
    /// A short code ("ORB").
    pub code: String,
    /// What customers call it.
    pub name: String,
    /// The price in minor units (cents).
    pub price_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
}

impl Fare {
    /// The price as "USD 450,000.00".
    pub fn price_text(&self) -> String {
        money(self.price_minor, &self.currency)
    }
}

/// An amount in minor units as "USD 450,000.00".
pub fn money(minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let minor = minor.unsigned_abs();
    let whole = (minor / 100).to_string();
    let mut grouped = String::new();
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{currency} {sign}{grouped}.{:02}", minor % 100)
}

pub use galaxium_sync::schema::words::{BookingStatus, InvoiceStatus, LaunchStatus, MedicalStatus};

/// A passenger as stored. Personal fields are `None` when this console's role does not
/// receive them (the server blanks them) or when nobody has entered them yet.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Passenger {
    /// UUIDv7.
    pub id: String,
    /// Name as in the travel document.
    pub full_name: String,
    /// YYYY-MM-DD.
    pub date_of_birth: Option<String>,
    /// ISO 3166 alpha-3 or a country name.
    pub nationality: Option<String>,
    /// Passport or ID number.
    pub document_number: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
    /// Name and phone of the emergency contact.
    pub emergency_contact: Option<String>,
    /// Body mass in kilograms.
    pub body_mass_kg: Option<f64>,
    /// pending, cleared, restricted or denied.
    pub medical_status: MedicalStatus,
    /// YYYY-MM-DD: the last day the clearance is valid.
    pub medical_expires_on: Option<String>,
    /// YYYY-MM-DD: when training was completed.
    pub training_completed_on: Option<String>,
    /// YYYY-MM-DD: when the waiver was signed.
    pub waiver_signed_on: Option<String>,
    /// Part of the demo dataset.
    pub demo: bool,
}

pub(crate) const PASSENGER_COLUMNS: &str = "id, full_name, date_of_birth, nationality, document_number, email, phone, emergency_contact, body_mass_kg, medical_status, medical_expires_on, training_completed_on, waiver_signed_on, demo";

impl Passenger {
    /// Whether `query` (lower case) is part of the name, the document number or the e-mail
    /// address: what staff type at a desk with a passport in hand.
    pub fn matches(&self, query: &str) -> bool {
        let query = query.trim();
        self.full_name.to_lowercase().contains(query)
            || [&self.document_number, &self.email]
                .into_iter()
                .flatten()
                .any(|field| field.to_lowercase().contains(query))
    }

    pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            full_name: row.get(1)?,
            date_of_birth: row.get(2)?,
            nationality: row.get(3)?,
            document_number: row.get(4)?,
            email: row.get(5)?,
            phone: row.get(6)?,
            emergency_contact: row.get(7)?,
            body_mass_kg: row.get(8)?,
            medical_status: row.get(9)?,
            medical_expires_on: row.get(10)?,
            training_completed_on: row.get(11)?,
            waiver_signed_on: row.get(12)?,
            demo: row.get(13)?,
        })
    }

    /// Reads one passenger.
    pub fn load(conn: &Connection, id: &str) -> rusqlite::Result<Option<Self>> {
        conn.query_row(
            &format!("SELECT {PASSENGER_COLUMNS} FROM passengers WHERE id = ?1"),
            [id],
            Self::from_row,
        )
        .optional()
    }
}

/// One passenger's booking on one launch.
#[derive(Debug, Clone, PartialEq)]
pub struct Booking {
    /// UUIDv7.
    pub id: String,
    /// The six-character record locator shared by a group.
    pub locator: String,
    /// The launch.
    pub launch_id: String,
    /// The passenger.
    pub passenger_id: String,
    /// The passenger's name (from the passengers table).
    pub passenger_name: String,
    /// The seat, none while waitlisted.
    pub seat_id: Option<String>,
    /// The fare class code.
    pub fare_class: String,
    /// Where it stands.
    pub status: BookingStatus,
    /// When a pending hold lapses.
    pub hold_expires_at: Option<DateTime<Utc>>,
    /// How often the hold was extended.
    pub hold_extensions: u32,
    /// Checked baggage.
    pub baggage_mass_kg: f64,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// Part of the demo dataset.
    pub demo: bool,
}

pub(crate) const BOOKING_COLUMNS: &str = "b.id, b.locator, b.launch_id, b.passenger_id, p.full_name, b.seat_id, b.fare_class, b.status, b.hold_expires_at, b.hold_extensions, b.baggage_mass_kg, b.created_at, b.demo";

impl Booking {
    pub(crate) fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            locator: row.get(1)?,
            launch_id: row.get(2)?,
            passenger_id: row.get(3)?,
            passenger_name: row.get(4)?,
            seat_id: row.get(5)?,
            fare_class: row.get(6)?,
            status: row.get(7)?,
            hold_expires_at: parse_time(row.get::<_, Option<String>>(8)?.as_deref()),
            hold_extensions: row.get(9)?,
            baggage_mass_kg: row.get(10)?,
            created_at: parse_time(Some(row.get::<_, String>(11)?.as_str())).unwrap_or_default(),
            demo: row.get(12)?,
        })
    }

    /// Reads one booking with its passenger's name.
    pub fn load(conn: &Connection, id: &str) -> rusqlite::Result<Option<Self>> {
        conn.query_row(
            &format!(
                "SELECT {BOOKING_COLUMNS} FROM bookings b JOIN passengers p ON p.id = b.passenger_id WHERE b.id = ?1"
            ),
            [id],
            Self::from_row,
        )
        .optional()
    }

    /// Whether this booking holds its seat at `now`: sold, checked in, boarded, or a hold
    /// that has not lapsed (the same rule the server applies).
    pub fn holds_seat(&self, now: DateTime<Utc>) -> bool {
        match self.status {
            BookingStatus::Confirmed | BookingStatus::CheckedIn | BookingStatus::Boarded => true,
            BookingStatus::Pending => self.hold_expires_at.is_some_and(|t| t > now),
            _ => false,
        }
    }

    /// Whether it is a hold that has lapsed but not yet been marked expired.
    pub fn hold_lapsed(&self, now: DateTime<Utc>) -> bool {
        self.status == BookingStatus::Pending && !self.holds_seat(now)
    }
}

/// The invoice of a booking (one per locator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    /// The invoice number.
    pub number: String,
    /// The amount in minor units.
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Unpaid, paid or refunded.
    pub status: InvoiceStatus,
}

impl Invoice {
    /// "GX-20261122-QX7T2M · USD 500,000.00 · paid".
    pub fn summary(&self) -> String {
        format!(
            "{} · {} · {}",
            self.number,
            money(self.amount_minor, &self.currency),
            self.status
        )
    }
}

/// A seat taken out of sale on one launch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatBlock {
    /// UUIDv7.
    pub id: String,
    /// The seat.
    pub seat_id: String,
    /// Why it is blocked.
    pub reason: String,
}

/// A launch with everything its bookings depend on.
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchDetail {
    /// UUIDv7.
    pub id: String,
    /// The mission name.
    pub mission: String,
    /// The vehicle's id.
    pub vehicle_id: String,
    /// The vehicle's name.
    pub vehicle: String,
    /// The vehicle's model.
    pub vehicle_model: String,
    /// The spaceport's code.
    pub spaceport: String,
    /// The spaceport's name.
    pub spaceport_name: String,
    /// The pad.
    pub pad: String,
    /// When it launches.
    pub scheduled_at: DateTime<Utc>,
    /// Where the launch stands.
    pub status: LaunchStatus,
    /// Its fares.
    pub fares: Vec<Fare>,
    /// Check-in opens this many hours before launch.
    pub checkin_opens_hours: f64,
    /// Check-in closes this many hours before launch.
    pub checkin_closes_hours: f64,
    /// The vehicle's seats.
    pub seats: Vec<Seat>,
    /// The most passenger (body) mass the vehicle may carry.
    pub max_passenger_mass_kg: f64,
    /// The most baggage mass it may carry.
    pub max_baggage_mass_kg: f64,
    /// Every booking, by seat then status.
    pub bookings: Vec<Booking>,
    /// The booked passengers, by id.
    pub passengers: HashMap<String, Passenger>,
    /// Blocked seats.
    pub blocks: Vec<SeatBlock>,
    /// The invoices of the launch's locators, by locator.
    pub invoices: HashMap<String, Invoice>,
    /// When the manifest was closed, if it was.
    pub manifest_closed_at: Option<DateTime<Utc>>,
    /// The booked passengers' documents (without scans), by passenger id.
    pub documents: HashMap<String, Vec<DocumentInfo>>,
    /// Indices into `bookings` of those not final (held, sold, checked in, boarded or
    /// waitlisted): the rules evaluated every frame look only at these, so a launch with a
    /// long history of cancellations draws as fast as a fresh one.
    pub live: Vec<usize>,
}

/// What a seat shows on the seat map.
#[derive(Debug, Clone, PartialEq)]
pub enum SeatState {
    /// For sale.
    Free,
    /// Held by a pending booking until the time given.
    Held(usize, DateTime<Utc>),
    /// Sold (the booking's index in [`LaunchDetail::bookings`]).
    Booked(usize),
    /// Checked in, not yet aboard (the booking's index).
    CheckedIn(usize),
    /// Aboard the vehicle (the booking's index).
    Boarded(usize),
    /// Out of sale, with the reason.
    Blocked(String),
}

/// Seats by what they are doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Availability {
    /// Seats in the vehicle.
    pub seats: usize,
    /// Sold, checked in or boarded.
    pub confirmed: usize,
    /// Pending holds not yet lapsed.
    pub held: usize,
    /// Blocked seats with no booking.
    pub blocked: usize,
    /// For sale now: seats − confirmed − live holds − blocked.
    pub free: usize,
    /// Waiting for a seat.
    pub waitlisted: usize,
}

/// What a NO-GO reason is about: what staff chase, and whether a supervisor may override it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoGoKind {
    /// Medical clearance or certificate: never overridden at the desk.
    Medical,
    /// Training not completed.
    Training,
    /// The waiver not signed.
    Waiver,
    /// Body mass unknown or outside the seat's limits: never overridden at the desk.
    Mass,
    /// A travel document that expires before the launch.
    Documents,
}

impl NoGoKind {
    /// The word stored in an override.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Medical => "medical",
            Self::Training => "training",
            Self::Waiver => "waiver",
            Self::Mass => "mass",
            Self::Documents => "documents",
        }
    }

    /// Whether a supervisor may check the passenger in despite it.
    pub fn waivable(self) -> bool {
        galaxium_sync::schema::registry::WAIVABLE_NO_GO.contains(&self.as_str())
    }
}

/// One reason a passenger may not fly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoGo {
    /// What it is about.
    pub kind: NoGoKind,
    /// The reason in the desk's words.
    pub text: String,
}

impl NoGo {
    fn new(kind: NoGoKind, text: impl Into<String>) -> Self {
        Self {
            kind,
            text: text.into(),
        }
    }
}

/// Whether a passenger may fly on a date, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Readiness {
    /// Each reason the passenger may not fly; empty means go.
    pub reasons: Vec<NoGo>,
}

impl Readiness {
    /// Go for flight.
    pub fn is_go(&self) -> bool {
        self.reasons.is_empty()
    }

    /// The reasons' texts.
    pub fn texts(&self) -> Vec<String> {
        self.reasons.iter().map(|r| r.text.clone()).collect()
    }

    /// Whether a supervisor may override every reason (and there is one to override).
    pub fn overridable(&self) -> bool {
        !self.is_go() && self.reasons.iter().all(|r| r.kind.waivable())
    }

    /// "GO" or the reasons in one line.
    pub fn summary(&self) -> String {
        if self.is_go() {
            "GO".to_owned()
        } else {
            format!("NO-GO: {}", self.texts().join("; "))
        }
    }
}

/// The limits a passenger's body mass must fall within to fit a seat and a suit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MassLimits {
    /// Lightest allowed body mass.
    pub min_kg: f64,
    /// Heaviest allowed body mass.
    pub max_kg: f64,
}

impl Default for MassLimits {
    fn default() -> Self {
        Self {
            min_kg: 45.0,
            max_kg: 130.0,
        }
    }
}

/// A passenger's readiness to fly on `launch_day`, from their record and their documents:
/// a medical certificate on file must be valid on the launch day (the newest one counts), and
/// when travel documents are on file one of them must be.
pub fn readiness(
    passenger: &Passenger,
    documents: &[DocumentInfo],
    launch_day: NaiveDate,
    limits: MassLimits,
) -> Readiness {
    use NoGoKind::{Documents, Mass, Medical, Training, Waiver};
    let mut reasons = Vec::new();
    match passenger.medical_status {
        MedicalStatus::Cleared => match passenger.medical_expires_on.as_deref().and_then(parse_day)
        {
            Some(expiry) if expiry >= launch_day => {}
            Some(expiry) => reasons.push(NoGo::new(
                Medical,
                format!("medical clearance expires on {expiry}, before the launch on {launch_day}"),
            )),
            None => reasons.push(NoGo::new(Medical, "medical clearance has no expiry date")),
        },
        MedicalStatus::Pending => {
            reasons.push(NoGo::new(Medical, "medical clearance is still pending"));
        }
        other @ (MedicalStatus::Restricted | MedicalStatus::Denied) => {
            reasons.push(NoGo::new(Medical, format!("medical clearance is {other}")));
        }
    }
    let newest_certificate = documents
        .iter()
        .filter(|d| d.kind == DocumentKind::MedicalCertificate)
        .max_by_key(|d| d.expires_on);
    if let Some(certificate) = newest_certificate
        && certificate.expires_on < launch_day
    {
        reasons.push(NoGo::new(
            Medical,
            format!(
                "{} expires on {}, before the launch on {launch_day}",
                certificate.title(),
                certificate.expires_on
            ),
        ));
    }
    let travel: Vec<&DocumentInfo> = documents
        .iter()
        .filter(|d| d.kind.is_travel_document())
        .collect();
    if let Some(newest) = travel.iter().max_by_key(|d| d.expires_on)
        && newest.expires_on < launch_day
    {
        reasons.push(NoGo::new(
            Documents,
            format!(
                "{} expires on {}, before the launch on {launch_day}",
                newest.title(),
                newest.expires_on
            ),
        ));
    }
    if passenger.training_completed_on.is_none() {
        reasons.push(NoGo::new(Training, "training is not complete"));
    }
    if passenger.waiver_signed_on.is_none() {
        reasons.push(NoGo::new(Waiver, "the waiver is not signed"));
    }
    match passenger.body_mass_kg {
        None => reasons.push(NoGo::new(Mass, "body mass is not recorded")),
        Some(mass) if mass > limits.max_kg => reasons.push(NoGo::new(
            Mass,
            format!(
                "body mass {mass:.1} kg is above the seat limit of {:.0} kg",
                limits.max_kg
            ),
        )),
        Some(mass) if mass < limits.min_kg => reasons.push(NoGo::new(
            Mass,
            format!(
                "body mass {mass:.1} kg is below the seat minimum of {:.0} kg",
                limits.min_kg
            ),
        )),
        Some(_) => {}
    }
    Readiness { reasons }
}

/// The launch's mass against its vehicle's limits (seated passengers only).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MassBudget {
    /// Sum of the known body masses.
    pub passenger_kg: f64,
    /// The vehicle's passenger mass limit.
    pub passenger_limit_kg: f64,
    /// Sum of checked baggage.
    pub baggage_kg: f64,
    /// The vehicle's baggage limit.
    pub baggage_limit_kg: f64,
    /// Seated passengers whose body mass is not recorded.
    pub unknown_masses: usize,
}

impl MassBudget {
    /// Whether either total is over its limit.
    pub fn is_over(&self) -> bool {
        self.passenger_kg > self.passenger_limit_kg || self.baggage_kg > self.baggage_limit_kg
    }
}

impl LaunchDetail {
    /// Reads a launch and everything its bookings depend on; `None` if there is no such launch.
    pub fn load(conn: &Connection, launch_id: &str) -> rusqlite::Result<Option<Self>> {
        let head = conn
            .query_row(
                "SELECT l.id, l.mission, v.id, v.name, v.model, s.code, s.name, l.pad,
                        l.scheduled_at, l.status, l.fare_classes, l.checkin_opens_hours,
                        l.checkin_closes_hours, v.seat_layout, v.max_passenger_mass_kg,
                        v.max_baggage_mass_kg
                 FROM launches l
                 JOIN vehicles v ON v.id = l.vehicle_id
                 JOIN spaceports s ON s.id = l.spaceport_id
                 WHERE l.id = ?1",
                [launch_id],
                |r| {
                    let fares: String = r.get(10)?;
                    let seats: String = r.get(13)?;
                    Ok(Self {
                        id: r.get(0)?,
                        mission: r.get(1)?,
                        vehicle_id: r.get(2)?,
                        vehicle: r.get(3)?,
                        vehicle_model: r.get(4)?,
                        spaceport: r.get(5)?,
                        spaceport_name: r.get(6)?,
                        pad: r.get(7)?,
                        scheduled_at: parse_time(Some(r.get::<_, String>(8)?.as_str()))
                            .unwrap_or_default(),
                        status: r.get(9)?,
                        fares: serde_json::from_str(&fares).unwrap_or_default(),
                        checkin_opens_hours: r.get(11)?,
                        checkin_closes_hours: r.get(12)?,
                        seats: serde_json::from_str(&seats).unwrap_or_default(),
                        max_passenger_mass_kg: r.get(14)?,
                        max_baggage_mass_kg: r.get(15)?,
                        bookings: Vec::new(),
                        passengers: HashMap::new(),
                        blocks: Vec::new(),
                        invoices: HashMap::new(),
                        manifest_closed_at: None,
                        documents: HashMap::new(),
                        live: Vec::new(),
                    })
                },
            )
            .optional()?;
        let Some(mut detail) = head else {
            return Ok(None);
        };
        detail.bookings = conn
            .prepare_cached(&format!(
                "SELECT {BOOKING_COLUMNS} FROM bookings b JOIN passengers p ON p.id = b.passenger_id
                 WHERE b.launch_id = ?1 ORDER BY b.created_at, b.id"
            ))?
            .query_map([launch_id], Booking::from_row)?
            .collect::<rusqlite::Result<_>>()?;
        let passengers = conn
            .prepare_cached(&format!(
                "SELECT {PASSENGER_COLUMNS} FROM passengers
                 WHERE id IN (SELECT passenger_id FROM bookings WHERE launch_id = ?1)"
            ))?
            .query_map([launch_id], Passenger::from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        detail.passengers = passengers.into_iter().map(|p| (p.id.clone(), p)).collect();
        detail.blocks = conn
            .prepare_cached(
                "SELECT id, seat_id, reason FROM seat_blocks WHERE launch_id = ?1 ORDER BY seat_id",
            )?
            .query_map([launch_id], |r| {
                Ok(SeatBlock {
                    id: r.get(0)?,
                    seat_id: r.get(1)?,
                    reason: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        detail.invoices = load_invoices(conn, launch_id)?;
        for document in super::documents::of_launch(conn, launch_id)? {
            detail
                .documents
                .entry(document.passenger_id.clone())
                .or_default()
                .push(document);
        }
        detail.manifest_closed_at = conn
            .query_row(
                "SELECT max(closed_at) FROM manifests WHERE launch_id = ?1",
                [launch_id],
                |r| r.get::<_, Option<String>>(0),
            )?
            .and_then(|t| parse_time(Some(&t)));
        detail.live = detail
            .bookings
            .iter()
            .enumerate()
            .filter(|(_, b)| !b.status.is_final())
            .map(|(i, _)| i)
            .collect();
        Ok(Some(detail))
    }

    /// The seat named `seat_id`, if the vehicle has it.
    pub fn seat(&self, seat_id: &str) -> Option<&Seat> {
        self.seats.iter().find(|s| s.id == seat_id)
    }

    /// The fare with `code`.
    pub fn fare(&self, code: &str) -> Option<&Fare> {
        self.fares.iter().find(|f| f.code == code)
    }

    /// The index of the booking holding `seat_id` at `now`.
    pub fn holder(&self, seat_id: &str, now: DateTime<Utc>) -> Option<usize> {
        self.live.iter().copied().find(|i| {
            let b = &self.bookings[*i];
            b.seat_id.as_deref() == Some(seat_id) && b.holds_seat(now)
        })
    }

    /// The bookings that are not final (see [`Self::live`]).
    pub fn live_iter(&self) -> impl Iterator<Item = &Booking> {
        self.live.iter().map(|i| &self.bookings[*i])
    }

    /// The block on `seat_id`, if any.
    pub fn block(&self, seat_id: &str) -> Option<&SeatBlock> {
        self.blocks.iter().find(|b| b.seat_id == seat_id)
    }

    /// What `seat_id` shows at `now`. A booking wins over a block placed after it.
    pub fn seat_state(&self, seat_id: &str, now: DateTime<Utc>) -> SeatState {
        if let Some(index) = self.holder(seat_id, now) {
            let booking = &self.bookings[index];
            return match booking.status {
                BookingStatus::Pending => {
                    SeatState::Held(index, booking.hold_expires_at.unwrap_or(now))
                }
                BookingStatus::CheckedIn => SeatState::CheckedIn(index),
                BookingStatus::Boarded => SeatState::Boarded(index),
                _ => SeatState::Booked(index),
            };
        }
        match self.block(seat_id) {
            Some(block) => SeatState::Blocked(block.reason.clone()),
            None => SeatState::Free,
        }
    }

    /// Seats by what they are doing at `now`.
    pub fn availability(&self, now: DateTime<Utc>) -> Availability {
        let mut availability = Availability {
            seats: self.seats.len(),
            waitlisted: self
                .live_iter()
                .filter(|b| b.status == BookingStatus::Waitlisted)
                .count(),
            ..Availability::default()
        };
        for seat in &self.seats {
            match self.seat_state(&seat.id, now) {
                SeatState::Free => availability.free += 1,
                SeatState::Held(..) => availability.held += 1,
                SeatState::Booked(_) | SeatState::CheckedIn(_) | SeatState::Boarded(_) => {
                    availability.confirmed += 1;
                }
                SeatState::Blocked(_) => availability.blocked += 1,
            }
        }
        availability
    }

    /// The launch day (UTC) that medical clearances must cover.
    pub fn launch_day(&self) -> NaiveDate {
        self.scheduled_at.date_naive()
    }

    /// When check-in opens and closes.
    pub fn checkin_window(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        let hours = hours_duration;
        (
            self.scheduled_at - hours(self.checkin_opens_hours),
            self.scheduled_at - hours(self.checkin_closes_hours),
        )
    }

    /// Readiness of a booked passenger for this launch.
    pub fn readiness_of(&self, booking: &Booking, limits: MassLimits) -> Readiness {
        let documents = self
            .documents
            .get(&booking.passenger_id)
            .map_or(&[][..], Vec::as_slice);
        match self.passengers.get(&booking.passenger_id) {
            Some(passenger) => readiness(passenger, documents, self.launch_day(), limits),
            None => Readiness {
                reasons: vec![NoGo::new(
                    NoGoKind::Documents,
                    "the passenger's record is missing",
                )],
            },
        }
    }

    /// Bookings that hold a seat (or are waiting for one) at `now`: what a scrub or a
    /// cancellation of the launch affects.
    pub fn live_bookings(&self, now: DateTime<Utc>) -> Vec<&Booking> {
        self.live_iter()
            .filter(|b| b.holds_seat(now) || b.status == BookingStatus::Waitlisted)
            .collect()
    }

    /// The mass of everyone holding a seat at `now` against the vehicle's limits.
    pub fn mass_budget(&self, now: DateTime<Utc>) -> MassBudget {
        let mut budget = MassBudget {
            passenger_limit_kg: self.max_passenger_mass_kg,
            baggage_limit_kg: self.max_baggage_mass_kg,
            ..MassBudget::default()
        };
        for booking in self.live_iter().filter(|b| b.holds_seat(now)) {
            budget.baggage_kg += booking.baggage_mass_kg;
            match self
                .passengers
                .get(&booking.passenger_id)
                .and_then(|p| p.body_mass_kg)
            {
                Some(mass) => budget.passenger_kg += mass,
                None => budget.unknown_masses += 1,
            }
        }
        budget
    }
}

/// A span of (possibly fractional) hours, to the second.
#[allow(
    clippy::cast_possible_truncation,
    reason = "hours before a launch or of a demo offset: far inside the range of i64 seconds"
)]
pub fn hours_duration(hours: f64) -> Duration {
    Duration::seconds((hours * 3600.0).round() as i64)
}

/// The invoices of a launch's locators, by locator.
fn load_invoices(conn: &Connection, launch_id: &str) -> rusqlite::Result<HashMap<String, Invoice>> {
    conn.prepare_cached(
        "SELECT locator, number, amount_minor, currency, status FROM invoices
         WHERE locator IN (SELECT locator FROM bookings WHERE launch_id = ?1)",
    )?
    .query_map([launch_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            Invoice {
                number: r.get(1)?,
                amount_minor: r.get(2)?,
                currency: r.get(3)?,
                status: r.get(4)?,
            },
        ))
    })?
    .collect()
}

/// Parses a stored RFC 3339 time.
pub fn parse_time(text: Option<&str>) -> Option<DateTime<Utc>> {
    text.and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// Parses a YYYY-MM-DD day.
pub fn parse_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// A launch in the launches list.
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchListEntry {
    /// UUIDv7.
    pub id: String,
    /// The mission name.
    pub mission: String,
    /// The vehicle's name.
    pub vehicle: String,
    /// The spaceport's code.
    pub spaceport: String,
    /// When it launches.
    pub scheduled_at: String,
    /// Its status.
    pub status: LaunchStatus,
    /// Seats in the vehicle.
    pub seats: u32,
    /// Bookings holding a seat (sold, checked in, boarded, or held).
    pub seated: u32,
}

/// Every launch, soonest first, with its seat count and how many are taken.
pub fn launch_list(
    conn: &Connection,
    now: DateTime<Utc>,
) -> rusqlite::Result<Vec<LaunchListEntry>> {
    let now = galaxium_sync::time::stored(now);
    conn.prepare_cached(
        "SELECT l.id, l.mission, v.name, s.code, l.scheduled_at, l.status, v.seat_count,
                (SELECT count(*) FROM bookings b WHERE b.launch_id = l.id
                   AND (b.status IN ('confirmed', 'checked_in', 'boarded')
                        OR (b.status = 'pending' AND julianday(b.hold_expires_at) > julianday(?1))))
         FROM launches l
         JOIN vehicles v ON v.id = l.vehicle_id
         JOIN spaceports s ON s.id = l.spaceport_id
         ORDER BY l.scheduled_at, l.id",
    )?
    .query_map(params![now], |r| {
        Ok(LaunchListEntry {
            id: r.get(0)?,
            mission: r.get(1)?,
            vehicle: r.get(2)?,
            spaceport: r.get(3)?,
            scheduled_at: r.get(4)?,
            status: r.get(5)?,
            seats: r.get(6)?,
            seated: r.get(7)?,
        })
    })?
    .collect()
}

/// Bookings under `locator`, with their launch.
pub fn bookings_by_locator(conn: &Connection, locator: &str) -> rusqlite::Result<Vec<Booking>> {
    conn.prepare_cached(&format!(
        "SELECT {BOOKING_COLUMNS} FROM bookings b JOIN passengers p ON p.id = b.passenger_id
         WHERE b.locator = ?1 ORDER BY b.seat_id, b.id"
    ))?
    .query_map([locator.trim().to_uppercase()], Booking::from_row)?
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The statuses the console works with are the words the registry (and so the server and
    /// every replica) accepts, no more and no fewer.
    #[test]
    fn booking_statuses_are_the_registrys_words() {
        let words: Vec<&str> = BookingStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            words,
            galaxium_sync::schema::registry::BOOKING_STATUSES,
            "same words, same order"
        );
    }

    fn ready_passenger() -> Passenger {
        Passenger {
            id: "p".into(),
            full_name: "Ada Quist".into(),
            body_mass_kg: Some(70.0),
            medical_status: MedicalStatus::Cleared,
            medical_expires_on: Some("2027-01-31".into()),
            training_completed_on: Some("2026-10-01".into()),
            waiver_signed_on: Some("2026-10-02".into()),
            ..Passenger::default()
        }
    }

    fn day(text: &str) -> NaiveDate {
        parse_day(text).unwrap()
    }

    #[test]
    fn a_cleared_trained_passenger_with_a_waiver_is_go() {
        let r = readiness(
            &ready_passenger(),
            &[],
            day("2026-12-01"),
            MassLimits::default(),
        );
        assert!(r.is_go(), "{r:?}");
        assert_eq!(r.summary(), "GO");
    }

    #[test]
    fn every_missing_item_is_a_reason() {
        let p = Passenger {
            medical_expires_on: Some("2026-11-30".into()),
            training_completed_on: None,
            waiver_signed_on: None,
            body_mass_kg: Some(142.0),
            ..ready_passenger()
        };
        let r = readiness(&p, &[], day("2026-12-01"), MassLimits::default());
        assert_eq!(r.reasons.len(), 4, "{r:?}");
        assert!(r.reasons[0].text.contains("expires on 2026-11-30"));
        assert!(r.summary().contains("training is not complete"));
        assert!(r.summary().contains("waiver"));
        assert!(r.summary().contains("142.0 kg is above"));
    }

    #[test]
    fn a_clearance_valid_on_the_launch_day_itself_counts() {
        let p = Passenger {
            medical_expires_on: Some("2026-12-01".into()),
            ..ready_passenger()
        };
        assert!(readiness(&p, &[], day("2026-12-01"), MassLimits::default()).is_go());
        let pending = Passenger {
            medical_status: MedicalStatus::Pending,
            ..ready_passenger()
        };
        assert!(!readiness(&pending, &[], day("2026-12-01"), MassLimits::default()).is_go());
    }

    #[test]
    fn money_groups_thousands() {
        assert_eq!(money(45_000_000, "USD"), "USD 450,000.00");
        assert_eq!(money(99, "EUR"), "EUR 0.99");
        assert_eq!(money(-123_456, "USD"), "USD -1,234.56");
    }

    #[test]
    fn statuses_round_trip() {
        for status in BookingStatus::ALL {
            assert_eq!(BookingStatus::parse(status.as_str()), Some(status));
        }
    }
}
