//! Alarms with the ISA-18.2 lifecycle. A channel's limit state at warning or above raises an
//! alarm; it stays until an operator has acknowledged it *and* the value has returned:
//!
//! ```text
//!   normal ──raise──▶ unacknowledged, active ──acknowledge──▶ acknowledged, active
//!                         │ clear                                   │ clear
//!                         ▼                                         ▼
//!                   unacknowledged, cleared (latched) ──acknowledge──▶ normal
//! ```
//!
//! An alarm can be shelved until a time (it leaves the banner, and comes back when the shelf
//! expires), and alarms of a channel are suppressed while a loss of signal is predicted (the
//! value is expected to be bad). Every transition is logged.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::limits::{Breach, Severity};

/// Where an alarm is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlarmState {
    /// Out of limits and not yet acknowledged.
    UnackActive,
    /// Out of limits, acknowledged.
    AckActive,
    /// Back in limits but not yet acknowledged: latched so nobody misses it.
    UnackCleared,
}

impl AlarmState {
    /// The words on screen.
    pub fn label(self) -> &'static str {
        match self {
            Self::UnackActive => "unacknowledged",
            Self::AckActive => "acknowledged",
            Self::UnackCleared => "cleared, unacknowledged",
        }
    }
}

/// One channel's alarm.
#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    /// The channel.
    pub channel: String,
    /// The highest severity reached since it was raised.
    pub severity: Severity,
    /// Where it is in its lifecycle.
    pub state: AlarmState,
    /// When it was raised.
    pub raised_at: DateTime<Utc>,
    /// The value that raised it, or the latest while active.
    pub value: f64,
    /// The limit it crossed.
    pub breach: Option<Breach>,
    /// Shelved until this time: out of the banner.
    pub shelved_until: Option<DateTime<Utc>>,
    /// Who acknowledged it and what they said.
    pub acknowledged: Option<(String, String)>,
    /// Raised by a drill: not the vehicle's, and never to be taken for it.
    pub drill: bool,
    /// For an alarm no limit raised (a command whose verifier failed): what happened, shown
    /// in place of the value.
    pub what: Option<String>,
}

impl Alarm {
    /// Whether it belongs in the banner at `now`.
    pub fn in_banner(&self, now: DateTime<Utc>) -> bool {
        self.shelved_until.is_none_or(|until| until <= now)
    }

    /// Whether the value is still out of limits.
    pub fn active(&self) -> bool {
        self.state != AlarmState::UnackCleared
    }
}

/// What happened, for the event log.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmEvent {
    /// When.
    pub at: DateTime<Utc>,
    /// The channel.
    pub channel: String,
    /// What happened, in words.
    pub what: String,
    /// The severity at the time.
    pub severity: Severity,
    /// About a drill's alarm.
    pub drill: bool,
}

/// A channel's limit state after a sample, for [`AlarmBoard::update`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Change {
    /// When the sample was measured.
    pub at: DateTime<Utc>,
    /// Its value.
    pub value: f64,
    /// The limit state it puts the channel in.
    pub severity: Severity,
    /// The limit it crosses, if any.
    pub breach: Option<Breach>,
    /// A loss of signal is predicted for the channel: no new alarm is raised (an existing
    /// one follows the value).
    pub suppressed: bool,
    /// A drill is playing on the channel.
    pub drill: bool,
}

/// A change of an operational (not drill) channel, for tests.
#[cfg(test)]
pub(crate) fn change(
    at: DateTime<Utc>,
    value: f64,
    severity: Severity,
    breach: Option<Breach>,
    suppressed: bool,
) -> Change {
    Change {
        at,
        value,
        severity,
        breach,
        suppressed,
        drill: false,
    }
}

/// Every alarm and the log of what happened to them.
#[derive(Debug, Default)]
pub struct AlarmBoard {
    alarms: BTreeMap<String, Alarm>,
    log: Vec<AlarmEvent>,
}

/// Why an operator action on an alarm was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlarmError {
    /// No alarm on that channel.
    #[error("{0} has no alarm")]
    NoAlarm(String),
    /// Acknowledging takes a comment.
    #[error("say why in the comment: an acknowledgement is logged with its reason")]
    NoComment,
    /// It is already acknowledged.
    #[error("{0} is already acknowledged")]
    AlreadyAcknowledged(String),
}

