//! Bookings in and out as CSV (one row per passenger booking) and JSON.
//!
//! The layout is documented in the README ("Bookings CSV"). An import checks every row
//! first; rows with problems are reported by line, column and reason and left out, and
//! the good rows are written in one transaction, so a file is never half-imported.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::rc::Rc;

use chrono::{DateTime, Utc};
use galaxium_sync::Replica;
use galaxium_sync::replica;
use serde::Serialize;
use serde_json::{Value, json};

use super::actions::{BookingError, object, passenger_values};
use super::model::{BookingStatus, Fare, LaunchDetail, MedicalStatus, Passenger, Seat, parse_day};

/// The columns of a bookings CSV, in order.
pub const CSV_COLUMNS: [&str; 17] = [
    "locator",
    "launch",
    "full_name",
    "date_of_birth",
    "nationality",
    "document_number",
    "email",
    "phone",
    "body_mass_kg",
    "medical_status",
    "medical_expires_on",
    "training_completed_on",
    "waiver_signed_on",
    "seat",
    "fare_class",
    "status",
    "baggage_mass_kg",
];

const REQUIRED: [&str; 4] = ["launch", "full_name", "fare_class", "seat"];

/// One row that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowProblem {
    /// The line in the file (the header is line 1).
    pub line: u64,
    /// The column at fault, or empty when the whole row is.
    pub column: String,
    /// What was wrong.
    pub reason: String,
}

impl std::fmt::Display for RowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.column.is_empty() {
            write!(f, "line {}: {}", self.line, self.reason)
        } else {
            write!(
                f,
                "line {}, column {}: {}",
                self.line, self.column, self.reason
            )
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportReport {
    /// Rows read (without the header).
    pub rows: usize,
    /// Bookings written.
    pub imported: usize,
    /// Passengers created (others were found by document number).
    pub passengers_created: usize,
    /// Rows left out, with the reason.
    pub problems: Vec<RowProblem>,
}

/// Which passenger a row books.
enum PassengerRef {
    /// A new passenger from this row.
    New,
    /// A passenger already in the replica (same document number).
    Existing(String),
    /// The passenger of an earlier good row of the file (same document number).
    SameAs(usize),
}

struct GoodRow {
    launch_id: String,
    locator: String,
    passenger: Passenger,
    passenger_ref: PassengerRef,
    seat: Option<String>,
    fare_class: String,
    status: BookingStatus,
    baggage_mass_kg: f64,
}

/// What a row is checked against about its launch.
struct ImportLaunch {
    mission: String,
    vehicle: String,
    seats: Rc<HashSet<String>>,
    fares: Vec<String>,
    closed: bool,
}

/// Every launch, read in a few bulk queries, and the seats taken (including by earlier rows
/// of the file).
struct Launches {
    by_key: HashMap<String, String>,
    details: HashMap<String, ImportLaunch>,
    taken: HashMap<String, HashSet<String>>,
}

/// Imports bookings from CSV text. `progress` is told (rows checked, rows in total) now and
/// then, for a progress bar.
#[allow(
    clippy::too_many_lines,
    reason = "read, check row by row, then write: one pass a reader can follow"
)]
pub fn import_bookings(
    replica: &mut Replica,
    input: impl Read,
    now: DateTime<Utc>,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportReport, BookingError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(input);
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            return Err(BookingError::Refused(format!(
                "line 1: the header row cannot be read: {e}"
            )));
        }
    };
    let index: HashMap<&str, usize> = headers.iter().enumerate().map(|(i, h)| (h, i)).collect();
    if let Some(unknown) = headers.iter().find(|h| !CSV_COLUMNS.contains(h)) {
        return Err(BookingError::Refused(format!(
            "line 1: unknown column {unknown:?}; the columns are {}",
            CSV_COLUMNS.join(",")
        )));
    }
    let missing: Vec<&str> = REQUIRED
        .iter()
        .filter(|c| !index.contains_key(**c))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(BookingError::Refused(format!(
            "line 1: the header lacks required column(s) {}",
            missing.join(", ")
        )));
    }
    let records: Vec<(u64, Result<csv::StringRecord, csv::Error>)> = reader
        .records()
        .map(|r| {
            let line = match &r {
                Ok(rec) => rec.position().map_or(0, csv::Position::line),
                Err(e) => e.position().map_or(0, csv::Position::line),
            };
            (line, r)
        })
        .collect();
    let total = records.len();
    let mut launches = Launches::read(replica, now)?;
    let documents: HashMap<String, String> = replica.read("reading passengers", |conn| {
        conn.prepare(
            "SELECT document_number, id FROM passengers WHERE document_number IS NOT NULL",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
    })?;
    let mut report = ImportReport {
        rows: total,
        ..ImportReport::default()
    };
    let mut good = Vec::new();
    let mut documents_in_file: HashMap<String, usize> = HashMap::new();
    for (done, (line, record)) in records.into_iter().enumerate() {
        if done % 5000 == 0 {
            progress(done, total);
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                report.problems.push(RowProblem {
                    line,
                    column: String::new(),
                    reason: format!("not a CSV row: {e}"),
                });
                continue;
            }
        };
        let field = |name: &str| -> Option<&str> {
            index
                .get(name)
                .and_then(|i| record.get(*i))
                .filter(|v| !v.is_empty())
        };
        match check_row(&field, &mut launches) {
            Ok(mut row) => {
                if let Some(document) = row.passenger.document_number.clone() {
                    row.passenger_ref =
                        match (documents.get(&document), documents_in_file.get(&document)) {
                            (Some(id), _) => PassengerRef::Existing(id.clone()),
                            (None, Some(first)) => PassengerRef::SameAs(*first),
                            (None, None) => PassengerRef::New,
                        };
                    documents_in_file.entry(document).or_insert(good.len());
                }
                good.push(row);
            }
            Err((column, reason)) => report.problems.push(RowProblem {
                line,
                column: column.to_owned(),
                reason,
            }),
        }
    }
    progress(total, total);
    if good.is_empty() {
        return Ok(report);
    }
    let (imported, created) = write_rows(replica, &good, now)?;
    report.imported = imported;
    report.passengers_created = created;
    Ok(report)
}

