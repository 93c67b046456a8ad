//! Downloading dataset files: every file is fetched from the first mirror that answers,
//! hashed while it streams to a temporary file beside its destination, checked against the
//! published sha256 and only then renamed into place. A failed or corrupted download leaves
//! nothing behind.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::error::{DataError, Result};
use crate::fsutil::PendingFile;
pub use crate::fsutil::{hex, sha256_file};

/// One file of a dataset as published.
#[derive(Debug, Clone, Copy)]
pub struct RemoteFile {
    /// File name, as published (gzip).
    pub name: &'static str,
    /// sha256 of the published file.
    pub sha256: &'static str,
}

/// The path of a published file in `dir`, if it is there gzipped or uncompressed.
pub fn find_file(dir: &Path, file: &RemoteFile) -> Option<PathBuf> {
    let gz = dir.join(file.name);
    if gz.is_file() {
        return Some(gz);
    }
    let raw = dir.join(file.name.trim_end_matches(".gz"));
    raw.is_file().then_some(raw)
}

/// Files published together, that [`ensure_files`] fetches into one folder: a dataset's
/// (the IDX datasets' `DatasetName` is one). Its `Display` names it in errors.
pub trait FileSet: fmt::Display {
    /// The published files, with their sha256 sums.
    fn files(&self) -> &[RemoteFile];
    /// The set's folder inside the data directory.
    fn subdir(&self) -> &str;
    /// The environment variable that overrides the download mirrors (comma-separated base
    /// URLs).
    fn mirror_env_var(&self) -> &str;
    /// The built-in download mirrors (base URLs; a file's URL is the base joined with its
    /// name).
    fn default_mirrors(&self) -> &[&str];
}

impl<T: FileSet + ?Sized> FileSet for &T {
    fn files(&self) -> &[RemoteFile] {
        (**self).files()
    }

    fn subdir(&self) -> &str {
        (**self).subdir()
    }

    fn mirror_env_var(&self) -> &str {
        (**self).mirror_env_var()
    }

    fn default_mirrors(&self) -> &[&str] {
        (**self).default_mirrors()
    }
}

/// How missing files are fetched.
#[derive(Debug, Clone, Default)]
pub struct DownloadOptions {
    /// Base URLs to try, in order; `None` uses the dataset's mirror environment variable
    /// (for example `APRENDE_MNIST_MIRRORS`), else its built-in mirrors.
    pub mirrors: Option<Vec<String>>,
    /// Never touch the network; missing files are an error that says where to put them.
    pub offline: bool,
    /// Draw a progress bar on standard error (hidden when it is not a terminal).
    pub progress: bool,
}

impl DownloadOptions {
    /// The mirrors to use for `dataset`.
    pub fn mirrors_for(&self, dataset: impl FileSet) -> Vec<String> {
        self.mirrors_or(dataset.mirror_env_var(), dataset.default_mirrors())
    }

    /// `self.mirrors` if set, else the comma-separated list in the environment variable
    /// `env_var` when it names any, else `defaults`.
    pub fn mirrors_or(&self, env_var: &str, defaults: &[&str]) -> Vec<String> {
        if let Some(m) = &self.mirrors {
            return m.clone();
        }
        if let Ok(env) = std::env::var(env_var) {
            let list: Vec<String> = env
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            if !list.is_empty() {
                return list;
            }
        }
        defaults.iter().map(|s| s.to_string()).collect()
    }
}

/// Joins a mirror base URL and a file name.
pub fn join_url(base: &str, name: &str) -> String {
    format!("{}/{}", base.trim_end_matches('/'), name)
}

/// Makes sure every file of `dataset` is in `dir`, downloading the missing ones.
pub fn ensure_files(dataset: impl FileSet, dir: &Path, options: &DownloadOptions) -> Result<()> {
    let missing: Vec<_> = dataset
        .files()
        .iter()
        .filter(|f| find_file(dir, f).is_none())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mirrors = options.mirrors_for(&dataset);
    let mut attempts = Vec::new();
    if options.offline {
        attempts.push("none: offline mode".to_string());
    } else {
        fs::create_dir_all(dir).map_err(|e| DataError::io(dir, e))?;
        for file in &missing {
            let urls: Vec<String> = mirrors.iter().map(|m| join_url(m, file.name)).collect();
            match download_verified(&urls, &dir.join(file.name), file.sha256, options.progress) {
                Ok(()) => {}
                Err(errors) => attempts.extend(errors.into_iter().map(|e| e.to_string())),
            }
        }
    }
    let still_missing: Vec<String> = dataset
        .files()
        .iter()
        .filter(|f| find_file(dir, f).is_none())
        .map(|f| f.name.to_string())
        .collect();
    if still_missing.is_empty() {
        return Ok(());
    }
    Err(DataError::Missing {
        dataset: dataset.to_string(),
        dir: dir.to_path_buf(),
        subdir: dataset.subdir().to_string(),
        files: still_missing,
        attempts,
    })
}

/// Downloads the first of `urls` that works to `dest`, verified against `sha256`.
///
/// Returns the error of every URL tried when none worked. A checksum mismatch is not retried
/// on the next mirror silently: it is reported with the others.
pub fn download_verified(
    urls: &[String],
    dest: &Path,
    sha256: &str,
    progress: bool,
) -> std::result::Result<(), Vec<DataError>> {
    let mut errors = Vec::new();
    for url in urls {
        match download_one(url, dest, sha256, progress) {
            Ok(()) => return Ok(()),
            Err(e) => errors.push(e),
        }
    }
    Err(errors)
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(15)))
        .timeout_recv_body(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// Downloads `url` to `dest`, checking its sha256. Nothing is left at `dest` (or beside it)
/// unless the whole file arrived with the right checksum.
pub fn download_one(url: &str, dest: &Path, sha256: &str, progress: bool) -> Result<()> {
    download_to(url, dest, Some(sha256), progress)
}

/// Downloads `url` to `dest` through a temporary file beside it, renamed into place once the
/// whole body arrived and, when `sha256` is given, matched it (without one, the caller
/// verifies what it takes from the file: a wheel's member). A failed download leaves nothing.
pub fn download_to(url: &str, dest: &Path, sha256: Option<&str>, progress: bool) -> Result<()> {
    let failed = |problem: String| DataError::Download {
        url: url.to_string(),
        problem,
    };
    let mut response = agent().get(url).call().map_err(|e| failed(e.to_string()))?;
    let total = response.body().content_length();
    let bar = if progress {
        let bar = ProgressBar::new(total.unwrap_or(0));
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
            )
            .expect("valid progress template")
            .progress_chars("=> "),
        );
        bar.set_message(
            dest.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let reader = response.body_mut().as_reader();
    let result = (|| {
        let (file, streamed) = PendingFile::stream(
            dest,
            reader,
            |received, e| failed(format!("connection broke after {received} bytes: {e}")),
            |n| bar.inc(n),
        )?;
        let received = streamed.bytes;
        if let Some(total) = total
            && received != total
        {
            return Err(failed(format!("received {received} of {total} bytes")));
        }
        if let Some(expected) = sha256
            && !streamed.sha256.eq_ignore_ascii_case(expected)
        {
            return Err(DataError::Checksum {
                url: url.to_string(),
                expected: expected.to_string(),
                actual: streamed.sha256,
            });
        }
        file.commit()
    })();
    bar.finish_and_clear();
    result
}

/// Files in `dir` left by an interrupted download (there should be none).
pub fn partial_files(dir: &Path) -> Vec<PathBuf> {
    fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".partial"))
        .collect()
}
