//! Where the console keeps its files.

use std::path::{Path, PathBuf};

use galaxium_sync::replica::REPLICA_FILE_NAME;

/// No data folder was given and the platform has none for the console (no home folder).
#[derive(Debug, thiserror::Error)]
#[error("cannot find a home folder for the replica; pass --data DIR or set GALAXIUM_DATA")]
pub struct NoDataFolder;

/// The data folder: the replica, its backups and the logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// The folder given on the command line (or `GALAXIUM_DATA`), else the platform's data
    /// folder for the console (on Linux `~/.local/share/galaxium`).
    pub fn resolve(explicit: Option<&Path>) -> Result<Self, NoDataFolder> {
        if let Some(dir) = explicit {
            return Ok(Self::at(dir));
        }
        let dirs =
            directories::ProjectDirs::from("space", "Galaxium", "galaxium").ok_or(NoDataFolder)?;
        Ok(Self::at(dirs.data_dir()))
    }

    /// A data folder at `root`.
    pub fn at(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
        }
    }

    /// The folder itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The replica file.
    pub fn replica(&self) -> PathBuf {
        self.root.join(REPLICA_FILE_NAME)
    }

    /// Rotating log files.
    pub fn logs(&self) -> PathBuf {
        self.root.join("logs")
    }

    /// Backups taken from the console.
    pub fn backups(&self) -> PathBuf {
        self.root.join("backups")
    }

    /// Where exports from the console (bookings, manifests) are written.
    pub fn exports(&self) -> PathBuf {
        self.root.join("exports")
    }
}
