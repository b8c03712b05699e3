//! The audible alarm: which tone the alarms call for and the operator's mute. The console's
//! player (`galaxium::tone`) makes the sound; nothing here touches a sound device.
//!
//! The patterns follow the spirit of IEC 60601-1-8: a critical alarm sounds five quick
//! high pulses every 10 s, a warning three slower, lower ones every 25 s. Only alarms still out
//! of limits and not yet acknowledged (nor shelved) sound; acknowledging silences them.
//! Muting silences the console until unmuted, and the banner says so; a critical alarm raised
//! after the mute sounds anyway, so a mute cannot hide a new emergency.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::alarms::{AlarmBoard, AlarmState};
use super::limits::Severity;

/// A tone the console can sound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TonePattern {
    /// An unacknowledged warning.
    Warning,
    /// An unacknowledged critical alarm.
    Critical,
}

impl TonePattern {
    /// Pulses as (frequency Hz, on, off), then the pause before it repeats.
    pub fn pulses(self) -> (&'static [(f32, u64, u64)], Duration) {
        match self {
            Self::Critical => (
                &[
                    (988.0, 150, 100),
                    (988.0, 150, 100),
                    (988.0, 150, 400),
                    (988.0, 150, 100),
                    (988.0, 150, 100),
                ],
                Duration::from_secs(10),
            ),
            Self::Warning => (
                &[(660.0, 200, 200), (660.0, 200, 200), (660.0, 200, 200)],
                Duration::from_secs(25),
            ),
        }
    }

    /// The words on screen.
    pub fn label(self) -> &'static str {
        match self {
            Self::Warning => "warning tone",
            Self::Critical => "critical tone",
        }
    }
}

/// The tone the board calls for at `now`: the worst unacknowledged alarm still out of limits
/// and not shelved.
pub fn wanted(board: &AlarmBoard, now: DateTime<Utc>) -> Option<TonePattern> {
    board
        .alarms()
        .into_iter()
        .filter(|a| a.state == AlarmState::UnackActive && a.in_banner(now))
        .map(|a| a.severity)
        .max()
        .and_then(|worst| match worst {
            Severity::Critical => Some(TonePattern::Critical),
            Severity::Warning => Some(TonePattern::Warning),
            Severity::Watch | Severity::Normal => None,
        })
}

/// The operator's mute.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToneControl {
    /// Muted, with the critical alarms that were sounding then (they stay silent).
    muted: Option<BTreeSet<String>>,
}

impl ToneControl {
    /// Whether the tone is muted.
    pub fn muted(&self) -> bool {
        self.muted.is_some()
    }

    /// Mutes (remembering which critical alarms were sounding) or unmutes.
    pub fn set_muted(&mut self, muted: bool, board: &AlarmBoard) {
        self.muted = muted.then(|| unacknowledged_critical(board));
    }

    /// What to sound now. A critical alarm that was not sounding when the tone was muted ends
    /// the mute.
    pub fn decide(&mut self, board: &AlarmBoard, now: DateTime<Utc>) -> Option<TonePattern> {
        let wanted = wanted(board, now);
        if let Some(silenced) = &self.muted {
            let new_critical = unacknowledged_critical(board)
                .iter()
                .any(|channel| !silenced.contains(channel));
            if !new_critical {
                return None;
            }
            self.muted = None;
        }
        wanted
    }
}

fn unacknowledged_critical(board: &AlarmBoard) -> BTreeSet<String> {
    board
        .alarms()
        .into_iter()
        .filter(|a| a.state == AlarmState::UnackActive && a.severity == Severity::Critical)
        .map(|a| a.channel.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::alarms::change;
    use crate::telemetry::limits::Breach;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::seconds(s)
    }

    fn raise(board: &mut AlarmBoard, channel: &str, severity: Severity, at: i64) {
        board.update(
            channel,
            change(t(at), 1.0, severity, Some(Breach::High(0.5)), false),
        );
    }

    #[test]
    fn the_worst_unacknowledged_active_alarm_picks_the_tone() {
        let mut board = AlarmBoard::default();
        assert_eq!(wanted(&board, t(0)), None);
        raise(&mut board, "a", Severity::Watch, 0);
        assert_eq!(wanted(&board, t(0)), None);
        raise(&mut board, "b", Severity::Warning, 0);
        assert_eq!(wanted(&board, t(0)), Some(TonePattern::Warning));
        raise(&mut board, "c", Severity::Critical, 1);
        assert_eq!(wanted(&board, t(1)), Some(TonePattern::Critical));
        board.acknowledge("c", "op", "on it", t(2)).unwrap();
        assert_eq!(wanted(&board, t(2)), Some(TonePattern::Warning));
        board.shelve("b", "op", t(3 + 30 * 60), t(3)).unwrap();
        assert_eq!(wanted(&board, t(3)), None);
        // Shelving ends: it sounds again.
        assert_eq!(wanted(&board, t(3 + 31 * 60)), Some(TonePattern::Warning));
    }

    #[test]
    fn a_mute_holds_until_a_new_critical_alarm() {
        let mut board = AlarmBoard::default();
        let mut control = ToneControl::default();
        raise(&mut board, "ls.ppco2", Severity::Critical, 0);
        assert_eq!(control.decide(&board, t(0)), Some(TonePattern::Critical));
        control.set_muted(true, &board);
        assert!(control.muted());
        assert_eq!(control.decide(&board, t(1)), None);
        // A new warning does not end the mute; a new critical alarm does.
        raise(&mut board, "pwr.bus_voltage", Severity::Warning, 2);
        assert_eq!(control.decide(&board, t(2)), None);
        assert!(control.muted());
        raise(&mut board, "ls.cabin_pressure", Severity::Critical, 3);
        assert_eq!(control.decide(&board, t(3)), Some(TonePattern::Critical));
        assert!(!control.muted());
    }
}