/// Writes the checked rows in one transaction. Returns (bookings, passengers created).
fn write_rows(
    replica: &mut Replica,
    good: &[GoodRow],
    now: DateTime<Utc>,
) -> Result<(usize, usize), BookingError> {
    let stamp = galaxium_sync::time::stored(now);
    replica.write(|w| {
        let mut ids: Vec<String> = Vec::with_capacity(good.len());
        let mut created = 0;
        for row in good {
            let passenger_id = match &row.passenger_ref {
                PassengerRef::Existing(id) => id.clone(),
                PassengerRef::SameAs(index) => ids[*index].clone(),
                PassengerRef::New => {
                    let id = replica::new_id();
                    w.insert("passengers", &id, passenger_values(&row.passenger))?;
                    created += 1;
                    id
                }
            };
            ids.push(passenger_id.clone());
            let values = object(json!({
                "locator": row.locator,
                "launch_id": row.launch_id,
                "passenger_id": passenger_id,
                "seat_id": row.seat,
                "fare_class": row.fare_class,
                "status": row.status.as_str(),
                "hold_expires_at": null,
                "hold_extensions": 0,
                "baggage_mass_kg": row.baggage_mass_kg,
                "created_at": stamp,
                "updated_at": stamp,
                "demo": false,
            }));
            w.insert("bookings", &replica::new_id(), values)?;
        }
        Ok((good.len(), created))
    })
}

impl Launches {
    fn read(replica: &Replica, now: DateTime<Utc>) -> Result<Self, BookingError> {
        let now = galaxium_sync::time::stored(now);
        replica
            .read("reading launches for the import", |conn| {
                let mut launches = Self {
                    by_key: HashMap::new(),
                    details: HashMap::new(),
                    taken: HashMap::new(),
                };
                // One layout per vehicle, shared by its launches.
                let mut layouts: HashMap<String, Rc<HashSet<String>>> = HashMap::new();
                let mut stmt = conn.prepare(
                    "SELECT l.id, l.mission, l.fare_classes, v.id, v.name, v.seat_layout,
                            EXISTS (SELECT 1 FROM manifests m WHERE m.launch_id = l.id)
                     FROM launches l JOIN vehicles v ON v.id = l.vehicle_id",
                )?;
                let mut rows = stmt.query([])?;
                while let Some(r) = rows.next()? {
                    let id: String = r.get(0)?;
                    let mission: String = r.get(1)?;
                    let fares: String = r.get(2)?;
                    let vehicle_id: String = r.get(3)?;
                    let layout: String = r.get(5)?;
                    let seats = Rc::clone(layouts.entry(vehicle_id).or_insert_with(|| {
                        let seats: Vec<Seat> = serde_json::from_str(&layout).unwrap_or_default();
                        Rc::new(seats.into_iter().map(|s| s.id).collect())
                    }));
                    let fares: Vec<Fare> = serde_json::from_str(&fares).unwrap_or_default();
                    launches.by_key.insert(mission.clone(), id.clone());
                    launches.by_key.insert(id.clone(), id.clone());
                    launches.details.insert(
                        id,
                        ImportLaunch {
                            mission,
                            vehicle: r.get(4)?,
                            seats,
                            fares: fares.into_iter().map(|f| f.code).collect(),
                            closed: r.get(6)?,
                        },
                    );
                }
                let mut stmt = conn.prepare(
                    "SELECT launch_id, seat_id FROM bookings WHERE seat_id IS NOT NULL
                       AND (status IN ('confirmed', 'checked_in', 'boarded')
                            OR (status = 'pending' AND julianday(hold_expires_at) > julianday(?1)))
                     UNION ALL SELECT launch_id, seat_id FROM seat_blocks",
                )?;
                let mut rows = stmt.query([&now])?;
                while let Some(r) = rows.next()? {
                    launches
                        .taken
                        .entry(r.get(0)?)
                        .or_default()
                        .insert(r.get(1)?);
                }
                Ok(launches)
            })
            .map_err(BookingError::from)
    }
}

