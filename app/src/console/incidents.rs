//! The Incidents view's data and commands, and detection: alarms opening incidents.

use chrono::Utc;
use galaxium_sync::schema::manifest::{self, Role};

use super::app::{ConsoleApp, Notice};
use crate::ops::incidents::detect::{Detection, Detector, Rules};
use crate::ops::incidents::{self, IncidentError, NewIncident, snapshot};
use crate::ops::sync_agent::SyncRequest;
use crate::views::incidents::{IncidentCommand, IncidentsInput, incidents_ui};

impl ConsoleApp {
    /// Whether the signed-in role may write incidents (offline, nobody has said otherwise;
    /// the server checks again when they sync).
    pub fn may_write_incidents(&self) -> bool {
        let writers = manifest::table("incidents").map_or(&[][..], |t| t.write_roles);
        self.sync_status()
            .signed_in
            .as_ref()
            .is_none_or(|(_, _, role)| role.parse::<Role>().is_ok_and(|r| writers.contains(&r)))
    }

    /// The detector, from the shipped rules; `None` (and the reason, logged) if they do not
    /// read.
    pub(super) fn start_detector() -> Option<Detector> {
        match Rules::shipped() {
            Ok(rules) => Some(Detector::new(rules)),
            Err(err) => {
                tracing::error!("alarms will not open incidents: {err}");
                None
            }
        }
    }

    /// Reads the incident list, the severity scale and the selected incident.
    pub(super) fn read_incidents(&mut self) -> Result<(), galaxium_sync::ReplicaError> {
        self.incident_list = incidents::list(&self.replica)?;
        if let Some(detector) = &mut self.detector {
            detector.set_vehicle(incidents::crewed_vehicle_id(&self.replica)?);
        }
        self.severities = incidents::severities(&self.replica)?;
        self.read_incident_detail()
    }

    /// Reads the selected incident (and its snapshot, only when the selection changed or a
    /// snapshot was written since: it is the large part).
    pub(super) fn read_incident_detail(&mut self) -> Result<(), galaxium_sync::ReplicaError> {
        let Some(id) = self.incidents.selected.clone() else {
            self.incident_detail = None;
            self.incident_snapshot = None;
            return Ok(());
        };
        self.incident_detail = incidents::detail(&self.replica, &id)?;
        let stale = self
            .incident_snapshot
            .as_ref()
            .is_none_or(|(of, _)| *of != id);
        if stale {
            let snap = snapshot::load(&self.replica, &id)?;
            self.incident_snapshot = Some((id, snap));
        }
        Ok(())
    }

    /// Looks for alarms that open incidents (and snapshots to finish); says what it did.
    pub(super) fn detect_incidents(&mut self, now: chrono::DateTime<Utc>) {
        let (Some(detector), Some(tm)) = (self.detector.as_mut(), self.telemetry.as_ref()) else {
            return;
        };
        match detector.check(&mut self.replica, tm, now) {
            Ok(found) if found.is_empty() => {}
            Ok(found) => {
                for detection in &found {
                    match detection {
                        Detection::Opened {
                            reference, title, ..
                        } => self.set_notice(Notice::error(format!(
                            "{reference} opened: {title}. See Incidents (Ctrl+7)."
                        ))),
                        Detection::Added { reference, .. } => {
                            tracing::info!("an alarm was added to {reference}");
                        }
                    }
                }
                // A new snapshot may belong to the incident on screen.
                self.incident_snapshot = None;
                self.request_sync(SyncRequest::SyncNow);
                self.refresh();
            }
            Err(err) => {
                tracing::error!("incident detection failed: {err}");
                self.set_notice(Notice::error(format!(
                    "An alarm could not open its incident: {err}"
                )));
            }
        }
    }

    /// The Incidents view.
    pub(super) fn incidents_view(&mut self, ui: &mut egui::Ui, now: chrono::DateTime<Utc>) {
        let before = self.incidents.selected.clone();
        let can_write = self.may_write_incidents();
        let tokens = self.tokens();
        let snapshot = self
            .incident_snapshot
            .as_ref()
            .and_then(|(_, s)| s.as_ref());
        incidents_ui(
            ui,
            &mut self.incidents,
            &IncidentsInput {
                incidents: &self.incident_list,
                detail: self.incident_detail.as_ref(),
                snapshot,
                severities: &self.severities,
                can_write,
                tokens,
                now,
            },
            &mut self.pending,
        );
        if self.incidents.selected != before
            && let Err(err) = self.read_incident_detail()
        {
            self.set_notice(Notice::error(format!(
                "The incident could not be read: {err}"
            )));
        }
    }

    /// Applies an incident command.
    pub(super) fn apply_incident(&mut self, command: IncidentCommand) {
        let user = self.operator_name();
        let now = Utc::now();
        let replica = &mut self.replica;
        let outcome: Result<String, IncidentError> = match command {
            IncidentCommand::Create {
                title,
                kind,
                severity,
            } => {
                let mut new = NewIncident::quick(&title, kind, &severity);
                if kind == incidents::IncidentKind::Vehicle {
                    new.vehicle_id = incidents::crewed_vehicle_id(replica).ok().flatten();
                }
                incidents::create(replica, &new, &user, now).map(|id| {
                    self.incidents.quick = None;
                    self.incidents.selected = Some(id);
                    format!("Opened: {}", title.trim())
                })
            }
            IncidentCommand::Transition { id, to, note } => {
                incidents::transition(replica, &id, to, &note, &user, now)
                    .map(|()| format!("Now {}.", to.label()))
            }
            IncidentCommand::AddNote { id, text } => {
                incidents::add_note(replica, &id, &text, &user, now)
                    .map(|()| "Added to the timeline.".to_owned())
            }
            IncidentCommand::EditNote { id, entry, text } => {
                incidents::edit_note(replica, &id, &entry, &text, &user, now)
                    .map(|()| "Note edited; the original stays in the record.".to_owned())
            }
            IncidentCommand::Pin { id, entry, pinned } => {
                incidents::set_pinned(replica, &id, &entry, pinned, &user, now)
                    .map(|()| if pinned { "Pinned." } else { "Unpinned." }.to_owned())
            }
            IncidentCommand::SetFields { id, changes } => {
                incidents::set_fields(replica, &id, &changes, &user, now)
                    .map(|()| "Saved.".to_owned())
            }
            IncidentCommand::AddTask { id, task } => {
                incidents::add_task(replica, &id, &task, &user, now)
                    .map(|()| format!("Task added: {}", task.title.trim()))
            }
            IncidentCommand::TaskDone { id, task, done } => {
                incidents::set_task_done(replica, &id, &task, done, &user, now)
                    .map(|()| if done { "Task done." } else { "Task reopened." }.to_owned())
            }
            IncidentCommand::TickStep { id, step, done } => {
                incidents::tick_step(replica, &id, step, done, &user, now).map(|()| {
                    format!(
                        "Step {} {}.",
                        step + 1,
                        if done { "ticked" } else { "unticked" }
                    )
                })
            }
        };
        match outcome {
            Ok(words) => {
                self.set_notice(Notice::info(words));
                self.request_sync(SyncRequest::SyncNow);
            }
            Err(err) => self.set_notice(Notice::error(err.to_string())),
        }
        self.refresh();
    }
}
