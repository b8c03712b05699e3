//! Design tokens: the one place colours, text sizes and spacing are chosen.
//!
//! The dark theme is the control-room default: low glare, high contrast for values, and
//! status colours that stay distinct for the common forms of colour blindness (status is
//! never carried by colour alone; every light also has a word).

use egui::{Color32, FontFamily, FontId, TextStyle};

/// The console's colour scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Theme {
    /// Dark, for control rooms.
    #[default]
    Dark,
    /// Light, for bright offices and the spaceport floor.
    Light,
}

impl Theme {
    /// The other theme.
    #[must_use]
    pub fn toggled(self) -> Self {
        match self {
            Self::Dark => Self::Light,
            Self::Light => Self::Dark,
        }
    }

    /// A person's word for it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Dark => "Dark",
            Self::Light => "Light",
        }
    }
}

/// The colours and sizes of one theme.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tokens {
    /// Window background.
    pub background: Color32,
    /// Panels and cards.
    pub panel: Color32,
    /// A card inside a panel.
    pub card: Color32,
    /// Ordinary text.
    pub text: Color32,
    /// Secondary text: labels, units, hints.
    pub text_muted: Color32,
    /// The fill behind selected rows, items and text: the theme's text stays readable on it.
    pub selection: Color32,
    /// Selection and focus.
    pub accent: Color32,
    /// Nominal.
    pub nominal: Color32,
    /// Needs attention soon.
    pub caution: Color32,
    /// Act now.
    pub critical: Color32,
    /// No data, offline, not applicable.
    pub inactive: Color32,
    /// The TRAINING banner's background.
    pub training: Color32,
    /// Text on a coloured banner.
    pub on_banner: Color32,
    /// Space between related items.
    pub spacing: f32,
    /// Space between groups.
    pub gap: f32,
    /// Corner radius of cards.
    pub corner_radius: u8,
    /// The map's sea.
    pub map_sea: Color32,
    /// The map's land.
    pub map_land: Color32,
    /// Coastlines and the graticule.
    pub map_line: Color32,
    /// The shade laid over the night side.
    pub map_night: Color32,
    /// Body text size in points, large enough to read at arm's length.
    pub body_size: f32,
    /// Heading size in points.
    pub heading_size: f32,
}

impl Tokens {
    /// The tokens of a theme.
    pub const fn of(theme: Theme) -> Self {
        match theme {
            Theme::Dark => DARK,
            Theme::Light => LIGHT,
        }
    }

    /// A frame for a card: a titled group on a screen.
    pub fn card_frame(&self) -> egui::Frame {
        egui::Frame::new()
            .fill(self.card)
            .corner_radius(self.corner_radius)
            .inner_margin(self.gap * 0.75)
    }
}

/// The control-room theme; it also sets the sizes both themes share.
const DARK: Tokens = Tokens {
    background: Color32::from_rgb(0x10, 0x14, 0x1a),
    panel: Color32::from_rgb(0x17, 0x1d, 0x25),
    card: Color32::from_rgb(0x1f, 0x27, 0x31),
    text: Color32::from_rgb(0xe6, 0xea, 0xef),
    text_muted: Color32::from_rgb(0x9a, 0xa6, 0xb4),
    selection: Color32::from_rgb(0x1f, 0x4f, 0x86),
    accent: Color32::from_rgb(0x4d, 0xa3, 0xff),
    nominal: Color32::from_rgb(0x3f, 0xb9, 0x50),
    caution: Color32::from_rgb(0xf2, 0xb7, 0x05),
    critical: Color32::from_rgb(0xf8, 0x51, 0x49),
    inactive: Color32::from_rgb(0x76, 0x80, 0x8c),
    training: Color32::from_rgb(0xc2, 0x4d, 0xd6),
    on_banner: Color32::from_rgb(0xff, 0xff, 0xff),
    map_sea: Color32::from_rgb(0x0b, 0x1a, 0x2b),
    map_land: Color32::from_rgb(0x2a, 0x36, 0x44),
    map_line: Color32::from_rgb(0x4a, 0x5a, 0x6c),
    map_night: Color32::from_black_alpha(110),
    spacing: 8.0,
    gap: 16.0,
    corner_radius: 6,
    body_size: 16.0,
    heading_size: 24.0,
};

