//! A ground-track map: an equirectangular world drawn from Natural Earth land outlines, with
//! tracks split cleanly at the date line, ground stations and their visibility footprints, the
//! night side, markers, a latitude/longitude readout under the pointer, and drag to pan,
//! scroll to zoom, double-click to see the whole world again.
//!
//! The map knows no orbits: it draws the points, circles and subsolar point it is given.

use std::sync::OnceLock;

use egui::epaint::{Mesh, PathStroke};
use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Shape, Stroke, Ui, Vec2, WidgetInfo};

use crate::Tokens;

const NATURAL_EARTH_110M: &str = include_str!("../../assets/map/land-110m.json");

/// Why land outlines could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LandError {
    /// The text is not JSON.
    #[error("the map data is not JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The JSON is not the TopoJSON expected.
    #[error("the map data is not TopoJSON land: {0}")]
    Shape(String),
}

/// Land as rings of `[longitude, latitude]` degrees, triangulated once for filling.
#[derive(Debug, Default)]
pub struct Land {
    rings: Vec<Vec<[f32; 2]>>,
    vertices: Vec<[f32; 2]>,
    triangles: Vec<u32>,
}

impl Land {
    /// The Natural Earth 1:110m land shipped with the console.
    pub fn natural_earth() -> &'static Self {
        static LAND: OnceLock<Land> = OnceLock::new();
        // The shipped file is checked by a test; should it ever fail, the map shows sea.
        LAND.get_or_init(|| Self::from_topojson(NATURAL_EARTH_110M).unwrap_or_default())
    }

    /// Reads TopoJSON whose first object holds polygons or multipolygons (as the
    /// `world-atlas` land files do): delta-encoded, quantized arcs joined into rings.
    pub fn from_topojson(text: &str) -> Result<Self, LandError> {
        let json: serde_json::Value = serde_json::from_str(text)?;
        let shape = |why: &str| LandError::Shape(why.to_owned());
        let pair = |v: &serde_json::Value| -> Option<[f64; 2]> {
            Some([v.get(0)?.as_f64()?, v.get(1)?.as_f64()?])
        };
        let scale = pair(&json["transform"]["scale"]).ok_or_else(|| shape("no transform"))?;
        let translate =
            pair(&json["transform"]["translate"]).ok_or_else(|| shape("no transform"))?;
        let arcs: Vec<Vec<[f64; 2]>> = json["arcs"]
            .as_array()
            .ok_or_else(|| shape("no arcs"))?
            .iter()
            .map(|arc| {
                let (mut x, mut y) = (0.0, 0.0);
                arc.as_array()
                    .ok_or_else(|| shape("an arc is not a list"))?
                    .iter()
                    .map(|delta| {
                        let [dx, dy] = pair(delta).ok_or_else(|| shape("a bad arc point"))?;
                        x += dx;
                        y += dy;
                        Ok([x * scale[0] + translate[0], y * scale[1] + translate[1]])
                    })
                    .collect()
            })
            .collect::<Result<_, LandError>>()?;
        let ring = |indices: &serde_json::Value| -> Result<Vec<[f32; 2]>, LandError> {
            let mut points: Vec<[f32; 2]> = Vec::new();
            for index in indices.as_array().ok_or_else(|| shape("a bad ring"))? {
                let index = index.as_i64().ok_or_else(|| shape("a bad arc index"))?;
                // A negative index `!i` is arc `i` walked backwards.
                let (arc, backwards) = if index < 0 {
                    (!index, true)
                } else {
                    (index, false)
                };
                let arc = usize::try_from(arc)
                    .ok()
                    .and_then(|a| arcs.get(a))
                    .ok_or_else(|| shape("an arc index out of range"))?;
                let mut part: Vec<[f32; 2]> = arc
                    .iter()
                    .map(|p| {
                        #[allow(clippy::cast_possible_truncation, reason = "degrees fit f32")]
                        [p[0] as f32, p[1] as f32]
                    })
                    .collect();
                if backwards {
                    part.reverse();
                }
                let skip = usize::from(!points.is_empty());
                points.extend(part.into_iter().skip(skip));
            }
            Ok(points)
        };
        let mut land = Self::default();
        let mut earcut = earcut::Earcut::new();
        let mut triangles: Vec<u32> = Vec::new();
        let objects = json["objects"]
            .as_object()
            .ok_or_else(|| shape("no objects"))?;
        for object in objects.values() {
            let geometries = object["geometries"]
                .as_array()
                .cloned()
                .unwrap_or_else(|| vec![object.clone()]);
            for geometry in &geometries {
                let polygons: Vec<&serde_json::Value> = match geometry["type"].as_str() {
                    Some("Polygon") => vec![&geometry["arcs"]],
                    Some("MultiPolygon") => geometry["arcs"]
                        .as_array()
                        .ok_or_else(|| shape("a bad multipolygon"))?
                        .iter()
                        .collect(),
                    _ => continue,
                };
                for polygon in polygons {
                    let rings = polygon
                        .as_array()
                        .ok_or_else(|| shape("a bad polygon"))?
                        .iter()
                        .map(ring)
                        .collect::<Result<Vec<_>, _>>()?;
                    land.add_polygon(&rings, &mut earcut, &mut triangles);
                    land.rings.extend(rings);
                }
            }
        }
        if land.rings.is_empty() {
            return Err(shape("no land polygons"));
        }
        Ok(land)
    }

    fn add_polygon(
        &mut self,
        rings: &[Vec<[f32; 2]>],
        earcut: &mut earcut::Earcut<f32>,
        triangles: &mut Vec<u32>,
    ) {
        let mut holes: Vec<u32> = Vec::new();
        let mut points: Vec<[f32; 2]> = Vec::new();
        for (index, ring) in rings.iter().enumerate() {
            if index > 0 {
                holes.push(u32::try_from(points.len()).unwrap_or(u32::MAX));
            }
            points.extend_from_slice(ring);
        }
        earcut.earcut(points.iter().copied(), &holes, triangles);
        let base = u32::try_from(self.vertices.len()).unwrap_or(u32::MAX);
        self.triangles.extend(triangles.iter().map(|t| t + base));
        self.vertices.extend(points);
    }

    /// How many outline points the land has.
    pub fn point_count(&self) -> usize {
        self.rings.iter().map(Vec::len).sum()
    }
}

