//! The command dictionary (`assets/commands/vehicle.toml`, documented there): every command
//! a controller may send to the vehicle, with its arguments, the roles that may send it,
//! its hazard, whether a second person must approve it, the telemetry that verifies it and
//! what the simulator's vehicle does on receiving it. The console checks a command against
//! it as it is typed; the server checks every queued, approved and released command against
//! the same dictionary, so the rules hold whichever console sends it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::schema::registry::Role;

/// The dictionary this build ships.
pub const SHIPPED: &str = include_str!("../../assets/commands/vehicle.toml");

/// The subsystems a command may belong to (as the telemetry dictionary names them).
pub const SUBSYSTEMS: &[&str] = &[
    "life_support",
    "power",
    "propulsion",
    "guidance",
    "thermal",
    "comms",
];

/// A command's stages, in the order they happen; the first five are its status while it
/// moves on, the last three end it.
pub const STATUSES: &[&str] = &[
    "queued",
    "approved",
    "released",
    "sent",
    "verified",
    "failed",
    "cancelled",
];

/// How urgent a queued command is: the queue releases urgent commands first.
pub const PRIORITIES: &[&str] = &["urgent", "normal", "routine"];

/// The longest a verifier may wait for its telemetry.
pub const LONGEST_VERIFIER_S: f64 = 3_600.0;

/// Why a dictionary could not be used: what is wrong, where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DictionaryError {
    /// The TOML is malformed, or a field is unknown or of the wrong type.
    #[error("command dictionary, {}line {line}: {reason}", command_part(.command.as_deref()))]
    Malformed {
        /// The command the error is in, when it is inside one.
        command: Option<String>,
        /// The line, from 1.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A command is inconsistent.
    #[error("command dictionary, command {command} (line {line}): {reason}")]
    Command {
        /// The command's name.
        command: String,
        /// The line of its name, from 1.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

fn command_part(command: Option<&str>) -> String {
    command
        .map(|c| format!("command {c}, "))
        .unwrap_or_default()
}

/// What an argument takes.
#[derive(Debug, Clone, PartialEq)]
pub enum ArgumentKind {
    /// One of these words.
    Enum(Vec<String>),
    /// A whole number in `min..=max`.
    Integer {
        /// Smallest.
        min: i64,
        /// Largest.
        max: i64,
        /// Its unit.
        unit: String,
    },
    /// A number in `min..=max`.
    Real {
        /// Smallest.
        min: f64,
        /// Largest.
        max: f64,
        /// Its unit.
        unit: String,
    },
}

/// One argument of a command.
#[derive(Debug, Clone, PartialEq)]
pub struct ArgumentSpec {
    /// As typed: `mode=boost`.
    pub name: String,
    /// What it sets.
    pub description: String,
    /// What it takes.
    pub kind: ArgumentKind,
}

/// What a verifier waits for.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// A value above this.
    Above(f64),
    /// A value below this.
    Below(f64),
    /// A value this much above the value when the command was sent.
    RisesBy(f64),
    /// A value this much below the value when the command was sent.
    FallsBy(f64),
    /// A value within `tolerance` of the command's argument `argument`.
    Near {
        /// The argument.
        argument: String,
        /// How close.
        tolerance: f64,
    },
}

/// Telemetry that must follow a command.
#[derive(Debug, Clone, PartialEq)]
pub struct Verifier {
    /// The channel.
    pub channel: String,
    /// What it must show.
    pub condition: Condition,
    /// How long after sending it may take, seconds.
    pub within_s: f64,
    /// Only for this argument's value.
    pub when: Option<(String, String)>,
}

/// Where a `set` effect puts the channel.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// This value.
    Value(f64),
    /// The value of this argument.
    Argument(String),
}

/// What the simulator's vehicle does to one channel.
#[derive(Debug, Clone, PartialEq)]
pub enum EffectKind {
    /// Settles at a value (with this time constant, or the channel's own).
    Set {
        /// Where.
        target: Target,
        /// How fast, seconds.
        time_constant_s: Option<f64>,
        /// A fault on the channel ends (the failed hardware was switched out).
        clears_fault: bool,
    },
    /// Moves toward `to` at `per_s` a second.
    Ramp {
        /// Where it stops.
        to: f64,
        /// How fast (positive).
        per_s: f64,
    },
    /// A ramp stops where it is.
    Hold,
}

/// One effect of a command on the simulated vehicle.
#[derive(Debug, Clone, PartialEq)]
pub struct Effect {
    /// The channel.
    pub channel: String,
    /// What happens to it.
    pub kind: EffectKind,
    /// Only for this argument's value.
    pub when: Option<(String, String)>,
}

