//! The console shell, driven headless with egui_kittest: find by label, click, assert.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed unwrap is a failed test"
)]

mod support;

use chrono::Utc;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable};
use galaxium::console::ConsoleApp;
use galaxium::ops::demo::DemoDataset;
use galaxium::paths::DataDir;
use galaxium::views::View;
use galaxium_sync::{OpenOptions, Replica, ReplicaKind};

struct Console {
    harness: Harness<'static, ConsoleApp>,
    _dir: tempfile::TempDir,
    data: DataDir,
}

fn console_with(kind: ReplicaKind, demo: bool) -> Console {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::at(dir.path());
    let mut replica = Replica::open(&data.replica(), &OpenOptions { kind_if_new: kind }).unwrap();
    if demo {
        DemoDataset::shipped()
            .unwrap()
            .seed(&mut replica, Utc::now())
            .unwrap();
    }
    Console {
        harness: harness_on(replica, &data),
        _dir: dir,
        data,
    }
}

/// A headless console window on `replica`, without sound.
fn harness_on(replica: Replica, data: &DataDir) -> Harness<'static, ConsoleApp> {
    let app_data = data.clone();
    Harness::builder()
        .with_size([1360.0, 860.0])
        // A console signed in to a server repaints whenever its sync agent reports (a push, a
        // pull page): on a loaded machine a few of those land inside one `run`. Sixteen frames
        // still fails a view that never settles.
        .with_max_steps(16)
        .build_eframe(move |cc| {
            ConsoleApp::new(&cc.egui_ctx, cc.storage, replica, app_data).without_sound()
        })
}

fn console() -> Console {
    console_with(ReplicaKind::Operational, true)
}

#[test]
fn the_shell_shows_clock_user_connection_navigation_and_the_overview() {
    let console = console();
    let h = &console.harness;
    let clock = h
        .query_all_by_label_contains(" UTC")
        .filter_map(|node| node.accesskit_node().value())
        .find(|label| {
            chrono::NaiveDateTime::parse_from_str(label, "%Y-%m-%d %H:%M:%S UTC").is_ok()
        });
    assert!(clock.is_some(), "a UTC clock with seconds in the top bar");
    h.get_by_label("operator · local operator");
    h.get_by_label("Offline · local replica");
    h.get_by_label("Overview");
    h.get_by_label("Settings");
    h.get_by_label("Replica overview");
    h.get_by_label_contains(&format!(
        "Replica healthy · schema v{}",
        galaxium_sync::schema::LATEST_VERSION
    ));
    assert!(h.query_by_label_contains("TRAINING").is_none());
}

#[test]
fn the_overview_shows_what_the_replica_holds_and_the_demo_launches() {
    let mut console = console();
    // The health line follows the check of the whole file that opening left for later.
    step_until(&mut [&mut console], 20, "the whole file's check", |c| {
        !c[0].harness.state().checking_whole_file()
    });
    console.harness.run();
    let h = &console.harness;
    h.get_by_label_contains("Integrity ok (checked ");
    assert!(h.query_by_label_contains("checking the rest").is_none());
    h.get_by_label("Local replica");
    h.get_by_label("What it holds");
    h.get_by_label("Vehicles");
    // The navigation and the row counts both name the launches.
    assert_eq!(h.get_all_by_label("Launches").count(), 2);
    h.get_by_label("GX-14 Sunrise Orbit");
    h.get_by_label_contains("rows here are the demo dataset");
    h.get_by_label("Never backed up");
    // The replica's path: in the Overview and in the status bar.
    let path = console.data.replica().display().to_string();
    assert_eq!(h.get_all_by_label(&path).count(), 2);
}

#[test]
fn clicking_a_view_in_the_navigation_shows_it() {
    let mut console = console();
    console.harness.get_by_label("Settings").click();
    console.harness.run();
    assert_eq!(console.harness.state().settings().view, View::Settings);
    console.harness.get_by_label("Console settings");
    assert!(console.harness.query_by_label("Replica overview").is_none());

    console.harness.get_by_label("Overview").click();
    console.harness.run();
    console.harness.get_by_label("Replica overview");
}

#[test]
fn ctrl_and_a_number_jumps_to_a_view() {
    let mut console = console();
    console
        .harness
        .key_press_modifiers(Modifiers::COMMAND, Key::Num9);
    console.harness.run();
    assert_eq!(console.harness.state().settings().view, View::Sync);
    console
        .harness
        .key_press_modifiers(Modifiers::COMMAND, Key::Num7);
    console.harness.run();
    assert_eq!(console.harness.state().settings().view, View::Commanding);
    // Settings, the tenth view, is on Ctrl+comma.
    console
        .harness
        .key_press_modifiers(Modifiers::COMMAND, Key::Comma);
    console.harness.run();
    assert_eq!(console.harness.state().settings().view, View::Settings);
    console
        .harness
        .key_press_modifiers(Modifiers::COMMAND, Key::Num1);
    console.harness.run();
    assert_eq!(console.harness.state().settings().view, View::Overview);
}

#[test]
fn the_command_palette_finds_and_runs_a_command() {
    let mut console = console();
    console
        .harness
        .key_press_modifiers(Modifiers::COMMAND, Key::K);
    console.harness.run();
    console.harness.get_by_label("Command palette");
    // Every command is listed before anything is typed.
    console.harness.get_by_label("Switch dark / light theme");

    console
        .harness
        .get_by_role(egui::accesskit::Role::TextInput)
        .type_text("settings");
    console.harness.run();
    assert!(
        console
            .harness
            .query_by_label("Switch dark / light theme")
            .is_none()
    );
    console.harness.get_by_label("Go to Settings").click();
    console.harness.run();

    assert_eq!(console.harness.state().settings().view, View::Settings);
    assert!(console.harness.query_by_label("Command palette").is_none());
}

#[test]
fn the_command_palette_keeps_its_height_through_a_search() {
    let mut console = console();
    console
        .harness
        .key_press_modifiers(Modifiers::COMMAND, Key::K);
    console.harness.run();
    let height = |console: &Console| {
        console
            .harness
            .ctx
            .memory(|m| m.area_rect(galaxium::console::CommandPalette::area_id()))
            .expect("the palette is open")
            .height()
    };
    let listing_all = height(&console);
    let search = |console: &mut Console, text: &str| {
        console
            .harness
            .get_by_role(egui::accesskit::Role::TextInput)
            .set_text_value_accesskit(text);
        console.harness.run();
    };
    search(&mut console, "settings");
    console.harness.get_by_label("Go to Settings");
    let narrowed = height(&console);
    search(&mut console, "");
    let cleared = height(&console);
    console.harness.get_by_label("Switch dark / light theme");
    assert!(
        (narrowed - listing_all).abs() < 1.0 && (cleared - listing_all).abs() < 1.0,
        "the palette is {listing_all} px tall listing all, {narrowed} px with two matches, {cleared} px cleared"
    );
}

#[test]
fn a_training_replica_shows_the_training_banner() {
    let console = console_with(ReplicaKind::Training, false);
    console
        .harness
        .get_by_label("TRAINING · sandbox replica · nothing here is operational data");
}

#[test]
fn backing_up_from_the_overview_writes_a_file_and_says_where() {
    let mut console = console();
    // Under the Now cards: scrolled to, as a person does.
    console
        .harness
        .get_by_label("Back up the replica now")
        .scroll_to_me();
    console.harness.run();
    console
        .harness
        .get_by_label("Back up the replica now")
        .click();
    console.harness.run();
    let notice = console.harness.state().notice().unwrap().text.clone();
    assert!(notice.starts_with("Backed up to "), "{notice}");
    let backups: Vec<_> = std::fs::read_dir(console.data.backups()).unwrap().collect();
    assert_eq!(backups.len(), 1);
    assert!(console.harness.query_by_label("Never backed up").is_none());
}

#[test]
fn removing_the_demo_data_asks_first_then_removes_only_demo_rows() {
    let mut console = console();
    console.harness.get_by_label("Remove demo data…").click();
    console.harness.run();
    console.harness.get_by_label("Remove the demo dataset?");
    console.harness.get_by_label("Keep it").click();
    console.harness.run();
    assert!(
        console
            .harness
            .state()
            .snapshot()
            .unwrap()
            .status
            .demo_rows()
            > 0
    );

    console.harness.get_by_label("Remove demo data…").click();
    console.harness.run();
    console.harness.get_by_label("Remove demo data").click();
    console.harness.run();
    let status = &console.harness.state().snapshot().unwrap().status;
    assert_eq!(status.total_rows(), 0);
    console.harness.get_by_label("Load demo data");
    console
        .harness
        .get_by_label("No launches scheduled from now on.");
}

#[test]
fn the_theme_switches_from_the_settings() {
    let mut console = console();
    console.harness.get_by_label("Settings").click();
    console.harness.run();
    console.harness.get_by_label("Light").click();
    console.harness.run();
    assert_eq!(
        console.harness.state().settings().theme,
        galaxium_widgets::Theme::Light
    );
    assert_eq!(console.harness.ctx.theme(), egui::Theme::Light);
}

#[test]
fn signing_in_from_the_sync_view_syncs_with_a_real_server() {
    let server_dir = tempfile::tempdir().unwrap();
    let (_server, url) = support::start_server(server_dir.path());
    let mut console = console();
    console.harness.get_by_label("Sync").click();
    console.harness.run();
    console.harness.get_by_label("Sync with the central server");
    assert_eq!(
        console
            .harness
            .get_all_by_label("Offline · local replica")
            .count(),
        2,
        "the top bar and the Sync view say the same"
    );

    console
        .harness
        .get_by_label("Sign in to the server…")
        .click();
    console.harness.run();
    console
        .harness
        .get_by_label("Sign in to the central server");
    console
        .harness
        .get_by_label("Server")
        .set_text_value_accesskit(&url);
    console
        .harness
        .get_by_label("User")
        .set_text_value_accesskit("ada");
    console.harness.run();
    let password = console.harness.get_by_label("Password");
    assert_eq!(
        password.accesskit_node().role(),
        egui::accesskit::Role::PasswordInput
    );
    password.focus();
    console.harness.run();
    console
        .harness
        .get_by_label("Password")
        .type_text("not the password");
    console.harness.run();
    console.harness.get_by_label("Sign in").click();
    // The dialog spins while it waits: stepped, not run to rest.
    console.harness.step();
    // A refusal is said in the dialog, which stays open with what was typed.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while console
        .harness
        .query_by_label_contains("Not signed in:")
        .is_none()
    {
        assert!(std::time::Instant::now() < deadline, "no refusal shown");
        std::thread::sleep(std::time::Duration::from_millis(50));
        console.harness.step();
    }
    console
        .harness
        .get_by_label("Sign in to the central server");
    assert_eq!(
        console
            .harness
            .get_by_label("User")
            .accesskit_node()
            .value(),
        Some("ada".into())
    );
    console
        .harness
        .get_by_label("Password")
        .set_text_value_accesskit(support::PASSWORD);
    console.harness.run();
    console.harness.get_by_label("Sign in").click();
    console.harness.step();

    // Synced, and what the sync brought read for the screens (off the UI thread).
    step_until(&mut [&mut console], 20, "no sync, or its read", |c| {
        let state = c[0].harness.state();
        state.sync_status().last_success.is_some() && !state.reading()
    });
    console.harness.run();
    let snapshot = console.harness.state().snapshot().unwrap();
    assert_eq!(snapshot.pending_ops, 0, "the demo rows reached the server");
    assert_eq!(
        snapshot.sync_runs[0].pushed,
        snapshot.status.demo_rows(),
        "every demo row was pushed"
    );
    assert_eq!(
        console
            .harness
            .get_all_by_label_contains("Online · synced")
            .count(),
        2,
        "the top bar and the Sync view"
    );
    console.harness.get_by_label("ada · admin");
}

/// Signs in to `url` as ada through the Sync view's dialog, and steps until `done`.
fn sign_in_through_the_dialog(
    console: &mut Console,
    url: &str,
    done: impl Fn(&[&mut Console]) -> bool,
) {
    sign_in_as(console, url, "ada", done);
}

/// Signs in to `url` as `user` through the Sync view's dialog, and steps until `done`.
fn sign_in_as(
    console: &mut Console,
    url: &str,
    user: &str,
    done: impl Fn(&[&mut Console]) -> bool,
) {
    open_view(console, View::Sync);
    let h = &mut console.harness;
    h.get_by_label("Sign in to the server…").click();
    h.run();
    h.get_by_label("Server").set_text_value_accesskit(url);
    h.get_by_label("User").set_text_value_accesskit(user);
    h.get_by_label("Password")
        .set_text_value_accesskit(support::PASSWORD);
    h.run();
    h.get_by_label("Sign in").click();
    h.step();
    step_until(&mut [console], 20, "not done after signing in", done);
    console.harness.run();
}