type Problem = (&'static str, String);

#[allow(
    clippy::too_many_lines,
    reason = "one check per column, in the order of the documented layout"
)]
fn check_row<'a>(
    field: &dyn Fn(&str) -> Option<&'a str>,
    launches: &mut Launches,
) -> Result<GoodRow, Problem> {
    let launch_key = field("launch").ok_or((
        "launch",
        "a launch id or mission name is required".to_owned(),
    ))?;
    let launch_id = launches.by_key.get(launch_key).cloned().ok_or_else(|| {
        (
            "launch",
            format!("no launch has the id or mission name {launch_key:?}"),
        )
    })?;
    let detail = &launches.details[&launch_id];
    if detail.closed {
        return Err((
            "launch",
            format!("the manifest of {} is closed", detail.mission),
        ));
    }
    let locator = match field("locator") {
        Some(l) if l.len() == 6 && l.chars().all(|c| c.is_ascii_alphanumeric()) => l.to_uppercase(),
        Some(l) => {
            return Err((
                "locator",
                format!("{l:?} is not a locator (six letters or digits)"),
            ));
        }
        None => new_import_locator(),
    };
    let full_name = field("full_name").ok_or(("full_name", "a name is required".to_owned()))?;
    let day = |column: &'static str| -> Result<Option<String>, Problem> {
        match field(column) {
            None => Ok(None),
            Some(text) if parse_day(text).is_some() => Ok(Some(text.to_owned())),
            Some(text) => Err((column, format!("{text:?} is not a date; use YYYY-MM-DD"))),
        }
    };
    let mass = |column: &'static str| -> Result<Option<f64>, Problem> {
        match field(column) {
            None => Ok(None),
            Some(text) => match text.parse::<f64>() {
                Ok(m) if (0.0..=300.0).contains(&m) => Ok(Some(m)),
                _ => Err((column, format!("{text:?} is not a mass in kg (0–300)"))),
            },
        }
    };
    let medical_word = field("medical_status").unwrap_or("pending");
    let Some(medical_status) = MedicalStatus::parse(medical_word) else {
        return Err((
            "medical_status",
            format!("{medical_word:?} is not pending, cleared, restricted or denied"),
        ));
    };
    let passenger = Passenger {
        id: String::new(),
        full_name: full_name.to_owned(),
        date_of_birth: day("date_of_birth")?,
        nationality: field("nationality").map(str::to_owned),
        document_number: field("document_number").map(str::to_owned),
        email: field("email").map(str::to_owned),
        phone: field("phone").map(str::to_owned),
        emergency_contact: None,
        body_mass_kg: mass("body_mass_kg")?,
        medical_status,
        medical_expires_on: day("medical_expires_on")?,
        training_completed_on: day("training_completed_on")?,
        waiver_signed_on: day("waiver_signed_on")?,
        demo: false,
    };
    let status = match field("status") {
        None => BookingStatus::Confirmed,
        Some(text) => match BookingStatus::parse(text) {
            Some(
                s @ (BookingStatus::Confirmed
                | BookingStatus::CheckedIn
                | BookingStatus::Boarded
                | BookingStatus::Waitlisted
                | BookingStatus::Cancelled),
            ) => s,
            _ => {
                return Err((
                    "status",
                    format!(
                        "{text:?} cannot be imported; use confirmed, checked_in, boarded, waitlisted or cancelled"
                    ),
                ));
            }
        },
    };
    let fare_class =
        field("fare_class").ok_or(("fare_class", "a fare class is required".to_owned()))?;
    if !detail.fares.iter().any(|f| f == fare_class) {
        return Err((
            "fare_class",
            format!(
                "{} has no fare class {fare_class:?}; it has {}",
                detail.mission,
                detail.fares.join(", ")
            ),
        ));
    }
    let seat = match (field("seat"), status) {
        (None, BookingStatus::Waitlisted | BookingStatus::Cancelled) => None,
        (None, _) => {
            return Err((
                "seat",
                "a seat is required unless waitlisted or cancelled".to_owned(),
            ));
        }
        (Some(_), BookingStatus::Waitlisted) => {
            return Err(("seat", "a waitlisted booking has no seat".to_owned()));
        }
        (Some(seat), _) => {
            if !detail.seats.contains(seat) {
                return Err(("seat", format!("{} has no seat {seat}", detail.vehicle)));
            }
            if status.is_seated()
                && !launches
                    .taken
                    .entry(launch_id.clone())
                    .or_default()
                    .insert(seat.to_owned())
            {
                return Err((
                    "seat",
                    format!("seat {seat} on {} is already taken", detail.mission),
                ));
            }
            Some(seat.to_owned())
        }
    };
    Ok(GoodRow {
        launch_id,
        locator,
        passenger,
        passenger_ref: PassengerRef::New,
        seat,
        fare_class: fare_class.to_owned(),
        status,
        baggage_mass_kg: mass("baggage_mass_kg")?.unwrap_or(0.0),
    })
}

