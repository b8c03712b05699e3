//! The Launches view: every launch with search and filters, and the selected launch in
//! full: its seat map, the booking flow (hold with a countdown, then confirm), the bookings
//! table, readiness, the mass budget, status changes, and exports.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};
use galaxium_widgets::seat_map::{self, SeatCell, SeatKind, SeatMap};
use galaxium_widgets::{StatusLevel, StatusLight, Tokens};

use super::format;
use super::poll::{PollInput, PollState, poll_ui};
use crate::UiCommand;
use crate::ops::bookings::actions::{VehicleEdit, parse_columns, seat_layout};
use crate::ops::bookings::data::BookingsData;
use crate::ops::bookings::export::LaunchExport;
use crate::ops::bookings::model::money;
use crate::ops::bookings::{
    Booking, BookingStatus, Fare, InvoiceStatus, LaunchDetail, LaunchListEntry, LaunchStatus,
    MassLimits, NewLaunch, SeatRequest, SeatState,
};

/// A change to launches and bookings asked for from the screens.
#[derive(Debug, Clone, PartialEq)]
pub enum BookingCommand {
    /// Show this launch in full.
    SelectLaunch(String),
    /// Hold seats for passengers under a new locator.
    Hold {
        /// The launch.
        launch_id: String,
        /// The fare class.
        fare: String,
        /// Passengers and seats.
        requests: Vec<SeatRequest>,
    },
    /// Confirm the holds under a locator.
    Confirm(String),
    /// Extend the hold under a locator.
    Extend(String),
    /// Cancel bookings under a locator (all of them when the list is empty).
    Cancel {
        /// The locator.
        locator: String,
        /// Which of its bookings.
        booking_ids: Vec<String>,
    },
    /// Put a passenger on the waitlist.
    Waitlist {
        /// The launch.
        launch_id: String,
        /// The passenger.
        passenger_id: String,
        /// The fare class.
        fare: String,
    },
    /// Move a booking to another seat.
    ChangeSeat {
        /// The booking.
        booking_id: String,
        /// The new seat.
        seat: String,
    },
    /// Block free seats.
    Block {
        /// The launch.
        launch_id: String,
        /// The seats.
        seats: Vec<String>,
        /// Why.
        reason: String,
    },
    /// Return a blocked seat to sale.
    Unblock(String),
    /// Check in passengers under a locator: those bookings, or every one who is GO when the
    /// list is empty.
    CheckIn {
        /// The locator.
        locator: String,
        /// Which of its bookings; all when empty.
        only: Vec<String>,
    },
    /// A supervisor checks in a NO-GO passenger over reasons a supervisor may waive.
    OverrideCheckIn {
        /// The booking.
        booking_id: String,
        /// Why the passenger may fly.
        reason: String,
    },
    /// Write a checked-in passenger's boarding pass (PDF) into the exports folder.
    BoardingPass(String),
    /// A scanned boarding pass: board its passenger at the gate of a launch, or (at the desk)
    /// on the pass's own launch.
    ScanPass {
        /// The launch the gate boards; `None` at the desk.
        gate_launch: Option<String>,
        /// What the scanner typed.
        content: String,
    },
    /// Find bookings at the desk by surname or document number.
    DeskSearch(String),
    /// Choose the launch the gate boards.
    Gate(Option<String>),
    /// Attach a document's scan to a passenger.
    AttachDocument {
        /// What it is.
        document: crate::ops::bookings::documents::NewDocument,
        /// The scan's file.
        path: std::path::PathBuf,
    },
    /// Remove a passenger's document.
    RemoveDocument(String),
    /// Save a copy of a document's scan into the exports folder.
    SaveDocument(String),
    /// Open a go/no-go poll for a launch.
    OpenPoll(String),
    /// Answer a poll for a position.
    AnswerPoll {
        /// The poll.
        poll_id: String,
        /// The position.
        position: String,
        /// GO.
        go: bool,
        /// Why, for a NO-GO.
        note: String,
    },
    /// Waive a red commit criterion.
    WaiveCriterion {
        /// The poll.
        poll_id: String,
        /// The criterion as it stands.
        criterion: crate::ops::launch_poll::CriterionValue,
        /// Why it may be waived.
        reason: String,
    },
    /// Call the poll: GO for launch, HOLD or SCRUB.
    DecidePoll {
        /// The poll.
        poll_id: String,
        /// The call.
        decision: crate::ops::launch_poll::Decision,
        /// Why.
        note: String,
        /// The criteria as they stand.
        criteria: Vec<crate::ops::launch_poll::CriterionValue>,
    },
    /// Board the checked-in passengers under a locator.
    Board(String),
    /// Move a launch to another status.
    SetLaunchStatus {
        /// The launch.
        launch_id: String,
        /// The new status.
        to: LaunchStatus,
    },
    /// Close the launch's manifest.
    CloseManifest(String),
    /// Add a launch.
    Schedule(NewLaunch),
    /// Mark the invoice of a locator paid, unpaid or refunded.
    SetInvoice {
        /// The locator.
        locator: String,
        /// The new payment status.
        status: InvoiceStatus,
    },
    /// Write a launch's bookings or manifest into the exports folder.
    Export {
        /// The launch.
        launch_id: String,
        /// What and how.
        what: LaunchExport,
    },
    /// Import bookings from a CSV file.
    Import(std::path::PathBuf),
    /// Look a locator up at the check-in desk.
    LookUp(String),
    /// Add a passenger with just a name (the rest in the Passengers view).
    QuickPassenger(String),
    /// Save a vehicle's name, model, limits and seat layout.
    SaveVehicle(VehicleEdit),
    /// Open a launch to give a passenger whose booking lost its seat another one.
    Rebook {
        /// The conflict to settle once the new hold is made.
        conflict_id: String,
        /// The launch.
        launch_id: String,
        /// The passenger.
        passenger_id: String,
    },
}

impl BookingCommand {
    /// What it does, in a few words.
    pub fn label(&self) -> &'static str {
        match self {
            Self::SelectLaunch(_) => "Show launch",
            Self::Hold { .. } => "Hold seats",
            Self::Confirm(_) => "Confirm booking",
            Self::Extend(_) => "Extend hold",
            Self::Cancel { .. } => "Cancel booking",
            Self::Waitlist { .. } => "Join waitlist",
            Self::ChangeSeat { .. } => "Change seat",
            Self::Block { .. } => "Block seats",
            Self::Unblock(_) => "Unblock seat",
            Self::CheckIn { .. } => "Check in",
            Self::OverrideCheckIn { .. } => "Override NO-GO",
            Self::BoardingPass(_) => "Boarding pass",
            Self::ScanPass { .. } => "Scan boarding pass",
            Self::DeskSearch(_) => "Find passenger",
            Self::Gate(_) => "Choose gate launch",
            Self::AttachDocument { .. } => "Attach document",
            Self::RemoveDocument(_) => "Remove document",
            Self::SaveDocument(_) => "Save document copy",
            Self::OpenPoll(_) => "Open go/no-go poll",
            Self::AnswerPoll { .. } => "Answer go/no-go",
            Self::WaiveCriterion { .. } => "Waive commit criterion",
            Self::DecidePoll { .. } => "Decide go/no-go poll",
            Self::Board(_) => "Board",
            Self::SetLaunchStatus { .. } => "Change launch status",
            Self::CloseManifest(_) => "Close manifest",
            Self::Schedule(_) => "Schedule launch",
            Self::SetInvoice { .. } => "Set invoice status",
            Self::Export { .. } => "Export",
            Self::Import(_) => "Import bookings",
            Self::LookUp(_) => "Find locator",
            Self::QuickPassenger(_) => "Add passenger",
            Self::Rebook { .. } => "Sell another seat",
            Self::SaveVehicle(_) => "Save vehicle",
        }
    }
}

