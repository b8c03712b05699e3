//! Detection: alarms open incidents by the rules in `assets/incidents/rules.toml` (documented
//! there). An alarm whose source already has an open incident adds to its timeline instead of
//! opening another. Each new incident gets a telemetry snapshot: the minutes before the alarm
//! at once, the minutes after when they have passed.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use galaxium_sync::Replica;

use super::{IncidentError, IncidentKind, NewIncident, append_entry, snapshot};
use crate::telemetry::alarms::AlarmState;
use crate::telemetry::limits::Severity;
use crate::telemetry::{Telemetry, unix_seconds};

const RULES_TOML: &str = include_str!("../../../../assets/incidents/rules.toml");

/// The rules file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// What no rule claims.
    pub default: DefaultRule,
    /// The rules, first match wins.
    #[serde(default, rename = "rule")]
    pub rules: Vec<Rule>,
}

/// For critical alarms no rule claims.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultRule {
    /// Severity code.
    pub level: String,
    /// Telemetry kept before and after the alarm, minutes.
    pub window_minutes: u32,
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable name.
    pub id: String,
    /// Channel ids; a trailing `*` matches a prefix.
    pub channels: Vec<String>,
    /// "warning" or "critical".
    pub at_least: String,
    /// Incident kind (stored form).
    pub kind: String,
    /// Severity code.
    pub level: String,
    /// The incident's title.
    pub title: String,
    /// A runbook id.
    pub runbook: String,
}

impl Rule {
    fn claims(&self, channel: &str) -> bool {
        self.channels
            .iter()
            .any(|pattern| match pattern.strip_suffix('*') {
                Some(prefix) => channel.starts_with(prefix),
                None => pattern == channel,
            })
    }

    fn threshold(&self) -> Severity {
        if self.at_least == "warning" {
            Severity::Warning
        } else {
            Severity::Critical
        }
    }
}

/// Why a rules file was refused.
#[derive(Debug, thiserror::Error)]
#[error("incident rules: {0}")]
pub struct RulesError(String);

impl Rules {
    /// The shipped rules.
    pub fn shipped() -> Result<Self, RulesError> {
        Self::parse(RULES_TOML)
    }

    /// Reads a rules file, checking kinds, thresholds and runbooks.
    pub fn parse(text: &str) -> Result<Self, RulesError> {
        let rules: Self = toml::from_str(text).map_err(|e| RulesError(e.to_string()))?;
        for rule in &rules.rules {
            if IncidentKind::parse(&rule.kind).is_none() {
                return Err(RulesError(format!(
                    "rule {}: unknown kind {:?}",
                    rule.id, rule.kind
                )));
            }
            if !matches!(rule.at_least.as_str(), "warning" | "critical") {
                return Err(RulesError(format!(
                    "rule {}: at_least is \"warning\" or \"critical\", not {:?}",
                    rule.id, rule.at_least
                )));
            }
            if super::runbooks::get(&rule.runbook).is_none() {
                return Err(RulesError(format!(
                    "rule {}: no runbook {:?} in assets/runbooks",
                    rule.id, rule.runbook
                )));
            }
        }
        Ok(rules)
    }

    /// What an alarm of `severity` on `channel` opens: (source, the incident to open), or
    /// `None` when it opens nothing.
    pub fn route(&self, channel: &str, severity: Severity) -> Option<(String, NewIncident)> {
        if let Some(rule) = self.rules.iter().find(|r| r.claims(channel)) {
            if severity < rule.threshold() {
                return None;
            }
            let kind = IncidentKind::parse(&rule.kind).unwrap_or(IncidentKind::Vehicle);
            let source = format!("rule:{}", rule.id);
            return Some((
                source.clone(),
                NewIncident {
                    title: rule.title.clone(),
                    kind,
                    severity: rule.level.clone(),
                    description: String::new(),
                    source: Some(source),
                    runbook: rule.runbook.clone(),
                    vehicle_id: None,
                    launch_id: None,
                    drill: false,
                },
            ));
        }
        if severity < Severity::Critical {
            return None;
        }
        let source = format!("alarm:{channel}");
        let mut new = NewIncident::quick(
            &format!("Critical alarm: {channel}"),
            IncidentKind::Vehicle,
            &self.default.level,
        );
        new.source = Some(source.clone());
        Some((source, new))
    }
}

