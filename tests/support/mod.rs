//! Shared by the end-to-end tests: a real sync server on loopback.

#![allow(
    clippy::expect_used,
    reason = "test setup: a failure here is a failed test"
)]

use std::path::Path;
use std::sync::Arc;

use galaxium_server::store::{SqliteStore, Store as _};
use galaxium_server::{AppState, auth, serve, serve_tls};
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
    let db = dir.join("server.sqlite");
    let store = SqliteStore::open(&db).expect("server database");
    for (name, role) in users {
        store
            .add_user(name, *role, &auth::hash_password(PASSWORD).expect("hash"))
            .expect("user");
    }
    drop(store);
    serve_database(&db)
}

/// A site's own certificate authority and a server certificate it signed for `localhost`
/// and 127.0.0.1, as PEM files in `dir`: (the CA's certificate, the server's chain, its key).
#[allow(
    dead_code,
    reason = "used by some of the test binaries that include this module"
)]
pub fn site_certificates(
    dir: &Path,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let ca_key = rcgen::KeyPair::generate().expect("a CA key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Spaceport test CA");
    let ca = ca_params.self_signed(&ca_key).expect("a CA certificate");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let server_key = rcgen::KeyPair::generate().expect("a server key");
    let server_params =
        rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("server params");
    let server = server_params
        .signed_by(&server_key, &issuer)
        .expect("a server certificate");
    let (ca_file, cert_file, key_file) = (
        dir.join("site-ca.pem"),
        dir.join("server.crt"),
        dir.join("server.key"),
    );
    std::fs::write(&ca_file, ca.pem()).expect("CA file");
    std::fs::write(&cert_file, server.pem()).expect("certificate file");
    std::fs::write(&key_file, server_key.serialize_pem()).expect("key file");
    (ca_file, cert_file, key_file)
}

/// As [`start_server`], serving HTTPS with the certificate and key in `cert` and `key`; the
/// URL is `https://127.0.0.1:PORT`.
#[allow(
    dead_code,
    reason = "used by some of the test binaries that include this module"
)]
pub fn start_tls_server(dir: &Path, cert: &Path, key: &Path) -> (tokio::runtime::Runtime, String) {
    let store = SqliteStore::open(&dir.join("server.sqlite")).expect("server database");
    store
        .add_user(
            "ada",
            Role::Admin,
            &auth::hash_password(PASSWORD).expect("hash"),
        )
        .expect("user");
    let tls = galaxium_server::serving::tls_config(cert, key).expect("a TLS identity");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("a loopback port");
    let url = format!("https://{}", listener.local_addr().expect("address"));
    let state = Arc::new(AppState::new(Arc::new(store), chrono::Duration::hours(1)));
    runtime.spawn(serve_tls(listener, state, tls, std::future::pending()));
    (runtime, url)
}

/// `user` signed in to `url` on the console of `replica`: the sign-in claims its device, as a
/// console's does, so it pushes and pulls for that console only.
#[allow(
    dead_code,
    reason = "used by some of the test binaries that include this module"
)]
pub fn signed_in_on(
    runtime: &tokio::runtime::Runtime,
    url: &str,
    user: &str,
    replica: &galaxium_sync::Replica,
) -> galaxium_sync::client::SyncClient {
    let mut client = galaxium_sync::client::SyncClient::new(url).expect("a client");
    let claim = replica.device_claim().expect("the replica's device claim");
    runtime
        .block_on(client.login_as(user, PASSWORD, Some(claim)))
        .expect("signed in");
    client
}

/// Serves the server database already at `db` (its users as they are) on a free loopback
/// port, as [`start_server`] does.
#[allow(
    dead_code,
    reason = "used by some of the test binaries that include this module"
)]
pub fn serve_database(db: &Path) -> (tokio::runtime::Runtime, String) {
    let store = SqliteStore::open(db).expect("server database");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let state = Arc::new(AppState::new(Arc::new(store), chrono::Duration::hours(1)));
    runtime.spawn(serve(listener, state, std::future::pending()));
    (runtime, url)
}