/// The Schedule-a-launch form.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScheduleForm {
    mission: String,
    vehicle_id: String,
    spaceport_id: String,
    pad: String,
    date: String,
    time: String,
    fare_code: String,
    fare_name: String,
    price: String,
    currency: String,
    checkin_opens: String,
    checkin_closes: String,
    /// Why the console refused it when it was sent: shown in the dialog, which keeps what was
    /// typed.
    refused: Option<String>,
}

impl ScheduleForm {
    /// Says in the dialog why the launch was not scheduled.
    pub fn set_refused(&mut self, reason: String) {
        self.refused = Some(reason);
    }

    fn new(data: &BookingsData, now: DateTime<Utc>) -> Self {
        Self {
            vehicle_id: data
                .vehicles
                .first()
                .map(|v| v.id.clone())
                .unwrap_or_default(),
            spaceport_id: data
                .spaceports
                .first()
                .map(|s| s.id.clone())
                .unwrap_or_default(),
            date: (now.date_naive() + chrono::Days::new(30)).to_string(),
            time: "12:00".into(),
            fare_code: "STD".into(),
            fare_name: "Standard".into(),
            price: "250000".into(),
            currency: "USD".into(),
            checkin_opens: "24".into(),
            checkin_closes: "1".into(),
            ..Self::default()
        }
    }

    /// The launch it describes, or what is wrong with it at `now` (the console's and the
    /// server's rules included).
    fn launch(&self, now: DateTime<Utc>) -> Result<NewLaunch, String> {
        let day = NaiveDate::parse_from_str(self.date.trim(), "%Y-%m-%d")
            .map_err(|_| format!("date {:?}: use YYYY-MM-DD", self.date))?;
        let time = NaiveTime::parse_from_str(self.time.trim(), "%H:%M")
            .map_err(|_| format!("time {:?}: use HH:MM (UTC)", self.time))?;
        let price: f64 = self
            .price
            .trim()
            .replace(',', "")
            .parse()
            .map_err(|_| format!("price {:?} is not a number", self.price))?;
        if self.currency.trim().len() != 3 {
            return Err("the currency is a three-letter code such as USD".into());
        }
        if self.fare_code.trim().is_empty() {
            return Err("the fare needs a code".into());
        }
        let hours = |text: &str, what: &str| {
            text.trim()
                .parse::<f64>()
                .map_err(|_| format!("{what} {text:?} is not a number of hours"))
        };
        let checkin_opens_hours = hours(&self.checkin_opens, "check-in opens")?;
        let checkin_closes_hours = hours(&self.checkin_closes, "check-in closes")?;
        if checkin_opens_hours <= checkin_closes_hours || checkin_closes_hours < 0.0 {
            return Err("check-in opens more hours before launch than it closes".into());
        }
        #[allow(
            clippy::cast_possible_truncation,
            reason = "a ticket price in cents fits an i64 many times over"
        )]
        let price_minor = (price * 100.0).round() as i64;
        let launch = NewLaunch {
            mission: self.mission.trim().to_owned(),
            vehicle_id: self.vehicle_id.clone(),
            spaceport_id: self.spaceport_id.clone(),
            pad: self.pad.trim().to_owned(),
            scheduled_at: day.and_time(time).and_utc(),
            fares: vec![Fare {
                code: self.fare_code.trim().to_uppercase(),
                name: self.fare_name.trim().to_owned(),
                price_minor,
                currency: self.currency.trim().to_uppercase(),
            }],
            checkin_opens_hours,
            checkin_closes_hours,
        };
        crate::ops::bookings::actions::check_new_launch(&launch, now)?;
        Ok(launch)
    }
}

/// The vehicle editor's fields.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VehicleForm {
    id: String,
    name: String,
    model: String,
    rows: String,
    columns: String,
    cabin: String,
    max_passenger_mass_kg: String,
    max_baggage_mass_kg: String,
}

impl VehicleForm {
    fn of(detail: &LaunchDetail) -> Self {
        let rows = detail.seats.iter().map(|s| s.row).max().unwrap_or(1);
        let mut first_row: Vec<_> = detail.seats.iter().filter(|s| s.row == 1).collect();
        first_row.sort_by_key(|s| s.column);
        Self {
            id: detail.vehicle_id.clone(),
            name: detail.vehicle.clone(),
            model: detail.vehicle_model.clone(),
            rows: rows.to_string(),
            columns: first_row
                .iter()
                .map(|s| {
                    let letter: String = s.id.chars().filter(char::is_ascii_alphabetic).collect();
                    format!("{letter}:{}", s.position)
                })
                .collect::<Vec<_>>()
                .join(" "),
            cabin: detail
                .seats
                .first()
                .map(|s| s.cabin.clone())
                .unwrap_or_default(),
            max_passenger_mass_kg: detail.max_passenger_mass_kg.to_string(),
            max_baggage_mass_kg: detail.max_baggage_mass_kg.to_string(),
        }
    }

    fn vehicle(&self) -> Result<VehicleEdit, String> {
        let rows: u32 = self
            .rows
            .trim()
            .parse()
            .ok()
            .filter(|r| (1..=40).contains(r))
            .ok_or_else(|| format!("rows {:?}: a whole number from 1 to 40", self.rows))?;
        let columns = parse_columns(&self.columns)?;
        let mass = |text: &str, what: &str| {
            text.trim()
                .parse::<f64>()
                .map_err(|_| format!("{what} {text:?} is not a number of kilograms"))
        };
        Ok(VehicleEdit {
            id: self.id.clone(),
            name: self.name.trim().to_owned(),
            model: self.model.trim().to_owned(),
            seats: seat_layout(rows, &columns, self.cabin.trim()),
            max_passenger_mass_kg: mass(&self.max_passenger_mass_kg, "passenger mass limit")?,
            max_baggage_mass_kg: mass(&self.max_baggage_mass_kg, "baggage mass limit")?,
        })
    }
}

/// Progress and outcome of a CSV import started from the screen.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportView {
    /// The file to import.
    pub path: String,
    /// Rows checked and rows in total while it runs.
    pub progress: Option<(usize, usize)>,
    /// What it did, once done.
    pub report: Option<Result<Vec<String>, String>>,
}

/// What the Launches view remembers between frames.
#[derive(Debug, Default)]
pub struct LaunchesState {
    search: String,
    status_filter: Option<LaunchStatus>,
    /// The launch shown in full.
    pub selected: Option<String>,
    picked: Vec<String>,
    seat_passengers: Vec<(String, String)>,
    passenger_query: String,
    new_passenger: String,
    fare: String,
    block_reason: String,
    selected_booking: Option<String>,
    /// The locator just held, shown with its countdown until confirmed or lapsed.
    pub active_hold: Option<String>,
    confirm_status: Option<LaunchStatus>,
    /// The Schedule-a-launch dialog, when open.
    pub schedule: Option<ScheduleForm>,
    /// What the last check-in or boarding of a booking came to (its locator, and the
    /// sentence or the refusal), shown on the booking's card.
    pub booking_said: Option<(String, Result<String, String>)>,
    /// The import dialog, when open.
    pub import: Option<ImportView>,
    /// A conflict being settled by seating its passenger again: (conflict id, passenger id).
    pub rebook: Option<(String, String)>,
    /// The vehicle editor, when open.
    pub vehicle: Option<VehicleForm>,
    waitlist_passenger: Option<String>,
    /// The go/no-go poll section.
    pub poll: PollState,
    filtered: Vec<usize>,
    filter_key: Option<(String, Option<LaunchStatus>, usize)>,
}

