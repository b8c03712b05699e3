//! The Incidents view's data and commands, and detection: alarms opening incidents.

use chrono::Utc;

use super::app::{ConsoleApp, Notice};
use crate::ops::incidents::detect::Detector;
use crate::ops::incidents::{self, IncidentError, NewIncident, report, snapshot};
use crate::ops::jobs::Job;
use crate::ops::sync_agent::SyncRequest;
use crate::views::incidents::{IncidentCommand, IncidentsInput, incidents_ui};

use crate::ops::mission::SNAPSHOT_WINDOW_KEY;

/// Writes `bytes` to `path` whole or not at all (see [`crate::ops::files::write_whole`]),
/// with the reason in words when it cannot.
pub(super) fn write_whole(path: &std::path::Path, bytes: &[u8]) -> Result<(), String> {
    crate::ops::files::write_whole(path, bytes).map_err(|e| e.to_string())
}

impl ConsoleApp {
    /// Whether the signed-in role may write incidents (offline, nobody has said otherwise;
    /// the server checks again when they sync).
    pub fn may_write_incidents(&self) -> bool {
        self.may_write("incidents")
    }

    /// Whether the signed-in role may reword the severity scale.
    pub fn may_edit_scale(&self) -> bool {
        self.may_write("incident_severities")
    }

    /// Reads the selected incident (and its snapshot, only when the selection changed or a
    /// snapshot was written since: it is the large part).
    pub(super) fn read_incident_detail(&mut self) -> Result<(), galaxium_sync::ReplicaError> {
        let Some(id) = self.screens.incidents.selected.clone() else {
            self.incident_data.detail = None;
            self.incident_data.snapshot = None;
            return Ok(());
        };
        self.incident_data.detail = incidents::detail(&self.replica, &id)?;
        let stale = self
            .incident_data
            .snapshot
            .as_ref()
            .is_none_or(|(of, _)| *of != id);
        if stale {
            let snap = snapshot::load(&self.replica, &id)?;
            self.incident_data.snapshot = Some((id, snap));
        }
        Ok(())
    }