/// What one check did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detection {
    /// A new incident (its id and reference).
    Opened {
        /// Row id.
        id: String,
        /// "INC-…".
        reference: String,
        /// Its title.
        title: String,
    },
    /// An alarm added to an open incident.
    Added {
        /// Row id.
        id: String,
        /// "INC-…".
        reference: String,
    },
}

/// A snapshot whose window after the alarm has not passed yet.
#[derive(Debug, Clone, PartialEq)]
struct Pending {
    incident_id: String,
    from_t: f64,
    to_t: f64,
}

/// Watches the alarm board and turns alarms into incidents.
#[derive(Debug)]
pub struct Detector {
    rules: Rules,
    /// Alarms already handled: (channel, when raised).
    seen: HashSet<(String, DateTime<Utc>)>,
    pending: Vec<Pending>,
    /// The crewed vehicle, tied to new vehicle incidents.
    vehicle_id: Option<String>,
}

impl Detector {
    /// A detector with `rules`.
    pub fn new(rules: Rules) -> Self {
        Self {
            rules,
            seen: HashSet::new(),
            pending: Vec::new(),
            vehicle_id: None,
        }
    }

    /// Ties new vehicle incidents to this vehicle.
    pub fn set_vehicle(&mut self, vehicle_id: Option<String>) {
        self.vehicle_id = vehicle_id;
    }

    /// The snapshot window, minutes before and after an alarm.
    pub fn window_minutes(&self) -> u32 {
        self.rules.default.window_minutes
    }

    /// Sets the snapshot window.
    pub fn set_window_minutes(&mut self, minutes: u32) {
        self.rules.default.window_minutes = minutes.clamp(1, 60);
    }

    /// Handles alarms raised since the last check, then completes snapshots whose window has
    /// passed.
    pub fn check(
        &mut self,
        replica: &mut Replica,
        telemetry: &Telemetry,
        now: DateTime<Utc>,
    ) -> Result<Vec<Detection>, IncidentError> {
        let mut done = Vec::new();
        let raised: Vec<_> = telemetry
            .board()
            .alarms()
            .into_iter()
            .filter(|a| a.state != AlarmState::UnackCleared)
            .filter(|a| !self.seen.contains(&(a.channel.clone(), a.raised_at)))
            .cloned()
            .collect();
        for alarm in raised {
            let Some((source, mut new)) = self.rules.route(&alarm.channel, alarm.severity) else {
                // Not (yet) severe enough; look again when it worsens.
                continue;
            };
            // A drill's alarm opens (or adds to) a drill's incident only, never a real one.
            let source = if alarm.drill {
                new.drill = true;
                new.title = format!("{}{}", super::DRILL_MARK, new.title);
                new.source = Some(format!("drill:{source}"));
                format!("drill:{source}")
            } else {
                source
            };
            self.seen.insert((alarm.channel.clone(), alarm.raised_at));
            let unit = telemetry
                .dictionary
                .get(&alarm.channel)
                .map_or("", |c| c.unit.as_str());
            let breach = alarm.breach.map(|b| format!(" {b}")).unwrap_or_default();
            let words = format!(
                "{}{} {} {:.3} {unit}{breach}",
                if alarm.drill { "DRILL " } else { "" },
                alarm.severity.label(),
                alarm.channel,
                alarm.value
            );
            if let Some(open) = super::open_from_source(replica, &source)? {
                replica
                    .write(|w| append_entry(w, &open.id, now, "system", "alarm", &words, None))?;
                done.push(Detection::Added {
                    id: open.id,
                    reference: open.reference,
                });
                continue;
            }
            if new.kind == IncidentKind::Vehicle {
                new.vehicle_id.clone_from(&self.vehicle_id);
            }
            new.description = if new.drill {
                format!(
                    "A DRILL, not the vehicle: opened by the console on the drill's {words}. \
                     It stays on this console and is never sent to the server."
                )
            } else {
                format!("Opened by the console on {words}.")
            };
            let id = super::create(replica, &new, "system", now)?;
            replica.write(|w| append_entry(w, &id, now, "system", "alarm", &words, None))?;
            let window = f64::from(self.rules.default.window_minutes) * 60.0;
            let at = unix_seconds(alarm.raised_at);
            let pending = Pending {
                incident_id: id.clone(),
                from_t: at - window,
                to_t: at + window,
            };
            // The minutes before, at once: the console may close before the window ends.
            let traces = snapshot::capture(telemetry, pending.from_t, pending.to_t);
            snapshot::store(replica, &id, pending.from_t, pending.to_t, false, &traces)?;
            self.pending.push(pending);
            let reference = super::detail(replica, &id)?
                .map(|d| d.incident.reference)
                .unwrap_or_default();
            done.push(Detection::Opened {
                id,
                reference,
                title: new.title,
            });
        }
        self.finish_snapshots(replica, telemetry, now)?;
        Ok(done)
    }

