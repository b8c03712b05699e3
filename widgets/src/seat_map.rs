//! A vehicle's seat map: one box per seat, laid out by row and column, coloured and marked
//! by state (never by colour alone), clickable, reachable with Tab and the arrow keys, and
//! each seat announced to screen readers with its name and state.

use egui::{Align2, Color32, CornerRadius, FontId, Id, Key, Rect, Sense, Stroke, Ui, WidgetInfo};

use crate::Tokens;

/// What a seat is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeatKind {
    /// For sale.
    Free,
    /// Held by a booking that is not confirmed yet.
    Held,
    /// Sold: its booking is confirmed.
    Confirmed,
    /// Its passenger has checked in.
    CheckedIn,
    /// Its passenger is aboard.
    Boarded,
    /// Out of sale.
    Blocked,
}

impl SeatKind {
    /// Every state, in legend order.
    pub const ALL: [Self; 6] = [
        Self::Free,
        Self::Held,
        Self::Confirmed,
        Self::CheckedIn,
        Self::Boarded,
        Self::Blocked,
    ];

    /// The word for it: the booking's own status word (held, confirmed, checked in,
    /// boarded), so the legend, the seat and the bookings table say the same.
    pub fn label(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Held => "held",
            Self::Confirmed => "confirmed",
            Self::CheckedIn => "checked in",
            Self::Boarded => "boarded",
            Self::Blocked => "blocked",
        }
    }

    /// A mark drawn under the seat's name, so the state reads without colour: the label,
    /// shortened to fit the seat.
    fn mark(self) -> &'static str {
        match self {
            Self::Free => "",
            Self::Held => "HELD",
            Self::Confirmed => "CONF",
            Self::CheckedIn => "IN",
            Self::Boarded => "BOARD",
            Self::Blocked => "BLOCK",
        }
    }

    fn fill(self, tokens: &Tokens) -> Color32 {
        match self {
            Self::Free => tokens.card,
            Self::Held => tokens.caution,
            Self::Confirmed => tokens.accent,
            Self::CheckedIn | Self::Boarded => tokens.nominal,
            Self::Blocked => tokens.inactive,
        }
    }

    /// A second, inner edge: boarded seats are checked-in seats that are also closed.
    fn inner_edge(self) -> bool {
        self == Self::Boarded
    }

    fn text(self, tokens: &Tokens) -> Color32 {
        match self {
            Self::Free => tokens.text,
            _ => tokens.on_banner,
        }
    }
}

/// One seat as the map shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatCell {
    /// The seat's name ("2B").
    pub id: String,
    /// Row, from 1.
    pub row: u32,
    /// Column, from 1.
    pub column: u32,
    /// window, middle or aisle.
    pub position: String,
    /// What it is doing.
    pub kind: SeatKind,
    /// Who sits there or why it is blocked, as the viewer may see it; shown on hover.
    pub detail: String,
}

impl SeatCell {
    /// What a screen reader says: "Seat 2B, window, held: Dana Okafor".
    pub fn accessible_label(&self) -> String {
        let mut label = format!("Seat {}, {}, {}", self.id, self.position, self.kind.label());
        if !self.detail.is_empty() {
            label.push_str(": ");
            label.push_str(&self.detail);
        }
        label
    }
}

/// The seat map widget.
pub struct SeatMap<'a> {
    id: Id,
    seats: &'a [SeatCell],
    selected: &'a [String],
    tokens: Tokens,
    seat_size: f32,
}

impl<'a> SeatMap<'a> {
    /// A map of `seats`; `selected` seats get a focus ring. `id_salt` keeps two maps apart.
    pub fn new(
        id_salt: impl std::hash::Hash + std::fmt::Debug,
        seats: &'a [SeatCell],
        selected: &'a [String],
        tokens: Tokens,
    ) -> Self {
        Self {
            id: Id::unique(id_salt),
            seats,
            selected,
            tokens,
            seat_size: 64.0,
        }
    }

    /// The side of one seat box in points.
    #[must_use]
    pub fn seat_size(mut self, size: f32) -> Self {
        self.seat_size = size;
        self
    }

    fn seat_id(&self, seat: &str) -> Id {
        self.id.with(seat)
    }

