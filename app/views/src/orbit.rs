//! The Orbit view: the tracked objects, where the selected one is now (position, height,
//! speed, sunlight with a countdown to the next change), its orbit, the ground-track map with
//! every object and station, each station's next passes with AOS/LOS countdowns, and a sky
//! plot of the chosen station's pass. Element sets are imported here from a file or pasted
//! text; a stale set is flagged wherever it is used.

use chrono::{DateTime, Duration, Utc};
use egui::{Color32, RichText, Ui};
use galaxium_orbit::{Illumination, Satellite};
use galaxium_widgets::{
    GeoPoint, GroundTrackMap, Land, MapStation, MapTrack, MapView, SkyPlot, SkyPoint, StatusLevel,
    StatusLight, Tokens,
};

use super::format;
use crate::UiCommand;
use crate::ops::bookings::data::VehicleChoice;
use crate::ops::orbit::{
    self, OrbitData, StationForm, StationPasses, TrackedObject, footprint_deg, live_state,
    next_light_change,
};

/// How far ahead passes are predicted.
const PASS_HOURS: i64 = 24;
/// How often tracks, passes and light changes are worked out again.
const RECOMPUTE_EVERY_S: i64 = 60;

/// An import of element sets the user is preparing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportForm {
    /// A file to read, if any.
    pub path: String,
    /// Or text pasted in.
    pub text: String,
    /// The crewed vehicle the sets describe, if they are one of ours.
    pub vehicle_id: Option<String>,
    /// Why the last import was refused: shown in the dialog, which keeps the text.
    pub refused: Option<String>,
}

/// What the Orbit view remembers between frames.
#[derive(Default)]
pub struct OrbitState {
    /// The selected object's catalogue number.
    pub selected: Option<u64>,
    /// The station whose next pass the sky plot shows.
    pub sky_station: Option<String>,
    /// Where the map looks.
    pub map: MapView,
    /// The import dialog, when open.
    pub import: Option<ImportForm>,
    /// The ground-stations dialog, when open, with the station being edited or added.
    pub stations: Option<Option<StationForm>>,
    cache: Option<Computed>,
}

/// A track's points with their times.
type TrackPoints = Vec<(DateTime<Utc>, GeoPoint)>;

/// What takes more than a frame's worth of work, kept for a minute.
struct Computed {
    /// Which data it was worked out from: element set ids and station ids.
    key: String,
    at: DateTime<Utc>,
    /// Per object (by catalogue number): its track.
    tracks: Vec<(u64, TrackPoints)>,
    /// The selected object's passes per station.
    passes: Vec<StationPasses>,
    /// The selected object's next light change.
    light_change: Option<(Illumination, DateTime<Utc>)>,
    /// What failed, if anything did.
    error: Option<String>,
}

/// What the view draws from.
pub struct OrbitInput<'a> {
    /// Objects and stations.
    pub data: &'a OrbitData,
    /// Vehicles element sets can be tied to.
    pub vehicles: &'a [VehicleChoice],
    /// Whether this console's role may add element sets.
    pub can_import: bool,
    /// Colours and sizes.
    pub tokens: Tokens,
    /// This frame's time.
    pub now: DateTime<Utc>,
}

