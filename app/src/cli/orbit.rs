//! `galaxium orbit track` and `galaxium orbit passes`: ground tracks and passes from element
//! sets (TLE or OMM JSON), as JSON or a table.

use std::io::Write;
use std::path::Path;

use anyhow::{Context as _, bail};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use galaxium_orbit::{ElementSet, Geodetic, Satellite, elements, passes};
use serde_json::json;

/// Reads the element sets in `file`, keeping the one named `name` when given.
fn element_sets(file: &Path, name: Option<&str>) -> anyhow::Result<Vec<ElementSet>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let sets = elements::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    match name {
        None => Ok(sets),
        Some(name) => {
            let wanted = name.trim();
            let found: Vec<ElementSet> = sets
                .iter()
                .filter(|s| s.label().eq_ignore_ascii_case(wanted))
                .cloned()
                .collect();
            if found.is_empty() {
                bail!(
                    "{} has no element set named {wanted:?}; it has {}",
                    file.display(),
                    sets.iter()
                        .map(ElementSet::label)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            Ok(found)
        }
    }
}

/// Parses an RFC 3339 time.
pub fn parse_time(text: &str) -> anyhow::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            anyhow::anyhow!("{text:?} is not an RFC 3339 time such as 2026-11-22T12:00:00Z")
        })
}

/// Parses `LAT,LON,ALT_M`.
pub fn parse_station(text: &str) -> anyhow::Result<Geodetic> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let numbers: Option<Vec<f64>> = parts.iter().map(|p| p.parse().ok()).collect();
    match numbers.as_deref() {
        Some([lat, lon, alt]) if (-90.0..=90.0).contains(lat) && (-180.0..=360.0).contains(lon) => {
            Ok(Geodetic {
                lat_deg: *lat,
                lon_deg: galaxium_orbit::frames::wrap_longitude(*lon),
                alt_km: alt / 1000.0,
            })
        }
        _ => bail!(
            "station {text:?}: give LAT,LON,ALT_M in degrees and metres, such as 37.94,-75.47,12"
        ),
    }
}

fn stamp(t: DateTime<Utc>, precision: SecondsFormat) -> String {
    t.to_rfc3339_opts(precision, true)
}

/// Arguments of `galaxium orbit track`.
pub struct TrackArgs<'a> {
    /// The element sets.
    pub file: &'a Path,
    /// Only this one.
    pub name: Option<&'a str>,
    /// First point.
    pub start: &'a str,
    /// How long.
    pub minutes: f64,
    /// Between points.
    pub step_seconds: f64,
    /// json or table.
    pub format: &'a str,
}

/// Says on stderr (the output stays clean for scripts) when a set's epoch is more than a
/// week from the time it is used for: SGP4 drifts by kilometres a day.
fn warn_if_stale(set: &ElementSet, start: DateTime<Utc>) {
    #[allow(clippy::cast_precision_loss, reason = "seconds of years")]
    let days = (start - set.epoch()).num_seconds() as f64 / 86_400.0;
    if days.abs() > crate::ops::orbit::STALE_AFTER_DAYS {
        eprintln!(
            "warning: {}: the element set's epoch is {:.1} days {} the start; predictions drift \
             by kilometres a day, use a fresher set",
            set.label(),
            days.abs(),
            if days > 0.0 { "before" } else { "after" }
        );
    }
}

/// Prints ground tracks.
pub fn track(args: &TrackArgs<'_>, out: &mut impl Write) -> anyhow::Result<()> {
    let start = parse_time(args.start)?;
    if !(args.minutes > 0.0 && args.minutes <= 60.0 * 24.0 * 30.0) {
        bail!(
            "--minutes {}: give a duration above 0 and at most 30 days",
            args.minutes
        );
    }
    if !(args.step_seconds >= 0.1 && args.step_seconds <= 86_400.0) {
        bail!(
            "--step-seconds {}: give a step from 0.1 s to one day",
            args.step_seconds
        );
    }
    let mut points = Vec::new();
    for set in element_sets(args.file, args.name)? {
        warn_if_stale(&set, start);
        let satellite = Satellite::new(set)?;
        points.extend(satellite.ground_track(start, args.minutes, args.step_seconds)?);
    }
    if args.format == "json" {
        serde_json::to_writer_pretty(&mut *out, &points)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "{:<24} {:<20} {:>9} {:>10} {:>9}",
            "name", "time", "lat_deg", "lon_deg", "alt_km"
        )?;
        for p in &points {
            writeln!(
                out,
                "{:<24} {:<20} {:>9.4} {:>10.4} {:>9.2}",
                p.name, p.time, p.lat_deg, p.lon_deg, p.alt_km
            )?;
        }
    }
    Ok(())
}

/// Arguments of `galaxium orbit passes`.
pub struct PassArgs<'a> {
    /// The element sets.
    pub file: &'a Path,
    /// The satellite.
    pub name: &'a str,
    /// `LAT,LON,ALT_M`.
    pub station: &'a str,
    /// Window start.
    pub start: &'a str,
    /// Window length.
    pub hours: f64,
    /// Elevation mask.
    pub min_elevation: f64,
    /// json or table.
    pub format: &'a str,
}

/// Prints passes over a station.
pub fn passes_cmd(args: &PassArgs<'_>, out: &mut impl Write) -> anyhow::Result<()> {
    let start = parse_time(args.start)?;
    let station = parse_station(args.station)?;
    if !(args.hours > 0.0 && args.hours <= 24.0 * 30.0) {
        bail!(
            "--hours {}: give a window above 0 and at most 30 days",
            args.hours
        );
    }
    if !(-5.0..=90.0).contains(&args.min_elevation) {
        bail!(
            "--min-elevation {}: give a mask from -5 to 90 degrees",
            args.min_elevation
        );
    }
    #[allow(
        clippy::cast_possible_truncation,
        reason = "a window of at most 30 days in seconds"
    )]
    let end = start + Duration::seconds((args.hours * 3600.0).round() as i64);
    let mut found = Vec::new();
    for set in element_sets(args.file, Some(args.name))? {
        warn_if_stale(&set, start);
        let satellite = Satellite::new(set)?;
        found.extend(passes(&satellite, station, start, end, args.min_elevation)?);
    }
    if args.format == "json" {
        let rows: Vec<serde_json::Value> = found
            .iter()
            .map(|p| {
                json!({
                    "name": p.name,
                    "aos": stamp(p.aos, SecondsFormat::Millis),
                    "tca": stamp(p.tca, SecondsFormat::Millis),
                    "los": stamp(p.los, SecondsFormat::Millis),
                    "max_elevation_deg": (p.max_elevation_deg * 1000.0).round() / 1000.0,
                    "aos_azimuth_deg": (p.aos_azimuth_deg * 1000.0).round() / 1000.0,
                    "los_azimuth_deg": (p.los_azimuth_deg * 1000.0).round() / 1000.0,
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &rows)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "{:<20} {:<20} {:<20} {:<20} {:>7} {:>7} {:>7}",
            "name", "aos", "tca", "los", "max_el", "aos_az", "los_az"
        )?;
        for p in &found {
            writeln!(
                out,
                "{:<20} {:<20} {:<20} {:<20} {:>7.2} {:>7.1} {:>7.1}",
                p.name,
                stamp(p.aos, SecondsFormat::Secs),
                stamp(p.tca, SecondsFormat::Secs),
                stamp(p.los, SecondsFormat::Secs),
                p.max_elevation_deg,
                p.aos_azimuth_deg,
                p.los_azimuth_deg
            )?;
        }
    }
    Ok(())
}
