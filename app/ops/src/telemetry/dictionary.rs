//! The telemetry dictionary: every channel the vehicle sends, with its unit, limits,
//! persistence, rate-of-change limit and how the simulator models it. Read from
//! `assets/telemetry/dictionary.toml` (documented there); per-seat crew channels are declared
//! once and made for every seat of the crewed vehicle.

use std::collections::HashSet;

use serde::Deserialize;

const DICTIONARY_TOML: &str = include_str!("../../../../assets/telemetry/dictionary.toml");

/// Why a dictionary could not be used.
#[derive(Debug, thiserror::Error)]
pub enum DictionaryError {
    /// The TOML is malformed or has unknown fields.
    #[error("telemetry dictionary: {0}")]
    Toml(#[from] toml::de::Error),
    /// A channel is inconsistent.
    #[error("telemetry dictionary, channel {channel}: {reason}")]
    Channel {
        /// The channel's id.
        channel: String,
        /// What is wrong.
        reason: String,
    },
}

/// A vehicle subsystem; channels are grouped and panelled by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subsystem {
    /// Environmental control and life support.
    LifeSupport,
    /// Electrical power.
    Power,
    /// Propulsion.
    Propulsion,
    /// Guidance, navigation and control.
    Guidance,
    /// Thermal control.
    Thermal,
    /// Communications.
    Comms,
    /// The crew's vital signs.
    Crew,
}

impl Subsystem {
    /// Every subsystem, in panel order.
    pub const ALL: [Self; 7] = [
        Self::LifeSupport,
        Self::Power,
        Self::Propulsion,
        Self::Guidance,
        Self::Thermal,
        Self::Comms,
        Self::Crew,
    ];

    /// Its name on screen.
    pub fn title(self) -> &'static str {
        match self {
            Self::LifeSupport => "Life support",
            Self::Power => "Power",
            Self::Propulsion => "Propulsion",
            Self::Guidance => "Guidance",
            Self::Thermal => "Thermal",
            Self::Comms => "Comms",
            Self::Crew => "Crew",
        }
    }
}

/// A low and a high limit; either may be absent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// Below this is out of the band.
    pub low: Option<f64>,
    /// Above this is out of the band.
    pub high: Option<f64>,
}

/// The three nested limit bands: watch inside warning inside critical.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Advisory: shown in colour, raises no alarm.
    #[serde(default)]
    pub watch: Band,
    /// Raises a warning alarm.
    #[serde(default)]
    pub warning: Band,
    /// Raises a critical alarm.
    #[serde(default)]
    pub critical: Band,
    /// How far back inside a limit a value must come before the limit clears (hysteresis),
    /// so a value hovering on a limit does not chatter.
    #[serde(default)]
    pub deadband: f64,
}

/// How the simulator makes a channel's values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimModel {
    /// The value it settles at in eclipse (or always, with no `sunlit`).
    pub nominal: f64,
    /// Added in sunlight, reached with `time_constant_s` (thermal and power follow the Sun).
    #[serde(default)]
    pub sunlit: f64,
    /// How quickly it follows sunlight, seconds.
    #[serde(default = "default_time_constant")]
    pub time_constant_s: f64,
    /// Gaussian sensor noise, one standard deviation.
    #[serde(default)]
    pub noise: f64,
    /// Steady change per hour (a consumable that depletes is negative).
    #[serde(default)]
    pub per_hour: f64,
    /// A slow oscillation's amplitude (attitude, body rates, breathing of a pressure).
    #[serde(default)]
    pub wave: f64,
    /// That oscillation's period, seconds.
    #[serde(default = "default_wave_period")]
    pub wave_period_s: f64,
    /// The lowest and highest value the quantity can physically take.
    #[serde(default)]
    pub clamp: Option<[f64; 2]>,
    /// What it reads with no ground station in contact (a receiver's noise floor).
    #[serde(default)]
    pub no_contact: Option<f64>,
}

fn default_time_constant() -> f64 {
    600.0
}

fn default_wave_period() -> f64 {
    300.0
}

/// One channel as written in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelSpec {
    id: String,
    subsystem: Subsystem,
    description: String,
    unit: String,
    #[serde(default)]
    limits: Limits,
    #[serde(default = "default_persistence")]
    persistence: u32,
    rate_limit_per_s: Option<f64>,
    #[serde(default)]
    key: bool,
    sim: SimModel,
}

fn default_persistence() -> u32 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DictionaryFile {
    channels: Vec<ChannelSpec>,
    #[serde(default)]
    crew_channels: Vec<ChannelSpec>,
}

/// A telemetry channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    /// Unique id, dotted by subsystem: `ls.cabin_pressure`, `crew.1A.heart_rate`.
    pub id: String,
    /// The subsystem it belongs to.
    pub subsystem: Subsystem,
    /// What it measures.
    pub description: String,
    /// Its unit.
    pub unit: String,
    /// Its limits.
    pub limits: Limits,
    /// Consecutive out-of-limit samples before the limit state rises (filters single spikes).
    pub persistence: u32,
    /// Largest believable change per second, if checked.
    pub rate_limit_per_s: Option<f64>,
    /// Shown on the mission overview.
    pub key: bool,
    /// The seat, for crew channels.
    pub seat: Option<String>,
    /// How the simulator makes it.
    pub sim: SimModel,
}

