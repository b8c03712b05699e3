//! One module per screen. A view draws from what it is given and sends
//! [`crate::UiCommand`]s for what the user asked; it never writes to the replica.

mod command;
mod palette;

pub use command::UiCommand;
pub use palette::CommandPalette;

/// The domain workflows the screens draw and command (package `galaxium-ops`).
pub(crate) use galaxium_ops as ops;

pub mod checkin;
pub mod commanding;
pub mod format;
pub mod incidents;
pub mod launches;
pub mod mission;
pub mod orbit;
pub mod overview;
pub mod passengers;
pub mod poll;
pub mod settings;
pub mod sync;

use serde::{Deserialize, Serialize};

/// The screens of the console, in navigation order (Ctrl+1 is the first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum View {
    /// What the replica holds, its health, the demo dataset and upcoming launches.
    #[default]
    Overview,
    /// Launches, their seat maps and bookings.
    Launches,
    /// The check-in desk.
    CheckIn,
    /// Passengers and their readiness.
    Passengers,
    /// Tracked objects, the ground-track map, passes and sunlight.
    Orbit,
    /// Telemetry: key values, alarms, channels, plots and the event log.
    Mission,
    /// Commands to the vehicle: build, confirm, approve, the queue and the history.
    Commanding,
    /// Incidents: the board, an incident's timeline, runbook, tasks and reports.
    Incidents,
    /// The link to the central server: status, history, conflicts inbox.
    Sync,
    /// Theme, text size, and where data and logs live.
    Settings,
}

impl View {
    /// Every view, in navigation order.
    pub const ALL: [Self; 10] = [
        Self::Overview,
        Self::Launches,
        Self::CheckIn,
        Self::Passengers,
        Self::Orbit,
        Self::Mission,
        Self::Commanding,
        Self::Incidents,
        Self::Sync,
        Self::Settings,
    ];

    /// The view's name in the navigation.
    pub fn title(self) -> &'static str {
        match self {
            Self::Overview => "Overview",
            Self::Launches => "Launches",
            Self::CheckIn => "Check-in desk",
            Self::Passengers => "Passengers",
            Self::Orbit => "Orbit",
            Self::Mission => "Mission",
            Self::Commanding => "Commanding",
            Self::Incidents => "Incidents",
            Self::Sync => "Sync",
            Self::Settings => "Settings",
        }
    }

    /// One line on what the view is for.
    pub fn description(self) -> &'static str {
        match self {
            Self::Overview => {
                "The local replica: what it holds, its health and backups, the demo dataset and upcoming launches"
            }
            Self::Launches => {
                "Launches with their seat maps: sell and confirm seats, readiness, mass, manifests"
            }
            Self::CheckIn => "Find a booking by locator, check passengers in and board them",
            Self::Passengers => "Passengers, their readiness for flight and their details",
            Self::Orbit => {
                "Where the crewed vehicle and other objects are: ground track, passes over the ground stations, sunlight"
            }
            Self::Mission => {
                "The crewed vehicle's telemetry: key values, alarms to acknowledge, every channel, plots, the event log"
            }
            Self::Commanding => {
                "Commands to the vehicle: build one from the dictionary, confirm hazards, approve, the queue and every command's stages"
            }
            Self::Incidents => {
                "Incidents from the first alarm to the closed report: board, timeline, runbook, tasks, roles"
            }
            Self::Sync => {
                "The link to the central server: sign-in, status, sync history and the conflicts inbox"
            }
            Self::Settings => "Theme, text size, and where the console keeps its data and logs",
        }
    }

    /// Its position in the navigation, from 1 (the number of its Ctrl shortcut, up to 9;
    /// Settings, the tenth, is on Ctrl+comma as elsewhere).
    pub fn number(self) -> usize {
        Self::ALL.iter().position(|v| *v == self).unwrap_or(0) + 1
    }
}

/// How many cards of at least `min_width` fit side by side in `ui`'s width (one at least,
/// `most` at most): a narrow window gets more rows, never squeezed cards.
pub(crate) fn cards_per_row(ui: &egui::Ui, min_width: f32, most: usize) -> usize {
    let gap = ui.spacing().item_spacing.x;
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a small positive count of cards"
    )]
    let fit = ((ui.available_width() + gap) / (min_width + gap))
        .floor()
        .max(1.0) as usize;
    fit.min(most.max(1))
}
