//! The check-in desk and the gate, as departure-control staff work them.
//!
//! The desk's one large field takes a locator, a surname, a document number, or a scanned
//! boarding pass (a USB scanner types the QR's content and Enter). A booking's passengers are
//! checked in one by one or all at once; a supervisor may check in a NO-GO passenger over a
//! reason that may be waived. The gate boards the passengers of one launch by their passes
//! and counts who is still missing.

use chrono::{DateTime, Utc};
use egui::{RichText, Ui};
use galaxium_widgets::{StatusLevel, StatusLight, Tokens};

use super::format;
use super::launches::BookingCommand;
use crate::UiCommand;
use crate::ops::bookings::boarding_pass::PASS_PREFIX;
use crate::ops::bookings::data::BookingsData;
use crate::ops::bookings::{
    Booking, BookingStatus, CheckInOutcome, LaunchDetail, LaunchStatus, MassLimits,
};

/// Which screen the desk shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeskMode {
    /// Finding bookings, checking in, issuing passes.
    #[default]
    Desk,
    /// Boarding one launch by its passes.
    Gate,
}

/// What the last scanned pass did, shown in large type until the next scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanOutcome {
    /// Whether the passenger boarded.
    pub boarded: bool,
    /// BOARDED name, or REFUSED.
    pub headline: String,
    /// The seat, or the reason.
    pub detail: String,
    /// When it was scanned, as the desk's clock reads ("07:26:42 UTC").
    pub at: String,
}

/// What the desk remembers between frames.
#[derive(Debug, Default)]
pub struct CheckInState {
    /// Desk or gate.
    pub mode: DeskMode,
    /// What is typed (or scanned) in the desk's field.
    pub locator: String,
    /// The locator last looked up.
    pub looked_up: Option<String>,
    /// The surname or document number last searched for.
    pub searched: Option<String>,
    /// The outcome of the last check-in or boarding at this desk.
    pub outcome: Option<Result<CheckInOutcome, String>>,
    /// The launch the gate boards.
    pub gate_launch: Option<String>,
    /// What the scanner typed at the gate.
    pub gate_field: String,
    /// The last pass scanned, at the desk or the gate.
    pub scan: Option<ScanOutcome>,
    /// The booking whose supervisor override is being entered.
    pub override_for: Option<String>,
    /// The supervisor's reason.
    pub override_reason: String,
    /// Why the last override was refused (shown beside the form, which keeps its input).
    pub override_error: Option<String>,
}

/// What the desk draws from.
pub struct DeskInput<'a> {
    /// The bookings data.
    pub data: &'a BookingsData,
    /// Colours and sizes.
    pub tokens: Tokens,
    /// The time the frame shows.
    pub now: DateTime<Utc>,
    /// Whether the person at this console may override a NO-GO.
    pub supervisor: bool,
    /// Why a pass used at another gate may not be known here (the link is down), if it may.
    pub gate_doubt: Option<String>,
}

fn send(commands: &mut Vec<UiCommand>, command: BookingCommand) {
    commands.push(UiCommand::Bookings(command));
}

/// Draws the check-in desk or the gate.
pub fn checkin_ui(
    ui: &mut Ui,
    state: &mut CheckInState,
    input: &DeskInput<'_>,
    commands: &mut Vec<UiCommand>,
) {
    let tokens = input.tokens;
    ui.add_space(tokens.spacing);
    ui.horizontal(|ui| {
        ui.heading(match state.mode {
            DeskMode::Desk => "Check-in desk",
            DeskMode::Gate => "Gate",
        });
        ui.add_space(tokens.gap);
        ui.selectable_value(&mut state.mode, DeskMode::Desk, "Desk");
        ui.selectable_value(&mut state.mode, DeskMode::Gate, "Gate");
    });
    ui.add_space(tokens.gap);
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| match state.mode {
            DeskMode::Desk => desk_ui(ui, state, input, commands),
            DeskMode::Gate => gate_ui(ui, state, input, commands),
        });
}

