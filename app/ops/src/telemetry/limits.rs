//! Limit checking: which band a value is in, with persistence (a state rises only after N
//! consecutive samples beyond it), hysteresis (it falls only once the value is back inside by
//! the deadband) and a rate-of-change check.

use super::dictionary::{Band, Channel, Limits};

/// How far out of limits a value is, in rising order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Severity {
    /// Inside every band.
    #[default]
    Normal,
    /// Outside the watch band: advisory.
    Watch,
    /// Outside the warning band: an alarm.
    Warning,
    /// Outside the critical band: an alarm to act on now.
    Critical,
}

impl Severity {
    /// The word on screen.
    pub fn label(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Watch => "watch",
            Self::Warning => "WARNING",
            Self::Critical => "CRITICAL",
        }
    }

    /// The severity whose [`Severity::label`] is `word`.
    pub fn from_label(word: &str) -> Option<Self> {
        [Self::Normal, Self::Watch, Self::Warning, Self::Critical]
            .into_iter()
            .find(|s| s.label() == word)
    }

    /// Whether it raises an alarm.
    pub fn alarms(self) -> bool {
        self >= Self::Warning
    }
}

/// Which limit was crossed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Breach {
    /// Below a low limit.
    Low(f64),
    /// Above a high limit.
    High(f64),
    /// Changing faster than the rate limit (the rate seen, per second).
    Rate(f64),
}

impl std::fmt::Display for Breach {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Low(limit) => write!(f, "below {limit}"),
            Self::High(limit) => write!(f, "above {limit}"),
            Self::Rate(rate) => write!(f, "changing {rate:+.3}/s, past its rate limit"),
        }
    }
}

/// The limit state of one channel, carried from sample to sample.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LimitState {
    /// The state in force.
    pub severity: Severity,
    /// The limit behind it, when not normal.
    pub breach: Option<Breach>,
    /// The state the last samples point to, and how many in a row have.
    pending: (Severity, u32),
    last: Option<(f64, f64)>,
}

/// The severity of `value` against `limits`, with the bands moved `inward` toward normal (a
/// positive `inward` makes it easier to stay out, for hysteresis).
fn classify(value: f64, limits: &Limits, inward: f64) -> (Severity, Option<Breach>) {
    let outside = |band: &Band| -> Option<Breach> {
        if let Some(low) = band.low
            && value < low + inward
        {
            return Some(Breach::Low(low));
        }
        if let Some(high) = band.high
            && value > high - inward
        {
            return Some(Breach::High(high));
        }
        None
    };
    for (severity, band) in [
        (Severity::Critical, &limits.critical),
        (Severity::Warning, &limits.warning),
        (Severity::Watch, &limits.watch),
    ] {
        if let Some(breach) = outside(band) {
            return (severity, Some(breach));
        }
    }
    (Severity::Normal, None)
}