/// Draws the Orbit view.
pub fn orbit_ui(
    ui: &mut Ui,
    state: &mut OrbitState,
    input: &OrbitInput<'_>,
    commands: &mut Vec<UiCommand>,
) {
    let OrbitInput {
        data, tokens, now, ..
    } = *input;
    if state
        .selected
        .is_none_or(|n| !data.objects.iter().any(|o| o.norad_id == n))
    {
        state.selected = data.objects.first().map(|o| o.norad_id);
    }
    refresh_cache(state, data, now);

    ui.add_space(tokens.spacing);
    ui.horizontal(|ui| {
        ui.heading("Orbit");
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let button =
                ui.add_enabled(input.can_import, egui::Button::new("Import element sets…"));
            let button = if input.can_import {
                button.on_hover_text(
                    "Add TLE, 3LE or OMM JSON element sets from a file or pasted text",
                )
            } else {
                button.on_disabled_hover_text(
                    "Only controllers and admins add element sets; sign in as one to import",
                )
            };
            if button.clicked() {
                state.import = Some(ImportForm::default());
            }
            let stations = ui
                .add_enabled(input.can_import, egui::Button::new("Ground stations…"))
                .on_hover_text("Add, edit or remove ground stations and their elevation masks");
            if stations.clicked() {
                state.stations = Some(None);
            }
        });
    });
    stations_dialog_ui(ui, state, input, commands);
    ui.add_space(tokens.spacing);

    if data.objects.is_empty() {
        ui.label(
            "No element sets yet. Import a TLE or OMM file (CelesTrak's formats) to track \
             an object, or load the demo dataset from the Overview.",
        );
        import_dialog_ui(ui, state, input, commands);
        return;
    }

    egui::Panel::left("orbit_objects")
        .resizable(true)
        .default_size(240.0)
        .min_size(200.0)
        .show(ui, |ui| {
            // The column scrolls: on a short window the sky plot under the list is reached
            // by scrolling, never cut off.
            egui::ScrollArea::vertical()
                .id_salt("orbit_objects_column")
                .show(ui, |ui| {
                    objects_ui(ui, state, data, tokens, now);
                    // The sky plot of the chosen station's pass sits under the list, where
                    // there is room, so the passes table can have the full width.
                    let selected = data
                        .objects
                        .iter()
                        .find(|o| Some(o.norad_id) == state.selected)
                        .and_then(|o| o.satellite.as_ref().ok());
                    if let (Some(satellite), Some(cache)) = (selected, &state.cache) {
                        ui.add_space(tokens.gap);
                        sky_ui(
                            ui,
                            &cache.passes,
                            state.sky_station.as_deref(),
                            satellite,
                            tokens,
                            now,
                        );
                    }
                });
        });

    egui::CentralPanel::default().show(ui, |ui| {
        egui::ScrollArea::vertical().show(ui, |ui| {
            let Some(object) = data
                .objects
                .iter()
                .find(|o| Some(o.norad_id) == state.selected)
            else {
                return;
            };
            if let Some(error) = state.cache.as_ref().and_then(|c| c.error.clone()) {
                ui.colored_label(tokens.critical, error);
            }
            match &object.satellite {
                Ok(satellite) => live_ui(ui, state, object, satellite, tokens, now),
                Err(error) => {
                    ui.colored_label(tokens.critical, error);
                }
            }
            ui.add_space(tokens.spacing);
            map_ui(ui, state, data, tokens, now);
            ui.add_space(tokens.gap);
            if object.satellite.is_ok() {
                passes_ui(ui, state, tokens, now);
            }
        });
    });
    import_dialog_ui(ui, state, input, commands);
}

fn cache_key(data: &OrbitData) -> String {
    let mut key = String::new();
    for o in &data.objects {
        key.push_str(&o.id);
    }
    key.push('|');
    for s in &data.stations {
        key.push_str(&s.id);
        key.push_str(&s.mask_deg.to_string());
    }
    key
}

fn refresh_cache(state: &mut OrbitState, data: &OrbitData, now: DateTime<Utc>) {
    let key = format!("{}|{:?}", cache_key(data), state.selected);
    let fresh = state
        .cache
        .as_ref()
        .is_some_and(|c| c.key == key && (now - c.at).num_seconds().abs() < RECOMPUTE_EVERY_S);
    if fresh {
        return;
    }
    let mut error = None;
    let tracks = data
        .objects
        .iter()
        .filter_map(|o| {
            let satellite = o.satellite.as_ref().ok()?;
            match track(satellite, now) {
                Ok(points) => Some((o.norad_id, points)),
                Err(e) => {
                    error = Some(format!("{}: {e:#}", o.name));
                    None
                }
            }
        })
        .collect();
    let selected = data
        .objects
        .iter()
        .find(|o| Some(o.norad_id) == state.selected)
        .and_then(|o| o.satellite.as_ref().ok());
    let (passes, light_change) = match selected {
        Some(satellite) => {
            let passes = orbit::station_passes(satellite, &data.stations, now, PASS_HOURS)
                .unwrap_or_else(|e| {
                    error = Some(format!("Passes could not be predicted: {e:#}"));
                    Vec::new()
                });
            let light = next_light_change(satellite, now).unwrap_or_else(|e| {
                error = Some(format!("Sunlight could not be predicted: {e:#}"));
                None
            });
            (passes, light)
        }
        None => (Vec::new(), None),
    };
    state.cache = Some(Computed {
        key,
        at: now,
        tracks,
        passes,
        light_change,
        error,
    });
}