/// What the desk's field holds, as the desk reads it.
fn submit_desk_field(state: &mut CheckInState, commands: &mut Vec<UiCommand>) {
    let typed = state.locator.trim().to_owned();
    if typed.is_empty() {
        return;
    }
    state.outcome = None;
    state.override_for = None;
    if typed.starts_with(PASS_PREFIX) {
        state.locator.clear();
        send(
            commands,
            BookingCommand::ScanPass {
                gate_launch: None,
                content: typed,
            },
        );
        return;
    }
    state.scan = None;
    let spells_locator =
        typed.chars().count() == 6 && typed.chars().all(|c| c.is_ascii_alphanumeric());
    // A six-letter surname spells a locator too: look both up, the booking wins.
    send(commands, BookingCommand::DeskSearch(typed.clone()));
    if spells_locator {
        state.locator = typed.to_uppercase();
        send(commands, BookingCommand::LookUp(state.locator.clone()));
    }
}

fn desk_ui(
    ui: &mut Ui,
    state: &mut CheckInState,
    input: &DeskInput<'_>,
    commands: &mut Vec<UiCommand>,
) {
    let tokens = input.tokens;
    let big = egui::FontId::proportional(tokens.heading_size * 1.6);
    ui.horizontal_wrapped(|ui| {
        let label =
            ui.label(RichText::new("Locator, surname or document").size(tokens.heading_size));
        let field = ui
            .add(
                egui::TextEdit::singleline(&mut state.locator)
                    .font(big.clone())
                    .char_limit(200)
                    .desired_width(320.0)
                    .hint_text("QX7T2M, Okafor, P1234…"),
            )
            .labelled_by(label.id);
        let entered = (field.has_focus() || field.lost_focus())
            && ui.input(|i| i.key_pressed(egui::Key::Enter));
        // The desk is for typing and scanning: the field is ready whenever nothing else has
        // focus.
        if !entered && ui.memory(|m| m.focused().is_none()) && state.override_for.is_none() {
            field.request_focus();
        }
        if ui
            .add(egui::Button::new(
                RichText::new("Find").size(tokens.heading_size),
            ))
            .clicked()
            || entered
        {
            submit_desk_field(state, commands);
        }
    });
    ui.add_space(tokens.gap);
    if let Some(scan) = &state.scan {
        scan_outcome_ui(ui, scan, tokens);
        ui.add_space(tokens.gap);
    }
    if let Some(looked_up) = state.looked_up.clone()
        && let Some((bookings, Some(launch))) = &input.data.desk
        && !bookings.is_empty()
    {
        launch_desk_ui(ui, state, input, bookings, launch, &looked_up, commands);
        outcome_ui(ui, state, tokens);
        return;
    }
    match (&input.data.desk_found, &state.looked_up) {
        (Some((query, found)), _) if !found.is_empty() => {
            found_ui(ui, query, found, tokens, commands);
            return;
        }
        (_, Some(looked_up)) => {
            ui.add(StatusLight::new(
                StatusLevel::Critical,
                &format!(
                    "No booking has the locator {looked_up}, and no passenger is named so. \
                     Check the letters and digits."
                ),
                tokens,
            ));
            return;
        }
        (Some((query, found)), None) => {
            found_ui(ui, query, found, tokens, commands);
            return;
        }
        (None, None) => {}
    }
    if state.scan.is_none() {
        ui.label(
            RichText::new(
                "Type the six-character locator, the passenger's surname or document number, \
                 or scan a boarding pass, and press Enter.",
            )
            .color(tokens.text_muted),
        );
    }
}

