//! The Sync view: the link to the central server, the outbox, the conflicts inbox and the
//! history of sync runs.

use chrono::{DateTime, Utc};
use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};
use galaxium_sync::protocol::RefusalRule;
use galaxium_widgets::{StatusLevel, StatusLight, Tokens};

use super::format;
use super::launches::BookingCommand;
use crate::UiCommand;
use crate::ops::overview::OverviewSnapshot;
use crate::ops::sync_agent::{LinkState, SyncStatus};

/// How the link reads, as a light and a sentence; the top bar shows the same.
pub fn link_summary(status: &SyncStatus, now: DateTime<Utc>) -> (StatusLevel, String) {
    match &status.state {
        LinkState::SignedOut => (StatusLevel::Inactive, "Offline · local replica".to_owned()),
        LinkState::SigningIn => (StatusLevel::Caution, "Signing in…".to_owned()),
        LinkState::Syncing => (StatusLevel::Nominal, "Online · syncing".to_owned()),
        LinkState::Online => (
            StatusLevel::Nominal,
            status.last_success.map_or_else(
                || "Online".to_owned(),
                |t| format!("Online · synced {} ago", format::ago(t, now)),
            ),
        ),
        LinkState::Retrying { next_at, .. } => (
            StatusLevel::Caution,
            format!("Offline · retrying {}", format::due_in(*next_at, now)),
        ),
        LinkState::NeedsSignIn => (StatusLevel::Critical, "Sign-in needed".to_owned()),
    }
}

/// Who is signed in, where; a sign-in the server ended is not called signed in.
fn signed_in_words(status: &SyncStatus) -> String {
    match (&status.signed_in, &status.state) {
        (None, _) => "no: this console works on its local replica only".to_owned(),
        (Some((server, user, role)), LinkState::NeedsSignIn) => {
            format!("no: the server ended the sign-in of {user} ({role}) at {server}")
        }
        (Some((server, user, role)), _) => format!("{user} ({role}) at {server}"),
    }
}

/// Draws the Sync view.
pub fn sync_ui(
    ui: &mut Ui,
    status: &SyncStatus,
    snapshot: Option<&OverviewSnapshot>,
    tokens: Tokens,
    now: DateTime<Utc>,
    commands: &mut Vec<UiCommand>,
) {
    ui.heading("Sync with the central server");
    ui.add_space(tokens.spacing);
    egui::ScrollArea::vertical().show(ui, |ui| {
        tokens.card_frame().show(ui, |ui| {
            ui.set_min_width(ui.available_width());
            let (level, words) = link_summary(status, now);
            ui.add(StatusLight::new(level, &words, tokens));
            ui.add_space(tokens.spacing);
            egui::Grid::new("sync_facts")
                .num_columns(2)
                .spacing([tokens.gap, tokens.spacing])
                .show(ui, |ui| {
                    let muted = |text: &str| RichText::new(text).color(tokens.text_muted);
                    ui.label(muted("Signed in"));
                    ui.label(signed_in_words(status));
                    ui.end_row();
                    ui.label(muted("Last sync"));
                    ui.label(
                        status
                            .last_success
                            .map_or_else(|| "never".to_owned(), format::utc_seconds),
                    );
                    ui.end_row();
                    if let Some(snapshot) = snapshot {
                        ui.label(muted("Waiting to send"));
                        ui.label(format!("{} local edits", snapshot.pending_ops));
                        ui.end_row();
                        ui.label(muted("Conflicts"));
                        ui.label(format!("{} waiting for a person", snapshot.conflicts.len()));
                        ui.end_row();
                        if !snapshot.set_aside.is_empty() {
                            ui.label(muted("Set aside"));
                            ui.label(
                                RichText::new(match snapshot.set_aside.len() {
                                    1 => "1 pulled change could not be applied here".to_owned(),
                                    n => format!("{n} pulled changes could not be applied here"),
                                })
                                .color(tokens.caution),
                            );
                            ui.end_row();
                        }
                    }
                });
            notices(ui, status, tokens);
            ui.add_space(tokens.spacing);
            ui.horizontal(|ui| {
                let signed_in = status.signed_in.is_some();
                for command in [
                    UiCommand::SyncNow,
                    UiCommand::OpenSignIn,
                    UiCommand::SignOut,
                ] {
                    let enabled = match command {
                        UiCommand::SyncNow | UiCommand::SignOut => signed_in,
                        _ => true,
                    };
                    if ui
                        .add_enabled(enabled, egui::Button::new(command.label()))
                        .on_hover_text(command.tooltip())
                        .clicked()
                    {
                        commands.push(command);
                    }
                }
            });
        });
        let Some(snapshot) = snapshot else {
            return;
        };
        ui.add_space(tokens.gap);
        conflicts_ui(ui, snapshot, tokens, commands);
        if !snapshot.set_aside.is_empty() {
            ui.add_space(tokens.gap);
            set_aside_ui(ui, snapshot, tokens);
        }
        ui.add_space(tokens.gap);
        history_ui(ui, snapshot, tokens);
    });
}

