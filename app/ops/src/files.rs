//! Every file the console and its command line write (exports, reports, debriefs, copies of
//! attachments) goes through [`write_whole`]: written beside its destination, flushed to
//! disk, then renamed into place. A full disk or a crash leaves the old file or none, never a
//! half-written one that looks whole.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Why a file could not be written; the destination is left as it was.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {}: {cause}", path.display())]
pub struct WriteError {
    /// The file that was to be written.
    pub path: PathBuf,
    /// What the operating system said.
    pub cause: std::io::Error,
}

/// Writes `bytes` to `path` whole or not at all, creating its folder if needed.
pub fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let failed = |cause| WriteError {
        path: path.to_path_buf(),
        cause,
    };
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder).map_err(failed)?;
    // A temporary file in the same folder, so the rename stays on one file system; it is
    // removed if anything below fails.
    let mut partial = tempfile::Builder::new()
        .prefix(".partial-")
        .tempfile_in(folder)
        .map_err(failed)?;
    partial.write_all(bytes).map_err(failed)?;
    partial.as_file().sync_all().map_err(failed)?;
    partial.persist(path).map_err(|e| failed(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".partial-"))
            .collect()
    }

    #[test]
    fn a_file_is_written_whole_into_a_new_folder_and_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("exports").join("GX-14-manifest.csv");
        write_whole(&path, b"first").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        write_whole(&path, b"second, longer").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second, longer");
        assert!(leftovers(path.parent().unwrap()).is_empty());
    }

    #[test]
    fn a_write_that_cannot_land_leaves_the_old_file_and_no_partial_one() {
        let dir = tempfile::tempdir().unwrap();
        // The destination is a folder: the rename fails after the bytes were written.
        let path = dir.path().join("report.pdf");
        std::fs::create_dir(&path).unwrap();
        std::fs::write(path.join("inside"), b"kept").unwrap();
        let err = write_whole(&path, b"new").unwrap_err();
        assert!(err.to_string().starts_with("cannot write "), "{err}");
        assert!(err.to_string().contains("report.pdf"), "{err}");
        assert_eq!(std::fs::read(path.join("inside")).unwrap(), b"kept");
        assert!(leftovers(dir.path()).is_empty());
    }
}
