//! A satellite: its element set ready for SGP4, its position in each frame, its ground track
//! and a summary of its orbit.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::elements::ElementSet;
use crate::frames::{
    EARTH_RADIUS_KM, Geodetic, LookAngles, Vec3, ecef_to_geodetic, look_angles, teme_to_ecef,
};

/// Earth's gravitational parameter (WGS72, as SGP4 uses), km³/s².
const MU_KM3_S2: f64 = 398_600.8;

/// Why a satellite could not be propagated.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OrbitError {
    /// The elements do not describe an orbit SGP4 can start from.
    #[error("{name}: the elements cannot be propagated: {reason}")]
    Elements {
        /// The satellite.
        name: String,
        /// What SGP4 said.
        reason: String,
    },
    /// SGP4 gave up at a time (the orbit decayed, or the time is too far from the epoch).
    #[error("{name}: propagation failed at {time}: {reason}")]
    Propagation {
        /// The satellite.
        name: String,
        /// When.
        time: DateTime<Utc>,
        /// What SGP4 said.
        reason: String,
    },
}

/// A satellite ready to propagate.
#[derive(Debug, Clone)]
pub struct Satellite {
    /// Its element set.
    pub set: ElementSet,
    constants: sgp4::Constants,
}

/// One point of a ground track.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackPoint {
    /// The satellite.
    pub name: String,
    /// RFC 3339 UTC with `Z`.
    pub time: String,
    /// Latitude, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees in (−180, 180].
    pub lon_deg: f64,
    /// Height above the ellipsoid, km.
    pub alt_km: f64,
}

/// The orbit in a few numbers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrbitSummary {
    /// Orbital period, minutes.
    pub period_min: f64,
    /// Apogee height above the equatorial radius, km.
    pub apogee_km: f64,
    /// Perigee height above the equatorial radius, km.
    pub perigee_km: f64,
    /// Inclination, degrees.
    pub inclination_deg: f64,
    /// Days from the epoch of the elements to now.
    pub epoch_age_days: f64,
    /// Elements older than 7 days predict poorly.
    pub stale: bool,
}

impl Satellite {
    /// Prepares `set` for SGP4 (near-Earth or deep-space, as its period calls for).
    pub fn new(set: ElementSet) -> Result<Self, OrbitError> {
        // TLEs are fitted with the WGS72 constants; the sidereal time is IAU 1982. This is
        // what the reference implementation (and python-sgp4) calls the improved mode.
        let e = &set.elements;
        let deg = std::f64::consts::PI / 180.0;
        let refuse = |reason: String| OrbitError::Elements {
            name: set.label(),
            reason,
        };
        let orbit = sgp4::Orbit::from_kozai_elements(
            &sgp4::WGS72,
            e.inclination * deg,
            e.right_ascension * deg,
            e.eccentricity,
            e.argument_of_perigee * deg,
            e.mean_anomaly * deg,
            e.mean_motion * (std::f64::consts::PI / 720.0),
        )
        .map_err(|e| refuse(format!("{e:?}")))?;
        let constants = sgp4::Constants::new(
            sgp4::WGS72,
            sgp4::iau_epoch_to_sidereal_time,
            e.epoch(),
            e.drag_term,
            orbit,
        )
        .map_err(|e| refuse(format!("eccentricity {} is outside [0, 1)", e.0)))?;
        Ok(Self { set, constants })
    }

    /// The name to show.
    pub fn name(&self) -> String {
        self.set.label()
    }

    /// TEME position (km) and velocity (km/s) at `t`.
    pub fn teme(&self, t: DateTime<Utc>) -> Result<(Vec3, Vec3), OrbitError> {
        let since = (t.naive_utc() - self.set.elements.datetime)
            .num_microseconds()
            .map_or(f64::MAX, |us| us as f64 / 60e6);
        self.teme_since_epoch(since)
            .map_err(|reason| OrbitError::Propagation {
                name: self.name(),
                time: t,
                reason,
            })
    }

    /// TEME position and velocity `minutes` after the epoch (how the SGP4 verification cases
    /// are stated). A position inside the Earth is refused as decayed, as the reference
    /// implementation does; SGP4 itself would carry on underground.
    pub fn teme_since_epoch(&self, minutes: f64) -> Result<(Vec3, Vec3), String> {
        let prediction = self
            .constants
            .propagate(sgp4::MinutesSinceEpoch(minutes))
            .map_err(|e| e.to_string())?;
        let radius = prediction
            .position
            .iter()
            .map(|c| c * c)
            .sum::<f64>()
            .sqrt();
        if radius < sgp4::WGS72.ae {
            return Err(format!(
                "the satellite has decayed: {radius:.1} km from the Earth's centre is below \
                 the surface"
            ));
        }
        Ok((prediction.position, prediction.velocity))
    }

    /// Earth-fixed position and velocity at `t`.
    pub fn ecef(&self, t: DateTime<Utc>) -> Result<(Vec3, Vec3), OrbitError> {
        let (r, v) = self.teme(t)?;
        Ok(teme_to_ecef(r, v, t))
    }

