//! Settings: theme, text size, and where the console keeps its files.

use egui::{RichText, Ui};
use galaxium_widgets::{Theme, Tokens};

use crate::UiCommand;
use crate::ops::paths::DataDir;

/// Draws the settings; changes go out as commands so the palette and shortcuts agree.
pub fn settings_ui(
    ui: &mut Ui,
    theme: Theme,
    zoom: f32,
    data: &DataDir,
    tokens: Tokens,
    commands: &mut Vec<UiCommand>,
) {
    ui.heading("Console settings");
    ui.add_space(tokens.spacing);
    tokens.card_frame().show(ui, |ui| {
        ui.set_min_width(ui.available_width());
        egui::Grid::new("settings_grid")
            .num_columns(2)
            .spacing([tokens.gap, tokens.gap])
            .show(ui, |ui| {
                let muted = |text: &str| RichText::new(text).color(tokens.text_muted);
                ui.label(muted("Theme"));
                ui.horizontal(|ui| {
                    for option in [Theme::Dark, Theme::Light] {
                        if ui.radio(theme == option, option.label()).clicked() && theme != option {
                            commands.push(UiCommand::ToggleTheme);
                        }
                    }
                });
                ui.end_row();

                ui.label(muted("Text size"));
                ui.horizontal(|ui| {
                    for command in [UiCommand::ZoomOut, UiCommand::ZoomReset, UiCommand::ZoomIn] {
                        let text = match command {
                            UiCommand::ZoomOut => "Smaller",
                            UiCommand::ZoomIn => "Larger",
                            _ => "Normal",
                        };
                        if ui.button(text).on_hover_text(command.tooltip()).clicked() {
                            commands.push(command);
                        }
                    }
                    ui.label(format!("{:.0} %", zoom * 100.0));
                });
                ui.end_row();

                ui.label(muted("Data folder"));
                ui.label(RichText::new(data.root().display().to_string()).monospace());
                ui.end_row();
                ui.label(muted("Logs"));
                ui.label(RichText::new(data.logs().display().to_string()).monospace());
                ui.end_row();
                ui.label(muted("Backups"));
                ui.label(RichText::new(data.backups().display().to_string()).monospace());
                ui.end_row();
            });
    });
}
