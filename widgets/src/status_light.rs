//! A coloured light with a word beside it: status that never relies on colour alone.

use egui::{Response, Sense, Ui, Widget, WidgetInfo};

use crate::tokens::Tokens;

/// How a light reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusLevel {
    /// All well.
    Nominal,
    /// Needs attention soon.
    Caution,
    /// Act now.
    Critical,
    /// Not connected, not applicable, no data.
    Inactive,
}

impl StatusLevel {
    fn colour(self, tokens: &Tokens) -> egui::Color32 {
        match self {
            Self::Nominal => tokens.nominal,
            Self::Caution => tokens.caution,
            Self::Critical => tokens.critical,
            Self::Inactive => tokens.inactive,
        }
    }
}

/// A status light: a filled circle in the level's colour, then the text.
///
/// Its accessible label is the text, which is also how tests find it.
pub struct StatusLight<'a> {
    level: StatusLevel,
    text: &'a str,
    tokens: Tokens,
    max_width: Option<f32>,
    sense: Sense,
}

impl<'a> StatusLight<'a> {
    /// A light of `level` that says `text`, coloured from `tokens`.
    pub fn new(level: StatusLevel, text: &'a str, tokens: Tokens) -> Self {
        Self {
            level,
            text,
            tokens,
            max_width: None,
            sense: Sense::hover(),
        }
    }

    /// Makes the light clickable (it then reads as a button to assistive technology).
    #[must_use]
    pub fn sense_click(mut self) -> Self {
        self.sense = Sense::click();
        self
    }

    /// Keeps the light within `width` points, ending the text with `…` when it does not fit;
    /// hovering shows the whole text.
    #[must_use]
    pub fn max_width(mut self, width: f32) -> Self {
        self.max_width = Some(width);
        self
    }
}

impl Widget for StatusLight<'_> {
    fn ui(self, ui: &mut Ui) -> Response {
        let font = egui::TextStyle::Body.resolve(ui.style());
        let diameter = font.size * 0.85;
        let gap = self.tokens.spacing * 0.75;
        let mut job =
            egui::text::LayoutJob::simple_singleline(self.text.to_owned(), font, self.tokens.text);
        if let Some(width) = self.max_width {
            job.wrap =
                egui::text::TextWrapping::truncate_at_width((width - diameter - gap).max(0.0));
        }
        let galley = ui.painter().layout_job(job);
        let truncated = galley.elided;
        let size = egui::vec2(diameter + gap + galley.size().x, galley.size().y);
        let (rect, mut response) = ui.allocate_exact_size(size, self.sense);
        if self.sense.senses_click() && response.hovered() {
            ui.ctx().set_cursor_icon(egui::CursorIcon::PointingHand);
        }
        if truncated {
            response = response.on_hover_text(self.text);
        }
        response.widget_info(|| WidgetInfo::labeled(egui::Role::Label, true, self.text));
        if ui.is_rect_visible(rect) {
            let centre = egui::pos2(rect.left() + diameter / 2.0, rect.center().y);
            let painter = ui.painter();
            painter.circle_filled(centre, diameter / 2.0, self.level.colour(&self.tokens));
            painter.galley(
                egui::pos2(rect.left() + diameter + gap, rect.top()),
                galley,
                self.tokens.text,
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    use super::*;
    use crate::tokens::Theme;

    #[test]
    fn the_light_is_found_by_its_words() {
        let harness = Harness::new_ui(|ui| {
            ui.add(StatusLight::new(
                StatusLevel::Inactive,
                "Offline · local replica",
                Tokens::of(Theme::Dark),
            ));
        });
        let node = harness.get_by_label("Offline · local replica");
        assert!(node.rect().width() > node.rect().height());
    }
}