impl LaunchesState {
    /// Forgets picked seats and the booking form (after a hold, or another launch).
    pub fn clear_picks(&mut self) {
        self.picked.clear();
        self.seat_passengers.clear();
        self.block_reason.clear();
        self.selected_booking = None;
    }

    /// Launches matching the search and the status filter, as indices (kept until either or
    /// the list changes, so a long list costs nothing per frame).
    fn filter(&mut self, launches: &[LaunchListEntry]) -> &[usize] {
        let key = (
            self.search.to_lowercase(),
            self.status_filter,
            launches.len(),
        );
        if self.filter_key.as_ref() != Some(&key) {
            self.filtered = launches
                .iter()
                .enumerate()
                .filter(|(_, l)| key.1.is_none_or(|status| l.status == status))
                .filter(|(_, l)| {
                    key.0.is_empty()
                        || l.mission.to_lowercase().contains(&key.0)
                        || l.vehicle.to_lowercase().contains(&key.0)
                        || l.spaceport.to_lowercase().contains(&key.0)
                })
                .map(|(i, _)| i)
                .collect();
            self.filter_key = Some(key);
        }
        &self.filtered
    }

    /// Drops the cached filter, so the next frame recomputes it (after the list was re-read).
    pub fn invalidate(&mut self) {
        self.filter_key = None;
    }
}

/// What the Launches view draws from.
pub struct LaunchesInput<'a> {
    /// The bookings data.
    pub data: &'a BookingsData,
    /// Colours and sizes.
    pub tokens: Tokens,
    /// The time the frame shows.
    pub now: DateTime<Utc>,
    /// The selected launch's go/no-go poll, when the poll list reads.
    pub poll: Option<PollInput<'a>>,
}

fn send(commands: &mut Vec<UiCommand>, command: BookingCommand) {
    commands.push(UiCommand::Bookings(command));
}

/// Draws the Launches view.
pub fn launches_ui(
    ui: &mut Ui,
    state: &mut LaunchesState,
    input: &LaunchesInput<'_>,
    commands: &mut Vec<UiCommand>,
) {
    let tokens = input.tokens;
    // Two fifths of a narrow window, so the launch page beside it keeps room for its seat
    // map and bookings.
    let list_width = (ui.available_width() * 0.4).clamp(300.0, 440.0);
    egui::Panel::left("launch_list")
        .resizable(true)
        .default_size(list_width)
        .min_size(280.0)
        .show(ui, |ui| {
            list_ui(ui, state, input, list_width < 420.0, commands);
        });
    egui::CentralPanel::default().show(ui, |ui| {
        if let Some(detail) = &input.data.detail {
            egui::ScrollArea::vertical()
                .id_salt("launch_detail")
                .show(ui, |ui| detail_ui(ui, state, detail, input, commands));
        } else {
            ui.add_space(tokens.gap);
            ui.label(
                RichText::new("Pick a launch on the left to see its seats and bookings.")
                    .color(tokens.text_muted),
            );
        }
    });
    schedule_ui(ui.ctx(), state, input, commands);
    vehicle_ui(ui.ctx(), state, tokens, commands);
    import_ui(ui.ctx(), state, tokens, commands);
    confirm_status_ui(ui.ctx(), state, input, commands);
}

fn list_ui(
    ui: &mut Ui,
    state: &mut LaunchesState,
    input: &LaunchesInput<'_>,
    short_time: bool,
    commands: &mut Vec<UiCommand>,
) {
    let tokens = input.tokens;
    ui.add_space(tokens.spacing);
    // Wrapped rows: on a narrow list they break onto a second line rather than push the
    // panel (and the launch page beside it) wider.
    ui.horizontal_wrapped(|ui| {
        ui.heading("Launches");
        if ui.button("Schedule a launch…").clicked() {
            state.schedule = Some(ScheduleForm::new(input.data, input.now));
        }
        if ui
            .button("Import CSV…")
            .on_hover_text("Import bookings from a CSV file (layout in the README)")
            .clicked()
        {
            state.import = Some(ImportView::default());
        }
    });
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("Search");
        ui.add(
            egui::TextEdit::singleline(&mut state.search)
                .hint_text("mission, vehicle or spaceport")
                .desired_width(170.0),
        )
        .labelled_by(label.id);
        let combo_label = ui.label("Status");
        egui::ComboBox::from_id_salt("status_filter")
            .selected_text(
                state
                    .status_filter
                    .map_or("any status", LaunchStatus::as_str),
            )
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut state.status_filter, None, "any status");
                for status in LaunchStatus::ALL {
                    ui.selectable_value(&mut state.status_filter, Some(status), status.as_str());
                }
            })
            .response
            .labelled_by(combo_label.id);
    });
    ui.add_space(tokens.spacing);
    let launches = &input.data.launches;
    let shown = state.filter(launches).to_vec();
    ui.label(
        RichText::new(format!("{} of {} launches", shown.len(), launches.len()))
            .color(tokens.text_muted),
    );
    let row_height = tokens.body_size + 10.0;
    // A narrow list gives the time without its year (the hover has it all); decided from
    // the window, not from the panel, which would grow to fit the longer form.
    TableBuilder::new(ui)
        .id_salt("launch_table")
        .striped(true)
        .sense(egui::Sense::click())
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::remainder().at_least(110.0).clip(true))
        .column(Column::auto().at_least(if short_time { 90.0 } else { 130.0 }))
        .column(Column::auto().at_least(70.0))
        .column(Column::auto().at_least(40.0))
        .header(row_height, |mut header| {
            for title in ["Mission", "When (UTC)", "Status", "Seats"] {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(row_height, shown.len(), |mut row| {
                let launch = &launches[shown[row.index()]];
                row.set_selected(state.selected.as_deref() == Some(launch.id.as_str()));
                row.col(|ui| {
                    ui.add(
                        egui::Label::new(&launch.mission)
                            .truncate()
                            .selectable(false),
                    )
                    .on_hover_text(format!(
                        "{} · {} from {} · {}",
                        launch.mission, launch.vehicle, launch.spaceport, launch.scheduled_at
                    ));
                });
                row.col(|ui| {
                    let when = format::parse_utc(&launch.scheduled_at);
                    ui.label(match when {
                        Some(t) if short_time => t.format("%m-%d %H:%M").to_string(),
                        Some(t) => format::utc_minutes(t),
                        None => launch.scheduled_at.clone(),
                    });
                });
                row.col(|ui| {
                    ui.label(launch.status.as_str());
                });
                row.col(|ui| {
                    ui.label(format!("{}/{}", launch.seated, launch.seats));
                });
                if row.response().clicked() {
                    send(commands, BookingCommand::SelectLaunch(launch.id.clone()));
                }
            });
        });
}

fn seat_cells(detail: &LaunchDetail, now: DateTime<Utc>) -> Vec<SeatCell> {
    detail
        .seats
        .iter()
        .map(|seat| {
            let who = |index: usize| {
                let b = &detail.bookings[index];
                format!("{} ({})", b.passenger_name, b.locator)
            };
            let (kind, detail_text) = match detail.seat_state(&seat.id, now) {
                SeatState::Free => (SeatKind::Free, String::new()),
                SeatState::Held(index, until) => (
                    SeatKind::Held,
                    format!("{}, held until {}", who(index), format::utc_minutes(until)),
                ),
                SeatState::Booked(index) => (SeatKind::Confirmed, who(index)),
                SeatState::CheckedIn(index) => (SeatKind::CheckedIn, who(index)),
                SeatState::Boarded(index) => (SeatKind::Boarded, who(index)),
                SeatState::Blocked(reason) => (SeatKind::Blocked, reason),
            };
            SeatCell {
                id: seat.id.clone(),
                row: seat.row,
                column: seat.column,
                position: seat.position.clone(),
                kind,
                detail: detail_text,
            }
        })
        .collect()
}

