//! Applies the Orbit view's commands: element sets imported from a file or pasted text.

use chrono::Utc;
use galaxium_sync::schema::registry;

use super::app::{ConsoleApp, Notice};
use crate::ops::orbit::{StationForm, import_element_sets, remove_station, save_station};
use crate::ops::sync_agent::SyncRequest;
use crate::views::orbit::ImportForm;

impl ConsoleApp {
    /// Whether the signed-in role may add element sets (offline, nobody has said otherwise;
    /// the server checks again when the sets sync).
    pub fn may_write_orbit(&self) -> bool {
        self.may_write("element_sets")
    }

    /// Whether the signed-in role may write `table` (offline, nobody has said otherwise; the
    /// server checks again when the rows sync).
    pub fn may_write(&self, table: &str) -> bool {
        let writers = registry::table(table).map_or(&[][..], |t| t.write_roles);
        self.acting_role()
            .is_none_or(|role| role.is_ok_and(|r| writers.contains(&r)))
    }

    /// The Orbit view.
    pub(super) fn orbit_view_ui(&mut self, ui: &mut egui::Ui, now: chrono::DateTime<Utc>) {
        let can_import = self.may_write_orbit();
        let tokens = self.tokens();
        crate::views::orbit::orbit_ui(
            ui,
            &mut self.screens.orbit,
            &crate::views::orbit::OrbitInput {
                data: &self.orbit_data,
                vehicles: &self.bookings.vehicles,
                can_import,
                tokens,
                now,
            },
            &mut self.pending,
        );
    }

    /// Says in the import dialog (which keeps the text) and in the status bar why nothing
    /// was imported.
    fn refuse_import(&mut self, reason: String) {
        self.set_notice(Notice::error(format!("{reason}. Nothing was imported.")));
        if let Some(form) = &mut self.screens.orbit.import {
            form.refused = Some(reason);
        }
    }

    pub(super) fn import_element_sets(&mut self, form: &ImportForm) {
        let path = form.path.trim();
        let (text, source) = if path.is_empty() {
            (form.text.clone(), "pasted text".to_owned())
        } else {
            match std::fs::read_to_string(path) {
                Ok(text) => (text, path.to_owned()),
                Err(err) => {
                    self.refuse_import(format!("{path} could not be read: {err}"));
                    return;
                }
            }
        };
        let now = self.now();
        let outcome = import_element_sets(
            &mut self.replica,
            &text,
            &source,
            form.vehicle_id.as_deref(),
            now,
        );
        match outcome {
            Ok(summary) => {
                self.screens.orbit.import = None;
                self.set_notice(Notice::info(format!("Imported {summary}.")));
            }
            Err(err) => self.refuse_import(format!("{err:#}")),
        }
        self.request_sync(SyncRequest::SyncNow);
        self.refresh();
    }

    pub(super) fn save_station(&mut self, form: &StationForm) {
        let saved = save_station(&mut self.replica, form);
        self.set_notice(match saved {
            Ok(name) => Notice::info(format!("Saved ground station {name}.")),
            Err(problem) => Notice::error(format!("The station was not saved. {problem}.")),
        });
        self.request_sync(SyncRequest::SyncNow);
        self.refresh();
    }

    pub(super) fn remove_station(&mut self, id: &str) {
        let removed = remove_station(&mut self.replica, id);
        self.set_notice(match removed {
            Ok(()) => Notice::info("Removed the ground station."),
            Err(err) => Notice::error(format!("The station was not removed: {err}")),
        });
        self.request_sync(SyncRequest::SyncNow);
        self.refresh();
    }
}
