//! Runbooks: checklists per kind of incident, shipped in `assets/runbooks/` (format in its
//! README). They are read once, at first use; a shipped file that does not read is a build
//! defect, caught by the tests.

use std::sync::LazyLock;

use super::IncidentKind;

/// The shipped runbook files, by name.
const SHIPPED: &[(&str, &str)] = &[
    (
        "cabin-depressurisation.toml",
        include_str!("../../../../assets/runbooks/cabin-depressurisation.toml"),
    ),
    (
        "fire-or-smoke.toml",
        include_str!("../../../../assets/runbooks/fire-or-smoke.toml"),
    ),
    (
        "passenger-medical.toml",
        include_str!("../../../../assets/runbooks/passenger-medical.toml"),
    ),
    (
        "loss-of-comms.toml",
        include_str!("../../../../assets/runbooks/loss-of-comms.toml"),
    ),
    (
        "pad-evacuation.toml",
        include_str!("../../../../assets/runbooks/pad-evacuation.toml"),
    ),
];

/// One runbook.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Runbook {
    /// Stable id; timelines refer to steps by it.
    pub id: String,
    /// Its name.
    pub title: String,
    /// The kinds of incident it is made for (stored form).
    pub kinds: Vec<String>,
    /// The steps, in order.
    pub steps: Vec<String>,
}

/// Why a runbook file was refused.
#[derive(Debug, thiserror::Error)]
pub enum RunbookError {
    /// Not TOML of the expected shape.
    #[error("{file}: {message}")]
    Format {
        /// The file.
        file: String,
        /// What toml said, with the line.
        message: String,
    },
    /// A kind that does not exist.
    #[error(
        "{file}: unknown kind {kind:?}; kinds are vehicle, passenger_medical, ground_operations, security, it"
    )]
    Kind {
        /// The file.
        file: String,
        /// The kind.
        kind: String,
    },
    /// No steps.
    #[error("{file}: a runbook needs at least one step")]
    Empty {
        /// The file.
        file: String,
    },
}

/// Reads one runbook file.
pub fn parse(file: &str, text: &str) -> Result<Runbook, RunbookError> {
    let book: Runbook = toml::from_str(text).map_err(|err| RunbookError::Format {
        file: file.to_owned(),
        message: err.to_string().trim().to_owned(),
    })?;
    if let Some(kind) = book.kinds.iter().find(|k| IncidentKind::parse(k).is_none()) {
        return Err(RunbookError::Kind {
            file: file.to_owned(),
            kind: kind.clone(),
        });
    }
    if book.steps.is_empty() {
        return Err(RunbookError::Empty {
            file: file.to_owned(),
        });
    }
    Ok(book)
}

static RUNBOOKS: LazyLock<Vec<Runbook>> = LazyLock::new(|| {
    SHIPPED
        .iter()
        .filter_map(|(file, text)| match parse(file, text) {
            Ok(book) => Some(book),
            Err(err) => {
                tracing::error!("a shipped runbook is left out: {err}");
                None
            }
        })
        .collect()
});

/// Every shipped runbook.
pub fn all() -> &'static [Runbook] {
    &RUNBOOKS
}

/// The runbook with `id`.
pub fn get(id: &str) -> Option<&'static Runbook> {
    RUNBOOKS.iter().find(|r| r.id == id)
}

/// The first runbook made for `kind`.
pub fn for_kind(kind: IncidentKind) -> Option<&'static Runbook> {
    RUNBOOKS
        .iter()
        .find(|r| r.kinds.iter().any(|k| k == kind.as_str()))
}

/// How a timeline entry names a step: "runbook-id#3" (zero-based).
pub fn step_ref(runbook: &str, step: usize) -> String {
    format!("{runbook}#{step}")
}

/// The runbook and step an entry names.
pub fn parse_step_ref(text: &str) -> Option<(&str, usize)> {
    let (book, step) = text.rsplit_once('#')?;
    Some((book, step.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_runbook_reads_and_every_kind_has_one() {
        assert_eq!(all().len(), SHIPPED.len());
        for kind in IncidentKind::ALL {
            assert!(for_kind(kind).is_some(), "{kind:?}");
        }
        assert_eq!(
            get("cabin-depressurisation").map(|r| r.steps.len()),
            Some(8)
        );
    }

    #[test]
    fn a_bad_runbook_is_refused_with_its_file_and_reason() {
        let err = parse(
            "x.toml",
            "id = \"x\"\ntitle = \"X\"\nkinds = [\"boat\"]\nsteps = [\"a\"]",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "x.toml: unknown kind \"boat\"; kinds are vehicle, passenger_medical, ground_operations, security, it"
        );
        let err = parse(
            "y.toml",
            "id = \"y\"\ntitle = \"Y\"\nkinds = []\nsteps = []",
        )
        .unwrap_err();
        assert!(err.to_string().contains("at least one step"));
        let err = parse("z.toml", "id = 3").unwrap_err();
        assert!(err.to_string().starts_with("z.toml: "), "{err}");
    }

    #[test]
    fn step_references_round_trip() {
        assert_eq!(
            parse_step_ref(&step_ref("pad-evacuation", 4)),
            Some(("pad-evacuation", 4))
        );
        assert_eq!(parse_step_ref("nonsense"), None);
    }
}