/// Where the map looks: its centre and zoom (1 shows the whole world). Keep it between
/// frames so panning and zooming stick.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MapView {
    /// Longitude at the centre, degrees east.
    pub center_lon: f64,
    /// Latitude at the centre, degrees north.
    pub center_lat: f64,
    /// 1 fits the world; up to 16.
    pub zoom: f64,
}

impl Default for MapView {
    fn default() -> Self {
        Self {
            center_lon: 0.0,
            center_lat: 0.0,
            zoom: 1.0,
        }
    }
}

/// A point on the Earth, degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    /// Latitude, north positive.
    pub lat_deg: f64,
    /// Longitude, east positive, any range.
    pub lon_deg: f64,
}

/// A ground track: points in time order, the ones before `now_index` already flown.
#[derive(Debug, Clone)]
pub struct MapTrack {
    /// Who it belongs to.
    pub label: String,
    /// The sub-satellite points.
    pub points: Vec<GeoPoint>,
    /// The first point not yet flown; also where the object is drawn.
    pub now_index: usize,
    /// Its colour.
    pub color: Color32,
}

/// A ground station with the circle within which it can see the object.
#[derive(Debug, Clone)]
pub struct MapStation {
    /// Its name.
    pub name: String,
    /// Where it is.
    pub position: GeoPoint,
    /// The footprint's angular radius (Earth central angle), degrees; 0 draws none.
    pub footprint_deg: f64,
    /// Whether it is in contact now (drawn solid and bright).
    pub in_contact: bool,
}

/// What the user did with the map this frame.
#[derive(Debug, Clone, Copy, Default)]
pub struct MapResponse {
    /// The point under the pointer, if it is over the map.
    pub hovered: Option<GeoPoint>,
}

/// The map, built for one frame.
pub struct GroundTrackMap<'a> {
    land: &'a Land,
    tokens: Tokens,
    tracks: &'a [MapTrack],
    stations: &'a [MapStation],
    subsolar: Option<GeoPoint>,
    height: f32,
}

