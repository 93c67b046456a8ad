//! The whole of a training run as the command line gets it, in the library: [`prepare`] finds
//! the saved config being rerun or resumed, resolves the settings, finds pretrained weights,
//! loads the data, standardises it and names the run's folder; [`Prepared::fit`] trains.
//! `train`, `aprende train`, the examples and the tests all take this one path.

use std::path::PathBuf;
use std::sync::Arc;

use burn::module::Module;
use burn::train::Interrupter;
use data::{DataDir, DatasetSpec, DownloadOptions};
use models::ModelEntry;

use crate::backend::BackendKind;
use crate::config::{InitFrom, TrainingConfig};
use crate::devices::{DeviceList, Devices};
use crate::error::TrainError;
use crate::fit::{FitOptions, FitOutcome, TrainingData, fit_task};
use crate::renderer::ProgressMode;
use crate::run::files;
use crate::settings::{Flags, Settings};
use crate::task::Task;
use crate::task::recommendation::{rating_splits, ratings_shape};

/// What a run is asked to do: the `train` command line as a value. [`RunRequest::new`] takes
/// the run's [`Flags`] and gives the command line's defaults for the rest.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// What to train, and how (`None` fields: the saved config's, the recipe's or aprende's
    /// defaults).
    pub flags: Flags,
    /// The one device to train on when `devices` is `None`.
    pub backend: BackendKind,
    /// Several devices to train on, data-parallel (`--devices`).
    pub devices: Option<DeviceList>,
    /// With CUDA devices: burn's distributed data parallel (`--ddp`).
    pub ddp: bool,
    /// The token remote devices ask for (`--remote-token`).
    pub remote_token: Option<String>,
    /// Where datasets and weights are found and downloaded to (`None`: `$APRENDE_DATA_DIR`,
    /// else `~/.cache/aprende/data`).
    pub data_dir: Option<PathBuf>,
    /// Never download: a missing file is an error that says where to put it.
    pub offline: bool,
    /// The run's folder (`None`: `artifacts/DATASET-MODEL`).
    pub artifact_dir: Option<PathBuf>,
    /// A saved `config.json` to rerun; `flags` override its values.
    pub config: Option<PathBuf>,
    /// A run folder to continue from its last checkpoint; `flags` override its config.
    pub resume: Option<PathBuf>,
}

impl RunRequest {
    /// A run of `flags` on the flex CPU backend, with the command line's defaults.
    pub fn new(flags: Flags) -> Self {
        Self {
            flags,
            backend: BackendKind::Flex,
            devices: None,
            ddp: false,
            remote_token: None,
            data_dir: None,
            offline: false,
            artifact_dir: None,
            config: None,
            resume: None,
        }
    }

    /// The devices this request trains on, as a list.
    pub fn device_list(&self) -> DeviceList {
        self.devices
            .clone()
            .unwrap_or_else(|| DeviceList::single(self.backend))
    }

    /// The saved config the run starts from: the one beside a resumed run's checkpoints (the
    /// run may have been killed before it wrote `config.json`; runs of older versions only
    /// have `config.json`), else `--config`.
    fn saved_config(&self) -> Option<PathBuf> {
        self.resume
            .as_ref()
            .map(|dir| {
                let in_progress = dir.join(files::RUN_CONFIG);
                if in_progress.is_file() {
                    in_progress
                } else {
                    dir.join(files::CONFIG)
                }
            })
            .or(self.config.clone())
    }
}

/// A run ready to train: its config, its data, its devices and its folder.
pub struct Prepared {
    /// The run's config, as `config.json` will hold it.
    pub config: TrainingConfig,
    /// The data, split into training, validation and test parts.
    pub data: TrainingData,
    /// The devices it trains on.
    pub devices: Devices,
    /// The run's folder.
    pub artifact_dir: PathBuf,
    /// Whether it continues the run in `artifact_dir`.
    pub resume: bool,
    /// What the network learns.
    pub task: &'static dyn Task,
    /// The dataset.
    pub dataset: DatasetSpec,
    /// The architecture's registry entry.
    pub model: &'static ModelEntry,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("model", &self.model.name)
            .field("dataset", &self.dataset.to_string())
            .field("task", &self.task.name())
            .field("devices", &self.devices.describe())
            .field("artifact_dir", &self.artifact_dir)
            .field("resume", &self.resume)
            .finish()
    }
}

