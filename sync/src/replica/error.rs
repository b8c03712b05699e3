use std::path::PathBuf;

/// Why a replica could not be opened, checked, written or backed up.
///
/// Causes are part of each message (not a `source` chain), so a message printed once says it all.
///
/// Each message says what was wrong, where, and what the operator can do next. Whenever a
/// file is refused it is left exactly as it was.
#[derive(Debug, thiserror::Error)]
pub enum ReplicaError {
    /// The replica folder cannot be created or written.
    #[error(
        "cannot write to the replica folder {}: {cause}. Choose another folder with --data (or GALAXIUM_DATA) or fix its permissions",
        dir.display()
    )]
    FolderNotWritable {
        /// The folder.
        dir: PathBuf,
        /// What the operating system said.
        cause: std::io::Error,
    },

    /// No replica file where one was expected.
    #[error("there is no replica at {}. Open the console once to create it, or pass --data with the right folder", path.display())]
    Missing {
        /// The path that was looked at.
        path: PathBuf,
    },

    /// A backup to restore from is not there.
    #[error("there is no backup file at {}", path.display())]
    MissingBackup {
        /// The path given.
        path: PathBuf,
    },

    /// The file is not a SQLite database at all.
    #[error(
        "{} is not a SQLite database (its header is {header}); it was left untouched. Restore it from a backup with `galaxium db restore`, or move it aside to start a new replica",
        path.display()
    )]
    NotADatabase {
        /// The file.
        path: PathBuf,
        /// A short description of what the header holds instead.
        header: String,
    },

    /// A SQLite database that some other program wrote.
    #[error(
        "{} is a SQLite database but not a Galaxium replica (application id {application_id:#x}); it was left untouched. Point --data at a Galaxium data folder",
        path.display()
    )]
    NotAReplica {
        /// The file.
        path: PathBuf,
        /// The application id found in its header.
        application_id: i32,
    },

    /// The file was written by a newer Galaxium.
    #[error(
        "{} was written by a newer Galaxium (schema version {found}; this build knows up to {supported}); it was left untouched. Install a newer Galaxium to open it",
        path.display()
    )]
    TooNew {
        /// The file.
        path: PathBuf,
        /// Its schema version.
        found: u32,
        /// The newest version this build knows.
        supported: u32,
    },

    /// The file failed SQLite's integrity check.
    #[error(
        "{} failed its integrity check ({report}); it was left untouched. Restore it from a backup with `galaxium db restore`",
        path.display()
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The first problems SQLite reported.
        report: String,
    },

    /// A backup target that already exists is never overwritten.
    #[error("{} already exists; choose a new file name for the backup", path.display())]
    BackupExists {
        /// The path asked for.
        path: PathBuf,
    },

    /// A migration failed; the file was rolled back to the version before it.
    #[error(
        "upgrading {} from schema version {from} failed: {cause}. A copy taken before the upgrade is at {}",
        path.display(),
        backup.display()
    )]
    Migration {
        /// The replica.
        path: PathBuf,
        /// The version it had.
        from: u32,
        /// The backup taken before migrating.
        backup: PathBuf,
        /// What SQLite said.
        cause: rusqlite::Error,
    },

    /// A table that does not replicate.
    #[error("there is no table {table:?} in the replica")]
    UnknownTable {
        /// The name given.
        table: String,
    },

    /// A column the table does not have.
    #[error("table {table} has no column {column:?}")]
    UnknownColumn {
        /// The table.
        table: String,
        /// The name given.
        column: String,
    },

    /// A row that is not there.
    #[error("there is no row {row_id} in {table}")]
    RowNotFound {
        /// The table.
        table: String,
        /// The id given.
        row_id: String,
    },

    /// Only a training sandbox may join a training session.
    #[error("{} is an operational replica; only a training sandbox joins a training session", path.display())]
    NotTraining {
        /// The replica.
        path: std::path::PathBuf,
    },

    /// A value does not fit its column (the registry's rule, which the server also applies).
    #[error("{table}: {problem}")]
    ValueRefused {
        /// The table.
        table: String,
        /// The column and what is wrong with its value.
        problem: crate::schema::registry::ValueProblem,
    },

    /// Another row already holds a value that only one row may hold (a vehicle's name).
    #[error("{reason}")]
    KeyTaken {
        /// The table.
        table: String,
        /// What is taken, in words: `a vehicle named "Aurora" already exists`.
        reason: String,
    },

    /// SQLite refused a write (a constraint, a full disk, a locked file).
    #[error("the replica refused the change to {table} row {row_id}: {cause}")]
    WriteRefused {
        /// The table.
        table: String,
        /// The row.
        row_id: String,
        /// What SQLite said.
        cause: rusqlite::Error,
    },

    /// A SQLite operation failed.
    #[error("{context} ({}): {cause}", path.display())]
    Sqlite {
        /// What was being done, as a phrase ("reading the schema version").
        context: &'static str,
        /// The file involved.
        path: PathBuf,
        /// What SQLite said.
        cause: rusqlite::Error,
    },

    /// A file operation failed.
    #[error("{context} ({}): {cause}", path.display())]
    Io {
        /// What was being done, as a phrase.
        context: &'static str,
        /// The file involved.
        path: PathBuf,
        /// What the operating system said.
        cause: std::io::Error,
    },
}

impl ReplicaError {
    pub(crate) fn sqlite(
        context: &'static str,
        path: &std::path::Path,
    ) -> impl FnOnce(rusqlite::Error) -> Self {
        let path = path.to_path_buf();
        move |cause| Self::Sqlite {
            context,
            path,
            cause,
        }
    }

    pub(crate) fn io(
        context: &'static str,
        path: &std::path::Path,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.to_path_buf();
        move |cause| Self::Io {
            context,
            path,
            cause,
        }
    }
}
