//! A trained run loaded for inference, once ([`LoadedRun`]): its config (architecture,
//! classes, normalisation), its task and its best epoch's network. `app predict` and `app
//! evaluate` use it, and nothing else of training.

use std::path::{Path, PathBuf};

use burn::prelude::*;
use models::Network;

use crate::config::TrainingConfig;
use crate::error::TrainError;
use crate::run::{files, load_network, load_ratings};
use crate::task::{self, Task};

/// A trained run, loaded once for inference: its config (architecture, classes,
/// normalisation), its task and its best epoch's network in inference mode.
pub struct LoadedRun {
    /// The run's directory.
    pub dir: PathBuf,
    /// Its `config.json`.
    pub config: TrainingConfig,
    /// Its task.
    pub task: &'static dyn Task,
    /// The best epoch's network (a recommender's holding its training ratings).
    pub network: Network,
    /// A recommender's users and items (ids, titles, scale); `None` for other runs.
    pub catalog: Option<data::Catalog>,
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
        crate::run::check_run_dir(dir, "not a trained run")?;
        let config_path = dir.join(files::CONFIG);
        let config = TrainingConfig::load_file(&config_path)?;
        let task = task::find(&config.task)
            .map_err(|e| TrainError::Config(format!("{}: {e}", config_path.display())))?;
        let mut network = load_network(&config, &dir.join(files::MODEL), device)?;
        let mut catalog = None;
        if let Some((c, train)) = load_ratings(dir)? {
            network =
                network.with_interactions(crate::task::recommendation::interactions(&c, &train)?);
            catalog = Some(c);
        } else if config.input.ratings.is_some() {
            return Err(TrainError::Config(format!(
                "{}: a recommender's run needs its {} and {}",
                dir.display(),
                files::CATALOG,
                files::RATINGS
            )));
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            config,
            task,
            network,
            catalog,
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