    /// Draws the map; returns the seat clicked (or activated with Enter or Space) this frame.
    pub fn show(self, ui: &mut Ui) -> Option<String> {
        let rows = self.seats.iter().map(|s| s.row).max().unwrap_or(0);
        let columns = self.seats.iter().map(|s| s.column).max().unwrap_or(0);
        let gap = self.tokens.spacing;
        let size = self.seat_size;
        // An aisle runs between two neighbouring aisle seats: leave room for it.
        let aisle_after: Vec<u32> = (1..columns)
            .filter(|c| {
                let at = |col: u32| {
                    self.seats
                        .iter()
                        .find(|s| s.column == col)
                        .is_some_and(|s| s.position == "aisle")
                };
                at(*c) && at(c + 1)
            })
            .collect();
        let x_of = |column: u32| {
            let aisles = aisle_after.iter().filter(|a| **a < column).count() as f32;
            (column as f32 - 1.0) * (size + gap) + aisles * size * 0.5
        };
        let label_width = size * 0.5;
        let width = label_width + x_of(columns) + size;
        let height = size * 0.4 + rows as f32 * (size + gap);
        let (outer, _) = ui.allocate_exact_size(egui::vec2(width, height), Sense::hover());
        let origin = outer.min + egui::vec2(label_width, size * 0.4);
        let painter = ui.painter_at(outer);
        let small = FontId::proportional(size * 0.2);
        for column in 1..=columns {
            if let Some(seat) = self.seats.iter().find(|s| s.column == column) {
                let letter: String = seat.id.chars().filter(char::is_ascii_alphabetic).collect();
                painter.text(
                    egui::pos2(
                        origin.x + x_of(column) + size / 2.0,
                        outer.top() + size * 0.2,
                    ),
                    Align2::CENTER_CENTER,
                    letter,
                    small.clone(),
                    self.tokens.text_muted,
                );
            }
        }
        for row in 1..=rows {
            painter.text(
                egui::pos2(
                    outer.left() + label_width / 2.0,
                    origin.y + (row as f32 - 1.0) * (size + gap) + size / 2.0,
                ),
                Align2::CENTER_CENTER,
                row.to_string(),
                small.clone(),
                self.tokens.text_muted,
            );
        }

        let mut clicked = None;
        let mut move_focus: Option<(u32, u32)> = None;
        for seat in self.seats {
            let rect = Rect::from_min_size(
                origin + egui::vec2(x_of(seat.column), (seat.row as f32 - 1.0) * (size + gap)),
                egui::vec2(size, size),
            );
            let response = ui.interact(rect, self.seat_id(&seat.id), Sense::click());
            let label = seat.accessible_label();
            response.widget_info(|| WidgetInfo::labeled(egui::Role::Button, true, &label));
            if response.clicked() {
                clicked = Some(seat.id.clone());
            }
            if response.has_focus() {
                let pressed = |key| ui.input(|i| i.key_pressed(key));
                let (r, c) = (seat.row, seat.column);
                if pressed(Key::ArrowRight) {
                    move_focus = Some((r, c + 1));
                } else if pressed(Key::ArrowLeft) && c > 1 {
                    move_focus = Some((r, c - 1));
                } else if pressed(Key::ArrowDown) {
                    move_focus = Some((r + 1, c));
                } else if pressed(Key::ArrowUp) && r > 1 {
                    move_focus = Some((r - 1, c));
                }
            }
            let hovered = response.hovered();
            if !seat.detail.is_empty() {
                response.on_hover_text(format!("{}: {}", seat.id, seat.detail));
            }
            self.paint_seat(ui, rect, seat, hovered);
        }
        if let Some((row, column)) = move_focus
            && let Some(next) = self
                .seats
                .iter()
                .find(|s| s.row == row && s.column == column)
        {
            ui.memory_mut(|m| m.request_focus(self.seat_id(&next.id)));
        }
        clicked
    }

    fn paint_seat(&self, ui: &Ui, rect: Rect, seat: &SeatCell, hovered: bool) {
        let painter = ui.painter();
        let radius = CornerRadius::same(self.tokens.corner_radius);
        let focused = ui.memory(|m| m.has_focus(self.seat_id(&seat.id)));
        let selected = self.selected.contains(&seat.id);
        painter.rect_filled(rect, radius, seat.kind.fill(&self.tokens));
        let stroke = if selected || focused {
            Stroke::new(3.0, self.tokens.text)
        } else if hovered {
            Stroke::new(2.0, self.tokens.accent)
        } else {
            Stroke::new(1.0, self.tokens.text_muted)
        };
        painter.rect_stroke(rect, radius, stroke, egui::StrokeKind::Inside);
        if seat.kind.inner_edge() {
            painter.rect_stroke(
                rect.shrink(4.0),
                radius,
                Stroke::new(2.0, self.tokens.on_banner),
                egui::StrokeKind::Inside,
            );
        }
        let colour = seat.kind.text(&self.tokens);
        let mark = seat.kind.mark();
        let name_y = if mark.is_empty() {
            rect.center().y
        } else {
            rect.center().y - rect.height() * 0.12
        };
        painter.text(
            egui::pos2(rect.center().x, name_y),
            Align2::CENTER_CENTER,
            &seat.id,
            FontId::proportional(rect.height() * 0.3),
            colour,
        );
        if !mark.is_empty() {
            painter.text(
                egui::pos2(rect.center().x, rect.center().y + rect.height() * 0.25),
                Align2::CENTER_CENTER,
                mark,
                FontId::proportional(rect.height() * 0.17),
                colour,
            );
        }
    }
}