fn transition_label(to: LaunchStatus) -> &'static str {
    match to {
        LaunchStatus::Planned => "Back to planned",
        LaunchStatus::Scheduled => "Schedule",
        LaunchStatus::Boarding => "Start boarding",
        LaunchStatus::Launched => "Mark launched",
        LaunchStatus::Landed => "Mark landed",
        LaunchStatus::Scrubbed => "Scrub…",
        LaunchStatus::Cancelled => "Cancel launch…",
    }
}

#[allow(
    clippy::too_many_lines,
    reason = "the launch page, top to bottom, as the user reads it"
)]
fn detail_ui(
    ui: &mut Ui,
    state: &mut LaunchesState,
    detail: &LaunchDetail,
    input: &LaunchesInput<'_>,
    commands: &mut Vec<UiCommand>,
) {
    let (tokens, now) = (input.tokens, input.now);
    ui.add_space(tokens.spacing);
    ui.heading(&detail.mission);
    ui.label(format!(
        "{} ({}) · {} {} · {} · {}",
        detail.vehicle,
        detail.vehicle_model,
        detail.spaceport,
        detail.pad,
        format::utc_minutes(detail.scheduled_at),
        format::countdown(detail.scheduled_at, now)
    ));
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(format!("Status: {}", detail.status)).strong());
        if ui
            .button("Edit vehicle…")
            .on_hover_text("The vehicle's name, model, mass limits and seat layout")
            .clicked()
        {
            state.vehicle = Some(VehicleForm::of(detail));
        }
        for to in detail.status.moves() {
            if ui.button(transition_label(to)).clicked() {
                if to.is_called_off() {
                    state.confirm_status = Some(to);
                } else {
                    send(
                        commands,
                        BookingCommand::SetLaunchStatus {
                            launch_id: detail.id.clone(),
                            to,
                        },
                    );
                }
            }
        }
        if detail.manifest_closed_at.is_none()
            && matches!(
                detail.status,
                LaunchStatus::Boarding | LaunchStatus::Launched
            )
            && ui
                .button("Close manifest")
                .on_hover_text("Freeze who flies: unboarded passengers become no-shows")
                .clicked()
        {
            send(commands, BookingCommand::CloseManifest(detail.id.clone()));
        }
    });
    if let Some(closed) = detail.manifest_closed_at {
        ui.add(StatusLight::new(
            StatusLevel::Nominal,
            &format!("Manifest closed at {}", format::utc_minutes(closed)),
            tokens,
        ));
    }
    if let Some(poll) = &input.poll {
        ui.separator();
        poll_ui(ui, &mut state.poll, detail, poll, tokens, commands);
    }
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("Export").color(tokens.text_muted));
        for what in LaunchExport::ALL {
            if ui.button(what.label()).clicked() {
                send(
                    commands,
                    BookingCommand::Export {
                        launch_id: detail.id.clone(),
                        what,
                    },
                );
            }
        }
    });
    ui.separator();

    let availability = detail.availability(now);
    let budget = detail.mass_budget(now);
    ui.horizontal_wrapped(|ui| {
        ui.label(
            RichText::new(format!(
                "{} free · {} sold · {} held · {} blocked · {} waitlisted (of {} seats)",
                availability.free,
                availability.confirmed,
                availability.held,
                availability.blocked,
                availability.waitlisted,
                availability.seats
            ))
            .strong(),
        );
    });
    ui.add_space(tokens.spacing);
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            let cells = seat_cells(detail, now);
            if let Some(seat) = SeatMap::new(("seats", &detail.id), &cells, &state.picked, tokens)
                .seat_size(58.0)
                .show(ui)
            {
                seat_clicked(state, detail, &seat, now);
            }
        });
        ui.add_space(tokens.gap);
        ui.vertical(|ui| {
            ui.set_max_width(ui.available_width().min(440.0));
            action_panel_ui(ui, state, detail, input, commands);
        });
    });
    seat_map::legend_ui(ui, tokens);
    ui.separator();

    // Readiness and mass.
    let limits = MassLimits::default();
    let seated: Vec<&Booking> = detail.live_iter().filter(|b| b.holds_seat(now)).collect();
    let no_go: Vec<(&Booking, String)> = seated
        .iter()
        .map(|b| (*b, detail.readiness_of(b, limits)))
        .filter(|(_, r)| !r.is_go())
        .map(|(b, r)| (b, r.texts().join("; ")))
        .collect();
    ui.vertical(|ui| {
        let level = if no_go.is_empty() {
            StatusLevel::Nominal
        } else {
            StatusLevel::Caution
        };
        ui.add(StatusLight::new(
            level,
            &format!(
                "Readiness: {} GO · {} NO-GO",
                seated.len() - no_go.len(),
                no_go.len()
            ),
            tokens,
        ));
        let level = if budget.is_over() {
            StatusLevel::Critical
        } else {
            StatusLevel::Nominal
        };
        ui.add(StatusLight::new(
            level,
            &format!(
                "Mass {:.1} / {:.0} kg · bags {:.1} / {:.0} kg{}",
                budget.passenger_kg,
                budget.passenger_limit_kg,
                budget.baggage_kg,
                budget.baggage_limit_kg,
                if budget.unknown_masses > 0 {
                    format!(" · {} unknown", budget.unknown_masses)
                } else {
                    String::new()
                }
            ),
            tokens,
        ));
    });
    for (booking, reasons) in &no_go {
        ui.label(
            RichText::new(format!(
                "NO-GO {} ({}): {reasons}",
                booking.passenger_name,
                booking.seat_id.as_deref().unwrap_or("-")
            ))
            .color(tokens.caution),
        );
    }
    ui.separator();
    bookings_table_ui(ui, state, detail, input);
}

fn seat_clicked(state: &mut LaunchesState, detail: &LaunchDetail, seat: &str, now: DateTime<Utc>) {
    match detail.seat_state(seat, now) {
        SeatState::Held(index, _)
        | SeatState::Booked(index)
        | SeatState::CheckedIn(index)
        | SeatState::Boarded(index) => {
            state.picked.clear();
            state.selected_booking = Some(detail.bookings[index].id.clone());
        }
        SeatState::Free | SeatState::Blocked(_) => {
            if let Some(at) = state.picked.iter().position(|s| s == seat) {
                state.picked.remove(at);
            } else {
                state.picked.push(seat.to_owned());
            }
        }
    }
}