fn describe(values: &serde_json::Map<String, serde_json::Value>) -> String {
    let parts: Vec<String> = values
        .iter()
        .filter(|(k, _)| k.as_str() != "demo")
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => format!("{k} {s}"),
            other => format!("{k} {other}"),
        })
        .collect();
    if parts.is_empty() {
        "(the whole row)".to_owned()
    } else {
        parts.join(", ")
    }
}

fn conflicts_ui(
    ui: &mut Ui,
    snapshot: &OverviewSnapshot,
    tokens: Tokens,
    commands: &mut Vec<UiCommand>,
) {
    tokens.card_frame().show(ui, |ui| {
        ui.set_min_width(ui.available_width());
        ui.label(
            RichText::new("Conflicts inbox")
                .strong()
                .size(tokens.body_size + 2.0),
        );
        ui.add_space(tokens.spacing);
        if snapshot.conflicts.is_empty() {
            ui.label(
                RichText::new("Nothing waiting: every edit from this console was accepted.")
                    .color(tokens.text_muted),
            );
            return;
        }
        for conflict in &snapshot.conflicts {
            ui.separator();
            ui.label(
                RichText::new(format!(
                    "{} {} in {} · {}",
                    conflict.kind,
                    &conflict.row_id[..conflict.row_id.len().min(8)],
                    conflict.table,
                    conflict
                        .received_at
                        .get(..19)
                        .unwrap_or(&conflict.received_at)
                        .replace('T', " ")
                ))
                .strong(),
            );
            ui.label(format!("Tried: {}", describe(&conflict.attempted)));
            ui.label(RichText::new(format!("Refused: {}", conflict.reason)).color(tokens.critical));
            let key_taken = conflict.rule == Some(RefusalRule::UniqueKey);
            ui.label(match &conflict.winner {
                Some(winner) => {
                    format!("Now in force (the server's version): {}", describe(winner))
                }
                None if key_taken => "Not kept here: the server holds the other one. Type another name and send yours again, or keep the server's version.".to_owned(),
                None => "The server has no such row; it was removed here too.".to_owned(),
            });
            ui.horizontal_wrapped(|ui| {
                // A booking that lost its seat: give the passenger another one.
                if conflict.table == "bookings"
                    && conflict.kind == "insert"
                    && let (Some(launch_id), Some(passenger_id)) = (
                        conflict.attempted.get("launch_id").and_then(|v| v.as_str()),
                        conflict.attempted.get("passenger_id").and_then(|v| v.as_str()),
                    )
                    && ui
                        .button("Sell another seat…")
                        .on_hover_text(
                            "Open the launch with this passenger ready to seat; the conflict is settled when the new hold is made",
                        )
                        .clicked()
                {
                    commands.push(UiCommand::Bookings(BookingCommand::Rebook {
                        conflict_id: conflict.id.clone(),
                        launch_id: launch_id.to_owned(),
                        passenger_id: passenger_id.to_owned(),
                    }));
                }
                send_again_ui(ui, conflict, tokens, commands);
                let keep = UiCommand::KeepServerVersion(conflict.id.clone());
                if ui
                    .button(keep.label())
                    .on_hover_text(keep.tooltip())
                    .clicked()
                {
                    commands.push(keep);
                }
            });
        }
    });
}

