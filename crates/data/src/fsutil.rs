//! Atomic file writes: write a sibling temporary file, then rename it over the target, so a
//! reader (or a crash) never sees a half-written file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{DataError, Result};

/// A temporary path beside `path` (same directory, so the final rename is atomic).
pub fn temp_path_for(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_string());
    let unique = format!(
        ".{name}.{}-{}.partial",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    );
    path.with_file_name(unique)
}

/// Writes `bytes` to `path` atomically (creating the parent directory if needed).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| DataError::io(parent, e))?;
    }
    let tmp = temp_path_for(path);
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(DataError::io(path, e));
    }
    Ok(())
}

/// Runs `write` on a temporary path beside `path`, then renames the result onto `path`.
///
/// For writers that insist on a path of their own (burn's record writer). The temporary
/// file keeps `path`'s extension, and is removed if `write` fails.
pub fn write_atomic_with<E>(
    path: &Path,
    write: impl FnOnce(&Path) -> std::result::Result<(), E>,
) -> std::result::Result<(), AtomicWriteError<E>> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| AtomicWriteError::Io(DataError::io(parent, e)))?;
    }
    let mut tmp = temp_path_for(path);
    if let Some(ext) = path.extension() {
        let mut name = tmp.file_name().unwrap_or_default().to_os_string();
        name.push(".");
        name.push(ext);
        tmp = tmp.with_file_name(name);
    }
    if let Err(e) = write(&tmp) {
        let _ = fs::remove_file(&tmp);
        return Err(AtomicWriteError::Write(e));
    }
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        AtomicWriteError::Io(DataError::io(path, e))
    })
}

/// The error of [`write_atomic_with`]: the writer's own, or the rename's.
#[derive(Debug, thiserror::Error)]
pub enum AtomicWriteError<E> {
    /// The writer failed.
    #[error("{0}")]
    Write(E),
    /// Creating the directory or renaming failed.
    #[error(transparent)]
    Io(DataError),
}