impl<'a> GroundTrackMap<'a> {
    /// A map of `land` in `tokens`' colours.
    pub fn new(land: &'a Land, tokens: Tokens) -> Self {
        Self {
            land,
            tokens,
            tracks: &[],
            stations: &[],
            subsolar: None,
            height: 360.0,
        }
    }

    /// The tracks to draw, the first on top.
    #[must_use]
    pub fn tracks(mut self, tracks: &'a [MapTrack]) -> Self {
        self.tracks = tracks;
        self
    }

    /// The ground stations.
    #[must_use]
    pub fn stations(mut self, stations: &'a [MapStation]) -> Self {
        self.stations = stations;
        self
    }

    /// The point where the Sun is overhead; the night side is shaded from it.
    #[must_use]
    pub fn subsolar(mut self, point: GeoPoint) -> Self {
        self.subsolar = Some(point);
        self
    }

    /// The height to take (the width is what the layout offers).
    #[must_use]
    pub fn height(mut self, height: f32) -> Self {
        self.height = height;
        self
    }

    /// Draws the map looking through `view`, which dragging and scrolling change.
    pub fn show(self, ui: &mut Ui, view: &mut MapView) -> MapResponse {
        let size = Vec2::new(ui.available_width().max(200.0), self.height);
        let (response, painter) = ui.allocate_painter(size, Sense::click_and_drag());
        response.widget_info(|| {
            WidgetInfo::labeled(egui::Role::Image, ui.is_enabled(), "Ground-track map")
        });
        let rect = response.rect;

        // Interaction first, so this frame draws the new view.
        let fit = f64::from((rect.width() / 360.0).min(rect.height() / 180.0));
        if response.double_clicked() {
            *view = MapView::default();
        }
        if response.dragged() {
            let delta = response.drag_delta();
            let scale = fit * view.zoom;
            view.center_lon -= f64::from(delta.x) / scale;
            view.center_lat += f64::from(delta.y) / scale;
        }
        if response.hovered() {
            let (scroll, pinch) = ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta()));
            let factor = f64::from(pinch) * (f64::from(scroll) / 300.0).exp();
            if (factor - 1.0).abs() > 1e-6 {
                let before = Projection::new(rect, *view, fit);
                view.zoom = (view.zoom * factor).clamp(1.0, 16.0);
                // Keep the point under the pointer where it is.
                if let Some(pointer) = response.hover_pos() {
                    let anchor = before.to_geo(pointer);
                    let after = Projection::new(rect, *view, fit);
                    let moved = after.to_geo(pointer);
                    view.center_lon += anchor.lon_deg - moved.lon_deg;
                    view.center_lat += anchor.lat_deg - moved.lat_deg;
                }
            }
        }
        view.center_lon = (view.center_lon + 180.0).rem_euclid(360.0) - 180.0;
        let half_height = f64::from(rect.height()) / (2.0 * fit * view.zoom);
        view.center_lat = view.center_lat.clamp(
            (-90.0 + half_height).min(0.0),
            (90.0 - half_height).max(0.0),
        );

        let projection = Projection::new(rect, *view, fit);
        let painter = painter.with_clip_rect(rect);
        painter.rect_filled(rect, 0.0, self.tokens.map_sea);
        self.draw_land(ui, &painter, &projection, response.id);
        self.draw_graticule(&painter, &projection);
        if let Some(sun) = self.subsolar {
            self.draw_night(&painter, &projection, sun);
        }
        for station in self.stations {
            self.draw_station(&painter, &projection, station);
        }
        for track in self.tracks.iter().rev() {
            draw_track(&painter, &projection, track, &self.tokens);
        }

        let hovered = response
            .hover_pos()
            .filter(|p| rect.contains(*p))
            .map(|p| projection.to_geo(p))
            .map(|g| GeoPoint {
                lat_deg: g.lat_deg.clamp(-90.0, 90.0),
                lon_deg: (g.lon_deg + 180.0).rem_euclid(360.0) - 180.0,
            });
        if let Some(point) = hovered {
            let text = readout(point);
            let font = FontId::monospace(self.tokens.body_size * 0.85);
            let galley = painter.layout_no_wrap(text, font, self.tokens.text);
            let at = rect.left_bottom() + Vec2::new(6.0, -6.0 - galley.size().y);
            painter.rect_filled(
                Rect::from_min_size(at, galley.size()).expand(4.0),
                3.0,
                self.tokens.panel,
            );
            painter.galley(at, galley, self.tokens.text);
        }
        MapResponse { hovered }
    }

    /// Land and coastlines change only when the view does, so they are tessellated once into
    /// one mesh and kept in the context's memory until the view, size or colours change.
    fn draw_land(&self, ui: &Ui, painter: &egui::Painter, projection: &Projection, id: egui::Id) {
        let ctx = ui.ctx();
        let pixels_per_point = ctx.pixels_per_point();
        let key = {
            use std::hash::{Hash as _, Hasher as _};
            let mut hasher = std::hash::DefaultHasher::new();
            for value in [
                projection.rect.min.x,
                projection.rect.min.y,
                projection.rect.max.x,
                projection.rect.max.y,
                pixels_per_point,
            ] {
                value.to_bits().hash(&mut hasher);
            }
            for value in [
                projection.view.center_lon,
                projection.view.center_lat,
                projection.view.zoom,
            ] {
                value.to_bits().hash(&mut hasher);
            }
            self.tokens.map_land.hash(&mut hasher);
            self.tokens.map_line.hash(&mut hasher);
            std::ptr::from_ref(self.land).hash(&mut hasher);
            hasher.finish()
        };
        let cached = ctx.data(|d| d.get_temp::<(u64, std::sync::Arc<Mesh>)>(id));
        let mesh = match cached {
            Some((cached_key, mesh)) if cached_key == key => mesh,
            _ => {
                let mesh = std::sync::Arc::new(self.tessellate_land(ctx, projection));
                ctx.data_mut(|d| d.insert_temp(id, (key, mesh.clone())));
                mesh
            }
        };
        painter.add(Shape::Mesh(mesh));
    }

    fn tessellate_land(&self, ctx: &egui::Context, projection: &Projection) -> Mesh {
        // Coastlines without feathering: half the vertices, and at this width the fill's own
        // edge hides the difference. Feathered, the cached mesh was the frame's largest cost.
        let mut options = ctx.tessellation_options(|o| *o);
        options.feathering = false;
        let mut tessellator =
            egui::epaint::Tessellator::new(ctx.pixels_per_point(), options, [1, 1], Vec::new());
        tessellator.set_clip_rect(projection.rect);
        let stroke = Stroke::new(1.0, self.tokens.map_line);
        let mut mesh = Mesh::default();
        for offset in projection.copies(-180.0, 180.0) {
            let mut fill = Mesh::default();
            fill.vertices.reserve(self.land.vertices.len());
            for v in &self.land.vertices {
                let pos = projection.to_screen(f64::from(v[0]) + offset, f64::from(v[1]));
                fill.colored_vertex(pos, self.tokens.map_land);
            }
            fill.indices.clone_from(&self.land.triangles);
            mesh.append(fill);
            for ring in &self.land.rings {
                let points = projection.polyline(
                    ring.iter()
                        .map(|p| (f64::from(p[0]) + offset, f64::from(p[1]))),
                );
                if points.len() > 1 && projection.rect.intersects(Rect::from_points(&points)) {
                    tessellator.tessellate_shape(Shape::line(points, stroke), &mut mesh);
                }
            }
        }
        mesh
    }

    fn draw_graticule(&self, painter: &egui::Painter, projection: &Projection) {
        let stroke = Stroke::new(0.5, self.tokens.map_line.gamma_multiply(0.5));
        let rect = projection.rect;
        let (west, east) = projection.lon_span();
        let mut lon = (west / 30.0).floor() * 30.0;
        while lon <= east {
            let x = projection.to_screen(lon, 0.0).x;
            painter.line_segment(
                [Pos2::new(x, rect.top()), Pos2::new(x, rect.bottom())],
                stroke,
            );
            lon += 30.0;
        }
        for lat in [-60.0, -30.0, 0.0, 30.0, 60.0] {
            let y = projection.to_screen(0.0, lat).y;
            painter.line_segment(
                [Pos2::new(rect.left(), y), Pos2::new(rect.right(), y)],
                stroke,
            );
        }
    }

    /// Shades where the Sun is below the horizon: between the terminator and the pole the
    /// Sun cannot reach, column by column (each column a convex quad).
    fn draw_night(&self, painter: &egui::Painter, projection: &Projection, sun: GeoPoint) {
        let deg = std::f64::consts::PI / 180.0;
        // At an equinox the terminator runs through the poles; a tiny tilt keeps it finite.
        let sun_lat = if sun.lat_deg.abs() < 0.01 {
            0.01_f64.copysign(sun.lat_deg + 1e-12)
        } else {
            sun.lat_deg
        };
        let dark_pole = if sun_lat > 0.0 { -90.0 } else { 90.0 };
        let (west, east) = projection.lon_span();
        let step = 2.0;
        let mut mesh = Mesh::default();
        let mut lon = (west / step).floor() * step;
        while lon <= east + step {
            let edge = (-((lon - sun.lon_deg) * deg).cos() / (sun_lat * deg).tan()).atan() / deg;
            let base = u32::try_from(mesh.vertices.len()).unwrap_or(u32::MAX);
            mesh.colored_vertex(projection.to_screen(lon, edge), self.tokens.map_night);
            mesh.colored_vertex(projection.to_screen(lon, dark_pole), self.tokens.map_night);
            if base >= 2 {
                mesh.add_triangle(base - 2, base - 1, base);
                mesh.add_triangle(base - 1, base + 1, base);
            }
            lon += step;
        }
        painter.add(Shape::mesh(mesh));
    }

    fn draw_station(&self, painter: &egui::Painter, projection: &Projection, station: &MapStation) {
        let color = if station.in_contact {
            self.tokens.nominal
        } else {
            self.tokens.text_muted
        };
        let ring = footprint(station.position, station.footprint_deg);
        let (west, east) = lon_bounds(&ring, station.position.lon_deg);
        for offset in projection.copies(west, east) {
            if ring.len() > 1 {
                let points =
                    projection.polyline(ring.iter().map(|p| (p.lon_deg + offset, p.lat_deg)));
                // Solid either way (dashes cost a shape each); contact is bright and wider.
                let stroke = if station.in_contact {
                    Stroke::new(2.0, color)
                } else {
                    Stroke::new(1.0, color.gamma_multiply(0.7))
                };
                painter.add(Shape::line(points, stroke));
            }
            let at =
                projection.to_screen(station.position.lon_deg + offset, station.position.lat_deg);
            if !projection.rect.expand(60.0).contains(at) {
                continue;
            }
            // A triangle, so stations read apart from the round vehicle markers.
            let r = 5.0;
            painter.add(Shape::convex_polygon(
                vec![
                    at + Vec2::new(0.0, -r),
                    at + Vec2::new(r, r * 0.8),
                    at + Vec2::new(-r, r * 0.8),
                ],
                color,
                Stroke::new(1.0, self.tokens.map_sea),
            ));
            painter.text(
                at + Vec2::new(7.0, 0.0),
                Align2::LEFT_CENTER,
                &station.name,
                FontId::proportional(self.tokens.body_size * 0.75),
                color,
            );
        }
    }
}