/// A one-line legend of the seat states.
pub fn legend_ui(ui: &mut Ui, tokens: Tokens) {
    ui.horizontal_wrapped(|ui| {
        for kind in SeatKind::ALL {
            // A swatch and its word stay together when the legend wraps: the line breaks
            // before a swatch whose word would not fit after it.
            let word = egui::WidgetText::from(kind.label()).into_galley(
                ui,
                Some(egui::TextWrapMode::Extend),
                f32::INFINITY,
                egui::TextStyle::Body,
            );
            if ui.available_width() < 16.0 + ui.spacing().item_spacing.x + word.size().x {
                ui.end_row();
            }
            legend_item_ui(ui, kind, tokens);
            ui.add_space(tokens.spacing);
        }
    });
}

/// One swatch of the legend and its word.
fn legend_item_ui(ui: &mut Ui, kind: SeatKind, tokens: Tokens) {
    let size = egui::vec2(16.0, 16.0);
    let (rect, _) = ui.allocate_exact_size(size, Sense::hover());
    ui.painter()
        .rect_filled(rect, CornerRadius::same(3), kind.fill(&tokens));
    ui.painter().rect_stroke(
        rect,
        CornerRadius::same(3),
        Stroke::new(1.0, tokens.text_muted),
        egui::StrokeKind::Inside,
    );
    if kind.inner_edge() {
        ui.painter().rect_stroke(
            rect.shrink(3.0),
            CornerRadius::same(2),
            Stroke::new(1.5, tokens.on_banner),
            egui::StrokeKind::Inside,
        );
    }
    ui.label(kind.label());
}

#[cfg(test)]
mod tests {
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    use super::*;
    use crate::Theme;

    fn cells() -> Vec<SeatCell> {
        let seat = |id: &str, row, column, kind, detail: &str| SeatCell {
            id: id.into(),
            row,
            column,
            position: "window".into(),
            kind,
            detail: detail.into(),
        };
        vec![
            seat("1A", 1, 1, SeatKind::Free, ""),
            seat("1B", 1, 2, SeatKind::Confirmed, "Ada Quist"),
            seat("2A", 2, 1, SeatKind::Blocked, "camera rig"),
            seat("2B", 2, 2, SeatKind::CheckedIn, "Chen Wei"),
        ]
    }

    #[test]
    fn every_seat_is_announced_with_its_state_and_a_click_names_it() {
        let seats = cells();
        let mut clicked = None;
        let mut harness = Harness::new_ui(|ui| {
            if let Some(seat) = SeatMap::new("map", &seats, &[], Tokens::of(Theme::Dark)).show(ui) {
                clicked = Some(seat);
            }
        });
        harness.get_by_label("Seat 1B, window, confirmed: Ada Quist");
        harness.get_by_label("Seat 2A, window, blocked: camera rig");
        harness.get_by_label("Seat 1A, window, free").click();
        harness.run();
        drop(harness);
        assert_eq!(clicked.as_deref(), Some("1A"));
    }

    #[test]
    fn arrow_keys_move_between_seats_and_enter_picks_one() {
        let seats = cells();
        let mut clicked = Vec::new();
        let mut harness = Harness::new_ui(|ui| {
            if let Some(seat) = SeatMap::new("map", &seats, &[], Tokens::of(Theme::Dark)).show(ui) {
                clicked.push(seat);
            }
        });
        harness.get_by_label("Seat 1A, window, free").focus();
        harness.run();
        harness.key_press(Key::ArrowDown);
        harness.run();
        harness.key_press(Key::ArrowRight);
        harness.run();
        harness.key_press(Key::Enter);
        harness.run();
        drop(harness);
        assert_eq!(clicked, vec!["2B".to_owned()]);
    }

    #[test]
    fn an_aisle_between_two_aisle_seats_widens_the_map() {
        let mut seats = cells();
        let narrow = {
            let harness = Harness::new_ui(|ui| {
                SeatMap::new("map", &seats, &[], Tokens::of(Theme::Dark)).show(ui);
            });
            harness
                .get_by_label("Seat 1B, window, confirmed: Ada Quist")
                .rect()
                .left()
        };
        for seat in &mut seats {
            seat.position = "aisle".into();
        }
        let harness = Harness::new_ui(|ui| {
            SeatMap::new("map", &seats, &[], Tokens::of(Theme::Dark)).show(ui);
        });
        let wide = harness
            .get_by_label("Seat 1B, aisle, confirmed: Ada Quist")
            .rect()
            .left();
        assert!(wide > narrow + 20.0, "{narrow} → {wide}");
    }
}