/// What the desk's search found: one row per booking, each opening its locator.
fn found_ui(
    ui: &mut Ui,
    query: &str,
    found: &[crate::ops::bookings::data::DeskMatch],
    tokens: Tokens,
    commands: &mut Vec<UiCommand>,
) {
    if found.is_empty() {
        ui.add(StatusLight::new(
            StatusLevel::Caution,
            &format!(
                "No current booking for a passenger named {query:?} or holding a document \
                 numbered so. Check the spelling, or look the passenger up in Passengers."
            ),
            tokens,
        ));
        return;
    }
    ui.label(format!("{} booking(s) for {query:?}:", found.len()));
    ui.add_space(tokens.spacing);
    egui::Grid::new("desk_found")
        .num_columns(5)
        .spacing([tokens.gap, tokens.spacing])
        .striped(true)
        .show(ui, |ui| {
            for title in ["Passenger", "Locator", "Mission", "Launch", ""] {
                ui.strong(title);
            }
            ui.end_row();
            for m in found {
                ui.label(RichText::new(&m.passenger_name).size(tokens.heading_size));
                ui.monospace(&m.locator);
                ui.label(&m.mission);
                ui.label(format!(
                    "{} · {}",
                    m.scheduled_at
                        .get(..16)
                        .unwrap_or(&m.scheduled_at)
                        .replace('T', " "),
                    m.status.label()
                ));
                if ui
                    .button(format!("Open {}", m.locator))
                    .on_hover_text("Show this booking at the desk")
                    .clicked()
                {
                    send(commands, BookingCommand::LookUp(m.locator.clone()));
                }
                ui.end_row();
            }
        });
}

/// What the last check-in or boarding at this desk did, in large type.
fn outcome_ui(ui: &mut Ui, state: &CheckInState, tokens: Tokens) {
    ui.add_space(tokens.gap);
    match &state.outcome {
        Some(Ok(outcome)) => {
            for name in &outcome.checked_in {
                ui.add(StatusLight::new(
                    StatusLevel::Nominal,
                    &format!("{name}: checked in"),
                    tokens,
                ));
            }
            for name in &outcome.already {
                ui.add(StatusLight::new(
                    StatusLevel::Inactive,
                    &format!("{name}: already checked in"),
                    tokens,
                ));
            }
            for (name, reasons) in &outcome.refused {
                ui.label(
                    RichText::new(format!("REFUSED {name}: {}", reasons.join("; ")))
                        .size(tokens.heading_size)
                        .color(tokens.critical),
                );
            }
        }
        Some(Err(reason)) => {
            ui.label(
                RichText::new(format!("REFUSED: {reason}"))
                    .size(tokens.heading_size)
                    .color(tokens.critical),
            );
        }
        None => {}
    }
}

fn window_light(launch: &LaunchDetail, now: DateTime<Utc>) -> (StatusLevel, String) {
    let (opens, closes) = launch.checkin_window();
    if now < opens {
        (
            StatusLevel::Caution,
            format!(
                "Check-in opens at {} ({})",
                format::utc_minutes(opens),
                format::countdown(opens, now)
            ),
        )
    } else if now > closes {
        (
            StatusLevel::Critical,
            format!("Check-in closed at {}", format::utc_minutes(closes)),
        )
    } else {
        (
            StatusLevel::Nominal,
            format!("Check-in open until {}", format::utc_minutes(closes)),
        )
    }
}