fn draw_track(painter: &egui::Painter, projection: &Projection, track: &MapTrack, tokens: &Tokens) {
    let points = unwrap_longitudes(&track.points);
    let Some(last) = points.len().checked_sub(1) else {
        return;
    };
    let now_index = track.now_index.min(last);
    let (west, east) = lon_bounds(&points, points[0].lon_deg);
    for offset in projection.copies(west, east) {
        let screen = |slice: &[GeoPoint]| {
            projection.polyline(slice.iter().map(|p| (p.lon_deg + offset, p.lat_deg)))
        };
        let flown = screen(&points[..=now_index]);
        if flown.len() > 1 {
            painter.add(Shape::line(
                flown,
                PathStroke::new(1.5, track.color.gamma_multiply(0.45)),
            ));
        }
        let ahead = screen(&points[now_index..]);
        if ahead.len() > 1 {
            painter.add(Shape::line(ahead, PathStroke::new(2.0, track.color)));
        }
        let now = projection.to_screen(
            points[now_index].lon_deg + offset,
            points[now_index].lat_deg,
        );
        if projection.rect.expand(60.0).contains(now) {
            painter.circle(now, 6.0, track.color, Stroke::new(2.0, tokens.map_sea));
            painter.text(
                now + Vec2::new(9.0, -9.0),
                Align2::LEFT_BOTTOM,
                &track.label,
                FontId::proportional(tokens.body_size * 0.8),
                tokens.text,
            );
        }
    }
}

