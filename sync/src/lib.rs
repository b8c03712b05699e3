//! The replicated data of Galaxium Console and how it moves.
//!
//! The local replica (one SQLite file per console: its schema and migrations, the table
//! registry, health checks, backups), the wire protocol shared with the server, and the sync
//! client and live feed. The server is a package of its own (`galaxium-server`), so the
//! console never compiles it.

pub mod client;
pub mod commanding;
pub mod hlc;
pub mod launch_poll;
pub mod live;
pub mod protocol;
pub mod replica;
pub mod schema;
pub mod time;

pub use replica::{
    BackupRecord, Inspection, LoggedEvent, OpenOptions, OpenReport, Replica, ReplicaError,
    ReplicaKind, ReplicaStatus, TableCount,
};
