//! Everything a user can ask the console to do. Views, menus, shortcuts and the command
//! palette all send these; the console applies them once per frame.

use egui::{Key, KeyboardShortcut, Modifiers};

use crate::View;
use crate::launches::BookingCommand;
use crate::mission::TelemetryCommand;
use crate::ops::bookings::Passenger;
use crate::ops::orbit::StationForm;
use crate::orbit::ImportForm;

/// A user action.
#[derive(Debug, Clone, PartialEq)]
pub enum UiCommand {
    /// Show a view.
    ShowView(View),
    /// Open the command palette.
    OpenCommandPalette,
    /// Back up the replica into the data folder's `backups/`.
    BackUpReplica,
    /// Ask to remove the demo dataset (a confirmation follows).
    RemoveDemoData,
    /// Remove the demo dataset; sent by the confirmation.
    RemoveDemoDataConfirmed,
    /// Seed the demo dataset into this replica.
    LoadDemoData,
    /// Switch between the dark and the light theme.
    ToggleTheme,
    /// Larger text and controls.
    ZoomIn,
    /// Smaller text and controls.
    ZoomOut,
    /// Text and controls at their normal size.
    ZoomReset,
    /// Sync with the server now.
    SyncNow,
    /// Open the sign-in dialog.
    OpenSignIn,
    /// Forget the sign-in; the console goes on offline.
    SignOut,
    /// Settle a conflict by keeping the server's version (the conflict's id).
    KeepServerVersion(String),
    /// Settle a conflict over a taken name or code by sending the edit again under another.
    SendAgainUnder {
        /// The conflict.
        conflict_id: String,
        /// The new name or code.
        key: String,
    },
    /// A change to launches and bookings.
    Bookings(BookingCommand),
    /// Add element sets from a file or pasted text.
    ImportElementSets(Box<ImportForm>),
    /// Add or update a ground station.
    SaveStation(Box<StationForm>),
    /// Remove a ground station (its id).
    RemoveStation(String),
    /// Acknowledge a channel's alarm with a comment.
    AcknowledgeAlarm {
        /// The channel.
        channel: String,
        /// Why, or what was done.
        comment: String,
    },
    /// Change where telemetry comes from, or steer a recording being played.
    Telemetry(TelemetryCommand),
    /// Take a channel's alarm out of the banner for a while.
    ShelveAlarm {
        /// The channel.
        channel: String,
        /// For how long.
        minutes: i64,
    },
    /// Mute (true) or unmute the alarm tone.
    MuteTone(bool),
    /// A change to incidents.
    Incident(crate::incidents::IncidentCommand),
    /// Save a passenger (a new one when its id is empty).
    SavePassenger(Box<Passenger>),
    /// A change to the command queue.
    Commanding(crate::commanding::CommandingCommand),
    /// Close the console.
    Quit,
}

const CTRL: Modifiers = Modifiers::COMMAND;
const CTRL_SHIFT: Modifiers = Modifiers {
    shift: true,
    ..Modifiers::COMMAND
};

impl UiCommand {
    /// Every command the palette offers, in the order it lists them.
    pub fn palette_entries() -> Vec<Self> {
        View::ALL
            .iter()
            .map(|view| Self::ShowView(*view))
            .chain([
                Self::BackUpReplica,
                Self::LoadDemoData,
                Self::RemoveDemoData,
                Self::SyncNow,
                Self::OpenSignIn,
                Self::SignOut,
                Self::ToggleTheme,
                Self::ZoomIn,
                Self::ZoomOut,
                Self::ZoomReset,
                Self::MuteTone(true),
                Self::MuteTone(false),
                Self::Quit,
            ])
            .collect()
    }

    /// Every command that has a keyboard shortcut.
    pub fn with_shortcuts() -> impl Iterator<Item = (Self, KeyboardShortcut)> {
        Self::palette_entries()
            .into_iter()
            .chain([Self::OpenCommandPalette])
            .filter_map(|command| command.shortcut().map(|sc| (command, sc)))
    }

