//! Bookings at scale: frame times of the Launches view with 10,000 launches and of a launch
//! page whose bookings table holds 200,000 bookings, the latency of confirming a booking,
//! and importing 100,000 CSV rows.
//!
//! Targets (bookings issue): ≤ 8 ms per frame for both screens (virtualised rows);
//! confirming a booking (replica write + outbox op) ≤ 5 ms; 100,000 CSV rows imported in
//! ≤ 5 s. Frames are drawn headless through egui_kittest (layout and tessellation, no GPU).
//! A raw SQLite insert of the same 100,000 bookings runs beside the import as its peer.
//!
//! Run: `cargo bench -p galaxium --bench bookings`

#![allow(
    clippy::print_stdout,
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a benchmark prints its figures and stops loudly when its setup fails"
)]

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use egui_kittest::Harness;
use galaxium::console::{ConsoleApp, UiCommand};
use galaxium::ops::bookings::actions::{self, BookingRules, SeatRequest};
use galaxium::ops::bookings::csv_io;
use galaxium::paths::DataDir;
use galaxium::views::View;
use galaxium::views::launches::BookingCommand;
use galaxium_sync::replica;
use galaxium_sync::{OpenOptions, Replica};

mod scale;

use scale::{BIG_BOOKINGS, LAUNCHES, Stats, fill, fill_big_launch};

const IMPORT_ROWS: usize = 100_000;
const FRAMES: usize = 120;
const CONFIRMS: usize = 300;

fn frames(harness: &mut Harness<'_, ConsoleApp>) -> Stats {
    // Settle first: the first frames lay out fonts and the table's column widths.
    for _ in 0..10 {
        harness.step();
    }
    let samples = (0..FRAMES)
        .map(|_| {
            let started = Instant::now();
            harness.step();
            started.elapsed()
        })
        .collect();
    Stats::of(samples)
}

