//! A full-width strip that must not be missed, such as TRAINING.

use egui::{Color32, Response, RichText, Ui, Widget};

use crate::tokens::Tokens;

/// A coloured, full-width banner with centred bold text.
pub struct Banner<'a> {
    text: &'a str,
    fill: Color32,
    tokens: Tokens,
}

impl<'a> Banner<'a> {
    /// A banner saying `text` on `fill`.
    pub fn new(text: &'a str, fill: Color32, tokens: Tokens) -> Self {
        Self { text, fill, tokens }
    }
}

impl Widget for Banner<'_> {
    fn ui(self, ui: &mut Ui) -> Response {
        // The label inside is the accessible node; the frame adds no second one.
        egui::Frame::new()
            .fill(self.fill)
            .inner_margin(egui::vec2(self.tokens.gap, self.tokens.spacing * 0.5))
            .show(ui, |ui| {
                ui.set_min_width(ui.available_width());
                ui.vertical_centered(|ui| {
                    ui.label(
                        RichText::new(self.text)
                            .strong()
                            .color(self.tokens.on_banner),
                    );
                });
            })
            .response
    }
}