    /// The command's name, as in menus and the palette.
    pub fn label(&self) -> String {
        match self {
            Self::ShowView(view) => format!("Go to {}", view.title()),
            Self::OpenCommandPalette => "Command palette".to_owned(),
            Self::BackUpReplica => "Back up the replica now".to_owned(),
            Self::RemoveDemoData => "Remove demo data…".to_owned(),
            Self::RemoveDemoDataConfirmed => "Remove demo data".to_owned(),
            Self::LoadDemoData => "Load demo data".to_owned(),
            Self::ToggleTheme => "Switch dark / light theme".to_owned(),
            Self::ZoomIn => "Larger text".to_owned(),
            Self::ZoomOut => "Smaller text".to_owned(),
            Self::ZoomReset => "Normal text size".to_owned(),
            Self::SyncNow => "Sync now".to_owned(),
            Self::OpenSignIn => "Sign in to the server…".to_owned(),
            Self::SignOut => "Sign out".to_owned(),
            Self::KeepServerVersion(_) => "Keep the server's version".to_owned(),
            Self::SendAgainUnder { .. } => "Send again under this name".to_owned(),
            Self::Bookings(command) => command.label().to_owned(),
            Self::SavePassenger(_) => "Save passenger".to_owned(),
            Self::Incident(command) => command.label().to_owned(),
            Self::Commanding(command) => command.label(),
            Self::MuteTone(true) => "Mute the alarm tone".to_owned(),
            Self::MuteTone(false) => "Unmute the alarm tone".to_owned(),
            Self::ImportElementSets(_) => "Import element sets".to_owned(),
            Self::SaveStation(_) => "Save ground station".to_owned(),
            Self::RemoveStation(_) => "Remove ground station".to_owned(),
            Self::AcknowledgeAlarm { channel, .. } => format!("Acknowledge {channel}"),
            Self::Telemetry(command) => command.label(),
            Self::ShelveAlarm { channel, .. } => format!("Shelve {channel}"),
            Self::Quit => "Quit".to_owned(),
        }
    }