fn new_import_locator() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    uuid::Uuid::new_v4().as_bytes()[..6]
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

/// One exported booking: the CSV columns plus ids.
#[derive(Debug, Clone, Serialize)]
pub struct ExportRow {
    /// The booking's id.
    pub booking_id: String,
    /// The passenger's id.
    pub passenger_id: String,
    /// Values in [`CSV_COLUMNS`] order.
    #[serde(flatten)]
    pub fields: serde_json::Map<String, Value>,
}

/// Every booking of a launch as rows of the CSV layout (`launch` is the launch id).
pub fn export_rows(detail: &LaunchDetail) -> Vec<ExportRow> {
    detail
        .bookings
        .iter()
        .map(|b| {
            let p = detail
                .passengers
                .get(&b.passenger_id)
                .cloned()
                .unwrap_or_default();
            let mut fields = serde_json::Map::new();
            let text = |v: Option<String>| v.map_or(Value::Null, Value::String);
            for column in CSV_COLUMNS {
                let value = match column {
                    "locator" => Value::String(b.locator.clone()),
                    "launch" => Value::String(detail.id.clone()),
                    "full_name" => Value::String(b.passenger_name.clone()),
                    "date_of_birth" => text(p.date_of_birth.clone()),
                    "nationality" => text(p.nationality.clone()),
                    "document_number" => text(p.document_number.clone()),
                    "email" => text(p.email.clone()),
                    "phone" => text(p.phone.clone()),
                    "body_mass_kg" => p.body_mass_kg.map_or(Value::Null, |m| json!(m)),
                    "medical_status" => Value::String(p.medical_status.as_str().to_owned()),
                    "medical_expires_on" => text(p.medical_expires_on.clone()),
                    "training_completed_on" => text(p.training_completed_on.clone()),
                    "waiver_signed_on" => text(p.waiver_signed_on.clone()),
                    "seat" => text(b.seat_id.clone()),
                    "fare_class" => Value::String(b.fare_class.clone()),
                    "status" => Value::String(b.status.as_str().to_owned()),
                    "baggage_mass_kg" => json!(b.baggage_mass_kg),
                    _ => Value::Null,
                };
                fields.insert(column.to_owned(), value);
            }
            ExportRow {
                booking_id: b.id.clone(),
                passenger_id: b.passenger_id.clone(),
                fields,
            }
        })
        .collect()
}

/// The launch's bookings as CSV in the import layout.
pub fn export_csv(detail: &LaunchDetail) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(CSV_COLUMNS)?;
    for row in export_rows(detail) {
        out.write_record(CSV_COLUMNS.iter().map(|c| match &row.fields[*c] {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }))?;
    }
    out.into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))
}

/// The launch's bookings as a JSON array.
pub fn export_json(detail: &LaunchDetail) -> String {
    serde_json::to_string_pretty(&export_rows(detail)).unwrap_or_else(|_| "[]".to_owned())
}