#[allow(
    clippy::too_many_lines,
    reason = "the booking flow: picked seats, the hold, the selected booking"
)]
fn action_panel_ui(
    ui: &mut Ui,
    state: &mut LaunchesState,
    detail: &LaunchDetail,
    input: &LaunchesInput<'_>,
    commands: &mut Vec<UiCommand>,
) {
    let (tokens, now) = (input.tokens, input.now);
    // A hold just made: its countdown and what to do with it.
    if let Some(locator) = state.active_hold.clone() {
        let held: Vec<&Booking> = detail
            .live_iter()
            .filter(|b| b.locator == locator && b.status == BookingStatus::Pending)
            .collect();
        if let Some(first) = held.first() {
            tokens.card_frame().show(ui, |ui| {
                ui.set_width(ui.available_width());
                let until = first.hold_expires_at.unwrap_or(now);
                let lapsed = until <= now;
                ui.label(
                    RichText::new(format!("Held under {locator}"))
                        .strong()
                        .size(tokens.heading_size),
                );
                let seats: Vec<&str> = held.iter().filter_map(|b| b.seat_id.as_deref()).collect();
                ui.label(format!(
                    "Seats {} for {}",
                    seats.join(", "),
                    held.iter()
                        .map(|b| b.passenger_name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                if lapsed {
                    ui.add(StatusLight::new(
                        StatusLevel::Critical,
                        "The hold has lapsed: hold the seats again",
                        tokens,
                    ));
                } else {
                    let left = (until - now).num_seconds().max(0);
                    ui.add(StatusLight::new(
                        if left < 120 {
                            StatusLevel::Caution
                        } else {
                            StatusLevel::Nominal
                        },
                        &format!("Hold expires in {}:{:02}", left / 60, left % 60),
                        tokens,
                    ));
                }
                ui.horizontal(|ui| {
                    if ui
                        .add_enabled(!lapsed, egui::Button::new("Confirm booking"))
                        .clicked()
                    {
                        send(commands, BookingCommand::Confirm(locator.clone()));
                    }
                    if ui
                        .add_enabled(!lapsed, egui::Button::new("Extend hold"))
                        .on_hover_text(
                            "Adds 10 minutes; twice at most, never past the close of check-in",
                        )
                        .clicked()
                    {
                        send(commands, BookingCommand::Extend(locator.clone()));
                    }
                    if ui.button("Release").clicked() {
                        send(
                            commands,
                            BookingCommand::Cancel {
                                locator: locator.clone(),
                                booking_ids: Vec::new(),
                            },
                        );
                    }
                });
            });
            ui.add_space(tokens.spacing);
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_secs(1));
        } else {
            state.active_hold = None;
        }
    }

    // The selected booking.
    if let Some(booking) = state
        .selected_booking
        .as_ref()
        .and_then(|id| detail.bookings.iter().find(|b| &b.id == id))
    {
        tokens.card_frame().show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(
                RichText::new(format!("{} · {}", booking.locator, booking.passenger_name)).strong(),
            );
            ui.label(format!(
                "Seat {} · fare {} · {}",
                booking.seat_id.as_deref().unwrap_or("none"),
                booking.fare_class,
                booking.status.label()
            ));
            if booking.status == BookingStatus::Pending
                && let Some(until) = booking.hold_expires_at
            {
                let left = (until - now).num_seconds();
                ui.label(if left > 0 {
                    format!("Hold expires in {}:{:02}", left / 60, left % 60)
                } else {
                    "The hold has lapsed".to_owned()
                });
            }
            let readiness = detail.readiness_of(booking, MassLimits::default());
            ui.label(readiness.summary());
            let invoice = detail.invoices.get(&booking.locator);
            ui.label(invoice.map_or_else(
                || "No invoice yet (issued on confirmation)".to_owned(),
                |i| format!("Invoice {}", i.summary()),
            ));
            if let Some((_, said)) = state
                .booking_said
                .as_ref()
                .filter(|(locator, _)| *locator == booking.locator)
            {
                let (text, color) = match said {
                    Ok(text) => (text, tokens.nominal),
                    Err(text) => (text, tokens.critical),
                };
                ui.add(egui::Label::new(RichText::new(text).color(color)).wrap());
            }
            ui.horizontal_wrapped(|ui| {
                let locator = booking.locator.clone();
                if booking.status == BookingStatus::Pending && ui.button("Confirm").clicked() {
                    send(commands, BookingCommand::Confirm(locator.clone()));
                }
                if booking.status == BookingStatus::Confirmed && ui.button("Check in").clicked() {
                    send(
                        commands,
                        BookingCommand::CheckIn {
                            locator: locator.clone(),
                            only: Vec::new(),
                        },
                    );
                }
                if matches!(
                    booking.status,
                    BookingStatus::CheckedIn | BookingStatus::Boarded
                ) && ui
                    .button("Boarding pass")
                    .on_hover_text(
                        "Writes the boarding pass (PDF with its QR code) into the exports folder",
                    )
                    .clicked()
                {
                    send(commands, BookingCommand::BoardingPass(booking.id.clone()));
                }
                if booking.status == BookingStatus::CheckedIn && ui.button("Board").clicked() {
                    send(commands, BookingCommand::Board(locator.clone()));
                }
                if booking.holds_seat(now)
                    && let [seat] = state.picked.as_slice()
                    && ui.button(format!("Move to {seat}")).clicked()
                {
                    send(
                        commands,
                        BookingCommand::ChangeSeat {
                            booking_id: booking.id.clone(),
                            seat: seat.clone(),
                        },
                    );
                }
                if !booking.status.is_final() && ui.button("Cancel booking").clicked() {
                    send(
                        commands,
                        BookingCommand::Cancel {
                            locator: locator.clone(),
                            booking_ids: vec![booking.id.clone()],
                        },
                    );
                }
                if invoice.is_some_and(|i| i.status == InvoiceStatus::Unpaid)
                    && ui.button("Mark paid").clicked()
                {
                    send(
                        commands,
                        BookingCommand::SetInvoice {
                            locator,
                            status: InvoiceStatus::Paid,
                        },
                    );
                }
            });
            if ui.small_button("Close").clicked() {
                state.selected_booking = None;
            }
        });
        ui.add_space(tokens.spacing);
    }

    // A full launch: its waitlist.
    if detail.availability(now).free == 0 && detail.status.takes_bookings() {
        waitlist_ui(ui, state, detail, input, commands);
    }
    // Seats picked on the map: sell them, or block them.
    if state.picked.is_empty() {
        ui.label(
            RichText::new(
                "Click free seats to sell or block them; click a taken seat to see its booking.",
            )
            .color(tokens.text_muted),
        );
    } else {
        sell_ui(ui, state, detail, input, commands);
    }
}