/// Opens the devices, resolves the settings and loads the data of `request`. It says what it
/// does on standard output (the weights and data it loads), as the command line does.
///
/// The devices come first, so a missing GPU or a refused `--ddp` is said before any data
/// loads.
pub fn prepare(request: &RunRequest) -> Result<Prepared, TrainError> {
    let devices = request
        .device_list()
        .open(request.ddp, request.remote_token.as_deref())?;
    if let Some(dir) = &request.resume {
        crate::run::check_run_dir(dir, "there is no run to resume")?;
    }
    let base = request
        .saved_config()
        .as_deref()
        .map(TrainingConfig::load_file)
        .transpose()?;
    let flags = &request.flags;
    let mut settings = Settings::resolve(flags, base.as_ref())?;
    let dataset = settings.dataset.clone();
    let entry = settings.entry;

    let data_dir = DataDir::resolve(request.data_dir.as_deref());
    let download = DownloadOptions {
        mirrors: None,
        offline: request.offline,
        progress: true,
    };
    // A pretrained architecture starts from its weights unless --init-from says otherwise.
    if let Some(pretrained) = entry.pretrained
        && flags.init_from.is_none()
    {
        let path = data::resolve_weights(
            &pretrained.weights,
            flags.weights.as_deref(),
            &data_dir,
            &download,
        )?;
        println!("Pretrained weights: {}", path.display());
        settings.init_from = Some(InitFrom::Pytorch(path));
    }
    match &dataset {
        DatasetSpec::Idx(name) => println!(
            "Loading {dataset} from {}",
            data_dir.dataset_dir(*name).display()
        ),
        _ => println!("Loading {dataset}"),
    }
    let load_options = settings.load_options(data_dir, download);
    let (splits, ratings) = if dataset.is_ratings() {
        let ratings = dataset.load_ratings(&load_options)?;
        describe_ratings(&ratings);
        (rating_splits(&ratings), Some(Arc::new(ratings)))
    } else {
        (dataset.load(&load_options)?, None)
    };
    for skip in &splits.skipped {
        eprintln!("skipped {}: {}", skip.path.display(), skip.reason);
    }
    settings.follow_data(splits.train.is_regression());
    let shape = ratings
        .as_ref()
        .map(|r| ratings_shape(&r.catalog, &r.train));
    let config = settings
        .config_for_ratings(&splits.train, shape)?
        .with_feature_names(splits.feature_names.clone());
    config.validate()?;

    let mut data = TrainingData::new(splits, config.val_split, config.seed)?;
    if let Some(ratings) = ratings {
        data = data.with_ratings(ratings);
    }
    // Inputs are standardised per channel with statistics of the training part only; the
    // statistics go into config.json so evaluation and prediction reuse them. A pretrained
    // network's inputs are normalised as its weights expect.
    let config = match entry.pretrained {
        Some(p) => config.normalized_as(&p),
        None if settings.standardize => config.standardized_on(&data),
        None => config,
    };
    let artifact_dir = match (&request.resume, &request.artifact_dir) {
        (Some(dir), _) | (None, Some(dir)) => dir.clone(),
        (None, None) => {
            PathBuf::from("artifacts").join(format!("{}-{}", dataset.short_name(), entry.name))
        }
    };
    Ok(Prepared {
        config,
        data,
        devices,
        artifact_dir,
        resume: request.resume.is_some(),
        task: settings.task,
        dataset,
        model: entry,
    })
}

impl Prepared {
    /// Whether the network has weights to train (a neighbourhood recommender has none).
    pub fn trains(&self) -> bool {
        self.config.model.init(self.devices.main()).num_params() > 0
    }

    /// The network's Keras-style summary.
    pub fn summary(&self) -> models::Summary {
        self.config.model.init(self.devices.main()).summary()
    }

    /// One line on what the run does: devices, sizes, task, epochs, batch, optimizer.
    pub fn plan(&self) -> String {
        let sizes = self.data.sizes();
        let config = &self.config;
        let devices = &self.devices;
        if !self.trains() {
            return format!(
                "Indexing the {} training ratings on {} ({} test ratings held out), {}",
                sizes.train + sizes.valid,
                devices.describe(),
                sizes.test,
                self.task.name()
            );
        }
        format!(
            "Training on {} ({} train, {}, {} test examples), {}, {} epochs, batch {}, {:?} lr {} ({}){}",
            devices.describe(),
            sizes.train,
            if sizes.valid > 0 {
                format!("{} validation", sizes.valid)
            } else {
                "validation on the training examples".to_string()
            },
            sizes.test,
            self.task.name(),
            config.epochs,
            if devices.replicas() > 1 {
                format!(
                    "{} per device ({} per step)",
                    config.batch_size,
                    config.batch_size * devices.replicas()
                )
            } else {
                config.batch_size.to_string()
            },
            config.optimizer.kind,
            config.optimizer.lr,
            config.optimizer.schedule.unwrap_or_default(),
            if config.patience > 0 {
                format!(
                    ", early stopping after {} epochs without improvement",
                    config.patience
                )
            } else {
                String::new()
            }
        )
    }