/// A server put back to a copy taken before this console's first sync: signed in again, the
/// console sends again what it had sent, and the Sync view says what happened.
#[test]
fn a_console_finds_its_server_restored_from_a_copy_and_sends_again_what_it_lacks() {
    let server_dir = tempfile::tempdir().unwrap();
    let db = server_dir.path().join("server.sqlite");
    let copy = server_dir.path().join("copy.sqlite");
    let (runtime, url) = support::start_server(server_dir.path());
    galaxium_server::backup::take(&db, &copy).unwrap();
    let mut console = console();
    // Synced, and the sync's run read for the screens.
    sign_in_through_the_dialog(&mut console, &url, |c| {
        let state = c[0].harness.state();
        !state.reading()
            && state
                .snapshot()
                .is_some_and(|s| s.sync_runs.first().is_some_and(|run| run.pushed > 0))
    });
    let sent = console.harness.state().snapshot().unwrap().sync_runs[0].pushed;

    // The server stops, is put back to the copy, and starts again (at another port).
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    galaxium_server::backup::restore(&copy, &db).unwrap();
    let (_runtime, url) = support::serve_database(&db);
    sign_in_through_the_dialog(&mut console, &url, |c| {
        let state = c[0].harness.state();
        state.sync_status().server_restored.is_some()
            && !state.reading()
            && state.snapshot().is_some_and(|s| s.pending_ops == 0)
    });
    let h = &mut console.harness;
    h.get_by_label_contains("Server restored from a copy: at ");
    h.get_by_label_contains(&format!("the {sent} changes it had sent since"));
    let snapshot = h.state().snapshot().unwrap();
    assert_eq!(snapshot.pending_ops, 0);
    assert!(snapshot.conflicts.is_empty(), "{:?}", snapshot.conflicts);
}

fn open_view(console: &mut Console, view: View) {
    let shortcut = galaxium::console::UiCommand::ShowView(view)
        .shortcut()
        .unwrap();
    console
        .harness
        .key_press_modifiers(shortcut.modifiers, shortcut.logical_key);
    console.harness.run();
    assert_eq!(console.harness.state().settings().view, view);
}

#[test]
fn a_seat_is_held_from_the_seat_map_then_confirmed() {
    let mut console = console();
    open_view(&mut console, View::Launches);
    console.harness.get_by_label("GX-14 Sunrise Orbit").click();
    console.harness.run();
    // The list row and the heading of the launch page.
    assert_eq!(
        console
            .harness
            .get_all_by_label("GX-14 Sunrise Orbit")
            .count(),
        2
    );
    // Seat 1C is sold; 1B is free.
    console
        .harness
        .get_by_label("Seat 1C, window, confirmed: Ines Moreau (R6PWYD)");
    console
        .harness
        .get_by_label("Seat 1B, middle, free")
        .click();
    console.harness.run();
    console.harness.get_by_label("Sell 1B");
    // Nothing to hold until a passenger sits in the seat.
    assert!(
        console
            .harness
            .get_by_label("Hold 1 seat (15 min)")
            .accesskit_node()
            .is_disabled()
    );
    console
        .harness
        .get(
            egui_kittest::kittest::by()
                .label("Seat 1B")
                .role(egui::accesskit::Role::ComboBox),
        )
        .click();
    console.harness.run();
    console.harness.get_by_label("Dana Okafor").click();
    console.harness.run();
    console.harness.get_by_label("Hold 1 seat (15 min)").click();
    console.harness.run();

    let held = console
        .harness
        .get_by_label_contains("Held under ")
        .accesskit_node()
        .value()
        .unwrap()
        .trim_start_matches("Held under ")
        .to_owned();
    console.harness.get_by_label_contains("Hold expires in 1");
    assert!(
        console
            .harness
            .query_by_label_contains(&format!(
                "Seat 1B, middle, held: Dana Okafor ({held}), held until"
            ))
            .is_some()
    );

    console.harness.get_by_label("Confirm booking").click();
    console.harness.run();
    console
        .harness
        .get_by_label(&format!("Seat 1B, middle, confirmed: Dana Okafor ({held})"));
    console
        .harness
        .get_by_label_contains(&format!("Confirmed 1 booking(s) under {held}"));
    let detail = console.harness.state().bookings().detail.clone().unwrap();
    let booking = detail.bookings.iter().find(|b| b.locator == held).unwrap();
    assert_eq!(booking.seat_id.as_deref(), Some("1B"));
    assert_eq!(booking.status.as_str(), "confirmed");
    // The sale waits in the outbox for the next sync.
    assert!(console.harness.state().snapshot().unwrap().pending_ops > 0);
}

#[test]
fn the_check_in_desk_checks_a_ready_passenger_in_and_refuses_one_who_is_not() {
    let mut console = console();
    open_view(&mut console, View::CheckIn);
    console
        .harness
        .get_by_role(egui::accesskit::Role::TextInput)
        .focus();
    console.harness.run();
    console
        .harness
        .get_by_role(egui::accesskit::Role::TextInput)
        .type_text("qx7t2m");
    console.harness.run();
    console.harness.get_by_label("Find").click();
    console.harness.run();
    console.harness.get_by_label_contains("GX-13 Dawn Patrol");
    console.harness.get_by_label_contains("Check-in open until");
    console
        .harness
        .get_by_label("NO-GO: the waiver is not signed");

    console.harness.get_by_label("Check in all ready").click();
    console.harness.run();
    console.harness.get_by_label("Ada Quist: checked in");
    console
        .harness
        .get_by_label("REFUSED Bruno Castell: the waiver is not signed");
    let (bookings, _) = console.harness.state().bookings().desk.clone().unwrap();
    let status = |name: &str| {
        bookings
            .iter()
            .find(|b| b.passenger_name == name)
            .unwrap()
            .status
            .as_str()
    };
    assert_eq!(status("Ada Quist"), "checked_in");
    assert_eq!(status("Bruno Castell"), "confirmed");
}

/// Types `text` into the desk's field and presses Enter, as a person or a USB scanner does.
fn type_at_desk(console: &mut Console, field: &str, text: &str) {
    console.harness.get_by_label(field).focus();
    console.harness.run();
    console.harness.get_by_label(field).type_text(text);
    console.harness.run();
    console.harness.key_press(Key::Enter);
    console.harness.run();
    console.harness.run();
}

#[test]
fn the_desk_finds_a_passenger_by_surname_and_a_supervisor_overrides_their_no_go() {
    let mut console = console();
    open_view(&mut console, View::CheckIn);
    type_at_desk(&mut console, "Locator, surname or document", "castell");
    console
        .harness
        .get_by_label("1 booking(s) for \"castell\":");
    console.harness.get_by_label("Open QX7T2M").click();
    console.harness.run();
    console.harness.run();
    console
        .harness
        .get_by_label("NO-GO: the waiver is not signed");
    // One passenger at a time: Ada alone, Bruno stays as he was.
    console.harness.get_by_label("Check in Ada").click();
    console.harness.run();
    console.harness.get_by_label("Ada Quist: checked in");
    assert!(
        console
            .harness
            .query_by_label_contains("REFUSED Bruno")
            .is_none()
    );
    // The local operator owns the replica and acts as the desk's supervisor.
    console.harness.get_by_label("Override for Bruno…").click();
    console.harness.run();
    console
        .harness
        .get_by_label("Waives: the waiver is not signed");
    console.harness.get_by_label("Reason").focus();
    console.harness.run();
    console
        .harness
        .get_by_label("Reason")
        .type_text("waiver signed on paper at the desk");
    console.harness.run();
    console.harness.get_by_label("Check in over NO-GO").click();
    console.harness.run();
    console.harness.run();
    let said = console.harness.state().notice().unwrap().text.clone();
    assert_eq!(
        said,
        "Checked in Bruno Castell by local operator's supervisor override: waiver signed on paper at the desk."
    );
    let (bookings, _) = console.harness.state().bookings().desk.clone().unwrap();
    assert!(bookings.iter().all(|b| b.status.as_str() == "checked_in"));
}

/// The QR code of a boarding pass PDF, decoded as a gate scanner would.
fn qr_of(pdf: &[u8]) -> String {
    let document = lopdf::Document::load_mem(pdf).unwrap();
    let image = document
        .objects
        .values()
        .find_map(|object| {
            let stream = object.as_stream().ok()?;
            let subtype = stream.dict.get(b"Subtype").ok()?.as_name().ok()?;
            (subtype == b"Image").then_some(stream)
        })
        .unwrap();
    let side = usize::try_from(image.dict.get(b"Width").unwrap().as_i64().unwrap()).unwrap();
    let scale = 5;
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(side * scale, side * scale, |x, y| {
            image.content[(y / scale) * side + x / scale]
        });
    prepared.detect_grids()[0].decode().unwrap().1
}

#[test]
fn a_boarding_pass_printed_at_the_desk_boards_its_passenger_at_the_gate_once() {
    let mut console = console();
    open_view(&mut console, View::CheckIn);
    type_at_desk(&mut console, "Locator, surname or document", "TW9GXA");
    console
        .harness
        .get_by_label("Boarding pass for Farah")
        .click();
    console.harness.run();
    let said = console.harness.state().notice().unwrap().text.clone();
    let path = said
        .strip_prefix("Boarding pass written to ")
        .and_then(|rest| rest.strip_suffix('.'))
        .unwrap_or_else(|| panic!("{said}"));
    let pdf = std::fs::read(path).unwrap();
    let scanned = qr_of(&pdf);
    assert!(scanned.starts_with("GXBP1."), "{scanned}");

    console.harness.get_by_label("Gate").click();
    console.harness.run();
    console.harness.run();
    console.harness.run();
    // The gate opens on the launch that is boarding.
    let gate = console.harness.state().bookings().gate.clone().unwrap();
    assert_eq!(gate.mission, "GX-12 Twilight Hop");
    console
        .harness
        .get_by_label("Boarded 1 · checked in 3 · expected 3");
    assert_eq!(
        console
            .harness
            .query_all_by_label("checked in, not at the gate")
            .count(),
        2,
        "Farah and Gustavo"
    );
    type_at_desk(&mut console, "Scan the boarding pass", &scanned);
    console.harness.get_by_label("BOARDED Farah Haddad");
    console.harness.get_by_label("Seat 1B");
    console
        .harness
        .get_by_label("Boarded 2 · checked in 3 · expected 3");
    console.harness.get_by_label("checked in, not at the gate");
    // The same pass again, then an altered one.
    type_at_desk(&mut console, "Scan the boarding pass", &scanned);
    console.harness.get_by_label("REFUSED");
    console
        .harness
        .get_by_label("Farah Haddad already boarded: this pass was used");
    let altered = scanned.replace(".1B.", ".2A.");
    type_at_desk(&mut console, "Scan the boarding pass", &altered);
    console
        .harness
        .get_by_label("The pass is forged or altered: its signature does not match what it says");
}

const ISS_2008: &str = "ISS (ZARYA)
1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927
2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537
";

/// Clicks the text field labelled `label` and pastes `text` into it, as a user would from the
/// clipboard (a paste keeps line breaks, which typed text events do not).
fn paste_into(console: &mut Console, label: &str, role: egui::accesskit::Role, text: &str) {
    console
        .harness
        .get(egui_kittest::kittest::by().label(label).role(role))
        .click();
    console.harness.run();
    console.harness.event(egui::Event::Paste(text.to_owned()));
    console.harness.run();
}

fn paste_and_import(console: &mut Console, text: &str) {
    console.harness.get_by_label("Import element sets…").click();
    console.harness.run();
    paste_into(
        console,
        "Or paste the element sets",
        egui::accesskit::Role::MultilineTextInput,
        text,
    );
    console.harness.get_by_label("Import").click();
    console.harness.run();
}

