//! Seats and bookings: launches with seat maps and fares, passengers and their readiness,
//! bookings from hold to boarding, check-in, manifests, and CSV import and export.
//!
//! Everything here works on the replica without a window, so the console, the command line
//! and the tests share one set of rules. The rules the server must also enforce (one active
//! booking per launch and seat, the booking state machine, who may write) are declared in
//! the sync manifest.

pub mod actions;
pub mod boarding_pass;
pub mod csv_io;
pub mod data;
pub mod documents;
pub mod export;
pub mod manifest;
pub mod model;

pub use actions::{
    BookingError, BookingRules, CancelOutcome, CheckInOutcome, NewLaunch, SeatRequest,
};
pub use manifest::ManifestDoc;
pub use model::{
    Availability, Booking, BookingStatus, Fare, Invoice, InvoiceStatus, LaunchDetail,
    LaunchListEntry, LaunchStatus, MassBudget, MassLimits, NoGo, NoGoKind, Passenger, Readiness,
    Seat, SeatState,
};

#[cfg(test)]
mod tests;

#[cfg(test)]
mod launch_day_tests;
