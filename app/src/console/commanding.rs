//! The Commanding view's glue: draws it from the queue as last read, and applies what the
//! user asked of the queue through `galaxium_ops::commanding`.

use chrono::{DateTime, Utc};
use egui::Ui;
use galaxium_sync::schema::registry::Role;

use super::app::{ConsoleApp, Notice};
use crate::ops::commanding::{self, CommandError, NewCommand};
use crate::ops::sync_agent::{SYNC_EVERY, SYNC_WHILE_COMMANDING, SYNC_WHILE_POLLING, SyncRequest};
use crate::views::commanding::{CommandingCommand, CommandingInput, commanding_ui};

impl ConsoleApp {
    /// The command queue and history as last read for the screens.
    pub fn commands(&self) -> &[crate::ops::commanding::Command] {
        &self.command_data
    }

    /// The role the command dictionary judges at this console: in a training sandbox, a
    /// controller's (trainees practise the controller's work); a console that never signed
    /// in commands its own simulated vehicle as a controller (the server judges the role
    /// again when it syncs).
    pub fn commanding_role(&self) -> Role {
        if self.is_training() {
            return Role::Controller;
        }
        match self.acting_role() {
            Some(Ok(role)) => role,
            Some(Err(_)) | None => Role::Controller,
        }
    }

    pub(super) fn commanding_view_ui(&mut self, ui: &mut Ui, now: DateTime<Utc>) {
        let user = self.operator_name();
        let role = self.commanding_role();
        let input = CommandingInput {
            dictionary: self.mission_loop.command_dictionary(),
            commands: &self.command_data,
            telemetry: self.mission_loop.telemetry(),
            user: &user,
            role,
            device_id: self.replica.device_id(),
            tokens: self.tokens(),
            now,
        };
        commanding_ui(ui, &mut self.screens.commanding, &input, &mut self.pending);
    }

    /// Syncs quickly while commands wait or are on their way (an approval made elsewhere
    /// shows here within a second), at the usual pace otherwise.
    pub(super) fn pace_sync(&mut self) {
        let busy = self
            .command_data
            .iter()
            .any(|c| c.waiting() || c.in_progress());
        let pace = if busy {
            SYNC_WHILE_COMMANDING
        } else if self.bookings.open_polls > 0 {
            SYNC_WHILE_POLLING
        } else {
            SYNC_EVERY
        };
        if self.sync_pace != pace {
            self.sync_pace = pace;
            self.request_sync(SyncRequest::Pace(pace));
        }
    }

    /// Applies one change to the command queue; a refusal stands beside what caused it.
    pub(super) fn apply_commanding(&mut self, command: CommandingCommand) {
        let now = self.now();
        let (user, role) = (self.operator_name(), self.commanding_role());
        let Ok(dictionary) = self.mission_loop.command_dictionary().cloned() else {
            self.set_notice(Notice::error(
                "The command dictionary cannot be read; see the Commanding view.",
            ));
            return;
        };
        let (row, outcome): (Option<String>, Result<String, CommandError>) = match command {
            CommandingCommand::Queue {
                text,
                priority,
                hazard_confirmed,
            } => {
                let queued = dictionary
                    .read_text(&text)
                    .map_err(CommandError::Refused)
                    .and_then(|typed| {
                        let shown = typed.spec.text_form(&typed.arguments);
                        let new = NewCommand {
                            spec: typed.spec,
                            arguments: typed.arguments,
                            priority: &priority,
                            hazard_confirmed,
                        };
                        commanding::queue(&mut self.replica, &new, (&user, role), now)
                            .map(|_| format!("Queued {shown}."))
                    });
                let state = &mut self.screens.commanding;
                if let Err(err) = &queued {
                    // Beside the builder, which keeps what was typed.
                    state.error = Some(format!("Not queued: {err}"));
                    return;
                }
                state.text.clear();
                state.error = None;
                (None, queued)
            }
            CommandingCommand::Approve(id) => {
                let outcome =
                    commanding::approve(&mut self.replica, &dictionary, &id, (&user, role), now)
                        .map(|()| {
                            "Approved: it goes to the vehicle from its own console.".to_owned()
                        });
                (Some(id), outcome)
            }
            CommandingCommand::Cancel { id, why } => {
                let outcome = commanding::cancel(
                    &mut self.replica,
                    &dictionary,
                    &id,
                    (&user, role),
                    &why,
                    now,
                )
                .map(|()| "Cancelled.".to_owned());
                (Some(id), outcome)
            }
            CommandingCommand::Move { id, up } => {
                let outcome =
                    commanding::move_in_queue(&mut self.replica, &dictionary, &id, up, role).map(
                        |moved| {
                            if moved {
                                String::new()
                            } else {
                                "It is already at that end of its priority's commands.".to_owned()
                            }
                        },
                    );
                (Some(id), outcome)
            }
            CommandingCommand::Priority { id, priority } => {
                let outcome =
                    commanding::set_priority(&mut self.replica, &dictionary, &id, &priority, role)
                        .map(|()| format!("Now {priority}."));
                (Some(id), outcome)
            }
        };
        match outcome {
            Ok(said) => {
                self.screens.commanding.row_error = None;
                if !said.is_empty() {
                    self.set_notice(Notice::info(said));
                }
                self.refresh();
                self.request_sync(SyncRequest::SyncNow);
            }
            Err(err) => {
                let text = err.to_string();
                match row {
                    Some(id) => self.screens.commanding.row_error = Some((id, text)),
                    None => self.set_notice(Notice::error(text)),
                }
            }
        }
    }
}