#[test]
fn the_orbit_view_tracks_the_demo_vehicle_with_its_passes_and_light() {
    let mut console = console();
    open_view(&mut console, View::Orbit);
    let h = &console.harness;
    h.get_by_label("Tracked objects");
    // The crewed vehicle is selected first: its card and the heading.
    assert_eq!(h.get_all_by_label("AURORA (GX-CREW)").count(), 2);
    h.get_by_label("crewed vehicle Aurora");
    h.get_by_label("Position");
    h.get_by_label("Sunlight");
    let light = h
        .query_all_by_label_contains(" in ")
        .filter_map(|n| n.accesskit_node().value())
        .find(|v| {
            ["Sunlit\n", "Eclipse\n", "Penumbra\n"]
                .iter()
                .any(|s| v.starts_with(s))
        });
    assert!(
        light.is_some(),
        "the light state with a countdown to its change"
    );
    h.get_by_label("Ground-track map");
    h.get_by_label("Sky plot");
    h.get_by_label("Passes, next 24 h");
    // Every demo station has a row; a 51.6° orbit never reaches Svalbard's sky.
    for station in ["Fairbanks", "Hartebeesthoek", "Svalbard", "Wallops"] {
        h.get_by_label(station);
    }
    h.get_by_label("none in 24 h");
    // Each reachable station shows its next AOS, or its LOS while the vehicle is overhead.
    let countdowns = h.query_all_by_label_contains("AOS in ").count()
        + h.query_all_by_label_contains("LOS in ").count();
    assert!(countdowns >= 3, "{countdowns} station countdowns");

    // Another object: its name becomes the heading.
    console.harness.get_by_label("GX-RELAY 2").click();
    console.harness.run();
    assert_eq!(console.harness.get_all_by_label("GX-RELAY 2").count(), 2);
    assert_eq!(
        console.harness.get_all_by_label("AURORA (GX-CREW)").count(),
        1
    );
}

#[test]
fn element_sets_pasted_into_the_orbit_view_are_tracked_and_a_stale_one_is_flagged() {
    let mut console = console();
    open_view(&mut console, View::Orbit);
    paste_and_import(&mut console, ISS_2008);
    let h = &console.harness;
    h.get_by_label_contains("Imported 1 element set: ISS (ZARYA). Stale");
    h.get_by_label("ISS (ZARYA)");
    h.get_by_label_contains("STALE: epoch");

    // A bad set is refused whole, naming the line and columns; nothing is added.
    let bad = ISS_2008.replace("51.6416", "51.6x16");
    paste_and_import(&mut console, &format!("{ISS_2008}{bad}"));
    // Said inside the dialog, which stays open with the pasted text to correct.
    console.harness.get_by_label_contains(
        "Nothing was imported: pasted text was not imported: line 6, columns 69-69: checksum",
    );
    assert!(
        console
            .harness
            .get_all_by_value(&format!("{ISS_2008}{bad}"))
            .next()
            .is_some(),
        "the pasted text is kept"
    );
    let replica = Replica::open(&console.data.replica(), &OpenOptions::default()).unwrap();
    let sets: i64 = replica
        .read("counting", |c| {
            c.query_row(
                "SELECT count(*) FROM element_sets WHERE demo = 0",
                [],
                |r| r.get(0),
            )
        })
        .unwrap();
    assert_eq!(sets, 1);
}

#[test]
fn a_ground_station_added_in_the_orbit_view_joins_the_passes_table() {
    let mut console = console();
    open_view(&mut console, View::Orbit);
    console.harness.get_by_label("Ground stations…").click();
    console.harness.run();
    console.harness.get_by_label("Add a station").click();
    console.harness.run();
    let fill = |console: &mut Console, label: &str, text: &str| {
        paste_into(console, label, egui::accesskit::Role::TextInput, text);
    };
    fill(&mut console, "Name", "Kiruna");
    fill(&mut console, "Latitude (° N)", "67.857");
    // A bad field says what is wrong and keeps Save disabled.
    fill(&mut console, "Longitude (° E)", "east");
    console
        .harness
        .get_by_label("Longitude: \"east\" is not a number");
    assert!(
        console
            .harness
            .get_by_label("Save station")
            .accesskit_node()
            .is_disabled()
    );
    // Select what was typed and paste the right value over it.
    fill(&mut console, "Longitude (° E)", "");
    console
        .harness
        .key_press_modifiers(Modifiers::COMMAND, Key::A);
    console
        .harness
        .event(egui::Event::Paste("20.964".to_owned()));
    console.harness.run();
    fill(&mut console, "Altitude (m)", "2");
    console.harness.get_by_label("Save station").click();
    console.harness.run();
    console
        .harness
        .get_by_label_contains("Saved ground station Kiruna");
    // The new station has a row in the dialog's list and in the passes table, where (at 67.9° N,
    // beyond what a 51.6° orbit shows above a 10° mask) it joins Svalbard with no pass.
    assert_eq!(console.harness.get_all_by_label("Kiruna").count(), 2);
    console.harness.get_by_label("Remove Kiruna");
    assert_eq!(console.harness.get_all_by_label("none in 24 h").count(), 2);
}

#[test]
fn an_injected_critical_value_reaches_the_banner_and_is_acknowledged_with_a_comment() {
    use galaxium::ops::telemetry::alarms::AlarmState;

    let mut console = console();
    console.harness.run();
    console.harness.get_by_label("No alarms");
    raise_critical_ppco2(&mut console);
    console.harness.run();
    console.harness.get_by_label_contains(
        "CRITICAL ls.ppco2 1.400 kPa above 1 · unacknowledged · 1 alarm, 1 unacknowledged",
    );
    console.harness.get_by_label("Open alarms").click();
    console.harness.run();
    assert_eq!(console.harness.state().settings().view, View::Mission);

    console.harness.get_by_label("Acknowledge ls.ppco2").click();
    console.harness.run();
    paste_into(
        &mut console,
        "Comment (logged with the acknowledgement)",
        egui::accesskit::Role::TextInput,
        "scrubber bed B selected",
    );
    console
        .harness
        .get_by_label("Acknowledge with comment")
        .click();
    console.harness.run();

    let tm = console.harness.state().telemetry().unwrap();
    let alarm = tm.board().get("ls.ppco2").unwrap();
    assert_eq!(alarm.state, AlarmState::AckActive);
    assert_eq!(
        alarm.acknowledged,
        Some((
            "local operator".to_owned(),
            "scrubber bed B selected".to_owned()
        ))
    );
    assert!(
        tm.board()
            .log()
            .iter()
            .any(|e| e.what == "acknowledged by local operator: scrubber bed B selected")
    );
    console.harness.get_by_label_contains(
        "CRITICAL ls.ppco2 1.400 kPa above 1 · acknowledged · 1 alarm, 0 unacknowledged",
    );
    // The event log on the screen has it too.
    console
        .harness
        .get_by_label_contains("ls.ppco2 acknowledged by local operator: scrubber bed B selected");
}

#[test]
fn a_recording_plays_in_the_mission_view_and_a_bad_one_is_refused_by_line() {
    use galaxium::ops::telemetry::SourceKind;

    let mut console = console();
    let good = console.data.root().join("pass-1.csv");
    let start = Utc::now() - chrono::Duration::seconds(30);
    let mut text = String::from("time,channel,value\n");
    for k in 0..20_i32 {
        let t = (start + chrono::Duration::seconds(i64::from(k))).to_rfc3339();
        let value = 101.0 + 0.01 * f64::from(k);
        text = format!("{text}{t},ls.cabin_pressure,{value}\n");
    }
    std::fs::write(&good, text).unwrap();
    let bad = console.data.root().join("pass-2.csv");
    std::fs::write(
        &bad,
        "time,channel,value\nyesterday,ls.cabin_pressure,101\n",
    )
    .unwrap();

    open_view(&mut console, View::Mission);
    let play = |console: &mut Console, path: &std::path::Path| {
        console.harness.get_by_label("Recording…").click();
        console.harness.run();
        let path = path.display().to_string();
        paste_into(console, "File", egui::accesskit::Role::TextInput, &path);
        console.harness.get_by_label("Play").click();
        console.harness.run();
        console.harness.run();
    };

    play(&mut console, &bad);
    console.harness.get_by_label_contains(
        "pass-2.csv was not played: line 2: time \"yesterday\" is neither an RFC 3339 time nor Unix seconds",
    );
    assert_eq!(
        console.harness.state().telemetry().unwrap().source_kind(),
        SourceKind::Simulated
    );

    play(&mut console, &good);
    console.harness.get_by_label_contains("Telemetry: playing");
    let tm = console.harness.state().telemetry().unwrap();
    assert_eq!(tm.source_kind(), SourceKind::Playback);
    // The first sample is handed out at once; the header says where the data comes from.
    let index = tm.index_of("ls.cabin_pressure").unwrap();
    assert!((tm.series(index).last().unwrap().1 - 101.0).abs() < 1e-3);
    assert!(
        console
            .harness
            .query_all_by_label_contains("PLAYBACK")
            .count()
            >= 1
    );
    console.harness.get_by_label("Pause");
}

#[test]
fn the_comms_panel_shows_each_ground_stations_link_from_the_pass_predictions() {
    let mut console = console();
    open_view(&mut console, View::Mission);
    console.harness.get_by_label("Comms").click();
    console.harness.run();
    console.harness.get_by_label("Ground stations");
    for station in ["Fairbanks", "Hartebeesthoek", "Svalbard", "Wallops"] {
        console.harness.get_by_label(station);
    }
    // A 51.6° orbit never reaches Svalbard's sky; the others have a next contact or a link.
    console.harness.get_by_label("no contact in 24 h");
    let links = console
        .harness
        .query_all_by_label_contains("next AOS")
        .count()
        + console
            .harness
            .query_all_by_label_contains("LOS in")
            .count();
    assert_eq!(links, 3);
    // The downlink channels say why their values are low while no station has the vehicle.
    assert!(
        console
            .harness
            .query_all_by_label_contains("com.signal_strength")
            .count()
            >= 1
    );
}