impl LimitState {
    /// Takes the sample `value` at `t` seconds and returns the state in force after it.
    pub fn update(&mut self, channel: &Channel, t: f64, value: f64) -> Severity {
        if !value.is_finite() {
            // A sensor reading of NaN or infinity is not a value: it holds the state.
            return self.severity;
        }
        let (mut raw, mut breach) = classify(value, &channel.limits, 0.0);
        if let (Some(limit), Some((t0, v0))) = (channel.rate_limit_per_s, self.last)
            && t > t0
        {
            let rate = (value - v0) / (t - t0);
            if rate.abs() > limit && raw < Severity::Warning {
                raw = Severity::Warning;
                breach = Some(Breach::Rate(rate));
            }
        }
        self.last = Some((t, value));

        if raw > self.severity {
            // Rising needs `persistence` samples in a row at or beyond a higher state; it
            // rises to the lowest severity all of them reached.
            let (pending, count) = self.pending;
            self.pending = if pending > self.severity {
                (pending.min(raw), count + 1)
            } else {
                (raw, 1)
            };
            if self.pending.1 >= channel.persistence {
                self.severity = self.pending.0;
                self.breach = breach;
                self.pending = (Severity::Normal, 0);
            }
        } else {
            self.pending = (Severity::Normal, 0);
            if raw < self.severity {
                // Falling needs the value back inside by the deadband.
                let (held, held_breach) = classify(value, &channel.limits, channel.limits.deadband);
                if held < self.severity {
                    self.severity = held.max(raw);
                    self.breach = if self.severity == held {
                        held_breach
                    } else {
                        breach
                    };
                }
            } else if raw == self.severity && breach.is_some() {
                self.breach = breach;
            }
        }
        self.severity
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::dictionary::{SimModel, Subsystem};

    fn channel(persistence: u32, rate: Option<f64>) -> Channel {
        Channel {
            id: "t".into(),
            subsystem: Subsystem::Power,
            description: "test".into(),
            unit: "V".into(),
            limits: Limits {
                watch: Band {
                    low: Some(26.0),
                    high: Some(30.0),
                },
                warning: Band {
                    low: Some(25.0),
                    high: Some(31.0),
                },
                critical: Band {
                    low: Some(24.0),
                    high: Some(32.0),
                },
                deadband: 0.2,
            },
            persistence,
            rate_limit_per_s: rate,
            key: false,
            seat: None,
            sim: SimModel::default(),
        }
    }

    fn run(channel: &Channel, values: &[f64]) -> Vec<Severity> {
        let mut state = LimitState::default();
        values
            .iter()
            .enumerate()
            .map(|(i, v)| state.update(channel, i as f64, *v))
            .collect()
    }

    use Severity::{Critical, Normal, Warning, Watch};

    #[test]
    fn each_band_is_entered_past_its_limit_not_on_it() {
        let c = channel(1, None);
        assert_eq!(
            run(&c, &[28.0, 30.0, 30.01]),
            [Normal, Normal, Watch],
            "a value on the limit is inside"
        );
        assert_eq!(run(&c, &[31.5]), [Warning]);
        assert_eq!(run(&c, &[32.5]), [Critical]);
        assert_eq!(run(&c, &[23.9]), [Critical]);
        let mut state = LimitState::default();
        state.update(&c, 0.0, 24.5);
        assert_eq!(state.breach, Some(Breach::Low(25.0)));
    }

    #[test]
    fn persistence_filters_a_single_spike_and_rises_after_n_in_a_row() {
        let c = channel(3, None);
        assert_eq!(
            run(&c, &[28.0, 33.0, 28.0, 33.0, 33.0, 28.0]),
            [Normal; 6],
            "never three in a row"
        );
        assert_eq!(run(&c, &[33.0, 33.0, 33.0]), [Normal, Normal, Critical]);
        // Three out of limits, the lowest of them a warning: it rises to warning.
        assert_eq!(
            run(&c, &[33.0, 31.5, 33.0, 33.0]),
            [Normal, Normal, Warning, Warning]
        );
    }

    #[test]
    fn hysteresis_holds_a_state_until_the_value_is_back_by_the_deadband() {
        let c = channel(1, None);
        assert_eq!(
            run(&c, &[31.5, 30.9, 30.85, 30.79, 29.9, 29.7]),
            [Warning, Warning, Warning, Watch, Watch, Normal],
            "warning high 31 clears below 30.8; watch high 30 below 29.8"
        );
        // Falling straight from critical to normal when the value drops far.
        assert_eq!(run(&c, &[33.0, 28.0]), [Critical, Normal]);
    }

    #[test]
    fn a_change_faster_than_the_rate_limit_is_a_warning_until_it_settles() {
        let c = channel(1, Some(0.5));
        assert_eq!(
            run(&c, &[28.0, 28.3, 29.5, 29.6, 29.6]),
            [Normal, Normal, Warning, Normal, Normal]
        );
        let mut state = LimitState::default();
        state.update(&c, 0.0, 28.0);
        state.update(&c, 1.0, 27.0);
        assert_eq!(state.breach, Some(Breach::Rate(-1.0)));
    }

    #[test]
    fn a_value_that_is_not_a_number_holds_the_state() {
        let c = channel(1, None);
        assert_eq!(
            run(&c, &[31.5, f64::NAN, f64::INFINITY]),
            [Warning, Warning, Warning]
        );
    }
}
