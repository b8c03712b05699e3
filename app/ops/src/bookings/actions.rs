//! Every change to bookings. Each action reads what it depends on and writes inside one
//! replica transaction, so a seat checked as free is still free when it is sold, and every
//! change carries the outbox op that replicates it.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use galaxium_sync::replica::{self, Writer};
use galaxium_sync::schema::registry::LAUNCH_TRANSITIONS;
use galaxium_sync::time::stored;
use galaxium_sync::{Replica, ReplicaError};
use rusqlite::{OptionalExtension as _, params};
use serde_json::{Map, Value, json};

use super::manifest::ManifestDoc;
use super::model::{
    Booking, BookingStatus, Fare, InvoiceStatus, LaunchDetail, LaunchStatus, MassLimits, Passenger,
    Seat, bookings_by_locator, parse_day,
};

/// Why a bookings action did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    /// A rule refused it; the message says which and what to do.
    #[error("{0}")]
    Refused(String),
    /// The replica could not store it.
    #[error(transparent)]
    Replica(#[from] ReplicaError),
    /// The replica could not be read.
    #[error("reading the replica failed: {0}")]
    Read(#[from] rusqlite::Error),
}

/// The fields of a `json!({...})` object literal.
pub(crate) fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn refused<T>(message: impl Into<String>) -> Result<T, BookingError> {
    Err(BookingError::Refused(message.into()))
}

/// The booking rules an operator may tune.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BookingRules {
    /// How long a new hold keeps its seats.
    pub hold_ttl: Duration,
    /// How much one extension adds.
    pub hold_extension: Duration,
    /// How many times a hold may be extended. A hold never runs past the close of check-in.
    pub max_hold_extensions: u32,
    /// Body-mass limits for readiness.
    pub mass: MassLimits,
}

impl Default for BookingRules {
    fn default() -> Self {
        Self {
            hold_ttl: Duration::minutes(15),
            hold_extension: Duration::minutes(10),
            max_hold_extensions: 2,
            mass: MassLimits::default(),
        }
    }
}

/// A passenger and the seat they are to sit in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatRequest {
    /// The passenger's id.
    pub passenger_id: String,
    /// The seat's name.
    pub seat_id: String,
}

/// What a cancellation did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CancelOutcome {
    /// Bookings cancelled.
    pub cancelled: usize,
    /// Waitlisted passengers offered a freed seat: (name, seat, locator).
    pub offers: Vec<(String, String, String)>,
}

/// What a check-in did, passenger by passenger.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CheckInOutcome {
    /// Passengers checked in now.
    pub checked_in: Vec<String>,
    /// Passengers already checked in or boarded.
    pub already: Vec<String>,
    /// Passengers refused, with every reason.
    pub refused: Vec<(String, Vec<String>)>,
}

/// A new launch.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLaunch {
    /// The mission name.
    pub mission: String,
    /// The vehicle's id.
    pub vehicle_id: String,
    /// The spaceport's id.
    pub spaceport_id: String,
    /// The pad.
    pub pad: String,
    /// When it launches.
    pub scheduled_at: DateTime<Utc>,
    /// Its fares.
    pub fares: Vec<Fare>,
    /// Check-in opens this many hours before launch.
    pub checkin_opens_hours: f64,
    /// Check-in closes this many hours before launch.
    pub checkin_closes_hours: f64,
}

/// A time as a document says it (RFC 3339 UTC, to the second).
pub(crate) fn said_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A time as a refusal says it to a person: "2026-12-01 09:00 UTC".
fn said_to_people(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn load(w: &Writer<'_>, launch_id: &str) -> Result<LaunchDetail, BookingError> {
    match LaunchDetail::load(w.reader(), launch_id)? {
        Some(detail) => Ok(detail),
        None => refused(format!("there is no launch with id {launch_id}")),
    }
}

fn open_for_changes(detail: &LaunchDetail) -> Result<(), BookingError> {
    if let Some(closed) = detail.manifest_closed_at {
        return refused(format!(
            "the manifest of {} was closed at {}; its bookings can no longer change",
            detail.mission,
            said_to_people(closed)
        ));
    }
    Ok(())
}

fn open_for_sale(detail: &LaunchDetail) -> Result<(), BookingError> {
    open_for_changes(detail)?;
    if !detail.status.takes_bookings() {
        return refused(format!(
            "{} is {}; seats are sold only on planned or scheduled launches",
            detail.mission, detail.status
        ));
    }
    Ok(())
}

/// A new six-character record locator (no 0/O or 1/I to misread), unused in this replica.
fn new_locator(w: &Writer<'_>) -> Result<String, BookingError> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    loop {
        let bytes = *uuid::Uuid::new_v4().as_bytes();
        let locator: String = bytes[..6]
            .iter()
            .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
            .collect();
        let used: bool = w.reader().query_row(
            "SELECT EXISTS (SELECT 1 FROM bookings WHERE locator = ?1)",
            [&locator],
            |r| r.get(0),
        )?;
        if !used {
            return Ok(locator);
        }
    }
}

/// Moves a booking to `status` inside a write (for the gate, which boards one by its pass).
pub(crate) fn set_status_of(
    w: &mut Writer<'_>,
    booking_id: &str,
    status: BookingStatus,
    now: DateTime<Utc>,
) -> Result<(), BookingError> {
    set_status(w, booking_id, status, now, Map::new())
}

