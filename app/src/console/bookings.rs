//! Applies the bookings screens' commands to the replica and turns each outcome into a
//! sentence for the status bar (or the check-in desk's result panel).

use chrono::Utc;
use galaxium_sync::Replica;
use galaxium_sync::schema::registry::{PERSONAL_DATA_READERS, Role, SUPERVISOR_ROLES};

use super::app::{ConsoleApp, Notice};
use crate::ops::bookings::actions::{self, BookingError};
use crate::ops::bookings::export::LaunchExport;
use crate::ops::bookings::{BookingRules, CheckInOutcome, LaunchDetail, Passenger, csv_io};
use crate::ops::bookings::{boarding_pass, documents};
use crate::ops::jobs::Job;
use crate::ops::sync_agent::SyncRequest;
use crate::views::checkin::ScanOutcome;
use crate::views::format;
use crate::views::launches::BookingCommand;
use crate::views::passengers::PassengerForm;

/// Starts importing `file` into the replica at `replica_path` on a thread of its own, with its
/// own connection; the result is the report's lines.
fn start_import(
    replica_path: std::path::PathBuf,
    file: std::path::PathBuf,
) -> std::io::Result<Job<Vec<String>>> {
    Job::start("the bookings import", move |progress| {
        let input = std::fs::File::open(&file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let mut replica = Replica::open_existing(&replica_path).map_err(|e| e.to_string())?;
        let report =
            csv_io::import_bookings(&mut replica, input, Utc::now(), &mut |done, total| {
                progress.counts(done as u64, total as u64);
            })
            .map_err(|e| format!("{}: {e}", file.display()))?;
        let mut lines = vec![format!(
            "Imported {} of {} bookings ({} new passengers).",
            report.imported, report.rows, report.passengers_created
        )];
        lines.extend(report.problems.iter().map(|p| format!("Left out: {p}")));
        Ok(lines)
    })
}

/// "The pass is forged" from "the pass is forged".
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

fn message(err: &BookingError) -> String {
    match err {
        BookingError::Refused(reason) => reason.clone(),
        other => format!("{other}"),
    }
}

impl ConsoleApp {
    /// Whether this console's role may see passengers' personal fields. Not signed in, the
    /// person at the console owns the replica file and sees what it holds.
    pub fn shows_personal_data(&self) -> bool {
        self.acting_role()
            .is_none_or(|role| role.is_ok_and(|role| PERSONAL_DATA_READERS.contains(&role)))
    }

    /// The role this console acts with: the signed-in one (an error for a word the manifest
    /// does not know), `None` when nobody signed in. In a training sandbox everyone acts with
    /// every permission, as the server's training session allows: the rows are the
    /// scenario's, not real people's.
    pub fn acting_role(&self) -> Option<Result<Role, String>> {
        if self.is_training() {
            return Some(Ok(Role::Admin));
        }
        self.sync_status()
            .signed_in
            .as_ref()
            .map(|(_, _, role)| role.parse::<Role>())
    }

    pub(super) fn operator_name(&self) -> String {
        self.sync_status()
            .signed_in
            .as_ref()
            .map_or_else(|| "local operator".to_owned(), |(_, user, _)| user.clone())
    }

    /// Applies one bookings command.
    #[allow(
        clippy::too_many_lines,
        reason = "one arm per command, each a call and its sentence"
    )]
    pub(super) fn apply_booking(&mut self, command: BookingCommand) {
        let now = self.now();
        let rules = BookingRules::default();
        let mut wrote = true;
        let outcome: Result<String, String> = match command {
            BookingCommand::SelectLaunch(id) => {
                wrote = false;
                self.screens.launches.selected = Some(id);
                self.screens.launches.clear_picks();
                self.screens.launches.active_hold = None;
                Ok(String::new())
            }
            BookingCommand::LookUp(locator) => {
                wrote = false;
                self.screens.checkin.looked_up = Some(locator);
                Ok(String::new())
            }
            BookingCommand::DeskSearch(query) => {
                wrote = false;
                self.screens.checkin.looked_up = None;
                self.screens.checkin.searched = Some(query);
                Ok(String::new())
            }
            BookingCommand::Gate(launch) => {
                wrote = false;
                self.screens.checkin.gate_launch = launch;
                self.screens.checkin.scan = None;
                Ok(String::new())
            }
            BookingCommand::OverrideCheckIn { booking_id, reason } => {
                self.override_check_in(&booking_id, &reason)
            }
            BookingCommand::BoardingPass(booking_id) => self.write_boarding_pass(&booking_id),
            BookingCommand::ScanPass {
                gate_launch,
                content,
            } => self.scan_pass(gate_launch.as_deref(), &content),
            BookingCommand::AttachDocument { document, path } => {
                self.attach_document(&document, &path)
            }
            BookingCommand::RemoveDocument(id) => documents::remove(&mut self.replica, &id)
                .map(|()| "Removed the document.".to_owned())
                .map_err(|e| message(&e)),
            BookingCommand::SaveDocument(id) => {
                wrote = false;
                self.save_document(&id)
            }
            // The poll's commands say what they did beside the poll, and sync at once.
            BookingCommand::OpenPoll(launch_id) => {
                self.open_poll(&launch_id);
                return;
            }
            BookingCommand::AnswerPoll {
                poll_id,
                position,
                go,
                note,
            } => {
                self.answer_poll(&poll_id, &position, go, &note);
                return;
            }
            BookingCommand::WaiveCriterion {
                poll_id,
                criterion,
                reason,
            } => {
                self.waive_criterion(&poll_id, &criterion, &reason);
                return;
            }
            BookingCommand::DecidePoll {
                poll_id,
                decision,
                note,
                criteria,
            } => {
                self.decide_poll(&poll_id, decision, &note, &criteria);
                return;
            }
            BookingCommand::Hold {
                launch_id,
                fare,
                requests,
            } => actions::hold_seats(&mut self.replica, &launch_id, &fare, &requests, &rules, now)
                .map(|locator| {
                    self.screens.launches.clear_picks();
                    self.screens.launches.active_hold = Some(locator.clone());
                    self.settle_rebook(&requests, &locator);
                    format!(
                        "Held {} seat(s) under {locator} for {} minutes: confirm before the hold lapses.",
                        requests.len(),
                        rules.hold_ttl.num_minutes()
                    )
                })
                .map_err(|e| message(&e)),
            BookingCommand::Confirm(locator) => actions::confirm(&mut self.replica, &locator, now)
                .map(|n| {
                    if self.screens.launches.active_hold.as_deref() == Some(locator.as_str()) {
                        self.screens.launches.active_hold = None;
                    }
                    format!("Confirmed {n} booking(s) under {locator}; the invoice is issued.")
                })
                .map_err(|e| message(&e)),
            BookingCommand::Extend(locator) => {
                actions::extend_hold(&mut self.replica, &locator, &rules, now)
                    .map(|until| {
                        format!(
                            "The hold under {locator} now runs until {}.",
                            format::utc_seconds(until)
                        )
                    })
                    .map_err(|e| message(&e))
            }
            BookingCommand::Cancel {
                locator,
                booking_ids,
            } => actions::cancel(&mut self.replica, &locator, &booking_ids, &rules, now)
                .map(|outcome| {
                    if self.screens.launches.active_hold.as_deref() == Some(locator.as_str()) {
                        self.screens.launches.active_hold = None;
                    }
                    self.screens.launches.clear_picks();
                    let offers: Vec<String> = outcome
                        .offers
                        .iter()
                        .map(|(name, seat, l)| format!("seat {seat} offered to {name} ({l})"))
                        .collect();
                    if offers.is_empty() {
                        format!("Cancelled {} booking(s) under {locator}.", outcome.cancelled)
                    } else {
                        format!(
                            "Cancelled {} booking(s) under {locator}; from the waitlist: {}.",
                            outcome.cancelled,
                            offers.join(", ")
                        )
                    }
                })
                .map_err(|e| message(&e)),
            BookingCommand::Waitlist {
                launch_id,
                passenger_id,
                fare,
            } => actions::join_waitlist(&mut self.replica, &launch_id, &passenger_id, &fare, now)
                .map(|locator| format!("Waitlisted under {locator}."))
                .map_err(|e| message(&e)),
            BookingCommand::ChangeSeat { booking_id, seat } => {
                actions::change_seat(&mut self.replica, &booking_id, &seat, &rules, now)
                    .map(|()| {
                        self.screens.launches.clear_picks();
                        format!("Moved to seat {seat}.")
                    })
                    .map_err(|e| message(&e))
            }
            BookingCommand::Block {
                launch_id,
                seats,
                reason,
            } => seats
                .iter()
                .try_for_each(|seat| {
                    actions::block_seat(&mut self.replica, &launch_id, seat, &reason, now)
                })
                .map(|()| {
                    self.screens.launches.clear_picks();
                    format!("Blocked {}: {reason}.", seats.join(", "))
                })
                .map_err(|e| message(&e)),
            BookingCommand::Unblock(block_id) => actions::unblock_seat(&mut self.replica, &block_id)
                .map(|()| {
                    self.screens.launches.clear_picks();
                    "The seat is for sale again.".to_owned()
                })
                .map_err(|e| message(&e)),
            BookingCommand::CheckIn { locator, only } => {
                let result = actions::check_in(&mut self.replica, &locator, &only, &rules, now);
                self.screens.checkin.looked_up = Some(locator.clone());
                self.screens.checkin.locator.clone_from(&locator);
                let sentence = match &result {
                    Ok(CheckInOutcome {
                        checked_in,
                        refused,
                        ..
                    }) if refused.is_empty() => {
                        Ok(format!("Checked in {} under {locator}.", checked_in.join(", ")))
                    }
                    Ok(outcome) => Err(format!(
                        "Checked in {} under {locator}; refused: {}.",
                        if outcome.checked_in.is_empty() {
                            "nobody".to_owned()
                        } else {
                            outcome.checked_in.join(", ")
                        },
                        outcome
                            .refused
                            .iter()
                            .map(|(name, reasons)| format!("{name} ({})", reasons.join("; ")))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                    Err(e) => Err(message(e)),
                };
                self.screens.checkin.outcome = Some(result.map_err(|e| message(&e)));
                // Said on the launch page too, beside the booking's buttons.
                self.screens.launches.booking_said = Some((locator.clone(), sentence.clone()));
                sentence
            }
            BookingCommand::Board(locator) => {
                let result = actions::board(&mut self.replica, &locator, now);
                self.screens.checkin.outcome = None;
                let sentence = result
                    .map(|n| format!("Boarded {n} passenger(s) under {locator}."))
                    .map_err(|e| {
                        let m = message(&e);
                        self.screens.checkin.outcome = Some(Err(m.clone()));
                        m
                    });
                self.screens.launches.booking_said = Some((locator.clone(), sentence.clone()));
                sentence
            }
            BookingCommand::SetLaunchStatus { launch_id, to } => {
                actions::set_launch_status(&mut self.replica, &launch_id, to, now)
                    .map(|affected| {
                        if affected.is_empty() {
                            format!("The launch is now {to}.")
                        } else {
                            format!(
                                "The launch is now {to}; {} booking(s) affected: {}.",
                                affected.len(),
                                affected
                                    .iter()
                                    .map(|b| format!("{} {}", b.locator, b.passenger_name))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        }
                    })
                    .map_err(|e| message(&e))
            }
            BookingCommand::CloseManifest(launch_id) => {
                let user = self.operator_name();
                actions::close_manifest(&mut self.replica, &launch_id, &user, now)
                    .map(|doc| {
                        format!(
                            "Manifest of {} closed: {} passengers, {:.1} kg.",
                            doc.mission,
                            doc.entries.len(),
                            doc.passenger_mass_kg
                        )
                    })
                    .map_err(|e| message(&e))
            }
            BookingCommand::Schedule(launch) => {
                match actions::schedule_launch(&mut self.replica, &launch, now) {
                    Ok(id) => {
                        self.screens.launches.selected = Some(id);
                        self.screens.launches.schedule = None;
                        Ok(format!(
                            "{} is planned; schedule it when it is confirmed.",
                            launch.mission
                        ))
                    }
                    Err(err) => {
                        // Said in the dialog, which keeps what was typed.
                        if let Some(form) = &mut self.screens.launches.schedule {
                            form.set_refused(message(&err));
                        }
                        Err(message(&err))
                    }
                }
            }
            BookingCommand::SetInvoice { locator, status } => {
                actions::set_invoice_status(&mut self.replica, &locator, status)
                    .map(|()| format!("The invoice of {locator} is {status}."))
                    .map_err(|e| message(&e))
            }
            BookingCommand::Export { launch_id, what } => {
                wrote = false;
                self.export(&launch_id, what)
            }
            BookingCommand::Import(path) => {
                wrote = false;
                match start_import(self.replica.path().to_path_buf(), path) {
                    Ok(job) => {
                        self.jobs.import = Some(job);
                        Ok(String::new())
                    }
                    Err(e) => Err(format!("the import cannot start: {e}")),
                }
            }
            BookingCommand::Rebook {
                conflict_id,
                launch_id,
                passenger_id,
            } => {
                wrote = false;
                self.show_launches();
                self.screens.launches.selected = Some(launch_id);
                self.screens.launches.clear_picks();
                self.screens.launches.rebook = Some((conflict_id, passenger_id));
                Ok("Pick a free seat for the passenger, then hold it.".to_owned())
            }
            BookingCommand::SaveVehicle(vehicle) => {
                actions::save_vehicle(&mut self.replica, &vehicle, now)
                    .map(|()| format!("Saved {} ({} seats).", vehicle.name, vehicle.seats.len()))
                    .map_err(|e| message(&e))
            }
            BookingCommand::QuickPassenger(name) => actions::save_passenger(
                &mut self.replica,
                &Passenger {
                    full_name: name.clone(),
                    medical_status: crate::ops::bookings::model::MedicalStatus::Pending,
                    ..Passenger::default()
                },
                now,
            )
            .map(|_| format!("Added {name}; complete their details in Passengers."))
            .map_err(|e| message(&e)),
        };
        self.report(outcome, wrote);
    }

    /// Why the gate may not know of a pass used at another gate: the link to the server is
    /// down or behind. `None` for a console that works alone (never signed in) or is synced.
    pub(super) fn gate_doubt(&self) -> Option<String> {
        use crate::ops::sync_agent::LinkState;
        let status = self.sync_status();
        let fresh = status
            .last_success
            .is_some_and(|t| Utc::now() - t < chrono::Duration::seconds(30));
        match status.state {
            LinkState::SignedOut => None,
            _ if fresh => None,
            _ => Some(
                "Not synced for a while: a pass used at another gate since then is not known \
                 here. Check the passenger against the manifest if in doubt."
                    .to_owned(),
            ),
        }
    }

    /// Whether the person at this console may override a NO-GO at check-in: a supervisor's
    /// role, or the replica's owner when nobody signed in.
    pub fn is_supervisor(&self) -> bool {
        self.acting_role()
            .is_none_or(|role| role.is_ok_and(|role| SUPERVISOR_ROLES.contains(&role)))
    }

    fn override_check_in(&mut self, booking_id: &str, reason: &str) -> Result<String, String> {
        if !self.is_supervisor() {
            let refusal =
                "Only a supervisor (admin) may override a NO-GO; ask one to sign in at this desk."
                    .to_owned();
            self.screens.checkin.override_error = Some(refusal.clone());
            return Err(refusal);
        }
        let user = self.operator_name();
        let now = self.now();
        match actions::override_check_in(
            &mut self.replica,
            booking_id,
            reason,
            &user,
            &BookingRules::default(),
            now,
        ) {
            Ok(name) => {
                let desk = &mut self.screens.checkin;
                desk.override_for = None;
                desk.override_reason.clear();
                desk.override_error = None;
                Ok(format!(
                    "Checked in {name} by {user}'s supervisor override: {reason}."
                ))
            }
            Err(err) => {
                let said = message(&err);
                self.screens.checkin.override_error = Some(said.clone());
                Err(said)
            }
        }
    }

    fn write_boarding_pass(&mut self, booking_id: &str) -> Result<String, String> {
        let user = self.operator_name();
        let now = self.now();
        let (_, pdf, file_name) = boarding_pass::issue(&mut self.replica, booking_id, &user, now)
            .map_err(|e| message(&e))?;
        let path = self.data_dir().exports().join(file_name);
        super::incidents::write_whole(&path, &pdf)?;
        Ok(format!("Boarding pass written to {}.", path.display()))
    }

    /// Boards the passenger a scanned pass names; the outcome stands in large type at the
    /// desk or gate until the next scan.
    fn scan_pass(&mut self, gate_launch: Option<&str>, content: &str) -> Result<String, String> {
        let now = self.now();
        let launch = match gate_launch {
            Some(id) => Ok(id.to_owned()),
            None => self
                .replica
                .read("reading a boarding pass", |conn| {
                    Ok(boarding_pass::read_pass(conn, content))
                })
                .map_err(|e| e.to_string())?
                .map(|pass| pass.launch_id),
        };
        let result = match launch {
            Ok(launch) => boarding_pass::board_by_pass(&mut self.replica, &launch, content, now)
                .map_err(|e| message(&e))?,
            Err(refusal) => Err(refusal),
        };
        let at = crate::views::format::utc_seconds(now);
        let (outcome, said) = match result {
            Ok(boarded) => (
                ScanOutcome {
                    boarded: true,
                    headline: format!("BOARDED {}", boarded.name),
                    detail: format!("Seat {}", boarded.seat),
                    at,
                },
                Ok(format!("Boarded {} (seat {}).", boarded.name, boarded.seat)),
            ),
            Err(refusal) => (
                ScanOutcome {
                    boarded: false,
                    headline: "REFUSED".to_owned(),
                    detail: capitalised(&refusal.to_string()),
                    at,
                },
                Err(format!("Boarding pass refused: {refusal}.")),
            ),
        };
        self.screens.checkin.scan = Some(outcome);
        said
    }

    fn attach_document(
        &mut self,
        document: &documents::NewDocument,
        path: &std::path::Path,
    ) -> Result<String, String> {
        let user = self.operator_name();
        let now = self.now();
        let limit = u64::try_from(galaxium_sync::schema::registry::MAX_DOCUMENT_BYTES).unwrap_or(0);
        // Refused before it is read: a scan is small, a wrong file may be huge.
        let too_big = std::fs::metadata(path).is_ok_and(|m| m.len() > limit);
        let attached = if too_big {
            Err(format!(
                "{} is larger than {} KiB: scan the document at a lower resolution. Nothing was attached.",
                path.display(),
                limit / 1024
            ))
        } else {
            std::fs::read(path).map_err(|err| {
                format!(
                    "{} could not be read: {err}. Nothing was attached.",
                    path.display()
                )
            })
        }
        .and_then(|scan| {
                documents::attach(&mut self.replica, document, &scan, &user, now)
                    .map_err(|e| message(&e))
            });
        let form = &mut self.screens.passengers.document;
        match attached {
            Ok(_) => {
                form.clear_after_attach();
                Ok(format!(
                    "Attached the {} {}.",
                    document.kind.label(),
                    document.number.trim()
                ))
            }
            Err(reason) => {
                form.error = Some(reason.clone());
                Err(reason)
            }
        }
    }

    fn save_document(&self, id: &str) -> Result<String, String> {
        let (name, bytes) = documents::scan(&self.replica, id)
            .map_err(|e| message(&e))?
            .ok_or_else(|| {
                "This console does not hold that scan: its role may not read documents.".to_owned()
            })?;
        let path = self.data_dir().exports().join(&name);
        super::incidents::write_whole(&path, &bytes)?;
        Ok(format!("Saved a copy of {name} to {}.", path.display()))
    }

    /// Settles the conflict being rebooked once its passenger holds a new seat.
    fn settle_rebook(&mut self, requests: &[crate::ops::bookings::SeatRequest], locator: &str) {
        let Some((conflict, passenger)) = self.screens.launches.rebook.clone() else {
            return;
        };
        let Some(request) = requests.iter().find(|r| r.passenger_id == passenger) else {
            return;
        };
        let resolution = format!("seat {} held instead under {locator}", request.seat_id);
        match self
            .replica
            .write(|w| w.settle_conflict(&conflict, &resolution))
        {
            Ok(()) => self.screens.launches.rebook = None,
            Err(err) => tracing::warn!("the conflict could not be marked settled: {err}"),
        }
    }

    /// Saves a passenger from the editor.
    pub(super) fn save_passenger(&mut self, passenger: &Passenger) {
        let now = self.now();
        let outcome = actions::save_passenger(&mut self.replica, passenger, now)
            .map(|id| {
                let saved = Passenger {
                    id,
                    ..passenger.clone()
                };
                self.screens.passengers.open(PassengerForm::of(&saved));
                format!("Saved {}.", passenger.full_name)
            })
            .map_err(|e| message(&e));
        self.report(outcome, true);
    }

    fn report(&mut self, outcome: Result<String, String>, wrote: bool) {
        match outcome {
            Ok(sentence) => {
                if !sentence.is_empty() {
                    self.set_notice(Notice::info(sentence));
                }
                if wrote {
                    self.request_sync(SyncRequest::SyncNow);
                }
            }
            Err(reason) => self.set_notice(Notice::error(reason)),
        }
        self.refresh();
    }

    fn export(&self, launch_id: &str, what: LaunchExport) -> Result<String, String> {
        let detail = self
            .replica
            .read("reading the launch", |conn| {
                LaunchDetail::load(conn, launch_id)
            })
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "the launch is no longer in the replica".to_owned())?;
        let bytes = what
            .bytes(
                &self.replica,
                &detail,
                Utc::now(),
                self.shows_personal_data(),
            )
            .map_err(|e| e.to_string())?;
        let path = self
            .data_dir()
            .exports()
            .join(what.file_name(&detail.mission));
        super::incidents::write_whole(&path, &bytes)?;
        Ok(format!("Exported to {}.", path.display()))
    }

    /// Follows a running import: its progress into the dialog, its report when done.
    pub(super) fn poll_import(&mut self) {
        let Some(job) = &self.jobs.import else {
            return;
        };
        let progress = job.progress();
        let result = job.take_result();
        if let Some(view) = &mut self.screens.launches.import {
            view.progress = Some((
                usize::try_from(progress.done).unwrap_or(usize::MAX),
                usize::try_from(progress.total).unwrap_or(usize::MAX),
            ));
        }
        if let Some(result) = result {
            self.jobs.import = None;
            match &result {
                Ok(lines) => self.set_notice(Notice::info(lines[0].clone())),
                Err(reason) => self.set_notice(Notice::error(reason.clone())),
            }
            if let Some(view) = &mut self.screens.launches.import {
                view.report = Some(result);
            }
            self.request_sync(SyncRequest::SyncNow);
            self.refresh();
        }
    }
}
