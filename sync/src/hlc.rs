//! A hybrid logical clock: timestamps that follow wall time when clocks agree, never go
//! backwards, and still order every edit when a console's clock is wrong.
//!
//! Encoded as fixed-width text (`{wall_ms:015}-{counter:06}-{device}`), so text order is
//! clock order and SQLite can compare them directly.

use std::fmt;
use std::str::FromStr;

/// One timestamp.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hlc {
    /// Milliseconds since the Unix epoch (the largest wall time seen).
    pub wall_ms: u64,
    /// Orders events within the same millisecond.
    pub counter: u32,
    /// The device that made it; breaks the last ties.
    pub device: String,
}

/// Why a timestamp could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a clock timestamp: {reason}")]
pub struct HlcParseError {
    text: String,
    reason: &'static str,
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:015}-{:06}-{}",
            self.wall_ms, self.counter, self.device
        )
    }
}

impl FromStr for Hlc {
    type Err = HlcParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let fail = |reason| HlcParseError {
            text: text.to_owned(),
            reason,
        };
        let mut parts = text.splitn(3, '-');
        let wall = parts.next().ok_or_else(|| fail("empty"))?;
        let counter = parts.next().ok_or_else(|| fail("no counter"))?;
        let device = parts.next().ok_or_else(|| fail("no device"))?;
        if wall.len() != 15 || counter.len() != 6 || device.is_empty() {
            return Err(fail("wrong field widths"));
        }
        Ok(Self {
            wall_ms: wall
                .parse()
                .map_err(|_| fail("wall time is not a number"))?,
            counter: counter
                .parse()
                .map_err(|_| fail("counter is not a number"))?,
            device: device.to_owned(),
        })
    }
}

/// The largest counter a timestamp's six digits hold.
const MAX_COUNTER: u32 = 999_999;

/// The clock of one device.
#[derive(Debug, Clone)]
pub struct HlcClock {
    last: Hlc,
}

impl HlcClock {
    /// A clock for `device`, continuing after `last` (the newest timestamp it issued or saw).
    pub fn new(device: &str, last: Option<Hlc>) -> Self {
        let mut last = last.unwrap_or(Hlc {
            wall_ms: 0,
            counter: 0,
            device: String::new(),
        });
        device.clone_into(&mut last.device);
        Self { last }
    }

    /// A timestamp for a local event at wall time `now_ms`, later than every one before.
    pub fn tick(&mut self, now_ms: u64) -> Hlc {
        if now_ms > self.last.wall_ms {
            self.last.wall_ms = now_ms;
            self.last.counter = 0;
        } else {
            self.last.counter += 1;
        }
        self.carry();
        self.last.clone()
    }

    /// A counter past its six digits moves into the next millisecond, so every timestamp
    /// stays one that can be written and read.
    fn carry(&mut self) {
        if self.last.counter > MAX_COUNTER {
            self.last.wall_ms += 1;
            self.last.counter = 0;
        }
    }

    /// Takes in a timestamp from elsewhere, so the next local one comes after it.
    ///
    /// A remote time further ahead of `now_ms` than [`crate::protocol::MAX_CLOCK_AHEAD`]
    /// counts only as far as that: one console with a wrong clock must not carry every
    /// other console's clock into the future with it.
    pub fn observe(&mut self, remote: &Hlc, now_ms: u64) {
        let ceiling = now_ms.saturating_add(
            u64::try_from(crate::protocol::MAX_CLOCK_AHEAD.as_millis()).unwrap_or(u64::MAX),
        );
        let remote = &Hlc {
            wall_ms: remote.wall_ms.min(ceiling),
            counter: if remote.wall_ms > ceiling {
                0
            } else {
                remote.counter
            },
            device: String::new(),
        };
        let wall = now_ms.max(self.last.wall_ms).max(remote.wall_ms);
        let counter = if wall == self.last.wall_ms && wall == remote.wall_ms {
            self.last.counter.max(remote.counter) + 1
        } else if wall == self.last.wall_ms {
            self.last.counter + 1
        } else if wall == remote.wall_ms {
            remote.counter + 1
        } else {
            0
        };
        self.last.wall_ms = wall;
        self.last.counter = counter;
        self.carry();
    }

    /// Moves the clock up to `seen` if it is newer, without issuing a timestamp (another
    /// connection to the same replica may have seen later times).
    pub fn catch_up(&mut self, seen: &Hlc) {
        if (seen.wall_ms, seen.counter) > (self.last.wall_ms, self.last.counter) {
            self.last.wall_ms = seen.wall_ms;
            self.last.counter = seen.counter;
        }
    }

    /// The newest timestamp issued or seen.
    pub fn last(&self) -> &Hlc {
        &self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_order_is_clock_order_and_round_trips() {
        let a = Hlc {
            wall_ms: 1_700_000_000_000,
            counter: 2,
            device: "a".into(),
        };
        let b = Hlc {
            wall_ms: 1_700_000_000_000,
            counter: 10,
            device: "a".into(),
        };
        assert!(a < b);
        assert!(a.to_string() < b.to_string());
        assert_eq!(a.to_string().parse::<Hlc>().unwrap(), a);
    }

    #[test]
    fn ticks_never_go_backwards_even_when_the_wall_clock_does() {
        let mut clock = HlcClock::new("dev", None);
        let first = clock.tick(5_000);
        let second = clock.tick(4_000);
        let third = clock.tick(4_000);
        assert!(first < second && second < third);
    }

    #[test]
    fn after_observing_a_remote_stamp_local_ones_come_later() {
        let mut clock = HlcClock::new("dev", None);
        clock.tick(1_000);
        let remote = Hlc {
            wall_ms: 9_000,
            counter: 7,
            device: "other".into(),
        };
        clock.observe(&remote, 2_000);
        let next = clock.tick(2_000);
        assert!(next > remote, "{next} should follow {remote}");
    }

    #[test]
    fn malformed_stamps_are_refused_with_the_reason() {
        let err = "12-3".parse::<Hlc>().unwrap_err();
        assert!(err.to_string().contains("no device"), "{err}");
        assert!("x".repeat(15).parse::<Hlc>().is_err());
    }
}