/// Every channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Dictionary {
    /// In file order, crew channels last (seat by seat).
    pub channels: Vec<Channel>,
}

impl Dictionary {
    /// The shipped dictionary, with crew channels for `seats`.
    pub fn shipped(seats: &[String]) -> Result<Self, DictionaryError> {
        Self::parse(DICTIONARY_TOML, seats)
    }

    /// Reads a dictionary, making the crew channels for each of `seats`, and checks it.
    pub fn parse(text: &str, seats: &[String]) -> Result<Self, DictionaryError> {
        let file: DictionaryFile = toml::from_str(text)?;
        let channel = |spec: &ChannelSpec, id: String, seat: Option<String>| Channel {
            id,
            subsystem: spec.subsystem,
            description: match &seat {
                Some(seat) => format!("{}, seat {seat}", spec.description),
                None => spec.description.clone(),
            },
            unit: spec.unit.clone(),
            limits: spec.limits,
            persistence: spec.persistence,
            rate_limit_per_s: spec.rate_limit_per_s,
            key: spec.key,
            seat,
            sim: spec.sim,
        };
        let mut channels: Vec<Channel> = file
            .channels
            .iter()
            .map(|spec| channel(spec, spec.id.clone(), None))
            .collect();
        for seat in seats {
            for spec in &file.crew_channels {
                channels.push(channel(
                    spec,
                    format!("crew.{seat}.{}", spec.id),
                    Some(seat.clone()),
                ));
            }
        }
        let dictionary = Self { channels };
        dictionary.check()?;
        Ok(dictionary)
    }

    fn check(&self) -> Result<(), DictionaryError> {
        let mut seen = HashSet::new();
        for c in &self.channels {
            let refuse = |reason: String| DictionaryError::Channel {
                channel: c.id.clone(),
                reason,
            };
            if !seen.insert(c.id.as_str()) {
                return Err(refuse("the id is used twice".into()));
            }
            if c.persistence == 0 {
                return Err(refuse("persistence is at least 1 sample".into()));
            }
            if c.limits.deadband < 0.0 {
                return Err(refuse("the deadband cannot be negative".into()));
            }
            // Bands nest: watch inside warning inside critical.
            let l = &c.limits;
            let lows = [l.watch.low, l.warning.low, l.critical.low];
            let highs = [l.watch.high, l.warning.high, l.critical.high];
            let ordered = |values: [Option<f64>; 3], outward_is_lower: bool| {
                let present: Vec<f64> = values.into_iter().flatten().collect();
                present.windows(2).all(|w| {
                    if outward_is_lower {
                        w[0] >= w[1]
                    } else {
                        w[0] <= w[1]
                    }
                })
            };
            if !ordered(lows, true) || !ordered(highs, false) {
                return Err(refuse(
                    "limits must nest: watch inside warning inside critical".into(),
                ));
            }
            if let (Some(low), Some(high)) = (l.watch.low, l.watch.high)
                && low >= high
            {
                return Err(refuse(format!(
                    "watch low {low} is not below watch high {high}"
                )));
            }
        }
        Ok(())
    }

    /// The channel with `id`.
    pub fn get(&self, id: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seats() -> Vec<String> {
        ["1A", "1B"].map(str::to_owned).to_vec()
    }

    #[test]
    fn the_shipped_dictionary_covers_every_subsystem_and_each_seat() {
        let d = Dictionary::shipped(&seats()).unwrap();
        for subsystem in Subsystem::ALL {
            assert!(
                d.channels.iter().any(|c| c.subsystem == subsystem),
                "{subsystem:?}"
            );
        }
        let hr = d.get("crew.1B.heart_rate").unwrap();
        assert_eq!(hr.seat.as_deref(), Some("1B"));
        assert_eq!(hr.unit, "bpm");
        assert!(d.get("ls.cabin_pressure").unwrap().key);
        assert!(d.channels.len() >= 30, "{}", d.channels.len());
    }

    #[test]
    fn limits_that_do_not_nest_are_refused_with_the_channel_named() {
        let text = r#"
[[channels]]
id = "x"
subsystem = "power"
description = "X"
unit = "V"
limits = { warning = { high = 30.0 }, critical = { high = 29.0 } }
sim = { nominal = 28.0 }
"#;
        let error = Dictionary::parse(text, &[]).unwrap_err().to_string();
        assert_eq!(
            error,
            "telemetry dictionary, channel x: limits must nest: watch inside warning inside critical"
        );
    }

    #[test]
    fn a_misspelt_field_is_refused_with_its_place() {
        let text = "[[channels]]\nid = \"x\"\nsubsytem = \"power\"\n";
        let error = Dictionary::parse(text, &[]).unwrap_err().to_string();
        assert!(error.contains("subsytem"), "{error}");
        assert!(error.contains("line 3"), "{error}");
    }
}
