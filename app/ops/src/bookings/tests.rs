//! Domain rules on a real replica file seeded with the demo dataset.

use chrono::Duration;

use super::actions::{self, BookingError, BookingRules, SeatRequest};
use super::csv_io;
use super::model::{self, BookingStatus, LaunchDetail, LaunchStatus, SeatState};

use crate::test_support::{Seeded as Fixture, seeded};

impl Fixture {
    fn new_passenger(&mut self, name: &str) -> String {
        actions::save_passenger(
            &mut self.replica,
            &model::Passenger {
                full_name: name.into(),
                medical_status: model::MedicalStatus::Pending,
                ..model::Passenger::default()
            },
            self.now,
        )
        .unwrap()
    }

    fn pending_ops(&self) -> u64 {
        self.replica.pending_count().unwrap()
    }
}

fn refusal(err: BookingError) -> String {
    match err {
        BookingError::Refused(reason) => reason,
        other => panic!("expected a refusal, got {other}"),
    }
}

const SUNRISE: &str = "GX-14 Sunrise Orbit";
const DAWN: &str = "GX-13 Dawn Patrol";
const EDGE: &str = "GX-15 Edge of Space";

#[test]
fn availability_counts_seats_sold_held_and_blocked() {
    let f = seeded();
    let dawn = f.launch(DAWN).availability(f.now);
    // 1A, 1B confirmed; 2A checked in; 2B held.
    assert_eq!(
        (dawn.seats, dawn.confirmed, dawn.held, dawn.free),
        (4, 3, 1, 0)
    );
    let edge = f.launch(EDGE).availability(f.now);
    assert_eq!(
        (edge.confirmed, edge.blocked, edge.free, edge.waitlisted),
        (3, 1, 0, 1)
    );
    // Once the hold lapses its seat is free again.
    let later = f.launch(DAWN).availability(f.now + Duration::minutes(16));
    assert_eq!((later.held, later.free), (0, 1));
}

#[test]
fn a_hold_then_confirm_sells_the_seat_and_issues_an_invoice() {
    let mut f = seeded();
    let launch = f.launch(SUNRISE);
    let passenger = f.new_passenger("Mia Novak");
    let before = f.pending_ops();
    let locator = actions::hold_seats(
        &mut f.replica,
        &launch.id,
        "ORB",
        &[SeatRequest {
            passenger_id: passenger.clone(),
            seat_id: "2B".into(),
        }],
        &BookingRules::default(),
        f.now,
    )
    .unwrap();
    assert_eq!(locator.len(), 6);
    assert!(matches!(
        f.launch(SUNRISE).seat_state("2B", f.now),
        SeatState::Held(..)
    ));
    assert_eq!(
        actions::confirm(&mut f.replica, &locator, f.now + Duration::minutes(5)).unwrap(),
        1
    );
    let detail = f.launch(SUNRISE);
    assert!(matches!(
        detail.seat_state("2B", f.now),
        SeatState::Booked(_)
    ));
    let amount: i64 = f
        .replica
        .read("test", |c| {
            c.query_row(
                "SELECT amount_minor FROM invoices WHERE locator = ?1",
                [&locator],
                |r| r.get(0),
            )
        })
        .unwrap();
    assert_eq!(amount, 45_000_000);
    // The booking, its confirmation and the invoice all wait in the outbox.
    assert_eq!(f.pending_ops(), before + 3);
}

#[test]
fn a_taken_or_blocked_seat_cannot_be_held() {
    let mut f = seeded();
    let passenger = f.new_passenger("Mia Novak");
    let sunrise = f.launch(SUNRISE);
    let taken = actions::hold_seats(
        &mut f.replica,
        &sunrise.id,
        "ORB",
        &[SeatRequest {
            passenger_id: passenger.clone(),
            seat_id: "1C".into(),
        }],
        &BookingRules::default(),
        f.now,
    )
    .unwrap_err();
    assert!(refusal(taken).contains("seat 1C is taken: Ines Moreau under R6PWYD"));
    let edge = f.launch(EDGE);
    let blocked = actions::hold_seats(
        &mut f.replica,
        &edge.id,
        "SUB",
        &[SeatRequest {
            passenger_id: passenger,
            seat_id: "2B".into(),
        }],
        &BookingRules::default(),
        f.now,
    )
    .unwrap_err();
    assert!(refusal(blocked).contains("blocked: Camera rig"));
}