#[allow(
    clippy::too_many_lines,
    reason = "the scenario in order: fill, confirm, frames, import; each printed as it ends"
)]
fn main() {
    let now = Utc::now();
    let dir = tempfile::tempdir().expect("temporary folder");
    let data = DataDir::at(dir.path());
    let mut replica = Replica::open(&data.replica(), &OpenOptions::default()).expect("open");
    let started = Instant::now();
    let fleet = fill(&mut replica, now, 2_000);
    fill_big_launch(&mut replica, &fleet, now);
    println!(
        "filled {LAUNCHES} launches, 2,000 passengers and {BIG_BOOKINGS} bookings on one launch in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Confirming: a hold (untimed) then its confirmation (timed), on launches of 16 seats, in
    // the replica that also holds the 200,000 bookings.
    let rules = BookingRules::default();
    let mut confirms = Vec::with_capacity(CONFIRMS);
    for n in 0..CONFIRMS {
        let launch = &fleet.launches[1 + n / 16];
        let seat = format!("{}{}", 1 + (n % 16) / 4, ['A', 'B', 'C', 'D'][n % 4]);
        let locator = actions::hold_seats(
            &mut replica,
            launch,
            "STD",
            &[SeatRequest {
                passenger_id: fleet.passengers[n].clone(),
                seat_id: seat,
            }],
            &rules,
            now,
        )
        .expect("hold");
        let started = Instant::now();
        actions::confirm(&mut replica, &locator, now).expect("confirm");
        confirms.push(started.elapsed());
    }
    let confirm = Stats::of(confirms);
    println!(
        "confirm a booking (replica write + outbox ops), {CONFIRMS} runs: median {:.2} ms, p99 {:.2} ms, max {:.2} ms (target ≤ 5 ms)",
        confirm.median, confirm.p99, confirm.max
    );

    // Frames.
    let app_data = data.clone();
    let mut harness = Harness::builder()
        .with_size([1360.0, 860.0])
        .build_eframe(move |cc| ConsoleApp::new(&cc.egui_ctx, cc.storage, replica, app_data));
    harness
        .state_mut()
        .send(UiCommand::ShowView(View::Launches));
    harness.step();
    let list = frames(&mut harness);
    assert_eq!(harness.state().bookings().launches.len(), LAUNCHES);
    println!(
        "Launches view, {LAUNCHES} launches, {FRAMES} frames: median {:.2} ms, p95 {:.2} ms, max {:.2} ms (target ≤ 8 ms)",
        list.median, list.p95, list.max
    );
    harness
        .state_mut()
        .send(UiCommand::Bookings(BookingCommand::SelectLaunch(
            fleet.launches[0].clone(),
        )));
    harness.step();
    assert_eq!(
        harness
            .state()
            .bookings()
            .detail
            .as_ref()
            .map(|d| d.bookings.len()),
        Some(BIG_BOOKINGS)
    );
    let table = frames(&mut harness);
    println!(
        "launch page, bookings table of {BIG_BOOKINGS}, {FRAMES} frames: median {:.2} ms, p95 {:.2} ms, max {:.2} ms (target ≤ 8 ms)",
        table.median, table.p95, table.max
    );
    drop(harness);

    // Import, against a raw SQLite insert of the same rows as the peer.
    let import_dir = tempfile::tempdir().expect("temporary folder");
    let mut target = Replica::open(
        &import_dir.path().join("replica.sqlite"),
        &OpenOptions::default(),
    )
    .expect("open");
    let import_fleet = fill(&mut target, now, 0);
    let mut csv = String::from(
        "locator,launch,full_name,date_of_birth,document_number,body_mass_kg,seat,fare_class,status\n",
    );
    for n in 0..IMPORT_ROWS {
        let launch = &import_fleet.launches[n / 10];
        let seat = format!("{}{}", 1 + (n % 10) / 4, ['A', 'B', 'C', 'D'][n % 4]);
        writeln!(
            csv,
            ",{launch},Traveller {n},1985-05-05,D{n:08},{},{seat},STD,confirmed",
            60 + n % 40
        )
        .unwrap();
    }
    let started = Instant::now();
    let report =
        csv_io::import_bookings(&mut target, csv.as_bytes(), now, &mut |_, _| {}).expect("import");
    let import = started.elapsed();
    assert_eq!(
        report.imported,
        IMPORT_ROWS,
        "{:?}",
        report.problems.first()
    );
    let peer = raw_insert_peer(now);
    println!(
        "import {IMPORT_ROWS} CSV rows (checked, {} passengers + {} bookings with their outbox ops): {:.2} s (target ≤ 5 s)",
        report.passengers_created,
        report.imported,
        import.as_secs_f64()
    );
    println!(
        "raw SQLite peer, the same {} rows inserted with prepared statements, no checks, no outbox: {:.2} s; ratio {:.1}",
        2 * IMPORT_ROWS,
        peer.as_secs_f64(),
        import.as_secs_f64() / peer.as_secs_f64()
    );
    if let Some(peak) = peak_rss_kib() {
        println!("peak resident memory: {:.1} MiB", peak as f64 / 1024.0);
    }

    assert!(
        confirm.p99 <= 5.0,
        "confirm p99 {:.2} ms is over 5 ms",
        confirm.p99
    );
    assert!(
        list.p95 <= 8.0,
        "launches view p95 {:.2} ms is over 8 ms",
        list.p95
    );
    assert!(
        table.p95 <= 8.0,
        "bookings table p95 {:.2} ms is over 8 ms",
        table.p95
    );
    assert!(
        import <= Duration::from_secs(5),
        "import took {:.2} s",
        import.as_secs_f64()
    );
}

fn raw_insert_peer(now: DateTime<Utc>) -> Duration {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut conn = rusqlite::Connection::open(dir.path().join("raw.sqlite")).expect("open");
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute_batch(
        "CREATE TABLE passengers (id TEXT PRIMARY KEY, full_name TEXT, date_of_birth TEXT, document_number TEXT, body_mass_kg REAL);
         CREATE TABLE bookings (id TEXT PRIMARY KEY, locator TEXT, launch_id TEXT, passenger_id TEXT, seat_id TEXT, fare_class TEXT, status TEXT, created_at TEXT);",
    )
    .unwrap();
    let stamp = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let started = Instant::now();
    let tx = conn.transaction().unwrap();
    {
        let mut p = tx
            .prepare("INSERT INTO passengers VALUES (?1, ?2, ?3, ?4, ?5)")
            .unwrap();
        let mut b = tx
            .prepare("INSERT INTO bookings VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
            .unwrap();
        for n in 0..IMPORT_ROWS {
            let pid = replica::new_id();
            p.execute(rusqlite::params![
                pid,
                format!("Traveller {n}"),
                "1985-05-05",
                format!("D{n:08}"),
                70.0
            ])
            .unwrap();
            b.execute(rusqlite::params![
                replica::new_id(),
                "ABCDEF",
                "launch",
                pid,
                "1A",
                "STD",
                "confirmed",
                stamp
            ])
            .unwrap();
        }
    }
    tx.commit().unwrap();
    started.elapsed()
}

fn peak_rss_kib() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
