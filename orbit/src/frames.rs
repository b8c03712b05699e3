//! Frames: SGP4's TEME → Earth-fixed (rotated by GMST 1982, polar motion neglected) → WGS84
//! geodetic; and from Earth-fixed, a ground station's azimuth, elevation, range and range rate.
//!
//! Vectors are in kilometres and kilometres per second; angles in the public types in degrees.

use std::f64::consts::TAU;

use chrono::{DateTime, Utc};

/// WGS84 equatorial radius, km.
pub const EARTH_RADIUS_KM: f64 = 6378.137;
/// WGS84 flattening.
pub const FLATTENING: f64 = 1.0 / 298.257_223_563;
/// Earth's rotation rate, rad/s.
pub const EARTH_ROTATION_RAD_S: f64 = 7.292_115_146_706_979e-5;

const E2: f64 = FLATTENING * (2.0 - FLATTENING);

/// A 3-vector.
pub type Vec3 = [f64; 3];

pub(crate) fn sub(a: Vec3, b: Vec3) -> Vec3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

pub(crate) fn dot(a: Vec3, b: Vec3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

pub(crate) fn norm(a: Vec3) -> f64 {
    dot(a, a).sqrt()
}

/// The Julian date of `t` (UTC taken as UT1: the difference, under a second, moves a
/// ground track by less than 0.5 km).
pub fn julian_date(t: DateTime<Utc>) -> f64 {
    let seconds = t.timestamp() as f64 + f64::from(t.timestamp_subsec_nanos()) * 1e-9;
    seconds / 86_400.0 + 2_440_587.5
}

/// Greenwich mean sidereal time (IAU 1982, as SGP4's TEME expects), radians in [0, 2π).
pub fn gmst_1982(t: DateTime<Utc>) -> f64 {
    let tut1 = (julian_date(t) - 2_451_545.0) / 36_525.0;
    let seconds =
        67_310.548_41 + (876_600.0 * 3600.0 + 8_640_184.812_866) * tut1 + 0.093_104 * tut1 * tut1
            - 6.2e-6 * tut1 * tut1 * tut1;
    (seconds * TAU / 86_400.0).rem_euclid(TAU)
}

/// TEME position and velocity at `t` → Earth-fixed (PEF) position and velocity.
pub fn teme_to_ecef(position: Vec3, velocity: Vec3, t: DateTime<Utc>) -> (Vec3, Vec3) {
    let g = gmst_1982(t);
    let (s, c) = g.sin_cos();
    let r = [
        c * position[0] + s * position[1],
        -s * position[0] + c * position[1],
        position[2],
    ];
    let v_rot = [
        c * velocity[0] + s * velocity[1],
        -s * velocity[0] + c * velocity[1],
        velocity[2],
    ];
    // v_ecef = R v_teme − ω × r_ecef
    let v = [
        v_rot[0] + EARTH_ROTATION_RAD_S * r[1],
        v_rot[1] - EARTH_ROTATION_RAD_S * r[0],
        v_rot[2],
    ];
    (r, v)
}

/// A point on or above the WGS84 ellipsoid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geodetic {
    /// Latitude, degrees north.
    pub lat_deg: f64,
    /// Longitude, degrees east, in (−180, 180].
    pub lon_deg: f64,
    /// Height above the ellipsoid, km.
    pub alt_km: f64,
}

/// Wraps a longitude into (−180, 180].
pub fn wrap_longitude(lon_deg: f64) -> f64 {
    let wrapped = (lon_deg + 180.0).rem_euclid(360.0) - 180.0;
    if wrapped <= -180.0 {
        wrapped + 360.0
    } else {
        wrapped
    }
}

/// Earth-fixed → geodetic (iterated to well under a millimetre).
pub fn ecef_to_geodetic(r: Vec3) -> Geodetic {
    let p = r[0].hypot(r[1]);
    let lon = r[1].atan2(r[0]);
    let mut lat = r[2].atan2(p * (1.0 - E2));
    let mut alt = 0.0;
    for _ in 0..6 {
        let sin = lat.sin();
        let n = EARTH_RADIUS_KM / (1.0 - E2 * sin * sin).sqrt();
        alt = if lat.cos().abs() > 1e-10 {
            p / lat.cos() - n
        } else {
            r[2].abs() - n * (1.0 - E2)
        };
        lat = r[2].atan2(p * (1.0 - E2 * n / (n + alt)));
    }
    Geodetic {
        lat_deg: lat.to_degrees(),
        lon_deg: wrap_longitude(lon.to_degrees()),
        alt_km: alt,
    }
}

