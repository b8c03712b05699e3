//! The go/no-go poll on a launch's page: each position's standing answer, this console's
//! answer, the commit criteria live with the value that decides each, waivers, and the flight
//! director's call (GO for launch, HOLD, SCRUB). A decided poll shows what was decided on,
//! as it was.

use egui::{RichText, Ui};
use galaxium_sync::launch_poll::{PollList, Position};
use galaxium_widgets::{StatusLevel, StatusLight, Tokens};

use super::launches::BookingCommand;
use crate::UiCommand;
use crate::ops::bookings::{LaunchDetail, LaunchStatus};
use crate::ops::launch_poll::{self, CriterionValue, Decision, Poll, PollStatus};

/// What the poll section remembers between frames.
#[derive(Debug, Default)]
pub struct PollState {
    /// The position this console answers for.
    pub position: Option<String>,
    /// The note with the answer.
    pub note: String,
    /// The criterion being waived.
    pub waiving: Option<String>,
    /// The waiver's reason.
    pub waive_reason: String,
    /// The flight director's note with the decision.
    pub decision_note: String,
    /// Why the last poll action was refused, shown beside the poll (which keeps its input).
    pub error: Option<String>,
}

impl PollState {
    /// Clears what was typed once it was recorded.
    pub fn recorded(&mut self) {
        self.note.clear();
        self.waiving = None;
        self.waive_reason.clear();
        self.decision_note.clear();
        self.error = None;
    }
}

/// What the poll section draws from.
pub struct PollInput<'a> {
    /// The poll list.
    pub list: &'a PollList,
    /// The launch's polls, newest first.
    pub polls: &'a [Poll],
    /// The criteria as evaluated now.
    pub criteria: &'a [CriterionValue],
    /// The positions this console's user may answer for.
    pub positions: Vec<&'a Position>,
    /// Whether this console's user directs the poll.
    pub directs: bool,
    /// Why answers from other consoles may be missing (offline, never synced), if they may.
    pub untrusted: Option<String>,
    /// Now, for the countdown to launch.
    pub now: chrono::DateTime<chrono::Utc>,
}

fn send(commands: &mut Vec<UiCommand>, command: BookingCommand) {
    commands.push(UiCommand::Bookings(command));
}

use super::format::time_of_day as clock;

/// Draws the poll section of a launch page.
pub fn poll_ui(
    ui: &mut Ui,
    state: &mut PollState,
    detail: &LaunchDetail,
    input: &PollInput<'_>,
    tokens: Tokens,
    commands: &mut Vec<UiCommand>,
) {
    let current = input.polls.first();
    let can_open = matches!(
        detail.status,
        LaunchStatus::Scheduled | LaunchStatus::Boarding
    ) && current.is_none_or(|p| p.status != PollStatus::Open);
    ui.horizontal_wrapped(|ui| {
        ui.strong(format!(
            "Go/no-go poll · launch {}",
            super::format::countdown(detail.scheduled_at, input.now)
        ));
        match current {
            Some(poll) => {
                let (level, text) = headline(poll);
                ui.add(StatusLight::new(level, &text, tokens));
            }
            None => {
                ui.label(RichText::new("not opened").color(tokens.text_muted));
            }
        }
        if can_open
            && input.directs
            && ui
                .button(if current.is_some() {
                    "Open a new poll"
                } else {
                    "Open poll"
                })
                .on_hover_text("Asks every position for GO or NO-GO, with the commit criteria live")
                .clicked()
        {
            state.error = None;
            send(commands, BookingCommand::OpenPoll(detail.id.clone()));
        }
    });
    if let Some(error) = &state.error {
        ui.label(RichText::new(error).color(tokens.critical));
    }
    let Some(poll) = current else {
        return;
    };
    if poll.status == PollStatus::Open
        && let Some(why) = &input.untrusted
    {
        ui.add(egui::Label::new(RichText::new(why).color(tokens.caution)).wrap());
    }
    let criteria = launch_poll::shown_criteria(poll, input.criteria);
    // What is done with the poll first, so it stays in view; then what it is decided on.
    if poll.status == PollStatus::Open {
        if input.directs {
            decision_ui(ui, state, poll, &criteria, input, tokens, commands);
        }
        answer_form_ui(ui, state, poll, input, tokens, commands);
        ui.separator();
    }
    answers_ui(ui, poll, input, tokens);
    criteria_ui(ui, state, poll, &criteria, input, tokens, commands);
    for earlier in input.polls.iter().skip(1) {
        let (_, text) = headline(earlier);
        ui.label(RichText::new(format!("Earlier: {text}")).color(tokens.text_muted));
    }
}