/// For a conflict over a name or code another console's row holds: a field to type another
/// and a button that sends the edit again under it (the text is kept while the inbox is open).
fn send_again_ui(
    ui: &mut Ui,
    conflict: &galaxium_sync::replica::Conflict,
    tokens: Tokens,
    commands: &mut Vec<UiCommand>,
) {
    let Some(key) = galaxium_sync::schema::registry::table(&conflict.table)
        .and_then(|spec| spec.unique_keys.first())
    else {
        return;
    };
    if conflict.rule != Some(RefusalRule::UniqueKey) {
        return;
    }
    let id = egui::Id::unique(("send_again", &conflict.id));
    let mut typed: String = ui.data_mut(|d| {
        d.get_temp_mut_or_insert_with(id, || {
            conflict
                .attempted
                .get(key.column)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        })
        .clone()
    });
    let label = ui.label(format!("New {}:", key.column));
    let edit = ui
        .add(egui::TextEdit::singleline(&mut typed).desired_width(tokens.body_size * 12.0))
        .labelled_by(label.id);
    if edit.changed() {
        ui.data_mut(|d| d.insert_temp(id, typed.clone()));
    }
    let send = UiCommand::SendAgainUnder {
        conflict_id: conflict.id.clone(),
        key: typed.clone(),
    };
    if ui
        .add_enabled(!typed.trim().is_empty(), egui::Button::new(send.label()))
        .on_hover_text(send.tooltip())
        .clicked()
    {
        commands.push(send);
    }
}

/// Pulled changes this replica could not apply: what they were and why, so a person can take
/// them up (the sync went on without them).
fn set_aside_ui(ui: &mut Ui, snapshot: &OverviewSnapshot, tokens: Tokens) {
    tokens.card_frame().show(ui, |ui| {
        ui.set_min_width(ui.available_width());
        ui.label(
            RichText::new("Pulled changes set aside")
                .strong()
                .size(tokens.body_size + 2.0),
        );
        ui.add(
            egui::Label::new(
                RichText::new(
                    "The server sent these, but this replica cannot apply them; the sync went on with everything else. Tell your server administrator: the server's start-up repair should refuse them.",
                )
                .color(tokens.text_muted),
            )
            .wrap(),
        );
        for op in &snapshot.set_aside {
            ui.separator();
            ui.label(
                RichText::new(format!(
                    "{} {} in {} · server position {}",
                    op.kind,
                    &op.row_id[..op.row_id.len().min(8)],
                    op.table,
                    op.cursor
                ))
                .strong(),
            );
            ui.add(egui::Label::new(format!("Values: {}", describe(&op.payload))).wrap());
            ui.add(
                egui::Label::new(
                    RichText::new(format!("Not applied: {}", op.reason)).color(tokens.caution),
                )
                .wrap(),
            );
        }
    });
}