/// One command of the dictionary.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandSpec {
    /// `PWR.BUS_B_ENABLE`.
    pub name: String,
    /// Its subsystem, as the telemetry dictionary names them.
    pub subsystem: String,
    /// What it does.
    pub description: String,
    /// Who may queue, approve and release it.
    pub roles: Vec<Role>,
    /// The hazard in words, when it is hazardous.
    pub hazard: Option<String>,
    /// Whether another user must approve it.
    pub two_person: bool,
    /// Its arguments, in typing order.
    pub arguments: Vec<ArgumentSpec>,
    /// The telemetry that verifies it.
    pub verifiers: Vec<Verifier>,
    /// What the simulator's vehicle does on receiving it.
    pub effects: Vec<Effect>,
    /// The line of its name in the dictionary.
    pub line: usize,
}

/// Why a command's arguments are not what it takes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{command}: {reason}")]
pub struct ArgumentProblem {
    /// The command.
    pub command: String,
    /// The argument concerned, if one.
    pub argument: Option<String>,
    /// What is wrong.
    pub reason: String,
}

impl CommandSpec {
    /// Whether `role` may queue, approve and release it.
    pub fn allows(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether it is hazardous.
    pub fn is_hazardous(&self) -> bool {
        self.hazard.is_some()
    }

    /// The argument called `name`.
    pub fn argument(&self, name: &str) -> Option<&ArgumentSpec> {
        self.arguments.iter().find(|a| a.name == name)
    }

    /// The roles, in words: `controller or admin`.
    pub fn roles_in_words(&self) -> String {
        let words: Vec<&str> = self.roles.iter().map(|r| r.as_str()).collect();
        words.join(" or ")
    }

    /// Checks a command's arguments: every one given, none unknown, each valid.
    pub fn check_arguments(&self, given: &Map<String, Value>) -> Result<(), ArgumentProblem> {
        let problem = |argument: Option<&str>, reason: String| ArgumentProblem {
            command: self.name.clone(),
            argument: argument.map(str::to_owned),
            reason,
        };
        if let Some(unknown) = given.keys().find(|k| self.argument(k).is_none()) {
            return Err(problem(
                Some(unknown),
                if self.arguments.is_empty() {
                    format!("takes no arguments, not {unknown:?}")
                } else {
                    format!(
                        "has no argument {unknown:?}; its arguments are {}",
                        self.argument_names()
                    )
                },
            ));
        }
        for spec in &self.arguments {
            let Some(value) = given.get(&spec.name) else {
                return Err(problem(
                    Some(&spec.name),
                    format!("{} is missing ({})", spec.name, spec.expects()),
                ));
            };
            spec.check(value)
                .map_err(|reason| problem(Some(&spec.name), format!("{} {reason}", spec.name)))?;
        }
        Ok(())
    }

    fn argument_names(&self) -> String {
        let names: Vec<&str> = self.arguments.iter().map(|a| a.name.as_str()).collect();
        names.join(", ")
    }

    /// Whether a `when` holds for these arguments.
    fn applies(when: Option<&(String, String)>, arguments: &Map<String, Value>) -> bool {
        when.is_none_or(|(name, wanted)| {
            arguments.get(name).and_then(Value::as_str) == Some(wanted.as_str())
        })
    }

    /// The verifiers that apply to these arguments.
    pub fn verifiers_for<'a>(
        &'a self,
        arguments: &'a Map<String, Value>,
    ) -> impl Iterator<Item = &'a Verifier> + 'a {
        self.verifiers
            .iter()
            .filter(move |v| Self::applies(v.when.as_ref(), arguments))
    }

    /// The effects that apply to these arguments.
    pub fn effects_for<'a>(
        &'a self,
        arguments: &'a Map<String, Value>,
    ) -> impl Iterator<Item = &'a Effect> + 'a {
        self.effects
            .iter()
            .filter(move |e| Self::applies(e.when.as_ref(), arguments))
    }

    /// Every channel its verifiers and effects name.
    pub fn channels(&self) -> impl Iterator<Item = &str> {
        self.verifiers
            .iter()
            .map(|v| v.channel.as_str())
            .chain(self.effects.iter().map(|e| e.channel.as_str()))
    }

    /// The command as typed in the text form: `LS.SCRUBBER_MODE mode=boost`.
    pub fn text_form(&self, arguments: &Map<String, Value>) -> String {
        let mut text = self.name.clone();
        for spec in &self.arguments {
            if let Some(value) = arguments.get(&spec.name) {
                let shown = value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_owned);
                let _ = write!(text, " {}={shown}", spec.name);
            }
        }
        text
    }
}