    /// Trains, keeps the best epoch, evaluates it on the test split and writes the run's
    /// files (see [`fit`](crate::fit::fit)). `interrupter` stops training after the current
    /// batch, keeping the best epoch so far.
    pub fn fit(
        &self,
        progress: ProgressMode,
        interrupter: Option<Interrupter>,
    ) -> Result<FitOutcome, TrainError> {
        crate::faults::set_run_dir(&self.artifact_dir);
        let options = FitOptions {
            progress,
            interrupter,
            resume: self.resume,
            ..FitOptions::new(&self.artifact_dir, self.devices.backend.clone())
        }
        .with_devices(self.devices.clone());
        fit_task(
            self.task,
            &self.config,
            &self.data,
            self.devices.main(),
            &options,
        )
        .map_err(|source| TrainError::InRun {
            dir: self.artifact_dir.clone(),
            source: Box::new(source),
        })
    }

    /// Trains as the command line does, saying so on standard output: the plan, then
    /// [`fit`](Self::fit), then the [`conclusion`](Self::conclusion) and where the run's files
    /// are. A loss that diverged (the best epoch before it is kept) or a run that finished no
    /// epoch is an error.
    pub fn train(
        &self,
        progress: ProgressMode,
        interrupter: Option<Interrupter>,
    ) -> Result<FitOutcome, TrainError> {
        println!("{}", self.plan());
        let outcome = self.fit(progress, interrupter)?;
        let dir = self.artifact_dir.display();
        if let Some(divergence) = &outcome.diverged {
            let r = &outcome.report;
            println!(
                "Kept epoch {} of {} finished before the loss diverged. Artifacts in {dir}",
                r.best_epoch, r.epochs_run,
            );
            return Err(TrainError::Stopped(divergence.to_string()));
        }
        if outcome.network.num_params() > 0 && outcome.report.epochs_run == 0 {
            return Err(TrainError::Stopped("no epoch finished".into()));
        }
        for line in self.conclusion(&outcome) {
            println!("{line}");
        }
        println!("Artifacts in {dir}");
        Ok(outcome)
    }

    /// What the command line prints when a run has finished: the epochs, the best one, the
    /// test metrics, and what the run adds (penalties, transfer timings, the line's
    /// prediction).
    pub fn conclusion(&self, outcome: &FitOutcome) -> Vec<String> {
        let r = &outcome.report;
        let sizes = self.data.sizes();
        let mut lines = Vec::new();
        if outcome.network.num_params() == 0 {
            // A neighbourhood recommender: nothing trains.
            lines.push(format!(
                "Done: `{}` answers from its {} training ratings. Test: {}",
                r.model,
                sizes.train + sizes.valid,
                self.task.headline(&r.test)
            ));
            return lines;
        }
        lines.push(format!(
            "{} after {} epoch{} ({:.1} s). Best epoch {}: val_loss {:.4}. Test: {}",
            if r.interrupted {
                "Interrupted"
            } else if r.stopped_early {
                "Stopped early"
            } else {
                "Done"
            },
            r.epochs_run,
            if r.epochs_run == 1 { "" } else { "s" },
            r.train_seconds,
            r.best_epoch,
            r.best().map_or(f64::NAN, |b| b.val_loss),
            self.task.headline(&r.test),
        ));
        if let Some(reg) = &r.regularization {
            lines.push(format!(
                "Weight penalty (L1 {}, L2 {}): {:.6} on the kept weights",
                reg.l1, reg.l2, reg.penalty
            ));
        }
        if let Some(t) = &r.transfer
            && t.cached_images > 0
        {
            lines.push(format!(
                "Transfer: backbone features of {} images in {:.1} s ({:.1} images/s), head {} epochs{}",
                t.cached_images,
                t.extraction_seconds,
                t.images_per_second(),
                t.head_epochs,
                if t.fine_tune_epochs > 0 {
                    format!(", fine-tuning {} epochs", t.fine_tune_epochs)
                } else {
                    String::new()
                }
            ));
        }
        if self.dataset == DatasetSpec::Line {
            let y = crate::forward_examples(
                &outcome.network,
                &self.config.input,
                self.config.normalization.as_ref(),
                &[vec![10.0]],
                self.devices.main(),
            );
            lines.push(format!(
                "Prediction for x = 10: {:.4} (the line gives 19)",
                y[0]
            ));
        }
        lines
    }
}

/// Says what a ratings dataset holds and how it was split.
fn describe_ratings(ratings: &data::RatingsData) {
    let c = &ratings.catalog;
    println!(
        "{} ratings of {} items by {} users, scale {} to {}; {} for training, {} held out",
        ratings.train.len() + ratings.test.len(),
        c.items.len(),
        c.users.len(),
        c.scale.min,
        c.scale.max,
        ratings.train.len(),
        ratings.test.len()
    );
    if ratings.duplicates > 0 {
        eprintln!(
            "warning: {} ratings rated an item its user had already rated: the later rating of each pair was kept",
            ratings.duplicates
        );
    }
    let cold = ratings.cold;
    if cold.ratings > 0 {
        println!(
            "{} held-out ratings are of {} users and {} items with no training rating: the baseline answers them",
            cold.ratings, cold.users, cold.items
        );
    }
}