const LIGHT: Tokens = Tokens {
    background: Color32::from_rgb(0xf4, 0xf6, 0xf8),
    panel: Color32::from_rgb(0xe9, 0xed, 0xf1),
    card: Color32::from_rgb(0xff, 0xff, 0xff),
    text: Color32::from_rgb(0x15, 0x1a, 0x21),
    text_muted: Color32::from_rgb(0x53, 0x5d, 0x69),
    selection: Color32::from_rgb(0xc6, 0xdc, 0xf9),
    accent: Color32::from_rgb(0x0b, 0x62, 0xd6),
    nominal: Color32::from_rgb(0x1a, 0x7f, 0x37),
    caution: Color32::from_rgb(0x9a, 0x67, 0x00),
    critical: Color32::from_rgb(0xc9, 0x25, 0x1d),
    inactive: Color32::from_rgb(0x6e, 0x77, 0x81),
    training: Color32::from_rgb(0x8e, 0x24, 0xaa),
    on_banner: Color32::from_rgb(0xff, 0xff, 0xff),
    map_sea: Color32::from_rgb(0xcf, 0xe3, 0xf3),
    map_land: Color32::from_rgb(0xf4, 0xf1, 0xe8),
    map_line: Color32::from_rgb(0x9d, 0xa9, 0xb5),
    map_night: Color32::from_black_alpha(60),
    ..DARK
};

/// Applies a theme's colours and text sizes to the whole context.
pub fn apply(ctx: &egui::Context, theme: Theme) {
    let tokens = Tokens::of(theme);
    let mut visuals = match theme {
        Theme::Dark => egui::Visuals::dark(),
        Theme::Light => egui::Visuals::light(),
    };
    visuals.panel_fill = tokens.panel;
    visuals.window_fill = tokens.card;
    visuals.extreme_bg_color = tokens.background;
    visuals.override_text_color = Some(tokens.text);
    // Text keeps the theme's colour everywhere (override_text_color), so the selection is a
    // fill that colour reads on.
    visuals.selection.bg_fill = tokens.selection;
    visuals.selection.stroke = egui::Stroke::new(1.0, tokens.text);
    visuals.hyperlink_color = tokens.accent;
    visuals.error_fg_color = tokens.critical;
    visuals.warn_fg_color = tokens.caution;
    ctx.set_visuals_of(theme.into(), visuals);
    ctx.set_theme(theme);

    ctx.all_styles_mut(|style| {
        style.text_styles = [
            (
                TextStyle::Heading,
                FontId::new(tokens.heading_size, FontFamily::Proportional),
            ),
            (
                TextStyle::Body,
                FontId::new(tokens.body_size, FontFamily::Proportional),
            ),
            (
                TextStyle::Button,
                FontId::new(tokens.body_size, FontFamily::Proportional),
            ),
            (
                TextStyle::Monospace,
                FontId::new(tokens.body_size - 1.0, FontFamily::Monospace),
            ),
            (
                TextStyle::Small,
                FontId::new(tokens.body_size - 3.0, FontFamily::Proportional),
            ),
        ]
        .into();
        style.spacing.item_spacing = egui::vec2(tokens.spacing, tokens.spacing * 0.75);
        style.spacing.button_padding = egui::vec2(tokens.spacing * 1.25, tokens.spacing * 0.5);
        style.spacing.interact_size.y = tokens.body_size + 10.0;
    });
}

impl From<Theme> for egui::Theme {
    fn from(theme: Theme) -> Self {
        match theme {
            Theme::Dark => Self::Dark,
            Theme::Light => Self::Light,
        }
    }
}

impl From<Theme> for egui::ThemePreference {
    fn from(theme: Theme) -> Self {
        match theme {
            Theme::Dark => Self::Dark,
            Theme::Light => Self::Light,
        }
    }
}

#[cfg(test)]
mod contrast_tests {
    use super::*;

    /// WCAG 2 relative luminance of an sRGB colour.
    fn luminance(c: Color32) -> f64 {
        let channel = |v: u8| {
            let v = f64::from(v) / 255.0;
            if v <= 0.039_28 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(c.r()) + 0.7152 * channel(c.g()) + 0.0722 * channel(c.b())
    }

    fn contrast(a: Color32, b: Color32) -> f64 {
        let (la, lb) = (luminance(a), luminance(b));
        (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
    }

    #[test]
    fn selected_rows_read_in_both_themes() {
        for theme in [Theme::Dark, Theme::Light] {
            let tokens = Tokens::of(theme);
            let ratio = contrast(tokens.text, tokens.selection);
            // WCAG AA for body text.
            assert!(
                ratio >= 4.5,
                "{theme:?}: text on a selection is {ratio:.2}:1"
            );
        }
    }
}
