//! The table manifest: which tables replicate, their columns, who may write them, and how
//! concurrent edits are settled. The server enforces it; it holds no workflow of its own.

/// How concurrent edits of a table are settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictPolicy {
    /// Per column, the edit with the later hybrid-logical-clock time wins.
    LastWriterWins,
    /// Rows are only ever added; nothing to settle.
    AppendOnly,
    /// Last writer wins per column, after the server checks the table's constraints; an edit
    /// that breaks one is rejected and reaches a person.
    ServerValidated,
}

/// A role a user signs in with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Manages users and reference data.
    Admin,
    /// Flight controller.
    Controller,
    /// Spaceport staff.
    Staff,
    /// Runs training sessions.
    Trainer,
    /// In training: writes only to training sandboxes.
    Trainee,
}

impl Role {
    /// Every role.
    pub const ALL: [Self; 5] = [
        Self::Admin,
        Self::Controller,
        Self::Staff,
        Self::Trainer,
        Self::Trainee,
    ];

    /// The word used on the wire and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Controller => "controller",
            Self::Staff => "staff",
            Self::Trainer => "trainer",
            Self::Trainee => "trainee",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == text)
            .ok_or_else(|| {
                format!(
                    "unknown role {text:?}; roles are admin, controller, staff, trainer, trainee"
                )
            })
    }
}

/// A column that must name a live row of another table.
#[derive(Debug, Clone, Copy)]
pub struct ForeignKey {
    /// The column holding the id.
    pub column: &'static str,
    /// The table it points into.
    pub table: &'static str,
}

/// The states a status column may move between.
#[derive(Debug, Clone, Copy)]
pub struct Transitions {
    /// The status column.
    pub column: &'static str,
    /// Allowed moves, `(from, to)`.
    pub allowed: &'static [(&'static str, &'static str)],
}

impl Transitions {
    /// Whether moving from `from` to `to` is allowed (staying put always is).
    pub fn allows(&self, from: &str, to: &str) -> bool {
        from == to || self.allowed.iter().any(|(f, t)| *f == from && *t == to)
    }
}

/// One replicated table.
#[derive(Debug, Clone, Copy)]
pub struct ReplicatedTable {
    /// The SQL table name.
    pub name: &'static str,
    /// What a person calls its rows.
    pub label: &'static str,
    /// Its columns other than `id`, all replicated.
    pub columns: &'static [&'static str],
    /// How concurrent edits are settled.
    pub policy: ConflictPolicy,
    /// Who may insert, update or delete rows.
    pub write_roles: &'static [Role],
    /// Columns that reference other tables.
    pub foreign_keys: &'static [ForeignKey],
    /// A status state machine the server enforces, if any.
    pub transitions: Option<Transitions>,
}

impl ReplicatedTable {
    /// Whether rows can be marked as demo data.
    pub fn has_demo_rows(&self) -> bool {
        self.columns.contains(&"demo")
    }

    /// Whether `role` may write this table.
    pub fn writable_by(&self, role: Role) -> bool {
        self.write_roles.contains(&role)
    }
}

const REFERENCE_DATA_WRITERS: &[Role] = &[Role::Admin];
const OPERATIONS_WRITERS: &[Role] = &[Role::Admin, Role::Controller, Role::Staff];

/// Launch statuses and the moves between them (a scrubbed launch can be rescheduled).
pub const LAUNCH_TRANSITIONS: Transitions = Transitions {
    column: "status",
    allowed: &[
        ("planned", "scheduled"),
        ("planned", "cancelled"),
        ("scheduled", "boarding"),
        ("scheduled", "scrubbed"),
        ("scheduled", "cancelled"),
        ("boarding", "launched"),
        ("boarding", "scrubbed"),
        ("launched", "landed"),
        ("scrubbed", "scheduled"),
        ("scrubbed", "cancelled"),
    ],
};

/// Every replicated table, parents before children.
pub const MANIFEST: &[ReplicatedTable] = &[
    ReplicatedTable {
        name: "vehicles",
        label: "Vehicles",
        columns: &[
            "name",
            "model",
            "seat_count",
            "max_passenger_mass_kg",
            "max_baggage_mass_kg",
            "demo",
        ],
        policy: ConflictPolicy::LastWriterWins,
        write_roles: REFERENCE_DATA_WRITERS,
        foreign_keys: &[],
        transitions: None,
    },
    ReplicatedTable {
        name: "spaceports",
        label: "Spaceports",
        columns: &["code", "name", "lat_deg", "lon_deg", "alt_m", "demo"],
        policy: ConflictPolicy::LastWriterWins,
        write_roles: REFERENCE_DATA_WRITERS,
        foreign_keys: &[],
        transitions: None,
    },
    ReplicatedTable {
        name: "ground_stations",
        label: "Ground stations",
        columns: &[
            "name",
            "lat_deg",
            "lon_deg",
            "alt_m",
            "min_elevation_deg",
            "demo",
        ],
        policy: ConflictPolicy::LastWriterWins,
        write_roles: &[Role::Admin, Role::Controller],
        foreign_keys: &[],
        transitions: None,
    },
    ReplicatedTable {
        name: "launches",
        label: "Launches",
        columns: &[
            "mission",
            "vehicle_id",
            "spaceport_id",
            "pad",
            "scheduled_at",
            "status",
            "demo",
        ],
        policy: ConflictPolicy::ServerValidated,
        write_roles: OPERATIONS_WRITERS,
        foreign_keys: &[
            ForeignKey {
                column: "vehicle_id",
                table: "vehicles",
            },
            ForeignKey {
                column: "spaceport_id",
                table: "spaceports",
            },
        ],
        transitions: Some(LAUNCH_TRANSITIONS),
    },
];

/// The manifest entry of `name`.
pub fn table(name: &str) -> Option<&'static ReplicatedTable> {
    MANIFEST.iter().find(|t| t.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reference_points_at_an_earlier_table() {
        for (index, t) in MANIFEST.iter().enumerate() {
            for fk in t.foreign_keys {
                let parent = MANIFEST.iter().position(|p| p.name == fk.table);
                assert!(
                    parent.is_some_and(|p| p < index),
                    "{}.{}",
                    t.name,
                    fk.column
                );
                assert!(t.columns.contains(&fk.column));
            }
        }
    }

    #[test]
    fn launch_transitions_follow_the_launch_day() {
        assert!(LAUNCH_TRANSITIONS.allows("scheduled", "boarding"));
        assert!(LAUNCH_TRANSITIONS.allows("scrubbed", "scheduled"));
        assert!(!LAUNCH_TRANSITIONS.allows("landed", "scheduled"));
        assert!(!LAUNCH_TRANSITIONS.allows("cancelled", "boarding"));
    }

    #[test]
    fn roles_round_trip_and_unknown_ones_are_named() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("pilot".parse::<Role>().unwrap_err().contains("pilot"));
    }
}