/// Longitudes made continuous (a step of more than 180° is a crossing of the date line), so
/// a track runs off one edge and on at the other instead of streaking across the map.
fn unwrap_longitudes(points: &[GeoPoint]) -> Vec<GeoPoint> {
    let mut out: Vec<GeoPoint> = Vec::with_capacity(points.len());
    for p in points {
        let lon = match out.last() {
            Some(prev) => {
                prev.lon_deg + (p.lon_deg - prev.lon_deg + 180.0).rem_euclid(360.0) - 180.0
            }
            None => p.lon_deg,
        };
        out.push(GeoPoint {
            lat_deg: p.lat_deg,
            lon_deg: lon,
        });
    }
    out
}

/// The small circle `radius_deg` (central angle) around `center`, longitudes continuous.
fn footprint(center: GeoPoint, radius_deg: f64) -> Vec<GeoPoint> {
    if radius_deg <= 0.0 {
        return Vec::new();
    }
    let deg = std::f64::consts::PI / 180.0;
    let (lat, lon, d) = (center.lat_deg * deg, center.lon_deg * deg, radius_deg * deg);
    let ring: Vec<GeoPoint> = (0..=90)
        .map(|i| {
            let bearing = f64::from(i) * 4.0 * deg;
            let lat2 = (lat.sin() * d.cos() + lat.cos() * d.sin() * bearing.cos()).asin();
            let lon2 =
                lon + (bearing.sin() * d.sin() * lat.cos()).atan2(d.cos() - lat.sin() * lat2.sin());
            GeoPoint {
                lat_deg: lat2 / deg,
                lon_deg: lon2 / deg,
            }
        })
        .collect();
    unwrap_longitudes(&ring)
}

