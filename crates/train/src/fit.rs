//! `fit`: trains a network with burn-train's learner, restores the epoch with the lowest
//! validation loss, evaluates it on the test split and writes the run's artifacts.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use burn::module::Module;
use burn::prelude::*;
use burn::store::ModuleRecord;
use burn::train::metric::store::{Aggregate, Direction, Split};
use burn::train::metric::{AccuracyMetric, LossMetric};
use burn::train::{
    InferenceStep, Interrupter, Learner, LearnerModel, MetricEarlyStoppingStrategy,
    StoppingCondition, SupervisedTraining, TrainStep,
};
use data::augment::Augmenter;
use data::batch::IndexDataset;
use data::{ImageBatch, ImageBatcher, ImageSet, ImageSplits, StratifiedSplit, stratified_split};
use models::Network;

use crate::artifacts::{Outcome, RunReport, write_report};
use crate::config::TrainingConfig;
use crate::error::TrainError;
use crate::evaluate::evaluate;
use crate::metrics::ConfusionMatrix;
use crate::model::{Classifier, Regressor};
use crate::renderer::{ProgressMode, RecordingRenderer};
use crate::report::{EpochRecord, Report, SplitSizes, Transfer};
use crate::transfer::FeatureCache;

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

/// The data of a run: the training split (with its validation part) and the test split.
#[derive(Debug, Clone)]
pub struct TrainingData {
    /// Training images; `split` picks the training and validation parts of them.
    pub train: Arc<ImageSet>,
    /// Indices into `train`.
    pub split: StratifiedSplit,
    /// Held-out test images.
    pub test: Arc<ImageSet>,
    /// Files left out because they could not be decoded.
    pub skipped_files: usize,
}

impl TrainingData {
    /// Splits `splits.train` into training and validation parts (stratified, seeded).
    /// `val_split` 0 holds nothing out.
    pub fn new(splits: ImageSplits, val_split: f64, seed: u64) -> Result<Self, TrainError> {
        let split = stratified_split(&splits.train.labels, val_split, seed)?;
        if val_split > 0.0 && split.valid.is_empty() {
            return Err(TrainError::Config(format!(
                "--val-split {val_split} of {} training examples holds none out for validation: \
                 give a larger fraction, or 0 to validate on the training examples",
                splits.train.len()
            )));
        }
        Ok(Self {
            train: Arc::new(splits.train),
            split,
            test: Arc::new(splits.test),
            skipped_files: splits.skipped.len(),
        })
    }

    /// The examples the validation metrics are computed on: the validation part, or with
    /// nothing held out (`--val-split 0`), the training part itself, which is what Keras's
    /// `fit` reports when it has no validation data.
    pub fn validation_indices(&self) -> &[usize] {
        if self.split.valid.is_empty() {
            &self.split.train
        } else {
            &self.split.valid
        }
    }

    /// Sizes of the three parts.
    pub fn sizes(&self) -> SplitSizes {
        SplitSizes {
            train: self.split.train.len(),
            valid: self.split.valid.len(),
            test: self.test.len(),
        }
    }
}

/// Where and how a run writes and shows its progress.
#[derive(Clone)]
pub struct FitOptions {
    /// The run's artifact directory.
    pub artifact_dir: PathBuf,
    /// The backend's name, for the report.
    pub backend: String,
    /// Progress display.
    pub progress: ProgressMode,
    /// A handle that stops training after the current batch (the binary triggers it on
    /// Ctrl-C); the best epoch finished so far is then kept and reported as usual.
    pub interrupter: Option<Interrupter>,
    /// Continue the run in `artifact_dir` from its last checkpoint instead of starting anew
    /// (see [`fit`]).
    pub resume: bool,
}

impl std::fmt::Debug for FitOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FitOptions")
            .field("artifact_dir", &self.artifact_dir)
            .field("backend", &self.backend)
            .field("progress", &self.progress)
            .field("interrupter", &self.interrupter.is_some())
            .field("resume", &self.resume)
            .finish()
    }
}

