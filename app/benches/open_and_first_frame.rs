//! Opening a replica that holds 100,000 launches and a day of telemetry archive, as a
//! console's does, and drawing the console's first frame.
//!
//! Target (foundation issue): ≤ 1 s. Each run opens the file afresh (read-only prechecks,
//! `quick_check`, pragmas), reads the Overview, builds the console and runs its first frame
//! headless (egui_kittest, no GPU); the clock stops there. Then, untimed, it stops the
//! console's background threads (the sync task and the archive writer) and waits for them, so
//! that nothing of one run reaches into the next or into the peer's. A raw rusqlite open + `quick_check` + count of the same file runs beside it as the
//! peer, and the ratio is printed.
//!
//! Run: `cargo bench --profile dev -p galaxium --bench open_and_first_frame`

#![allow(
    clippy::print_stdout,
    clippy::expect_used,
    reason = "a benchmark prints its figures and stops loudly when its setup fails"
)]

use std::time::{Duration, Instant};

use chrono::Utc;
use egui_kittest::Harness;
use galaxium::console::ConsoleApp;
use galaxium::paths::DataDir;
use galaxium_sync::replica::{self, LaunchRow, SpaceportRow, VehicleRow};
use galaxium_sync::{OpenOptions, Replica};

const ROWS: usize = 100_000;
const RUNS: usize = 15;

fn main() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let data = DataDir::at(dir.path());
    let fill_started = Instant::now();
    fill(&data);
    let samples = fill_archive(&data);
    println!(
        "filled a replica with {ROWS} launches and {samples} archived samples (a day) in {:.2} s ({} on disk)",
        fill_started.elapsed().as_secs_f64(),
        galaxium::views::format::bytes(std::fs::metadata(data.replica()).map_or(0, |m| m.len()))
    );

    let mut console = Vec::with_capacity(RUNS);
    let mut raw = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        raw.push(time(|| raw_open_and_check(&data)));
        let started = Instant::now();
        let mut harness = open_and_draw_first_frame(&data);
        console.push(started.elapsed());
        harness.state_mut().stop_background_work();
    }
    let console = Stats::of(console);
    let raw = Stats::of(raw);
    println!("runs: {RUNS}, rows: {ROWS}");
    println!(
        "console open + first frame: median {:.1} ms, max {:.1} ms (target ≤ 1000 ms)",
        console.median_ms, console.max_ms
    );
    println!(
        "raw SQLite open + quick_check + count: median {:.1} ms, max {:.1} ms",
        raw.median_ms, raw.max_ms
    );
    println!(
        "ratio console / raw (median): {:.2}",
        console.median_ms / raw.median_ms
    );
    if let Some(peak) = peak_rss_kib() {
        println!("peak resident memory: {:.1} MiB", peak as f64 / 1024.0);
    }
    assert!(
        console.max_ms <= 1000.0,
        "open + first frame took {:.1} ms, over the 1 s target",
        console.max_ms
    );
}

fn fill(data: &DataDir) {
    let mut replica = Replica::open(&data.replica(), &OpenOptions::default()).expect("open");
    let vehicle = VehicleRow {
        id: replica::new_id(),
        name: "Aurora".into(),
        model: "G-6".into(),
        seat_count: 6,
        max_passenger_mass_kg: 630.0,
        max_baggage_mass_kg: 54.0,
        demo: false,
        seat_layout: "[]".into(),
    };
    let port = SpaceportRow {
        id: replica::new_id(),
        code: "KSC".into(),
        name: "Kennedy".into(),
        lat_deg: 28.5,
        lon_deg: -80.6,
        alt_m: 3.0,
        demo: false,
    };
    let start = Utc::now();
    replica
        .write(|w| {
            w.insert_vehicle(&vehicle)?;
            w.insert_spaceport(&port)?;
            for n in 0..ROWS {
                let at = start + chrono::Duration::minutes(i64::try_from(n).unwrap_or(0) * 90);
                w.insert_launch(&LaunchRow {
                    id: replica::new_id(),
                    mission: format!("GX-{n:06}"),
                    vehicle_id: vehicle.id.clone(),
                    spaceport_id: port.id.clone(),
                    pad: "LC-39A".into(),
                    scheduled_at: galaxium_sync::time::stored(at),
                    status: "planned".into(),
                    demo: false,
                    fare_classes: "[]".into(),
                    checkin_opens_hours: 24.0,
                    checkin_closes_hours: 1.0,
                })?;
            }
            Ok::<_, galaxium_sync::ReplicaError>(())
        })
        .expect("fill");
}

/// A day of the shipped dictionary's channels at 1 Hz, ending now, through the console's own
/// archive writer. Returns how many samples were written.
fn fill_archive(data: &DataDir) -> u64 {
    use galaxium::ops::telemetry::Sample;
    use galaxium::ops::telemetry::archive::Archive;
    use galaxium::ops::telemetry::dictionary::Dictionary;
    let dictionary = Dictionary::shipped(&[]).expect("the shipped dictionary");
    let names: Vec<String> = dictionary.channels.iter().map(|c| c.id.clone()).collect();
    let archive = Archive::start(&data.replica(), &names).expect("archive");
    let end = galaxium::ops::telemetry::unix_seconds(Utc::now()).floor();
    let mut batch = Vec::with_capacity(3600 * names.len());
    for second in 0..86_400_u32 {
        let t = end - 86_400.0 + f64::from(second);
        for (channel, spec) in dictionary.channels.iter().enumerate() {
            batch.push(Sample {
                channel,
                t,
                value: spec.sim.nominal,
            });
        }
        if batch.len() >= 3600 * names.len() {
            archive.send(&batch);
            batch.clear();
        }
    }
    archive.send(&batch);
    archive.flush();
    archive
        .status()
        .written
        .load(std::sync::atomic::Ordering::Relaxed)
}

fn open_and_draw_first_frame(data: &DataDir) -> Harness<'static, ConsoleApp> {
    let replica = Replica::open(&data.replica(), &OpenOptions::default()).expect("open");
    let app_data = data.clone();
    let mut harness = Harness::builder()
        .with_size([1360.0, 860.0])
        .build_eframe(move |cc| ConsoleApp::new(&cc.egui_ctx, cc.storage, replica, app_data));
    harness.step();
    assert!(harness.state().snapshot().is_some());
    harness
}

fn raw_open_and_check(data: &DataDir) {
    let conn = rusqlite::Connection::open(data.replica()).expect("open");
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .expect("quick_check");
    assert_eq!(check, "ok");
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM launches", [], |r| r.get(0))
        .expect("count");
    assert_eq!(usize::try_from(rows).unwrap_or(0), ROWS);
}

fn time(work: impl FnOnce()) -> Duration {
    let started = Instant::now();
    work();
    started.elapsed()
}

struct Stats {
    median_ms: f64,
    max_ms: f64,
}

impl Stats {
    fn of(mut samples: Vec<Duration>) -> Self {
        samples.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        Self {
            median_ms: ms(samples[samples.len() / 2]),
            max_ms: ms(samples[samples.len() - 1]),
        }
    }
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