    /// The sub-satellite point and height at `t`.
    pub fn geodetic(&self, t: DateTime<Utc>) -> Result<Geodetic, OrbitError> {
        Ok(ecef_to_geodetic(self.ecef(t)?.0))
    }

    /// Where it appears from `station` at `t`.
    pub fn look_from(&self, station: Geodetic, t: DateTime<Utc>) -> Result<LookAngles, OrbitError> {
        let (r, v) = self.ecef(t)?;
        Ok(look_angles(station, r, v))
    }

    /// The ground track from `start` for `minutes`, a point every `step_seconds`.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a point count and microsecond offsets of a window of days: small and positive"
    )]
    pub fn ground_track(
        &self,
        start: DateTime<Utc>,
        minutes: f64,
        step_seconds: f64,
    ) -> Result<Vec<TrackPoint>, OrbitError> {
        let step = step_seconds.max(0.001);
        let count = (minutes * 60.0 / step).floor() as usize + 1;
        let name = self.name();
        (0..count)
            .map(|i| {
                let t = start + Duration::microseconds((i as f64 * step * 1e6).round() as i64);
                let point = self.geodetic(t)?;
                Ok(TrackPoint {
                    name: name.clone(),
                    time: t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    lat_deg: point.lat_deg,
                    lon_deg: point.lon_deg,
                    alt_km: point.alt_km,
                })
            })
            .collect()
    }

    /// Period, apogee, perigee, inclination and the age of the elements at `now`.
    pub fn summary(&self, now: DateTime<Utc>) -> OrbitSummary {
        let e = &self.set.elements;
        let n_rad_s = e.mean_motion * std::f64::consts::TAU / 86_400.0;
        let a = (MU_KM3_S2 / (n_rad_s * n_rad_s)).cbrt();
        let age = (now - self.set.epoch()).num_seconds() as f64 / 86_400.0;
        OrbitSummary {
            period_min: 1440.0 / e.mean_motion,
            apogee_km: a * (1.0 + e.eccentricity) - EARTH_RADIUS_KM,
            perigee_km: a * (1.0 - e.eccentricity) - EARTH_RADIUS_KM,
            inclination_deg: e.inclination,
            epoch_age_days: age,
            stale: age.abs() > 7.0,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::TimeZone as _;

    use super::*;
    use crate::elements::parse_tle;

    pub(crate) const ISS: &str = "ISS (ZARYA)
1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927
2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537
";

    pub(crate) fn iss() -> Satellite {
        Satellite::new(parse_tle(ISS).unwrap().remove(0)).unwrap()
    }

    #[test]
    fn the_iss_flies_between_its_inclination_latitudes_at_its_height() {
        let iss = iss();
        let start = iss.set.epoch();
        let track = iss.ground_track(start, 93.0, 30.0).unwrap();
        assert_eq!(track.len(), 187);
        let max_lat = track.iter().map(|p| p.lat_deg.abs()).fold(0.0, f64::max);
        assert!((51.0..=52.0).contains(&max_lat), "{max_lat}");
        for p in &track {
            assert!((320.0..=390.0).contains(&p.alt_km), "{p:?}");
            assert!(p.lon_deg > -180.0 && p.lon_deg <= 180.0);
            assert!(p.time.ends_with('Z'));
        }
    }

    #[test]
    fn the_summary_gives_period_heights_and_a_stale_warning() {
        let iss = iss();
        let s = iss.summary(iss.set.epoch() + Duration::days(10));
        assert!((s.period_min - 91.6).abs() < 0.1, "{s:?}");
        assert!((330.0..=370.0).contains(&s.perigee_km), "{s:?}");
        assert!(s.apogee_km > s.perigee_km);
        assert!((s.epoch_age_days - 10.0).abs() < 1e-6);
        assert!(s.stale);
        assert!(!iss.summary(iss.set.epoch() + Duration::days(2)).stale);
    }

    #[test]
    fn teme_position_at_epoch_matches_the_sgp4_reference() {
        // Vallado's SGP4 verification TLE 00005, t = 0: r = (7022.46529266, -1400.08296755, 0.03995155) km.
        let tle = "1 00005U 58002B   00179.78495062  .00000023  00000-0  28098-4 0  4753
2 00005  34.2682 348.7242 1859667 331.7664  19.3264 10.82419157413667
";
        let sat = Satellite::new(parse_tle(tle).unwrap().remove(0)).unwrap();
        let (r, _) = sat.teme(sat.set.epoch()).unwrap();
        assert!((r[0] - 7_022.465_292_66).abs() < 1e-3, "{r:?}");
        assert!((r[1] + 1_400.082_967_55).abs() < 1e-3, "{r:?}");
        assert!((r[2] - 0.039_951_55).abs() < 1e-3, "{r:?}");
        let _ = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap();
    }
}
