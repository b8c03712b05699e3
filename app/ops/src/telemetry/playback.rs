//! Recorded telemetry played back: a CSV file of samples, at an adjustable speed, paused,
//! and sought.
//!
//! The file format (UTF-8 text):
//!
//! ```text
//! # Comment lines start with '#'; blank lines are skipped.
//! time,channel,value
//! 2026-11-22T12:00:00Z,ls.cabin_pressure,101.32
//! 1795348800.5,pwr.bus_voltage,28.1
//! ```
//!
//! - the header line `time,channel,value` comes first;
//! - `time` is RFC 3339 (UTC or with an offset) or Unix seconds;
//! - `channel` is a channel id of the dictionary;
//! - `value` is a number in the channel's unit.
//!
//! Rows need not be in time order: they are sorted on loading. A file with any bad row is
//! refused whole, with up to 20 of its problems listed by line, so nothing is played half.

use std::path::Path;

use chrono::{DateTime, Utc};

use super::dictionary::Dictionary;
use super::{Sample, SourceKind, TelemetrySource, unix_seconds};

/// The most problems listed when a file is refused.
const MAX_PROBLEMS: usize = 20;

/// Why a recording could not be played.
#[derive(Debug, thiserror::Error)]
pub enum PlaybackError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file has bad rows.
    #[error("{path} was not played: {}", problems.join("; "))]
    Rows {
        /// The file.
        path: String,
        /// "line N: what is wrong", at most twenty.
        problems: Vec<String>,
    },
    /// The file holds no samples.
    #[error("{0} holds no samples")]
    Empty(String),
}

/// Reads a recording's text; `path` names it in errors.
pub fn parse(
    text: &str,
    path: &str,
    dictionary: &Dictionary,
) -> Result<Vec<Sample>, PlaybackError> {
    let mut problems = Vec::new();
    let mut samples = Vec::new();
    let mut header_seen = false;
    let mut extra = 0;
    for (number, line) in text.lines().enumerate() {
        let number = number + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut problem = |what: String| {
            if problems.len() < MAX_PROBLEMS {
                problems.push(format!("line {number}: {what}"));
            } else {
                extra += 1;
            }
        };
        if !header_seen {
            header_seen = true;
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            if fields != ["time", "channel", "value"] {
                problem(format!(
                    "expected the header \"time,channel,value\", found {line:?}"
                ));
            }
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() != 3 {
            problem(format!(
                "expected 3 fields (time,channel,value), found {}",
                fields.len()
            ));
            continue;
        }
        let t = match fields[0].parse::<f64>() {
            Ok(t) if t.is_finite() => Some(t),
            _ => DateTime::parse_from_rfc3339(fields[0])
                .ok()
                .map(|t| unix_seconds(t.with_timezone(&Utc))),
        };
        let Some(t) = t else {
            problem(format!(
                "time {:?} is neither an RFC 3339 time nor Unix seconds",
                fields[0]
            ));
            continue;
        };
        let Some(channel) = dictionary.channels.iter().position(|c| c.id == fields[1]) else {
            problem(format!("no channel {:?} in the dictionary", fields[1]));
            continue;
        };
        match fields[2].parse::<f64>() {
            Ok(value) if value.is_finite() => samples.push(Sample { channel, t, value }),
            _ => problem(format!("value {:?} is not a number", fields[2])),
        }
    }
    if !header_seen {
        return Err(PlaybackError::Empty(path.to_owned()));
    }
    if !problems.is_empty() {
        if extra > 0 {
            problems.push(format!("and {extra} more"));
        }
        return Err(PlaybackError::Rows {
            path: path.to_owned(),
            problems,
        });
    }
    if samples.is_empty() {
        return Err(PlaybackError::Empty(path.to_owned()));
    }
    samples.sort_by(|a, b| a.t.total_cmp(&b.t));
    Ok(samples)
}

/// A recording being played.
#[derive(Debug, Clone)]
pub struct Playback {
    name: String,
    samples: Vec<Sample>,
    /// The next sample to hand out.
    cursor: usize,
    /// Recording time at the anchor, and the wall-clock time (Unix seconds) of the anchor.
    anchor: (f64, Option<f64>),
    speed: f64,
    paused: bool,
}

impl Playback {
    /// Loads the recording at `path`.
    pub fn open(path: &Path, dictionary: &Dictionary) -> Result<Self, PlaybackError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| PlaybackError::Read {
            path: shown.clone(),
            source,
        })?;
        Ok(Self::new(&shown, parse(&text, &shown, dictionary)?))
    }

    /// Plays `samples` (in time order, at least one), named `name`.
    pub fn new(name: &str, samples: Vec<Sample>) -> Self {
        let start = samples.first().map_or(0.0, |s| s.t);
        Self {
            name: name.to_owned(),
            samples,
            cursor: 0,
            anchor: (start, None),
            speed: 1.0,
            paused: false,
        }
    }

    /// The file played.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The recording's first and last sample times.
    pub fn span(&self) -> (f64, f64) {
        (
            self.samples.first().map_or(0.0, |s| s.t),
            self.samples.last().map_or(0.0, |s| s.t),
        )
    }

    /// The recording time reached at wall-clock `now`.
    pub fn position(&self, now: f64) -> f64 {
        let (at, wall) = self.anchor;
        match wall {
            Some(wall) if !self.paused => at + (now - wall) * self.speed,
            _ => at,
        }
    }

    /// Plays `speed` times faster than recorded.
    pub fn set_speed(&mut self, speed: f64, now: f64) {
        self.anchor = (self.position(now), Some(now));
        self.speed = speed.clamp(0.1, 1000.0);
    }

    /// The speed.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Pauses or resumes.
    pub fn set_paused(&mut self, paused: bool, now: f64) {
        self.anchor = (self.position(now), Some(now));
        self.paused = paused;
    }

    /// Whether it is paused.
    pub fn paused(&self) -> bool {
        self.paused
    }

    /// Jumps to recording time `t`; what comes after is played from there. (Going back
    /// means the history shown must start again: [`super::Telemetry::seek`] does that.)
    pub fn seek(&mut self, t: f64, now: f64) {
        let (start, end) = self.span();
        let t = t.clamp(start, end);
        self.cursor = self.samples.partition_point(|s| s.t < t);
        self.anchor = (t, Some(now));
    }

    /// Whether everything has been played.
    pub fn finished(&self) -> bool {
        self.cursor >= self.samples.len()
    }
}

