//! The MovieLens sets, published as GroupLens zip archives: fetched from a mirror, verified by
//! sha256, and their members extracted atomically.

use std::fs;
use std::path::Path;

use crate::archive::extract_zip;
use crate::download::{DownloadOptions, download_verified, join_url};
use crate::error::{DataError, Result};
use crate::fsutil::temp_path_for;

/// The environment variable that replaces the MovieLens mirrors (comma-separated base URLs).
pub const MOVIELENS_MIRROR_ENV_VAR: &str = "APRENDE_MOVIELENS_MIRRORS";

/// The built-in MovieLens mirror: GroupLens itself.
pub const MOVIELENS_DEFAULT_MIRRORS: &[&str] = &["https://files.grouplens.org/datasets/movielens"];

/// A MovieLens zip archive: its file name on the mirrors, its sha256, and the members aprende
/// takes from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MovielensArchive<'a> {
    /// The archive's file name on a mirror (`ml-latest-small.zip`).
    pub zip_name: &'a str,
    /// The sha256 of the archive, lowercase hex.
    pub sha256: &'a str,
    /// `(member in the zip, file name in the dataset folder)` of every file taken from it.
    pub members: &'a [(&'a str, &'a str)],
}

/// MovieLens "latest-small" (`ml-latest-small.zip`, sha256 as pinned by TensorFlow Datasets):
/// `ratings.csv` and `movies.csv` into `DATA_DIR/movielens-small/`.
pub const MOVIELENS_SMALL: MovielensArchive<'static> = MovielensArchive {
    zip_name: "ml-latest-small.zip",
    sha256: "696d65a3dfceac7c45750ad32df2c259311949efec81f0f144fdfb91ebc9e436",
    members: &[
        ("ml-latest-small/ratings.csv", "ratings.csv"),
        ("ml-latest-small/movies.csv", "movies.csv"),
    ],
};

/// MovieLens 100K (`ml-100k.zip`, sha256 as pinned by TensorFlow Datasets): `u.data` and
/// `u.item` into `DATA_DIR/movielens-100k/`.
pub const MOVIELENS_100K: MovielensArchive<'static> = MovielensArchive {
    zip_name: "ml-100k.zip",
    sha256: "50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
    members: &[("ml-100k/u.data", "u.data"), ("ml-100k/u.item", "u.item")],
};

/// Makes sure every member file of `set` is in `dir` (the dataset folder): when one is
/// missing, downloads the archive from the MovieLens mirrors (`options.mirrors`, else
/// `APRENDE_MOVIELENS_MIRRORS`, else GroupLens) to a temporary file in `dir`, checks its
/// sha256, extracts the missing members into `dir` atomically (all of them or none), and
/// removes the archive.
///
/// Files already there are kept as they are. Offline, or when no mirror works, the error says
/// which files go where and where to get them.
pub fn fetch_movielens_archive(
    set: &MovielensArchive<'_>,
    dir: &Path,
    options: &DownloadOptions,
) -> Result<()> {
    let missing = |members: &[(&str, &str)]| -> Vec<(String, String)> {
        members
            .iter()
            .filter(|(_, file)| !dir.join(file).is_file())
            .map(|(m, f)| (m.to_string(), f.to_string()))
            .collect()
    };
    let wanted = missing(set.members);
    if wanted.is_empty() {
        return Ok(());
    }
    let mirrors = options.mirrors_or(MOVIELENS_MIRROR_ENV_VAR, MOVIELENS_DEFAULT_MIRRORS);
    let urls: Vec<String> = mirrors.iter().map(|m| join_url(m, set.zip_name)).collect();
    let mut attempts = Vec::new();
    if options.offline {
        attempts.push("none: offline mode".to_string());
    } else if urls.is_empty() {
        attempts.push("none: no mirror configured".to_string());
    } else {
        fs::create_dir_all(dir).map_err(|e| DataError::io(dir, e))?;
        let archive = temp_path_for(&dir.join(set.zip_name));
        for url in &urls {
            let result = download_verified(
                std::slice::from_ref(url),
                &archive,
                set.sha256,
                options.progress,
            )
            .map_err(|errors| {
                errors
                    .into_iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
            })
            .and_then(|()| {
                extract_members(&archive, url, dir, &wanted).map_err(|e| vec![e.to_string()])
            });
            let _ = fs::remove_file(&archive);
            match result {
                Ok(()) => return Ok(()),
                Err(errors) => attempts.extend(errors),
            }
        }
    }
    let url = urls
        .first()
        .cloned()
        .unwrap_or_else(|| join_url(MOVIELENS_DEFAULT_MIRRORS[0], set.zip_name));
    Err(DataError::ArchiveMissing {
        dir: dir.to_path_buf(),
        files: missing(set.members)
            .into_iter()
            .map(|(member, file)| format!("{file} (the archive's {member})"))
            .collect(),
        url: url.into(),
        sha256: set.sha256.into(),
        mirror_env_var: MOVIELENS_MIRROR_ENV_VAR,
        attempts,
    })
}

/// Extracts `members` (`(member, file name)`) of the zip at `archive` (`label` in errors) into
/// `dir`: each to a temporary file first, then all renamed into place, so a bad archive leaves
/// nothing under the final names.
fn extract_members(
    archive: &Path,
    label: &str,
    dir: &Path,
    members: &[(String, String)],
) -> Result<()> {
    let bad = |member: Option<&str>, problem: String| DataError::Download {
        url: label.to_string(),
        problem: match member {
            Some(member) => format!("member `{member}`: {problem}"),
            None => problem,
        },
    };
    let pick = |names: &[String]| {
        members
            .iter()
            .map(|(member, file)| {
                if names.contains(member) {
                    Ok((member.clone(), dir.join(file)))
                } else {
                    Err(bad(None, format!("no member `{member}`")))
                }
            })
            .collect()
    };
    extract_zip(archive, pick, |_, _| Ok(()), bad)
}