    /// One line on what it does.
    pub fn tooltip(&self) -> &'static str {
        match self {
            Self::ShowView(view) => view.description(),
            Self::OpenCommandPalette => "Find and run any command by name",
            Self::BackUpReplica => {
                "Write a consistent copy of the replica into the data folder's backups"
            }
            Self::RemoveDemoData => "Delete every row marked as demo; your own data stays",
            Self::RemoveDemoDataConfirmed => "Delete every row marked as demo now",
            Self::LoadDemoData => {
                "Add the demo fleet, spaceports, ground stations and launches, marked as demo"
            }
            Self::ToggleTheme => "Dark for control rooms, light for bright rooms",
            Self::ZoomIn => "Make text and controls larger",
            Self::ZoomOut => "Make text and controls smaller",
            Self::ZoomReset => "Return text and controls to their normal size",
            Self::SyncNow => "Push local edits to the central server and pull everyone else's now",
            Self::OpenSignIn => "Sign in to the central server to sync this replica",
            Self::SignOut => "Forget the sign-in; the console goes on working offline",
            Self::KeepServerVersion(_) => {
                "Settle this conflict: the server's version, already shown, stays"
            }
            Self::SendAgainUnder { .. } => {
                "Settle this conflict: make the row again under the name typed here, sent with the next sync"
            }
            Self::Bookings(_) => "Change launches and bookings",
            Self::SavePassenger(_) => "Store the passenger's record in the replica",
            Self::ImportElementSets(_) => "Add the element sets to the replica, to track them",
            Self::SaveStation(_) => "Store the ground station in the replica",
            Self::RemoveStation(_) => "Remove the ground station from the replica",
            Self::AcknowledgeAlarm { .. } => "Acknowledge the alarm; the comment is logged",
            Self::Telemetry(_) => "Where telemetry comes from, and how a recording plays",
            Self::ShelveAlarm { .. } => "Take the alarm out of the banner for a while",
            Self::MuteTone(true) => {
                "Silence the alarm tone on this console (the banner shows it); a new critical alarm sounds anyway"
            }
            Self::MuteTone(false) => "Let the alarm tone sound again",
            Self::Incident(_) => "Open and work incidents",
            Self::Commanding(_) => "Queue, approve, move and cancel commands to the vehicle",
            Self::Quit => "Close the console; everything is already saved in the replica",
        }
    }

    /// Its keyboard shortcut, if it has one.
    pub fn shortcut(&self) -> Option<KeyboardShortcut> {
        let (modifiers, key) = match self {
            Self::ShowView(View::Settings) => (CTRL, Key::Comma),
            Self::ShowView(view) => (CTRL, number_key(view.number())?),
            Self::SyncNow => (CTRL_SHIFT, Key::S),
            Self::OpenCommandPalette => (CTRL, Key::K),
            Self::BackUpReplica => (CTRL_SHIFT, Key::B),
            Self::ToggleTheme => (CTRL_SHIFT, Key::T),
            Self::ZoomIn => (CTRL, Key::Plus),
            Self::ZoomOut => (CTRL, Key::Minus),
            Self::ZoomReset => (CTRL, Key::Num0),
            Self::Quit => (CTRL, Key::Q),
            Self::MuteTone(true) => (CTRL_SHIFT, Key::M),
            Self::MuteTone(false)
            | Self::Incident(_)
            | Self::Commanding(_)
            | Self::RemoveDemoData
            | Self::RemoveDemoDataConfirmed
            | Self::LoadDemoData
            | Self::OpenSignIn
            | Self::SignOut
            | Self::KeepServerVersion(_)
            | Self::SendAgainUnder { .. }
            | Self::Bookings(_)
            | Self::SavePassenger(_)
            | Self::ImportElementSets(_)
            | Self::SaveStation(_)
            | Self::RemoveStation(_)
            | Self::AcknowledgeAlarm { .. }
            | Self::Telemetry(_)
            | Self::ShelveAlarm { .. } => return None,
        };
        Some(KeyboardShortcut::new(modifiers, key))
    }
}

fn number_key(n: usize) -> Option<Key> {
    const KEYS: [Key; 9] = [
        Key::Num1,
        Key::Num2,
        Key::Num3,
        Key::Num4,
        Key::Num5,
        Key::Num6,
        Key::Num7,
        Key::Num8,
        Key::Num9,
    ];
    KEYS.get(n.checked_sub(1)?).copied()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn no_two_commands_share_a_shortcut() {
        let mut seen = HashSet::new();
        for (command, shortcut) in UiCommand::with_shortcuts() {
            assert!(seen.insert(shortcut), "{command:?} reuses {shortcut:?}");
        }
    }

    #[test]
    fn views_are_on_ctrl_and_their_number() {
        assert_eq!(
            UiCommand::ShowView(View::Overview).shortcut(),
            Some(KeyboardShortcut::new(Modifiers::COMMAND, Key::Num1))
        );
        assert_eq!(
            UiCommand::ShowView(View::Launches).shortcut(),
            Some(KeyboardShortcut::new(Modifiers::COMMAND, Key::Num2))
        );
        assert_eq!(
            UiCommand::ShowView(View::Orbit).shortcut(),
            Some(KeyboardShortcut::new(Modifiers::COMMAND, Key::Num5))
        );
        assert_eq!(
            UiCommand::ShowView(View::Commanding).shortcut(),
            Some(KeyboardShortcut::new(Modifiers::COMMAND, Key::Num7))
        );
        assert_eq!(
            UiCommand::ShowView(View::Incidents).shortcut(),
            Some(KeyboardShortcut::new(Modifiers::COMMAND, Key::Num8))
        );
        assert_eq!(
            UiCommand::ShowView(View::Settings).shortcut(),
            Some(KeyboardShortcut::new(Modifiers::COMMAND, Key::Comma))
        );
    }
}