/// The booking's launch, its check-in window, its passengers with their readiness and their
/// own actions, then the booking's.
fn launch_desk_ui(
    ui: &mut Ui,
    state: &mut CheckInState,
    input: &DeskInput<'_>,
    bookings: &[Booking],
    launch: &LaunchDetail,
    looked_up: &str,
    commands: &mut Vec<UiCommand>,
) {
    let tokens = input.tokens;
    ui.label(
        RichText::new(format!(
            "{} · {} {} · {} · {}",
            launch.mission,
            launch.spaceport,
            launch.pad,
            format::utc_minutes(launch.scheduled_at),
            launch.status
        ))
        .size(tokens.heading_size),
    );
    let (level, text) = window_light(launch, input.now);
    ui.add(StatusLight::new(level, &text, tokens));
    ui.add_space(tokens.spacing);
    egui::Grid::new("desk_passengers")
        .num_columns(5)
        .spacing([tokens.gap, tokens.spacing])
        .striped(true)
        .show(ui, |ui| {
            for title in ["Passenger", "Seat", "Status", "Readiness", ""] {
                ui.strong(title);
            }
            ui.end_row();
            for booking in bookings {
                passenger_row_ui(ui, state, input, launch, booking, looked_up, commands);
                ui.end_row();
            }
        });
    override_form_ui(ui, state, bookings, launch, tokens, commands);
    ui.add_space(tokens.gap);
    ui.horizontal_wrapped(|ui| {
        let can_check_in = bookings
            .iter()
            .any(|b| b.status == BookingStatus::Confirmed);
        if ui
            .add_enabled(
                can_check_in,
                egui::Button::new(
                    RichText::new("Check in all ready").size(tokens.heading_size * 1.3),
                ),
            )
            .on_hover_text("Checks in every confirmed passenger who is GO; the others are refused with their reasons")
            .on_disabled_hover_text("Nobody under this locator is waiting to check in")
            .clicked()
        {
            send(
                commands,
                BookingCommand::CheckIn {
                    locator: looked_up.to_owned(),
                    only: Vec::new(),
                },
            );
        }
        let can_board = launch.status == LaunchStatus::Boarding
            && bookings
                .iter()
                .any(|b| b.status == BookingStatus::CheckedIn);
        if ui
            .add_enabled(
                can_board,
                egui::Button::new(
                    RichText::new("Board without passes").size(tokens.heading_size * 1.3),
                ),
            )
            .on_hover_text("Boards everyone checked in under this locator without scanning their passes (the gate scans them)")
            .on_disabled_hover_text("Boarding opens when the launch is set to boarding")
            .clicked()
        {
            send(commands, BookingCommand::Board(looked_up.to_owned()));
        }
    });
}

fn passenger_row_ui(
    ui: &mut Ui,
    state: &mut CheckInState,
    input: &DeskInput<'_>,
    launch: &LaunchDetail,
    booking: &Booking,
    looked_up: &str,
    commands: &mut Vec<UiCommand>,
) {
    let tokens = input.tokens;
    ui.label(RichText::new(&booking.passenger_name).size(tokens.heading_size));
    ui.label(RichText::new(booking.seat_id.as_deref().unwrap_or("-")).size(tokens.heading_size));
    ui.label(booking.status.label());
    let readiness = launch.readiness_of(booking, MassLimits::default());
    let colour = if readiness.is_go() {
        tokens.nominal
    } else {
        tokens.critical
    };
    ui.add(egui::Label::new(RichText::new(readiness.summary()).color(colour)).wrap());
    let first = first_name(&booking.passenger_name);
    let (button, hint, enabled) = match booking.status {
        BookingStatus::Confirmed if readiness.is_go() => (
            format!("Check in {first}"),
            "Checks in this passenger only",
            true,
        ),
        BookingStatus::Confirmed if readiness.overridable() => (
            format!("Override for {first}…"),
            if input.supervisor {
                "A supervisor checks this passenger in despite the NO-GO, with a reason"
            } else {
                "Only a supervisor (admin) may override a NO-GO"
            },
            input.supervisor,
        ),
        BookingStatus::CheckedIn | BookingStatus::Boarded => (
            format!("Boarding pass for {first}"),
            "Writes the boarding pass (PDF with its QR code) into the exports folder",
            true,
        ),
        _ => {
            ui.label("");
            return;
        }
    };
    let clicked = ui
        .add_enabled(enabled, egui::Button::new(button))
        .on_hover_text(hint)
        .on_disabled_hover_text(hint)
        .clicked();
    if !clicked {
        return;
    }
    match booking.status {
        BookingStatus::Confirmed if readiness.is_go() => send(
            commands,
            BookingCommand::CheckIn {
                locator: looked_up.to_owned(),
                only: vec![booking.id.clone()],
            },
        ),
        BookingStatus::Confirmed => {
            state.override_for = Some(booking.id.clone());
            state.override_error = None;
        }
        _ => send(commands, BookingCommand::BoardingPass(booking.id.clone())),
    }
}

fn first_name(full: &str) -> &str {
    full.split_whitespace().next().unwrap_or(full)
}