impl ArgumentSpec {
    /// What it takes, in words: `one of normal, boost`, `18 to 26 °C`.
    pub fn expects(&self) -> String {
        match &self.kind {
            ArgumentKind::Enum(values) => format!("one of {}", values.join(", ")),
            ArgumentKind::Integer { min, max, unit } => {
                format!("a whole number from {min} to {max}{}", unit_suffix(unit))
            }
            ArgumentKind::Real { min, max, unit } => {
                format!("a number from {min} to {max}{}", unit_suffix(unit))
            }
        }
    }

    /// Checks a value; the error says what was expected and what came.
    pub fn check(&self, value: &Value) -> Result<(), String> {
        match &self.kind {
            ArgumentKind::Enum(values) => match value.as_str() {
                Some(word) if values.iter().any(|v| v == word) => Ok(()),
                _ => Err(format!("must be {}, not {value}", self.expects())),
            },
            ArgumentKind::Integer { min, max, .. } => match value.as_i64() {
                Some(n) if (*min..=*max).contains(&n) => Ok(()),
                _ => Err(format!("must be {}, not {value}", self.expects())),
            },
            ArgumentKind::Real { min, max, .. } => match value.as_f64() {
                Some(n) if n.is_finite() && (*min..=*max).contains(&n) => Ok(()),
                _ => Err(format!("must be {}, not {value}", self.expects())),
            },
        }
    }

    /// Reads a typed value (`boost`, `22.5`): the value, or what is wrong with the text.
    pub fn read(&self, text: &str) -> Result<Value, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err(format!("{} is empty: type {}", self.name, self.expects()));
        }
        let value = match &self.kind {
            ArgumentKind::Enum(_) => Value::String(text.to_owned()),
            ArgumentKind::Integer { .. } => text
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| format!("{} must be {}, not {text:?}", self.name, self.expects()))?,
            ArgumentKind::Real { .. } => text
                .parse::<f64>()
                .ok()
                .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number))
                .ok_or_else(|| format!("{} must be {}, not {text:?}", self.name, self.expects()))?,
        };
        self.check(&value)
            .map(|()| value)
            .map_err(|reason| format!("{} {reason}", self.name))
    }
}

fn unit_suffix(unit: &str) -> String {
    if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    }
}

impl Condition {
    /// In words, with the channel's unit: `above 26 V`, `rises by 0.3 kPa`.
    pub fn describe(&self, unit: &str) -> String {
        let unit = unit_suffix(unit);
        match self {
            Self::Above(x) => format!("above {x}{unit}"),
            Self::Below(x) => format!("below {x}{unit}"),
            Self::RisesBy(x) => format!("rises by {x}{unit}"),
            Self::FallsBy(x) => format!("falls by {x}{unit}"),
            Self::Near {
                argument,
                tolerance,
            } => format!("within {tolerance}{unit} of {argument}"),
        }
    }

    /// Whether `value` meets it, given the value when the command was sent and its arguments.
    pub fn met(&self, value: f64, at_send: Option<f64>, arguments: &Map<String, Value>) -> bool {
        match self {
            Self::Above(x) => value > *x,
            Self::Below(x) => value < *x,
            Self::RisesBy(x) => at_send.is_some_and(|from| value - from >= *x),
            Self::FallsBy(x) => at_send.is_some_and(|from| from - value >= *x),
            Self::Near {
                argument,
                tolerance,
            } => arguments
                .get(argument)
                .and_then(Value::as_f64)
                .is_some_and(|wanted| (value - wanted).abs() <= *tolerance),
        }
    }
}

/// The whole dictionary.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CommandDictionary {
    /// Every command, in the file's order.
    pub commands: Vec<CommandSpec>,
}

/// A command as typed in the text form, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Typed<'a> {
    /// The command.
    pub spec: &'a CommandSpec,
    /// Its arguments.
    pub arguments: Map<String, Value>,
}

impl CommandDictionary {
    /// The dictionary this build ships.
    pub fn shipped() -> Result<Self, DictionaryError> {
        Self::parse(SHIPPED)
    }

    /// The command called `name` (exactly, as the server and the queue name them).
    pub fn get(&self, name: &str) -> Option<&CommandSpec> {
        self.commands.iter().find(|c| c.name == name)
    }

    /// The commands whose name starts with what was typed (in any case), then those whose
    /// name or description holds it, for completion.
    pub fn complete(&self, typed: &str) -> Vec<&CommandSpec> {
        let wanted = typed.trim().to_uppercase();
        let mut found: Vec<&CommandSpec> = self
            .commands
            .iter()
            .filter(|c| c.name.starts_with(&wanted))
            .collect();
        let lower = typed.trim().to_lowercase();
        for spec in &self.commands {
            if !found.iter().any(|f| f.name == spec.name)
                && (spec.name.contains(&wanted) || spec.description.to_lowercase().contains(&lower))
            {
                found.push(spec);
            }
        }
        found
    }

