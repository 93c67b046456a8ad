//! Atomic file writes: write a sibling temporary file, then rename it over the target, so a
//! reader (or a crash) never sees a half-written file. [`PendingFile`] streams a download or a
//! zip member that way, hashing it on the way, so that it is renamed into place only once
//! verified.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

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

/// Creates the folder `path` goes in, and the folders above it, unless they exist.
pub fn create_parent(path: &Path) -> Result<()> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => fs::create_dir_all(parent).map_err(|e| DataError::io(parent, e)),
        None => Ok(()),
    }
}

/// Writes `bytes` to `path` atomically (creating the parent directory if needed).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    create_parent(path)?;
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
    create_parent(path).map_err(AtomicWriteError::Io)?;
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

/// A file streamed to a temporary path beside its destination, renamed into place by
/// [`PendingFile::commit`] once the caller has checked it. Dropped without a commit (a failed
/// check, an error), the temporary file is removed: nothing is left behind.
#[derive(Debug)]
pub struct PendingFile {
    tmp: PathBuf,
    dest: PathBuf,
    committed: bool,
}

/// What [`PendingFile::stream`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Streamed {
    /// How many bytes.
    pub bytes: u64,
    /// Their sha256, lowercase hex.
    pub sha256: String,
}

impl PendingFile {
    /// Streams `input` to a new temporary file beside `dest`, hashing it on the way, and syncs
    /// it to disk.
    ///
    /// `on_chunk` sees the size of every chunk read (for a progress bar). A read error is
    /// worded by `read_failed(bytes read before it, error)`; a write error names the temporary
    /// file. On any error the temporary file is removed.
    pub fn stream(
        dest: &Path,
        mut input: impl Read,
        read_failed: impl FnOnce(u64, std::io::Error) -> DataError,
        mut on_chunk: impl FnMut(u64),
    ) -> Result<(PendingFile, Streamed)> {
        let tmp = temp_path_for(dest);
        let mut file = fs::File::create(&tmp).map_err(|e| DataError::io(&tmp, e))?;
        let pending = PendingFile {
            tmp,
            dest: dest.to_path_buf(),
            committed: false,
        };
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut bytes: u64 = 0;
        loop {
            let n = match input.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) => return Err(read_failed(bytes, e)),
            };
            hasher.update(&buf[..n]);
            file.write_all(&buf[..n])
                .map_err(|e| DataError::io(&pending.tmp, e))?;
            bytes += n as u64;
            on_chunk(n as u64);
        }
        file.sync_all()
            .map_err(|e| DataError::io(&pending.tmp, e))?;
        let sha256 = hex(&hasher.finalize());
        Ok((pending, Streamed { bytes, sha256 }))
    }

    /// Renames the file into place (its destination).
    pub fn commit(mut self) -> Result<()> {
        fs::rename(&self.tmp, &self.dest).map_err(|e| DataError::io(&self.dest, e))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for PendingFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The sha256 of a file, in lowercase hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(|e| DataError::io(path, e))?;
    Ok(hex(&hasher.finalize()))
}