/// The supervisor's override of one passenger's NO-GO: what it waives, the reason, and the
/// refusal beside the form when there is one.
fn override_form_ui(
    ui: &mut Ui,
    state: &mut CheckInState,
    bookings: &[Booking],
    launch: &LaunchDetail,
    tokens: Tokens,
    commands: &mut Vec<UiCommand>,
) {
    let Some(booking) = state
        .override_for
        .as_ref()
        .and_then(|id| bookings.iter().find(|b| &b.id == id))
    else {
        return;
    };
    let readiness = launch.readiness_of(booking, MassLimits::default());
    ui.add_space(tokens.gap);
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(
            RichText::new(format!(
                "Supervisor override: check in {} despite NO-GO",
                booking.passenger_name
            ))
            .strong()
            .color(tokens.caution),
        );
        ui.label(format!("Waives: {}", readiness.texts().join("; ")));
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Reason");
            ui.add(
                egui::TextEdit::singleline(&mut state.override_reason)
                    .hint_text("why this passenger may fly")
                    .desired_width(320.0),
            )
            .labelled_by(label.id);
            let ready = !state.override_reason.trim().is_empty();
            if ui
                .add_enabled(ready, egui::Button::new("Check in over NO-GO"))
                .clicked()
            {
                send(
                    commands,
                    BookingCommand::OverrideCheckIn {
                        booking_id: booking.id.clone(),
                        reason: state.override_reason.trim().to_owned(),
                    },
                );
            }
            if ui.button("Back").clicked() {
                state.override_for = None;
                state.override_error = None;
            }
        });
        if let Some(error) = &state.override_error {
            ui.label(RichText::new(error).color(tokens.critical));
        }
        ui.label(
            RichText::new(
                "Recorded with your name and reason. Medical and mass limits are never overridden.",
            )
            .small()
            .color(tokens.text_muted),
        );
    });
}

fn scan_outcome_ui(ui: &mut Ui, scan: &ScanOutcome, tokens: Tokens) {
    let colour = if scan.boarded {
        tokens.nominal
    } else {
        tokens.critical
    };
    ui.label(
        RichText::new(&scan.headline)
            .size(tokens.heading_size * 2.2)
            .strong()
            .color(colour),
    );
    ui.add(
        egui::Label::new(
            RichText::new(&scan.detail)
                .size(tokens.heading_size * 1.3)
                .color(colour),
        )
        .wrap(),
    );
    ui.label(RichText::new(format!("Scanned at {}", scan.at)).color(tokens.text_muted));
}