    /// Reads the text form: the name, then each argument as `name=value` or by position
    /// (`LS.SCRUBBER_MODE mode=boost`, `LS.SCRUBBER_MODE boost`). The error says which word
    /// is wrong and why.
    pub fn read_text(&self, text: &str) -> Result<Typed<'_>, String> {
        let mut words = text.split_whitespace();
        let Some(name) = words.next() else {
            return Err("type a command, such as PWR.BUS_B_ENABLE".to_owned());
        };
        let Some(spec) = self.get(&name.to_uppercase()) else {
            let near: Vec<&str> = self
                .complete(name)
                .iter()
                .take(3)
                .map(|c| c.name.as_str())
                .collect();
            return Err(if near.is_empty() {
                format!("there is no command {name}")
            } else {
                format!(
                    "there is no command {name}; did you mean {}?",
                    near.join(", ")
                )
            });
        };
        let mut arguments = Map::new();
        for (position, word) in words.enumerate() {
            let (argument, value) = match word.split_once('=') {
                Some((name, value)) => (
                    spec.argument(name).ok_or_else(|| {
                        format!(
                            "{} has no argument {name:?}{}",
                            spec.name,
                            if spec.arguments.is_empty() {
                                String::new()
                            } else {
                                format!("; its arguments are {}", spec.argument_names())
                            }
                        )
                    })?,
                    value,
                ),
                None => (
                    spec.arguments.get(position).ok_or_else(|| {
                        format!(
                            "{} takes {} argument{}; {word:?} is one too many",
                            spec.name,
                            spec.arguments.len(),
                            if spec.arguments.len() == 1 { "" } else { "s" }
                        )
                    })?,
                    word,
                ),
            };
            arguments.insert(argument.name.clone(), argument.read(value)?);
        }
        spec.check_arguments(&arguments)
            .map_err(|problem| problem.to_string())?;
        Ok(Typed { spec, arguments })
    }

    /// Reads and checks a dictionary.
    pub fn parse(text: &str) -> Result<Self, DictionaryError> {
        let raw: RawFile = toml::from_str(text).map_err(|err| {
            let offset = err.span().map_or(0, |span| span.start);
            DictionaryError::Malformed {
                command: command_at(text, offset),
                line: line_of(text, offset),
                reason: err.message().to_owned(),
            }
        })?;
        let mut commands: Vec<CommandSpec> = Vec::with_capacity(raw.commands.len());
        for raw in raw.commands {
            let line = line_of(text, raw.name.span().start);
            let name = raw.name.get_ref().clone();
            let refuse = |reason: String| DictionaryError::Command {
                command: name.clone(),
                line,
                reason,
            };
            if commands.iter().any(|c| c.name == name) {
                return Err(refuse("is declared twice".to_owned()));
            }
            commands.push(raw.into_spec(line).map_err(refuse)?);
        }
        Ok(Self { commands })
    }
}

/// The line (from 1) of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map_or(1, |before| before.matches('\n').count() + 1)
}

