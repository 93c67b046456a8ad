//! A run's directory: the names of its files, saving a network, and loading a trained run
//! for inference ([`LoadedRun`], what `app predict`, `app evaluate` and `app serve` use).

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::prelude::*;
use burn::store::ModuleRecord;
use models::Network;

use crate::config::TrainingConfig;
use crate::error::TrainError;
use crate::task::{self, Task};

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
}

/// A trained run, loaded once for inference: its config (architecture, classes,
/// normalisation), its task and its best epoch's network in inference mode.
pub struct LoadedRun {
    /// The run's directory.
    pub dir: PathBuf,
    /// Its `config.json`.
    pub config: TrainingConfig,
    /// Its task.
    pub task: &'static dyn Task,
    /// The best epoch's network.
    pub network: Network,
}

impl std::fmt::Debug for LoadedRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedRun")
            .field("dir", &self.dir)
            .field("model", &self.config.model.name())
            .field("task", &self.task.name())
            .finish()
    }
}

impl LoadedRun {
    /// Loads the run in `dir` onto `device`: `config.json` rebuilds the architecture,
    /// `model.bpk` fills in its weights. A missing file, weights of another architecture or an
    /// unknown task are errors naming the file.
    pub fn load(dir: &Path, device: &Device) -> Result<Self, TrainError> {
        let config_path = dir.join(files::CONFIG);
        let config = TrainingConfig::load_file(&config_path)?;
        let task = task::find(&config.task)
            .map_err(|e| TrainError::Config(format!("{}: {e}", config_path.display())))?;
        let network = load_network(&config, &dir.join(files::MODEL), device)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            config,
            task,
            network,
        })
    }

    /// Whether the model takes table rows (`[features, 1, 1]` inputs) rather than images.
    pub fn takes_rows(&self) -> bool {
        self.config.input.height == 1 && self.config.input.width == 1
    }
}

/// Loads a run's network: its `config.json` rebuilds the architecture, its `model.bpk` fills
/// in the weights. Weights of another architecture are an error naming the file.
pub fn load_run(dir: &Path, device: &Device) -> Result<(TrainingConfig, Network), TrainError> {
    let run = LoadedRun::load(dir, device)?;
    Ok((run.config, run.network))
}

/// Loads weights from `path` into a fresh network of `config`'s architecture.
pub fn load_network(
    config: &TrainingConfig,
    path: &Path,
    device: &Device,
) -> Result<Network, TrainError> {
    if !path.is_file() {
        return Err(TrainError::Record(format!(
            "{}: no such file (train a model first: cargo run --release -p train)",
            path.display()
        )));
    }
    let record = ModuleRecord::load(path)
        .map_err(|e| TrainError::Record(format!("{}: not a burn record: {e}", path.display())))?;
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

/// Saves a network's weights to `path`, atomically.
pub fn save_network(network: &Network, path: &Path) -> Result<(), TrainError> {
    data::fsutil::write_atomic_with(path, |tmp| network.clone().into_record().save(tmp))
        .map_err(|e| TrainError::Record(format!("saving {}: {e}", path.display())))
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
    let record = ModuleRecord::load(&path)
        .map_err(|e| TrainError::Record(format!("{}: {e}", path.display())))?;
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
