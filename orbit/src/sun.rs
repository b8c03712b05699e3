//! The Sun's position (the low-precision solar theory of Meeus, *Astronomical Algorithms*
//! ch. 25: about 0.01°) and the Earth's shadow: sunlit, penumbra or umbra, with the intervals
//! and the next entry into and exit from shadow.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::frames::{EARTH_RADIUS_KM, Vec3, dot, julian_date, norm, sub};
use crate::satellite::{OrbitError, Satellite};

/// One astronomical unit, km.
pub const AU_KM: f64 = 149_597_870.7;
/// The Sun's radius, km.
pub const SUN_RADIUS_KM: f64 = 696_000.0;

/// The Sun's geocentric position at `t`, km, in the true-of-date equatorial frame (which
/// differs from SGP4's TEME by the equation of the equinoxes, under 0.005°).
pub fn sun_position(t: DateTime<Utc>) -> Vec3 {
    let tc = (julian_date(t) - 2_451_545.0) / 36_525.0;
    let l0 = 280.466_46 + 36_000.769_83 * tc + 0.000_303_2 * tc * tc;
    let m = (357.529_11 + 35_999.050_29 * tc - 0.000_153_7 * tc * tc).to_radians();
    let e = 0.016_708_634 - 0.000_042_037 * tc - 0.000_000_126_7 * tc * tc;
    let c = (1.914_602 - 0.004_817 * tc - 0.000_014 * tc * tc) * m.sin()
        + (0.019_993 - 0.000_101 * tc) * (2.0 * m).sin()
        + 0.000_289 * (3.0 * m).sin();
    let true_longitude = l0 + c;
    let anomaly = m + c.to_radians();
    let distance_au = 1.000_001_018 * (1.0 - e * e) / (1.0 + e * anomaly.cos());
    let omega = (125.04 - 1934.136 * tc).to_radians();
    let lambda = (true_longitude - 0.005_69 - 0.004_78 * omega.sin()).to_radians();
    let epsilon = (23.439_291 - 0.013_004_2 * tc + 0.002_56 * omega.cos()).to_radians();
    let r = distance_au * AU_KM;
    [
        r * lambda.cos(),
        r * epsilon.cos() * lambda.sin(),
        r * epsilon.sin() * lambda.sin(),
    ]
}

/// Where a satellite is with respect to the Earth's shadow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Illumination {
    /// In full sunlight.
    Sunlit,
    /// The Earth hides part of the Sun's disc.
    Penumbra,
    /// The Earth hides all of it.
    Umbra,
}

/// Whether a satellite at TEME `r` (km) sees the Sun at `sun` (km): a conical shadow model,
/// comparing the apparent radii of the Earth and the Sun with their separation.
pub fn illumination(r: Vec3, sun: Vec3) -> Illumination {
    let to_sun = sub(sun, r);
    let to_earth = [-r[0], -r[1], -r[2]];
    let (d_sun, d_earth) = (norm(to_sun), norm(to_earth));
    let earth = (EARTH_RADIUS_KM / d_earth).clamp(-1.0, 1.0).asin();
    let sun_radius = (SUN_RADIUS_KM / d_sun).clamp(-1.0, 1.0).asin();
    let separation = (dot(to_sun, to_earth) / (d_sun * d_earth))
        .clamp(-1.0, 1.0)
        .acos();
    if separation >= earth + sun_radius {
        Illumination::Sunlit
    } else if separation <= earth - sun_radius {
        Illumination::Umbra
    } else {
        Illumination::Penumbra
    }
}

/// A stretch of time in one illumination.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LightInterval {
    /// Sunlit, penumbra or umbra.
    pub state: Illumination,
    /// When it begins (the window's start for the first).
    pub start: DateTime<Utc>,
    /// When it ends (the window's end for the last).
    pub end: DateTime<Utc>,
}