/// "12.345° N  45.678° W"
fn readout(point: GeoPoint) -> String {
    let ns = if point.lat_deg >= 0.0 { 'N' } else { 'S' };
    let ew = if point.lon_deg >= 0.0 { 'E' } else { 'W' };
    format!(
        "{:7.3}° {ns}  {:8.3}° {ew}",
        point.lat_deg.abs(),
        point.lon_deg.abs()
    )
}

/// Degrees to screen points and back for one frame.
struct Projection {
    rect: Rect,
    view: MapView,
    scale: f64,
}

impl Projection {
    fn new(rect: Rect, view: MapView, fit: f64) -> Self {
        Self {
            rect,
            view,
            scale: fit * view.zoom,
        }
    }

    #[allow(clippy::cast_possible_truncation, reason = "screen points fit f32")]
    fn to_screen(&self, lon: f64, lat: f64) -> Pos2 {
        let c = self.rect.center();
        Pos2::new(
            c.x + ((lon - self.view.center_lon) * self.scale) as f32,
            c.y - ((lat - self.view.center_lat) * self.scale) as f32,
        )
    }

    fn to_geo(&self, pos: Pos2) -> GeoPoint {
        let c = self.rect.center();
        GeoPoint {
            lon_deg: self.view.center_lon + f64::from(pos.x - c.x) / self.scale,
            lat_deg: self.view.center_lat - f64::from(pos.y - c.y) / self.scale,
        }
    }

    /// The longitudes at the left and right edges.
    fn lon_span(&self) -> (f64, f64) {
        let half = f64::from(self.rect.width()) / (2.0 * self.scale);
        (self.view.center_lon - half, self.view.center_lon + half)
    }

    /// The multiples of 360° at which something spanning `west`..`east` degrees shows in the
    /// view (the world repeats sideways when panned past the date line).
    fn copies(&self, west: f64, east: f64) -> impl Iterator<Item = f64> {
        let (left, right) = self.lon_span();
        (-3..=3)
            .map(|k| f64::from(k) * 360.0)
            .filter(move |offset| west + offset < right && east + offset > left)
    }

