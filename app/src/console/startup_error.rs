//! The dialog shown instead of the console when the replica cannot be opened.

use egui::RichText;
use galaxium_widgets::{Theme, Tokens, tokens};

/// Shows why the console cannot start, and nothing else.
pub struct StartupErrorApp {
    message: String,
    themed: bool,
}

impl StartupErrorApp {
    /// A dialog showing `message`.
    pub fn new(message: String) -> Self {
        Self {
            message,
            themed: false,
        }
    }
}

impl eframe::App for StartupErrorApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        if !self.themed {
            tokens::apply(ui.ctx(), Theme::Dark);
            self.themed = true;
        }
        let palette = Tokens::of(Theme::Dark);
        egui::CentralPanel::default().show(ui, |ui| {
            ui.add_space(palette.gap);
            ui.heading(RichText::new("The console cannot open its replica").color(palette.critical));
            ui.add_space(palette.gap);
            ui.add(egui::Label::new(&self.message).wrap());
            ui.add_space(palette.gap);
            ui.label(
                RichText::new(
                    "Nothing was changed. `galaxium db check` shows the same diagnosis from a terminal.",
                )
                .color(palette.text_muted),
            );
            ui.add_space(palette.gap);
            ui.horizontal(|ui| {
                if ui.button("Copy message").clicked() {
                    ui.ctx().copy_text(self.message.clone());
                }
                if ui.button("Quit").clicked() {
                    ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                }
            });
        });
    }
}