fn set_status(
    w: &mut Writer<'_>,
    booking_id: &str,
    status: BookingStatus,
    now: DateTime<Utc>,
    extra: Map<String, Value>,
) -> Result<(), BookingError> {
    let mut values = extra;
    values.insert("status".into(), json!(status.as_str()));
    values.insert("updated_at".into(), json!(stored(now)));
    w.update("bookings", booking_id, values)?;
    Ok(())
}

/// Marks lapsed holds on the given seats (all seats when `None`) as expired.
fn expire_lapsed(
    w: &mut Writer<'_>,
    detail: &LaunchDetail,
    seats: Option<&[&str]>,
    now: DateTime<Utc>,
) -> Result<usize, BookingError> {
    let lapsed: Vec<String> = detail
        .live_iter()
        .filter(|b| b.hold_lapsed(now))
        .filter(|b| {
            seats.is_none_or(|seats| b.seat_id.as_deref().is_some_and(|s| seats.contains(&s)))
        })
        .map(|b| b.id.clone())
        .collect();
    for id in &lapsed {
        set_status(w, id, BookingStatus::Expired, now, Map::new())?;
    }
    Ok(lapsed.len())
}

fn seat_is_free(
    detail: &LaunchDetail,
    seat_id: &str,
    now: DateTime<Utc>,
) -> Result<(), BookingError> {
    if detail.seat(seat_id).is_none() {
        return refused(format!(
            "{} has no seat {seat_id}; its seats are {}",
            detail.vehicle,
            detail
                .seats
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    if let Some(index) = detail.holder(seat_id, now) {
        let holder = &detail.bookings[index];
        return refused(format!(
            "seat {seat_id} is taken: {} under {} ({})",
            holder.passenger_name,
            holder.locator,
            holder.status.label().to_lowercase()
        ));
    }
    if let Some(block) = detail.block(seat_id) {
        return refused(format!("seat {seat_id} is blocked: {}", block.reason));
    }
    Ok(())
}

/// A booking row about to be written.
struct NewBooking<'a> {
    launch_id: &'a str,
    locator: &'a str,
    passenger_id: &'a str,
    seat_id: Option<&'a str>,
    fare: &'a str,
    status: BookingStatus,
    hold_expires_at: Option<DateTime<Utc>>,
}

fn insert_booking(
    w: &mut Writer<'_>,
    b: &NewBooking<'_>,
    now: DateTime<Utc>,
) -> Result<String, BookingError> {
    let id = replica::new_id();
    let values = object(json!({
        "locator": b.locator,
        "launch_id": b.launch_id,
        "passenger_id": b.passenger_id,
        "seat_id": b.seat_id,
        "fare_class": b.fare,
        "status": b.status.as_str(),
        "hold_expires_at": b.hold_expires_at.map(stored),
        "hold_extensions": 0,
        "baggage_mass_kg": 0.0,
        "created_at": stored(now),
        "updated_at": stored(now),
        "demo": false,
    }));
    w.insert("bookings", &id, values)?;
    Ok(id)
}

/// Holds seats for one or more passengers under one new locator (a group booking), for
/// [`BookingRules::hold_ttl`]. Returns the locator.
pub fn hold_seats(
    replica: &mut Replica,
    launch_id: &str,
    fare_code: &str,
    requests: &[SeatRequest],
    rules: &BookingRules,
    now: DateTime<Utc>,
) -> Result<String, BookingError> {
    replica.write(|w| {
        let detail = load(w, launch_id)?;
        open_for_sale(&detail)?;
        if requests.is_empty() {
            return refused("pick at least one passenger and seat");
        }
        if detail.fare(fare_code).is_none() {
            return refused(format!(
                "{} has no fare class {fare_code:?}",
                detail.mission
            ));
        }
        for (index, request) in requests.iter().enumerate() {
            seat_is_free(&detail, &request.seat_id, now)?;
            if requests[..index]
                .iter()
                .any(|r| r.seat_id == request.seat_id)
            {
                return refused(format!("seat {} is asked for twice", request.seat_id));
            }
            let Some(passenger) = Passenger::load(w.reader(), &request.passenger_id)? else {
                return refused(format!("there is no passenger {}", request.passenger_id));
            };
            if let Some(existing) = detail
                .live_iter()
                .find(|b| b.passenger_id == passenger.id && b.holds_seat(now))
            {
                return refused(format!(
                    "{} already has seat {} on this launch under {}",
                    passenger.full_name,
                    existing.seat_id.as_deref().unwrap_or("?"),
                    existing.locator
                ));
            }
        }
        let seats: Vec<&str> = requests.iter().map(|r| r.seat_id.as_str()).collect();
        expire_lapsed(w, &detail, Some(&seats), now)?;
        let locator = new_locator(w)?;
        for request in requests {
            insert_booking(
                w,
                &NewBooking {
                    launch_id,
                    locator: &locator,
                    passenger_id: &request.passenger_id,
                    seat_id: Some(&request.seat_id),
                    fare: fare_code,
                    status: BookingStatus::Pending,
                    hold_expires_at: Some(now + rules.hold_ttl),
                },
                now,
            )?;
        }
        Ok(locator)
    })
}

/// The bookings under `locator` and their launch.
fn locator_and_launch(
    w: &Writer<'_>,
    locator: &str,
) -> Result<(Vec<Booking>, LaunchDetail), BookingError> {
    let bookings = locator_bookings(w, locator)?;
    let detail = load(w, &bookings[0].launch_id)?;
    Ok((bookings, detail))
}

fn locator_bookings(w: &Writer<'_>, locator: &str) -> Result<Vec<Booking>, BookingError> {
    let bookings = bookings_by_locator(w.reader(), locator)?;
    if bookings.is_empty() {
        return refused(format!("no booking has the locator {}", locator.trim()));
    }
    Ok(bookings)
}

/// Confirms every live hold under `locator` and issues its invoice (unpaid). A lapsed hold
/// is refused: its seats may have been sold since.
pub fn confirm(
    replica: &mut Replica,
    locator: &str,
    now: DateTime<Utc>,
) -> Result<usize, BookingError> {
    replica.write(|w| {
        let (bookings, detail) = locator_and_launch(w, locator)?;
        open_for_sale(&detail)?;
        let pending: Vec<&Booking> = bookings
            .iter()
            .filter(|b| b.status == BookingStatus::Pending)
            .collect();
        if pending.is_empty() {
            return refused(format!("{} holds no seats to confirm", bookings[0].locator));
        }
        if let Some(lapsed) = pending.iter().find(|b| b.hold_lapsed(now)) {
            return refused(format!(
                "the hold on seat {} lapsed at {}; hold the seats again",
                lapsed.seat_id.as_deref().unwrap_or("?"),
                lapsed.hold_expires_at.map(said_time).unwrap_or_default()
            ));
        }
        for booking in &pending {
            set_status(w, &booking.id, BookingStatus::Confirmed, now, Map::new())?;
        }
        issue_invoice(w, &detail, &bookings, now)?;
        Ok(pending.len())
    })
}

fn issue_invoice(
    w: &mut Writer<'_>,
    detail: &LaunchDetail,
    bookings: &[Booking],
    now: DateTime<Utc>,
) -> Result<(), BookingError> {
    let locator = &bookings[0].locator;
    let (mut amount, mut currency) = (0_i64, String::from("USD"));
    for booking in bookings.iter().filter(|b| !b.status.is_final()) {
        if let Some(fare) = detail.fare(&booking.fare_class) {
            amount += fare.price_minor;
            currency.clone_from(&fare.currency);
        }
    }
    let existing: Option<String> = w
        .reader()
        .query_row(
            "SELECT id FROM invoices WHERE locator = ?1",
            [locator],
            |r| r.get(0),
        )
        .optional()?;
    let values = json!({
        "locator": locator,
        "number": format!("GX-{}-{locator}", now.format("%Y%m%d")),
        "amount_minor": amount,
        "currency": currency,
        "status": InvoiceStatus::Unpaid.as_str(),
        "issued_at": stored(now),
        "demo": false,
    });
    let mut values = object(values);
    match existing {
        Some(id) => {
            values.retain(|k, _| k == "amount_minor" || k == "currency");
            w.update("invoices", &id, values)?;
        }
        None => w.insert("invoices", &replica::new_id(), values)?,
    }
    Ok(())
}

/// Sets the payment status of the invoice of `locator`.
pub fn set_invoice_status(
    replica: &mut Replica,
    locator: &str,
    status: InvoiceStatus,
) -> Result<(), BookingError> {
    replica.write(|w| {
        let id: Option<String> = w
            .reader()
            .query_row(
                "SELECT id FROM invoices WHERE locator = ?1",
                [locator.trim().to_uppercase()],
                |r| r.get(0),
            )
            .optional()?;
        let Some(id) = id else {
            return refused(format!(
                "{locator} has no invoice yet; it is issued when the booking is confirmed"
            ));
        };
        let values = object(json!({ "status": status.as_str() }));
        w.update("invoices", &id, values)?;
        Ok(())
    })
}

/// Extends the live hold under `locator` by [`BookingRules::hold_extension`]: at most
/// [`BookingRules::max_hold_extensions`] times, and never past the close of check-in.
/// Returns the new expiry.
pub fn extend_hold(
    replica: &mut Replica,
    locator: &str,
    rules: &BookingRules,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, BookingError> {
    replica.write(|w| {
        let (bookings, detail) = locator_and_launch(w, locator)?;
        open_for_sale(&detail)?;
        let held: Vec<&Booking> = bookings
            .iter()
            .filter(|b| b.status == BookingStatus::Pending)
            .collect();
        let Some(first) = held.first() else {
            return refused(format!("{} holds no seats", bookings[0].locator));
        };
        if held.iter().any(|b| b.hold_lapsed(now)) {
            return refused("the hold has lapsed and cannot be extended; hold the seats again");
        }
        if first.hold_extensions >= rules.max_hold_extensions {
            return refused(format!(
                "a hold may be extended {} times and this one has been; confirm or release it",
                rules.max_hold_extensions
            ));
        }
        let expiry = first.hold_expires_at.unwrap_or(now) + rules.hold_extension;
        let (_, checkin_closes) = detail.checkin_window();
        if expiry > checkin_closes {
            return refused(format!(
                "a hold cannot run past the close of check-in at {}",
                said_to_people(checkin_closes)
            ));
        }
        for booking in &held {
            let values = object(json!({
                "hold_expires_at": stored(expiry),
                "hold_extensions": booking.hold_extensions + 1,
                "updated_at": stored(now),
            }));
            w.update("bookings", &booking.id, values)?;
        }
        Ok(expiry)
    })
}

/// Offers freed seats to the waitlist, oldest first: each offer is a hold.
fn offer_freed_seats(
    w: &mut Writer<'_>,
    launch_id: &str,
    freed: &[String],
    rules: &BookingRules,
    now: DateTime<Utc>,
) -> Result<Vec<(String, String, String)>, BookingError> {
    let detail = load(w, launch_id)?;
    let mut waiting = detail
        .live_iter()
        .filter(|b| b.status == BookingStatus::Waitlisted);
    let mut offers = Vec::new();
    for seat in freed {
        if detail.holder(seat, now).is_some() || detail.block(seat).is_some() {
            continue;
        }
        let Some(next) = waiting.next() else { break };
        let values = object(json!({
            "seat_id": seat,
            "hold_expires_at": stored(now + rules.hold_ttl),
        }));
        set_status(w, &next.id, BookingStatus::Pending, now, values)?;
        offers.push((
            next.passenger_name.clone(),
            seat.clone(),
            next.locator.clone(),
        ));
    }
    Ok(offers)
}

/// Cancels the named bookings (or every live one under a locator when `booking_ids` is
/// empty). A paid invoice whose bookings are all cancelled is marked refunded, and every
/// freed seat is offered to the waitlist.
pub fn cancel(
    replica: &mut Replica,
    locator: &str,
    booking_ids: &[String],
    rules: &BookingRules,
    now: DateTime<Utc>,
) -> Result<CancelOutcome, BookingError> {
    replica.write(|w| {
        let (bookings, detail) = locator_and_launch(w, locator)?;
        open_for_changes(&detail)?;
        let chosen: Vec<&Booking> = bookings
            .iter()
            .filter(|b| booking_ids.is_empty() || booking_ids.contains(&b.id))
            .filter(|b| !b.status.is_final())
            .collect();
        if chosen.is_empty() {
            return refused(format!(
                "nothing under {} is left to cancel",
                bookings[0].locator
            ));
        }
        let mut freed = Vec::new();
        for booking in &chosen {
            if booking.holds_seat(now)
                && let Some(seat) = &booking.seat_id
            {
                freed.push(seat.clone());
            }
            set_status(w, &booking.id, BookingStatus::Cancelled, now, Map::new())?;
        }
        let all_cancelled = bookings
            .iter()
            .all(|b| b.status.is_final() || chosen.iter().any(|c| c.id == b.id));
        let paid: Option<String> = w
            .reader()
            .query_row(
                "SELECT id FROM invoices WHERE locator = ?1 AND status = 'paid'",
                [&bookings[0].locator],
                |r| r.get(0),
            )
            .optional()?;
        if all_cancelled && let Some(id) = paid {
            let values = object(json!({ "status": InvoiceStatus::Refunded.as_str() }));
            w.update("invoices", &id, values)?;
        }
        let offers = offer_freed_seats(w, &detail.id, &freed, rules, now)?;
        Ok(CancelOutcome {
            cancelled: chosen.len(),
            offers,
        })
    })
}

/// Puts a passenger on the launch's waitlist under a new locator. Returns the locator.
pub fn join_waitlist(
    replica: &mut Replica,
    launch_id: &str,
    passenger_id: &str,
    fare_code: &str,
    now: DateTime<Utc>,
) -> Result<String, BookingError> {
    replica.write(|w| {
        let detail = load(w, launch_id)?;
        open_for_sale(&detail)?;
        if detail.fare(fare_code).is_none() {
            return refused(format!(
                "{} has no fare class {fare_code:?}",
                detail.mission
            ));
        }
        if detail.live_iter().any(|b| {
            b.passenger_id == passenger_id
                && (b.holds_seat(now) || b.status == BookingStatus::Waitlisted)
        }) {
            return refused("the passenger is already booked or waitlisted on this launch");
        }
        let locator = new_locator(w)?;
        insert_booking(
            w,
            &NewBooking {
                launch_id,
                locator: &locator,
                passenger_id,
                seat_id: None,
                fare: fare_code,
                status: BookingStatus::Waitlisted,
                hold_expires_at: None,
            },
            now,
        )?;
        Ok(locator)
    })
}

/// Moves a booking to another free seat; the old seat is offered to the waitlist.
pub fn change_seat(
    replica: &mut Replica,
    booking_id: &str,
    new_seat: &str,
    rules: &BookingRules,
    now: DateTime<Utc>,
) -> Result<(), BookingError> {
    replica.write(|w| {
        let launch_id: Option<String> = w
            .reader()
            .query_row(
                "SELECT launch_id FROM bookings WHERE id = ?1",
                [booking_id],
                |r| r.get(0),
            )
            .optional()?;
        let Some(launch_id) = launch_id else {
            return refused(format!("there is no booking {booking_id}"));
        };
        let detail = load(w, &launch_id)?;
        open_for_changes(&detail)?;
        let Some(booking) = detail.bookings.iter().find(|b| b.id == booking_id) else {
            return refused(format!("there is no booking {booking_id}"));
        };
        if !booking.holds_seat(now) {
            return refused(format!(
                "the booking is {}; only a held or sold seat can be changed",
                booking.status.label().to_lowercase()
            ));
        }
        seat_is_free(&detail, new_seat, now)?;
        expire_lapsed(w, &detail, Some(&[new_seat]), now)?;
        let old = booking.seat_id.clone();
        let values = object(json!({
            "seat_id": new_seat,
            "updated_at": stored(now),
        }));
        w.update("bookings", booking_id, values)?;
        if let Some(old) = old {
            offer_freed_seats(w, &launch_id, &[old], rules, now)?;
        }
        Ok(())
    })
}

/// Takes a free seat out of sale with a reason (a camera, ballast, crew).
pub fn block_seat(
    replica: &mut Replica,
    launch_id: &str,
    seat_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), BookingError> {
    if reason.trim().is_empty() {
        return refused("say why the seat is blocked");
    }
    replica.write(|w| {
        let detail = load(w, launch_id)?;
        open_for_changes(&detail)?;
        seat_is_free(&detail, seat_id, now)?;
        let values = object(json!({
            "launch_id": launch_id,
            "seat_id": seat_id,
            "reason": reason.trim(),
            "created_at": stored(now),
            "demo": false,
        }));
        w.insert("seat_blocks", &replica::new_id(), values)?;
        Ok(())
    })
}

/// Returns a blocked seat to sale.
pub fn unblock_seat(replica: &mut Replica, block_id: &str) -> Result<(), BookingError> {
    replica.write(|w| {
        w.delete("seat_blocks", block_id)?;
        Ok(())
    })
}

/// Checks in the confirmed passengers under `locator` named by `only` (their booking ids;
/// every one when empty) who are ready to fly, inside the launch's check-in window. Each
/// passenger who is not ready is refused with every reason; the others are checked in.
pub fn check_in(
    replica: &mut Replica,
    locator: &str,
    only: &[String],
    rules: &BookingRules,
    now: DateTime<Utc>,
) -> Result<CheckInOutcome, BookingError> {
    replica.write(|w| {
        let (mut bookings, detail) = locator_and_launch(w, locator)?;
        if !only.is_empty() {
            bookings.retain(|b| only.contains(&b.id));
        }
        check_in_open(&detail, now)?;
        let mut outcome = CheckInOutcome::default();
        for booking in &bookings {
            let name = booking.passenger_name.clone();
            match booking.status {
                BookingStatus::CheckedIn | BookingStatus::Boarded => outcome.already.push(name),
                BookingStatus::Confirmed => {
                    let ready = detail.readiness_of(booking, rules.mass);
                    if ready.is_go() {
                        set_status(w, &booking.id, BookingStatus::CheckedIn, now, Map::new())?;
                        outcome.checked_in.push(name);
                    } else {
                        outcome.refused.push((name, ready.texts()));
                    }
                }
                other => outcome.refused.push((
                    name,
                    vec![format!(
                        "the booking is {}, not confirmed",
                        other.label().to_lowercase()
                    )],
                )),
            }
        }
        Ok(outcome)
    })
}

/// Whether the launch takes check-ins at `now`: scheduled or boarding, inside its window, its
/// manifest open.
fn check_in_open(detail: &LaunchDetail, now: DateTime<Utc>) -> Result<(), BookingError> {
    open_for_changes(detail)?;
    if !matches!(
        detail.status,
        LaunchStatus::Scheduled | LaunchStatus::Boarding
    ) {
        return refused(format!(
            "{} is {}; check-in is open only for scheduled launches",
            detail.mission, detail.status
        ));
    }
    let (opens, closes) = detail.checkin_window();
    if now < opens {
        return refused(format!(
            "check-in for {} opens at {} ({} h before launch)",
            detail.mission,
            said_to_people(opens),
            detail.checkin_opens_hours
        ));
    }
    if now > closes {
        return refused(format!(
            "check-in for {} closed at {} ({} h before launch)",
            detail.mission,
            said_to_people(closes),
            detail.checkin_closes_hours
        ));
    }
    Ok(())
}

/// A supervisor checks in a confirmed passenger whose readiness is NO-GO, waiving every reason
/// with `reason`; refused when a reason may not be waived (medical, mass) or the passenger is
/// GO (check them in normally). The override is recorded with who, why and what was waived.
pub fn override_check_in(
    replica: &mut Replica,
    booking_id: &str,
    reason: &str,
    supervisor: &str,
    rules: &BookingRules,
    now: DateTime<Utc>,
) -> Result<String, BookingError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return refused("Reason: say why the supervisor lets this passenger fly.");
    }
    replica.write(|w| {
        let booking = Booking::load(w.reader(), booking_id)?;
        let Some(booking) = booking else {
            return refused(format!("there is no booking {booking_id}"));
        };
        let detail = load(w, &booking.launch_id)?;
        check_in_open(&detail, now)?;
        if booking.status != BookingStatus::Confirmed {
            return refused(format!(
                "{}'s booking is {}, not confirmed",
                booking.passenger_name,
                booking.status.label().to_lowercase()
            ));
        }
        let ready = detail.readiness_of(&booking, rules.mass);
        if ready.is_go() {
            return refused(format!(
                "{} is GO: check them in without an override",
                booking.passenger_name
            ));
        }
        if let Some(never) = ready.reasons.iter().find(|r| !r.kind.waivable()) {
            return refused(format!(
                "{} cannot be checked in by override: {} (medical and mass limits are never overridden)",
                booking.passenger_name, never.text
            ));
        }
        let waived: Vec<Value> = ready
            .reasons
            .iter()
            .map(|r| json!({ "kind": r.kind.as_str(), "text": r.text }))
            .collect();
        w.insert(
            "checkin_overrides",
            &replica::new_id(),
            object(json!({
                "booking_id": booking.id,
                "waived": Value::Array(waived).to_string(),
                "reason": reason,
                "at": stored(now),
                "by_user": supervisor,
            })),
        )?;
        set_status(w, &booking.id, BookingStatus::CheckedIn, now, Map::new())?;
        Ok(booking.passenger_name)
    })
}

/// Boards every checked-in passenger under `locator`; the launch must be boarding.
/// Returns how many boarded.
pub fn board(
    replica: &mut Replica,
    locator: &str,
    now: DateTime<Utc>,
) -> Result<usize, BookingError> {
    replica.write(|w| {
        let (bookings, detail) = locator_and_launch(w, locator)?;
        open_for_changes(&detail)?;
        if detail.status != LaunchStatus::Boarding {
            return refused(format!(
                "boarding has not started for {} (it is {}); start boarding from the launch",
                detail.mission, detail.status
            ));
        }
        let ready: Vec<&Booking> = bookings
            .iter()
            .filter(|b| b.status == BookingStatus::CheckedIn)
            .collect();
        if ready.is_empty() {
            let waiting: Vec<String> = bookings
                .iter()
                .filter(|b| b.status == BookingStatus::Confirmed)
                .map(|b| b.passenger_name.clone())
                .collect();
            return if waiting.is_empty() {
                refused(format!(
                    "nobody under {} is waiting to board",
                    bookings[0].locator
                ))
            } else {
                refused(format!("not checked in yet: {}", waiting.join(", ")))
            };
        }
        for booking in &ready {
            set_status(w, &booking.id, BookingStatus::Boarded, now, Map::new())?;
        }
        Ok(ready.len())
    })
}

/// Moves a launch to `to` if its state machine allows. A scrub or a cancellation returns
/// every booking it affects; a cancellation also cancels them (paid invoices are refunded).
pub fn set_launch_status(
    replica: &mut Replica,
    launch_id: &str,
    to: LaunchStatus,
    now: DateTime<Utc>,
) -> Result<Vec<Booking>, BookingError> {
    replica.write(|w| launch_status_in(w, launch_id, to, now))
}

/// [`set_launch_status`] inside a write that does more (a poll's scrub records its decision in
/// the same transaction).
pub(crate) fn launch_status_in(
    w: &mut Writer<'_>,
    launch_id: &str,
    to: LaunchStatus,
    now: DateTime<Utc>,
) -> Result<Vec<Booking>, BookingError> {
    {
        let detail = load(w, launch_id)?;
        if !LAUNCH_TRANSITIONS.allows(detail.status.as_str(), to.as_str()) {
            return refused(format!(
                "{} cannot go from {} to {to}",
                detail.mission, detail.status
            ));
        }
        let values = object(json!({ "status": to.as_str() }));
        w.update("launches", launch_id, values)?;
        let affected: Vec<Booking> = if to.is_called_off() {
            detail.live_bookings(now).into_iter().cloned().collect()
        } else {
            Vec::new()
        };
        if to == LaunchStatus::Cancelled {
            for booking in &affected {
                set_status(w, &booking.id, BookingStatus::Cancelled, now, Map::new())?;
            }
            let paid: Vec<String> = w
                .reader()
                .prepare(
                    "SELECT id FROM invoices WHERE status = 'paid' AND locator IN
                       (SELECT locator FROM bookings WHERE launch_id = ?1)",
                )?
                .query_map([launch_id], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for id in paid {
                let values = object(json!({ "status": InvoiceStatus::Refunded.as_str() }));
                w.update("invoices", &id, values)?;
            }
        }
        Ok(affected)
    }
}

/// Closes the launch's manifest: who boarded, in which seat, with their masses, frozen.
/// Everyone booked who did not board becomes a no-show; lapsed or live holds expire; the
/// waitlist is cancelled. The launch must be boarding or launched.
pub fn close_manifest(
    replica: &mut Replica,
    launch_id: &str,
    closed_by: &str,
    now: DateTime<Utc>,
) -> Result<ManifestDoc, BookingError> {
    replica.write(|w| {
        let detail = load(w, launch_id)?;
        open_for_changes(&detail)?;
        if !matches!(detail.status.as_str(), "boarding" | "launched") {
            return refused(format!(
                "{} is {}; the manifest closes once boarding has started",
                detail.mission, detail.status
            ));
        }
        for booking in &detail.bookings {
            let to = match booking.status {
                BookingStatus::Confirmed | BookingStatus::CheckedIn => BookingStatus::NoShow,
                BookingStatus::Pending => BookingStatus::Expired,
                BookingStatus::Waitlisted => BookingStatus::Cancelled,
                _ => continue,
            };
            set_status(w, &booking.id, to, now, Map::new())?;
        }
        let closed = load(w, launch_id)?;
        let doc = ManifestDoc::build(&closed, now, Some((closed_by, now)));
        let values = object(json!({
            "launch_id": launch_id,
            "closed_at": stored(now),
            "closed_by": closed_by,
            "content": serde_json::to_string(&doc).unwrap_or_default(),
            "demo": false,
        }));
        w.insert("manifests", &replica::new_id(), values)?;
        Ok(doc)
    })
}

/// Marks every lapsed hold in the replica as expired. Returns how many.
pub fn expire_lapsed_holds(
    replica: &mut Replica,
    now: DateTime<Utc>,
) -> Result<usize, BookingError> {
    replica.write(|w| {
        let lapsed: Vec<String> = w
            .reader()
            .prepare_cached(
                "SELECT id FROM bookings WHERE status = 'pending' AND julianday(hold_expires_at) <= julianday(?1)",
            )?
            .query_map(params![stored(now)], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for id in &lapsed {
            set_status(w, id, BookingStatus::Expired, now, Map::new())?;
        }
        Ok(lapsed.len())
    })
}

/// What is wrong with `launch` at `now`, in the form's words: its own fields, then the rules
/// the server applies too (a bookable launch in the past, a negative fare).
pub fn check_new_launch(launch: &NewLaunch, now: DateTime<Utc>) -> Result<(), String> {
    if launch.mission.trim().is_empty() {
        return Err("mission: name the mission".into());
    }
    if launch.pad.trim().is_empty() {
        return Err("pad: say which pad the launch uses".into());
    }
    if launch.fares.is_empty() {
        return Err("fares: give the launch at least one fare class".into());
    }
    if !(launch.checkin_opens_hours > launch.checkin_closes_hours
        && launch.checkin_closes_hours >= 0.0
        && launch.checkin_opens_hours <= 24.0 * 14.0)
    {
        return Err(
            "check-in must open before it closes, close at or before launch, and open within 14 days of it"
                .into(),
        );
    }
    galaxium_sync::schema::rules::check_edit("launches", &new_launch_values(launch), None, now)
        .map_err(|problem| launch_problem_words(&problem))
}

fn new_launch_values(launch: &NewLaunch) -> Map<String, Value> {
    object(json!({
        "mission": launch.mission.trim(),
        "vehicle_id": launch.vehicle_id,
        "spaceport_id": launch.spaceport_id,
        "pad": launch.pad.trim(),
        "scheduled_at": stored(launch.scheduled_at),
        "status": "planned",
        "demo": false,
        "fare_classes": serde_json::to_string(&launch.fares).unwrap_or_default(),
        "checkin_opens_hours": launch.checkin_opens_hours,
        "checkin_closes_hours": launch.checkin_closes_hours,
    }))
}

/// Adds a planned launch, judged at `now` by [`check_new_launch`]. Returns its id.
pub fn schedule_launch(
    replica: &mut Replica,
    launch: &NewLaunch,
    now: DateTime<Utc>,
) -> Result<String, BookingError> {
    if let Err(problem) = check_new_launch(launch, now) {
        return refused(problem);
    }
    let values = new_launch_values(launch);
    replica.write(|w| {
        let id = replica::new_id();
        w.insert("launches", &id, values)?;
        Ok(id)
    })
}

/// A refused launch value in the words of the form's fields.
fn launch_problem_words(problem: &galaxium_sync::schema::registry::ValueProblem) -> String {
    let field = match problem.column.as_str() {
        "scheduled_at" => "launch time",
        "fare_classes" => "fares",
        other => other,
    };
    format!("{field}: {}", problem.reason)
}

/// Problems with a passenger record, field by field: `(field, message)`, judged at `now` (the
/// dates that cannot be in the future are judged by the rule the server applies too).
pub fn validate_passenger(p: &Passenger, now: DateTime<Utc>) -> Vec<(&'static str, String)> {
    let mut problems = Vec::new();
    if p.full_name.trim().is_empty() {
        problems.push(("full_name", "a name is required".to_owned()));
    }
    for (field, value) in [
        ("date_of_birth", &p.date_of_birth),
        ("medical_expires_on", &p.medical_expires_on),
        ("training_completed_on", &p.training_completed_on),
        ("waiver_signed_on", &p.waiver_signed_on),
    ] {
        if let Some(text) = value
            && parse_day(text).is_none()
        {
            problems.push((field, format!("{text:?} is not a date; use YYYY-MM-DD")));
        } else if let Some(text) = value {
            let one = object(json!({ field: text }));
            if let Err(problem) =
                galaxium_sync::schema::rules::check_edit("passengers", &one, None, now)
            {
                problems.push((field, problem.reason));
            }
        }
    }
    if let Some(mass) = p.body_mass_kg
        && !(20.0..=300.0).contains(&mass)
    {
        problems.push((
            "body_mass_kg",
            format!("{mass} kg is not a plausible body mass (20–300 kg)"),
        ));
    }
    if let Some(email) = &p.email
        && !email.contains('@')
    {
        problems.push(("email", format!("{email:?} is not an e-mail address")));
    }
    problems
}

pub(crate) fn passenger_values(p: &Passenger) -> Map<String, Value> {
    let Ok(Value::Object(mut values)) = serde_json::to_value(p) else {
        unreachable!("a passenger serialises to a JSON object")
    };
    values.remove("id");
    values
}

/// Adds a passenger (when `id` is empty) or saves changes to one, after validation.
/// Returns the id.
pub fn save_passenger(
    replica: &mut Replica,
    passenger: &Passenger,
    now: DateTime<Utc>,
) -> Result<String, BookingError> {
    let problems = validate_passenger(passenger, now);
    if !problems.is_empty() {
        return refused(
            problems
                .iter()
                .map(|(field, message)| format!("{field}: {message}"))
                .collect::<Vec<_>>()
                .join("; "),
        );
    }
    replica.write(|w| {
        if passenger.id.is_empty() {
            let id = replica::new_id();
            w.insert("passengers", &id, passenger_values(passenger))?;
            Ok(id)
        } else {
            let Some(stored) = Passenger::load(w.reader(), &passenger.id)? else {
                return refused(format!("there is no passenger {}", passenger.id));
            };
            // Only what changed travels, so concurrent edits of other fields both survive.
            let before = passenger_values(&stored);
            let changed: Map<String, Value> = passenger_values(passenger)
                .into_iter()
                .filter(|(k, v)| before.get(k) != Some(v))
                .collect();
            w.update("passengers", &passenger.id, changed)?;
            Ok(passenger.id.clone())
        }
    })
}

/// A seat layout of `rows` identical rows of lettered columns ('A', "window"), ...
pub fn seat_layout<S: AsRef<str>>(rows: u32, columns: &[(char, S)], cabin: &str) -> Vec<Seat> {
    (1..=rows)
        .flat_map(|row| {
            columns
                .iter()
                .zip(1..)
                .map(move |((letter, position), column)| Seat {
                    id: format!("{row}{letter}"),
                    row,
                    column,
                    position: position.as_ref().to_owned(),
                    cabin: cabin.to_owned(),
                })
        })
        .collect()
}

/// A vehicle as edited: its name, model, mass limits and seat layout.
#[derive(Debug, Clone, PartialEq)]
pub struct VehicleEdit {
    /// The vehicle's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its model.
    pub model: String,
    /// Its seats.
    pub seats: Vec<Seat>,
    /// The most passenger (body) mass it may carry.
    pub max_passenger_mass_kg: f64,
    /// The most baggage it may carry.
    pub max_baggage_mass_kg: f64,
}

/// Parses a row layout such as `A:window B:aisle C:aisle D:window` into (letter, position).
pub fn parse_columns(spec: &str) -> Result<Vec<(char, String)>, String> {
    let columns = spec
        .split_whitespace()
        .map(|part| {
            let (letter, position) = part
                .split_once(':')
                .ok_or_else(|| format!("{part:?} is not LETTER:position"))?;
            let mut letters = letter.chars();
            let (Some(letter), None) = (letters.next(), letters.next()) else {
                return Err(format!("{part:?}: the seat letter is one character"));
            };
            if !letter.is_ascii_alphabetic() {
                return Err(format!("{part:?}: the seat letter is a letter"));
            }
            if !matches!(position, "window" | "middle" | "aisle") {
                return Err(format!("{part:?}: the position is window, middle or aisle"));
            }
            Ok((letter.to_ascii_uppercase(), position.to_owned()))
        })
        .collect::<Result<Vec<_>, String>>()?;
    if columns.is_empty() {
        return Err("give at least one column, such as A:window".into());
    }
    let mut letters: Vec<char> = columns.iter().map(|(l, _)| *l).collect();
    letters.sort_unstable();
    letters.dedup();
    if letters.len() != columns.len() {
        return Err("each seat letter appears once in a row".into());
    }
    Ok(columns)
}

/// Saves changes to a vehicle. A seat may be removed from the layout only when no booking
/// on a launch still to fly holds it.
pub fn save_vehicle(
    replica: &mut Replica,
    vehicle: &VehicleEdit,
    now: DateTime<Utc>,
) -> Result<(), BookingError> {
    if vehicle.name.trim().is_empty() || vehicle.model.trim().is_empty() {
        return refused("the vehicle needs a name and a model");
    }
    if vehicle.seats.is_empty() {
        return refused("the vehicle needs at least one seat");
    }
    if !(vehicle.max_passenger_mass_kg > 0.0 && vehicle.max_baggage_mass_kg >= 0.0) {
        return refused(
            "the passenger mass limit is above 0 kg and the baggage limit not below 0 kg",
        );
    }
    replica.write(|w| {
        let holders: Vec<(String, String, String)> = w
            .reader()
            .prepare(
                "SELECT b.seat_id, b.locator, l.mission FROM bookings b
                 JOIN launches l ON l.id = b.launch_id
                 WHERE l.vehicle_id = ?1 AND l.scheduled_at >= ?2
                   AND b.status IN ('pending', 'confirmed', 'checked_in', 'boarded')",
            )?
            .query_map(params![vehicle.id, stored(now)], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        if let Some((seat, locator, mission)) = holders
            .iter()
            .find(|(seat, _, _)| !vehicle.seats.iter().any(|s| &s.id == seat))
        {
            return refused(format!(
                "seat {seat} is booked on {mission} ({locator}); move that booking before removing the seat"
            ));
        }
        let values = object(json!({
            "name": vehicle.name.trim(),
            "model": vehicle.model.trim(),
            "seat_count": vehicle.seats.len(),
            "seat_layout": serde_json::to_string(&vehicle.seats).unwrap_or_default(),
            "max_passenger_mass_kg": vehicle.max_passenger_mass_kg,
            "max_baggage_mass_kg": vehicle.max_baggage_mass_kg,
        }));
        w.update("vehicles", &vehicle.id, values)?;
        Ok(())
    })
}