    /// Screen points of a line, simplified to what shows: points within a pixel of the last
    /// one kept are dropped, then Douglas-Peucker leaves out those within half a pixel of the
    /// line through their neighbours (a 12-hour orbit sampled every 20 s has thousands of
    /// points; at world scale a few hundred draw the same line, and each costs tessellation).
    fn polyline(&self, points: impl Iterator<Item = (f64, f64)>) -> Vec<Pos2> {
        let mut near: Vec<Pos2> = Vec::new();
        let mut skipped: Option<Pos2> = None;
        for (lon, lat) in points {
            let p = self.to_screen(lon, lat);
            match near.last() {
                Some(last) if last.distance_sq(p) < 1.0 => skipped = Some(p),
                _ => {
                    near.push(p);
                    skipped = None;
                }
            }
        }
        near.extend(skipped);
        simplify(&near, 0.5)
    }
}

/// Douglas-Peucker: the points of `line` needed to stay within `tolerance` of it.
fn simplify(line: &[Pos2], tolerance: f32) -> Vec<Pos2> {
    if line.len() < 3 {
        return line.to_vec();
    }
    let mut keep = vec![false; line.len()];
    keep[0] = true;
    keep[line.len() - 1] = true;
    let mut stack = vec![(0, line.len() - 1)];
    while let Some((first, last)) = stack.pop() {
        let (a, b) = (line[first], line[last]);
        let ab = b - a;
        let length = ab.length();
        let mut worst = (0.0_f32, 0);
        for (index, p) in line.iter().enumerate().take(last).skip(first + 1) {
            let ap = *p - a;
            let distance = if length > f32::EPSILON {
                (ab.x * ap.y - ab.y * ap.x).abs() / length
            } else {
                ap.length()
            };
            if distance > worst.0 {
                worst = (distance, index);
            }
        }
        if worst.0 > tolerance {
            keep[worst.1] = true;
            stack.push((first, worst.1));
            stack.push((worst.1, last));
        }
    }
    line.iter()
        .zip(keep)
        .filter_map(|(p, k)| k.then_some(*p))
        .collect()
}