/// Geodetic → Earth-fixed.
pub fn geodetic_to_ecef(point: Geodetic) -> Vec3 {
    let (lat, lon) = (point.lat_deg.to_radians(), point.lon_deg.to_radians());
    let n = EARTH_RADIUS_KM / (1.0 - E2 * lat.sin() * lat.sin()).sqrt();
    [
        (n + point.alt_km) * lat.cos() * lon.cos(),
        (n + point.alt_km) * lat.cos() * lon.sin(),
        (n * (1.0 - E2) + point.alt_km) * lat.sin(),
    ]
}

/// Where a satellite appears from a ground station.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LookAngles {
    /// Azimuth, degrees clockwise from north, in [0, 360).
    pub azimuth_deg: f64,
    /// Elevation above the horizon, degrees.
    pub elevation_deg: f64,
    /// Slant range, km.
    pub range_km: f64,
    /// Range rate, km/s (positive when receding).
    pub range_rate_km_s: f64,
}

/// The look angles from `station` to a satellite at Earth-fixed `r`, `v`.
pub fn look_angles(station: Geodetic, r: Vec3, v: Vec3) -> LookAngles {
    let site = geodetic_to_ecef(station);
    let rho = sub(r, site);
    let (lat, lon) = (station.lat_deg.to_radians(), station.lon_deg.to_radians());
    let (sl, cl) = lat.sin_cos();
    let (so, co) = lon.sin_cos();
    let east = -so * rho[0] + co * rho[1];
    let north = -sl * co * rho[0] - sl * so * rho[1] + cl * rho[2];
    let up = cl * co * rho[0] + cl * so * rho[1] + sl * rho[2];
    let range = norm(rho);
    let azimuth = east.atan2(north).rem_euclid(TAU);
    LookAngles {
        azimuth_deg: azimuth.to_degrees(),
        elevation_deg: (up / range).clamp(-1.0, 1.0).asin().to_degrees(),
        range_km: range,
        range_rate_km_s: dot(rho, v) / range,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    #[test]
    fn gmst_matches_vallado_example_3_5() {
        // Vallado, Fundamentals of Astrodynamics, example 3-5: 1992-08-20 12:14 UT1
        // gives GMST 152.578 787 886°.
        let t = Utc.with_ymd_and_hms(1992, 8, 20, 12, 14, 0).unwrap();
        assert!((gmst_1982(t).to_degrees() - 152.578_787_886).abs() < 1e-6);
    }

    #[test]
    fn geodetic_round_trips_through_earth_fixed() {
        for (lat, lon, alt) in [
            (0.0, 0.0, 0.0),
            (51.5, -0.12, 0.05),
            (-33.9, 151.2, 420.0),
            (89.9, 170.0, 35_786.0),
        ] {
            let point = Geodetic {
                lat_deg: lat,
                lon_deg: lon,
                alt_km: alt,
            };
            let back = ecef_to_geodetic(geodetic_to_ecef(point));
            assert!((back.lat_deg - lat).abs() < 1e-9, "{back:?}");
            assert!((back.lon_deg - lon).abs() < 1e-9, "{back:?}");
            assert!((back.alt_km - alt).abs() < 1e-6, "{back:?}");
        }
    }

    #[test]
    fn longitudes_wrap_into_the_half_open_range() {
        assert!((wrap_longitude(180.0) - 180.0).abs() < 1e-12);
        assert!((wrap_longitude(-180.0) - 180.0).abs() < 1e-12);
        assert!((wrap_longitude(190.0) + 170.0).abs() < 1e-12);
        assert!((wrap_longitude(-370.0) + 10.0).abs() < 1e-12);
    }

    #[test]
    fn a_point_straight_overhead_is_at_ninety_degrees_and_one_to_the_north_at_azimuth_zero() {
        let station = Geodetic {
            lat_deg: 10.0,
            lon_deg: 20.0,
            alt_km: 0.0,
        };
        let above = geodetic_to_ecef(Geodetic {
            alt_km: 500.0,
            ..station
        });
        let look = look_angles(station, above, [0.0; 3]);
        assert!((look.elevation_deg - 90.0).abs() < 1e-6);
        assert!((look.range_km - 500.0).abs() < 1e-6);
        let north = geodetic_to_ecef(Geodetic {
            lat_deg: 11.0,
            alt_km: 500.0,
            ..station
        });
        let look = look_angles(station, north, [0.0; 3]);
        assert!(
            look.azimuth_deg < 1e-6 || look.azimuth_deg > 360.0 - 1e-6,
            "{look:?}"
        );
    }
}
