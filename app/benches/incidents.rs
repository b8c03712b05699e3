//! Incidents at the incidents issue's targets:
//!
//! 1. opening an incident with a 10-minute snapshot of 100 channels at 10 Hz ≤ 200 ms: read
//!    the incident and its timeline, read the snapshot (600,000 points), and draw the
//!    incident's screen with the snapshot plot, headless;
//! 2. exporting its report with three charts ≤ 2 s: choose and draw the charts with plotters,
//!    lay the PDF out, compress the images.
//!
//! Run: `cargo bench -p galaxium --bench incidents`

#![allow(
    clippy::print_stdout,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::too_many_lines,
    reason = "a benchmark prints its figures, stops loudly when its setup fails, counts, and reads top to bottom"
)]

use std::fmt::Write as _;
use std::time::Instant;

use chrono::{DateTime, Utc};
use galaxium::ops::incidents::detect::{Detector, Rules};
use galaxium::ops::incidents::{self, report, snapshot};
use galaxium::ops::telemetry::dictionary::Dictionary;
use galaxium::ops::telemetry::playback::Playback;
use galaxium::ops::telemetry::{Sample, Telemetry};
use galaxium::views::incidents::{IncidentsInput, IncidentsState, incidents_ui};
use galaxium_sync::{OpenOptions, Replica};
use galaxium_widgets::{Theme, Tokens};

const CHANNELS: usize = 100;
const HZ: f64 = 10.0;
/// Minutes either side of the alarm: a 10-minute snapshot.
const WINDOW_MIN: u32 = 5;

