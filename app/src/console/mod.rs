//! The eframe application: the shell around the views, the commands, persisted layout, and
//! the dialog shown when the replica cannot be opened.

mod app;
mod bookings;
mod commanding;
mod incidents;
mod mission;
mod orbit;
mod poll;
mod startup_error;

use anyhow::Context as _;
use chrono::Utc;
use galaxium_sync::{OpenOptions, Replica};

pub use app::{ConsoleApp, ConsoleSettings, Notice};
pub use galaxium_views::{CommandPalette, UiCommand};
pub use startup_error::StartupErrorApp;

use crate::ops::demo::DemoDataset;
use crate::paths::DataDir;

/// The window title.
pub const TITLE: &str = "Galaxium Console";

/// Opens the replica in `data` (seeding the demo dataset into a new one unless `seed_demo` is
/// false) and runs the console until its window closes.
///
/// When the replica cannot be opened, a dialog says why and the error is returned after it
/// closes, so the process exits non-zero; the file is left as it was.
pub fn run(data: &DataDir, seed_demo: bool) -> anyhow::Result<()> {
    let replica_path = data.replica();
    let mut replica = match Replica::open(&replica_path, &OpenOptions::default()) {
        Ok(replica) => replica,
        Err(err) => {
            let message = err.to_string();
            run_window(None, [760.0, 340.0], [640.0, 320.0], move |_| {
                Box::new(StartupErrorApp::new(message))
            })?;
            return Err(err).context("cannot open the local replica");
        }
    };
    let mut first_notice = None;
    if replica.open_report().created && seed_demo {
        first_notice = Some(
            match DemoDataset::shipped().and_then(|d| d.seed(&mut replica, Utc::now())) {
                Ok(summary) => Notice::info(format!(
                    "New replica created with the demo dataset: {summary}."
                )),
                Err(err) => Notice::error(format!("The demo dataset could not be loaded: {err:#}")),
            },
        );
    }
    let data_for_app = data.clone();
    run_window(Some(data), [1360.0, 860.0], CONSOLE_MIN_SIZE, move |cc| {
        let mut app = ConsoleApp::new(&cc.egui_ctx, cc.storage, replica, data_for_app);
        if let Some(notice) = first_notice {
            app.set_notice(notice);
        }
        Box::new(app)
    })
}

/// The smallest console window: a spaceport laptop's screen. Every view is laid out to fit it
/// (scrolling where it must), so a smaller window would only cut it.
pub const CONSOLE_MIN_SIZE: [f32; 2] = [1024.0, 700.0];

/// The window's icon (the same picture as the desktop entry's).
const WINDOW_ICON: &[u8] = include_bytes!("../../../assets/icons/galaxium-256.png");

/// Opens a window. With `persist_in`, its geometry and the app's settings are kept in that
/// data folder; the startup-error dialog keeps nothing, so it cannot shrink the next console.
fn run_window(
    persist_in: Option<&DataDir>,
    size: [f32; 2],
    min_size: [f32; 2],
    make_app: impl FnOnce(&eframe::CreationContext<'_>) -> Box<dyn eframe::App> + 'static,
) -> anyhow::Result<()> {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title(TITLE)
        // The desktop entry's name (galaxium.desktop), so the window gets its icon there too.
        .with_app_id("galaxium")
        .with_inner_size(size)
        .with_min_inner_size(min_size);
    match eframe::icon_data::from_png_bytes(WINDOW_ICON) {
        Ok(icon) => viewport = viewport.with_icon(icon),
        Err(err) => tracing::warn!("the window icon does not load: {err}"),
    }
    let options = eframe::NativeOptions {
        viewport,
        persist_window: persist_in.is_some(),
        // Layout lives beside the replica, so each data folder keeps its own.
        persistence_path: persist_in.map(|data| data.root().join("console-state.ron")),
        ..Default::default()
    };
    eframe::run_native(TITLE, options, Box::new(|cc| Ok(make_app(cc))))
        .map_err(|err| anyhow::anyhow!("the console window could not start: {err}"))
}