/// The westmost and eastmost longitudes of continuous points (or `fallback` for none).
fn lon_bounds(points: &[GeoPoint], fallback: f64) -> (f64, f64) {
    points.iter().fold((fallback, fallback), |(w, e), p| {
        (w.min(p.lon_deg), e.max(p.lon_deg))
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable as _;

    use super::*;
    use crate::Theme;

    #[test]
    fn the_shipped_land_reads_and_triangulates() {
        let land = Land::natural_earth();
        assert!(land.point_count() > 4000, "{}", land.point_count());
        assert!(land.triangles.len() > 3 * 3000);
        assert_eq!(land.triangles.len() % 3, 0);
        let n = u32::try_from(land.vertices.len()).unwrap();
        assert!(land.triangles.iter().all(|&t| t < n));
        // Every point is a longitude and a latitude.
        assert!(
            land.rings
                .iter()
                .flatten()
                .all(|p| (-180.0..=180.0).contains(&p[0]) && (-90.0..=90.0).contains(&p[1]))
        );
    }

    #[test]
    fn bad_map_data_says_what_is_wrong() {
        let error = Land::from_topojson("{").unwrap_err().to_string();
        assert!(error.starts_with("the map data is not JSON"), "{error}");
        let error = Land::from_topojson(r#"{"transform": {"scale": [1, 1], "translate": [0, 0]}, "arcs": [[[0, 0], [1, 0]]], "objects": {"land": {"type": "Polygon", "arcs": [[7]]}}}"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("arc index out of range"), "{error}");
    }

    #[test]
    fn a_track_crossing_the_date_line_stays_continuous() {
        let points = [
            GeoPoint {
                lat_deg: 0.0,
                lon_deg: 170.0,
            },
            GeoPoint {
                lat_deg: 1.0,
                lon_deg: 179.0,
            },
            GeoPoint {
                lat_deg: 2.0,
                lon_deg: -172.0,
            },
            GeoPoint {
                lat_deg: 3.0,
                lon_deg: -163.0,
            },
        ];
        let unwrapped = unwrap_longitudes(&points);
        let lons: Vec<f64> = unwrapped.iter().map(|p| p.lon_deg).collect();
        assert_eq!(lons, vec![170.0, 179.0, 188.0, 197.0]);
        // And westbound.
        let back: Vec<GeoPoint> = points.iter().rev().copied().collect();
        let lons: Vec<f64> = unwrap_longitudes(&back).iter().map(|p| p.lon_deg).collect();
        assert_eq!(lons, vec![-163.0, -172.0, -181.0, -190.0]);
    }

    #[test]
    fn a_footprint_is_a_circle_of_the_given_radius() {
        let center = GeoPoint {
            lat_deg: 40.0,
            lon_deg: -75.0,
        };
        let ring = footprint(center, 20.0);
        let deg = std::f64::consts::PI / 180.0;
        for p in &ring {
            let cos = (center.lat_deg * deg).sin() * (p.lat_deg * deg).sin()
                + (center.lat_deg * deg).cos()
                    * (p.lat_deg * deg).cos()
                    * ((p.lon_deg - center.lon_deg) * deg).cos();
            assert!((cos.acos() / deg - 20.0).abs() < 1e-9);
        }
        // A polar station's circle encloses the pole: its longitudes run all the way round.
        let polar = footprint(
            GeoPoint {
                lat_deg: 78.0,
                lon_deg: 15.0,
            },
            20.0,
        );
        let span = polar.last().unwrap().lon_deg - polar[0].lon_deg;
        assert!((span.abs() - 360.0).abs() < 1e-6, "{span}");
    }

    #[test]
    fn simplifying_keeps_corners_and_drops_what_lies_on_the_line() {
        let line: Vec<Pos2> = (0..=10)
            .map(|i| Pos2::new(i as f32, 0.0))
            .chain((1..=10).map(|i| Pos2::new(10.0, i as f32)))
            .collect();
        let kept = simplify(&line, 0.5);
        assert_eq!(
            kept,
            vec![
                Pos2::new(0.0, 0.0),
                Pos2::new(10.0, 0.0),
                Pos2::new(10.0, 10.0)
            ]
        );
    }

    #[test]
    fn the_readout_names_hemispheres() {
        let text = readout(GeoPoint {
            lat_deg: -33.8688,
            lon_deg: 151.2093,
        });
        assert_eq!(text, " 33.869° S   151.209° E");
    }

    #[test]
    fn the_pointer_readout_and_panning_work_in_a_running_ui() {
        let tracks = vec![MapTrack {
            label: "AURORA".into(),
            points: (0..100)
                .map(|i| GeoPoint {
                    lat_deg: 50.0 * (f64::from(i) / 15.0).sin(),
                    lon_deg: -180.0 + f64::from(i) * 4.0,
                })
                .collect(),
            now_index: 40,
            color: Tokens::of(Theme::Dark).accent,
        }];
        let mut view = MapView::default();
        let mut hovered: Vec<GeoPoint> = Vec::new();
        let mut harness = Harness::builder()
            .with_size(Vec2::new(800.0, 420.0))
            .build_ui(|ui| {
                let response = GroundTrackMap::new(Land::natural_earth(), Tokens::of(Theme::Dark))
                    .tracks(&tracks)
                    .height(400.0)
                    .show(ui, &mut view);
                hovered.extend(response.hovered);
            });
        harness.run();
        let center = harness.get_by_label("Ground-track map").rect().center();
        harness.hover_at(center);
        harness.run();
        // Drag the map 100 points to the right: the view's centre moves west.
        harness.drag_at(center);
        harness.run();
        harness.hover_at(center + Vec2::new(50.0, 0.0));
        harness.run();
        harness.hover_at(center + Vec2::new(100.0, 0.0));
        harness.run();
        harness.drop_at(center + Vec2::new(100.0, 0.0));
        harness.run();
        drop(harness);
        // The first readout is the centre of the untouched world map.
        let point = hovered[0];
        assert!(
            point.lat_deg.abs() < 0.5 && point.lon_deg.abs() < 0.5,
            "{point:?}"
        );
        // At zoom 1 an 800-point-wide map shows 360 degrees: 100 points are 45 degrees.
        assert!((view.center_lon + 45.0).abs() < 5.0, "{view:?}");
    }
}