#[test]
fn a_lapsed_hold_cannot_be_confirmed_and_its_seat_sells_again() {
    let mut f = seeded();
    let rules = BookingRules::default();
    let late = f.now + Duration::minutes(16);
    let err = actions::confirm(&mut f.replica, "H8KD3P", late).unwrap_err();
    assert!(refusal(err).contains("lapsed"));
    let dawn = f.launch(DAWN);
    let other = f.new_passenger("Mia Novak");
    actions::hold_seats(
        &mut f.replica,
        &dawn.id,
        "SUB",
        &[SeatRequest {
            passenger_id: other,
            seat_id: "2B".into(),
        }],
        &rules,
        late,
    )
    .unwrap();
    // Selling the seat marked the lapsed hold expired in the same transaction.
    let dawn = f.launch(DAWN);
    let old = dawn
        .bookings
        .iter()
        .find(|b| b.locator == "H8KD3P")
        .unwrap();
    assert_eq!(old.status, BookingStatus::Expired);
}

#[test]
fn holds_extend_twice_at_most_and_never_past_check_in_close() {
    let mut f = seeded();
    let rules = BookingRules::default();
    let first = actions::extend_hold(&mut f.replica, "H8KD3P", &rules, f.now).unwrap();
    assert_eq!(first, f.now + Duration::minutes(25));
    actions::extend_hold(&mut f.replica, "H8KD3P", &rules, f.now).unwrap();
    let third = actions::extend_hold(&mut f.replica, "H8KD3P", &rules, f.now).unwrap_err();
    assert!(refusal(third).contains("extended 2 times"));
}

#[test]
fn cancelling_offers_the_freed_seat_to_the_waitlist() {
    let mut f = seeded();
    let rules = BookingRules::default();
    let edge = f.launch(EDGE);
    let gustavo = edge
        .bookings
        .iter()
        .find(|b| b.locator == "M2VDXE")
        .unwrap();
    assert_eq!(gustavo.seat_id.as_deref(), Some("2A"));
    let outcome = actions::cancel(&mut f.replica, "M2VDXE", &[], &rules, f.now).unwrap();
    assert_eq!(outcome.cancelled, 1);
    assert_eq!(
        outcome.offers,
        vec![("Hana Sato".to_owned(), "2A".to_owned(), "W4HNTC".to_owned())]
    );
    let edge = f.launch(EDGE);
    assert!(matches!(edge.seat_state("2A", f.now), SeatState::Held(..)));
    // Cancelling a paid booking refunds its invoice.
    actions::cancel(&mut f.replica, "B3YQ8U", &[], &rules, f.now).unwrap();
    let status: String = f
        .replica
        .read("test", |c| {
            c.query_row(
                "SELECT status FROM invoices WHERE locator = 'B3YQ8U'",
                [],
                |r| r.get(0),
            )
        })
        .unwrap();
    assert_eq!(status, "refunded");
}

#[test]
fn check_in_refuses_a_passenger_who_is_not_ready_and_says_why() {
    let mut f = seeded();
    let rules = BookingRules::default();
    // GX-13 launches 20 h after seeding: check-in is open.
    let outcome = actions::check_in(&mut f.replica, "qx7t2m", &[], &rules, f.now).unwrap();
    assert_eq!(outcome.checked_in, vec!["Ada Quist".to_owned()]);
    assert_eq!(outcome.refused.len(), 1);
    let (name, reasons) = &outcome.refused[0];
    assert_eq!(name, "Bruno Castell");
    assert_eq!(reasons, &vec!["the waiver is not signed".to_owned()]);
}