impl AlarmBoard {
    /// Takes a channel's limit state after a sample.
    pub fn update(&mut self, channel: &str, change: Change) {
        let Change {
            at,
            value,
            severity,
            breach,
            suppressed,
            drill,
        } = change;
        let out = severity.alarms();
        match self.alarms.get_mut(channel) {
            None if out && suppressed => {}
            None if out => {
                self.alarms.insert(
                    channel.to_owned(),
                    Alarm {
                        channel: channel.to_owned(),
                        severity,
                        state: AlarmState::UnackActive,
                        raised_at: at,
                        value,
                        breach,
                        shelved_until: None,
                        acknowledged: None,
                        drill,
                        what: None,
                    },
                );
                self.record(
                    at,
                    channel,
                    severity,
                    match breach {
                        Some(b) => format!("{} raised: {value:.3}, {b}", severity.label()),
                        None => format!("{} raised: {value:.3}", severity.label()),
                    },
                );
            }
            None => {}
            Some(alarm) => {
                if out {
                    alarm.value = value;
                    if severity > alarm.severity {
                        alarm.severity = severity;
                        // Worse than what was acknowledged: it needs acknowledging again.
                        alarm.state = AlarmState::UnackActive;
                        alarm.breach = breach;
                        let what = format!("rose to {}: {value:.3}", severity.label());
                        self.record(at, channel, severity, what);
                    } else if alarm.state == AlarmState::UnackCleared {
                        alarm.state = AlarmState::UnackActive;
                        let what = format!("out of limits again: {value:.3}");
                        self.record(at, channel, severity, what);
                    }
                } else {
                    match alarm.state {
                        AlarmState::UnackActive => {
                            alarm.state = AlarmState::UnackCleared;
                            let severity = alarm.severity;
                            let what =
                                format!("back in limits ({value:.3}), latched until acknowledged");
                            self.record(at, channel, severity, what);
                        }
                        AlarmState::AckActive => {
                            let severity = alarm.severity;
                            self.alarms.remove(channel);
                            let what = format!("cleared: back in limits ({value:.3})");
                            self.record(at, channel, severity, what);
                        }
                        AlarmState::UnackCleared => {}
                    }
                }
            }
        }
    }

    /// Raises an alarm that no limit raised, under `key` (a command's name): latched until
    /// acknowledged, as an alarm whose value is back in limits is, since there is nothing to
    /// clear. `value` is the value last seen of the channel concerned.
    pub fn raise_event(
        &mut self,
        key: &str,
        severity: Severity,
        what: String,
        value: f64,
        at: DateTime<Utc>,
    ) {
        let logged = format!("{} raised: {what}", severity.label());
        self.alarms.insert(
            key.to_owned(),
            Alarm {
                channel: key.to_owned(),
                severity,
                state: AlarmState::UnackCleared,
                raised_at: at,
                value,
                breach: None,
                shelved_until: None,
                acknowledged: None,
                drill: false,
                what: Some(what),
            },
        );
        self.record(at, key, severity, logged);
    }

    /// Acknowledges `channel`'s alarm as `user` with `comment`.
    pub fn acknowledge(
        &mut self,
        channel: &str,
        user: &str,
        comment: &str,
        at: DateTime<Utc>,
    ) -> Result<(), AlarmError> {
        let comment = comment.trim();
        if comment.is_empty() {
            return Err(AlarmError::NoComment);
        }
        let alarm = self
            .alarms
            .get(channel)
            .ok_or_else(|| AlarmError::NoAlarm(channel.to_owned()))?;
        if alarm.state == AlarmState::AckActive {
            return Err(AlarmError::AlreadyAcknowledged(channel.to_owned()));
        }
        self.mark_acknowledged(channel, user, comment, at, "");
        Ok(())
    }

    /// Takes an acknowledgement made at another console: an alarm here that was raised by
    /// then and is not yet acknowledged is acknowledged (logged with who, and that it came
    /// from elsewhere); `false` when there is nothing here for it.
    pub fn acknowledge_from_elsewhere(
        &mut self,
        channel: &str,
        user: &str,
        comment: &str,
        at: DateTime<Utc>,
    ) -> bool {
        let waiting = self
            .alarms
            .get(channel)
            .is_some_and(|a| a.raised_at <= at && a.state != AlarmState::AckActive);
        if waiting {
            self.mark_acknowledged(channel, user, comment, at, " at another console");
        }
        waiting
    }

