//! Passes over a ground station above an elevation mask: acquisition (AOS), closest approach
//! (TCA, the highest elevation) and loss of signal (LOS), each found by root finding to within
//! half a second after a scan fine enough not to step over a pass.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::frames::Geodetic;
use crate::satellite::{OrbitError, Satellite};

/// Times are refined until the bracket is this narrow.
const TOLERANCE_S: f64 = 0.5;

/// One pass.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pass {
    /// The satellite.
    pub name: String,
    /// Acquisition: the satellite rises above the mask (or the window starts with it above).
    pub aos: DateTime<Utc>,
    /// Closest approach: the highest elevation.
    pub tca: DateTime<Utc>,
    /// Loss of signal: it sets below the mask (or the window ends with it above).
    pub los: DateTime<Utc>,
    /// Elevation at TCA, degrees.
    pub max_elevation_deg: f64,
    /// Azimuth at AOS, degrees.
    pub aos_azimuth_deg: f64,
    /// Azimuth at LOS, degrees.
    pub los_azimuth_deg: f64,
}

#[allow(
    clippy::cast_possible_truncation,
    reason = "microseconds within a prediction window of days fit an i64 many times over"
)]
fn at(start: DateTime<Utc>, seconds: f64) -> DateTime<Utc> {
    start + Duration::microseconds((seconds * 1e6).round() as i64)
}

/// Every pass of `satellite` over `station` above `mask_deg` between `start` and `end`.
/// A satellite that never rises gives none; one always in view (geostationary over the
/// station) gives one pass spanning the window.
pub fn passes(
    satellite: &Satellite,
    station: Geodetic,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    mask_deg: f64,
) -> Result<Vec<Pass>, OrbitError> {
    let span = (end - start).num_milliseconds() as f64 / 1000.0;
    if span <= 0.0 {
        return Ok(Vec::new());
    }
    let elevation = |s: f64| -> Result<f64, OrbitError> {
        Ok(satellite.look_from(station, at(start, s))?.elevation_deg - mask_deg)
    };
    // A step of a fiftieth of the period (about 110 s in low orbit) cannot step over a pass
    // that clears the mask by more than a fraction of a degree; 20 s at most keeps low passes.
    let period_s = 86_400.0 / satellite.set.elements.mean_motion;
    let step = (period_s / 50.0).clamp(1.0, 20.0).min(span);
    let mut found = Vec::new();
    let mut t0 = 0.0;
    let mut e0 = elevation(0.0)?;
    let mut rise: Option<f64> = (e0 >= 0.0).then_some(0.0);
    while t0 < span {
        let t1 = (t0 + step).min(span);
        let e1 = elevation(t1)?;
        if e0 < 0.0 && e1 >= 0.0 {
            rise = Some(bisect(&elevation, t0, t1)?);
        } else if e0 >= 0.0 && e1 < 0.0 {
            let set = bisect(&elevation, t0, t1)?;
            if let Some(r) = rise.take() {
                found.push((r, set));
            }
        }
        t0 = t1;
        e0 = e1;
    }
    if let Some(r) = rise {
        found.push((r, span));
    }
    found
        .into_iter()
        .map(|(rise, set)| {
            let (tca, max) = highest(&elevation, rise, set, step)?;
            let aos = satellite.look_from(station, at(start, rise))?;
            let los = satellite.look_from(station, at(start, set))?;
            Ok(Pass {
                name: satellite.name(),
                aos: at(start, rise),
                tca: at(start, tca),
                los: at(start, set),
                max_elevation_deg: max + mask_deg,
                aos_azimuth_deg: aos.azimuth_deg,
                los_azimuth_deg: los.azimuth_deg,
            })
        })
        .collect()
}

/// A function of seconds from the window's start that can fail (SGP4 may give up).
type Curve<'a> = &'a dyn Fn(f64) -> Result<f64, OrbitError>;

/// The zero of `f` between `a` and `b` (where it changes sign), to within the tolerance.
fn bisect(f: Curve<'_>, mut a: f64, mut b: f64) -> Result<f64, OrbitError> {
    let below_at_a = f(a)? < 0.0;
    while b - a > TOLERANCE_S / 2.0 {
        let mid = f64::midpoint(a, b);
        if (f(mid)? < 0.0) == below_at_a {
            a = mid;
        } else {
            b = mid;
        }
    }
    Ok(f64::midpoint(a, b))
}

