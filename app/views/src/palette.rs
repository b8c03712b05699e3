//! The command palette (Ctrl+K): every command, found by typing part of its name.

use egui::{Id, Key, RichText};

use crate::UiCommand;

/// The palette's state while it is open.
#[derive(Debug, Default)]
pub struct CommandPalette {
    open: bool,
    query: String,
    selected: usize,
}

impl CommandPalette {
    /// Opens the palette with an empty query.
    pub fn open(&mut self) {
        self.open = true;
        self.query.clear();
        self.selected = 0;
    }

    /// Whether it is showing.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// The commands matching `query`: every word of it must appear in the command's name or
    /// description; matches in the name come first.
    pub fn matches(query: &str) -> Vec<UiCommand> {
        let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        let mut found: Vec<(bool, UiCommand)> = UiCommand::palette_entries()
            .into_iter()
            .filter_map(|command| {
                let label = command.label().to_lowercase();
                let tooltip = command.tooltip().to_lowercase();
                let all_in_label = words.iter().all(|w| label.contains(w.as_str()));
                let all_somewhere = words
                    .iter()
                    .all(|w| label.contains(w.as_str()) || tooltip.contains(w.as_str()));
                all_somewhere.then_some((!all_in_label, command))
            })
            .collect();
        // Stable: within each group, the palette's own order.
        found.sort_by_key(|(in_description_only, _)| *in_description_only);
        found.into_iter().map(|(_, command)| command).collect()
    }

    /// The palette's area (where egui keeps its rectangle).
    pub fn area_id() -> Id {
        Id::unique("command_palette")
    }

    /// Draws the palette while it is open; the command chosen, if any.
    pub fn ui(&mut self, ctx: &egui::Context) -> Option<UiCommand> {
        if !self.open {
            return None;
        }
        let matches = Self::matches(&self.query);
        self.selected = self.selected.min(matches.len().saturating_sub(1));
        let (down, up, enter) = ctx.input(|i| {
            (
                i.key_pressed(Key::ArrowDown),
                i.key_pressed(Key::ArrowUp),
                i.key_pressed(Key::Enter),
            )
        });
        if down {
            self.selected = (self.selected + 1).min(matches.len().saturating_sub(1));
        }
        if up {
            self.selected = self.selected.saturating_sub(1);
        }
        let mut chosen = enter.then(|| matches.get(self.selected).cloned()).flatten();

        let modal = egui::Modal::new(Self::area_id()).show(ctx, |ui| {
            ui.set_width(560.0);
            ui.heading("Command palette");
            let edit = ui.add(
                egui::TextEdit::singleline(&mut self.query)
                    .hint_text("Type to find a command…")
                    .desired_width(f32::INFINITY),
            );
            edit.request_focus();
            ui.add_space(4.0);
            if matches.is_empty() {
                ui.label(format!(
                    "No command matches \u{201c}{}\u{201d}.",
                    self.query
                ));
            }
            // A fixed height: a list that shrank to a search's two matches must not stay two
            // rows tall once the search is cleared (the dialog keeps its size between frames).
            egui::ScrollArea::vertical()
                .max_height(PALETTE_LIST_HEIGHT)
                .min_scrolled_height(PALETTE_LIST_HEIGHT)
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    for (index, command) in matches.iter().enumerate() {
                        let shortcut = command
                            .shortcut()
                            .map(|sc| ctx.format_shortcut(&sc))
                            .unwrap_or_default();
                        let row = ui
                            .horizontal(|ui| {
                                let response =
                                    ui.selectable_label(index == self.selected, command.label());
                                ui.with_layout(
                                    egui::Layout::right_to_left(egui::Align::Center),
                                    |ui| ui.label(RichText::new(shortcut).weak().monospace()),
                                );
                                response
                            })
                            .inner
                            .on_hover_text(command.tooltip());
                        if row.clicked() {
                            chosen = Some(command.clone());
                        }
                    }
                });
        });
        if chosen.is_some() || modal.should_close() {
            self.open = false;
        }
        chosen
    }
}

/// The height of the palette's list, whatever it holds.
const PALETTE_LIST_HEIGHT: f32 = 360.0;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::View;

    #[test]
    fn an_empty_query_lists_every_command() {
        assert_eq!(
            CommandPalette::matches("").len(),
            UiCommand::palette_entries().len()
        );
    }

    #[test]
    fn words_match_in_any_case_and_order() {
        assert_eq!(
            CommandPalette::matches("SETTINGS go"),
            [UiCommand::ShowView(View::Settings)]
        );
        assert_eq!(
            CommandPalette::matches("back up").first(),
            Some(&UiCommand::BackUpReplica)
        );
    }

    #[test]
    fn name_matches_come_before_description_matches() {
        let found = CommandPalette::matches("replica");
        assert_eq!(found.first(), Some(&UiCommand::BackUpReplica));
        assert!(found.contains(&UiCommand::ShowView(View::Overview)));
    }

    #[test]
    fn nonsense_matches_nothing() {
        assert!(CommandPalette::matches("xyzzy").is_empty());
    }
}