/// The name of the command whose table holds a byte offset, read from the text before it.
fn command_at(text: &str, offset: usize) -> Option<String> {
    let before = text.get(..offset.min(text.len()))?;
    let start = before.rfind("[[commands]]")?;
    text[start..].lines().skip(1).find_map(|line| {
        let rest = line.trim().strip_prefix("name")?.trim().strip_prefix('=')?;
        Some(rest.trim().trim_matches('"').to_owned())
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    commands: Vec<RawCommand>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCommand {
    name: toml::Spanned<String>,
    subsystem: String,
    description: String,
    roles: Vec<String>,
    #[serde(default)]
    hazard: Option<String>,
    #[serde(default)]
    two_person: bool,
    #[serde(default)]
    arguments: Vec<RawArgument>,
    #[serde(default)]
    verifiers: Vec<RawVerifier>,
    #[serde(default)]
    effects: Vec<RawEffect>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArgument {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    values: Vec<String>,
    min: Option<f64>,
    max: Option<f64>,
    #[serde(default)]
    unit: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVerifier {
    channel: String,
    above: Option<f64>,
    below: Option<f64>,
    rises_by: Option<f64>,
    falls_by: Option<f64>,
    near: Option<String>,
    tolerance: Option<f64>,
    within_s: f64,
    when: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEffect {
    channel: String,
    kind: String,
    value: Option<f64>,
    value_from: Option<String>,
    time_constant_s: Option<f64>,
    #[serde(default)]
    clears_fault: bool,
    to: Option<f64>,
    per_s: Option<f64>,
    when: Option<BTreeMap<String, String>>,
}

/// A command name: `SUBSYSTEM.VERB_OBJECT`, capitals, digits and underscores.
fn well_named(name: &str) -> bool {
    let word = |w: &str| {
        !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    };
    name.split_once('.')
        .is_some_and(|(subsystem, rest)| word(subsystem) && word(rest))
}

impl RawCommand {
    fn into_spec(self, line: usize) -> Result<CommandSpec, String> {
        let name = self.name.into_inner();
        if !well_named(&name) {
            return Err(
                "a name is SUBSYSTEM.VERB_OBJECT in capitals, digits and underscores".to_owned(),
            );
        }
        if !SUBSYSTEMS.contains(&self.subsystem.as_str()) {
            return Err(format!(
                "subsystem {:?} is not one of {}",
                self.subsystem,
                SUBSYSTEMS.join(", ")
            ));
        }
        if self.description.trim().is_empty() {
            return Err("has no description".to_owned());
        }
        let roles = read_roles(&self.roles)?;
        if self.hazard.as_ref().is_some_and(|h| h.trim().is_empty()) {
            return Err("its hazard is empty: say what the hazard is, or leave it out".to_owned());
        }
        let mut arguments: Vec<ArgumentSpec> = Vec::new();
        for raw in self.arguments {
            if arguments.iter().any(|a| a.name == raw.name) {
                return Err(format!("argument {} is declared twice", raw.name));
            }
            arguments.push(raw.into_spec()?);
        }
        let when = |raw: Option<BTreeMap<String, String>>| read_when(raw, &arguments);
        let mut verifiers = Vec::new();
        for raw in self.verifiers {
            let condition = raw.condition(&arguments)?;
            if !(raw.within_s > 0.0 && raw.within_s <= LONGEST_VERIFIER_S) {
                return Err(format!(
                    "the verifier on {} waits {} s; a verifier waits more than 0 and at most {LONGEST_VERIFIER_S} s",
                    raw.channel, raw.within_s
                ));
            }
            verifiers.push(Verifier {
                when: when(raw.when)?,
                channel: raw.channel,
                condition,
                within_s: raw.within_s,
            });
        }
        if verifiers.is_empty() {
            return Err("has no verifier: say what telemetry must follow it".to_owned());
        }
        let mut effects = Vec::new();
        for raw in self.effects {
            let kind = raw.kind(&arguments)?;
            effects.push(Effect {
                when: when(raw.when)?,
                channel: raw.channel,
                kind,
            });
        }
        Ok(CommandSpec {
            name,
            subsystem: self.subsystem,
            description: self.description,
            roles,
            hazard: self.hazard,
            two_person: self.two_person,
            arguments,
            verifiers,
            effects,
            line,
        })
    }
}

fn read_roles(words: &[String]) -> Result<Vec<Role>, String> {
    if words.is_empty() {
        return Err("names no role that may send it".to_owned());
    }
    let mut roles = Vec::new();
    for word in words {
        let role: Role = word.parse()?;
        if role == Role::Trainee {
            return Err(
                "trainees practise commands only in training sessions, where they act as controllers; name controller"
                    .to_owned(),
            );
        }
        roles.push(role);
    }
    Ok(roles)
}

fn read_when(
    raw: Option<BTreeMap<String, String>>,
    arguments: &[ArgumentSpec],
) -> Result<Option<(String, String)>, String> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let mut pairs = raw.into_iter();
    let (Some((name, value)), None) = (pairs.next(), pairs.next()) else {
        return Err("a `when` names one argument and its value".to_owned());
    };
    match arguments.iter().find(|a| a.name == name).map(|a| &a.kind) {
        Some(ArgumentKind::Enum(values)) if values.contains(&value) => Ok(Some((name, value))),
        Some(ArgumentKind::Enum(values)) => Err(format!(
            "`when` gives {name} the value {value:?}, which is not one of {}",
            values.join(", ")
        )),
        Some(_) => Err(format!(
            "`when` names {name}, which is not an enum argument"
        )),
        None => Err(format!("`when` names {name}, which is not an argument")),
    }
}

/// `name`, when it is a numeric argument.
fn numeric_argument(arguments: &[ArgumentSpec], name: &str) -> Result<String, String> {
    match arguments.iter().find(|a| a.name == name).map(|a| &a.kind) {
        Some(ArgumentKind::Integer { .. } | ArgumentKind::Real { .. }) => Ok(name.to_owned()),
        Some(ArgumentKind::Enum(_)) => Err(format!("{name} is not a numeric argument")),
        None => Err(format!("{name} is not an argument")),
    }
}

impl RawArgument {
    fn into_spec(self) -> Result<ArgumentSpec, String> {
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(format!(
                "argument {:?}: a name is lower case letters, digits and underscores",
                self.name
            ));
        }
        let range = |what: &str| match (self.min, self.max) {
            (Some(min), Some(max)) if min.is_finite() && max.is_finite() && min <= max => {
                Ok((min, max))
            }
            _ => Err(format!(
                "argument {}: a{what} argument needs min and max, min not above max",
                self.name
            )),
        };
        let kind = match self.kind.as_str() {
            "enum" => {
                if self.values.is_empty() {
                    return Err(format!("argument {}: an enum needs values", self.name));
                }
                ArgumentKind::Enum(self.values)
            }
            "integer" => {
                let (min, max) = range("n integer")?;
                #[allow(
                    clippy::cast_possible_truncation,
                    reason = "bounds of a dictionary's argument, whole numbers"
                )]
                let (min, max) = (min as i64, max as i64);
                ArgumentKind::Integer {
                    min,
                    max,
                    unit: self.unit,
                }
            }
            "real" => {
                let (min, max) = range(" real")?;
                ArgumentKind::Real {
                    min,
                    max,
                    unit: self.unit,
                }
            }
            other => {
                return Err(format!(
                    "argument {}: type {other:?} is not enum, integer or real",
                    self.name
                ));
            }
        };
        Ok(ArgumentSpec {
            name: self.name,
            description: self.description,
            kind,
        })
    }
}

impl RawVerifier {
    fn condition(&self, arguments: &[ArgumentSpec]) -> Result<Condition, String> {
        let mut given = Vec::new();
        if let Some(x) = self.above {
            given.push(Condition::Above(x));
        }
        if let Some(x) = self.below {
            given.push(Condition::Below(x));
        }
        if let Some(x) = self.rises_by {
            given.push(Condition::RisesBy(x));
        }
        if let Some(x) = self.falls_by {
            given.push(Condition::FallsBy(x));
        }
        if let Some(argument) = &self.near {
            let tolerance = self
                .tolerance
                .filter(|t| t.is_finite() && *t > 0.0)
                .ok_or_else(|| {
                    format!(
                        "the verifier on {} is near {argument} and needs a tolerance above 0",
                        self.channel
                    )
                })?;
            given.push(Condition::Near {
                argument: numeric_argument(arguments, argument)?,
                tolerance,
            });
        } else if self.tolerance.is_some() {
            return Err(format!(
                "the verifier on {} has a tolerance but no `near`",
                self.channel
            ));
        }
        let mut given = given.into_iter();
        match (given.next(), given.next()) {
            (Some(condition), None) => {
                let finite = match &condition {
                    Condition::Above(x)
                    | Condition::Below(x)
                    | Condition::RisesBy(x)
                    | Condition::FallsBy(x) => x.is_finite(),
                    Condition::Near { .. } => true,
                };
                if finite {
                    Ok(condition)
                } else {
                    Err(format!(
                        "the verifier on {} has no finite value",
                        self.channel
                    ))
                }
            }
            (None, _) => Err(format!(
                "the verifier on {} has no condition: give one of above, below, rises_by, falls_by, near",
                self.channel
            )),
            (Some(_), Some(_)) => Err(format!(
                "the verifier on {} has more than one condition; give one (add another verifier for another)",
                self.channel
            )),
        }
    }
}

impl RawEffect {
    fn kind(&self, arguments: &[ArgumentSpec]) -> Result<EffectKind, String> {
        let channel = &self.channel;
        match self.kind.as_str() {
            "set" => {
                let target = match (self.value, &self.value_from) {
                    (Some(value), None) if value.is_finite() => Target::Value(value),
                    (None, Some(argument)) => {
                        Target::Argument(numeric_argument(arguments, argument)?)
                    }
                    _ => {
                        return Err(format!(
                            "the set effect on {channel} needs a value or a value_from, one of them"
                        ));
                    }
                };
                if self
                    .time_constant_s
                    .is_some_and(|t| !(t.is_finite() && t > 0.0))
                {
                    return Err(format!(
                        "the set effect on {channel} has a time constant that is not above 0"
                    ));
                }
                Ok(EffectKind::Set {
                    target,
                    time_constant_s: self.time_constant_s,
                    clears_fault: self.clears_fault,
                })
            }
            "ramp" => match (self.to, self.per_s) {
                (Some(to), Some(per_s)) if to.is_finite() && per_s.is_finite() && per_s > 0.0 => {
                    Ok(EffectKind::Ramp { to, per_s })
                }
                _ => Err(format!(
                    "the ramp effect on {channel} needs `to` and a `per_s` above 0"
                )),
            },
            "hold" => Ok(EffectKind::Hold),
            other => Err(format!(
                "the effect on {channel} is of kind {other:?}, not set, ramp or hold"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> CommandDictionary {
        CommandDictionary::shipped().expect("the shipped dictionary reads")
    }

    #[test]
    fn the_shipped_dictionary_reads_and_covers_the_vehicle() {
        let dictionary = shipped();
        for name in [
            "PWR.BUS_B_ENABLE",
            "LS.REPRESS_VALVE_OPEN",
            "LS.SCRUBBER_MODE",
            "THM.AVIONICS_HEATER",
            "COM.ANTENNA_SELECT",
            "COM.TRANSPONDER_SELECT",
        ] {
            assert!(dictionary.get(name).is_some(), "{name}");
        }
        let open = dictionary.get("LS.REPRESS_VALVE_OPEN").unwrap();
        assert!(open.is_hazardous() && open.two_person);
        assert!(open.allows(Role::Controller) && !open.allows(Role::Staff));
        let enable = dictionary.get("PWR.BUS_B_ENABLE").unwrap();
        assert_eq!(
            enable.verifiers[0],
            Verifier {
                channel: "pwr.bus_b_voltage".into(),
                condition: Condition::Above(26.0),
                within_s: 5.0,
                when: None,
            }
        );
        assert!(enable.line > 1);
    }

    fn args(pairs: &[(&str, Value)]) -> Map<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    #[test]
    fn arguments_are_checked_by_name_type_and_range() {
        let dictionary = shipped();
        let mode = dictionary.get("LS.SCRUBBER_MODE").unwrap();
        assert!(
            mode.check_arguments(&args(&[("mode", "boost".into())]))
                .is_ok()
        );
        let wrong = mode
            .check_arguments(&args(&[("mode", "fast".into())]))
            .unwrap_err();
        assert_eq!(wrong.argument.as_deref(), Some("mode"));
        assert!(wrong.reason.contains("one of normal, boost"), "{wrong}");
        let missing = mode.check_arguments(&Map::new()).unwrap_err();
        assert!(missing.reason.contains("missing"), "{missing}");
        let unknown = mode
            .check_arguments(&args(&[("mode", "boost".into()), ("speed", 3.into())]))
            .unwrap_err();
        assert!(
            unknown.reason.contains("no argument \"speed\""),
            "{unknown}"
        );
        let set_point = dictionary.get("THM.CABIN_SETPOINT").unwrap();
        assert!(
            set_point
                .check_arguments(&args(&[("celsius", 22.5.into())]))
                .is_ok()
        );
        let hot = set_point
            .check_arguments(&args(&[("celsius", 40.into())]))
            .unwrap_err();
        assert!(hot.reason.contains("from 18 to 26 °C"), "{hot}");
        assert!(
            dictionary
                .get("PWR.BUS_B_ENABLE")
                .unwrap()
                .check_arguments(&args(&[("now", true.into())]))
                .unwrap_err()
                .reason
                .contains("takes no arguments")
        );
    }

    #[test]
    fn the_text_form_reads_names_in_any_case_and_arguments_by_name_or_position() {
        let dictionary = shipped();
        let typed = dictionary.read_text("ls.scrubber_mode boost").unwrap();
        assert_eq!(typed.spec.name, "LS.SCRUBBER_MODE");
        assert_eq!(typed.arguments["mode"], "boost");
        let typed = dictionary
            .read_text("THM.CABIN_SETPOINT celsius=21.5")
            .unwrap();
        assert_eq!(typed.arguments["celsius"], 21.5);
        assert_eq!(
            typed.spec.text_form(&typed.arguments),
            "THM.CABIN_SETPOINT celsius=21.5"
        );
        let err = dictionary
            .read_text("THM.CABIN_SETPOINT celsius=warm")
            .unwrap_err();
        assert!(err.contains("not \"warm\""), "{err}");
        let err = dictionary.read_text("PWR.BUS_B").unwrap_err();
        assert!(err.contains("did you mean PWR.BUS_B_ENABLE"), "{err}");
        let err = dictionary.read_text("PWR.BUS_B_ENABLE now").unwrap_err();
        assert!(err.contains("one too many"), "{err}");
        assert!(dictionary.read_text("  ").is_err());
    }

    #[test]
    fn completion_offers_names_that_start_with_the_text_first() {
        let dictionary = shipped();
        let names: Vec<&str> = dictionary
            .complete("pwr.bus")
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(names, ["PWR.BUS_B_ENABLE", "PWR.BUS_B_DISABLE"]);
        let by_description: Vec<&str> = dictionary
            .complete("heater")
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert!(by_description.contains(&"THM.AVIONICS_HEATER"));
    }

    #[test]
    fn verifiers_and_effects_follow_the_arguments() {
        let dictionary = shipped();
        let mode = dictionary.get("LS.SCRUBBER_MODE").unwrap();
        let boost = args(&[("mode", "boost".into())]);
        let verifiers: Vec<&Verifier> = mode.verifiers_for(&boost).collect();
        assert_eq!(verifiers.len(), 1);
        assert_eq!(verifiers[0].condition, Condition::Above(4000.0));
        assert!(verifiers[0].condition.met(4100.0, Some(3000.0), &boost));
        assert!(!verifiers[0].condition.met(3900.0, Some(3000.0), &boost));
        assert_eq!(mode.effects_for(&boost).count(), 2);
        let rises = Condition::RisesBy(0.3);
        assert!(rises.met(101.7, Some(101.3), &boost));
        assert!(!rises.met(101.5, Some(101.3), &boost));
        assert!(!rises.met(101.7, None, &boost));
        let near = Condition::Near {
            argument: "celsius".into(),
            tolerance: 0.5,
        };
        let set = args(&[("celsius", 20.0.into())]);
        assert!(near.met(20.4, None, &set) && !near.met(20.6, None, &set));
        assert_eq!(Condition::Above(26.0).describe("V"), "above 26 V");
    }

    #[test]
    fn a_malformed_dictionary_is_refused_naming_the_command_and_the_line() {
        let bad_toml = "[[commands]]\nname = \"PWR.X\"\nsubsystem = \"power\"\ndescription = \"x\"\nroles = [\"controller\"]\ncolour = \"red\"\n";
        let err = CommandDictionary::parse(bad_toml).unwrap_err();
        assert!(
            matches!(&err, DictionaryError::Malformed { command: Some(c), line: 6, .. } if c == "PWR.X"),
            "{err}"
        );
        assert!(err.to_string().contains("command PWR.X, line 6"), "{err}");
        let header = "# a comment\n\n";
        let command = |body: &str| {
            format!(
                "{header}[[commands]]\nname = \"PWR.X\"\nsubsystem = \"power\"\ndescription = \"x\"\n{body}"
            )
        };
        let verifier =
            "[[commands.verifiers]]\nchannel = \"pwr.bus_voltage\"\nabove = 1.0\nwithin_s = 5\n";
        for (body, expected) in [
            ("roles = [\"pilot\"]\n", "unknown role \"pilot\""),
            ("roles = [\"trainee\"]\n", "trainees practise"),
            ("roles = [\"controller\"]\n", "has no verifier"),
            (
                "roles = [\"controller\"]\n[[commands.verifiers]]\nchannel = \"pwr.bus_voltage\"\nabove = 1.0\nbelow = 2.0\nwithin_s = 5\n",
                "more than one condition",
            ),
            (
                "roles = [\"controller\"]\n[[commands.verifiers]]\nchannel = \"pwr.bus_voltage\"\nabove = 1.0\nwithin_s = 0\n",
                "waits 0 s",
            ),
            (
                &format!(
                    "roles = [\"controller\"]\n{verifier}[[commands.effects]]\nchannel = \"pwr.bus_voltage\"\nkind = \"jump\"\n"
                ),
                "not set, ramp or hold",
            ),
            (
                &format!(
                    "roles = [\"controller\"]\n{verifier}[[commands.arguments]]\nname = \"level\"\ntype = \"real\"\nmin = 5.0\nmax = 1.0\n"
                ),
                "min not above max",
            ),
        ] {
            let err = CommandDictionary::parse(&command(body)).unwrap_err();
            assert!(
                matches!(&err, DictionaryError::Command { command, line: 4, .. } if command == "PWR.X"),
                "{body}: {err}"
            );
            assert!(err.to_string().contains(expected), "{body}: {err}");
        }
        let twice = format!(
            "{}{}",
            command(&format!("roles = [\"controller\"]\n{verifier}")),
            &command(&format!("roles = [\"controller\"]\n{verifier}"))[header.len()..]
        );
        let err = CommandDictionary::parse(&twice).unwrap_err();
        assert!(err.to_string().contains("declared twice"), "{err}");
        assert!(err.to_string().contains("line 13"), "{err}");
    }
}