#[allow(
    clippy::too_many_lines,
    reason = "the sell form: fare, a passenger per seat, a quick new passenger, hold, block"
)]
fn sell_ui(
    ui: &mut Ui,
    state: &mut LaunchesState,
    detail: &LaunchDetail,
    input: &LaunchesInput<'_>,
    commands: &mut Vec<UiCommand>,
) {
    let tokens = input.tokens;
    let now = input.now;
    let blocked: Vec<String> = state
        .picked
        .iter()
        .filter(|s| matches!(detail.seat_state(s, now), SeatState::Blocked(_)))
        .cloned()
        .collect();
    tokens.card_frame().show(ui, |ui| {
        ui.set_width(ui.available_width());
        if !blocked.is_empty() {
            for seat in &blocked {
                if let Some(block) = detail.block(seat) {
                    ui.horizontal(|ui| {
                        ui.label(format!("{seat} blocked: {}", block.reason));
                        if ui.button("Unblock").clicked() {
                            send(commands, BookingCommand::Unblock(block.id.clone()));
                        }
                    });
                }
            }
            return;
        }
        ui.label(RichText::new(format!("Sell {}", state.picked.join(", "))).strong());
        if let Some((_, passenger)) = &state.rebook {
            let name = input
                .data
                .passengers
                .iter()
                .find(|p| &p.id == passenger)
                .map_or("the passenger", |p| p.full_name.as_str());
            ui.label(
                RichText::new(format!("Rebooking {name}, whose seat was sold elsewhere"))
                    .color(tokens.caution),
            );
            for seat in &state.picked {
                if !state.seat_passengers.iter().any(|(s, _)| s == seat)
                    && !state.seat_passengers.iter().any(|(_, p)| p == passenger)
                {
                    state
                        .seat_passengers
                        .push((seat.clone(), passenger.clone()));
                }
            }
        }
        if state.fare.is_empty() || detail.fare(&state.fare).is_none() {
            state.fare = detail
                .fares
                .first()
                .map(|f| f.code.clone())
                .unwrap_or_default();
        }
        let combo_label = ui.label("Fare");
        egui::ComboBox::from_id_salt("fare")
            .selected_text(detail.fare(&state.fare).map_or_else(
                || "no fares".to_owned(),
                |f| format!("{} · {}", f.name, f.price_text()),
            ))
            .show_ui(ui, |ui| {
                for fare in &detail.fares {
                    ui.selectable_value(
                        &mut state.fare,
                        fare.code.clone(),
                        format!("{} · {}", fare.name, fare.price_text()),
                    );
                }
            })
            .response
            .labelled_by(combo_label.id);
        state
            .seat_passengers
            .retain(|(seat, _)| state.picked.contains(seat));
        let query = state.passenger_query.to_lowercase();
        for seat in state.picked.clone() {
            let chosen = state
                .seat_passengers
                .iter()
                .find(|(s, _)| *s == seat)
                .map(|(_, p)| p.clone());
            let name = chosen
                .as_ref()
                .and_then(|id| input.data.passengers.iter().find(|p| &p.id == id))
                .map_or("pick a passenger", |p| p.full_name.as_str());
            ui.horizontal(|ui| {
                let combo_label = ui.label(format!("Seat {seat}"));
                egui::ComboBox::from_id_salt(("passenger_for", &seat))
                    .selected_text(name)
                    .width(240.0)
                    // A click into the Find box must not close the list; picking a
                    // passenger does.
                    .close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside)
                    .show_ui(ui, |ui| {
                        let label = ui.label("Find");
                        ui.add(egui::TextEdit::singleline(&mut state.passenger_query))
                            .labelled_by(label.id);
                        let mut shown = 0;
                        for p in input
                            .data
                            .passengers
                            .iter()
                            .filter(|p| query.is_empty() || p.matches(&query))
                            .take(30)
                        {
                            shown += 1;
                            if ui
                                .selectable_label(
                                    chosen.as_deref() == Some(p.id.as_str()),
                                    &p.full_name,
                                )
                                .clicked()
                            {
                                state.seat_passengers.retain(|(s, _)| *s != seat);
                                state.seat_passengers.push((seat.clone(), p.id.clone()));
                                ui.close();
                            }
                        }
                        if shown == 0 {
                            ui.label(
                                RichText::new(format!(
                                    "No passenger matches \u{201c}{}\u{201d}.",
                                    state.passenger_query.trim()
                                ))
                                .color(tokens.text_muted),
                            );
                        }
                    })
                    .response
                    .labelled_by(combo_label.id);
            });
        }
        ui.horizontal(|ui| {
            let label = ui.label("New passenger");
            ui.add(egui::TextEdit::singleline(&mut state.new_passenger).desired_width(180.0))
                .labelled_by(label.id);
            if ui
                .add_enabled(
                    !state.new_passenger.trim().is_empty(),
                    egui::Button::new("Add"),
                )
                .clicked()
            {
                send(
                    commands,
                    BookingCommand::QuickPassenger(state.new_passenger.trim().to_owned()),
                );
                state.new_passenger.clear();
            }
        });
        let requests: Vec<SeatRequest> = state
            .picked
            .iter()
            .filter_map(|seat| {
                state
                    .seat_passengers
                    .iter()
                    .find(|(s, _)| s == seat)
                    .map(|(_, p)| SeatRequest {
                        passenger_id: p.clone(),
                        seat_id: seat.clone(),
                    })
            })
            .collect();
        let ready = requests.len() == state.picked.len() && !state.fare.is_empty();
        let count = state.picked.len();
        let hold_label = if count == 1 {
            "Hold 1 seat (15 min)".to_owned()
        } else {
            format!("Hold {count} seats (15 min)")
        };
        ui.horizontal(|ui| {
            if ui
                .add_enabled(ready, egui::Button::new(hold_label))
                .clicked()
            {
                send(
                    commands,
                    BookingCommand::Hold {
                        launch_id: detail.id.clone(),
                        fare: state.fare.clone(),
                        requests,
                    },
                );
            }
            if ui.button("Clear").clicked() {
                state.clear_picks();
            }
        });
        ui.separator();
        ui.horizontal(|ui| {
            let label = ui.label("Block, because");
            ui.add(egui::TextEdit::singleline(&mut state.block_reason).desired_width(180.0))
                .labelled_by(label.id);
            if ui
                .add_enabled(
                    !state.block_reason.trim().is_empty(),
                    egui::Button::new("Block"),
                )
                .clicked()
            {
                send(
                    commands,
                    BookingCommand::Block {
                        launch_id: detail.id.clone(),
                        seats: state.picked.clone(),
                        reason: state.block_reason.trim().to_owned(),
                    },
                );
            }
        });
    });
}

/// The width the bookings table needs to give the fare a column.
const BOOKINGS_WIDE_WIDTH: f32 = 640.0;

fn bookings_table_ui(
    ui: &mut Ui,
    state: &mut LaunchesState,
    detail: &LaunchDetail,
    input: &LaunchesInput<'_>,
) {
    let tokens = input.tokens;
    ui.label(RichText::new(format!("Bookings ({})", detail.bookings.len())).strong());
    let row_height = tokens.body_size + 10.0;
    let limits = MassLimits::default();
    // On a narrow page the fare goes to the locator's hover text and the name column gives
    // way, so the status and readiness stay in the window.
    let with_fare = ui.available_width() >= BOOKINGS_WIDE_WIDTH;
    let mut table = TableBuilder::new(ui)
        .id_salt("bookings_table")
        .striped(true)
        .sense(egui::Sense::click())
        .max_scroll_height(420.0)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::auto().at_least(70.0))
        .column(if with_fare {
            Column::auto().at_least(170.0).clip(true)
        } else {
            // Not sized to the longest name: the name is cut (whole on the card below).
            Column::exact(120.0).clip(true)
        })
        .column(Column::auto().at_least(40.0));
    if with_fare {
        table = table.column(Column::auto().at_least(70.0));
    }
    table
        .column(Column::auto().at_least(90.0))
        .column(Column::remainder().at_least(100.0).clip(true))
        .header(row_height, |mut header| {
            for title in [
                "Locator",
                "Passenger",
                "Seat",
                "Fare",
                "Status",
                "Readiness",
            ]
            .into_iter()
            .filter(|t| with_fare || *t != "Fare")
            {
                header.col(|ui| {
                    ui.add(egui::Label::new(RichText::new(title).strong()).truncate());
                });
            }
        })
        .body(|body| {
            body.rows(row_height, detail.bookings.len(), |mut row| {
                let booking = &detail.bookings[row.index()];
                row.set_selected(state.selected_booking.as_deref() == Some(booking.id.as_str()));
                row.col(|ui| {
                    let locator = ui.label(RichText::new(&booking.locator).monospace());
                    if !with_fare {
                        locator.on_hover_text(format!("Fare {}", booking.fare_class));
                    }
                });
                row.col(|ui| {
                    ui.add(
                        egui::Label::new(&booking.passenger_name)
                            .truncate()
                            .selectable(false),
                    );
                });
                row.col(|ui| {
                    ui.label(booking.seat_id.as_deref().unwrap_or("-"));
                });
                if with_fare {
                    row.col(|ui| {
                        ui.label(&booking.fare_class);
                    });
                }
                row.col(|ui| {
                    ui.label(booking.status.label());
                });
                row.col(|ui| {
                    if booking.status.is_final() {
                        ui.label("");
                    } else {
                        let readiness = detail.readiness_of(booking, limits);
                        let colour = if readiness.is_go() {
                            tokens.nominal
                        } else {
                            tokens.caution
                        };
                        ui.add(
                            egui::Label::new(RichText::new(readiness.summary()).color(colour))
                                .truncate()
                                .selectable(false),
                        );
                    }
                });
                if row.response().clicked() {
                    state.selected_booking = Some(booking.id.clone());
                }
            });
        });
}