    /// Moves an unacknowledged alarm on (active: acknowledged; cleared: gone) and logs who
    /// did it, `where_` saying where when it was not here.
    fn mark_acknowledged(
        &mut self,
        channel: &str,
        user: &str,
        comment: &str,
        at: DateTime<Utc>,
        where_: &str,
    ) {
        let Some(alarm) = self.alarms.get_mut(channel) else {
            return;
        };
        let severity = alarm.severity;
        if alarm.state == AlarmState::UnackCleared {
            self.alarms.remove(channel);
        } else {
            alarm.state = AlarmState::AckActive;
            alarm.acknowledged = Some((user.to_owned(), comment.to_owned()));
        }
        self.record(
            at,
            channel,
            severity,
            format!("acknowledged by {user}{where_}: {comment}"),
        );
    }

    /// Shelves `channel`'s alarm until `until`.
    pub fn shelve(
        &mut self,
        channel: &str,
        user: &str,
        until: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<(), AlarmError> {
        let alarm = self
            .alarms
            .get_mut(channel)
            .ok_or_else(|| AlarmError::NoAlarm(channel.to_owned()))?;
        alarm.shelved_until = Some(until);
        let severity = alarm.severity;
        let what = format!("shelved by {user} until {}", until.format("%H:%M:%S UTC"));
        self.record(at, channel, severity, what);
        Ok(())
    }

    /// Logs an operator action that is not about one alarm (a mute, a source switch).
    pub fn note(&mut self, at: DateTime<Utc>, what: String) {
        self.record(at, "", Severity::Normal, what);
    }

    /// Logs the start or end of a drill: marked as the drill's.
    pub fn note_drill(&mut self, at: DateTime<Utc>, what: String) {
        self.record(at, "", Severity::Normal, what);
        if let Some(last) = self.log.last_mut() {
            last.drill = true;
        }
    }

    fn record(&mut self, at: DateTime<Utc>, channel: &str, severity: Severity, what: String) {
        let drill = self.alarms.get(channel).is_some_and(|a| a.drill);
        tracing::info!(channel, severity = severity.label(), drill, "{what}");
        self.log.push(AlarmEvent {
            at,
            channel: channel.to_owned(),
            what,
            severity,
            drill,
        });
    }

    /// Every alarm: the vehicle's before a drill's (a drill never hides a real alarm), then
    /// worst first, unacknowledged first, oldest first.
    pub fn alarms(&self) -> Vec<&Alarm> {
        let mut alarms: Vec<&Alarm> = self.alarms.values().collect();
        alarms.sort_by(|a, b| {
            a.drill
                .cmp(&b.drill)
                .then(b.severity.cmp(&a.severity))
                .then(
                    (a.state != AlarmState::UnackActive).cmp(&(b.state != AlarmState::UnackActive)),
                )
                .then(a.raised_at.cmp(&b.raised_at))
        });
        alarms
    }

    /// The alarm on `channel`, if any.
    pub fn get(&self, channel: &str) -> Option<&Alarm> {
        self.alarms.get(channel)
    }

    /// Puts what was logged before this board (an earlier run of the console, read back from
    /// the replica) in front of its log.
    pub fn restore_log(&mut self, earlier: Vec<AlarmEvent>) {
        let now = std::mem::replace(&mut self.log, earlier);
        self.log.extend(now);
    }

    /// The log, oldest first.
    pub fn log(&self) -> &[AlarmEvent] {
        &self.log
    }

    /// How many alarms want acknowledging, and the worst of them.
    pub fn unacknowledged(&self) -> (usize, Severity) {
        self.alarms
            .values()
            .filter(|a| a.state != AlarmState::AckActive)
            .fold((0, Severity::Normal), |(n, worst), a| {
                (n + 1, worst.max(a.severity))
            })
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::seconds(s)
    }

    fn board_with_alarm() -> AlarmBoard {
        let mut board = AlarmBoard::default();
        board.update(
            "ls.ppco2",
            change(
                t(0),
                0.7,
                Severity::Warning,
                Some(Breach::High(0.67)),
                false,
            ),
        );
        board
    }

    #[test]
    fn an_alarm_is_latched_until_acknowledged_and_cleared() {
        let mut board = board_with_alarm();
        assert_eq!(
            board.get("ls.ppco2").unwrap().state,
            AlarmState::UnackActive
        );
        // Back in limits: still there, latched.
        board.update("ls.ppco2", change(t(1), 0.5, Severity::Normal, None, false));
        assert_eq!(
            board.get("ls.ppco2").unwrap().state,
            AlarmState::UnackCleared
        );
        assert_eq!(board.unacknowledged(), (1, Severity::Warning));
        // Acknowledged after it cleared: gone.
        board
            .acknowledge("ls.ppco2", "flight", "scrubber swapped", t(2))
            .unwrap();
        assert!(board.get("ls.ppco2").is_none());
        let log: Vec<&str> = board.log().iter().map(|e| e.what.as_str()).collect();
        assert_eq!(
            log,
            [
                "WARNING raised: 0.700, above 0.67",
                "back in limits (0.500), latched until acknowledged",
                "acknowledged by flight: scrubber swapped"
            ]
        );
    }

    #[test]
    fn an_acknowledged_alarm_clears_when_the_value_returns() {
        let mut board = board_with_alarm();
        board
            .acknowledge("ls.ppco2", "flight", "watching it", t(1))
            .unwrap();
        let alarm = board.get("ls.ppco2").unwrap();
        assert_eq!(alarm.state, AlarmState::AckActive);
        assert_eq!(
            alarm.acknowledged,
            Some(("flight".to_owned(), "watching it".to_owned()))
        );
        assert_eq!(board.unacknowledged(), (0, Severity::Normal));
        board.update("ls.ppco2", change(t(2), 0.5, Severity::Normal, None, false));
        assert!(board.get("ls.ppco2").is_none());
    }

    #[test]
    fn getting_worse_needs_a_new_acknowledgement() {
        let mut board = board_with_alarm();
        board
            .acknowledge("ls.ppco2", "flight", "watching it", t(1))
            .unwrap();
        board.update(
            "ls.ppco2",
            change(
                t(2),
                1.1,
                Severity::Critical,
                Some(Breach::High(1.0)),
                false,
            ),
        );
        let alarm = board.get("ls.ppco2").unwrap();
        assert_eq!(
            (alarm.state, alarm.severity),
            (AlarmState::UnackActive, Severity::Critical)
        );
        // Easing back to warning keeps the worst severity reached.
        board.update(
            "ls.ppco2",
            change(t(3), 0.8, Severity::Warning, None, false),
        );
        assert_eq!(board.get("ls.ppco2").unwrap().severity, Severity::Critical);
    }

    #[test]
    fn a_latched_alarm_that_comes_back_is_active_again() {
        let mut board = board_with_alarm();
        board.update("ls.ppco2", change(t(1), 0.5, Severity::Normal, None, false));
        board.update(
            "ls.ppco2",
            change(t(2), 0.7, Severity::Warning, None, false),
        );
        assert_eq!(
            board.get("ls.ppco2").unwrap().state,
            AlarmState::UnackActive
        );
    }

    #[test]
    fn acknowledging_takes_a_comment_and_an_alarm() {
        let mut board = board_with_alarm();
        assert_eq!(
            board.acknowledge("ls.ppco2", "flight", "  ", t(1)),
            Err(AlarmError::NoComment)
        );
        assert_eq!(
            board.acknowledge("pwr.bus_voltage", "flight", "ok", t(1)),
            Err(AlarmError::NoAlarm("pwr.bus_voltage".into()))
        );
        board.acknowledge("ls.ppco2", "flight", "ok", t(1)).unwrap();
        assert_eq!(
            board.acknowledge("ls.ppco2", "flight", "ok", t(1)),
            Err(AlarmError::AlreadyAcknowledged("ls.ppco2".into()))
        );
    }

    #[test]
    fn a_shelved_alarm_leaves_the_banner_until_the_shelf_expires() {
        let mut board = board_with_alarm();
        board.shelve("ls.ppco2", "flight", t(600), t(1)).unwrap();
        let alarm = board.get("ls.ppco2").unwrap();
        assert!(!alarm.in_banner(t(599)));
        assert!(alarm.in_banner(t(600)));
    }

    #[test]
    fn no_alarm_is_raised_while_loss_of_signal_is_predicted() {
        let mut board = AlarmBoard::default();
        board.update(
            "com.signal_strength",
            change(t(0), -125.0, Severity::Critical, None, true),
        );
        assert!(board.get("com.signal_strength").is_none());
        assert!(board.log().is_empty());
        // With contact expected, the same value raises one.
        board.update(
            "com.signal_strength",
            change(t(1), -125.0, Severity::Critical, None, false),
        );
        assert!(board.get("com.signal_strength").is_some());
    }

    #[test]
    fn watch_is_advisory_and_raises_nothing() {
        let mut board = AlarmBoard::default();
        board.update(
            "ls.humidity",
            change(t(0), 66.0, Severity::Watch, None, false),
        );
        assert!(board.alarms().is_empty());
    }
}