/// A track from one period back to one and a half ahead (at most a day each way), about 240
/// points a revolution.
fn track(
    satellite: &Satellite,
    now: DateTime<Utc>,
) -> Result<TrackPoints, galaxium_orbit::OrbitError> {
    let period_s = 86_400.0 / satellite.set.elements.mean_motion.max(0.05);
    let step_s = (period_s / 240.0).max(10.0);
    let back = period_s.min(86_400.0);
    let ahead = (1.5 * period_s).min(86_400.0);
    #[allow(
        clippy::cast_possible_truncation,
        reason = "a few hundred steps of whole milliseconds"
    )]
    let points = {
        let count = ((back + ahead) / step_s).ceil() as i64;
        let mut points = Vec::with_capacity(usize::try_from(count + 1).unwrap_or(0));
        for k in 0..=count {
            let t = now + Duration::milliseconds(((k as f64 * step_s - back) * 1000.0) as i64);
            let g = satellite.geodetic(t)?;
            points.push((
                t,
                GeoPoint {
                    lat_deg: g.lat_deg,
                    lon_deg: g.lon_deg,
                },
            ));
        }
        points
    };
    Ok(points)
}

/// An object's colour: the crewed vehicle is always the accent colour; any other object's
/// follows its catalogue number, so it is the same on every screen and after any import (a
/// colour from its place in the list would change when another object arrives).
fn object_color(object: &TrackedObject, tokens: Tokens) -> Color32 {
    if object.vehicle.is_some() {
        return tokens.accent;
    }
    let others = [tokens.nominal, tokens.training, tokens.caution];
    #[allow(clippy::cast_possible_truncation, reason = "the remainder is below 3")]
    others[(object.norad_id % others.len() as u64) as usize]
}

fn objects_ui(
    ui: &mut Ui,
    state: &mut OrbitState,
    data: &OrbitData,
    tokens: Tokens,
    now: DateTime<Utc>,
) {
    ui.label(RichText::new("Tracked objects").strong());
    ui.add_space(tokens.spacing);
    for object in &data.objects {
        let selected = Some(object.norad_id) == state.selected;
        let frame = tokens.card_frame().stroke(egui::Stroke::new(
            if selected { 2.0 } else { 0.0 },
            tokens.accent,
        ));
        let response = frame
            .show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.horizontal(|ui| {
                    let (dot, _) =
                        ui.allocate_exact_size(egui::Vec2::splat(10.0), egui::Sense::hover());
                    ui.painter()
                        .circle_filled(dot.center(), 5.0, object_color(object, tokens));
                    ui.label(RichText::new(&object.name).strong());
                });
                let line = match &object.vehicle {
                    Some(vehicle) => {
                        format!("NORAD {} · crewed vehicle {vehicle}", object.norad_id)
                    }
                    None => format!("NORAD {}", object.norad_id),
                };
                ui.label(RichText::new(line).color(tokens.text_muted));
                epoch_line_ui(ui, object, tokens, now);
            })
            .response
            .interact(egui::Sense::click());
        let response = response.on_hover_text(format!("Elements from {}", object.source));
        if response.clicked() {
            state.selected = Some(object.norad_id);
            state.sky_station = None;
        }
        ui.add_space(tokens.spacing / 2.0);
    }
}

