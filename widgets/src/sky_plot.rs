//! A polar sky plot: the sky above a ground station, the horizon at the rim and the zenith at
//! the centre, north up and east to the right (as seen on a map, the plot's convention in
//! ground-station software), with a pass drawn as its path from rise to set.

use egui::{Align2, Color32, FontId, Pos2, Sense, Shape, Stroke, Ui, Vec2, WidgetInfo};

use crate::Tokens;

/// A point in the sky, degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SkyPoint {
    /// From north through east.
    pub azimuth_deg: f64,
    /// Above the horizon.
    pub elevation_deg: f64,
}

/// The plot, built for one frame.
pub struct SkyPlot<'a> {
    tokens: Tokens,
    path: &'a [SkyPoint],
    mask_deg: f64,
    now: Option<SkyPoint>,
    color: Color32,
    size: f32,
}

impl<'a> SkyPlot<'a> {
    /// An empty sky in `tokens`' colours.
    pub fn new(tokens: Tokens) -> Self {
        Self {
            tokens,
            path: &[],
            mask_deg: 0.0,
            now: None,
            color: tokens.accent,
            size: 220.0,
        }
    }

    /// The pass, from rise to set.
    #[must_use]
    pub fn path(mut self, path: &'a [SkyPoint], color: Color32) -> Self {
        self.path = path;
        self.color = color;
        self
    }

    /// The station's elevation mask, drawn as a ring.
    #[must_use]
    pub fn mask(mut self, mask_deg: f64) -> Self {
        self.mask_deg = mask_deg;
        self
    }

    /// Where the object is now, when it is above the horizon.
    #[must_use]
    pub fn now(mut self, point: Option<SkyPoint>) -> Self {
        self.now = point.filter(|p| p.elevation_deg >= 0.0);
        self
    }

    /// The plot's diameter.
    #[must_use]
    pub fn size(mut self, size: f32) -> Self {
        self.size = size;
        self
    }

    /// Draws the plot.
    pub fn show(self, ui: &mut Ui) -> egui::Response {
        let (response, painter) =
            ui.allocate_painter(Vec2::splat(self.size + 44.0), Sense::hover());
        response.widget_info(|| WidgetInfo::labeled(egui::Role::Image, true, "Sky plot"));
        let center = response.rect.center();
        let radius = self.size / 2.0;
        let t = self.tokens;
        let at = |p: SkyPoint| sky_to_screen(center, radius, p);

        painter.circle_filled(center, radius, t.map_sea);
        let grid = Stroke::new(1.0, t.map_line);
        for elevation in [0.0_f32, 30.0, 60.0] {
            painter.circle_stroke(center, radius * (90.0 - elevation) / 90.0, grid);
        }
        painter.line_segment(
            [
                center - Vec2::new(radius, 0.0),
                center + Vec2::new(radius, 0.0),
            ],
            grid,
        );
        painter.line_segment(
            [
                center - Vec2::new(0.0, radius),
                center + Vec2::new(0.0, radius),
            ],
            grid,
        );
        if self.mask_deg > 0.0 {
            let ring: Vec<Pos2> = (0..=72)
                .map(|i| {
                    at(SkyPoint {
                        azimuth_deg: f64::from(i) * 5.0,
                        elevation_deg: self.mask_deg,
                    })
                })
                .collect();
            painter.add(Shape::dashed_line(
                &ring,
                Stroke::new(1.0, t.caution),
                4.0,
                4.0,
            ));
        }
        let font = FontId::proportional(t.body_size * 0.75);
        for (label, azimuth) in [("N", 0.0), ("E", 90.0), ("S", 180.0), ("W", 270.0)] {
            let pos = sky_to_screen(
                center,
                radius + 10.0,
                SkyPoint {
                    azimuth_deg: azimuth,
                    elevation_deg: 0.0,
                },
            );
            painter.text(
                pos,
                Align2::CENTER_CENTER,
                label,
                font.clone(),
                t.text_muted,
            );
        }
        for elevation in [30.0, 60.0] {
            let pos = at(SkyPoint {
                azimuth_deg: 45.0,
                elevation_deg: elevation,
            });
            painter.text(
                pos,
                Align2::LEFT_BOTTOM,
                format!("{elevation:.0}°"),
                font.clone(),
                t.text_muted,
            );
        }

        if self.path.len() > 1 {
            let points: Vec<Pos2> = self.path.iter().map(|p| at(*p)).collect();
            let (first, last) = (points[0], points[points.len() - 1]);
            painter.add(Shape::line(points, Stroke::new(2.0, self.color)));
            painter.circle_filled(first, 4.0, self.color);
            painter.text(
                first + Vec2::new(6.0, 0.0),
                Align2::LEFT_CENTER,
                "AOS",
                font.clone(),
                t.text,
            );
            painter.circle_stroke(last, 4.0, Stroke::new(2.0, self.color));
            painter.text(
                last + Vec2::new(6.0, 0.0),
                Align2::LEFT_CENTER,
                "LOS",
                font,
                t.text,
            );
        }
        if let Some(now) = self.now {
            painter.circle(at(now), 6.0, t.nominal, Stroke::new(2.0, t.map_sea));
        }
        response
    }
}

/// Zenith at the centre, horizon at `radius`; north up, east right.
#[allow(clippy::cast_possible_truncation, reason = "screen points fit f32")]
fn sky_to_screen(center: Pos2, radius: f32, point: SkyPoint) -> Pos2 {
    let r = f64::from(radius) * (90.0 - point.elevation_deg.clamp(-5.0, 90.0)) / 90.0;
    let azimuth = point.azimuth_deg.to_radians();
    center + Vec2::new((r * azimuth.sin()) as f32, -(r * azimuth.cos()) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_zenith_is_the_centre_and_east_is_right() {
        let c = Pos2::new(100.0, 100.0);
        let zenith = sky_to_screen(
            c,
            50.0,
            SkyPoint {
                azimuth_deg: 123.0,
                elevation_deg: 90.0,
            },
        );
        assert!(zenith.distance(c) < 1e-4);
        let east = sky_to_screen(
            c,
            50.0,
            SkyPoint {
                azimuth_deg: 90.0,
                elevation_deg: 0.0,
            },
        );
        assert!((east - Pos2::new(150.0, 100.0)).length() < 1e-4, "{east:?}");
        let north_30 = sky_to_screen(
            c,
            60.0,
            SkyPoint {
                azimuth_deg: 0.0,
                elevation_deg: 30.0,
            },
        );
        assert!(
            (north_30 - Pos2::new(100.0, 60.0)).length() < 1e-4,
            "{north_30:?}"
        );
    }
}
