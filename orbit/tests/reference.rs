//! SGP4 against the reference implementation: TEME positions and velocities from python-sgp4
//! (its C++ core, WGS72, improved mode) for LEO, sun-synchronous, Molniya and MEO element sets.
//! The fixture and the script that made it are in `tests/fixtures/`.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed unwrap is a failed test"
)]

use chrono::Duration;
use galaxium_orbit::{Satellite, elements};

#[test]
fn teme_states_match_python_sgp4_to_the_millimetre() {
    let text = include_str!("fixtures/sgp4_reference.json");
    let fixture: serde_json::Value = serde_json::from_str(text).unwrap();
    let cases = fixture["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let tle = format!(
            "{name}\n{}\n{}\n",
            case["line1"].as_str().unwrap(),
            case["line2"].as_str().unwrap()
        );
        let satellite = Satellite::new(elements::parse_tle(&tle).unwrap().remove(0)).unwrap();
        for point in case["points"].as_array().unwrap() {
            let minutes = point["minutes"].as_f64().unwrap();
            #[allow(clippy::cast_possible_truncation, reason = "minutes of a few days")]
            let t = satellite.set.epoch() + Duration::microseconds((minutes * 60e6) as i64);
            let (r, v) = satellite.teme(t).unwrap();
            for axis in 0..3 {
                let expected_r = point["r"][axis].as_f64().unwrap();
                let expected_v = point["v"][axis].as_f64().unwrap();
                assert!(
                    (r[axis] - expected_r).abs() < 1e-6 * expected_r.abs().max(1000.0),
                    "{name} at {minutes} min, r[{axis}]: {} vs {expected_r}",
                    r[axis]
                );
                assert!(
                    (v[axis] - expected_v).abs() < 1e-6,
                    "{name} at {minutes} min, v[{axis}]: {} vs {expected_v}",
                    v[axis]
                );
            }
        }
    }
}