fn epoch_line_ui(ui: &mut Ui, object: &TrackedObject, tokens: Tokens, now: DateTime<Utc>) {
    let age = object.epoch_age_days(now);
    if object.is_stale(now) {
        ui.add(StatusLight::new(
            StatusLevel::Caution,
            &format!("STALE: epoch {age:.1} days old"),
            tokens,
        ));
    } else {
        ui.label(
            RichText::new(format!(
                "Epoch {} ({})",
                format::utc_minutes(object.epoch),
                if age >= 0.0 {
                    format!("{} ago", format::ago(object.epoch, now))
                } else {
                    "in the future".to_owned()
                }
            ))
            .color(tokens.text_muted),
        );
    }
}

fn live_ui(
    ui: &mut Ui,
    state: &OrbitState,
    object: &TrackedObject,
    satellite: &Satellite,
    tokens: Tokens,
    now: DateTime<Utc>,
) {
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(&object.name)
                .size(tokens.heading_size)
                .strong(),
        );
        if let Some(vehicle) = &object.vehicle {
            ui.label(RichText::new(format!("crewed vehicle {vehicle}")).color(tokens.text_muted));
        }
    });
    if object.is_stale(now) {
        ui.add(StatusLight::new(
            StatusLevel::Caution,
            &format!(
                "Element set is {:.1} days old: positions drift by kilometres a day. Import a \
                 fresh set.",
                object.epoch_age_days(now)
            ),
            tokens,
        ));
    }
    let live = match live_state(satellite, now) {
        Ok(live) => live,
        Err(error) => {
            ui.colored_label(tokens.critical, format!("{error:#}"));
            return;
        }
    };
    let summary = orbit::summary(satellite, now);
    let p = live.position;
    let light = match live.light {
        Illumination::Sunlit => "Sunlit",
        Illumination::Penumbra => "Penumbra",
        Illumination::Umbra => "Eclipse",
    };
    let next = match state.cache.as_ref().and_then(|c| c.light_change) {
        Some((next, at)) if at > now => format!(
            "{} in {}",
            match (live.light, next) {
                (_, Illumination::Sunlit) => "sunlight",
                (Illumination::Sunlit, _) => "shadow",
                (_, Illumination::Penumbra) => "penumbra",
                (_, Illumination::Umbra) => "umbra",
            },
            format::clock(at, now)
        ),
        Some(_) => "changing now".to_owned(),
        None => "no change in two orbits".to_owned(),
    };
    let cards = [
        (
            "Position",
            format!(
                "{:.3}° {}\n{:.3}° {}",
                p.lat_deg.abs(),
                if p.lat_deg >= 0.0 { 'N' } else { 'S' },
                p.lon_deg.abs(),
                if p.lon_deg >= 0.0 { 'E' } else { 'W' }
            ),
        ),
        (
            "Altitude · speed",
            format!("{:.1} km\n{:.3} km/s", p.alt_km, live.speed_km_s),
        ),
        ("Sunlight", format!("{light}\n{next}")),
        (
            "Orbit",
            format!(
                "{:.1} min · {:.1}°\n{:.0} × {:.0} km",
                summary.period_min, summary.inclination_deg, summary.perigee_km, summary.apogee_km
            ),
        ),
    ];
    ui.add_space(tokens.spacing);
    // Equal columns that share the width, so the cards never run off the side.
    let per_row = crate::cards_per_row(ui, ORBIT_CARD_MIN_WIDTH, cards.len());
    for row in cards.chunks(per_row) {
        ui.columns(per_row, |columns| {
            for (ui, (label, text)) in columns.iter_mut().zip(row) {
                tokens.card_frame().show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    // Not justified: a justified column spreads wrapped text's letters.
                    ui.with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
                        ui.label(RichText::new(*label).color(tokens.text_muted));
                        ui.label(RichText::new(text).size(tokens.body_size * 1.1).monospace());
                    });
                });
            }
        });
    }
}