fn confirm_status_ui(
    ctx: &egui::Context,
    state: &mut LaunchesState,
    input: &LaunchesInput<'_>,
    commands: &mut Vec<UiCommand>,
) {
    let (Some(to), Some(detail)) = (state.confirm_status, input.data.detail.as_ref()) else {
        return;
    };
    let affected = detail.live_bookings(input.now);
    let modal = egui::Modal::new(egui::Id::unique("confirm_launch_status")).show(ctx, |ui| {
        ui.set_width(520.0);
        let verb = if to == LaunchStatus::Scrubbed {
            "Scrub"
        } else {
            "Cancel"
        };
        ui.heading(format!("{verb} {}?", detail.mission));
        ui.add_space(8.0);
        if affected.is_empty() {
            ui.label("No booking is affected.");
        } else {
            ui.label(format!(
                "{} bookings are affected{}:",
                affected.len(),
                if to == LaunchStatus::Cancelled {
                    " and will be cancelled (paid invoices refunded)"
                } else {
                    "; they stay booked for the new date"
                }
            ));
            egui::ScrollArea::vertical()
                .max_height(240.0)
                .show(ui, |ui| {
                    for b in &affected {
                        ui.label(format!(
                            "{} · {} · seat {} · {}",
                            b.locator,
                            b.passenger_name,
                            b.seat_id.as_deref().unwrap_or("-"),
                            b.status.label()
                        ));
                    }
                });
        }
        ui.add_space(12.0);
        ui.horizontal(|ui| {
            if ui.button(format!("{verb} the launch")).clicked() {
                send(
                    commands,
                    BookingCommand::SetLaunchStatus {
                        launch_id: detail.id.clone(),
                        to,
                    },
                );
                state.confirm_status = None;
            }
            if ui.button("Keep it").clicked() {
                state.confirm_status = None;
            }
        });
    });
    if modal.should_close() {
        state.confirm_status = None;
    }
}

#[allow(clippy::too_many_lines, reason = "one form, field after field")]
fn schedule_ui(
    ctx: &egui::Context,
    state: &mut LaunchesState,
    input: &LaunchesInput<'_>,
    commands: &mut Vec<UiCommand>,
) {
    let Some(form) = &mut state.schedule else {
        return;
    };
    let mut close = false;
    let modal = egui::Modal::new(egui::Id::unique("schedule_launch")).show(ctx, |ui| {
        ui.set_width(520.0);
        ui.heading("Schedule a launch");
        ui.add_space(8.0);
        egui::Grid::new("schedule_fields")
            .num_columns(2)
            .spacing([12.0, 8.0])
            .show(ui, |ui| {
                let field = |ui: &mut Ui, name: &str, value: &mut String, hint: &str| {
                    let label = ui.label(name);
                    ui.add(
                        egui::TextEdit::singleline(value)
                            .hint_text(hint)
                            .desired_width(300.0),
                    )
                    .labelled_by(label.id);
                    ui.end_row();
                };
                field(ui, "Mission", &mut form.mission, "e.g. GX-20 Polar Dawn");
                let vehicles: Vec<(String, String, String)> = input
                    .data
                    .vehicles
                    .iter()
                    .map(|v| {
                        (
                            v.id.clone(),
                            v.name.clone(),
                            format!("{} ({} seats)", v.name, v.seats),
                        )
                    })
                    .collect();
                pick_one_ui(ui, "Vehicle", &mut form.vehicle_id, &vehicles);
                let spaceports: Vec<(String, String, String)> = input
                    .data
                    .spaceports
                    .iter()
                    .map(|s| {
                        (
                            s.id.clone(),
                            s.code.clone(),
                            format!("{} · {}", s.code, s.name),
                        )
                    })
                    .collect();
                pick_one_ui(ui, "Spaceport", &mut form.spaceport_id, &spaceports);
                field(ui, "Pad", &mut form.pad, "e.g. LC-39A");
                field(ui, "Date (UTC)", &mut form.date, "YYYY-MM-DD");
                field(ui, "Time (UTC)", &mut form.time, "HH:MM");
                field(ui, "Fare code", &mut form.fare_code, "STD");
                field(ui, "Fare name", &mut form.fare_name, "Standard");
                field(ui, "Price", &mut form.price, "250000.00");
                field(ui, "Currency", &mut form.currency, "USD");
                field(
                    ui,
                    "Check-in opens (h before)",
                    &mut form.checkin_opens,
                    "24",
                );
                field(
                    ui,
                    "Check-in closes (h before)",
                    &mut form.checkin_closes,
                    "1",
                );
            });
        let launch = form.launch(input.now);
        ui.add_space(6.0);
        match &launch {
            Ok(l) => {
                ui.label(
                    RichText::new(format!(
                        "{} at {} · fare {} {}",
                        l.mission,
                        format::utc_minutes(l.scheduled_at),
                        l.fares[0].code,
                        money(l.fares[0].price_minor, &l.fares[0].currency)
                    ))
                    .color(input.tokens.text_muted),
                );
            }
            Err(problem) => {
                ui.label(RichText::new(problem).color(input.tokens.critical));
            }
        }
        if let Some(refused) = &form.refused {
            ui.label(
                RichText::new(format!("Not scheduled: {refused}")).color(input.tokens.critical),
            );
        }
        ui.add_space(8.0);
        // Schedule waits for a launch every rule accepts; the line above says what is missing.
        // The dialog stays open until the console has written it (a refusal shows here).
        let (submitted, cancelled) = submit_or_cancel_ui(ui, launch.is_ok(), "Schedule");
        if submitted && let Ok(launch) = launch {
            form.refused = None;
            send(commands, BookingCommand::Schedule(launch));
        }
        close = cancelled;
    });
    if close || modal.should_close() {
        state.schedule = None;
    }
}

