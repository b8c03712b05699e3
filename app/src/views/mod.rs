//! One module per screen. A view draws from what it is given and sends
//! [`crate::console::UiCommand`]s for what the user asked; it never writes to the replica.

pub mod format;
pub mod overview;
pub mod settings;
pub mod sync;

use serde::{Deserialize, Serialize};

/// The screens of the console, in navigation order (Ctrl+1 is the first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum View {
    /// What the replica holds, its health, the demo dataset and upcoming launches.
    #[default]
    Overview,
    /// The link to the central server: status, history, conflicts inbox.
    Sync,
    /// Theme, text size, and where data and logs live.
    Settings,
}

impl View {
    /// Every view, in navigation order.
    pub const ALL: [Self; 3] = [Self::Overview, Self::Sync, Self::Settings];

    /// The view's name in the navigation.
    pub fn title(self) -> &'static str {
        match self {
            Self::Overview => "Overview",
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
            Self::Sync => {
                "The link to the central server: sign-in, status, sync history and the conflicts inbox"
            }
            Self::Settings => "Theme, text size, and where the console keeps its data and logs",
        }
    }

    /// Its position in the navigation, from 1 (the number of its Ctrl shortcut).
    pub fn number(self) -> usize {
        Self::ALL.iter().position(|v| *v == self).unwrap_or(0) + 1
    }
}