/// The narrowest an orbit fact card gets: each of its lines fits.
const ORBIT_CARD_MIN_WIDTH: f32 = 190.0;

fn map_ui(
    ui: &mut Ui,
    state: &mut OrbitState,
    data: &OrbitData,
    tokens: Tokens,
    now: DateTime<Utc>,
) {
    let Some(cache) = &state.cache else {
        return;
    };
    let mut tracks: Vec<MapTrack> = Vec::new();
    let mut selected_alt = 400.0;
    for object in &data.objects {
        let Some((_, points)) = cache.tracks.iter().find(|(n, _)| *n == object.norad_id) else {
            continue;
        };
        let Ok(satellite) = &object.satellite else {
            continue;
        };
        // The cached track, with the object's position at this very frame spliced in.
        let split = points.partition_point(|(t, _)| *t <= now);
        let mut track: Vec<GeoPoint> = points[..split].iter().map(|(_, p)| *p).collect();
        if let Ok(live) = satellite.geodetic(now) {
            if Some(object.norad_id) == state.selected {
                selected_alt = live.alt_km;
            }
            track.push(GeoPoint {
                lat_deg: live.lat_deg,
                lon_deg: live.lon_deg,
            });
        }
        let now_index = track.len().saturating_sub(1);
        track.extend(points[split..].iter().map(|(_, p)| *p));
        let map_track = MapTrack {
            label: object.name.clone(),
            points: track,
            now_index,
            color: object_color(object, tokens),
        };
        // The selected object is drawn on top.
        if Some(object.norad_id) == state.selected {
            tracks.insert(0, map_track);
        } else {
            tracks.push(map_track);
        }
    }
    let stations: Vec<MapStation> = data
        .stations
        .iter()
        .map(|s| MapStation {
            name: s.name.clone(),
            position: GeoPoint {
                lat_deg: s.position.lat_deg,
                lon_deg: s.position.lon_deg,
            },
            footprint_deg: footprint_deg(selected_alt, s.mask_deg),
            in_contact: cache
                .passes
                .iter()
                .any(|p| p.station.id == s.id && p.current(now).is_some()),
        })
        .collect();
    let sun = orbit::subsolar_point(now);
    let height = (ui.available_width() * 0.36).clamp(220.0, 520.0);
    GroundTrackMap::new(Land::natural_earth(), tokens)
        .tracks(&tracks)
        .stations(&stations)
        .subsolar(GeoPoint {
            lat_deg: sun.lat_deg,
            lon_deg: sun.lon_deg,
        })
        .height(height)
        .show(ui, &mut state.map);
    ui.label(
        RichText::new(
            "Drag to pan, scroll to zoom, double-click for the whole world. Footprints are for \
             the selected object's height; a bright one is in contact. Land: Natural Earth.",
        )
        .small()
        .color(tokens.text_muted),
    );
}

fn passes_ui(ui: &mut Ui, state: &mut OrbitState, tokens: Tokens, now: DateTime<Utc>) {
    let Some(cache) = &state.cache else {
        return;
    };
    let mut chosen = state.sky_station.clone();
    passes_table_ui(ui, &cache.passes, &mut chosen, tokens, now);
    state.sky_station = chosen;
}

/// The width the passes table needs for its five columns.
const PASSES_WIDE_WIDTH: f32 = 560.0;