    /// Stores the full window of every snapshot whose window has passed.
    pub fn finish_snapshots(
        &mut self,
        replica: &Replica,
        telemetry: &Telemetry,
        now: DateTime<Utc>,
    ) -> Result<(), IncidentError> {
        let now = unix_seconds(now);
        let (due, waiting): (Vec<_>, Vec<_>) = self.pending.drain(..).partition(|p| p.to_t <= now);
        self.pending = waiting;
        for p in due {
            let traces = snapshot::capture(telemetry, p.from_t, p.to_t);
            snapshot::store(replica, &p.incident_id, p.from_t, p.to_t, true, &traces)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_rules_read_and_route_alarms() {
        let rules = Rules::shipped().unwrap();
        let (source, new) = rules
            .route("ls.cabin_pressure", Severity::Critical)
            .unwrap();
        assert_eq!(source, "rule:cabin-pressure");
        assert_eq!(new.severity, "SEV1");
        assert_eq!(new.runbook, "cabin-depressurisation");
        // One leak, two channels, one source.
        assert_eq!(
            rules.route("ls.ppo2", Severity::Critical).unwrap().0,
            "rule:cabin-pressure"
        );
        assert_eq!(
            rules
                .route("crew.1A.heart_rate", Severity::Critical)
                .unwrap()
                .1
                .kind,
            IncidentKind::PassengerMedical
        );
        // A warning opens nothing unless a rule asks; an unclaimed critical gets the default.
        assert!(rules.route("pwr.bus_voltage", Severity::Warning).is_none());
        let (source, new) = rules.route("pwr.bus_voltage", Severity::Critical).unwrap();
        assert_eq!(source, "alarm:pwr.bus_voltage");
        assert_eq!(new.severity, "SEV2");
    }

    #[test]
    fn bad_rules_are_refused_with_the_rule_and_reason() {
        let text = "[default]\nlevel = \"SEV2\"\nwindow_minutes = 5\n[[rule]]\nid = \"r\"\nchannels = [\"x\"]\nat_least = \"critical\"\nkind = \"vehicle\"\nlevel = \"SEV1\"\ntitle = \"T\"\nrunbook = \"nope\"\n";
        let err = Rules::parse(text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "incident rules: rule r: no runbook \"nope\" in assets/runbooks"
        );
        let err = Rules::parse(&text.replace("critical", "loud")).unwrap_err();
        assert!(err.to_string().contains("at_least"), "{err}");
    }
}