#[test]
fn a_console_follows_the_servers_live_feed_and_its_alarms() {
    use galaxium::ops::telemetry::SourceKind;
    use galaxium_sync::client::SyncClient;
    use galaxium_sync::protocol::{TelemetryBatch, TelemetryPoint};
    use galaxium_sync::replica::SignIn;

    let dir = tempfile::tempdir().unwrap();
    let (runtime, url) = support::start_server(dir.path());
    let mut client = SyncClient::new(&url).unwrap();
    let login = runtime
        .block_on(client.login("ada", support::PASSWORD))
        .unwrap();
    let mut console = console();
    // Choosing the live feed before signing in says what to do, and changes nothing.
    open_view(&mut console, View::Mission);
    console.harness.get_by_label("Live feed").click();
    console.harness.run();
    console
        .harness
        .get_by_label_contains("Sign in to the server on the Sync screen (Ctrl+9) first");
    assert_eq!(
        console.harness.state().telemetry().unwrap().source_kind(),
        SourceKind::Simulated
    );

    // Signed in (the token kept in the replica, as the Sync screen keeps it).
    {
        let mut replica = Replica::open(&console.data.replica(), &OpenOptions::default()).unwrap();
        replica
            .keep_sign_in(Some(&SignIn {
                server: url.clone(),
                user: "ada".to_owned(),
                role: login.role.clone(),
                token: login.token.clone(),
                expires_at: login.expires_at.clone(),
            }))
            .unwrap();
    }
    console.harness.get_by_label("Live feed").click();
    console.harness.run();
    console
        .harness
        .get_by_label_contains("Telemetry: following the live feed of");
    let connected = |console: &Console| {
        console
            .harness
            .state()
            .telemetry()
            .and_then(galaxium::ops::telemetry::Telemetry::live_status)
            .is_some_and(|s| {
                matches!(
                    s.link,
                    galaxium::ops::telemetry::live::LiveLink::Connected { .. }
                )
            })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !connected(&console) {
        assert!(
            std::time::Instant::now() < deadline,
            "the live feed connects"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
        console.harness.step();
    }

    // A ground-segment producer sends a cabin-pressure drop, three samples in a row.
    let now = Utc::now().timestamp_millis() as f64 / 1000.0;
    let batch = TelemetryBatch {
        points: (0..3)
            .map(|k| TelemetryPoint {
                t: now + f64::from(k) * 0.1,
                channel: "ls.cabin_pressure".to_owned(),
                value: 80.0,
            })
            .chain(std::iter::once(TelemetryPoint {
                t: now,
                channel: "gse.unknown_sensor".to_owned(),
                value: 1.0,
            }))
            .collect(),
    };
    runtime.block_on(client.post_telemetry(&batch)).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while console
        .harness
        .query_all_by_label_contains("CRITICAL ls.cabin_pressure")
        .next()
        .is_none()
    {
        assert!(std::time::Instant::now() < deadline, "the alarm shows");
        std::thread::sleep(std::time::Duration::from_millis(20));
        console.harness.step();
    }
    console.harness.run();
    // The header says the data is live; the channel the dictionary lacks is named.
    assert!(console.harness.query_all_by_label_contains("LIVE").count() >= 1);
    console
        .harness
        .get_by_label_contains("not in the dictionary, dropped: gse.unknown_sensor");
    let tm = console.harness.state().telemetry().unwrap();
    let index = tm.index_of("ls.cabin_pressure").unwrap();
    assert!((tm.series(index).last().unwrap().1 - 80.0).abs() < 1e-9);
}

#[test]
fn a_critical_alarm_sounds_the_tone_which_can_be_muted_and_the_mute_shows() {
    use galaxium::ops::telemetry::Sample;
    use galaxium::ops::telemetry::tone::TonePattern;

    let mut console = console();
    console.harness.run();
    assert_eq!(console.harness.state().tone_sounding(), None);
    assert!(console.harness.query_by_label("Mute tone").is_none());
    {
        let tm = console.harness.state_mut().telemetry_mut().unwrap();
        assert!(tm.inject("ls.ppco2", Some(1.4)));
        let index = tm.index_of("ls.ppco2").unwrap();
        let t = tm.series(index).last().unwrap().0;
        for k in 1..=3 {
            tm.ingest(Sample {
                channel: index,
                t: t + f64::from(k) * 0.001,
                value: 1.4,
            });
        }
    }
    console.harness.run();
    assert_eq!(
        console.harness.state().tone_sounding(),
        Some(TonePattern::Critical)
    );
    console.harness.get_by_label("critical tone");
    // This console has no sound device: the banner says so rather than pretend.
    console.harness.get_by_label("no sound");

    console.harness.get_by_label("Mute tone").click();
    console.harness.run();
    assert_eq!(console.harness.state().tone_sounding(), None);
    console.harness.get_by_label("TONE MUTED");
    let log = console.harness.state().telemetry().unwrap().board().log();
    assert!(
        log.iter()
            .any(|e| e.what.starts_with("alarm tone muted by"))
    );

    console.harness.get_by_label("TONE MUTED").click();
    console.harness.run();
    assert!(console.harness.query_by_label("TONE MUTED").is_none());
    assert_eq!(
        console.harness.state().tone_sounding(),
        Some(TonePattern::Critical)
    );
}

/// The share of the Mission layout's left column.
fn left_share(layout: &egui_tiles::Tree<galaxium::views::mission::MissionPane>) -> f32 {
    use egui_tiles::{Container, Tile};
    let root = layout.root().unwrap();
    let Some(Tile::Container(Container::Linear(linear))) = layout.tiles.get(root) else {
        panic!("the root is a row of columns");
    };
    let total: f32 = linear.children.iter().map(|c| linear.shares[*c]).sum();
    linear.shares[linear.children[0]] / total
}

#[test]
fn the_mission_panels_can_be_arranged_and_the_arrangement_is_kept_per_user() {
    use egui_tiles::{Container, Tile};
    use galaxium::views::mission::{MissionPane, layout_from_json};

    const KEY: &str = "mission_layout.local operator";
    let mut console = console();
    open_view(&mut console, View::Mission);
    for pane in MissionPane::ALL {
        console.harness.get_by_label(pane.title());
    }
    let default_share = left_share(
        console
            .harness
            .state_mut()
            .mission_state_mut()
            .layout
            .as_ref()
            .unwrap(),
    );
    assert!((default_share - 0.36).abs() < 1e-3, "{default_share}");

    // The user drags the column border: the left column takes half the width.
    {
        let layout = console
            .harness
            .state_mut()
            .mission_state_mut()
            .layout
            .as_mut()
            .unwrap();
        let root = layout.root().unwrap();
        if let Some(Tile::Container(Container::Linear(linear))) = layout.tiles.get_mut(root) {
            let (left, right) = (linear.children[0], linear.children[1]);
            linear.shares.set_share(left, 1.0);
            linear.shares.set_share(right, 1.0);
        }
    }
    console.harness.run();
    let saved = Replica::open(&console.data.replica(), &OpenOptions::default())
        .unwrap()
        .preference(KEY)
        .unwrap()
        .expect("the layout is kept in the replica");
    assert!((left_share(&layout_from_json(&saved).unwrap()) - 0.5).abs() < 1e-3);

    // The next console on this replica opens with it.
    let reopen = |data: &DataDir| {
        let replica = Replica::open(&data.replica(), &OpenOptions::default()).unwrap();
        let mut harness = harness_on(replica, data);
        harness.key_press_modifiers(Modifiers::COMMAND, Key::Num6);
        harness.run();
        harness
    };
    let mut again = reopen(&console.data);
    let share = left_share(
        again
            .state_mut()
            .mission_state_mut()
            .layout
            .as_ref()
            .unwrap(),
    );
    assert!((share - 0.5).abs() < 1e-3, "{share}");

    // Reset puts the panels back, and that is kept too.
    again.get_by_label("Reset layout").click();
    again.run();
    let share = left_share(
        again
            .state_mut()
            .mission_state_mut()
            .layout
            .as_ref()
            .unwrap(),
    );
    assert!((share - 0.36).abs() < 1e-3, "{share}");
    drop(again);

    // A layout that cannot be read (written by a broken tool, say) gives way to the default.
    Replica::open(&console.data.replica(), &OpenOptions::default())
        .unwrap()
        .set_preference(KEY, "{not a layout")
        .unwrap();
    let mut broken = reopen(&console.data);
    let share = left_share(
        broken
            .state_mut()
            .mission_state_mut()
            .layout
            .as_ref()
            .unwrap(),
    );
    assert!((share - 0.36).abs() < 1e-3, "{share}");
    broken.get_by_label("Plots");
}

#[test]
fn a_critical_alarm_opens_an_incident_worked_through_its_runbook_to_closed() {
    use galaxium::ops::incidents::IncidentStatus;
    use galaxium::ops::telemetry::Sample;

    let mut console = console();
    console.harness.run();
    {
        let tm = console.harness.state_mut().telemetry_mut().unwrap();
        assert!(tm.inject("ls.cabin_pressure", Some(60.0)));
        let index = tm.index_of("ls.cabin_pressure").unwrap();
        let t = tm.series(index).last().unwrap().0;
        for k in 1..=3 {
            tm.ingest(Sample {
                channel: index,
                t: t + f64::from(k) * 0.001,
                value: 60.0,
            });
        }
    }
    console.harness.run();
    console
        .harness
        .get_by_label_contains("opened: Cabin depressurisation. See Incidents (Ctrl+8).");
    open_view(&mut console, View::Incidents);
    console.harness.get_by_label("ACTIVE · 1");
    console
        .harness
        .get_by_label("Cabin depressurisation")
        .click();
    console.harness.run();

    // The runbook for a depressurisation is ready; ticking a step says who and when.
    console
        .harness
        .get_by_label_contains("1. Confirm the drop on two independent sensors")
        .click();
    console.harness.run();
    console
        .harness
        .get_by_label_contains("Step 1 done: Confirm the drop");
    console.harness.get_by_label("1 of 8 steps done");

    // Closing straight from ACTIVE is not offered; stable first, then close.
    assert!(console.harness.query_by_label("Close").is_none());
    console.harness.get_by_label("Mark stable").click();
    console.harness.run();
    console.harness.get_by_label("Close").click();
    console.harness.run();
    let incidents = console.harness.state().incident_list();
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0].status, IncidentStatus::Closed);
    assert_eq!(incidents[0].severity, "SEV1");
    let reference = incidents[0].reference.clone();
    console.harness.get_by_label("Reopen");

    // The report exports as a PDF with progress; the list as CSV.
    console.harness.get_by_label("Report").click();
    console.harness.run();
    // The preview shows the regulatory summary the PDF will open with.
    console.harness.get_by_label(
        "Notifiable occurrence (SEV1 or SEV2): report to the regulator within 72 hours.",
    );
    // Typed and not saved: the PDF is of the text on screen, so Export saves it first.
    console
        .harness
        .get(
            egui_kittest::kittest::by()
                .label("Conditions")
                .role(egui::accesskit::Role::MultilineTextInput),
        )
        .set_text_value_accesskit("Cabin at 60 kPa, crew in suits");
    console.harness.run();
    console
        .harness
        .get_by_label_contains("Your edits below are saved first");
    console.harness.get_by_label("Export PDF").click();
    // The progress bar animates while the export runs: step, do not wait to settle.
    console.harness.step();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while console.harness.state().exporting_report() {
        assert!(std::time::Instant::now() < deadline, "the export finishes");
        std::thread::sleep(std::time::Duration::from_millis(50));
        console.harness.step();
    }
    console.harness.run();
    console
        .harness
        .get_by_label_contains(&format!("{reference} report written to"));
    let pdf = std::fs::read(
        console
            .data
            .exports()
            .join(format!("{reference}-report.pdf")),
    )
    .unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(
        console.harness.state().incident_list()[0].conditions,
        "Cabin at 60 kPa, crew in suits",
        "what was on screen was saved with the export"
    );
    console.harness.get_by_label("All incidents").click();
    console.harness.run();
    console.harness.get_by_label("Export list (CSV)").click();
    console.harness.run();
    console
        .harness
        .get_by_label_contains("1 incident written to");
}

#[test]
fn a_drill_from_the_mission_view_is_marked_everywhere_and_its_incident_stays_local() {
    use galaxium::ops::telemetry::Sample;

    let mut console = console();
    open_view(&mut console, View::Mission);
    console.harness.get_by_label("Drill").click();
    console.harness.run();
    console.harness.get_by_label("Cabin pressure drop").click();
    console.harness.run();
    console
        .harness
        .get_by_label_contains("DRILL: Cabin pressure drop (ls.cabin_pressure toward 88");
    // The leak takes half a minute to reach the critical limit; the test hurries it along
    // with the values it would reach (the channel is the drill's, so they are the drill's).
    {
        let tm = console.harness.state_mut().telemetry_mut().unwrap();
        assert!(tm.drilling());
        let index = tm.index_of("ls.cabin_pressure").unwrap();
        let t = tm.series(index).last().unwrap().0;
        for k in 1..=4 {
            tm.ingest(Sample {
                channel: index,
                t: t + f64::from(k) * 0.001,
                value: 90.0,
            });
        }
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while console.harness.state().incident_list().is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the drill opens an incident"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
        console.harness.step();
    }
    console.harness.run();
    let incident = console.harness.state().incident_list()[0].clone();
    assert_eq!(incident.title, "DRILL — Cabin depressurisation");
    assert_eq!(
        incident.source.as_deref(),
        Some("drill:rule:cabin-pressure")
    );
    let replica = Replica::open_existing(&console.data.replica()).unwrap();
    assert!(replica.is_kept_local("incidents", &incident.id).unwrap());
    // The banner, the alarm and the log all say DRILL; the drill's colour, not the alarm's.
    console
        .harness
        .get_by_label_contains("DRILL · CRITICAL ls.cabin_pressure");
    console.harness.get_by_label(" DRILL ");
    let log = console.harness.state().telemetry().unwrap().board().log();
    assert!(
        log.iter()
            .any(|e| e.drill && e.what.starts_with("started by"))
    );
    assert!(
        log.iter()
            .any(|e| e.drill && e.channel == "ls.cabin_pressure")
    );
}

#[test]
fn a_trainee_acknowledges_the_alarm_a_scenario_fault_raises() {
    use galaxium::ops::telemetry::alarms::AlarmState;

    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::at(dir.path());
    let mut replica = Replica::open(
        &data.replica(),
        &OpenOptions {
            kind_if_new: ReplicaKind::Training,
        },
    )
    .unwrap();
    galaxium::ops::training::prepare(&mut replica, "power-bus-fault-eclipse").unwrap();
    let mut console = Console {
        harness: harness_on(replica, &data),
        _dir: dir,
        data,
    };
    console
        .harness
        .get_by_label("TRAINING · sandbox replica · nothing here is operational data");
    open_view(&mut console, View::Mission);
    console
        .harness
        .get_by_label_contains("Scenario: Power-bus fault during eclipse");
    // The trainer brings the regulator's noise, then its failure, forward.
    for _ in 0..2 {
        console.harness.get_by_label("Next event now").click();
        console.harness.run();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while console
        .harness
        .state()
        .telemetry()
        .unwrap()
        .board()
        .get("pwr.bus_voltage")
        .is_none()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the fault raises an alarm"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
        console.harness.step();
    }
    console.harness.run();
    console
        .harness
        .get_by_label_contains("CRITICAL pwr.bus_voltage 23.600 V below 24");
    console
        .harness
        .get_by_label("Acknowledge pwr.bus_voltage")
        .click();
    console.harness.run();
    paste_into(
        &mut console,
        "Comment (logged with the acknowledgement)",
        egui::accesskit::Role::TextInput,
        "shedding non-essential loads",
    );
    console
        .harness
        .get_by_label("Acknowledge with comment")
        .click();
    console.harness.run();
    let alarm = console
        .harness
        .state()
        .telemetry()
        .unwrap()
        .board()
        .get("pwr.bus_voltage")
        .unwrap()
        .clone();
    assert_eq!(alarm.state, AlarmState::AckActive);
    assert_eq!(
        alarm.acknowledged.map(|(_, comment)| comment).as_deref(),
        Some("shedding non-essential loads")
    );
    // The trainer sees the response scored: acknowledged in time; the incident (opened by
    // the alarm) counts too (enabling bus B, the third response, is not done here).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while console
        .harness
        .query_all_by_label_contains("Responses: 2.0 of 3 points")
        .next()
        .is_none()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the responses are scored"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
        console.harness.step();
    }
}