fn passes_table_ui(
    ui: &mut Ui,
    passes: &[StationPasses],
    chosen: &mut Option<String>,
    tokens: Tokens,
    now: DateTime<Utc>,
) {
    ui.label(RichText::new(format!("Passes, next {PASS_HOURS} h")).strong());
    ui.add_space(tokens.spacing);
    if passes.is_empty() {
        ui.label("No ground stations in the replica.");
    }
    // Five columns where they fit; on a narrow panel the pass's elevation and length go
    // under its times, so no column is cut at the window's edge.
    let compact = ui.available_width() < PASSES_WIDE_WIDTH;
    let headings: &[&str] = if compact {
        &["Station", "Contact", "Pass (UTC)"]
    } else {
        &["Station", "Contact", "AOS – LOS (UTC)", "Max el.", "Length"]
    };
    egui::Grid::new("passes")
        .striped(true)
        .num_columns(headings.len())
        .spacing([tokens.gap, tokens.spacing])
        .show(ui, |ui| {
            for heading in headings {
                ui.label(RichText::new(*heading).color(tokens.text_muted));
            }
            ui.end_row();
            for station in passes {
                let is_chosen = chosen.as_deref() == Some(station.station.id.as_str());
                if ui
                    .selectable_label(is_chosen, &station.station.name)
                    .on_hover_text("Show this station's pass in the sky plot")
                    .clicked()
                {
                    *chosen = Some(station.station.id.clone());
                }
                let (pass, contact) = match (station.current(now), station.next(now)) {
                    (Some(pass), _) => (
                        Some(pass),
                        RichText::new(format!(
                            "IN CONTACT, LOS in {}",
                            format::clock(pass.los, now)
                        ))
                        .color(tokens.nominal)
                        .strong(),
                    ),
                    (None, Some(pass)) => (
                        Some(pass),
                        RichText::new(format!("AOS in {}", format::clock(pass.aos, now))),
                    ),
                    (None, None) => (
                        None,
                        RichText::new(format!("none in {PASS_HOURS} h")).color(tokens.text_muted),
                    ),
                };
                ui.label(contact);
                match pass {
                    Some(pass) => {
                        let times = RichText::new(format!(
                            "{} – {}",
                            pass.aos.format("%H:%M:%S"),
                            pass.los.format("%H:%M:%S")
                        ))
                        .monospace();
                        let max = format!("{:.1}°", pass.max_elevation_deg);
                        let length = format::clock(pass.los, pass.aos);
                        if compact {
                            ui.vertical(|ui| {
                                ui.label(times);
                                ui.label(
                                    RichText::new(format!("max {max}, {length} long"))
                                        .color(tokens.text_muted),
                                );
                            });
                        } else {
                            ui.label(times);
                            ui.label(RichText::new(max).monospace());
                            ui.label(RichText::new(length).monospace());
                        }
                    }
                    None => {
                        for _ in 2..headings.len() {
                            ui.label("");
                        }
                    }
                }
                ui.end_row();
            }
        });
}

/// The sky plot of the chosen station's pass, or of the soonest contact.
fn sky_ui(
    ui: &mut Ui,
    passes: &[StationPasses],
    chosen: Option<&str>,
    satellite: &Satellite,
    tokens: Tokens,
    now: DateTime<Utc>,
) {
    let station = chosen
        .and_then(|id| passes.iter().find(|p| p.station.id == id))
        .or_else(|| {
            passes
                .iter()
                .filter_map(|p| {
                    p.current(now)
                        .or_else(|| p.next(now))
                        .map(|pass| (p, pass.aos))
                })
                .min_by_key(|(_, aos)| *aos)
                .map(|(p, _)| p)
        });
    let Some(station) = station else {
        return;
    };
    let pass = station.current(now).or_else(|| station.next(now));
    ui.label(
        RichText::new(match pass {
            Some(pass) => format!(
                "{} sky, {} – {}",
                station.station.name,
                pass.aos.format("%H:%M"),
                pass.los.format("%H:%M UTC"),
            ),
            None => format!(
                "Sky over {}: no pass in {PASS_HOURS} h",
                station.station.name
            ),
        })
        .strong(),
    );
    let path: Vec<SkyPoint> = pass
        .map(|pass| {
            orbit::sky_path(satellite, station.station.position, pass)
                .into_iter()
                .map(|(azimuth_deg, elevation_deg)| SkyPoint {
                    azimuth_deg,
                    elevation_deg,
                })
                .collect()
        })
        .unwrap_or_default();
    let now_point = satellite
        .look_from(station.station.position, now)
        .ok()
        .map(|look| SkyPoint {
            azimuth_deg: look.azimuth_deg,
            elevation_deg: look.elevation_deg,
        });
    SkyPlot::new(tokens)
        .path(&path, tokens.accent)
        .mask(station.station.mask_deg)
        .now(now_point)
        .size(240.0)
        .show(ui);
    if let Some(look) = now_point.filter(|l| l.elevation_deg > 0.0) {
        ui.label(format!(
            "Now: azimuth {:.1}°, elevation {:.1}°",
            look.azimuth_deg, look.elevation_deg
        ));
    }
}

