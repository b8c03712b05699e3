//! Frames as a person at the console lives with them: the real console, paced at 60 Hz for
//! 30 s, with the simulator's telemetry and its archive running and a real server on loopback
//! syncing every few seconds, on the demo dataset plus 10,000 launches and 200,000 bookings
//! on one launch. Ten seconds each on the Overview, the Mission view (plots, key values,
//! channels) and the launch page holding the 200,000 bookings.
//!
//! Target (console trustworthiness issue): p99 frame ≤ 16 ms over the whole run. Frames are
//! drawn headless through egui_kittest (layout and tessellation, no GPU), so the figure is
//! the console's own work per frame, not the renderer's.
//!
//! Run: `cargo bench --profile dev -p galaxium --bench frames_paced`

#![allow(
    clippy::print_stdout,
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a benchmark prints its figures and stops loudly when its setup fails"
)]

mod scale;
#[path = "../../tests/support/mod.rs"]
mod server;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::Utc;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use galaxium::console::{ConsoleApp, UiCommand};
use galaxium::ops::demo::DemoDataset;
use galaxium::paths::DataDir;
use galaxium::views::View;
use galaxium::views::launches::BookingCommand;
use galaxium_sync::{OpenOptions, Replica};
use scale::{BIG_BOOKINGS, LAUNCHES, Stats, fill, fill_big_launch};

/// Frames a second.
const RATE_HZ: f64 = 60.0;
/// How long each screen is watched.
const SCENE: Duration = Duration::from_secs(10);

/// What one paced run saw.
struct Paced {
    frames: Vec<Duration>,
    /// Samples the archive wrote during the run.
    archived: u64,
    /// Syncs that finished during the run.
    syncs: usize,
}

/// Steps `harness` at [`RATE_HZ`] for `length`, timing each frame's work.
fn paced(harness: &mut Harness<'_, ConsoleApp>, length: Duration) -> Paced {
    let written = |h: &Harness<'_, ConsoleApp>| {
        h.state()
            .telemetry()
            .and_then(|tm| tm.archive())
            .map_or(0, |a| a.status().written.load(Ordering::Relaxed))
    };
    let archived_before = written(harness);
    let mut last_sync = harness.state().sync_status().last_success;
    let mut syncs = 0;
    let period = Duration::from_secs_f64(1.0 / RATE_HZ);
    let started = Instant::now();
    let mut next = started;
    let mut frames = Vec::new();
    while started.elapsed() < length {
        next += period;
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let t = Instant::now();
        harness.step();
        frames.push(t.elapsed());
        let synced = harness.state().sync_status().last_success;
        if synced != last_sync {
            syncs += 1;
            last_sync = synced;
        }
    }
    Paced {
        frames,
        archived: written(harness) - archived_before,
        syncs,
    }
}

fn report(name: &str, run: &Paced) {
    let stats = Stats::of(run.frames.clone());
    // Which frame was the worst says what it was: the first of a scene, or one in the middle.
    let worst = run
        .frames
        .iter()
        .enumerate()
        .max_by_key(|(_, d)| **d)
        .map_or(0, |(i, _)| i);
    println!(
        "{name}: {} frames at {RATE_HZ} Hz, {} samples archived, {} syncs: median {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms (frame {worst})",
        run.frames.len(),
        run.archived,
        run.syncs,
        stats.median,
        stats.p95,
        stats.p99,
        stats.max
    );
}

fn main() {
    let now = Utc::now();
    let dir = tempfile::tempdir().expect("temporary folder");
    let data = DataDir::at(dir.path());
    let mut replica = Replica::open(&data.replica(), &OpenOptions::default()).expect("open");
    DemoDataset::shipped()
        .expect("the demo dataset")
        .seed(&mut replica, now)
        .expect("seed");
    let demo_ops = replica.pending_count().expect("outbox");
    let started = Instant::now();
    let fleet = fill(&mut replica, now, 2_000);
    fill_big_launch(&mut replica, &fleet, now);
    // The bulk rows count as synced long ago: the console sends only the demo's own rows,
    // as a console that has been online before would.
    let bulk = rusqlite::Connection::open(data.replica()).expect("the replica file");
    bulk.execute(
        "DELETE FROM outbox WHERE seq > (SELECT min(seq) FROM outbox) + ?1 - 1",
        [i64::try_from(demo_ops).unwrap()],
    )
    .expect("outbox");
    drop(bulk);
    println!(
        "demo dataset plus {LAUNCHES} launches, 2,000 passengers and {BIG_BOOKINGS} bookings on one launch, filled in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let server_dir = tempfile::tempdir().expect("temporary folder");
    let (_runtime, url) = server::start_server(server_dir.path());
    let app_data = data.clone();
    let mut harness = Harness::builder()
        .with_size([1360.0, 860.0])
        .build_eframe(move |cc| ConsoleApp::new(&cc.egui_ctx, cc.storage, replica, app_data));
    harness.step();
    // Signed in through the dialog, as a person does.
    harness.state_mut().send(UiCommand::OpenSignIn);
    for _ in 0..3 {
        harness.step();
    }
    harness
        .get_by_label("Server")
        .set_text_value_accesskit(&url);
    harness.get_by_label("User").set_text_value_accesskit("ada");
    harness
        .get_by_label("Password")
        .set_text_value_accesskit(server::PASSWORD);
    harness.step();
    harness.get_by_label("Sign in").click();
    harness.step();

    let mut all = Vec::new();
    let mut syncs = 0;
    let mut archived = 0;
    for (name, view) in [
        ("Overview", View::Overview),
        ("Mission", View::Mission),
        ("launch page, 200,000 bookings", View::Launches),
    ] {
        harness.state_mut().send(UiCommand::ShowView(view));
        if view == View::Launches {
            harness
                .state_mut()
                .send(UiCommand::Bookings(BookingCommand::SelectLaunch(
                    fleet.launches[0].clone(),
                )));
        }
        // Not timed: the switch itself (the first frame of a screen lays out its fonts).
        for _ in 0..5 {
            harness.step();
        }
        let run = paced(&mut harness, SCENE);
        report(name, &run);
        syncs += run.syncs;
        archived += run.archived;
        all.extend(run.frames);
    }
    let status = harness.state().sync_status().clone();
    assert!(
        status.last_success.is_some(),
        "the console never synced: {status:?}"
    );
    let whole = Stats::of(all);
    println!(
        "whole run, {:.0} s: {syncs} syncs, {archived} samples archived: median {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms (target p99 ≤ 16 ms)",
        3.0 * SCENE.as_secs_f64(),
        whole.median,
        whole.p95,
        whole.p99,
        whole.max
    );
    assert!(
        whole.p99 <= 16.0,
        "p99 frame {:.2} ms is over 16 ms",
        whole.p99
    );
}
