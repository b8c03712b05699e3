//! What the bookings screens draw from, read in one go and kept until the replica changes.

use chrono::{DateTime, Utc};
use galaxium_sync::{Replica, ReplicaError};

use super::documents::DocumentInfo;
use super::model::{
    Booking, BookingStatus, LaunchDetail, LaunchListEntry, PASSENGER_COLUMNS, Passenger,
    bookings_by_locator, launch_list,
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
    /// What the desk's search by surname or document number found.
    pub desk_found: Option<(String, Vec<DeskMatch>)>,
    /// The launch the gate boards, in full.
    pub gate: Option<LaunchDetail>,
    /// Every passenger's documents (without scans), by passenger id.
    pub documents: std::collections::HashMap<String, Vec<DocumentInfo>>,
    /// Documents that expire before their passenger's next launch, soonest launch first.
    pub expiring: Vec<ExpiringDocument>,
    /// The selected launch's go/no-go polls, newest first.
    pub polls: Vec<crate::launch_poll::Poll>,
    /// How many polls of any launch are open (the console syncs faster while one is).
    pub open_polls: u32,
}

/// A document that runs out before its passenger flies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiringDocument {
    /// The passenger.
    pub passenger_id: String,
    /// Their name.
    pub passenger_name: String,
    /// The document.
    pub document: DocumentInfo,
    /// The launch it will not last until.
    pub mission: String,
    /// That launch's day.
    pub launch_day: chrono::NaiveDate,
}

/// Each passenger's next launch (the soonest one not yet flown on which they hold a live
/// booking): id to (name, mission, launch day).
fn next_launches(
    conn: &rusqlite::Connection,
    now: DateTime<Utc>,
) -> rusqlite::Result<std::collections::HashMap<String, (String, String, chrono::NaiveDate)>> {
    let rows: Vec<(String, String, String, String)> = conn
        .prepare_cached(
            "SELECT p.id, p.full_name, l.mission, min(l.scheduled_at)
             FROM bookings b
             JOIN passengers p ON p.id = b.passenger_id
             JOIN launches l ON l.id = b.launch_id
             WHERE b.status IN ('pending', 'confirmed', 'checked_in', 'waitlisted')
               AND l.status IN ('planned', 'scheduled', 'boarding', 'scrubbed')
               AND l.scheduled_at >= ?1
             GROUP BY p.id",
        )?
        .query_map(
            [galaxium_sync::time::stored(now - chrono::Duration::days(1))],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, name, mission, at)| {
            let day = super::model::parse_time(Some(&at))?.date_naive();
            Some((id, (name, mission, day)))
        })
        .collect())
}

/// A booking the desk's search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskMatch {
    /// Its locator.
    pub locator: String,
    /// The passenger.
    pub passenger_name: String,
    /// The launch's mission.
    pub mission: String,
    /// When it launches.
    pub scheduled_at: String,
    /// The booking's status.
    pub status: BookingStatus,
}

/// Which launch, locator, search and gate the bookings screens show in full.
#[derive(Debug, Clone, Copy, Default)]
pub struct BookingsRequest<'a> {
    /// The launch shown in full.
    pub selected: Option<&'a str>,
    /// The check-in desk's locator.
    pub locator: Option<&'a str>,
    /// The desk's search by surname or document number.
    pub search: Option<&'a str>,
    /// The launch the gate boards.
    pub gate: Option<&'a str>,
}

/// The bookings not yet over (not cancelled, expired or flown) whose passenger's name or a
/// document number holds `query`, soonest launch first; at most 50.
fn desk_search(conn: &rusqlite::Connection, query: &str) -> rusqlite::Result<Vec<DeskMatch>> {
    let query = query.trim().to_lowercase();
    if query.chars().count() < 2 {
        return Ok(Vec::new());
    }
    let pattern = format!("%{query}%");
    conn.prepare_cached(
        "SELECT b.locator, p.full_name, l.mission, l.scheduled_at, b.status
         FROM bookings b
         JOIN passengers p ON p.id = b.passenger_id
         JOIN launches l ON l.id = b.launch_id
         WHERE b.status IN ('pending', 'confirmed', 'checked_in', 'boarded', 'waitlisted')
           AND (lower(p.full_name) LIKE ?1 OR lower(p.document_number) LIKE ?1
                OR p.id IN (SELECT passenger_id FROM passenger_documents
                            WHERE lower(number) LIKE ?1))
         ORDER BY l.scheduled_at, p.full_name
         LIMIT 50",
    )?
    .query_map([pattern], |r| {
        Ok(DeskMatch {
            locator: r.get(0)?,
            passenger_name: r.get(1)?,
            mission: r.get(2)?,
            scheduled_at: r.get(3)?,
            status: r.get(4)?,
        })
    })?
    .collect()
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
    /// Reads it all, with the launch, locator, search and gate `request` names in full.
    pub fn load(
        replica: &Replica,
        request: BookingsRequest<'_>,
        now: DateTime<Utc>,
    ) -> Result<Self, ReplicaError> {
        replica.read("reading launches and bookings", |conn| {
            let detail = match request.selected {
                Some(id) => LaunchDetail::load(conn, id)?,
                None => None,
            };
            let polls = match request.selected {
                Some(id) => crate::launch_poll::polls_of(conn, id)?,
                None => Vec::new(),
            };
            let gate = match request.gate {
                Some(id) => LaunchDetail::load(conn, id)?,
                None => None,
            };
            let desk_found = match request.search {
                Some(query) => Some((query.to_owned(), desk_search(conn, query)?)),
                None => None,
            };
            let (documents, expiring) = documents_and_expiring(conn, now)?;
            let desk = match request.locator {
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
                desk_found,
                gate,
                documents,
                expiring,
                polls,
                open_polls: conn.query_row(
                    "SELECT count(*) FROM launch_polls WHERE status = 'open'",
                    [],
                    |r| r.get(0),
                )?,
            })
        })
    }
}

type DocumentsByPassenger = std::collections::HashMap<String, Vec<DocumentInfo>>;

/// Every passenger's documents by passenger, and those that run out before their passenger's
/// next launch.
fn documents_and_expiring(
    conn: &rusqlite::Connection,
    now: DateTime<Utc>,
) -> rusqlite::Result<(DocumentsByPassenger, Vec<ExpiringDocument>)> {
    let mut documents = DocumentsByPassenger::new();
    for document in super::documents::all(conn)? {
        documents
            .entry(document.passenger_id.clone())
            .or_default()
            .push(document);
    }
    let next = next_launches(conn, now)?;
    let mut expiring: Vec<ExpiringDocument> = documents
        .iter()
        .flat_map(|(passenger, docs)| {
            // Only the newest of each kind: a renewed passport replaces the old one.
            docs.iter()
                .filter(|d| {
                    docs.iter()
                        .filter(|o| o.kind == d.kind)
                        .all(|o| o.expires_on <= d.expires_on)
                })
                .map(move |d| (passenger, d))
        })
        .filter_map(|(passenger, document)| {
            let (name, mission, day) = next.get(passenger)?;
            (document.expires_on < *day).then(|| ExpiringDocument {
                passenger_id: passenger.clone(),
                passenger_name: name.clone(),
                document: document.clone(),
                mission: mission.clone(),
                launch_day: *day,
            })
        })
        .collect();
    expiring
        .sort_by(|a, b| (a.launch_day, &a.passenger_name).cmp(&(b.launch_day, &b.passenger_name)));
    Ok((documents, expiring))
}
