//! The go/no-go poll list (`assets/launch/poll.toml`): the positions that answer for a launch,
//! who may answer for each, and the commit criteria evaluated beside their answers. The
//! console and the server read the same list, so the console offers a position only to those
//! the server will accept it from.

use serde::Deserialize;

use crate::schema::registry::Role;

/// The poll list this build ships.
pub const SHIPPED: &str = include_str!("../../assets/launch/poll.toml");

/// A poll list that cannot be used, with where it is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PollListError {
    /// The TOML is malformed, or a field is unknown or of the wrong type.
    #[error("go/no-go poll list, line {line}: {reason}")]
    Malformed {
        /// The line, from 1.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A position or a criterion is inconsistent.
    #[error("go/no-go poll list, {what} {id:?}: {reason}")]
    Entry {
        /// "position" or "criterion".
        what: &'static str,
        /// Its id.
        id: String,
        /// What is wrong.
        reason: String,
    },
}

/// A position that answers GO or NO-GO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// Its id, as answers record it.
    pub id: String,
    /// What the flight director calls it.
    pub name: String,
    /// Who may answer for it.
    pub roles: Vec<Role>,
    /// Whether it is the flight director's: opens, waives and decides.
    pub directs: bool,
}

impl Position {
    /// Whether `role` may answer for this position.
    pub fn allows(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// "admin or controller".
    pub fn roles_in_words(&self) -> String {
        let words: Vec<&str> = self.roles.iter().map(|r| r.as_str()).collect();
        words.join(" or ")
    }
}

/// What a commit criterion checks.
#[derive(Debug, Clone, PartialEq)]
pub enum CriterionKind {
    /// A channel's latest value lies within the bounds and is fresh.
    Telemetry {
        /// The channel's id.
        channel: String,
        /// The lowest value that is green.
        min: Option<f64>,
        /// The highest value that is green.
        max: Option<f64>,
        /// How old the latest value may be.
        max_age_s: f64,
    },
    /// No critical alarm is unacknowledged.
    Alarms,
    /// No incident of the most severe level is open.
    Incidents,
    /// Every passenger of the launch is GO.
    Readiness,
    /// The mass budget lies inside the vehicle's limits.
    Mass,
    /// The manifest is closed.
    Manifest,
    /// The first contact after launch begins within this many minutes of it.
    Contact {
        /// The longest wait for the first contact.
        within_minutes: f64,
    },
}

/// One commit criterion.
#[derive(Debug, Clone, PartialEq)]
pub struct Criterion {
    /// Its id, as waivers record it.
    pub id: String,
    /// What people call it.
    pub name: String,
    /// What it checks.
    pub kind: CriterionKind,
}

/// The positions and criteria of a launch poll.
#[derive(Debug, Clone, PartialEq)]
pub struct PollList {
    /// Positions, in the order they are polled; exactly one directs.
    pub positions: Vec<Position>,
    /// Commit criteria.
    pub criteria: Vec<Criterion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawList {
    positions: Vec<RawPosition>,
    #[serde(default)]
    criteria: Vec<RawCriterion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPosition {
    id: String,
    name: String,
    roles: Vec<String>,
    #[serde(default)]
    directs: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCriterion {
    id: String,
    name: String,
    kind: String,
    channel: Option<String>,
    min: Option<f64>,
    max: Option<f64>,
    max_age_s: Option<f64>,
    within_minutes: Option<f64>,
}

/// How old a telemetry criterion's value may be unless the list says otherwise.
const DEFAULT_MAX_AGE_S: f64 = 10.0;

impl PollList {
    /// The list this build ships.
    pub fn shipped() -> Result<Self, PollListError> {
        Self::parse(SHIPPED)
    }

    /// Reads a poll list, refusing one with a duplicate id, an unknown role or kind, a
    /// criterion missing what its kind needs, or not exactly one directing position.
    pub fn parse(text: &str) -> Result<Self, PollListError> {
        let raw: RawList = toml::from_str(text).map_err(|err| PollListError::Malformed {
            line: line_of(text, err.span().map_or(0, |span| span.start)),
            reason: err.message().to_owned(),
        })?;
        let mut positions: Vec<Position> = Vec::new();
        for p in raw.positions {
            let entry = |reason: String| PollListError::Entry {
                what: "position",
                id: p.id.clone(),
                reason,
            };
            if positions.iter().any(|known| known.id == p.id) {
                return Err(entry("is listed twice".to_owned()));
            }
            let roles = p
                .roles
                .iter()
                .map(|r| r.parse::<Role>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(entry)?;
            if roles.is_empty() {
                return Err(entry("names no role that may answer for it".to_owned()));
            }
            positions.push(Position {
                id: p.id.clone(),
                name: p.name,
                roles,
                directs: p.directs,
            });
        }
        let directing = positions.iter().filter(|p| p.directs).count();
        if directing != 1 {
            return Err(PollListError::Malformed {
                line: 1,
                reason: format!(
                    "exactly one position directs the poll (directs = true); {directing} do"
                ),
            });
        }
        let mut criteria: Vec<Criterion> = Vec::new();
        for c in raw.criteria {
            if criteria.iter().any(|known| known.id == c.id) {
                return Err(PollListError::Entry {
                    what: "criterion",
                    id: c.id,
                    reason: "is listed twice".to_owned(),
                });
            }
            criteria.push(criterion(c)?);
        }
        Ok(Self {
            positions,
            criteria,
        })
    }

    /// The position called `id`.
    pub fn position(&self, id: &str) -> Option<&Position> {
        self.positions.iter().find(|p| p.id == id)
    }

    /// The flight director's position.
    pub fn director(&self) -> &Position {
        // `parse` keeps only lists with exactly one directing position.
        self.positions
            .iter()
            .find(|p| p.directs)
            .unwrap_or(&self.positions[0])
    }

    /// The criterion called `id`.
    pub fn criterion(&self, id: &str) -> Option<&Criterion> {
        self.criteria.iter().find(|c| c.id == id)
    }
}

fn criterion(c: RawCriterion) -> Result<Criterion, PollListError> {
    let entry = |reason: &str| PollListError::Entry {
        what: "criterion",
        id: c.id.clone(),
        reason: reason.to_owned(),
    };
    let kind = match c.kind.as_str() {
        "telemetry" => {
            let channel = c
                .channel
                .clone()
                .ok_or_else(|| entry("a telemetry criterion names its channel"))?;
            if c.min.is_none() && c.max.is_none() {
                return Err(entry("a telemetry criterion gives min, max or both"));
            }
            if let (Some(min), Some(max)) = (c.min, c.max)
                && min > max
            {
                return Err(entry("its min is above its max"));
            }
            let max_age_s = c.max_age_s.unwrap_or(DEFAULT_MAX_AGE_S);
            if max_age_s.is_nan() || max_age_s <= 0.0 {
                return Err(entry("max_age_s must be above 0"));
            }
            CriterionKind::Telemetry {
                channel,
                min: c.min,
                max: c.max,
                max_age_s,
            }
        }
        "alarms" => CriterionKind::Alarms,
        "incidents" => CriterionKind::Incidents,
        "readiness" => CriterionKind::Readiness,
        "mass" => CriterionKind::Mass,
        "manifest" => CriterionKind::Manifest,
        "contact" => {
            let within_minutes = c
                .within_minutes
                .ok_or_else(|| entry("a contact criterion gives within_minutes"))?;
            if within_minutes.is_nan() || within_minutes <= 0.0 {
                return Err(entry("within_minutes must be above 0"));
            }
            CriterionKind::Contact { within_minutes }
        }
        other => {
            return Err(entry(&format!(
                "kind {other:?} is not one of telemetry, alarms, incidents, readiness, mass, \
                 manifest, contact"
            )));
        }
    };
    Ok(Criterion {
        id: c.id,
        name: c.name,
        kind,
    })
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map_or(1, |before| before.matches('\n').count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_list_reads_with_one_director_and_every_kind() {
        let list = PollList::shipped().unwrap();
        assert_eq!(list.director().id, "flight_director");
        assert_eq!(list.positions.len(), 8);
        assert!(list.position("medical").unwrap().allows(Role::Staff));
        assert!(!list.position("medical").unwrap().allows(Role::Controller));
        for kind in [
            "telemetry",
            "alarms",
            "incidents",
            "readiness",
            "mass",
            "manifest",
            "contact",
        ] {
            assert!(SHIPPED.contains(&format!("kind = \"{kind}\"")), "{kind}");
        }
        assert_eq!(list.criteria.len(), 10);
    }

    #[test]
    fn a_malformed_list_is_refused_saying_where() {
        let two_directors = "[[positions]]\nid = \"a\"\nname = \"A\"\nroles = [\"admin\"]\ndirects = true\n\
                             [[positions]]\nid = \"b\"\nname = \"B\"\nroles = [\"admin\"]\ndirects = true\n";
        assert!(
            PollList::parse(two_directors)
                .unwrap_err()
                .to_string()
                .contains("exactly one position directs")
        );
        let bad_role =
            "[[positions]]\nid = \"a\"\nname = \"A\"\nroles = [\"pilot\"]\ndirects = true\n";
        let err = PollList::parse(bad_role).unwrap_err().to_string();
        assert!(
            err.contains("position \"a\"") && err.contains("pilot"),
            "{err}"
        );
        let unknown_field =
            "[[positions]]\nid = \"a\"\nname = \"A\"\nroles = [\"admin\"]\ncolour = 1\n";
        let err = PollList::parse(unknown_field).unwrap_err().to_string();
        assert!(err.contains("line 5"), "{err}");
        let no_channel = "[[positions]]\nid = \"a\"\nname = \"A\"\nroles = [\"admin\"]\ndirects = true\n\
                          [[criteria]]\nid = \"p\"\nname = \"P\"\nkind = \"telemetry\"\nmin = 1.0\n";
        let err = PollList::parse(no_channel).unwrap_err().to_string();
        assert!(
            err.contains("criterion \"p\"") && err.contains("channel"),
            "{err}"
        );
    }
}