fn dictionary() -> Dictionary {
    let mut text = String::new();
    for i in 0..CHANNELS {
        let _ = write!(
            text,
            "[[channels]]\nid = \"bench.c{i:03}\"\nsubsystem = \"power\"\ndescription = \"Channel {i}\"\nunit = \"V\"\npersistence = 2\nlimits = {{ watch = {{ low = 5.0, high = 95.0 }}, warning = {{ low = 2.0, high = 98.0 }}, critical = {{ low = 0.0, high = 100.0 }}, deadband = 0.5 }}\nsim = {{ nominal = 50.0 }}\n\n"
        );
    }
    Dictionary::parse(&text, &[]).expect("the bench dictionary")
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut replica = Replica::open(&dir.path().join("replica.sqlite"), &OpenOptions::default())
        .expect("replica");
    let mut tm = Telemetry::with_history(
        dictionary(),
        Box::new(Playback::new("bench", Vec::new())),
        20_000,
    );
    let mut detector = Detector::new(Rules::shipped().expect("rules"));
    detector.set_window_minutes(WINDOW_MIN);

    // 100 channels at 10 Hz for five minutes, a critical excursion on one, five more minutes.
    let start = 1_795_000_000.0;
    let alarm_at = start + f64::from(WINDOW_MIN) * 60.0;
    let end = alarm_at + f64::from(WINDOW_MIN) * 60.0;
    let steps = ((end - start) * HZ) as u64;
    let mut detected = false;
    for step in 0..=steps {
        let t = start + step as f64 / HZ;
        for channel in 0..CHANNELS {
            let wave = ((t * 0.05 + channel as f64).sin() * 10.0) + 50.0;
            let value = if channel == 7 && t >= alarm_at && t < alarm_at + 1.0 {
                120.0
            } else {
                wave
            };
            tm.ingest(Sample { channel, t, value });
        }
        if !detected && t >= alarm_at + 0.5 {
            let now = DateTime::<Utc>::from_timestamp_millis((t * 1000.0) as i64).expect("time");
            detector.check(&mut replica, &tm, now).expect("detection");
            detected = true;
        }
    }
    let now = DateTime::<Utc>::from_timestamp_millis((end * 1000.0) as i64 + 1000).expect("time");
    detector.check(&mut replica, &tm, now).expect("snapshot");
    let id = incidents::list(&replica).expect("list")[0].id.clone();
    for k in 0..40 {
        incidents::add_note(
            &mut replica,
            &id,
            &format!("note {k}: what was done"),
            "ada",
            now,
        )
        .expect("note");
    }
    let stored = snapshot::load(&replica, &id)
        .expect("snapshot")
        .expect("a snapshot");
    assert!(stored.complete);
    println!(
        "setup: one incident, its snapshot {} points ({} channels × {:.0} s × {HZ} Hz), 42 timeline entries",
        stored.points(),
        stored.channels.len(),
        stored.to_t - stored.from_t
    );
    drop(stored);

    // 1. Opening it.
    let ctx = egui::Context::default();
    let tokens = Tokens::of(Theme::Dark);
    let severities = incidents::default_severities();
    let mut open_ms = Vec::new();
    for _ in 0..30 {
        let started = Instant::now();
        let detail = incidents::detail(&replica, &id)
            .expect("detail")
            .expect("incident");
        let snap = snapshot::load(&replica, &id).expect("snapshot");
        let mut state = IncidentsState {
            selected: Some(id.clone()),
            section: galaxium::views::incidents::Section::Telemetry,
            ..IncidentsState::default()
        };
        let list = incidents::list(&replica).expect("list");
        let mut commands = Vec::new();
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(1600.0, 1000.0),
            )),
            ..egui::RawInput::default()
        };
        let output = ctx.run_ui(input, |ui| {
            incidents_ui(
                ui,
                &mut state,
                &IncidentsInput {
                    incidents: &list,
                    detail: Some(&detail),
                    snapshot: snap.as_ref(),
                    severities: &severities,
                    can_write: true,
                    exporting: None,
                    launches: &[],
                    passengers: &[],
                    can_edit_scale: true,
                    window_minutes: WINDOW_MIN,
                    tokens,
                    now,
                },
                &mut commands,
            );
        });
        let _ = ctx.tessellate(output.shapes, output.pixels_per_point);
        open_ms.push(started.elapsed().as_secs_f64() * 1e3);
    }
    open_ms.sort_by(f64::total_cmp);
    println!(
        "1. open an incident with a 10-minute snapshot of 100 channels at 10 Hz, and draw it: median {:.1} ms, p99 {:.1} ms, max {:.1} ms (target ≤ 200 ms)",
        percentile(&open_ms, 0.5),
        percentile(&open_ms, 0.99),
        percentile(&open_ms, 1.0)
    );

    // The peer: the same points as one row each in a plain SQLite table, read back whole.
    let peer = rusqlite::Connection::open(dir.path().join("peer.sqlite")).expect("peer");
    peer.execute_batch(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE points (incident TEXT, channel TEXT, t REAL, value REAL);
         CREATE INDEX points_by_incident ON points (incident, channel, t);",
    )
    .expect("peer schema");
    {
        let stored = snapshot::load(&replica, &id)
            .expect("snapshot")
            .expect("a snapshot");
        let tx = peer.unchecked_transaction().expect("tx");
        {
            let mut insert = tx
                .prepare("INSERT INTO points VALUES (?1, ?2, ?3, ?4)")
                .expect("insert");
            for trace in &stored.channels {
                for (t, v) in trace.times.iter().zip(&trace.values) {
                    insert
                        .execute(rusqlite::params![id, trace.channel, t, f64::from(*v)])
                        .expect("row");
                }
            }
        }
        tx.commit().expect("commit");
    }
    let mut peer_ms = Vec::new();
    for _ in 0..30 {
        let started = Instant::now();
        let mut query = peer
            .prepare_cached(
                "SELECT channel, t, value FROM points WHERE incident = ?1 ORDER BY channel, t",
            )
            .expect("query");
        let rows: Vec<(String, f64, f64)> = query
            .query_map([&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(rows.len(), 600_000);
        peer_ms.push(started.elapsed().as_secs_f64() * 1e3);
    }
    peer_ms.sort_by(f64::total_cmp);
    let mut load_ms = Vec::new();
    for _ in 0..30 {
        let started = Instant::now();
        let snap = snapshot::load(&replica, &id)
            .expect("snapshot")
            .expect("a snapshot");
        assert_eq!(snap.points(), 600_000);
        load_ms.push(started.elapsed().as_secs_f64() * 1e3);
    }
    load_ms.sort_by(f64::total_cmp);
    println!(
        "   reading the 600,000 points alone: ours (a row of packed points per channel) median {:.1} ms; peer (a row per point, indexed) median {:.1} ms; ratio {:.2}",
        percentile(&load_ms, 0.5),
        percentile(&peer_ms, 0.5),
        percentile(&load_ms, 0.5) / percentile(&peer_ms, 0.5)
    );

    // 2. Exporting its report.
    let detail = incidents::detail(&replica, &id)
        .expect("detail")
        .expect("incident");
    let snap = snapshot::load(&replica, &id)
        .expect("snapshot")
        .expect("a snapshot");
    let mut export_ms = Vec::new();
    let mut size = 0;
    for _ in 0..10 {
        let started = Instant::now();
        let charts: Vec<report::Chart> = report::chart_channels(&detail, &snap)
            .iter()
            .map(|c| report::draw_chart(&snap, c, "V").expect("chart"))
            .collect();
        assert_eq!(charts.len(), 3);
        let pdf = report::to_pdf(
            &report::ReportInput {
                detail: &detail,
                charts: &charts,
                severities: &severities,
                generated_at: now,
                generated_by: "ada",
                polls: &[],
            },
            &|_| {},
        )
        .expect("pdf");
        size = pdf.len();
        export_ms.push(started.elapsed().as_secs_f64() * 1e3);
    }
    export_ms.sort_by(f64::total_cmp);
    println!(
        "2. export the report with three charts: median {:.0} ms, max {:.0} ms, {:.0} KiB (target ≤ 2 s)",
        percentile(&export_ms, 0.5),
        percentile(&export_ms, 1.0),
        size as f64 / 1024.0
    );
}