    /// Starts exporting an incident's report; the screen shows its progress.
    fn export_report(&mut self, id: &str) -> Result<String, IncidentError> {
        if let Some(job) = &self.jobs.report {
            return Err(IncidentError::Refused(format!(
                "{} is still being exported; wait for it to finish",
                job.label()
            )));
        }
        let Some(detail) = incidents::detail(&self.replica, id)? else {
            return Err(IncidentError::Refused(
                "this incident no longer exists".into(),
            ));
        };
        let snap = snapshot::load(&self.replica, id)?;
        let polls = match &detail.incident.launch_id {
            Some(launch) => crate::ops::launch_poll::read_polls(&self.replica, launch)?,
            None => Vec::new(),
        };
        let units: Vec<(String, String)> = self
            .mission_loop
            .telemetry()
            .map(|tm| {
                tm.dictionary
                    .channels
                    .iter()
                    .map(|c| (c.id.clone(), c.unit.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let severities = self.incident_data.severities.clone();
        let user = self.operator_name();
        let reference = detail.incident.reference.clone();
        let path = self
            .data_dir()
            .exports()
            .join(format!("{reference}-report.pdf"));
        let job = Job::start(&reference, move |progress| {
            let charts: Vec<report::Chart> = match &snap {
                Some(snap) => report::chart_channels(&detail, snap)
                    .iter()
                    .map(|c| {
                        let unit = units
                            .iter()
                            .find(|(id, _)| id == c)
                            .map_or("", |(_, u)| u.as_str());
                        report::draw_chart(snap, c, unit)
                    })
                    .collect::<Result<_, _>>()
                    .map_err(|e| e.to_string())?,
                None => Vec::new(),
            };
            let pdf = report::to_pdf(
                &report::ReportInput {
                    detail: &detail,
                    charts: &charts,
                    severities: &severities,
                    generated_at: Utc::now(),
                    generated_by: &user,
                    polls: &polls,
                },
                &|done| progress.share(done),
            )
            .map_err(|e| e.to_string())?;
            write_whole(&path, &pdf)?;
            Ok(path)
        })
        .map_err(|e| IncidentError::Refused(format!("the export cannot start: {e}")))?;
        self.jobs.report = Some(job);
        Ok(format!("Exporting {reference}…"))
    }

    /// Says where a finished report went (or why it did not).
    pub(super) fn poll_report(&mut self) {
        let finished = self.jobs.report.as_ref().and_then(|job| {
            job.take_result()
                .map(|outcome| (job.label().to_owned(), outcome))
        });
        if let Some((reference, outcome)) = finished {
            self.jobs.report = None;
            self.set_notice(match outcome {
                Ok(path) => {
                    Notice::info(format!("{reference} report written to {}", path.display()))
                }
                Err(err) => Notice::error(format!("The {reference} report was not written: {err}")),
            });
        }
    }

    fn save_attachment(&self, attachment: &str, file_name: &str) -> Result<String, IncidentError> {
        let Some(bytes) = incidents::attachment_content(&self.replica, attachment)? else {
            return Err(IncidentError::Refused(format!(
                "{file_name} is not in the replica any more, or its content is damaged"
            )));
        };
        // Only the name's last part: a stored name cannot point outside the exports folder.
        let safe = std::path::Path::new(file_name)
            .file_name()
            .map_or_else(|| "attachment".into(), |n| n.to_string_lossy().into_owned());
        let path = self.data_dir().exports().join(safe);
        write_whole(&path, &bytes).map_err(IncidentError::Refused)?;
        Ok(format!("Saved a copy of {file_name} to {}", path.display()))
    }

    fn export_list(&self) -> Result<String, IncidentError> {
        let csv = report::incidents_csv(&self.incident_data.list)
            .map_err(|e| IncidentError::Refused(format!("the list could not be written: {e}")))?;
        let path = self.data_dir().exports().join(format!(
            "incidents-{}.csv",
            Utc::now().format("%Y%m%d-%H%M%S")
        ));
        write_whole(&path, &csv).map_err(IncidentError::Refused)?;
        let count = self.incident_data.list.len();
        Ok(format!(
            "{count} incident{} written to {}",
            if count == 1 { "" } else { "s" },
            path.display()
        ))
    }

    /// The Incidents view.
    pub(super) fn incidents_view_ui(&mut self, ui: &mut egui::Ui, now: chrono::DateTime<Utc>) {
        let before = self.screens.incidents.selected.clone();
        let can_write = self.may_write_incidents();
        let tokens = self.tokens();
        let snapshot = self
            .incident_data
            .snapshot
            .as_ref()
            .and_then(|(_, s)| s.as_ref());
        let exporting = self
            .jobs
            .report
            .as_ref()
            .map(|job| (job.label(), job.progress().share()));
        let launches: Vec<(String, String)> = self
            .bookings
            .launches
            .iter()
            .map(|l| (l.id.clone(), l.mission.clone()))
            .collect();
        let passengers: Vec<(String, String)> = self
            .bookings
            .passengers
            .iter()
            .map(|p| (p.id.clone(), p.full_name.clone()))
            .collect();
        let can_edit_scale = self.may_edit_scale();
        let window_minutes = self
            .mission_loop
            .detector()
            .map_or(5, Detector::window_minutes);
        incidents_ui(
            ui,
            &mut self.screens.incidents,
            &IncidentsInput {
                incidents: &self.incident_data.list,
                detail: self.incident_data.detail.as_ref(),
                snapshot,
                severities: &self.incident_data.severities,
                can_write,
                exporting,
                launches: &launches,
                passengers: &passengers,
                can_edit_scale,
                window_minutes,
                tokens,
                now,
            },
            &mut self.pending,
        );
        if self.screens.incidents.selected != before
            && let Err(err) = self.read_incident_detail()
        {
            self.set_notice(Notice::error(format!(
                "The incident could not be read: {err}"
            )));
        }
    }

    /// Applies an incident command.
    #[allow(
        clippy::too_many_lines,
        reason = "one arm per command, each a call and its sentence"
    )]
    pub(super) fn apply_incident(&mut self, command: IncidentCommand) {
        let user = self.operator_name();
        let now = self.now();
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
                    self.screens.incidents.quick = None;
                    self.screens.incidents.selected = Some(id);
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
            IncidentCommand::ExportReport { id } => self.export_report(&id),
            IncidentCommand::ExportList => self.export_list(),
            IncidentCommand::LinkPassenger { id, passenger } => {
                incidents::link_passenger(replica, &id, &passenger, &user, now)
                    .map(|()| "Passenger linked.".to_owned())
            }
            IncidentCommand::UnlinkPassenger { id, link } => {
                incidents::unlink_passenger(replica, &id, &link, &user, now)
                    .map(|()| "Passenger unlinked.".to_owned())
            }
            IncidentCommand::SaveSeverity(level) => incidents::save_severity(replica, &level)
                .map(|()| format!("{} is now {}.", level.code, level.name.trim())),
            IncidentCommand::SnapshotWindow(minutes) => {
                if let Some(detector) = self.mission_loop.detector_mut() {
                    detector.set_window_minutes(minutes);
                }
                let kept = self
                    .replica
                    .set_preference(SNAPSHOT_WINDOW_KEY, &minutes.to_string())
                    .map_err(IncidentError::from);
                kept.map(|()| {
                    format!("Incidents keep {minutes} min of telemetry either side of the alarm.")
                })
            }
            IncidentCommand::Attach { id, path } => match std::fs::read(&path) {
                Ok(bytes) => {
                    let name = std::path::Path::new(&path)
                        .file_name()
                        .map_or_else(|| path.clone(), |n| n.to_string_lossy().into_owned());
                    incidents::attach(replica, &id, &name, &bytes, &user, now)
                        .map(|()| format!("Attached {name}."))
                }
                Err(err) => Err(IncidentError::Refused(format!(
                    "{path} could not be read: {err}. Nothing was attached."
                ))),
            },
            IncidentCommand::SaveAttachment {
                attachment,
                file_name,
            } => self.save_attachment(&attachment, &file_name),
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
