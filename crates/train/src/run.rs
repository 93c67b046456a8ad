//! A run's directory: the names of its files, saving and loading its network and its
//! checkpoints, and starting a run from an earlier one's weights.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::prelude::*;
use burn::store::ModuleRecord;
use models::Network;

use crate::config::{InitFrom, TrainingConfig};
use crate::error::TrainError;
use crate::record;

/// File names inside a run's artifact directory.
pub mod files {
    /// The run's hyperparameters.
    pub const CONFIG: &str = "config.json";
    /// The best epoch's weights.
    pub const MODEL: &str = "model.bpk";
    /// Metrics and history.
    pub const REPORT: &str = "report.json";
    /// burn-train's per-epoch checkpoints.
    pub const CHECKPOINTS: &str = "checkpoint";
    /// The finished epochs' history, rewritten after every epoch (what `--resume` continues).
    pub const HISTORY: &str = "history.json";
    /// burn's logs and checkpoints of a fine-tuning stage.
    pub const FINE_TUNE: &str = "fine-tune";
    /// The config of the run in progress, beside its checkpoints (`config.json` is written
    /// only when the run ends, so that until then it and `model.bpk` are the previous run's).
    pub const RUN_CONFIG: &str = "checkpoint/config.json";
    /// A recommender's users and items: their ids, the item titles, the rating scale.
    pub const CATALOG: &str = "catalog.json";
    /// A recommender's training ratings (what it answers from and what a user has seen).
    pub const RATINGS: &str = "ratings.csv";
}

/// The runs in `dir`: its sub-folders that hold a `config.json`, sorted.
pub fn run_dirs(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut runs: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join(files::CONFIG).is_file())
        .collect();
    runs.sort();
    Ok(runs)
}

