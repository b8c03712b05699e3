//! Numbers and times as a tired controller reads them at 3 a.m.

use chrono::{DateTime, Utc};

/// `1.4 MiB`, `512 B`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// `2026-11-22 14:30 UTC`.
pub fn utc_minutes(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `2026-11-22 14:30:05 UTC`.
pub fn utc_seconds(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// Time to an event: `T-2d 03h`, `T-04h 10m`, `T-09m`, or `T+…` once past.
pub fn countdown(event: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let delta = event - now;
    let sign = if delta.num_seconds() >= 0 { '-' } else { '+' };
    let total_minutes = delta.num_minutes().abs();
    let (days, hours, minutes) = (
        total_minutes / (24 * 60),
        (total_minutes / 60) % 24,
        total_minutes % 60,
    );
    if days > 0 {
        format!("T{sign}{days}d {hours:02}h")
    } else if hours > 0 {
        format!("T{sign}{hours:02}h {minutes:02}m")
    } else {
        format!("T{sign}{minutes:02}m")
    }
}

/// How long until something the console will do by itself: `in 23 s`, `in 4 min 10 s`,
/// `in 2 h 05 min`, or `now` once due.
pub fn due_in(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (at - now).num_seconds();
    if seconds <= 0 {
        return "now".to_owned();
    }
    let (hours, minutes, secs) = (seconds / 3_600, (seconds / 60) % 60, seconds % 60);
    if hours > 0 {
        format!("in {hours} h {minutes:02} min")
    } else if minutes > 0 {
        format!("in {minutes} min {secs:02} s")
    } else {
        format!("in {secs} s")
    }
}

/// The time of day of a stored time, to the second (`14:03:27`); the text as it is when it
/// is not a time.
pub fn time_of_day(at: &str) -> String {
    galaxium_sync::time::parse(at)
        .map_or_else(|| at.to_owned(), |t| t.format("%H:%M:%S").to_string())
}

/// Time to an event to the second, as a contact countdown reads: `04:09`, `1:02:03`,
/// `2d 03:04:05`; negative once past.
pub fn clock(event: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (event - now).num_seconds();
    let sign = if seconds < 0 { "-" } else { "" };
    let s = seconds.abs();
    let (days, hours, minutes, secs) = (s / 86_400, (s / 3_600) % 24, (s / 60) % 60, s % 60);
    if days > 0 {
        format!("{sign}{days}d {hours:02}:{minutes:02}:{secs:02}")
    } else if hours > 0 {
        format!("{sign}{hours}:{minutes:02}:{secs:02}")
    } else {
        format!("{sign}{minutes:02}:{secs:02}")
    }
}

/// `12:34:56 UTC`.
pub fn utc_time(t: DateTime<Utc>) -> String {
    t.format("%H:%M:%S UTC").to_string()
}

/// How long ago `then` was: `12 s`, `4 min`, `2 h 05 min`, `3 d 04 h`.
pub fn ago(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - then).num_seconds().max(0);
    match seconds {
        0..60 => format!("{seconds} s"),
        60..3_600 => format!("{} min", seconds / 60),
        3_600..86_400 => format!("{} h {:02} min", seconds / 3_600, (seconds % 3_600) / 60),
        _ => format!("{} d {:02} h", seconds / 86_400, (seconds % 86_400) / 3_600),
    }
}

/// Parses an RFC 3339 time stored in the replica.
pub fn parse_utc(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(3 * 1024 * 1024), "3.0 MiB");
    }

    #[test]
    fn ages_read_in_the_largest_sensible_unit() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let before = |s: i64| now - chrono::Duration::seconds(s);
        assert_eq!(ago(before(12), now), "12 s");
        assert_eq!(ago(before(240), now), "4 min");
        assert_eq!(ago(before(7_500), now), "2 h 05 min");
        assert_eq!(ago(before(3 * 86_400 + 4 * 3_600), now), "3 d 04 h");
        assert_eq!(ago(now + chrono::Duration::seconds(5), now), "0 s");
    }

    #[test]
    fn clocks_count_seconds() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let at = |s: i64| now + chrono::Duration::seconds(s);
        assert_eq!(clock(at(249), now), "04:09");
        assert_eq!(clock(at(3_723), now), "1:02:03");
        assert_eq!(
            clock(at(2 * 86_400 + 3 * 3_600 + 4 * 60 + 5), now),
            "2d 03:04:05"
        );
        assert_eq!(clock(at(-65), now), "-01:05");
    }

    #[test]
    fn a_wait_under_a_minute_reads_in_seconds_never_as_zero_minutes() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        assert_eq!(due_in(now + chrono::Duration::seconds(23), now), "in 23 s");
        assert_eq!(
            due_in(now + chrono::Duration::seconds(250), now),
            "in 4 min 10 s"
        );
        assert_eq!(
            due_in(now + chrono::Duration::minutes(125), now),
            "in 2 h 05 min"
        );
        assert_eq!(due_in(now - chrono::Duration::seconds(2), now), "now");
    }

    #[test]
    fn countdowns_pick_the_two_units_that_matter() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let at = |d: i64, h: i64, m: i64| now + chrono::Duration::minutes(d * 1440 + h * 60 + m);
        assert_eq!(countdown(at(2, 3, 10), now), "T-2d 03h");
        assert_eq!(countdown(at(0, 4, 10), now), "T-04h 10m");
        assert_eq!(countdown(at(0, 0, 9), now), "T-09m");
        assert_eq!(countdown(at(0, -1, -5), now), "T+01h 05m");
    }
}