fn history_ui(ui: &mut Ui, snapshot: &OverviewSnapshot, tokens: Tokens) {
    tokens.card_frame().show(ui, |ui| {
        ui.set_min_width(ui.available_width());
        ui.label(
            RichText::new("Sync history")
                .strong()
                .size(tokens.body_size + 2.0),
        );
        ui.add_space(tokens.spacing);
        if snapshot.sync_runs.is_empty() {
            ui.label(
                RichText::new("No sync has run from this console yet.").color(tokens.text_muted),
            );
            return;
        }
        let row_height = tokens.body_size + 12.0;
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
        ui.spacing_mut().item_spacing.x = tokens.gap * 1.5;
        TableBuilder::new(ui)
            .id_salt("sync_history")
            .striped(true)
            .column(Column::auto())
            .column(Column::auto())
            .column(Column::auto())
            .column(Column::auto())
            .column(Column::auto())
            .column(Column::remainder())
            .header(row_height, |mut header| {
                for title in [
                    "Started (UTC)",
                    "Took",
                    "Sent",
                    "Received",
                    "Bytes up / down",
                    "Outcome",
                ] {
                    header.col(|ui| {
                        ui.label(RichText::new(title).strong().color(tokens.text_muted));
                    });
                }
            })
            .body(|mut body| {
                for run in &snapshot.sync_runs {
                    body.row(row_height, |mut row| {
                        row.col(|ui| {
                            ui.label(
                                run.started_at
                                    .replace('T', " ")
                                    .trim_end_matches('Z')
                                    .to_owned(),
                            );
                        });
                        row.col(|ui| {
                            ui.label(format!("{} ms", run.duration_ms));
                        });
                        row.col(|ui| {
                            ui.label(format!("{} ({} refused)", run.pushed, run.rejected));
                        });
                        row.col(|ui| {
                            ui.label(run.pulled.to_string());
                        });
                        row.col(|ui| {
                            ui.label(format!(
                                "{} / {}",
                                format::bytes(run.bytes_up),
                                format::bytes(run.bytes_down)
                            ));
                        });
                        row.col(|ui| {
                            match &run.error {
                                // Cut to the column with an ellipsis, whole on hover.
                                Some(error) => ui
                                    .add(
                                        egui::Label::new(
                                            RichText::new(error).color(tokens.caution),
                                        )
                                        .truncate(),
                                    )
                                    .on_hover_text(error),
                                None => ui.label("ok"),
                            };
                        });
                    });
                }
            });
    });
}

/// What the link wants a person to know: a clock off the server's, a server found restored
/// from a copy, the last failure.
fn notices(ui: &mut Ui, status: &SyncStatus, tokens: Tokens) {
    if let Some(warning) = &status.clock_warning {
        ui.add_space(tokens.spacing);
        ui.add(
            egui::Label::new(RichText::new(format!("Clock: {warning}")).color(tokens.caution))
                .wrap(),
        );
    }
    if let Some(restored) = &status.server_restored {
        ui.add_space(tokens.spacing);
        ui.add(
            egui::Label::new(
                RichText::new(format!("Server restored from a copy: {restored}"))
                    .color(tokens.caution),
            )
            .wrap(),
        );
    }
    if let Some(error) = &status.last_error {
        ui.add_space(tokens.spacing);
        ui.add(egui::Label::new(RichText::new(error).color(tokens.caution)).wrap());
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    #[test]
    fn a_sign_in_the_server_ended_is_not_called_signed_in() {
        let who = Some((
            "https://gx-server:8780".to_owned(),
            "ada".to_owned(),
            "admin".to_owned(),
        ));
        let online = SyncStatus {
            state: LinkState::Online,
            signed_in: who.clone(),
            ..SyncStatus::default()
        };
        assert_eq!(
            signed_in_words(&online),
            "ada (admin) at https://gx-server:8780"
        );
        let ended = SyncStatus {
            state: LinkState::NeedsSignIn,
            signed_in: who,
            ..SyncStatus::default()
        };
        assert_eq!(
            signed_in_words(&ended),
            "no: the server ended the sign-in of ada (admin) at https://gx-server:8780"
        );
    }

    #[test]
    fn a_retry_under_a_minute_away_says_its_seconds() {
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
        let status = SyncStatus {
            state: LinkState::Retrying {
                attempt: 2,
                next_at: now + chrono::Duration::seconds(23),
            },
            ..SyncStatus::default()
        };
        assert_eq!(
            link_summary(&status, now),
            (
                StatusLevel::Caution,
                "Offline · retrying in 23 s".to_owned()
            )
        );
    }
}