fn import_dialog_ui(
    ui: &mut Ui,
    state: &mut OrbitState,
    input: &OrbitInput<'_>,
    commands: &mut Vec<UiCommand>,
) {
    let Some(form) = &mut state.import else {
        return;
    };
    let mut open = true;
    egui::Window::new("Import element sets")
        .open(&mut open)
        .pivot(egui::Align2::CENTER_TOP)
        .default_pos(ui.ctx().content_rect().center_top() + egui::vec2(0.0, 80.0))
        .collapsible(false)
        .resizable(true)
        .default_width(620.0)
        .show(ui.ctx(), |ui| {
            ui.label(
                "Two-line or three-line TLEs (any number, checksums verified) or CCSDS OMM in \
                 JSON, as CelesTrak serves them. The whole text is refused if any set is bad.",
            );
            ui.add_space(input.tokens.spacing);
            ui.horizontal(|ui| {
                let label = ui.label("File");
                ui.add(
                    egui::TextEdit::singleline(&mut form.path)
                        .hint_text("path to a .tle, .txt or .json file")
                        .desired_width(440.0),
                )
                .labelled_by(label.id);
            });
            let label = ui.label("Or paste the element sets");
            ui.add(
                egui::TextEdit::multiline(&mut form.text)
                    .font(egui::TextStyle::Monospace)
                    .desired_rows(8)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
            ui.horizontal(|ui| {
                let label = ui.label("These elements are");
                let chosen = form
                    .vehicle_id
                    .as_ref()
                    .and_then(|id| input.vehicles.iter().find(|v| &v.id == id))
                    .map_or("another object".to_owned(), |v| {
                        format!("crewed vehicle {}", v.name)
                    });
                egui::ComboBox::from_id_salt("import_vehicle")
                    .selected_text(chosen)
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut form.vehicle_id, None, "another object");
                        for v in input.vehicles {
                            ui.selectable_value(
                                &mut form.vehicle_id,
                                Some(v.id.clone()),
                                format!("crewed vehicle {}", v.name),
                            );
                        }
                    })
                    .response
                    .labelled_by(label.id);
            });
            if let Some(refused) = &form.refused {
                ui.add_space(input.tokens.spacing);
                ui.add(
                    egui::Label::new(
                        RichText::new(format!("Nothing was imported: {refused}"))
                            .color(input.tokens.critical),
                    )
                    .wrap(),
                );
            }
            ui.add_space(input.tokens.spacing);
            let ready = !form.path.trim().is_empty() || !form.text.trim().is_empty();
            // The dialog stays open until the console has imported the sets; a refusal shows
            // above, with the text still here to correct.
            if ui.add_enabled(ready, egui::Button::new("Import")).clicked() {
                form.refused = None;
                commands.push(UiCommand::ImportElementSets(Box::new(form.clone())));
            }
        });
    if !open {
        state.import = None;
    }
}