fn headline(poll: &Poll) -> (StatusLevel, String) {
    let level = match poll.status {
        PollStatus::Open => StatusLevel::Caution,
        PollStatus::Go => StatusLevel::Nominal,
        PollStatus::Hold | PollStatus::Scrub => StatusLevel::Critical,
    };
    let text = match (&poll.decided_at, &poll.decided_by) {
        (Some(at), Some(by)) if poll.status != PollStatus::Open => {
            let note = if poll.decision_note.is_empty() {
                String::new()
            } else {
                format!(": {}", poll.decision_note)
            };
            format!("{} at {} by {by}{note}", poll.status.label(), clock(at))
        }
        _ => format!(
            "OPEN since {} (opened by {})",
            clock(&poll.opened_at),
            poll.opened_by
        ),
    };
    (level, text)
}

/// Each position with its standing answer, who gave it and when.
fn answers_ui(ui: &mut Ui, poll: &Poll, input: &PollInput<'_>, tokens: Tokens) {
    let standing = poll.standing();
    egui::Grid::new(("poll_answers", &poll.id))
        .num_columns(3)
        .spacing([tokens.gap, 4.0])
        .striped(true)
        .show(ui, |ui| {
            for position in &input.list.positions {
                ui.label(&position.name);
                if let Some(answer) = standing.get(position.id.as_str()) {
                    let (word, colour) = if answer.go {
                        ("GO", tokens.nominal)
                    } else {
                        ("NO-GO", tokens.critical)
                    };
                    ui.label(RichText::new(word).strong().color(colour));
                    let note = if answer.note.is_empty() {
                        String::new()
                    } else {
                        format!(" · {}", answer.note)
                    };
                    ui.add(
                        egui::Label::new(format!(
                            "{} {}{note}",
                            answer.by_user,
                            clock(&answer.answered_at)
                        ))
                        .wrap(),
                    );
                } else {
                    ui.label(RichText::new("waiting").color(tokens.text_muted));
                    ui.label("");
                }
                ui.end_row();
            }
        });
}

/// The commit criteria, each green or red with its value, waived or waivable.
fn criteria_ui(
    ui: &mut Ui,
    state: &mut PollState,
    poll: &Poll,
    criteria: &[CriterionValue],
    input: &PollInput<'_>,
    tokens: Tokens,
    commands: &mut Vec<UiCommand>,
) {
    ui.add_space(tokens.spacing);
    ui.strong(if poll.status == PollStatus::Open {
        "Commit criteria (live)"
    } else {
        "Commit criteria when decided"
    });
    for criterion in criteria {
        let level = match (criterion.ok, criterion.waived) {
            (true, _) => StatusLevel::Nominal,
            (false, true) => StatusLevel::Caution,
            (false, false) => StatusLevel::Critical,
        };
        let word = match (criterion.ok, criterion.waived) {
            (true, _) => "GREEN",
            (false, true) => "WAIVED",
            (false, false) => "RED",
        };
        ui.horizontal_wrapped(|ui| {
            ui.add(StatusLight::new(level, word, tokens));
            ui.add(egui::Label::new(format!("{}: {}", criterion.name, criterion.value)).wrap());
            if let Some(waiver) = poll.waiver(&criterion.id).filter(|_| !criterion.ok) {
                ui.label(
                    RichText::new(format!(
                        "waived by {} at {}: {}",
                        waiver.by_user,
                        clock(&waiver.waived_at),
                        waiver.reason
                    ))
                    .color(tokens.text_muted),
                );
            } else if !criterion.ok
                && poll.status == PollStatus::Open
                && input.directs
                && ui
                    .small_button(format!("Waive {}…", criterion.name))
                    .clicked()
            {
                state.waiving = Some(criterion.id.clone());
                state.error = None;
            }
        });
        if state.waiving.as_deref() == Some(criterion.id.as_str()) {
            ui.horizontal_wrapped(|ui| {
                let label = ui.label("Reason to waive");
                ui.add(
                    egui::TextEdit::singleline(&mut state.waive_reason)
                        .desired_width(260.0)
                        .hint_text("why it is safe to go"),
                )
                .labelled_by(label.id);
                if ui
                    .add_enabled(
                        !state.waive_reason.trim().is_empty(),
                        egui::Button::new("Waive"),
                    )
                    .clicked()
                {
                    send(
                        commands,
                        BookingCommand::WaiveCriterion {
                            poll_id: poll.id.clone(),
                            criterion: criterion.clone(),
                            reason: state.waive_reason.trim().to_owned(),
                        },
                    );
                }
                if ui.button("Back").clicked() {
                    state.waiving = None;
                }
            });
        }
    }
}