#[test]
fn check_in_is_refused_outside_its_window() {
    let mut f = seeded();
    let err = actions::check_in(
        &mut f.replica,
        "R6PWYD",
        &[],
        &BookingRules::default(),
        f.now,
    )
    .unwrap_err();
    assert!(refusal(err).contains("check-in for GX-14 Sunrise Orbit opens at"));
    let late = f.now + Duration::hours(19) + Duration::minutes(30);
    let err = actions::check_in(
        &mut f.replica,
        "QX7T2M",
        &[],
        &BookingRules::default(),
        late,
    )
    .unwrap_err();
    assert!(refusal(err).contains("closed at"));
}

#[test]
fn boarding_needs_a_boarding_launch_and_close_out_freezes_the_manifest() {
    let mut f = seeded();
    let err = actions::board(&mut f.replica, "LMB4RZ", f.now).unwrap_err();
    assert!(refusal(err).contains("boarding has not started"));
    // GX-12 is boarding: Farah is checked in, Gustavo too.
    assert_eq!(actions::board(&mut f.replica, "TW9GXA", f.now).unwrap(), 1);
    let twilight = f.launch("GX-12 Twilight Hop");
    let doc = actions::close_manifest(&mut f.replica, &twilight.id, "staff", f.now).unwrap();
    let names: Vec<&str> = doc.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, vec!["Emil Sorensen", "Farah Haddad"]);
    assert!((doc.passenger_mass_kg - (92.4 + 58.3)).abs() < 1e-9);
    let twilight = f.launch("GX-12 Twilight Hop");
    let gustavo = twilight
        .bookings
        .iter()
        .find(|b| b.locator == "NR5FEV")
        .unwrap();
    assert_eq!(gustavo.status, BookingStatus::NoShow);
    // Closed means frozen.
    let err = actions::cancel(
        &mut f.replica,
        "TW9GXA",
        &[],
        &BookingRules::default(),
        f.now,
    )
    .unwrap_err();
    assert!(refusal(err).contains("closed"));
    let csv = String::from_utf8(doc.to_csv().unwrap()).unwrap();
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with("1A,Emil Sorensen,TW9GXA,BOARDED,92.4")
    );
    let pdf = doc.to_pdf();
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(pdf.windows(13).any(|w| w == b"Emil Sorensen"));
}

#[test]
fn the_mass_budget_sums_seated_passengers_and_baggage() {
    let f = seeded();
    let budget = f.launch(DAWN).mass_budget(f.now);
    assert!((budget.passenger_kg - (64.5 + 88.0 + 71.2 + 77.9)).abs() < 1e-9);
    assert!((budget.baggage_kg - 15.5).abs() < 1e-9);
    assert!(!budget.is_over());
    assert!((budget.passenger_limit_kg - 420.0).abs() < 1e-9);
}

#[test]
fn scrubbing_lists_the_bookings_it_affects_and_cancelling_refunds_them() {
    let mut f = seeded();
    let edge = f.launch(EDGE);
    let affected =
        actions::set_launch_status(&mut f.replica, &edge.id, LaunchStatus::Scrubbed, f.now)
            .unwrap();
    // Three seated and one waitlisted.
    assert_eq!(affected.len(), 4);
    let err = actions::set_launch_status(&mut f.replica, &edge.id, LaunchStatus::Landed, f.now)
        .unwrap_err();
    assert!(refusal(err).contains("cannot go from scrubbed to landed"));
    actions::set_launch_status(&mut f.replica, &edge.id, LaunchStatus::Cancelled, f.now).unwrap();
    let edge = f.launch(EDGE);
    assert!(edge.bookings.iter().all(|b| b.status.is_final()));
}

