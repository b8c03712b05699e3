//! The replicated data of Galaxium Console and how it moves.
//!
//! Today this crate holds the local replica: one SQLite file per console, its schema and
//! migrations, its health checks and its backups. The sync protocol, client and server build
//! on it.

pub mod client;
pub mod hlc;
pub mod live;
pub mod protocol;
pub mod replica;
pub mod schema;
pub mod server;

pub use replica::{
    BackupRecord, Inspection, OpenOptions, OpenReport, Replica, ReplicaError, ReplicaKind,
    ReplicaStatus, TableCount,
};