/// The gate: which launch it boards, the scanner's field, the last scan in large type, the
/// counts, and who is still missing.
fn gate_ui(
    ui: &mut Ui,
    state: &mut CheckInState,
    input: &DeskInput<'_>,
    commands: &mut Vec<UiCommand>,
) {
    let tokens = input.tokens;
    let boarding: Vec<_> = input
        .data
        .launches
        .iter()
        .filter(|l| matches!(l.status, LaunchStatus::Boarding | LaunchStatus::Scheduled))
        .collect();
    if state.gate_launch.is_none()
        && let Some(first) = boarding.iter().find(|l| l.status == LaunchStatus::Boarding)
    {
        send(commands, BookingCommand::Gate(Some(first.id.clone())));
    }
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("Gate for");
        let shown = state
            .gate_launch
            .as_ref()
            .and_then(|id| boarding.iter().find(|l| &l.id == id))
            .map_or_else(
                || "choose a launch".to_owned(),
                |l| format!("{} ({})", l.mission, l.status),
            );
        egui::ComboBox::from_id_salt("gate_launch")
            .selected_text(shown)
            .width(320.0)
            .show_ui(ui, |ui| {
                for l in &boarding {
                    let picked = state.gate_launch.as_deref() == Some(l.id.as_str());
                    if ui
                        .selectable_label(picked, format!("{} ({})", l.mission, l.status))
                        .clicked()
                    {
                        send(commands, BookingCommand::Gate(Some(l.id.clone())));
                    }
                }
            })
            .response
            .labelled_by(label.id);
    });
    let Some(gate) = input.data.gate.as_ref() else {
        ui.add_space(tokens.gap);
        ui.label(
            RichText::new(if boarding.is_empty() {
                "No launch is scheduled or boarding."
            } else {
                "No launch is boarding yet: choose one, and start boarding from its launch page."
            })
            .color(tokens.text_muted),
        );
        return;
    };
    if let Some(doubt) = &input.gate_doubt {
        ui.add(egui::Label::new(RichText::new(doubt).color(tokens.caution)).wrap());
    }
    if gate.status != LaunchStatus::Boarding {
        ui.add(StatusLight::new(
            StatusLevel::Caution,
            &format!(
                "{} is {}: passes are refused until boarding starts (from the launch page).",
                gate.mission, gate.status
            ),
            tokens,
        ));
    }
    ui.add_space(tokens.gap);
    let big = egui::FontId::proportional(tokens.heading_size * 1.6);
    ui.horizontal_wrapped(|ui| {
        let label = ui.label(RichText::new("Scan the boarding pass").size(tokens.heading_size));
        let field = ui
            .add(
                egui::TextEdit::singleline(&mut state.gate_field)
                    .font(big)
                    .char_limit(300)
                    .desired_width(320.0)
                    .hint_text("scanner input"),
            )
            .labelled_by(label.id);
        let entered = (field.has_focus() || field.lost_focus())
            && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if !entered && ui.memory(|m| m.focused().is_none()) {
            field.request_focus();
        }
        if entered && !state.gate_field.trim().is_empty() {
            let content = std::mem::take(&mut state.gate_field).trim().to_owned();
            send(
                commands,
                BookingCommand::ScanPass {
                    gate_launch: Some(gate.id.clone()),
                    content,
                },
            );
        }
    });
    ui.add_space(tokens.gap);
    if let Some(scan) = &state.scan {
        scan_outcome_ui(ui, scan, tokens);
        ui.add_space(tokens.gap);
    }
    gate_counts_ui(ui, gate, tokens);
}

fn gate_counts_ui(ui: &mut Ui, gate: &LaunchDetail, tokens: Tokens) {
    let expected: Vec<&Booking> = gate
        .live_iter()
        .filter(|b| {
            matches!(
                b.status,
                BookingStatus::Confirmed | BookingStatus::CheckedIn | BookingStatus::Boarded
            )
        })
        .collect();
    let boarded = expected
        .iter()
        .filter(|b| b.status == BookingStatus::Boarded)
        .count();
    let checked_in = expected
        .iter()
        .filter(|b| matches!(b.status, BookingStatus::CheckedIn | BookingStatus::Boarded))
        .count();
    ui.label(
        RichText::new(format!(
            "Boarded {boarded} · checked in {checked_in} · expected {}",
            expected.len()
        ))
        .size(tokens.heading_size * 1.4)
        .strong(),
    );
    let missing: Vec<&&Booking> = expected
        .iter()
        .filter(|b| b.status != BookingStatus::Boarded)
        .collect();
    ui.add_space(tokens.spacing);
    if missing.is_empty() {
        ui.add(StatusLight::new(
            StatusLevel::Nominal,
            "Everyone expected is aboard.",
            tokens,
        ));
        return;
    }
    ui.strong("Still missing");
    egui::Grid::new("gate_missing")
        .num_columns(3)
        .spacing([tokens.gap, tokens.spacing])
        .striped(true)
        .show(ui, |ui| {
            for b in missing {
                ui.label(RichText::new(&b.passenger_name).size(tokens.heading_size));
                ui.label(b.seat_id.as_deref().unwrap_or("-"));
                let (text, colour) = if b.status == BookingStatus::CheckedIn {
                    ("checked in, not at the gate", tokens.caution)
                } else {
                    ("not checked in", tokens.critical)
                };
                ui.label(RichText::new(text).color(colour));
                ui.end_row();
            }
        });
}