#[test]
fn csv_import_reports_bad_rows_and_writes_the_good_ones_in_one_go() {
    let mut f = seeded();
    let csv = format!(
        "locator,launch,full_name,date_of_birth,document_number,body_mass_kg,seat,fare_class,status\n\
         ,{SUNRISE},Mia Novak,1990-02-03,X1,70,2A,ORB,confirmed\n\
         ,{SUNRISE},Ola Nordmann,1990-13-03,X2,70,2B,ORB,confirmed\n\
         ,{SUNRISE},Pia Lund,1991-01-01,X3,70,2A,ORB,confirmed\n\
         ,No Such Mission,Quinn Roe,1991-01-01,X4,70,1A,ORB,confirmed\n\
         ,{SUNRISE},Rafa Diaz,1991-01-01,X5,heavy,2C,ORB,confirmed\n\
         ,{EDGE},Mia Novak,,X1,,,SUB,waitlisted\n"
    );
    let mut seen = Vec::new();
    let report = csv_io::import_bookings(&mut f.replica, csv.as_bytes(), f.now, &mut |d, t| {
        seen.push((d, t));
    })
    .unwrap();
    assert_eq!(report.rows, 6);
    assert_eq!(report.imported, 2);
    // Mia is one passenger, found again by her document number.
    assert_eq!(report.passengers_created, 1);
    let problems: Vec<String> = report.problems.iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 4, "{problems:?}");
    assert!(
        problems[0].starts_with("line 3, column date_of_birth"),
        "{problems:?}"
    );
    assert!(
        problems[1].starts_with("line 4, column seat") && problems[1].contains("already taken")
    );
    assert!(problems[2].starts_with("line 5, column launch"));
    assert!(problems[3].starts_with("line 6, column body_mass_kg"));
    assert_eq!(seen.last(), Some(&(6, 6)));
    let sunrise = f.launch(SUNRISE);
    assert!(matches!(
        sunrise.seat_state("2A", f.now),
        SeatState::Booked(_)
    ));
}

#[test]
fn a_file_with_an_unknown_column_is_refused_whole() {
    let mut f = seeded();
    let err = csv_io::import_bookings(
        &mut f.replica,
        "launch,full_name,seat,fare_class,shoe_size\n".as_bytes(),
        f.now,
        &mut |_, _| {},
    )
    .unwrap_err();
    assert!(refusal(err).contains("unknown column \"shoe_size\""));
}

#[test]
fn exported_bookings_import_into_another_replica() {
    let f = seeded();
    let sunrise = f.launch(EDGE);
    let csv = csv_io::export_csv(&sunrise).unwrap();
    let text = String::from_utf8(csv.clone()).unwrap();
    assert!(text.starts_with(&csv_io::CSV_COLUMNS.join(",")));
    assert_eq!(text.lines().count(), 1 + sunrise.bookings.len());
    let json: serde_json::Value = serde_json::from_str(&csv_io::export_json(&sunrise)).unwrap();
    assert_eq!(json.as_array().unwrap().len(), sunrise.bookings.len());
}

#[test]
fn a_vehicle_layout_can_change_but_not_drop_a_booked_seat() {
    let mut f = seeded();
    let sunrise = f.launch(SUNRISE);
    let columns = actions::parse_columns("A:window B:aisle").unwrap();
    let two_rows = actions::seat_layout(2, &columns, "Crew module");
    let edit = actions::VehicleEdit {
        id: sunrise.vehicle_id.clone(),
        name: "Aurora".into(),
        model: "Galaxium G-6 crew capsule".into(),
        seats: two_rows,
        max_passenger_mass_kg: 600.0,
        max_baggage_mass_kg: 50.0,
    };
    // Ines Moreau holds 1C on GX-14, an Aurora launch still to fly.
    let err = actions::save_vehicle(&mut f.replica, &edit, f.now).unwrap_err();
    assert!(refusal(err).contains("seat 1C is booked on GX-14 Sunrise Orbit (R6PWYD)"));
    let columns = actions::parse_columns("A:window B:middle C:window").unwrap();
    let three_rows = actions::VehicleEdit {
        seats: actions::seat_layout(3, &columns, "Crew module"),
        ..edit
    };
    actions::save_vehicle(&mut f.replica, &three_rows, f.now).unwrap();
    let sunrise = f.launch(SUNRISE);
    assert_eq!(sunrise.seats.len(), 9);
    assert!((sunrise.max_passenger_mass_kg - 600.0).abs() < 1e-9);
    assert!(actions::parse_columns("A:window A:aisle").is_err());
    assert!(actions::parse_columns("AB:window").is_err());
    assert!(
        actions::parse_columns("A:balcony")
            .unwrap_err()
            .contains("window, middle or aisle")
    );
}

