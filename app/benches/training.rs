//! The trainer's console at x60: the mission clock runs sixty times as fast, so each 60 Hz
//! frame takes in a whole mission second of the scenario (every channel's samples, the
//! scenario's events, limit checks and alarms, incidents its alarms open, the scoring of the
//! trainees' responses, the tone). Measured: one turn of the console's mission loop
//! (`MissionLoop::tick`, on a real replica) per frame at x1 and at x60 over 30 mission minutes
//! of the power-bus scenario (its events brought into that window), against the 16 ms a 60 Hz
//! frame has in all.
//!
//! Run: `cargo bench --profile dev -p galaxium --bench training`

#![allow(
    clippy::print_stdout,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a benchmark prints its figures, stops loudly when its setup fails, and counts"
)]

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use galaxium::ops::mission::{MissionLoop, Wall};
use galaxium::ops::orbit::OrbitData;
use galaxium::ops::telemetry::Telemetry;
use galaxium::ops::telemetry::dictionary::Dictionary;
use galaxium::ops::training::scenario;
use galaxium::ops::training::source::ScenarioSource;
use galaxium_sync::{OpenOptions, Replica};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Ticks a fresh scenario for `mission_s` mission seconds, `step_ms` of mission time a frame;
/// each tick's wall time in milliseconds, sorted, and the samples taken in.
fn run(rate: u32, mission_s: i64) -> (Vec<f64>, usize) {
    let mut chosen = scenario::shipped()
        .expect("shipped scenarios")
        .into_iter()
        .find(|s| s.id == "power-bus-fault-eclipse")
        .expect("the power-bus scenario");
    // Every event inside the measured window, so its faults and alarms are part of the cost.
    let span = chosen.events.last().map_or(1.0, |e| e.at_s);
    for event in &mut chosen.events {
        event.at_s = event.at_s / span * (mission_s as f64 * 0.9);
    }
    let dictionary = Dictionary::shipped(&chosen.seats()).expect("dictionary");
    let start: DateTime<Utc> = "2026-11-23T12:00:00Z".parse().expect("time");
    let source = ScenarioSource::new(chosen, dictionary.clone(), start);
    let tm = Telemetry::new(dictionary, Box::new(source));
    let dir = tempfile::tempdir().expect("temporary folder");
    let mut replica =
        Replica::open(&dir.path().join("replica.sqlite"), &OpenOptions::default()).expect("open");
    let mut mission = MissionLoop::with_telemetry(&replica, Ok(tm));
    let orbit = OrbitData::default();
    // A 60 Hz frame is 16.7 ms of wall time: that much mission time at x1, 60 times more at x60.
    let step_us = 16_667 * i64::from(rate);
    let frames = mission_s * 1_000_000 / step_us;
    let mut millis = Vec::with_capacity(frames as usize);
    let paced_from = Instant::now();
    for frame in 1..=frames {
        let wall = Wall {
            instant: paced_from + std::time::Duration::from_micros(frame as u64 * 16_667),
            utc: start + Duration::microseconds(frame * step_us),
        };
        let began = Instant::now();
        mission.tick(&mut replica, &orbit, wall);
        millis.push(began.elapsed().as_secs_f64() * 1000.0);
    }
    millis.sort_by(f64::total_cmp);
    let samples = mission.telemetry().map_or(0, |tm| {
        (0..tm.dictionary.channels.len())
            .map(|i| tm.series(i).len())
            .sum()
    });
    (millis, samples)
}

fn main() {
    let mission_s = 30 * 60;
    for rate in [1, 60] {
        let (millis, samples) = run(rate, if rate == 1 { 120 } else { mission_s });
        println!(
            "mission clock x{rate}: {} frames, {samples} samples held; mission loop tick per 60 Hz frame p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms (frame budget 16.7 ms)",
            millis.len(),
            percentile(&millis, 0.5),
            percentile(&millis, 0.99),
            millis.last().copied().unwrap_or_default(),
        );
    }
}
