//! Geodetic positions and passes against Skyfield, an independent implementation, for LEO,
//! sun-synchronous, Molniya and MEO orbits. The fixture and the script that made it are in
//! `tests/fixtures/`; the tolerances are the ones the console promises.

#![allow(
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    reason = "test helpers: a failed unwrap is a failed test; windows of hours fit an i64"
)]

use chrono::{DateTime, Duration, Utc};
use galaxium_orbit::{Geodetic, Satellite, elements, passes};
use serde_json::Value;

const ANGLE_DEG: f64 = 0.001;
const ALTITUDE_KM: f64 = 0.1;
const EVENT_SECONDS: f64 = 1.0;
const MAX_ELEVATION_DEG: f64 = 0.05;

fn cases() -> Vec<Value> {
    let fixture: Value =
        serde_json::from_str(include_str!("fixtures/skyfield_reference.json")).unwrap();
    let cases = fixture["cases"].as_array().unwrap().clone();
    assert_eq!(cases.len(), 4);
    cases
}

fn satellite(case: &Value) -> Satellite {
    let tle = format!(
        "{}\n{}\n{}\n",
        case["name"].as_str().unwrap(),
        case["line1"].as_str().unwrap(),
        case["line2"].as_str().unwrap()
    );
    Satellite::new(elements::parse_tle(&tle).unwrap().remove(0)).unwrap()
}

fn time(value: &Value) -> DateTime<Utc> {
    value.as_str().unwrap().parse().unwrap()
}

fn seconds_between(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    (a - b).num_microseconds().unwrap() as f64 / 1e6
}

/// Angular difference folded into [0, 180].
fn angle_between(a: f64, b: f64) -> f64 {
    let d = (a - b).rem_euclid(360.0);
    d.min(360.0 - d)
}

#[test]
fn geodetic_positions_agree_with_skyfield() {
    for case in cases() {
        let satellite = satellite(&case);
        let name = satellite.name();
        for point in case["geodetic"].as_array().unwrap() {
            let t = time(&point["time"]);
            let ours = satellite.geodetic(t).unwrap();
            let lat = point["lat_deg"].as_f64().unwrap();
            let lon = point["lon_deg"].as_f64().unwrap();
            let alt = point["alt_km"].as_f64().unwrap();
            assert!(
                (ours.lat_deg - lat).abs() < ANGLE_DEG,
                "{name} at {t}: latitude {} vs {lat}",
                ours.lat_deg
            );
            assert!(
                angle_between(ours.lon_deg, lon) < ANGLE_DEG,
                "{name} at {t}: longitude {} vs {lon}",
                ours.lon_deg
            );
            assert!(
                (ours.alt_km - alt).abs() < ALTITUDE_KM,
                "{name} at {t}: altitude {} vs {alt}",
                ours.alt_km
            );
        }
    }
}

#[test]
fn passes_agree_with_skyfield() {
    for case in cases() {
        let satellite = satellite(&case);
        let name = satellite.name();
        let station = Geodetic {
            lat_deg: case["station"]["lat_deg"].as_f64().unwrap(),
            lon_deg: case["station"]["lon_deg"].as_f64().unwrap(),
            alt_km: case["station"]["alt_m"].as_f64().unwrap() / 1000.0,
        };
        let start = time(&case["window"]["start"]);
        let hours = case["window"]["hours"].as_f64().unwrap();
        let end = start + Duration::seconds((hours * 3600.0) as i64);
        let mask = case["window"]["mask_deg"].as_f64().unwrap();
        // The reference lists the passes that rise and set inside the window.
        let ours: Vec<_> = passes(&satellite, station, start, end, mask)
            .unwrap()
            .into_iter()
            .filter(|p| p.aos > start && p.los < end)
            .collect();
        let expected = case["passes"].as_array().unwrap();
        assert!(!expected.is_empty(), "{name}: the fixture has passes");
        assert_eq!(ours.len(), expected.len(), "{name}: {ours:#?}");
        for (pass, reference) in ours.iter().zip(expected) {
            for (label, ours_t, field) in [
                ("AOS", pass.aos, "aos"),
                ("TCA", pass.tca, "tca"),
                ("LOS", pass.los, "los"),
            ] {
                let theirs = time(&reference[field]);
                assert!(
                    seconds_between(ours_t, theirs).abs() < EVENT_SECONDS,
                    "{name}: {label} {ours_t} vs {theirs}"
                );
            }
            let max = reference["max_elevation_deg"].as_f64().unwrap();
            assert!(
                (pass.max_elevation_deg - max).abs() < MAX_ELEVATION_DEG,
                "{name}: maximum elevation {} vs {max}",
                pass.max_elevation_deg
            );
            for (ours_az, field) in [
                (pass.aos_azimuth_deg, "aos_azimuth_deg"),
                (pass.los_azimuth_deg, "los_azimuth_deg"),
            ] {
                let theirs = reference[field].as_f64().unwrap();
                assert!(
                    angle_between(ours_az, theirs) < 0.05,
                    "{name}: {field} {ours_az} vs {theirs}"
                );
            }
        }
    }
}