#[test]
fn a_scheduled_launch_is_planned_with_its_fares_and_check_in_window() {
    let mut f = seeded();
    let sunrise = f.launch(SUNRISE);
    let spaceport: String = f
        .replica
        .read("test", |c| {
            c.query_row("SELECT id FROM spaceports WHERE code = 'KSC'", [], |r| {
                r.get(0)
            })
        })
        .unwrap();
    let mut launch = actions::NewLaunch {
        mission: "GX-20 Polar Dawn".into(),
        vehicle_id: sunrise.vehicle_id.clone(),
        spaceport_id: spaceport,
        pad: "LC-39A".into(),
        scheduled_at: f.now + Duration::days(40),
        fares: sunrise.fares.clone(),
        checkin_opens_hours: 1.0,
        checkin_closes_hours: 2.0,
    };
    let err = actions::schedule_launch(&mut f.replica, &launch, f.now).unwrap_err();
    assert!(refusal(err).contains("check-in must open before it closes"));
    launch.checkin_opens_hours = 48.0;
    // In the past, or with a negative fare: refused with the field, before anything is written
    // (the server applies the same rule).
    let mut past = launch.clone();
    past.scheduled_at = f.now - Duration::days(1);
    let err = actions::schedule_launch(&mut f.replica, &past, f.now).unwrap_err();
    assert!(refusal(err).starts_with("launch time: "));
    let mut negative = launch.clone();
    negative.fares[0].price_minor = -100;
    let err = actions::schedule_launch(&mut f.replica, &negative, f.now).unwrap_err();
    assert!(refusal(err).contains("negative price"));
    let id = actions::schedule_launch(&mut f.replica, &launch, f.now).unwrap();
    let detail = f
        .replica
        .read("test", |c| LaunchDetail::load(c, &id))
        .unwrap()
        .unwrap();
    assert_eq!(detail.status, LaunchStatus::Planned);
    assert_eq!(detail.seats.len(), 6);
    let (opens, closes) = detail.checkin_window();
    assert_eq!(detail.scheduled_at - opens, Duration::hours(48));
    assert_eq!(detail.scheduled_at - closes, Duration::hours(2));
    // Seats sell on a planned launch.
    let passenger = f.new_passenger("Mia Novak");
    actions::hold_seats(
        &mut f.replica,
        &id,
        "ORB",
        &[SeatRequest {
            passenger_id: passenger,
            seat_id: "1A".into(),
        }],
        &BookingRules::default(),
        f.now,
    )
    .unwrap();
}

#[test]
fn a_birth_or_training_date_in_the_future_is_refused_beside_its_field() {
    let now: chrono::DateTime<chrono::Utc> = "2026-11-30T12:00:00Z".parse().unwrap();
    let passenger = model::Passenger {
        full_name: "Ines Duarte".into(),
        date_of_birth: Some("2031-02-03".into()),
        training_completed_on: Some("2026-12-24".into()),
        waiver_signed_on: Some("2026-11-29".into()),
        medical_status: model::MedicalStatus::Pending,
        ..model::Passenger::default()
    };
    let problems = actions::validate_passenger(&passenger, now);
    let fields: Vec<&str> = problems.iter().map(|(f, _)| *f).collect();
    assert_eq!(fields, ["date_of_birth", "training_completed_on"]);
    assert_eq!(
        problems[0].1,
        "2031-02-03 is in the future: a date of birth cannot be"
    );
}
