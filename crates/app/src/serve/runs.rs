//! The runs a server serves, each loaded once: its network, config and task, what kind of
//! page fits it, its headline metric, and the files of its folder that may be served.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use burn::prelude::Device;
use serde::Serialize;
use train::run::files;
use train::{LoadedRun, Report};

use crate::predict::AppError;

/// The page a run gets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum PageKind {
    /// A grayscale image model (MNIST-style): a canvas to draw on.
    Drawing {
        /// Input side, in pixels.
        size: usize,
    },
    /// A colour image model: a drop zone and a file picker.
    Photo,
    /// A table model: a form of its features.
    Table {
        /// The feature names, in input order.
        features: Vec<String>,
    },
    /// A recommender: a user's recommendations, an item's look-alikes.
    Recommender,
    /// A model whose answers the page cannot show (an autoencoder's reconstructions): the
    /// API and the report only.
    ApiOnly {
        /// Why.
        reason: String,
    },
}

/// Extensions of the run's files the server shows (its report and pictures).
const SERVED_EXTENSIONS: [&str; 6] = ["png", "gif", "md", "json", "txt", "csv"];

/// One served run.
pub struct ServedRun {
    /// Its name in URLs: its folder's name (made unique).
    pub name: String,
    /// The loaded run.
    pub run: LoadedRun,
    /// Its page.
    pub kind: PageKind,
    /// Its `report.json`, when there is one.
    pub report: Option<Report>,
    /// The headline metric, e.g. `accuracy 0.9847`.
    pub headline: String,
    /// The files of its folder that may be served (plain files, by name, nothing below).
    pub files: BTreeSet<String>,
}

impl ServedRun {
    /// Loads the run in `dir`, named `name`.
    pub fn load(name: String, dir: &Path, device: &Device) -> Result<Self, AppError> {
        let run = LoadedRun::load(dir, device)?;
        let report = Report::load(&dir.join(files::REPORT)).ok();
        let headline = report
            .as_ref()
            .map(|r| run.task.headline(&r.test))
            .unwrap_or_else(|| "no report.json".into());
        let input = run.config.input;
        let kind = if run.catalog.is_some() {
            PageKind::Recommender
        } else if run.task.name() == train::task::Task::name(&train::task::Reconstruction) {
            PageKind::ApiOnly {
                reason: "an autoencoder's reconstructions are written as files: use app predict"
                    .into(),
            }
        } else if run.takes_rows() {
            let features = if run.config.feature_names.len() == input.channels {
                run.config.feature_names.clone()
            } else {
                (1..=input.channels)
                    .map(|i| format!("feature {i}"))
                    .collect()
            };
            PageKind::Table { features }
        } else if input.channels == 1 {
            PageKind::Drawing { size: input.width }
        } else {
            PageKind::Photo
        };
        let files = servable_files(dir)?;
        Ok(ServedRun {
            name,
            run,
            kind,
            report,
            headline,
            files,
        })
    }

    /// The run's folder.
    pub fn dir(&self) -> &Path {
        &self.run.dir
    }
}

/// The plain files directly in `dir` with a served extension.
fn servable_files(dir: &Path) -> Result<BTreeSet<String>, AppError> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| AppError::Input(format!("{}: {e}", dir.display())))?;
    Ok(entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| {
            Path::new(name)
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| SERVED_EXTENSIONS.contains(&x))
        })
        .collect())
}

/// The runs of `runs` and of every folder in `runs_dir` that holds a `config.json`, loaded;
/// each named by its folder (a repeated name gets `-2`, `-3`). A folder in `runs_dir` that
/// fails to load is skipped with a warning; a run named with `--run` that fails is an error.
pub fn load_all(
    runs: &[PathBuf],
    runs_dir: Option<&Path>,
    device: &Device,
) -> Result<Vec<ServedRun>, AppError> {
    let mut dirs: Vec<(PathBuf, bool)> = runs.iter().map(|d| (d.clone(), true)).collect();
    if let Some(root) = runs_dir {
        let found = train::run::run_dirs(root)
            .map_err(|e| AppError::Input(format!("--runs-dir {}: {e}", root.display())))?;
        dirs.extend(found.into_iter().map(|d| (d, false)));
    }
    let mut served: Vec<ServedRun> = Vec::new();
    for (dir, named) in dirs {
        let base = dir
            .canonicalize()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "run".into());
        let base: String = base
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let mut name = base.clone();
        let mut n = 2;
        while served.iter().any(|r| r.name == name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        match ServedRun::load(name, &dir, device) {
            Ok(run) => served.push(run),
            Err(e) if named => return Err(e),
            Err(e) => eprintln!("warning: skipping {}: {e}", dir.display()),
        }
    }
    Ok(served)
}