impl TelemetrySource for Playback {
    fn kind(&self) -> SourceKind {
        SourceKind::Playback
    }

    fn poll(&mut self, now: DateTime<Utc>, out: &mut Vec<Sample>) {
        let now = unix_seconds(now);
        if self.anchor.1.is_none() {
            self.anchor.1 = Some(now);
        }
        let reached = self.position(now);
        let end = self.samples.partition_point(|s| s.t <= reached);
        if end > self.cursor {
            out.extend_from_slice(&self.samples[self.cursor..end]);
            self.cursor = end;
        }
    }

    fn mission_start(&self) -> Option<f64> {
        self.samples.first().map(|s| s.t)
    }

    fn playback(&mut self) -> Option<&mut Playback> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dictionary() -> Dictionary {
        Dictionary::shipped(&[]).unwrap()
    }

    const GOOD: &str = "# a recording\ntime,channel,value\n2026-11-22T12:00:01Z,ls.cabin_pressure,101.3\n1795348800,pwr.bus_voltage,28.1\n\n2026-11-22T12:00:02+00:00,ls.cabin_pressure,101.2\n";

    #[test]
    fn a_good_file_is_read_in_time_order() {
        let samples = parse(GOOD, "rec.csv", &dictionary()).unwrap();
        assert_eq!(samples.len(), 3);
        assert!(samples.windows(2).all(|w| w[0].t <= w[1].t));
        assert!((samples[0].t - 1_795_348_800.0).abs() < 1e-9);
        assert!((samples[0].value - 28.1).abs() < 1e-12);
    }

    #[test]
    fn bad_rows_are_listed_by_line_and_the_file_refused() {
        let text = "time,channel,value\n2026-13-01T00:00:00Z,ls.cabin_pressure,1\n2026-11-22T12:00:00Z,ls.cabin_presure,1\n2026-11-22T12:00:00Z,ls.ppo2,abc\n2026-11-22T12:00:00Z,ls.ppo2\n";
        let error = parse(text, "rec.csv", &dictionary())
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            "rec.csv was not played: line 2: time \"2026-13-01T00:00:00Z\" is neither an RFC 3339 time nor Unix seconds; line 3: no channel \"ls.cabin_presure\" in the dictionary; line 4: value \"abc\" is not a number; line 5: expected 3 fields (time,channel,value), found 2"
        );
    }

    #[test]
    fn a_missing_header_or_an_empty_file_is_named() {
        let error = parse("1,ls.ppo2,21\n", "rec.csv", &dictionary())
            .unwrap_err()
            .to_string();
        assert!(error.contains("line 1: expected the header"), "{error}");
        let error = parse("# nothing\n", "rec.csv", &dictionary())
            .unwrap_err()
            .to_string();
        assert_eq!(error, "rec.csv holds no samples");
        let error = Playback::open(Path::new("/nonexistent/rec.csv"), &dictionary())
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("/nonexistent/rec.csv: "), "{error}");
    }

    #[test]
    fn many_problems_are_cut_at_twenty() {
        let mut text = String::from("time,channel,value\n");
        for _ in 0..30 {
            text.push_str("x,ls.ppo2,1\n");
        }
        let Err(PlaybackError::Rows { problems, .. }) = parse(&text, "r", &dictionary()) else {
            panic!("refused");
        };
        assert_eq!(problems.len(), 21);
        assert_eq!(problems[20], "and 10 more");
    }

    #[test]
    fn speed_pause_and_seek_steer_what_is_handed_out() {
        let samples: Vec<Sample> = (0..100)
            .map(|i| Sample {
                channel: 0,
                t: 1000.0 + f64::from(i),
                value: f64::from(i),
            })
            .collect();
        let mut p = Playback::new("rec", samples);
        #[allow(clippy::cast_possible_truncation, reason = "whole test seconds")]
        let wall = |s: f64| DateTime::<Utc>::from_timestamp_micros((s * 1e6) as i64).unwrap();
        let mut out = Vec::new();
        p.poll(wall(50.0), &mut out);
        assert_eq!(out.len(), 1, "the first sample at once");
        p.poll(wall(60.0), &mut out);
        assert_eq!(out.len(), 11, "ten seconds at 1×");
        p.set_speed(5.0, 60.0);
        p.poll(wall(62.0), &mut out);
        assert_eq!(out.len(), 21, "two seconds at 5×");
        p.set_paused(true, 62.0);
        p.poll(wall(100.0), &mut out);
        assert_eq!(out.len(), 21, "paused");
        p.set_paused(false, 100.0);
        p.seek(1090.0, 100.0);
        out.clear();
        p.poll(wall(100.0), &mut out);
        assert_eq!(out.first().map(|s| s.t), Some(1090.0));
        p.poll(wall(200.0), &mut out);
        assert!(p.finished());
    }
}