/// The time and value of the highest `f` in [a, b]: sampled at `step` to find the peak's
/// bracket (a pass may be long and flat), then golden-section search to the tolerance.
fn highest(f: Curve<'_>, a: f64, b: f64, step: f64) -> Result<(f64, f64), OrbitError> {
    let mut best = (a, f(a)?);
    let mut t = a;
    while t < b {
        t = (t + step).min(b);
        let v = f(t)?;
        if v > best.1 {
            best = (t, v);
        }
    }
    let (mut lo, mut hi) = ((best.0 - step).max(a), (best.0 + step).min(b));
    let ratio = (5.0_f64.sqrt() - 1.0) / 2.0;
    let mut x1 = hi - ratio * (hi - lo);
    let mut x2 = lo + ratio * (hi - lo);
    let (mut f1, mut f2) = (f(x1)?, f(x2)?);
    while hi - lo > TOLERANCE_S {
        if f1 < f2 {
            lo = x1;
            x1 = x2;
            f1 = f2;
            x2 = lo + ratio * (hi - lo);
            f2 = f(x2)?;
        } else {
            hi = x2;
            x2 = x1;
            f2 = f1;
            x1 = hi - ratio * (hi - lo);
            f1 = f(x1)?;
        }
    }
    let peak = f64::midpoint(lo, hi);
    let value = f(peak)?;
    Ok(if value >= best.1 { (peak, value) } else { best })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elements::parse_tle;
    use crate::satellite::tests::iss;

    fn station() -> Geodetic {
        // Wallops: the ISS (51.6°) passes several times a day.
        Geodetic {
            lat_deg: 37.94,
            lon_deg: -75.47,
            alt_km: 0.012,
        }
    }

    #[test]
    fn iss_passes_rise_and_set_at_the_mask_with_the_peak_between() {
        let iss = iss();
        let start = iss.set.epoch();
        let found = passes(&iss, station(), start, start + Duration::hours(24), 10.0).unwrap();
        assert!((2..=8).contains(&found.len()), "{found:?}");
        for p in &found {
            assert!(p.aos < p.tca && p.tca < p.los, "{p:?}");
            let minutes = (p.los - p.aos).num_seconds() as f64 / 60.0;
            assert!(minutes > 0.5 && minutes < 12.0, "{p:?}");
            for (t, what) in [(p.aos, "AOS"), (p.los, "LOS")] {
                let el = iss.look_from(station(), t).unwrap().elevation_deg;
                assert!((el - 10.0).abs() < 0.05, "{what} at {el}°");
            }
            // Half a second either side of TCA is no higher.
            let peak = iss.look_from(station(), p.tca).unwrap().elevation_deg;
            for offset in [-1.0, 1.0] {
                let near = iss
                    .look_from(station(), at(p.tca, offset))
                    .unwrap()
                    .elevation_deg;
                assert!(near <= peak + 1e-3, "{near} > {peak}");
            }
            assert!((p.max_elevation_deg - peak).abs() < 1e-6);
        }
    }

    #[test]
    fn a_station_the_orbit_never_reaches_gets_no_pass() {
        let iss = iss();
        let south_pole = Geodetic {
            lat_deg: -89.9,
            lon_deg: 0.0,
            alt_km: 2.8,
        };
        let start = iss.set.epoch();
        let found = passes(&iss, south_pole, start, start + Duration::hours(12), 10.0).unwrap();
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn a_geostationary_satellite_is_one_pass_spanning_the_window() {
        // A geostationary element set near 100° W (deep-space SGP4).
        let tle = "GEO SAT
1 28884U 05041A   08264.51782528 -.00000274  00000-0  00000+0 0  9991
2 28884   0.0308 122.7440 0002364 290.3937 164.1370  1.00271450 11375
";
        let mut sets = parse_tle(tle).unwrap();
        let geo = Satellite::new(sets.remove(0)).unwrap();
        let start = geo.set.epoch();
        let under = geo.geodetic(start).unwrap();
        let station = Geodetic {
            lat_deg: 30.0,
            lon_deg: under.lon_deg,
            alt_km: 0.0,
        };
        let end = start + Duration::hours(6);
        let found = passes(&geo, station, start, end, 10.0).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].aos, start);
        assert_eq!(found[0].los, end);
        assert!(found[0].max_elevation_deg > 40.0, "{found:?}");
    }
}