/// The satellite's sunlit, penumbra and umbra intervals between `start` and `end`, each
/// boundary found to within half a second.
pub fn light_intervals(
    satellite: &Satellite,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<LightInterval>, OrbitError> {
    let state = |t: DateTime<Utc>| -> Result<Illumination, OrbitError> {
        Ok(illumination(satellite.teme(t)?.0, sun_position(t)))
    };
    // Penumbra lasts some ten seconds in low orbit: a 5 s scan does not step over it.
    let step = Duration::seconds(5);
    let mut intervals = Vec::new();
    let mut current = state(start)?;
    let mut since = start;
    let mut t = start;
    while t < end {
        let next = (t + step).min(end);
        let s = state(next)?;
        if s != current {
            // Narrow the change down to half a second.
            let (mut a, mut b) = (t, next);
            while (b - a) > Duration::milliseconds(500) {
                let mid = a + (b - a) / 2;
                if state(mid)? == current {
                    a = mid;
                } else {
                    b = mid;
                }
            }
            intervals.push(LightInterval {
                state: current,
                start: since,
                end: b,
            });
            current = s;
            since = b;
        }
        t = next;
    }
    intervals.push(LightInterval {
        state: current,
        start: since,
        end,
    });
    Ok(intervals)
}

/// The next entry into and exit from the Earth's shadow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ShadowCrossings {
    /// When it next goes from sunlight into penumbra or umbra.
    pub entry: Option<DateTime<Utc>>,
    /// When it next comes back into full sunlight.
    pub exit: Option<DateTime<Utc>>,
}

/// The next entry into the Earth's shadow (penumbra or umbra) and the exit from it after
/// `from`, looking `hours` ahead; `None` for what does not happen in that time.
pub fn next_shadow(
    satellite: &Satellite,
    from: DateTime<Utc>,
    hours: i64,
) -> Result<ShadowCrossings, OrbitError> {
    let intervals = light_intervals(satellite, from, from + Duration::hours(hours))?;
    let sunlit = |i: &LightInterval| i.state == Illumination::Sunlit;
    let entry = intervals
        .windows(2)
        .find(|pair| sunlit(&pair[0]) && !sunlit(&pair[1]))
        .map(|pair| pair[1].start);
    let exit = intervals
        .windows(2)
        .find(|pair| !sunlit(&pair[0]) && sunlit(&pair[1]))
        .map(|pair| pair[1].start);
    Ok(ShadowCrossings { entry, exit })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;
    use crate::satellite::tests::iss;

    #[test]
    fn the_sun_is_where_meeus_puts_it() {
        // Meeus example 25.a: 1992-10-13 0h TD: apparent λ 199.90899°, distance 0.99766 AU,
        // α 198.38083°, δ −7.78507°.
        let t = Utc.with_ymd_and_hms(1992, 10, 13, 0, 0, 0).unwrap() - Duration::seconds(59);
        let s = sun_position(t);
        let r = norm(s);
        let ra = s[1].atan2(s[0]).to_degrees().rem_euclid(360.0);
        let dec = (s[2] / r).asin().to_degrees();
        assert!((r / AU_KM - 0.997_66).abs() < 1e-4, "{}", r / AU_KM);
        assert!((ra - 198.380_83).abs() < 0.01, "{ra}");
        assert!((dec + 7.785_07).abs() < 0.01, "{dec}");
    }

    #[test]
    fn behind_the_earth_is_umbra_and_beside_it_is_sunlit() {
        let sun = [AU_KM, 0.0, 0.0];
        assert_eq!(illumination([-7000.0, 0.0, 0.0], sun), Illumination::Umbra);
        assert_eq!(illumination([7000.0, 0.0, 0.0], sun), Illumination::Sunlit);
        assert_eq!(illumination([0.0, 7000.0, 0.0], sun), Illumination::Sunlit);
        // Just outside the umbra's edge the Sun is partly hidden.
        let edge = EARTH_RADIUS_KM + 5.0;
        assert_eq!(
            illumination([-7000.0, edge, 0.0], sun),
            Illumination::Penumbra
        );
    }

    #[test]
    fn the_iss_spends_about_a_third_of_each_orbit_in_shadow() {
        let iss = iss();
        let start = iss.set.epoch();
        let end = start + Duration::minutes(92 * 3);
        let intervals = light_intervals(&iss, start, end).unwrap();
        let shadow: i64 = intervals
            .iter()
            .filter(|i| i.state == Illumination::Umbra)
            .map(|i| (i.end - i.start).num_seconds())
            .sum();
        let share = shadow as f64 / (end - start).num_seconds() as f64;
        assert!((0.25..0.42).contains(&share), "{share}");
        // Every umbra is entered and left through a short penumbra.
        for pair in intervals.windows(2) {
            assert_ne!(pair[0].state, pair[1].state);
            assert_eq!(pair[0].end, pair[1].start);
        }
        assert!(
            intervals
                .iter()
                .any(|i| i.state == Illumination::Penumbra && (i.end - i.start).num_seconds() < 30)
        );
        let next = next_shadow(&iss, start, 3).unwrap();
        assert!(next.entry.is_some() && next.exit.is_some());
    }
}