fn import_ui(
    ctx: &egui::Context,
    state: &mut LaunchesState,
    tokens: Tokens,
    commands: &mut Vec<UiCommand>,
) {
    let Some(import) = &mut state.import else {
        return;
    };
    let mut close = false;
    let modal = egui::Modal::new(egui::Id::unique("import_bookings")).show(ctx, |ui| {
        ui.set_width(600.0);
        ui.heading("Import bookings from CSV");
        ui.label("One row per passenger booking; the layout is in the README (Bookings CSV). Rows with a problem are listed and left out; the good rows are written together.");
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            let label = ui.label("File");
            ui.add(egui::TextEdit::singleline(&mut import.path).hint_text("/path/to/bookings.csv").desired_width(420.0))
                .labelled_by(label.id);
        });
        if let Some((done, total)) = import.progress {
            #[allow(clippy::cast_precision_loss, reason = "a progress fraction")]
            let fraction = if total == 0 { 0.0 } else { done as f32 / total as f32 };
            ui.add(egui::ProgressBar::new(fraction).text(format!("{done} of {total} rows checked")));
            ui.ctx().request_repaint_after(std::time::Duration::from_millis(100));
        }
        match &import.report {
            Some(Ok(lines)) => {
                egui::ScrollArea::vertical().max_height(240.0).show(ui, |ui| {
                    for line in lines {
                        ui.label(line);
                    }
                });
            }
            Some(Err(problem)) => {
                ui.label(RichText::new(problem).color(tokens.critical));
            }
            None => {}
        }
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            let running = import.progress.is_some() && import.report.is_none();
            if ui
                .add_enabled(!running && !import.path.trim().is_empty(), egui::Button::new("Import"))
                .clicked()
            {
                import.report = None;
                import.progress = Some((0, 0));
                send(commands, BookingCommand::Import(import.path.trim().into()));
            }
            if ui.add_enabled(!running, egui::Button::new("Close")).clicked() {
                close = true;
            }
        });
    });
    if close
        || (modal.should_close()
            && state
                .import
                .as_ref()
                .is_none_or(|i| i.progress.is_none() || i.report.is_some()))
    {
        state.import = None;
    }
}

fn vehicle_ui(
    ctx: &egui::Context,
    state: &mut LaunchesState,
    tokens: Tokens,
    commands: &mut Vec<UiCommand>,
) {
    let Some(form) = &mut state.vehicle else {
        return;
    };
    let mut close = false;
    let modal = egui::Modal::new(egui::Id::unique("edit_vehicle")).show(ctx, |ui| {
        ui.set_width(560.0);
        ui.heading("Edit vehicle");
        ui.add_space(8.0);
        egui::Grid::new("vehicle_fields")
            .num_columns(2)
            .spacing([12.0, 8.0])
            .show(ui, |ui| {
                for (title, value, hint) in [
                    ("Name", &mut form.name, "Aurora"),
                    ("Model", &mut form.model, "Galaxium G-6 crew capsule"),
                    ("Rows", &mut form.rows, "2"),
                    (
                        "Seats in a row",
                        &mut form.columns,
                        "A:window B:middle C:window",
                    ),
                    ("Cabin", &mut form.cabin, "Crew module"),
                    (
                        "Passenger mass limit (kg)",
                        &mut form.max_passenger_mass_kg,
                        "630",
                    ),
                    (
                        "Baggage mass limit (kg)",
                        &mut form.max_baggage_mass_kg,
                        "54",
                    ),
                ] {
                    let label = ui.label(title);
                    ui.add(
                        egui::TextEdit::singleline(value)
                            .hint_text(hint)
                            .desired_width(320.0),
                    )
                    .labelled_by(label.id);
                    ui.end_row();
                }
            });
        let vehicle = form.vehicle();
        match &vehicle {
            Ok(v) => ui.label(
                RichText::new(format!(
                    "{} seats: {}",
                    v.seats.len(),
                    v.seats
                        .iter()
                        .map(|s| s.id.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                ))
                .color(tokens.text_muted),
            ),
            Err(problem) => ui.label(RichText::new(problem).color(tokens.critical)),
        };
        ui.add_space(8.0);
        let (submitted, cancelled) = submit_or_cancel_ui(ui, vehicle.is_ok(), "Save vehicle");
        if submitted && let Ok(vehicle) = vehicle {
            send(commands, BookingCommand::SaveVehicle(vehicle));
        }
        close = submitted || cancelled;
    });
    if close || modal.should_close() {
        state.vehicle = None;
    }
}

fn waitlist_ui(
    ui: &mut Ui,
    state: &mut LaunchesState,
    detail: &LaunchDetail,
    input: &LaunchesInput<'_>,
    commands: &mut Vec<UiCommand>,
) {
    let tokens = input.tokens;
    tokens.card_frame().show(ui, |ui| {
        ui.set_width(ui.available_width());
        let waiting: Vec<&Booking> = detail
            .live_iter()
            .filter(|b| b.status == BookingStatus::Waitlisted)
            .collect();
        ui.label(RichText::new(format!("Full · waitlist ({})", waiting.len())).strong());
        for (place, booking) in waiting.iter().enumerate() {
            ui.label(format!(
                "{}. {} ({})",
                place + 1,
                booking.passenger_name,
                booking.locator
            ));
        }
        ui.horizontal(|ui| {
            let name = state
                .waitlist_passenger
                .as_ref()
                .and_then(|id| input.data.passengers.iter().find(|p| &p.id == id))
                .map_or("pick a passenger", |p| p.full_name.as_str());
            let combo_label = ui.label("Add");
            egui::ComboBox::from_id_salt("waitlist_passenger")
                .selected_text(name)
                .width(220.0)
                .show_ui(ui, |ui| {
                    for p in input.data.passengers.iter().take(200) {
                        ui.selectable_value(
                            &mut state.waitlist_passenger,
                            Some(p.id.clone()),
                            &p.full_name,
                        );
                    }
                })
                .response
                .labelled_by(combo_label.id);
            let fare = detail.fares.first().map(|f| f.code.clone());
            if ui
                .add_enabled(
                    state.waitlist_passenger.is_some() && fare.is_some(),
                    egui::Button::new("Add to waitlist"),
                )
                .on_hover_text(
                    "When a seat frees, the first on the waitlist is offered it as a hold",
                )
                .clicked()
                && let (Some(passenger_id), Some(fare)) = (state.waitlist_passenger.take(), fare)
            {
                send(
                    commands,
                    BookingCommand::Waitlist {
                        launch_id: detail.id.clone(),
                        passenger_id,
                        fare,
                    },
                );
            }
        });
    });
    ui.add_space(tokens.spacing);
}

/// A labelled drop-down in a form grid: `options` are (id, short name, long name), and the
/// chosen id lands in `selected`.
fn pick_one_ui(
    ui: &mut Ui,
    label: &str,
    selected: &mut String,
    options: &[(String, String, String)],
) {
    let combo_label = ui.label(label);
    egui::ComboBox::from_id_salt(("pick_one", label))
        .selected_text(
            options
                .iter()
                .find(|(id, _, _)| id == selected)
                .map_or("pick one", |(_, short, _)| short.as_str()),
        )
        .show_ui(ui, |ui| {
            for (id, _, long) in options {
                ui.selectable_value(selected, id.clone(), long);
            }
        })
        .response
        .labelled_by(combo_label.id);
    ui.end_row();
}

/// A dialog's two buttons, the first enabled when `ready`; returns (submitted, cancelled).
fn submit_or_cancel_ui(ui: &mut Ui, ready: bool, submit: &str) -> (bool, bool) {
    ui.horizontal(|ui| {
        let submitted = ui.add_enabled(ready, egui::Button::new(submit)).clicked();
        (submitted, ui.button("Cancel").clicked())
    })
    .inner
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The seat map's legend, its seats and the bookings table use one word for one state.
    #[test]
    fn a_seat_and_its_booking_say_the_same_word() {
        for (seat, booking) in [
            (SeatKind::Held, BookingStatus::Pending),
            (SeatKind::Confirmed, BookingStatus::Confirmed),
            (SeatKind::CheckedIn, BookingStatus::CheckedIn),
            (SeatKind::Boarded, BookingStatus::Boarded),
        ] {
            assert_eq!(seat.label().to_uppercase(), booking.label(), "{seat:?}");
        }
        assert_ne!(SeatKind::Boarded.label(), SeatKind::CheckedIn.label());
    }
}