/// This console's answer: the position (among those its user may answer for), a note, GO or
/// NO-GO.
fn answer_form_ui(
    ui: &mut Ui,
    state: &mut PollState,
    poll: &Poll,
    input: &PollInput<'_>,
    tokens: Tokens,
    commands: &mut Vec<UiCommand>,
) {
    ui.add_space(tokens.spacing);
    if input.positions.is_empty() {
        ui.label(
            RichText::new("Your role answers for no position on this poll.")
                .color(tokens.text_muted),
        );
        return;
    }
    if state
        .position
        .as_ref()
        .is_none_or(|p| !input.positions.iter().any(|o| &o.id == p))
    {
        state.position = input.positions.first().map(|p| p.id.clone());
    }
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("Answer as");
        let shown = input
            .positions
            .iter()
            .find(|p| Some(&p.id) == state.position.as_ref())
            .map_or("choose", |p| p.name.as_str());
        egui::ComboBox::from_id_salt("poll_position")
            .selected_text(shown)
            .show_ui(ui, |ui| {
                for position in &input.positions {
                    ui.selectable_value(
                        &mut state.position,
                        Some(position.id.clone()),
                        &position.name,
                    );
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label("Note");
        ui.add(
            egui::TextEdit::singleline(&mut state.note)
                .desired_width(200.0)
                .hint_text("why, for a NO-GO"),
        )
        .labelled_by(label.id);
    });
    ui.horizontal_wrapped(|ui| {
        let Some(position) = state.position.clone() else {
            return;
        };
        let mut answer = |go: bool| {
            send(
                commands,
                BookingCommand::AnswerPoll {
                    poll_id: poll.id.clone(),
                    position: position.clone(),
                    go,
                    note: state.note.trim().to_owned(),
                },
            );
        };
        if ui
            .add(egui::Button::new(
                RichText::new("GO").strong().color(tokens.nominal),
            ))
            .clicked()
        {
            answer(true);
        }
        if ui
            .add(egui::Button::new(
                RichText::new("NO-GO").strong().color(tokens.critical),
            ))
            .clicked()
        {
            answer(false);
        }
    });
}

/// The flight director's call.
fn decision_ui(
    ui: &mut Ui,
    state: &mut PollState,
    poll: &Poll,
    criteria: &[CriterionValue],
    input: &PollInput<'_>,
    tokens: Tokens,
    commands: &mut Vec<UiCommand>,
) {
    ui.add_space(tokens.spacing);
    let blocked = launch_poll::go_blocked(poll, input.list, criteria);
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("Decision note");
        ui.add(
            egui::TextEdit::singleline(&mut state.decision_note)
                .desired_width(260.0)
                .hint_text("needed to hold or scrub"),
        )
        .labelled_by(label.id);
    });
    ui.horizontal_wrapped(|ui| {
        let mut decide = |decision: Decision| {
            send(
                commands,
                BookingCommand::DecidePoll {
                    poll_id: poll.id.clone(),
                    decision,
                    note: state.decision_note.trim().to_owned(),
                    criteria: criteria.to_vec(),
                },
            );
        };
        let go = ui
            .add_enabled(
                blocked.is_none(),
                egui::Button::new(RichText::new("GO for launch").strong()),
            )
            .on_disabled_hover_text(blocked.clone().unwrap_or_default());
        if go.clicked() {
            decide(Decision::Go);
        }
        let worded = !state.decision_note.trim().is_empty();
        if ui
            .add_enabled(worded, egui::Button::new("HOLD"))
            .on_disabled_hover_text("Say why in the decision note")
            .clicked()
        {
            decide(Decision::Hold);
        }
        if ui
            .add_enabled(worded, egui::Button::new("SCRUB"))
            .on_disabled_hover_text("Say why in the decision note")
            .on_hover_text("Scrubs the launch: its bookings wait for a new date")
            .clicked()
        {
            decide(Decision::Scrub);
        }
    });
    if let Some(blocked) = blocked {
        ui.label(
            RichText::new(format!("GO for launch is blocked: {blocked}")).color(tokens.caution),
        );
    }
}