/// Runs the `galaxium` command line on `data` with the test password.
fn galaxium_cli(data: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_galaxium"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("GALAXIUM_DATA")
        .env("GALAXIUM_PASSWORD", support::PASSWORD)
        .output()
        .unwrap()
}

/// A console on the replica in `data` (as `galaxium --data DIR` opens it).
fn console_on(root: &std::path::Path) -> Console {
    let data = DataDir::at(root);
    let replica = Replica::open(&data.replica(), &OpenOptions::default()).unwrap();
    Console {
        harness: harness_on(replica, &data),
        _dir: tempfile::tempdir().unwrap(),
        data,
    }
}

/// Steps every console until `done` holds, or fails after `seconds`.
fn step_until(
    consoles: &mut [&mut Console],
    seconds: u64,
    what: &str,
    done: impl Fn(&[&mut Console]) -> bool,
) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while !done(consoles) {
        assert!(std::time::Instant::now() < deadline, "{what}");
        std::thread::sleep(std::time::Duration::from_millis(100));
        for console in consoles.iter_mut() {
            console.harness.step();
        }
    }
}

fn bus_points(console: &Console) -> Vec<(f64, f64)> {
    let tm = console.harness.state().telemetry().unwrap();
    let bus = tm.index_of("pwr.bus_voltage").unwrap();
    tm.series(bus).recent(0.0).collect()
}

#[test]
#[allow(
    clippy::too_many_lines,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "one session told end to end; sample times keyed by millisecond"
)]
fn two_trainees_follow_the_trainers_session_through_the_server() {
    use galaxium::ops::training::score::Outcome;
    use galaxium_sync::schema::registry::Role;

    let dir = tempfile::tempdir().unwrap();
    let (_runtime, url) = support::start_server_with(
        dir.path(),
        &[
            ("ted", Role::Trainer),
            ("tia", Role::Trainee),
            ("tom", Role::Trainee),
        ],
    );
    let (host_dir, first_dir, second_dir) = (
        dir.path().join("trainer"),
        dir.path().join("trainee-1"),
        dir.path().join("trainee-2"),
    );
    let hosted = galaxium_cli(
        &host_dir,
        &[
            "training",
            "host",
            "power-bus-fault-eclipse",
            "--server",
            &url,
            "--user",
            "ted",
            "--trainees",
            "tia,tom",
        ],
    );
    let said = String::from_utf8_lossy(&hosted.stdout).into_owned();
    assert!(
        hosted.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&hosted.stderr)
    );
    let session = said
        .strip_prefix("session ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_owned();
    for (root, user) in [(&first_dir, "tia"), (&second_dir, "tom")] {
        let joined = galaxium_cli(
            root,
            &["training", "join", "--server", &url, "--user", user],
        );
        let said = String::from_utf8_lossy(&joined.stdout).into_owned();
        assert!(
            joined.status.success(),
            "{said}{}",
            String::from_utf8_lossy(&joined.stderr)
        );
        assert!(
            said.starts_with(&format!("joined session {session}")),
            "{said}"
        );
        assert!(
            !said.contains("; 0 rows pulled"),
            "the trainer's rows come down: {said}"
        );
    }
    // The trainer's replica never joined operations: it is a sandbox in the session.
    let mut host = console_on(&host_dir);
    let mut first = console_on(&first_dir);
    let mut second = console_on(&second_dir);
    for console in [&mut host, &mut first, &mut second] {
        console
            .harness
            .get_by_label("TRAINING · sandbox replica · nothing here is operational data");
        console
            .harness
            .key_press_modifiers(Modifiers::COMMAND, Key::Num6);
        console.harness.run_steps(3);
    }
    host.harness
        .get_by_label_contains("Scenario: Power-bus fault during eclipse");
    host.harness
        .get_by_label_contains(&format!("hosting training session {}", &session[..8]));

    // The trainer brings the regulator's failure forward: both trainees' consoles raise the
    // alarm from the telemetry the session relays.
    for _ in 0..2 {
        host.harness.get_by_label("Next event now").click();
        host.harness.run_steps(3);
    }
    let alarmed = |c: &Console| {
        c.harness
            .state()
            .telemetry()
            .unwrap()
            .board()
            .get("pwr.bus_voltage")
            .is_some()
    };
    step_until(
        &mut [&mut host, &mut first, &mut second],
        30,
        "the fault reaches every console",
        |cs| cs.iter().all(|c| alarmed(c)),
    );
    step_until(
        &mut [&mut host, &mut first, &mut second],
        30,
        "a few seconds of telemetry on every console",
        |cs| cs.iter().all(|c| bus_points(c).len() > 5),
    );
    // The same telemetry: every point a trainee has, the trainer's console has, with the
    // same value at the same time.
    let trainer_points: std::collections::HashMap<u64, f64> = bus_points(&host)
        .into_iter()
        .map(|(t, v)| ((t * 1000.0).round() as u64, v))
        .collect();
    for trainee in [&first, &second] {
        let points = bus_points(trainee);
        assert!(points.len() > 5, "{} points", points.len());
        for (t, v) in points {
            let key = (t * 1000.0).round() as u64;
            if let Some(theirs) = trainer_points.get(&key) {
                assert!((theirs - v).abs() < 1e-9, "{t}: {theirs} against {v}");
            }
        }
        let shared = bus_points(trainee)
            .iter()
            .filter(|(t, _)| trainer_points.contains_key(&((t * 1000.0).round() as u64)))
            .count();
        assert!(shared > 3, "{shared} points in common");
    }

    // The trainer runs the clock at x10: the trainees' consoles follow it.
    host.harness
        .state_mut()
        .send(galaxium::console::UiCommand::Telemetry(
            galaxium::views::mission::TelemetryCommand::TrainingSpeed(10.0),
        ));
    // Commands apply after the frame that sent them; the next frame shows the change.
    host.harness.run_steps(3);
    assert!(
        host.harness
            .query_all_by_label_contains("Mission clock")
            .any(|n| n
                .accesskit_node()
                .value()
                .is_some_and(|v| v.contains("x10"))),
        "the trainer's row shows the clock at x10"
    );
    step_until(
        &mut [&mut host, &mut first, &mut second],
        20,
        "the trainees follow the trainer's clock",
        |cs| {
            cs.iter()
                .all(|c| (c.harness.state().mission_clock().rate - 10.0).abs() < 1e-9)
        },
    );

    // The first trainee acknowledges at their console; the trainer's console scores it.
    // The feed and the sync agent keep these consoles repainting: step, never wait to settle.
    first
        .harness
        .get_by_label("Acknowledge pwr.bus_voltage")
        .click();
    first.harness.run_steps(3);
    first
        .harness
        .get(
            egui_kittest::kittest::by()
                .label("Comment (logged with the acknowledgement)")
                .role(egui::accesskit::Role::TextInput),
        )
        .click();
    first.harness.run_steps(3);
    first.harness.event(egui::Event::Paste(
        "shedding non-essential loads".to_owned(),
    ));
    first.harness.run_steps(3);
    first
        .harness
        .get_by_label("Acknowledge with comment")
        .click();
    first.harness.run_steps(3);
    let acknowledged = |c: &Console| {
        c.harness.state().training_scores().iter().any(|s| {
            s.describe()
                .starts_with("acknowledge the pwr.bus_voltage alarm")
                && matches!(s.outcome, Outcome::Met(_) | Outcome::Late(_))
        })
    };
    step_until(
        &mut [&mut host, &mut first, &mut second],
        40,
        "the trainer's console scores the trainee's acknowledgement",
        |cs| acknowledged(cs[0]),
    );
    // The second trainee's console shows the alarm acknowledged at the other console.
    step_until(
        &mut [&mut host, &mut first, &mut second],
        40,
        "the acknowledgement reaches the other trainee",
        |cs| {
            cs[2]
                .harness
                .state()
                .telemetry()
                .unwrap()
                .board()
                .get("pwr.bus_voltage")
                .is_none_or(|a| a.acknowledged.is_some())
        },
    );
}

