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

/// A resource (named by `key` columns) that at most one active row may hold: one active
/// booking per launch and seat. A pending row counts while its hold has not lapsed.
#[derive(Debug, Clone, Copy)]
pub struct Exclusive {
    /// What the rule says, for refusals.
    pub rule: &'static str,
    /// The columns that together name the resource; a row with any of them null holds nothing.
    pub key: &'static [&'static str],
    /// The status column.
    pub status_column: &'static str,
    /// Statuses that hold the resource.
    pub holding: &'static [&'static str],
    /// A status that holds it only until the time (RFC 3339) in the second column.
    pub hold: Option<(&'static str, &'static str)>,
}

impl Exclusive {
    /// Whether a row with `status` (and hold expiry `expires_at`) holds the resource at `now`
    /// (RFC 3339 UTC text, compared as text like every stored time).
    pub fn holds(&self, status: &str, expires_at: Option<&str>, now: &str) -> bool {
        self.holding.contains(&status)
            || self.hold.is_some_and(|(held, _)| {
                held == status && expires_at.is_some_and(|expiry| expiry > now)
            })
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
    /// A resource only one active row may hold at a time, which the server enforces.
    pub exclusive: Option<Exclusive>,
    /// Personal columns: sent only to roles in [`PERSONAL_DATA_READERS`].
    pub personal_columns: &'static [&'static str],
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

/// Roles that see passengers' personal data (document, birth date, contact details).
pub const PERSONAL_DATA_READERS: &[Role] = &[Role::Admin, Role::Staff];

const REFERENCE_DATA_WRITERS: &[Role] = &[Role::Admin];
const OPERATIONS_WRITERS: &[Role] = &[Role::Admin, Role::Controller, Role::Staff];
/// Passengers and their bookings are the spaceport staff's work.
const PASSENGER_WRITERS: &[Role] = &[Role::Admin, Role::Staff];

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

/// Booking statuses and the moves between them. A waitlisted booking is offered a seat as a
/// pending hold; cancelled, no-show and expired are final.
pub const BOOKING_TRANSITIONS: Transitions = Transitions {
    column: "status",
    allowed: &[
        ("waitlisted", "pending"),
        ("waitlisted", "cancelled"),
        ("pending", "confirmed"),
        ("pending", "cancelled"),
        ("pending", "expired"),
        ("confirmed", "checked_in"),
        ("confirmed", "cancelled"),
        ("confirmed", "no_show"),
        ("checked_in", "boarded"),
        ("checked_in", "cancelled"),
        ("checked_in", "no_show"),
    ],
};

/// Incident statuses: an incident becomes stable, then closed; it goes back to active when it
/// worsens or is reopened. Closing needs it stable first.
pub const INCIDENT_TRANSITIONS: Transitions = Transitions {
    column: "status",
    allowed: &[
        ("active", "stable"),
        ("stable", "active"),
        ("stable", "closed"),
        ("closed", "active"),
    ],
};

/// Incidents are run by controllers and filed by spaceport staff.
const INCIDENT_WRITERS: &[Role] = &[Role::Admin, Role::Controller, Role::Staff];

/// One active booking per launch and seat.
pub const ONE_BOOKING_PER_SEAT: Exclusive = Exclusive {
    rule: "one active booking per launch and seat",
    key: &["launch_id", "seat_id"],
    status_column: "status",
    holding: &["confirmed", "checked_in", "boarded"],
    hold: Some(("pending", "hold_expires_at")),
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
            "seat_layout",
        ],
        policy: ConflictPolicy::LastWriterWins,
        write_roles: REFERENCE_DATA_WRITERS,
        foreign_keys: &[],
        transitions: None,
        exclusive: None,
        personal_columns: &[],
    },
    ReplicatedTable {
        name: "spaceports",
        label: "Spaceports",
        columns: &["code", "name", "lat_deg", "lon_deg", "alt_m", "demo"],
        policy: ConflictPolicy::LastWriterWins,
        write_roles: REFERENCE_DATA_WRITERS,
        foreign_keys: &[],
        transitions: None,
        exclusive: None,
        personal_columns: &[],
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
        exclusive: None,
        personal_columns: &[],
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
            "fare_classes",
            "checkin_opens_hours",
            "checkin_closes_hours",
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
        exclusive: None,
        personal_columns: &[],
    },
    ReplicatedTable {
        name: "passengers",
        label: "Passengers",
        columns: &[
            "full_name",
            "date_of_birth",
            "nationality",
            "document_number",
            "email",
            "phone",
            "emergency_contact",
            "body_mass_kg",
            "medical_status",
            "medical_expires_on",
            "training_completed_on",
            "waiver_signed_on",
            "demo",
        ],
        policy: ConflictPolicy::LastWriterWins,
        write_roles: PASSENGER_WRITERS,
        foreign_keys: &[],
        transitions: None,
        exclusive: None,
        personal_columns: &[
            "date_of_birth",
            "nationality",
            "document_number",
            "email",
            "phone",
            "emergency_contact",
        ],
    },
    ReplicatedTable {
        name: "bookings",
        label: "Bookings",
        columns: &[
            "locator",
            "launch_id",
            "passenger_id",
            "seat_id",
            "fare_class",
            "status",
            "hold_expires_at",
            "hold_extensions",
            "baggage_mass_kg",
            "created_at",
            "updated_at",
            "demo",
        ],
        policy: ConflictPolicy::ServerValidated,
        write_roles: PASSENGER_WRITERS,
        foreign_keys: &[
            ForeignKey {
                column: "launch_id",
                table: "launches",
            },
            ForeignKey {
                column: "passenger_id",
                table: "passengers",
            },
        ],
        transitions: Some(BOOKING_TRANSITIONS),
        exclusive: Some(ONE_BOOKING_PER_SEAT),
        personal_columns: &[],
    },
    ReplicatedTable {
        name: "seat_blocks",
        label: "Seat blocks",
        columns: &["launch_id", "seat_id", "reason", "created_at", "demo"],
        policy: ConflictPolicy::LastWriterWins,
        write_roles: PASSENGER_WRITERS,
        foreign_keys: &[ForeignKey {
            column: "launch_id",
            table: "launches",
        }],
        transitions: None,
        exclusive: None,
        personal_columns: &[],
    },
    ReplicatedTable {
        name: "invoices",
        label: "Invoices",
        columns: &[
            "locator",
            "number",
            "amount_minor",
            "currency",
            "status",
            "issued_at",
            "demo",
        ],
        policy: ConflictPolicy::LastWriterWins,
        write_roles: PASSENGER_WRITERS,
        foreign_keys: &[],
        transitions: None,
        exclusive: None,
        personal_columns: &[],
    },
    ReplicatedTable {
        name: "manifests",
        label: "Closed manifests",
        columns: &["launch_id", "closed_at", "closed_by", "content", "demo"],
        policy: ConflictPolicy::AppendOnly,
        write_roles: PASSENGER_WRITERS,
        foreign_keys: &[ForeignKey {
            column: "launch_id",
            table: "launches",
        }],
        transitions: None,
        exclusive: None,
        personal_columns: &[],
    },
    ReplicatedTable {
        name: "element_sets",
        label: "Element sets",
        columns: &[
            "object_name",
            "norad_id",
            "epoch",
            "omm",
            "vehicle_id",
            "source",
            "imported_at",
            "demo",
        ],
        policy: ConflictPolicy::LastWriterWins,
        write_roles: &[Role::Admin, Role::Controller],
        foreign_keys: &[ForeignKey {
            column: "vehicle_id",
            table: "vehicles",
        }],
        transitions: None,
        exclusive: None,
        personal_columns: &[],
    },
    ReplicatedTable {
        name: "incident_severities",
        label: "Incident severities",
        columns: &["rank", "name", "description", "demo"],
        policy: ConflictPolicy::LastWriterWins,
        write_roles: REFERENCE_DATA_WRITERS,
        foreign_keys: &[],
        transitions: None,
        exclusive: None,
        personal_columns: &[],
    },
    ReplicatedTable {
        name: "incidents",
        label: "Incidents",
        columns: &[
            "reference",
            "title",
            "description",
            "kind",
            "severity",
            "status",
            "reported_at",
            "reported_by",
            "stable_at",
            "closed_at",
            "source",
            "launch_id",
            "vehicle_id",
            "commander",
            "scribe",
            "liaison",
            "safety_officer",
            "runbook",
            "conditions",
            "actions",
            "needs",
            "review_summary",
            "review_causes",
            "review_lessons",
            "demo",
        ],
        policy: ConflictPolicy::ServerValidated,
        write_roles: INCIDENT_WRITERS,
        foreign_keys: &[
            ForeignKey {
                column: "launch_id",
                table: "launches",
            },
            ForeignKey {
                column: "vehicle_id",
                table: "vehicles",
            },
        ],
        transitions: Some(INCIDENT_TRANSITIONS),
        exclusive: None,
        personal_columns: &[],
    },
    ReplicatedTable {
        name: "incident_passengers",
        label: "Passengers in incidents",
        columns: &["incident_id", "passenger_id", "demo"],
        policy: ConflictPolicy::LastWriterWins,
        write_roles: INCIDENT_WRITERS,
        foreign_keys: &[
            ForeignKey {
                column: "incident_id",
                table: "incidents",
            },
            ForeignKey {
                column: "passenger_id",
                table: "passengers",
            },
        ],
        transitions: None,
        exclusive: None,
        personal_columns: &[],
    },
    ReplicatedTable {
        name: "incident_timeline",
        label: "Incident timelines",
        columns: &[
            "incident_id",
            "at",
            "author",
            "kind",
            "text",
            "refers_to",
            "demo",
        ],
        policy: ConflictPolicy::AppendOnly,
        write_roles: INCIDENT_WRITERS,
        foreign_keys: &[ForeignKey {
            column: "incident_id",
            table: "incidents",
        }],
        transitions: None,
        exclusive: None,
        personal_columns: &[],
    },
    ReplicatedTable {
        name: "incident_tasks",
        label: "Incident tasks",
        columns: &[
            "incident_id",
            "title",
            "done",
            "assignee",
            "priority",
            "due_at",
            "created_at",
            "created_by",
            "demo",
        ],
        policy: ConflictPolicy::LastWriterWins,
        write_roles: INCIDENT_WRITERS,
        foreign_keys: &[ForeignKey {
            column: "incident_id",
            table: "incidents",
        }],
        transitions: None,
        exclusive: None,
        personal_columns: &[],
    },
    ReplicatedTable {
        name: "incident_attachments",
        label: "Incident attachments",
        columns: &[
            "incident_id",
            "file_name",
            "media_type",
            "size_bytes",
            "content",
            "added_at",
            "added_by",
            "demo",
        ],
        policy: ConflictPolicy::AppendOnly,
        write_roles: INCIDENT_WRITERS,
        foreign_keys: &[ForeignKey {
            column: "incident_id",
            table: "incidents",
        }],
        transitions: None,
        exclusive: None,
        personal_columns: &[],
    },
    ReplicatedTable {
        name: "alarm_acknowledgements",
        label: "Alarm acknowledgements",
        columns: &[
            "channel",
            "severity",
            "acknowledged_at",
            "acknowledged_by",
            "comment",
            "device_id",
            "demo",
        ],
        policy: ConflictPolicy::AppendOnly,
        write_roles: &[Role::Admin, Role::Controller],
        foreign_keys: &[],
        transitions: None,
        exclusive: None,
        personal_columns: &[],
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
    fn incidents_close_only_once_stable_and_can_reopen() {
        assert!(INCIDENT_TRANSITIONS.allows("active", "stable"));
        assert!(INCIDENT_TRANSITIONS.allows("stable", "closed"));
        assert!(INCIDENT_TRANSITIONS.allows("closed", "active"));
        assert!(INCIDENT_TRANSITIONS.allows("stable", "active"));
        assert!(!INCIDENT_TRANSITIONS.allows("active", "closed"));
        assert!(!INCIDENT_TRANSITIONS.allows("closed", "stable"));
    }

    #[test]
    fn a_pending_hold_holds_its_seat_until_it_lapses() {
        let rule = ONE_BOOKING_PER_SEAT;
        let now = "2026-11-22T12:00:00Z";
        assert!(rule.holds("confirmed", None, now));
        assert!(rule.holds("pending", Some("2026-11-22T12:10:00Z"), now));
        assert!(!rule.holds("pending", Some("2026-11-22T11:59:00Z"), now));
        assert!(!rule.holds("cancelled", None, now));
        assert!(!rule.holds("waitlisted", None, now));
    }

    #[test]
    fn personal_columns_are_columns_of_their_table() {
        for t in MANIFEST {
            for column in t.personal_columns {
                assert!(t.columns.contains(column), "{}.{column}", t.name);
            }
        }
    }

    #[test]
    fn roles_round_trip_and_unknown_ones_are_named() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        assert!("pilot".parse::<Role>().unwrap_err().contains("pilot"));
    }
}