fn stations_dialog_ui(
    ui: &mut Ui,
    state: &mut OrbitState,
    input: &OrbitInput<'_>,
    commands: &mut Vec<UiCommand>,
) {
    let Some(editing) = &mut state.stations else {
        return;
    };
    let tokens = input.tokens;
    let mut open = true;
    egui::Window::new("Ground stations")
        .open(&mut open)
        .collapsible(false)
        .pivot(egui::Align2::CENTER_TOP)
        .default_pos(ui.ctx().content_rect().center_top() + egui::vec2(0.0, 80.0))
        .show(ui.ctx(), |ui| {
            egui::Grid::new("stations")
                .striped(true)
                .num_columns(6)
                .show(ui, |ui| {
                    for heading in ["Station", "Latitude", "Longitude", "Altitude", "Mask", ""] {
                        ui.label(RichText::new(heading).color(tokens.text_muted));
                    }
                    ui.end_row();
                    for station in &input.data.stations {
                        ui.label(&station.name);
                        ui.label(format!("{:.4}°", station.position.lat_deg));
                        ui.label(format!("{:.4}°", station.position.lon_deg));
                        ui.label(format!("{:.0} m", station.position.alt_km * 1000.0));
                        ui.label(format!("{:.1}°", station.mask_deg));
                        ui.horizontal(|ui| {
                            if ui.button(format!("Edit {}", station.name)).clicked() {
                                *editing = Some(StationForm::of(station));
                            }
                            if ui.button(format!("Remove {}", station.name)).clicked() {
                                commands.push(UiCommand::RemoveStation(station.id.clone()));
                            }
                        });
                        ui.end_row();
                    }
                });
            ui.add_space(tokens.spacing);
            let Some(form) = editing else {
                if ui.button("Add a station").clicked() {
                    *editing = Some(StationForm {
                        mask_deg: "10".into(),
                        alt_m: "0".into(),
                        ..StationForm::default()
                    });
                }
                return;
            };
            ui.separator();
            ui.label(
                RichText::new(if form.id.is_some() {
                    "Edit station"
                } else {
                    "New station"
                })
                .strong(),
            );
            egui::Grid::new("station_form")
                .num_columns(2)
                .show(ui, |ui| {
                    for (label, field, hint) in [
                        ("Name", &mut form.name, "Kiruna"),
                        ("Latitude (° N)", &mut form.lat_deg, "67.857"),
                        ("Longitude (° E)", &mut form.lon_deg, "20.964"),
                        ("Altitude (m)", &mut form.alt_m, "402"),
                        ("Elevation mask (°)", &mut form.mask_deg, "10"),
                    ] {
                        let label = ui.label(label);
                        ui.add(
                            egui::TextEdit::singleline(field)
                                .hint_text(hint)
                                .desired_width(180.0),
                        )
                        .labelled_by(label.id);
                        ui.end_row();
                    }
                });
            let checked = form.values();
            if let Err(problem) = &checked {
                ui.colored_label(tokens.critical, problem);
            }
            let mut close_form = false;
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(checked.is_ok(), egui::Button::new("Save station"))
                    .clicked()
                {
                    commands.push(UiCommand::SaveStation(Box::new(form.clone())));
                    close_form = true;
                }
                if ui.button("Cancel").clicked() {
                    close_form = true;
                }
            });
            if close_form {
                *editing = None;
            }
        });
    if !open {
        state.stations = None;
    }
}

#[cfg(test)]
mod colour_tests {
    use super::*;

    fn object(norad_id: u64, vehicle: Option<&str>) -> TrackedObject {
        TrackedObject {
            id: norad_id.to_string(),
            name: format!("OBJECT {norad_id}"),
            norad_id,
            vehicle: vehicle.map(str::to_owned),
            source: "test".into(),
            epoch: Utc::now(),
            satellite: Err("not needed".into()),
        }
    }

    #[test]
    fn an_objects_colour_follows_what_it_is_not_its_place_in_the_list() {
        let tokens = Tokens::of(galaxium_widgets::tokens::Theme::Dark);
        // The crewed vehicle is always the accent colour; another object's colour is a
        // function of its catalogue number alone, whatever else is imported.
        assert_eq!(
            object_color(&object(99001, Some("Aurora")), tokens),
            tokens.accent
        );
        assert_eq!(object_color(&object(25544, None), tokens), tokens.caution);
        assert_ne!(
            object_color(&object(25545, None), tokens),
            object_color(&object(25544, None), tokens)
        );
    }
}