#[test]
fn a_taken_vehicle_name_is_sent_again_under_another_from_the_sync_view() {
    use galaxium_sync::client::sync_once;
    use galaxium_sync::protocol::{Op, OpKind, ServerOp};
    use galaxium_sync::replica::{self, VehicleRow};

    let server_dir = tempfile::tempdir().unwrap();
    let (runtime, url) = support::start_server(server_dir.path());
    let vehicle = |name: &str| VehicleRow {
        id: replica::new_id(),
        name: name.into(),
        model: "G-6".into(),
        seat_count: 6,
        max_passenger_mass_kg: 630.0,
        max_baggage_mass_kg: 54.0,
        demo: false,
        seat_layout: "[]".into(),
    };
    // Another console's "Aurora" reached the server first.
    let other_dir = tempfile::tempdir().unwrap();
    let mut other = Replica::open(
        &other_dir.path().join("replica.sqlite"),
        &OpenOptions::default(),
    )
    .unwrap();
    other
        .write(|w| w.insert_vehicle(&vehicle("Aurora")))
        .unwrap();
    let on_other = support::signed_in_on(&runtime, &url, "ada", &other);
    runtime.block_on(sync_once(&mut other, &on_other)).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::at(dir.path());
    let mut replica = Replica::open(&data.replica(), &OpenOptions::default()).unwrap();
    replica
        .write(|w| w.insert_vehicle(&vehicle("Aurora")))
        .unwrap();
    let client = support::signed_in_on(&runtime, &url, "ada", &replica);
    let summary = runtime.block_on(sync_once(&mut replica, &client)).unwrap();
    assert_eq!(summary.rejected, 1);
    // And a pulled change this replica cannot apply, as an older server could send.
    let mut bad = serde_json::Map::new();
    bad.insert("seat_count".into(), serde_json::json!(-1));
    let cursor = replica.sync_cursor().unwrap() + 1;
    replica
        .apply_pulled(
            &[ServerOp {
                cursor,
                op: Op {
                    op_id: replica::new_id(),
                    device_id: "elsewhere".into(),
                    seq: 1,
                    hlc: format!("{:015}-000000-elsewhere", 1_800_000_000_000_u64),
                    table: "vehicles".into(),
                    row_id: replica::new_id(),
                    kind: OpKind::Update,
                    payload: bad,
                },
                notice: None,
                by: None,
            }],
            cursor,
        )
        .unwrap();

    let mut console = Console {
        harness: harness_on(replica, &data),
        _dir: dir,
        data,
    };
    open_view(&mut console, View::Sync);
    let h = &mut console.harness;
    h.get_by_label("Refused: a vehicle named \"Aurora\" already exists");
    h.get_by_label("Pulled changes set aside");
    h.get_by_label_contains("Not applied: vehicle seat_count: must be between 1 and 1000, not -1");
    h.get(
        egui_kittest::kittest::by()
            .label("New name:")
            .role(egui::accesskit::Role::TextInput),
    )
    .set_text_value_accesskit("Aurora II");
    h.run();
    h.get_by_label("Send again under this name").click();
    h.run();
    let snapshot = h.state().snapshot().unwrap();
    assert!(snapshot.conflicts.is_empty(), "the conflict is settled");
    h.get_by_label_contains("made again as \"Aurora II\"");
    let mut replica = Replica::open(&console.data.replica(), &OpenOptions::default()).unwrap();
    let mut names: Vec<String> = replica
        .table_rows("vehicles")
        .unwrap()
        .values()
        .map(|v| v["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["Aurora", "Aurora II"],
        "the server's and this console's"
    );
    let summary = runtime.block_on(sync_once(&mut replica, &client)).unwrap();
    assert_eq!(summary.rejected, 0, "the new name is free at the server");
}

/// Every screen opens on the demo data, in turn, at the spaceport laptop's size and at the
/// default one, and the shell says which is showing.
#[test]
fn every_view_opens_on_the_demo_data() {
    for size in [[1024.0, 700.0], [1360.0, 860.0]] {
        let mut console = console();
        console.harness.set_size(egui::Vec2::from(size));
        console.harness.run();
        for view in View::ALL {
            open_view(&mut console, view);
            let selected = console.harness.get_all_by_label(view.title()).any(|node| {
                node.accesskit_node().toggled() == Some(egui::accesskit::Toggled::True)
            });
            assert!(selected, "{view:?} is marked as showing in the navigation");
        }
    }
}

/// A console window of `size` on the demo data, without sound.
fn console_sized(size: [f32; 2]) -> Console {
    let mut console = console();
    console.harness.set_size(egui::Vec2::from(size));
    console.harness.run();
    console
}

/// Raises a critical alarm on ppCO2: a fault injected into the simulator, and three samples of
/// it at once (the channel needs three in a row before its state rises).
fn raise_critical_ppco2(console: &mut Console) {
    use galaxium::ops::telemetry::Sample;
    let tm = console.harness.state_mut().telemetry_mut().unwrap();
    assert!(tm.inject("ls.ppco2", Some(1.4)));
    let index = tm.index_of("ls.ppco2").unwrap();
    let t = tm.series(index).last().unwrap().0;
    for k in 1..=3 {
        tm.ingest(Sample {
            channel: index,
            t: t + f64::from(k) * 0.001,
            value: 1.4,
        });
    }
}

#[test]
fn on_a_1024_by_700_window_the_alarm_banner_never_draws_the_alarm_over_its_source() {
    for theme in [
        galaxium_widgets::Theme::Dark,
        galaxium_widgets::Theme::Light,
    ] {
        let mut console = console_sized([1024.0, 700.0]);
        if console.harness.state().settings().theme != theme {
            console
                .harness
                .state_mut()
                .send(galaxium::views::UiCommand::ToggleTheme);
            console.harness.run();
        }
        raise_critical_ppco2(&mut console);
        console.harness.run();
        let alarm = console
            .harness
            .get_by_label_contains("CRITICAL ls.ppco2")
            .rect();
        // The banner's source line (the Overview's vehicle card says it too, lower down).
        let source = console
            .harness
            .get_all_by_label_contains("SIMULATED")
            .map(|n| n.rect())
            .find(|r| r.top() <= alarm.bottom())
            .unwrap();
        let mute = console.harness.get_by_label("Mute tone").rect();
        assert!(
            !alarm.intersects(source) && !alarm.intersects(mute),
            "{theme:?}: the alarm {alarm:?} overlaps the source {source:?} or the mute {mute:?}"
        );
        for right in [source.right(), mute.right(), alarm.right()] {
            assert!(
                right <= 1024.0,
                "{theme:?}: the banner runs off the window at {right}"
            );
        }
    }
}

#[test]
fn key_values_keep_their_digits_together_on_a_narrow_window() {
    let mut console = console_sized([1024.0, 700.0]);
    open_view(&mut console, View::Mission);
    // Every key value ("101.3 kPa") sits on one line, inside the window.
    let body = 16.0_f32;
    let values: Vec<egui::Rect> = console
        .harness
        .query_all_by_label_contains(" kPa")
        .map(|node| node.rect())
        .collect();
    assert!(!values.is_empty());
    for rect in values {
        assert!(rect.height() < body * 2.0, "a value wraps: {rect:?}");
        assert!(
            rect.right() <= 1024.0,
            "a value runs off the window: {rect:?}"
        );
    }
}

#[test]
fn the_overview_fits_a_1024_window_without_cutting_its_cards() {
    let console = console_sized([1024.0, 700.0]);
    for label in [
        "Vehicles",
        "Incident attachments",
        "Alarm acknowledgements",
        "Remove demo data…",
    ] {
        for node in console.harness.get_all_by_label(label) {
            let rect = node.rect();
            assert!(
                rect.right() <= 1024.0,
                "{label} runs off the window: {rect:?}"
            );
        }
    }
}

#[test]
fn a_launch_pages_exports_are_written_whole_into_the_exports_folder() {
    let mut console = console();
    open_view(&mut console, View::Launches);
    console.harness.get_by_label("GX-14 Sunrise Orbit").click();
    console.harness.run();
    for label in [
        "Bookings CSV",
        "Bookings JSON",
        "Manifest CSV",
        "Manifest PDF",
    ] {
        let button = console.harness.get_by_label(label);
        button.scroll_to_me();
        console.harness.run();
        console.harness.get_by_label(label).click();
        console.harness.run();
    }
    let exports = console.data.exports();
    let mut written: Vec<String> = std::fs::read_dir(&exports)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(
        written,
        [
            "GX-14-Sunrise-Orbit-bookings.csv",
            "GX-14-Sunrise-Orbit-bookings.json",
            "GX-14-Sunrise-Orbit-manifest.csv",
            "GX-14-Sunrise-Orbit-manifest.pdf"
        ]
    );
    let pdf = std::fs::read(exports.join("GX-14-Sunrise-Orbit-manifest.pdf")).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let notice = console.harness.state().notice().unwrap().text.clone();
    assert!(notice.starts_with("Exported to "), "{notice}");
}

#[test]
fn on_a_1024_window_the_ground_stations_next_contacts_stay_inside_their_panel() {
    let mut console = console_sized([1024.0, 700.0]);
    open_view(&mut console, View::Mission);
    // The event log's search field spans the left column's panels, as wide as they are.
    let column = console.harness.get_by_label("Search the log").rect();
    let contacts: Vec<egui::Rect> = console
        .harness
        .query_all_by_label_contains("next AOS")
        .chain(
            console
                .harness
                .query_all_by_label_contains("no contact in 24 h"),
        )
        .chain(console.harness.query_all_by_label_contains("LOS in"))
        .map(|node| node.rect())
        .collect();
    assert!(!contacts.is_empty());
    for rect in contacts {
        assert!(
            rect.right() <= column.right() + 8.0,
            "a contact runs past its panel ({rect:?}, the panel ends at {})",
            column.right()
        );
    }
}

#[test]
fn the_schedule_dialog_says_what_is_missing_refuses_the_past_and_keeps_what_was_typed() {
    let mut console = console();
    open_view(&mut console, View::Launches);
    console.harness.get_by_label("Schedule a launch…").click();
    console.harness.run();
    // Nothing typed yet: Schedule waits, and the line under the fields says why.
    console.harness.get_by_label("mission: name the mission");
    assert!(
        console
            .harness
            .get_by_label("Schedule")
            .accesskit_node()
            .is_disabled()
    );
    let mission = console
        .harness
        .get_all_by_label("Mission")
        .find(|n| n.accesskit_node().role() == egui::accesskit::Role::TextInput)
        .unwrap();
    mission.focus();
    mission.type_text("GX-30 Night Owl");
    console.harness.run();
    console
        .harness
        .get_by_label("pad: say which pad the launch uses");
    let pad = console.harness.get_by_label("Pad");
    pad.focus();
    pad.type_text("LC-39A");
    console.harness.run();
    // A date in the past: refused by the rule the server applies too, beside the dialog's
    // fields, and nothing typed is lost.
    let date = console.harness.get_by_label("Date (UTC)");
    date.focus();
    console.harness.run();
    console
        .harness
        .key_press_modifiers(Modifiers::COMMAND, Key::A);
    console
        .harness
        .get_by_label("Date (UTC)")
        .type_text("2020-01-01");
    console.harness.run();
    console
        .harness
        .get_by_label_contains("launch time: 2020-01-01 12:00 UTC is in the past");
    assert!(
        console
            .harness
            .get_by_label("Schedule")
            .accesskit_node()
            .is_disabled()
    );
    for typed in ["GX-30 Night Owl", "LC-39A", "2020-01-01"] {
        assert!(
            console.harness.get_all_by_value(typed).next().is_some(),
            "{typed} is still in the dialog"
        );
    }
}

#[test]
fn a_check_in_from_the_launch_page_is_answered_on_the_page() {
    let mut console = console();
    open_view(&mut console, View::Launches);
    console.harness.get_by_label("GX-14 Sunrise Orbit").click();
    console.harness.run();
    console
        .harness
        .get_by_label("Seat 1C, window, confirmed: Ines Moreau (R6PWYD)")
        .click();
    console.harness.run();
    console.harness.get_by_label("R6PWYD · Ines Moreau");
    console.harness.get_by_label("Check in").click();
    console.harness.run();
    console.harness.get_by_label("R6PWYD · Ines Moreau");
    // The answer stands on the booking's card as well as in the status bar, with times a
    // person reads (no "T…Z").
    let said = console.harness.state().notice().unwrap().text.clone();
    assert!(
        said.contains("check-in for") || said.starts_with("Checked in"),
        "{said}"
    );
    assert!(!said.contains(":00Z"), "a raw timestamp: {said}");
    assert_eq!(
        console.harness.get_all_by_label(&said).count(),
        2,
        "the card and the status bar"
    );
}

#[test]
fn passengers_are_found_by_locator_or_document_and_a_miss_is_said() {
    let mut console = console();
    open_view(&mut console, View::Passengers);
    let search = console.harness.get_by_label("Search");
    search.focus();
    search.type_text("r6pwyd");
    console.harness.run();
    console.harness.get_by_label("Ines Moreau");
    assert!(console.harness.query_by_label("Dana Okafor").is_none());
    console
        .harness
        .get_by_label("Search")
        .set_text_value_accesskit("no such person");
    console.harness.run();
    console
        .harness
        .get_by_label_contains("No passenger matches “no such person”");
}

#[test]
fn unsaved_passenger_edits_are_not_dropped_without_asking() {
    let mut console = console();
    open_view(&mut console, View::Passengers);
    console.harness.get_by_label("Ines Moreau").click();
    console.harness.run();
    console
        .harness
        .get_by_label("Full name")
        .set_text_value_accesskit("Ines Moreau-Blanc");
    console.harness.run();
    console.harness.get_by_label("Dana Okafor").click();
    console.harness.run();
    console.harness.get_by_label("Unsaved changes");
    console.harness.get_by_label("Keep editing").click();
    console.harness.run();
    assert_eq!(
        console
            .harness
            .get_by_label("Full name")
            .accesskit_node()
            .value()
            .as_deref(),
        Some("Ines Moreau-Blanc")
    );
    console.harness.get_by_label("Dana Okafor").click();
    console.harness.run();
    console.harness.get_by_label("Discard changes").click();
    console.harness.run();
    assert_eq!(
        console
            .harness
            .get_by_label("Full name")
            .accesskit_node()
            .value()
            .as_deref(),
        Some("Dana Okafor")
    );
}

#[test]
fn the_passenger_picker_can_be_searched_by_typing() {
    let mut console = console();
    open_view(&mut console, View::Launches);
    console.harness.get_by_label("GX-14 Sunrise Orbit").click();
    console.harness.run();
    console
        .harness
        .get_by_label("Seat 1B, middle, free")
        .click();
    console.harness.run();
    console
        .harness
        .get(
            egui_kittest::kittest::by()
                .label("Seat 1B")
                .role(egui::accesskit::Role::ComboBox),
        )
        .click();
    console.harness.run();
    let find = console.harness.get(
        egui_kittest::kittest::by()
            .label("Find")
            .role(egui::accesskit::Role::TextInput),
    );
    find.click();
    console.harness.run();
    // The click did not close the list: the box takes typing.
    console
        .harness
        .get(
            egui_kittest::kittest::by()
                .label("Find")
                .role(egui::accesskit::Role::TextInput),
        )
        .type_text("okafor");
    console.harness.run();
    console.harness.get_by_label("Dana Okafor").click();
    console.harness.run();
    console
        .harness
        .get_by_label("Hold 1 seat (15 min)")
        .accesskit_node()
        .is_disabled()
        .then(|| panic!("a passenger was picked, so the seat can be held"));
}

/// Roles of the widgets a person reads or uses (not the panels and frames around them).
const WIDGET_ROLES: [egui::accesskit::Role; 12] = {
    use egui::accesskit::Role;
    [
        Role::Label,
        Role::Button,
        Role::TextInput,
        Role::MultilineTextInput,
        Role::PasswordInput,
        Role::CheckBox,
        Role::ComboBox,
        Role::Link,
        Role::Slider,
        Role::ProgressIndicator,
        Role::RadioButton,
        Role::Tab,
    ]
};

/// Every widget of `console`'s frame as (role, label, rectangle).
fn widget_rects(console: &Console) -> Vec<(egui::accesskit::Role, String, egui::Rect)> {
    console
        .harness
        .query_all(
            egui_kittest::kittest::by().predicate(|node| WIDGET_ROLES.contains(&node.role())),
        )
        .map(|node| {
            let ak = node.accesskit_node();
            (
                ak.role(),
                ak.label().or_else(|| ak.value()).unwrap_or_default(),
                node.rect(),
            )
        })
        .filter(|(_, _, rect)| rect.width() > 0.0 && rect.height() > 0.0)
        .collect()
}

/// What is wrong with the frame's layout at `at`: widgets outside a window `width` wide, and
/// widgets that stand partly in the strip of the banner whose text is at `banner` (the
/// banner's own widgets stand wholly in it).
fn layout_problems(console: &Console, at: &str, width: f32, banner: egui::Rect) -> Vec<String> {
    let strip =
        egui::Rect::from_x_y_ranges(0.0..=width, (banner.top() - 3.0)..=(banner.bottom() + 3.0));
    let mut problems = Vec::new();
    for (role, label, rect) in widget_rects(console) {
        if rect.left() < -0.5 || rect.right() > width + 0.5 {
            problems.push(format!(
                "{at}: {role:?} {label:?} runs off the window: {rect:?}"
            ));
        }
        let in_strip = rect.top() >= strip.top() - 0.5 && rect.bottom() <= strip.bottom() + 0.5;
        if rect.intersects(strip) && !in_strip {
            problems.push(format!(
                "{at}: {role:?} {label:?} overlaps the banner: {rect:?}"
            ));
        }
    }
    problems
}

#[test]
fn every_view_fits_both_window_sizes_in_both_themes_and_leaves_the_banner_alone() {
    let mut problems = Vec::new();
    for size in [[1024.0_f32, 700.0], [1920.0, 1080.0]] {
        for theme in [
            galaxium_widgets::Theme::Dark,
            galaxium_widgets::Theme::Light,
        ] {
            let mut console = console_sized(size);
            if console.harness.state().settings().theme != theme {
                console
                    .harness
                    .state_mut()
                    .send(galaxium::views::UiCommand::ToggleTheme);
                console.harness.run();
            }
            // Every view as it opens, then the screens inside them that are widest: a launch's
            // seat map and bookings, and an incident's tabs.
            let mut scenes: Vec<(View, Option<&str>)> =
                View::ALL.iter().map(|v| (*v, None)).collect();
            scenes.push((View::Launches, Some("GX-14 Sunrise Orbit")));
            for (view, open) in scenes {
                open_view(&mut console, view);
                if let Some(label) = open {
                    console.harness.get_by_label(label).click();
                }
                console.harness.run();
                let banner = console.harness.get_by_label("No alarms").rect();
                let at = format!("{view:?} {open:?} {theme:?} {}×{}", size[0], size[1]);
                problems.extend(layout_problems(&console, &at, size[0], banner));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// How to open a dialog: the view, the buttons to click there (or a command to send), and the
/// id of the area egui keeps the dialog's rectangle under.
struct DialogScene {
    view: View,
    clicks: &'static [&'static str],
    command: Option<galaxium::views::UiCommand>,
    area: egui::Id,
}

/// Every dialog of the console, and how to open it.
fn dialog_scenes() -> [DialogScene; 9] {
    use galaxium::views::UiCommand;
    let modal = |id: &str| egui::Id::unique(id);
    // A window's area is named after its title (as egui names it: the title's text).
    let window = |title: &str| egui::Id::unique(Some(std::borrow::Cow::Borrowed(title)));
    [
        (
            View::Launches,
            &["Schedule a launch…"][..],
            None,
            modal("schedule_launch"),
        ),
        (
            View::Launches,
            &["Import CSV…"][..],
            None,
            modal("import_bookings"),
        ),
        (
            View::Launches,
            &["GX-14 Sunrise Orbit", "Edit vehicle…"][..],
            None,
            modal("edit_vehicle"),
        ),
        (
            View::Launches,
            &["GX-14 Sunrise Orbit", "Scrub…"][..],
            None,
            modal("confirm_launch_status"),
        ),
        (
            View::Orbit,
            &["Import element sets…"][..],
            None,
            window("Import element sets"),
        ),
        (
            View::Orbit,
            &["Ground stations…"][..],
            None,
            window("Ground stations"),
        ),
        (
            View::Overview,
            &[][..],
            Some(UiCommand::OpenSignIn),
            modal("sign_in"),
        ),
        (
            View::Overview,
            &[][..],
            Some(UiCommand::RemoveDemoData),
            modal("confirm_remove_demo"),
        ),
        (
            View::Overview,
            &[][..],
            Some(UiCommand::OpenCommandPalette),
            galaxium::console::CommandPalette::area_id(),
        ),
    ]
    .map(|(view, clicks, command, area)| DialogScene {
        view,
        clicks,
        command,
        area,
    })
}

#[test]
fn every_dialog_fits_both_window_sizes_in_both_themes() {
    use galaxium::views::UiCommand;
    let mut problems = Vec::new();
    for size in [[1024.0_f32, 700.0], [1920.0, 1080.0]] {
        for theme in [
            galaxium_widgets::Theme::Dark,
            galaxium_widgets::Theme::Light,
        ] {
            for scene in dialog_scenes() {
                // A console of its own for each dialog: nothing left open by the one before.
                let mut console = console_sized(size);
                if console.harness.state().settings().theme != theme {
                    console.harness.state_mut().send(UiCommand::ToggleTheme);
                    console.harness.run();
                }
                open_view(&mut console, scene.view);
                for label in scene.clicks {
                    console.harness.get_by_label(label).click();
                    console.harness.run();
                }
                if let Some(command) = scene.command.clone() {
                    console.harness.state_mut().send(command);
                    console.harness.run();
                    console.harness.run();
                }
                let at = format!(
                    "{:?} {:?} {theme:?} {}×{}",
                    scene.view, scene.clicks, size[0], size[1]
                );
                let window = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::Vec2::from(size));
                match console.harness.ctx.memory(|m| m.area_rect(scene.area)) {
                    None => problems.push(format!("{at}: the dialog did not open")),
                    Some(dialog) if !window.expand(0.5).contains_rect(dialog) => {
                        problems.push(format!(
                            "{at}: the dialog {dialog:?} is not wholly in the window"
                        ));
                    }
                    Some(_) => {}
                }
                let banner = console.harness.get_by_label("No alarms").rect();
                problems.extend(layout_problems(&console, &at, size[0], banner));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_overview_opens_on_what_is_happening_now() {
    let mut console = console();
    assert_eq!(console.harness.state().settings().view, View::Overview);
    for title in [
        "Vehicle",
        "Alarms",
        "Incidents",
        "Ground contact",
        "Today's launches",
        "Server link",
    ] {
        // (Some titles are also a column's or the navigation's name.)
        assert!(
            console.harness.get_all_by_label(title).next().is_some(),
            "{title}"
        );
    }
    // Key values read as on the Mission view; the day's boarding launch with its passengers.
    console
        .harness
        .get_by_label_contains("Cabin total pressure: ");
    console
        .harness
        .get_by_label_contains("GX-12 Twilight Hop · boarding");
    assert!(
        console
            .harness
            .get_all_by_label_contains(" boarded")
            .next()
            .is_some()
    );
    console.harness.get_by_label("No open incidents.");
    // An alarm reaches the card; the card leads to it.
    raise_critical_ppco2(&mut console);
    console.harness.run();
    console
        .harness
        .get_by_label_contains("ls.ppco2: CRITICAL, unacknowledged");
    console.harness.get_by_label("See the alarms").click();
    console.harness.run();
    assert_eq!(console.harness.state().settings().view, View::Mission);
}

#[test]
fn an_open_incident_fits_both_window_sizes_in_every_tab() {
    let mut problems = Vec::new();
    for size in [[1024.0_f32, 700.0], [1920.0, 1080.0]] {
        let mut console = console_sized(size);
        // A critical ppCO2 opens "Cabin atmosphere out of limits".
        raise_critical_ppco2(&mut console);
        console.harness.run();
        open_view(&mut console, View::Incidents);
        console
            .harness
            .get_by_label("Cabin atmosphere out of limits")
            .click();
        console.harness.run();
        let banner = console.harness.get_by_label("Open alarms").rect();
        for tab in ["Runbook", "Tasks", "Roles", "Telemetry", "Report", "Files"] {
            // The tab strip itself must be whole: every tab can be clicked (the topmost node
            // of the name: a tab may also name a field below it).
            console
                .harness
                .get_all_by_label(tab)
                .min_by(|a, b| a.rect().top().total_cmp(&b.rect().top()))
                .unwrap()
                .click();
            console.harness.run();
            let at = format!("{tab} {}×{}", size[0], size[1]);
            problems.extend(layout_problems(&console, &at, size[0], banner));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn at_the_default_size_every_key_value_is_in_view_above_the_plots() {
    let mut console = console_sized([1360.0, 860.0]);
    open_view(&mut console, View::Mission);
    let plots = console
        .harness
        .get_all_by_label("Plots")
        .map(|n| n.rect())
        .min_by(|a, b| a.top().total_cmp(&b.top()))
        .unwrap();
    for card in [
        "Cabin total pressure",
        "Battery state of charge",
        "Downlink received signal strength",
    ] {
        // The card's title, then its value and its state: two more lines under the title.
        let rect = console.harness.get_by_label(card).rect();
        let card_bottom = rect.bottom() + 2.0 * rect.height() + 12.0;
        assert!(
            card_bottom <= plots.top(),
            "{card}'s card ends at {card_bottom}, under the Plots pane's tab at {plots:?}"
        );
    }
}

/// Types `text` into the Commanding view's command field.
fn type_command(console: &mut Console, text: &str) {
    let field = console
        .harness
        .get_all_by_label("Command")
        .find(|n| n.accesskit_node().role() == egui::accesskit::Role::TextInput)
        .unwrap();
    field.focus();
    field.type_text(text);
    console.harness.run();
}

fn command_named<'a>(
    console: &'a Console,
    name: &str,
) -> Option<&'a galaxium::ops::commanding::Command> {
    console
        .harness
        .state()
        .commands()
        .iter()
        .find(|c| c.name == name)
}

#[test]
fn a_hazardous_command_is_queued_only_once_its_hazard_is_confirmed() {
    let mut console = console_with(ReplicaKind::Operational, false);
    open_view(&mut console, View::Commanding);
    console.harness.get_by_label("No command waits.");
    // Completion offers the commands that start with what was typed.
    type_command(&mut console, "ls.repress");
    console
        .harness
        .get_by_label_contains("LS.REPRESS_VALVE_OPEN — Opens the cabin repressurisation valve")
        .click();
    console.harness.run();
    console
        .harness
        .get_by_label_contains("HAZARDOUS: Oxygen flows into the cabin");
    console.harness.get_by_label("Ready: LS.REPRESS_VALVE_OPEN");
    console.harness.get_by_label("Queue command").click();
    console.harness.run();
    // The confirmation states the hazard; going back queues nothing and keeps the text.
    console.harness.get_by_label("Confirm a hazardous command");
    console.harness.get_by_label("Back").click();
    console.harness.run();
    assert!(command_named(&console, "LS.REPRESS_VALVE_OPEN").is_none());
    console.harness.get_by_label("Ready: LS.REPRESS_VALVE_OPEN");
    console.harness.get_by_label("Queue command").click();
    console.harness.run();
    console
        .harness
        .get_by_label("I understand the hazard: queue it")
        .click();
    console.harness.run();
    let command = command_named(&console, "LS.REPRESS_VALVE_OPEN").expect("queued");
    assert!(command.hazard_confirmed);
    assert_eq!(command.status, "queued");
    // Two-person: it waits, and its sender cannot approve it.
    console
        .harness
        .get_by_label_contains("waits for another user's approval");
    assert!(
        console
            .harness
            .get_by_label("Approve")
            .accesskit_node()
            .is_disabled()
    );
    // A typing mistake is named as it is typed, and nothing is queued.
    type_command(&mut console, "LS.SCRUBBER_MODE turbo");
    console
        .harness
        .get_by_label_contains("mode must be one of normal, boost, not \"turbo\"");
    assert!(
        console
            .harness
            .get_by_label("Queue command")
            .accesskit_node()
            .is_disabled()
    );
}

#[test]
fn a_command_whose_verifier_fails_raises_an_alarm() {
    let mut console = console_with(ReplicaKind::Operational, false);
    open_view(&mut console, View::Commanding);
    // The load current sensor is stuck: shedding load cannot be seen to work.
    assert!(
        console
            .harness
            .state_mut()
            .telemetry_mut()
            .unwrap()
            .inject("pwr.load_current", Some(31.0))
    );
    type_command(&mut console, "PWR.LOAD_SHED");
    console.harness.get_by_label("Queue command").click();
    console.harness.run();
    step_until(&mut [&mut console], 30, "the verifier did not fail", |c| {
        command_named(c[0], "PWR.LOAD_SHED").is_some_and(|c| c.status == "failed")
    });
    console.harness.run();
    let alarm = console
        .harness
        .state()
        .telemetry()
        .unwrap()
        .board()
        .get("PWR.LOAD_SHED")
        .cloned()
        .expect("an alarm");
    assert!(
        alarm
            .what
            .as_deref()
            .unwrap()
            .contains("pwr.load_current below 28 A not met within 10 s"),
        "{alarm:?}"
    );
    console
        .harness
        .get_by_label_contains("WARNING PWR.LOAD_SHED: verifier failed");
    console
        .harness
        .get_by_label_contains("FAILED · PWR.LOAD_SHED");
}

#[test]
fn a_two_person_command_is_approved_at_another_console_through_the_server_and_verified() {
    let server_dir = tempfile::tempdir().unwrap();
    let (_server, url) = support::start_server_with(
        server_dir.path(),
        &[
            ("cal", galaxium_sync::schema::registry::Role::Controller),
            ("cyd", galaxium_sync::schema::registry::Role::Controller),
        ],
    );
    // Consoles without the crewed vehicle's orbit: their vehicle is always in contact.
    let mut sender = console_with(ReplicaKind::Operational, false);
    let mut approver = console_with(ReplicaKind::Operational, false);
    sign_in_as(&mut sender, &url, "cal", |c| {
        c[0].harness.state().sync_status().last_success.is_some()
    });
    sign_in_as(&mut approver, &url, "cyd", |c| {
        c[0].harness.state().sync_status().last_success.is_some()
    });
    open_view(&mut sender, View::Commanding);
    type_command(&mut sender, "LS.SCRUBBER_OFF");
    sender.harness.get_by_label("Queue command").click();
    sender.harness.run();
    sender
        .harness
        .get_by_label("I understand the hazard: queue it")
        .click();
    sender.harness.run();
    assert_eq!(
        command_named(&sender, "LS.SCRUBBER_OFF").unwrap().status,
        "queued"
    );

    open_view(&mut approver, View::Commanding);
    step_until(
        &mut [&mut sender, &mut approver],
        30,
        "the command did not reach the other console",
        |c| command_named(c[1], "LS.SCRUBBER_OFF").is_some(),
    );
    approver.harness.run();
    approver.harness.get_by_label_contains("queued by cal");
    approver.harness.get_by_label("Approve").click();
    approver.harness.run();
    // Approved there, sent here, and verified by the scrubber fan's telemetry.
    step_until(
        &mut [&mut sender, &mut approver],
        40,
        "the approved command was not verified",
        |c| command_named(c[0], "LS.SCRUBBER_OFF").is_some_and(|c| c.status == "verified"),
    );
    let command = command_named(&sender, "LS.SCRUBBER_OFF").unwrap().clone();
    let stages: Vec<&str> = command.stages.iter().map(|s| s.stage.as_str()).collect();
    assert_eq!(
        stages,
        ["queued", "approved", "released", "sent", "verified"]
    );
    assert_eq!(command.approved_by(), Some("cyd"));
    assert_eq!(command.queued_by, "cal");
    // The approver's console sees it verified too.
    step_until(
        &mut [&mut sender, &mut approver],
        30,
        "the verification did not reach the approver",
        |c| command_named(c[1], "LS.SCRUBBER_OFF").is_some_and(|c| c.status == "verified"),
    );
}

#[test]
fn a_command_queued_out_of_contact_waits_for_aos_and_goes_at_it() {
    let mut console = console_with(ReplicaKind::Operational, false);
    // The simulated vehicle's next pass starts in 4 s: out of contact until then.
    let now = galaxium::ops::telemetry::unix_seconds(Utc::now());
    let environment = galaxium::ops::telemetry::sim::Environment {
        sunlit: vec![(now - 86_400.0, now + 86_400.0)],
        contacts: vec![(now + 4.0, now + 900.0)],
        known: true,
    };
    console
        .harness
        .state_mut()
        .telemetry_mut()
        .unwrap()
        .set_environment(&environment);
    open_view(&mut console, View::Commanding);
    console
        .harness
        .get_by_label_contains("No contact: commands wait for AOS at");
    type_command(&mut console, "PWR.BUS_B_ENABLE");
    console.harness.get_by_label("Queue command").click();
    console.harness.run();
    console.harness.get_by_label_contains("waits for AOS at ");
    assert_eq!(
        command_named(&console, "PWR.BUS_B_ENABLE").unwrap().status,
        "queued"
    );
    // At AOS it goes, and its telemetry verifies it.
    step_until(&mut [&mut console], 30, "not sent at AOS", |c| {
        command_named(c[0], "PWR.BUS_B_ENABLE").is_some_and(|c| c.status == "verified")
    });
    let command = command_named(&console, "PWR.BUS_B_ENABLE").unwrap();
    let released = galaxium::ops::telemetry::unix_seconds(
        chrono::DateTime::parse_from_rfc3339(&command.stage("released").unwrap().at)
            .unwrap()
            .into(),
    );
    assert!(
        released >= now + 4.0,
        "released {} s before AOS",
        now + 4.0 - released
    );
}

/// Scrolls to the widget labelled `label`, clicks it, and lets the console apply the click.
fn press(console: &mut Console, label: &str) {
    console.harness.get_by_label(label).scroll_to_me();
    console.harness.run();
    console.harness.get_by_label(label).click();
    console.harness.run();
    console.harness.run();
}

/// Scrolls to the text field labelled `label` and types `text` into it.
fn type_into(console: &mut Console, label: &str, text: &str) {
    console.harness.get_by_label(label).scroll_to_me();
    console.harness.run();
    console.harness.get_by_label(label).focus();
    console.harness.run();
    console.harness.get_by_label(label).type_text(text);
    console.harness.run();
}

/// Opens the launch page of `mission`.
fn open_launch(console: &mut Console, mission: &str) {
    open_view(console, View::Launches);
    console.harness.get_by_label(mission).click();
    console.harness.run();
    console.harness.run();
}

#[test]
fn the_flight_director_polls_a_launch_waives_a_red_criterion_and_scrubs() {
    let mut console = console();
    open_launch(&mut console, "GX-13 Dawn Patrol");
    press(&mut console, "Open poll");
    console.harness.get_by_label_contains("OPEN since");
    // Not connected to a server: the poll says it cannot be trusted.
    console
        .harness
        .get_by_label_contains("not connected to a server: only answers given here are shown");
    // Bruno has not signed his waiver: readiness is red, with the value that decides it.
    console.harness.get_by_label_contains(
        "Every passenger GO: 1 NO-GO: Bruno Castell (the waiver is not signed)",
    );
    console.harness.get_by_label("Manifest closed: still open");
    assert!(console.harness.query_all_by_label("RED").count() >= 2);
    // A NO-GO needs its reason, said beside the poll.
    press(&mut console, "NO-GO");
    let said = "Note: say why Flight director is NO-GO, so the flight director can act on it.";
    assert_eq!(
        console.harness.query_all_by_label(said).count(),
        2,
        "beside the poll and in the status bar"
    );
    type_into(&mut console, "Note", "crosswind gusts 28 kt");
    press(&mut console, "NO-GO");
    console
        .harness
        .get_by_label_contains("crosswind gusts 28 kt");
    let poll = console.harness.state().bookings().polls[0].clone();
    let standing = poll.standing();
    assert!(!standing["flight_director"].go);
    // GO is blocked; the flight director waives readiness with a reason.
    assert!(
        console
            .harness
            .get_by_label("GO for launch")
            .accesskit_node()
            .is_disabled()
    );
    press(&mut console, "Waive Every passenger GO…");
    type_into(
        &mut console,
        "Reason to waive",
        "waiver signed on paper at the pad",
    );
    press(&mut console, "Waive");
    console
        .harness
        .get_by_label_contains("waived by local operator at ");
    console.harness.get_by_label("WAIVED");
    // SCRUB with a word: the launch is scrubbed, the poll keeps what it was decided on.
    type_into(&mut console, "Decision note", "crosswinds above limits");
    press(&mut console, "SCRUB");
    let said = console.harness.state().notice().unwrap().text.clone();
    assert!(
        said.starts_with("SCRUB: crosswinds above limits. The launch is scrubbed"),
        "{said}"
    );
    console.harness.get_by_label_contains("SCRUB at ");
    console.harness.get_by_label("Commit criteria when decided");
    let detail = console.harness.state().bookings().detail.clone().unwrap();
    assert_eq!(detail.status.as_str(), "scrubbed");
    let decided = &console.harness.state().bookings().polls[0];
    assert!(
        decided
            .criteria
            .iter()
            .any(|c| c.id == "readiness" && c.waived)
    );
}

#[test]
fn a_no_go_answered_at_another_console_reaches_the_flight_director_through_the_server() {
    use galaxium::ops::launch_poll;
    use galaxium_sync::client::sync_once;
    use galaxium_sync::schema::registry::Role;

    let dir = tempfile::tempdir().unwrap();
    let (runtime, url) =
        support::start_server_with(dir.path(), &[("fd", Role::Admin), ("doc", Role::Staff)]);
    let (fd_dir, doc_dir) = (dir.path().join("fd"), dir.path().join("doc"));
    let fd_data = DataDir::at(&fd_dir);
    std::fs::create_dir_all(&fd_dir).unwrap();
    let mut fd = Replica::open(&fd_data.replica(), &OpenOptions::default()).unwrap();
    DemoDataset::shipped()
        .unwrap()
        .seed(&mut fd, Utc::now())
        .unwrap();
    std::fs::create_dir_all(&doc_dir).unwrap();
    let mut doc = Replica::open(&doc_dir.join("replica.sqlite"), &OpenOptions::default()).unwrap();
    let on_fd = support::signed_in_on(&runtime, &url, "fd", &fd);
    let on_doc = support::signed_in_on(&runtime, &url, "doc", &doc);
    runtime.block_on(sync_once(&mut fd, &on_fd)).unwrap();
    let launch: String = fd
        .read("test", |c| {
            c.query_row(
                "SELECT id FROM launches WHERE mission = 'GX-12 Twilight Hop'",
                [],
                |r| r.get(0),
            )
        })
        .unwrap();
    let poll = launch_poll::open(&mut fd, &launch, "fd", Utc::now()).unwrap();
    runtime.block_on(sync_once(&mut fd, &on_fd)).unwrap();
    runtime.block_on(sync_once(&mut doc, &on_doc)).unwrap();
    let list = galaxium_sync::launch_poll::PollList::shipped().unwrap();
    launch_poll::answer(
        &mut doc,
        &list,
        &poll,
        ("medical", false, "passenger 1B feverish"),
        "doc",
        Utc::now(),
    )
    .unwrap();
    // Staff may not answer for vehicle systems: the server refuses it.
    launch_poll::answer(
        &mut doc,
        &list,
        &poll,
        ("vehicle_systems", true, ""),
        "doc",
        Utc::now(),
    )
    .unwrap();
    let summary = runtime.block_on(sync_once(&mut doc, &on_doc)).unwrap();
    assert_eq!(summary.rejected, 1, "{summary:?}");
    runtime.block_on(sync_once(&mut fd, &on_fd)).unwrap();
    drop(fd);

    let mut console = console_on(&fd_dir);
    open_launch(&mut console, "GX-12 Twilight Hop");
    console
        .harness
        .get_by_label_contains("doc ")
        .accesskit_node();
    console
        .harness
        .get_by_label_contains("passenger 1B feverish");
    let polls = console.harness.state().bookings().polls.clone();
    let standing = polls[0].standing();
    assert!(!standing["medical"].go);
    assert_eq!(standing["medical"].by_user, "doc");
    assert!(!standing.contains_key("vehicle_systems"));
}
