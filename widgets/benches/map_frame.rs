//! One frame of the ground-track map: 3 tracks over 2 orbits (a point every 20 s), 10 ground
//! stations with footprints, the night side and the pointer readout, laid out and tessellated
//! into triangles on the CPU (what the GPU is then handed). Target (orbit issue): ≤ 2 ms.
//!
//! Two kinds of frame: a steady one (the pointer moves, the view stays, so the land comes from
//! the widget's cache) and one while panning (the view moves every frame, so the land is
//! projected and tessellated again).
//!
//! Run: `cargo bench -p galaxium-widgets --bench map_frame`

#![allow(clippy::print_stdout, reason = "a benchmark prints its figures")]

use std::time::{Duration, Instant};

use egui::{Pos2, RawInput, Rect, Vec2};
use galaxium_widgets::{
    GeoPoint, GroundTrackMap, Land, MapStation, MapTrack, MapView, Theme, Tokens,
};

const FRAMES: usize = 2_000;

/// A circular-orbit ground track: `orbits` revolutions at `inclination`, starting over
/// `lon0`, the Earth turning beneath.
fn track(label: &str, inclination: f64, lon0: f64, period_min: f64, orbits: f64) -> MapTrack {
    let deg = std::f64::consts::PI / 180.0;
    let step_s = 20.0;
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a few hundred points"
    )]
    let count = (orbits * period_min * 60.0 / step_s) as usize;
    let points = (0..count)
        .map(|k| {
            #[allow(clippy::cast_precision_loss, reason = "small counts")]
            let t = k as f64 * step_s;
            let u = 2.0 * std::f64::consts::PI * t / (period_min * 60.0);
            let lat = ((inclination * deg).sin() * u.sin()).asin() / deg;
            let lon = lon0 + ((inclination * deg).cos() * u.sin()).atan2(u.cos()) / deg
                - 360.0 * t / 86_164.0;
            GeoPoint {
                lat_deg: lat,
                lon_deg: (lon + 180.0).rem_euclid(360.0) - 180.0,
            }
        })
        .collect::<Vec<_>>();
    MapTrack {
        label: label.to_owned(),
        now_index: points.len() / 2,
        points,
        color: Tokens::of(Theme::Dark).accent,
    }
}

fn main() {
    let tracks = vec![
        track("AURORA", 51.6, -80.0, 92.7, 2.0),
        track("SENTINEL", 98.2, 20.0, 100.6, 2.0),
        track("RELAY", 55.0, 140.0, 717.9, 2.0),
    ];
    let stations: Vec<MapStation> = (0..10)
        .map(|i| MapStation {
            name: format!("Station {i}"),
            position: GeoPoint {
                lat_deg: -60.0 + 13.0 * f64::from(i),
                lon_deg: -170.0 + 35.0 * f64::from(i),
            },
            footprint_deg: 18.0,
            in_contact: i % 3 == 0,
        })
        .collect();
    let land = Land::natural_earth();
    let tokens = Tokens::of(Theme::Dark);
    let ctx = egui::Context::default();
    let mut view = MapView::default();
    let screen = Rect::from_min_size(Pos2::ZERO, Vec2::new(1280.0, 720.0));

    let mut frame = |pointer: Pos2, pan: bool| -> Duration {
        if pan {
            view.center_lon += 0.5;
        }
        let input = RawInput {
            screen_rect: Some(screen),
            events: vec![egui::Event::PointerMoved(pointer)],
            ..RawInput::default()
        };
        let started = Instant::now();
        let output = ctx.run_ui(input, |ui| {
            GroundTrackMap::new(land, tokens)
                .tracks(&tracks)
                .stations(&stations)
                .subsolar(GeoPoint {
                    lat_deg: -20.0,
                    lon_deg: 30.0,
                })
                .height(680.0)
                .show(ui, &mut view);
        });
        let primitives = ctx.tessellate(output.shapes, output.pixels_per_point);
        let elapsed = started.elapsed();
        std::hint::black_box(primitives);
        elapsed
    };
    let points: usize = tracks.iter().map(|t| t.points.len()).sum();
    println!(
        "map 1280x720: {} land points, {points} track points, {} stations; target 2 ms",
        land.point_count(),
        stations.len(),
    );
    for (label, pan) in [("steady frame", false), ("panning frame", true)] {
        for i in 0..50_u8 {
            frame(Pos2::new(300.0 + f32::from(i), 300.0), pan);
        }
        let mut times: Vec<Duration> = (0..FRAMES)
            .map(|i| {
                #[allow(clippy::cast_precision_loss, reason = "small counts")]
                let x = 100.0 + (i % 1000) as f32;
                frame(Pos2::new(x, 360.0), pan)
            })
            .collect();
        times.sort_unstable();
        let at = |q: f64| {
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss,
                reason = "an index into the samples"
            )]
            let index = ((times.len() - 1) as f64 * q).round() as usize;
            times[index].as_secs_f64() * 1e3
        };
        println!(
            "{label:>14}: median {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            at(0.5),
            at(0.99),
            at(1.0)
        );
    }
}