impl FitOptions {
    /// Options that write to `artifact_dir` and name `backend` in the report, with a line per
    /// epoch and no interrupter.
    pub fn new(artifact_dir: impl Into<PathBuf>, backend: impl Into<String>) -> Self {
        Self {
            artifact_dir: artifact_dir.into(),
            backend: backend.into(),
            progress: ProgressMode::Lines,
            interrupter: None,
            resume: false,
        }
    }
}

/// The trained network and its report.
#[derive(Debug)]
pub struct FitOutcome {
    /// The best epoch's network, in inference mode.
    pub network: Network,
    /// What was written to `report.json`.
    pub report: Report,
}

/// Removes what an earlier run left that would be mistaken for this run's (burn's per-epoch
/// logs and checkpoints). The earlier `model.bpk`, `config.json` and `report.json` stay until
/// this run replaces them.
fn clear_stale_logs(dir: &Path) -> Result<(), TrainError> {
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

/// Where a resumed run starts: the last finished epoch whose model, optimizer and scheduler
/// checkpoints are all on disk, and the history up to it.
#[derive(Debug, Clone)]
struct ResumePoint {
    epoch: usize,
    history: Vec<EpochRecord>,
}

/// Finds where the run in `dir` can be resumed, checking that its checkpoint loads into
/// `config`'s architecture (burn itself would panic on a bad one).
fn resume_point(
    config: &TrainingConfig,
    dir: &Path,
    device: &Device,
) -> Result<ResumePoint, TrainError> {
    let path = dir.join(files::HISTORY);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        TrainError::Config(format!(
            "{}: {e}: there is no run to resume in {}",
            path.display(),
            dir.display()
        ))
    })?;
    let mut history: Vec<EpochRecord> = serde_json::from_str(&text)
        .map_err(|e| TrainError::Config(format!("{}: {e}", path.display())))?;
    const KINDS: [&str; 3] = ["model", "optim", "scheduler"];
    // A checkpoint that loads: all three files whole, the model's fitting the architecture
    // (burn's resume would panic otherwise). Classifier and Regressor records are alike.
    let loads = |epoch: usize| -> Result<(), TrainError> {
        load_checkpoint::<Classifier>(config, dir, epoch, device)?;
        for kind in ["optim", "scheduler"] {
            let path = checkpoint_path(dir, kind, epoch);
            ModuleRecord::load(&path)
                .map_err(|e| TrainError::Record(format!("{}: {e}", path.display())))?;
        }
        Ok(())
    };
    // The latest finished epoch whose checkpoint is on disk and loads (a run killed while
    // burn wrote one leaves it incomplete: the one before is used).
    let mut first_error = None;
    let mut resumable = None;
    for epoch in history.iter().rev().map(|r| r.epoch) {
        if !KINDS
            .iter()
            .all(|kind| checkpoint_path(dir, kind, epoch).is_file())
        {
            continue;
        }
        match loads(epoch) {
            Ok(()) => {
                resumable = Some(epoch);
                break;
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    let Some(epoch) = resumable else {
        return Err(first_error.unwrap_or_else(|| {
            TrainError::Config(format!(
                "{}: no finished epoch has a complete checkpoint to resume from",
                dir.display()
            ))
        }));
    };
    if epoch >= config.epochs {
        return Err(TrainError::Config(format!(
            "{}: the run has already trained {epoch} of its {} epochs; give a larger --epochs \
             to train it further",
            dir.display(),
            config.epochs
        )));
    }
    history.retain(|r| r.epoch <= epoch);
    Ok(ResumePoint { epoch, history })
}

/// burn's checkpoint of `kind` (`model`, `optim`, `scheduler`) after `epoch`.
fn checkpoint_path(dir: &Path, kind: &str, epoch: usize) -> PathBuf {
    dir.join(files::CHECKPOINTS)
        .join(format!("{kind}-{epoch}.bpk"))
}

/// The task model of `config`'s architecture on `device` with the weights of the model
/// checkpoint after `epoch`; a missing, cut-short or other architecture's file is an error
/// naming it.
fn load_checkpoint<M: TaskModel>(
    config: &TrainingConfig,
    dir: &Path,
    epoch: usize,
    device: &Device,
) -> Result<M, TrainError> {
    let path = checkpoint_path(dir, "model", epoch);
    let record = ModuleRecord::load(&path)
        .map_err(|e| TrainError::Record(format!("{}: {e}", path.display())))?;
    M::wrap(config.model.init(device))
        .try_load_record(record)
        .map_err(|e| TrainError::Record(format!("{}: {e}", path.display())))
}

/// The epoch whose weights to keep: the lowest validation loss among the epochs that still
/// have a checkpoint (burn keeps the best and the last two).
fn best_epoch(history: &[EpochRecord], dir: &Path) -> Option<usize> {
    history
        .iter()
        .filter(|r| r.val_loss.is_finite() && checkpoint_path(dir, "model", r.epoch).is_file())
        .min_by(|a, b| a.val_loss.total_cmp(&b.val_loss))
        .map(|r| r.epoch)
}

/// Writes `augmentations.png`: one training image under sixteen draws of the pipeline.
fn write_augmentation_grid(
    dir: &Path,
    config: &TrainingConfig,
    set: &ImageSet,
    index: Option<usize>,
) -> Result<(), TrainError> {
    let Some(pixels) = index.and_then(|i| set.image(i)) else {
        return Ok(());
    };
    let mut images = vec![report::GridImage {
        pixels: pixels.to_vec(),
        channels: set.channels,
        height: set.height,
        width: set.width,
        caption: "original".into(),
    }];
    for draw in 0..15u32 {
        let mut rng = Augmenter::rng(config.seed ^ 0xA0A0, index.unwrap_or(0), draw);
        images.push(report::GridImage {
            pixels: config
                .augment
                .apply(pixels, set.channels, set.height, set.width, &mut rng),
            channels: set.channels,
            height: set.height,
            width: set.width,
            caption: format!("draw {}", draw + 1),
        });
    }
    let png = report::image_grid_png(&format!("--augment {}", config.augment), &images, 8, 128)
        .map_err(|e| TrainError::Io(e.to_string()))?;
    data::fsutil::write_atomic(&dir.join("augmentations.png"), &png)?;
    Ok(())
}

/// Saves a network's weights to `path`, atomically.
pub fn save_network(network: &Network, path: &Path) -> Result<(), TrainError> {
    data::fsutil::write_atomic_with(path, |tmp| network.clone().into_record().save(tmp))
        .map_err(|e| TrainError::Record(format!("saving {}: {e}", path.display())))
}

/// A network wrapped for training on one kind of task.
pub trait TaskModel:
    LearnerModel + TrainStep<Input = ImageBatch> + InferenceStep<Input = ImageBatch> + Sized
{
    /// Wraps a network.
    fn wrap(network: Network) -> Self;
    /// Unwraps the network.
    fn into_network(self) -> Network;
    /// Registers the task's metrics (loss, and accuracy for classification).
    fn with_metrics(training: SupervisedTraining<Self>) -> SupervisedTraining<Self>;
}

impl TaskModel for Classifier {
    fn wrap(network: Network) -> Self {
        Classifier { network }
    }

    fn into_network(self) -> Network {
        self.network
    }

    fn with_metrics(training: SupervisedTraining<Self>) -> SupervisedTraining<Self> {
        training.metrics((AccuracyMetric::new(), LossMetric::new()))
    }
}

impl TaskModel for Regressor {
    fn wrap(network: Network) -> Self {
        Regressor { network }
    }

    fn into_network(self) -> Network {
        self.network
    }

    fn with_metrics(training: SupervisedTraining<Self>) -> SupervisedTraining<Self> {
        training.metrics((LossMetric::new(),))
    }
}

/// What [`learn`] returns.
struct Learned {
    network: Network,
    history: Vec<EpochRecord>,
    best_epoch: usize,
    interrupted: bool,
    train_seconds: f64,
}

/// Runs burn-train's learner and restores the epoch with the lowest validation loss.
fn learn<M: TaskModel>(
    config: &TrainingConfig,
    network: Network,
    Loaders {
        train: train_loader,
        valid: valid_loader,
    }: Loaders,
    device: &Device,
    options: &FitOptions,
    resume: Option<ResumePoint>,
    slower: Option<(burn::module::ParamGroup, f64)>,
) -> Result<Learned, TrainError> {
    let dir = &options.artifact_dir;
    // One optimizer step per batch; a schedule spans every step of every epoch.
    let steps = config.epochs * train_loader.num_items().div_ceil(config.batch_size);
    let resumed_at = resume.as_ref().map(|r| r.epoch);
    let earlier = resume.map(|r| r.history).unwrap_or_default();
    let earlier_seconds: f64 = earlier
        .iter()
        .map(|r| r.seconds)
        .filter(|s| s.is_finite())
        .sum();
    let history = Arc::new(Mutex::new(earlier));
    let mut training = M::with_metrics(SupervisedTraining::new(dir, train_loader, valid_loader))
        .with_default_checkpointers()
        .num_epochs(config.epochs);
    if let Some(epoch) = resumed_at {
        training = training.checkpoint(epoch);
    }
    if let Some(interrupter) = &options.interrupter {
        training = training.with_interrupter(interrupter.clone());
    }
    let renderer = RecordingRenderer::new(
        options.progress,
        training.interrupter(),
        history.clone(),
        resumed_at,
    )
    .with_history_file(dir.join(files::HISTORY));
    training = training.renderer(Box::new(renderer));
    if config.patience > 0 {
        training = training.early_stopping(MetricEarlyStoppingStrategy::new(
            &LossMetric::new(),
            Aggregate::Mean,
            Direction::Lowest,
            Split::Valid,
            StoppingCondition::NoImprovementSince {
                n_epochs: config.patience,
            },
        ));
    }

    let scheduler = match slower {
        None => config.optimizer.scheduler(steps),
        Some((group, factor)) => config.optimizer.scheduler_with_group(steps, group, factor),
    }
    .map_err(|e| TrainError::Config(format!("learning-rate schedule: {e}")))?;
    let started = Instant::now();
    let result = training.launch(Learner::new(
        M::wrap(network),
        config.optimizer.init(),
        scheduler,
    ));
    let train_seconds = earlier_seconds + started.elapsed().as_secs_f64();
    if let Some(error) = result.error {
        return Err(TrainError::Training(error.to_string()));
    }
    let mut history: Vec<EpochRecord> = history.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let interrupted = result.interrupted.is_some();
    // Stopped during validation, the last epoch was recorded with part of its validation
    // and has no checkpoint: it did not finish.
    if interrupted
        && history
            .last()
            .is_some_and(|r| !checkpoint_path(dir, "model", r.epoch).is_file())
    {
        history.pop();
    }
    if history.is_empty() {
        return Err(TrainError::Training(if interrupted {
            "interrupted before the first epoch finished; nothing was saved".into()
        } else {
            "no epoch finished".into()
        }));
    }

    // burn returns the last epoch's model; keep the best one instead.
    let (network, best_epoch) = match best_epoch(&history, dir) {
        Some(epoch) => {
            let restored: M = load_checkpoint(config, dir, epoch, device)?;
            (restored.into_network().valid(), epoch)
        }
        None => (result.model.into_network().valid(), history.len()),
    };
    Ok(Learned {
        network,
        history,
        best_epoch,
        interrupted,
        train_seconds,
    })
}

/// Held for the whole of a [`fit`]: see the comment there.
static FIT_TURN: Mutex<()> = Mutex::new(());

/// Trains `config` on `data` on `device` and writes `config.json`, `model.bpk` and
/// `report.json` (plus burn's logs and checkpoints) to `options.artifact_dir`.
///
/// With `options.resume`, the run already in `artifact_dir` (interrupted, killed, or finished
/// with fewer epochs than `config.epochs`) continues from its last complete checkpoint: the
/// model, the optimizer's state and the learning-rate schedule's position are restored, and
/// the history and the best epoch span both parts. `data` and `config` must be the run's
/// own (its `config.json`, with `epochs` raised to train further). The continuation draws
/// new shuffles and dropout masks, so it is not bit-identical to an uninterrupted run.
pub fn fit(
    config: &TrainingConfig,
    data: &TrainingData,
    device: &Device,
    options: &FitOptions,
) -> Result<FitOutcome, TrainError> {
    config.validate()?;
    let dir = &options.artifact_dir;

    // burn's CPU backends draw initial weights and dropout masks from one RNG per
    // process, so two fits running at once would interleave their draws and neither
    // would be reproducible from its seed. Fits in one process therefore take turns
    // (checking a checkpoint to resume from draws too: it builds a network).
    let _turn = FIT_TURN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let resume = if options.resume {
        if dir.join(files::FINE_TUNE).join(files::HISTORY).is_file() {
            return Err(TrainError::Config(format!(
                "{}: the run stopped while fine-tuning, and a fine-tuning stage cannot be \
                 resumed yet: run it again (with --config {})",
                dir.display(),
                dir.join(files::RUN_CONFIG).display()
            )));
        }
        Some(resume_point(config, dir, device)?)
    } else {
        clear_stale_logs(dir)?;
        None
    };
    // What a killed run needs to be resumed: its config beside its checkpoints.
    config.save_atomic(&dir.join(files::RUN_CONFIG))?;
    device.seed(config.seed);
    // The learner trains on the model's device, which must track gradients.
    let mut network = config.model.init(&device.clone().autodiff());
    if let Some(init) = &config.init_from {
        network = init.apply(network, config)?;
    }
    let params = network.num_params();
    let head_params = trainable_params(&network);

    // A frozen pretrained backbone gives an image the same features every epoch: they are
    // computed once and the head trains on them (unless augmentation changes the images).
    let cache = if config.augment.is_identity() {
        FeatureCache::extract(
            &network,
            data,
            config.normalization.as_ref(),
            device,
            options.progress,
        )
    } else {
        None
    };
    let stage_data = cache.as_ref().map_or(data, |c| &c.data);
    let stage_normalization = if cache.is_some() {
        None
    } else {
        config.normalization.clone()
    };
    let stage_loaders = loaders(config, data, stage_data, stage_normalization, device, dir)?;

    let learn = if data.train.is_regression() {
        learn::<Regressor>
    } else {
        learn::<Classifier>
    };
    let head = learn(
        config,
        network,
        stage_loaders,
        device,
        options,
        resume,
        None,
    )?;
    let head_epochs = head.history.len();
    let fine_tuned = config.fine_tune > 0 && !head.interrupted;
    let trained = if fine_tuned {
        fine_tune(config, data, head, device, options)?
    } else {
        head
    };
    let Learned {
        network,
        history,
        best_epoch,
        interrupted,
        train_seconds,
    } = trained;
    let epochs_run = history.len();
    let transfer = network.backbone_params().map(|_| Transfer {
        cached_images: cache.as_ref().map_or(0, |c| c.images),
        extraction_seconds: cache.as_ref().map_or(0.0, |c| c.seconds),
        head_epochs,
        head_params,
        fine_tune_epochs: epochs_run - head_epochs,
        unfrozen_blocks: if fine_tuned { config.unfreeze } else { 0 },
    });
    // Cached test features are those of the frozen backbone; once it has been fine-tuned,
    // the test images go through the network whole.
    let (eval_data, eval_normalization) = match &cache {
        Some(c) if !fine_tuned => (&c.data, None),
        _ => (data, config.normalization.clone()),
    };

    let test_indices: Vec<usize> = (0..data.test.len()).collect();
    let evaluation = evaluate(
        &network,
        eval_data.test.clone(),
        &test_indices,
        eval_normalization.as_ref(),
        crate::evaluate::evaluation_batch(eval_data.test.example_len()),
        device,
    );
    let classification = (!data.test.is_regression()).then(|| {
        ConfusionMatrix::new(
            &data.test.class_names,
            &data.test.labels,
            &evaluation.predictions,
        )
        .metrics()
    });

    let report = Report {
        model: config.model.name().to_string(),
        dataset: config.dataset.clone(),
        backend: options.backend.clone(),
        params,
        seed: config.seed,
        epochs_run,
        best_epoch,
        // A fine-tuned run's last stage has `fine_tune` epochs after the head's.
        stopped_early: epochs_run
            < if fine_tuned {
                head_epochs + config.fine_tune
            } else {
                config.epochs
            }
            && !interrupted,
        interrupted,
        examples: data.sizes(),
        skipped_files: data.skipped_files,
        history,
        test: evaluation.metrics,
        classification,
        train_seconds,
        transfer,
    };
    save_network(&network, &dir.join(files::MODEL))?;
    config.save_atomic(&dir.join(files::CONFIG))?;
    report.save(&dir.join(files::REPORT))?;
    // The summary shows which layers this run trained (fine-tuning's last blocks included).
    let summary = if fine_tuned {
        network
            .clone()
            .with_trainable_tail(config.unfreeze)
            .summary()
    } else {
        network.summary()
    };
    let outcome = match (&report.classification, &data.test.targets) {
        (Some(metrics), _) => Some(Outcome::Classification {
            metrics,
            examples: Some((&data.test, &test_indices, &evaluation.predictions)),
        }),
        (None, Some(truth)) => Some(Outcome::Regression {
            truth,
            predicted: &evaluation.values,
        }),
        (None, None) => None,
    };
    if let Some(outcome) = outcome {
        write_report(
            dir,
            &RunReport {
                title: format!("{} on {}", report.model, report.dataset),
                training: Some(&report),
                split: "test",
                metrics: report.test,
                summary: &summary,
                outcome,
            },
        )?;
    }
    Ok(FitOutcome { network, report })
}

/// The data loaders of a training stage.
struct Loaders {
    /// Shuffled (and augmented) training batches.
    train: Arc<dyn DataLoader<ImageBatch>>,
    /// Validation batches.
    valid: Arc<dyn DataLoader<ImageBatch>>,
}

/// The training and validation loaders of a stage: over `stage` (the run's images, or their
/// cached features), augmenting training images when the run asks for it.
fn loaders(
    config: &TrainingConfig,
    data: &TrainingData,
    stage: &TrainingData,
    normalization: Option<data::Normalization>,
    device: &Device,
    dir: &Path,
) -> Result<Loaders, TrainError> {
    let batcher = ImageBatcher::new(stage.train.clone()).with_normalization(normalization);
    let augmenter = (!config.augment.is_identity() && stage.train.image(0).is_some()).then(|| {
        Arc::new(Augmenter::new(
            config.augment.clone(),
            config.seed,
            stage.train.len(),
        ))
    });
    if augmenter.is_some() {
        write_augmentation_grid(dir, config, &data.train, data.split.train.first().copied())?;
    }
    let train_loader = DataLoaderBuilder::new(batcher.clone().with_augmenter(augmenter))
        .batch_size(config.batch_size)
        .shuffle(config.seed)
        .num_workers(config.workers)
        .set_device(device.clone())
        .build(IndexDataset::new(stage.split.train.clone()));
    let valid_loader = DataLoaderBuilder::new(batcher)
        .batch_size(config.batch_size)
        .num_workers(config.workers)
        .set_device(device.clone())
        .build(IndexDataset::new(stage.validation_indices().to_vec()));
    Ok(Loaders {
        train: train_loader,
        valid: valid_loader,
    })
}

/// Parameters that training updates (those that require gradients, on an autodiff device).
fn trainable_params(network: &Network) -> usize {
    use burn::module::{ModuleVisitor, Param};
    #[derive(Default)]
    struct Count(usize);
    impl ModuleVisitor for Count {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if param.is_require_grad() {
                self.0 += param.shape().num_elements();
            }
        }
    }
    let mut count = Count::default();
    network.visit(&mut count);
    count.0
}

/// Fine-tuning: the head trained on the frozen backbone; now the last `config.unfreeze`
/// blocks train too, on the images, for `config.fine_tune` epochs, at a tenth of the head's
/// rate for the head and a hundredth for the backbone (discriminative rates), in the run's
/// `fine-tune/` folder. The history continues the head's; the best epoch over both stages is
/// kept.
fn fine_tune(
    config: &TrainingConfig,
    data: &TrainingData,
    head: Learned,
    device: &Device,
    options: &FitOptions,
) -> Result<Learned, TrainError> {
    let mut stage_config = config.clone().with_epochs(config.fine_tune);
    stage_config.optimizer.lr /= 10.0;
    let network = config
        .model
        .init(&device.clone().autodiff())
        .load_record(head.network.clone().into_record())
        .with_trainable_tail(config.unfreeze);
    let slower = network.backbone_params().map(|group| (group, 0.1));
    let stage_options = FitOptions {
        artifact_dir: options.artifact_dir.join(files::FINE_TUNE),
        ..options.clone()
    };
    clear_stale_logs(&stage_options.artifact_dir)?;
    let stage_loaders = loaders(
        &stage_config,
        data,
        data,
        config.normalization.clone(),
        device,
        &options.artifact_dir,
    )?;
    println!(
        "Fine-tuning the last {} blocks for {} epochs (head lr {}, backbone lr {})",
        config.unfreeze,
        config.fine_tune,
        stage_config.optimizer.lr,
        stage_config.optimizer.lr * 0.1
    );
    let stage = learn::<Classifier>(
        &stage_config,
        network,
        stage_loaders,
        device,
        &stage_options,
        None,
        slower,
    )?;
    let offset = head.history.len();
    let mut history = head.history.clone();
    history.extend(stage.history.iter().cloned().map(|mut r| {
        r.epoch += offset;
        r
    }));
    let loss = |h: &[EpochRecord], epoch: usize| {
        h.iter()
            .find(|r| r.epoch == epoch)
            .map_or(f64::INFINITY, |r| r.val_loss)
    };
    let fine_tuned_better =
        loss(&stage.history, stage.best_epoch) < loss(&head.history, head.best_epoch);
    let (network, best_epoch) = if fine_tuned_better {
        (stage.network, stage.best_epoch + offset)
    } else {
        (head.network, head.best_epoch)
    };
    Ok(Learned {
        network,
        history,
        best_epoch,
        interrupted: stage.interrupted,
        train_seconds: head.train_seconds + stage.train_seconds,
    })
}

/// Loads a run's network: its `config.json` rebuilds the architecture, its `model.bpk` fills
/// in the weights. Weights of another architecture are an error naming the file.
pub fn load_run(dir: &Path, device: &Device) -> Result<(TrainingConfig, Network), TrainError> {
    let config = TrainingConfig::load_file(&dir.join(files::CONFIG))?;
    let path = dir.join(files::MODEL);
    let network = load_network(&config, &path, device)?;
    Ok((config, network))
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
                crate::fit::files::CONFIG
            ))
        })
}