/// `Ok` when `dir` holds a run (its `config.json`, or the config of a run in progress);
/// otherwise an error that says what `dir` is and lists the runs beside it, as `what`
/// (e.g. "there is no run to resume") explains.
pub fn check_run_dir(dir: &Path, what: &str) -> Result<(), TrainError> {
    if dir.join(files::CONFIG).is_file() || dir.join(files::RUN_CONFIG).is_file() {
        return Ok(());
    }
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let state = if dir.is_dir() {
        format!("it has no {}", files::CONFIG)
    } else {
        "no such folder".to_string()
    };
    let runs: Vec<String> = run_dirs(parent)
        .unwrap_or_default()
        .iter()
        .filter_map(|run| run.file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .collect();
    let listing = if runs.is_empty() {
        format!("there are no runs in {}", parent.display())
    } else {
        format!("the runs in {} are: {}", parent.display(), runs.join(", "))
    };
    Err(TrainError::Config(format!(
        "{}: {what} ({state}); {listing}",
        dir.display()
    )))
}

/// Writes a recommender run's catalog and training ratings into `dir`.
pub fn save_ratings(dir: &Path, ratings: &data::RatingsData) -> Result<(), TrainError> {
    ratings.catalog.save(&dir.join(files::CATALOG))?;
    ratings
        .train
        .save_csv(&dir.join(files::RATINGS), &ratings.catalog)?;
    Ok(())
}

/// A recommender run's catalog and training ratings, if `dir` holds them.
pub fn load_ratings(dir: &Path) -> Result<Option<(data::Catalog, data::Ratings)>, TrainError> {
    let catalog = dir.join(files::CATALOG);
    if !catalog.is_file() {
        return Ok(None);
    }
    let catalog = data::Catalog::load(&catalog)?;
    let ratings = data::Ratings::load_csv(&dir.join(files::RATINGS), &catalog)?;
    Ok(Some((catalog, ratings)))
}

/// Loads weights from `path` into a fresh network of `config`'s architecture.
pub fn load_network(
    config: &TrainingConfig,
    path: &Path,
    device: &Device,
) -> Result<Network, TrainError> {
    let record: ModuleRecord = record::load(path)?;
    config
        .model
        .init(device)
        .try_load_record(record)
        .map(|n| n.valid())
        .map_err(|e| {
            TrainError::Record(format!(
                "{}: these weights do not fit the `{}` architecture of {}: {e}",
                path.display(),
                config.model.name(),
                files::CONFIG
            ))
        })
}

/// Saves a network's weights to `path`, sealed with their checksum, atomically.
pub fn save_network(network: &Network, path: &Path) -> Result<(), TrainError> {
    let bytes = network
        .clone()
        .into_record()
        .into_bytes()
        .map_err(|e| TrainError::Record(format!("saving {}: {e}", path.display())))?;
    record::write_sealed(path, bytes)
}

/// Removes what an earlier run left that would be mistaken for this run's (burn's per-epoch
/// logs and checkpoints). The earlier `model.bpk`, `config.json` and `report.json` stay until
/// this run replaces them.
pub fn clear_stale_logs(dir: &Path) -> Result<(), TrainError> {
    std::fs::create_dir_all(dir).map_err(|e| TrainError::Io(format!("{}: {e}", dir.display())))?;
    for sub in ["train", "valid", files::CHECKPOINTS, files::FINE_TUNE] {
        let path = dir.join(sub);
        if path.exists() {
            std::fs::remove_dir_all(&path)
                .map_err(|e| TrainError::Io(format!("{}: {e}", path.display())))?;
        }
    }
    let _ = std::fs::remove_file(dir.join("experiment.log"));
    let _ = std::fs::remove_file(dir.join(files::HISTORY));
    Ok(())
}

/// burn's checkpoint of `kind` (`model`, `optim`, `scheduler`) after `epoch`.
pub fn checkpoint_path(dir: &Path, kind: &str, epoch: usize) -> PathBuf {
    dir.join(files::CHECKPOINTS)
        .join(format!("{kind}-{epoch}.bpk"))
}

/// `config`'s network on `device` with the weights of the model checkpoint after `epoch`; a
/// missing, cut-short or other architecture's file is an error naming it.
pub fn load_checkpoint(
    config: &TrainingConfig,
    dir: &Path,
    epoch: usize,
    device: &Device,
) -> Result<Network, TrainError> {
    let path = checkpoint_path(dir, "model", epoch);
    let record: ModuleRecord = record::load(&path)?;
    // The checkpoint holds the task wrapper, whose only parameters are the network's.
    let network = config.model.init(device);
    let wrapped = Checkpointed { network };
    wrapped
        .try_load_record(record)
        .map(|w| w.network)
        .map_err(|e| TrainError::Record(format!("{}: {e}", path.display())))
}

/// The shape of every task wrapper's record: the network under `network` (the tasks' other
/// fields are constants, not saved).
#[derive(Module, Debug)]
struct Checkpointed {
    network: Network,
}

impl InitFrom {
    /// `network` with these weights; a file that cannot be read or does not fit is an error
    /// naming it.
    pub fn apply(
        &self,
        network: models::Network,
        config: &TrainingConfig,
    ) -> Result<models::Network, TrainError> {
        match self {
            InitFrom::Pytorch(path) => Ok(network.load_pytorch(path)?),
            InitFrom::Run(dir) => {
                let earlier = TrainingConfig::load_file(&dir.join(files::CONFIG))?;
                if earlier.model.name() != config.model.name() {
                    return Err(TrainError::Config(format!(
                        "--init-from {}: that run trained `{}`, this one trains `{}`",
                        dir.display(),
                        earlier.model.name(),
                        config.model.name()
                    )));
                }
                let path = dir.join(files::MODEL);
                let record: ModuleRecord = record::load(&path)?;
                burn::module::Module::try_load_record(network, record).map_err(|e| {
                    TrainError::Record(format!(
                        "--init-from {}: its weights do not fit this run's `{}` (the shapes \
                         differ: another input size or class count?): {e}",
                        path.display(),
                        config.model.name()
                    ))
                })
            }
        }
    }
}
