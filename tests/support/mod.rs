//! Shared by the end-to-end tests: a real sync server on loopback.

#![allow(
    clippy::expect_used,
    reason = "test setup: a failure here is a failed test"
)]

use std::path::Path;
use std::sync::Arc;

use galaxium_server::store::{SqliteStore, Store as _};
use galaxium_server::{AppState, auth, serve};
use galaxium_sync::schema::registry::Role;

/// The password of every test user.
pub const PASSWORD: &str = "launch-day-2026";

/// Starts a server with the admin `ada` on a free loopback port; it runs until the returned
/// runtime is dropped. Returns the runtime and the server's URL.
pub fn start_server(dir: &Path) -> (tokio::runtime::Runtime, String) {
    start_server_with(dir, &[("ada", Role::Admin)])
}

/// Starts a server with `users` (all with [`PASSWORD`]), as [`start_server`] does.
pub fn start_server_with(dir: &Path, users: &[(&str, Role)]) -> (tokio::runtime::Runtime, String) {
    let store = SqliteStore::open(&dir.join("server.sqlite")).expect("server database");
    for (name, role) in users {
        store
            .add_user(name, *role, &auth::hash_password(PASSWORD).expect("hash"))
            .expect("user");
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let state = Arc::new(AppState::new(Arc::new(store), chrono::Duration::hours(1)));
    runtime.spawn(serve(listener, state, std::future::pending()));
    (runtime, url)
}
