//! One training stage through burn-train's learner: the data loaders, the learner with its
//! checkpoints, early stopping, interrupter and progress, and restoring the epoch with the
//! lowest validation loss. The task supplies the training wrapper ([`TaskModel`]): its loss
//! and its metrics.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use burn::data::dataloader::{DataLoader, DataLoaderBuilder};
use burn::module::{Module, ParamGroup};
use burn::prelude::*;
use burn::train::checkpoint::{CheckpointingAction, CheckpointingStrategy};
use burn::train::logger::MetricLogger;
use burn::train::metric::store::{Aggregate, EpochSummary, EventStoreClient, MetricsUpdate, Split};
use burn::train::metric::{MetricDefinition, MetricId, NumericEntry};
use burn::train::{
    EarlyStoppingStrategy, InferenceStep, Learner, LearnerModel, SupervisedTraining, TrainStep,
};
use data::augment::Augmenter;
use data::batch::IndexDataset;
use data::{ImageBatch, ImageBatcher, ImageSet};
use models::Network;

use crate::config::TrainingConfig;
use crate::devices::Devices;
use crate::divergence::{Divergence, SharedDivergence};
use crate::error::TrainError;
use crate::faults::FaultyBatcher;
use crate::plan::{FitOptions, TrainingData};
use crate::record::SealedCheckpointer;
use crate::renderer::RecordingRenderer;
use crate::report::{EpochRecord, lowest_val_loss};
use crate::resume::ResumePoint;
use crate::run::{checkpoint_path, files, load_checkpoint};
use crate::steps::StepCounter;

/// A network wrapped for training on one task: burn-train's steps (the task's loss) and the
/// metrics the learner records.
pub trait TaskModel:
    LearnerModel + TrainStep<Input = ImageBatch> + InferenceStep<Input = ImageBatch> + Sized
{
    /// Wraps a network for a run with `config` (its penalty, its task's settings).
    fn wrap(network: Network, config: &TrainingConfig) -> Self;
    /// Unwraps the network.
    fn into_network(self) -> Network;
    /// Registers the task's metrics (a loss, at least: early stopping watches it).
    fn with_metrics(training: SupervisedTraining<Self>) -> SupervisedTraining<Self>;
}

/// Implements burn-train's `TrainStep` and `InferenceStep` for a task's training wrapper
/// (a struct with `network` and `penalty` fields) from its method `$forward(&self,
/// ImageBatch) -> $output`, whose `loss` holds one loss per example: training minimises their
/// mean plus the weight penalty; inference reports them.
#[macro_export]
macro_rules! task_steps {
    ($model:ty, $output:ty, $forward:ident) => {
        impl burn::train::TrainStep for $model {
            type Input = data::ImageBatch;
            type Output = $output;

            fn step(&self, batch: data::ImageBatch) -> burn::train::TrainOutput<$output> {
                let item = self.$forward(batch);
                let loss = self
                    .penalty
                    .added_to(item.loss.clone().mean(), &self.network);
                burn::train::TrainOutput::new(self, loss.backward(), item)
            }
        }

        impl burn::train::InferenceStep for $model {
            type Input = data::ImageBatch;
            type Output = $output;

            fn step(&self, batch: data::ImageBatch) -> $output {
                self.$forward(batch)
            }
        }
    };
}

/// The data loaders of a training stage.
pub struct Loaders {
    /// Shuffled (and augmented) training batches.
    pub train: Arc<dyn DataLoader<ImageBatch>>,
    /// Validation batches.
    pub valid: Arc<dyn DataLoader<ImageBatch>>,
}

/// Everything one training stage needs.
pub struct Stage<'a> {
    /// The stage's settings (epochs, optimizer, batch size, patience, seed).
    pub config: &'a TrainingConfig,
    /// The network to train, on an autodiff device.
    pub network: Network,
    /// Its data.
    pub loaders: Loaders,
    /// The device.
    pub device: &'a Device,
    /// Where it writes, how it shows progress, its interrupter.
    pub options: &'a FitOptions,
    /// Where a resumed run continues from.
    pub resume: Option<ResumePoint>,
    /// Parameters that learn at a fraction of the rate (a pretrained backbone when
    /// fine-tuning).
    pub slower: Option<(ParamGroup, f64)>,
    /// Keep every epoch's checkpoint (for pictures drawn per epoch), not only the best and
    /// the last two.
    pub keep_every_epoch: bool,
}

/// What a stage gives back.
#[derive(Debug)]
pub struct Learned {
    /// The best epoch's network, in inference mode.
    pub network: Network,
    /// One record per finished epoch.
    pub history: Vec<EpochRecord>,
    /// The epoch whose weights `network` holds.
    pub best_epoch: usize,
    /// Whether the user stopped it.
    pub interrupted: bool,
    /// Wall time of its epochs (a resumed run's earlier epochs included).
    pub train_seconds: f64,
    /// Where the loss stopped being a number, if it did: training stopped there.
    pub diverged: Option<Divergence>,
}

/// burn-train's metric values, kept in memory by epoch number. burn's file logger writes every
/// batch's values to per-epoch files, which a kill leaves half-written and a resume then fails
/// to parse; its in-memory logger numbers epochs from the first one it sees, so after a resume
/// it answers for none of them. Early stopping and the checkpoints read the values here.
#[derive(Default)]
struct EpochMetrics {
    names: std::collections::HashMap<MetricId, String>,
    values: std::collections::HashMap<(String, String, usize), Vec<NumericEntry>>,
}

impl MetricLogger for EpochMetrics {
    fn log(&mut self, update: MetricsUpdate, epoch: usize, split: &Split) {
        let entries = update
            .entries
            .iter()
            .chain(update.entries_numeric.iter().map(|n| &n.entry));
        for entry in entries {
            let Some(name) = self.names.get(&entry.metric_id) else {
                continue;
            };
            if let Ok(value) = NumericEntry::deserialize(&entry.serialized_entry.serialized) {
                self.values
                    .entry((name.clone(), split.to_string(), epoch))
                    .or_default()
                    .push(value);
            }
        }
    }

    fn read_numeric(
        &mut self,
        name: &str,
        epoch: usize,
        split: &Split,
    ) -> Result<Vec<NumericEntry>, String> {
        Ok(self
            .values
            .get(&(name.to_string(), split.to_string(), epoch))
            .cloned()
            .unwrap_or_default())
    }

    fn log_metric_definition(&mut self, definition: MetricDefinition) {
        self.names
            .insert(definition.metric_id.clone(), definition.name.to_string());
    }

    fn log_epoch_summary(&mut self, _summary: EpochSummary) {}
}

/// Which checkpoints a run keeps: the epoch with the lowest validation loss and the last two
/// (or every epoch, for pictures drawn per epoch). burn's own strategy finds the best epoch by
/// reading the metric store, which after a resume holds only the epochs since, so it could
/// delete the true best; this one starts from the resumed history.
struct KeepBestAndLast {
    every_epoch: bool,
    best: Option<(usize, f64)>,
}

impl KeepBestAndLast {
    fn new(every_epoch: bool, earlier: &[EpochRecord]) -> Self {
        let best = lowest_val_loss(earlier).map(|r| (r.epoch, r.val_loss));
        Self { every_epoch, best }
    }
}

impl CheckpointingStrategy for KeepBestAndLast {
    fn checkpointing(
        &mut self,
        epoch: usize,
        store: &EventStoreClient,
    ) -> Vec<CheckpointingAction> {
        let mut actions = vec![CheckpointingAction::Save];
        if self.every_epoch {
            return actions;
        }
        let loss = store.find_metric("Loss", epoch, Aggregate::Mean, &Split::Valid);
        let previous_best = self.best.map(|(e, _)| e);
        if let Some(loss) = loss.filter(|l| l.is_finite())
            && self.best.is_none_or(|(_, best)| loss < best)
        {
            self.best = Some((epoch, loss));
        }
        let best = self.best.map(|(e, _)| e);
        let recent = |e: usize| e + 2 > epoch;
        // The epoch that just left the last two, unless it is the best.
        if epoch >= 3 && best != Some(epoch - 2) {
            actions.push(CheckpointingAction::Delete(epoch - 2));
        }
        // A best that lost its place, once it is no longer one of the last two.
        if let Some(old) = previous_best
            && best != Some(old)
            && !recent(old)
            && old != epoch.saturating_sub(2)
        {
            actions.push(CheckpointingAction::Delete(old));
        }
        actions
    }
}

/// Early stopping on the validation loss that knows the epochs before a resume: burn's own
/// strategy starts counting afresh at the resumed epoch, so a resumed run would train longer
/// than one that was never stopped.
#[derive(Clone)]
struct Patience {
    patience: usize,
    best_epoch: usize,
    best: f64,
}

impl Patience {
    fn new(patience: usize, earlier: &[EpochRecord]) -> Self {
        let best = lowest_val_loss(earlier);
        Self {
            patience,
            best_epoch: best.map_or(0, |r| r.epoch),
            best: best.map_or(f64::INFINITY, |r| r.val_loss),
        }
    }
}

impl EarlyStoppingStrategy for Patience {
    fn should_stop(&mut self, epoch: usize, store: &EventStoreClient) -> bool {
        let Some(loss) = store.find_metric("Loss", epoch, Aggregate::Mean, &Split::Valid) else {
            return false;
        };
        if loss < self.best {
            self.best = loss;
            self.best_epoch = epoch;
            return false;
        }
        epoch.saturating_sub(self.best_epoch) >= self.patience
    }
}

/// Runs burn-train's learner with the task wrapper `M` and restores the epoch with the lowest
/// validation loss.
pub fn learn<M: TaskModel>(stage: Stage<'_>) -> Result<Learned, TrainError> {
    let Stage {
        config,
        network,
        loaders,
        device,
        options,
        resume,
        slower,
        keep_every_epoch,
    } = stage;
    let dir = &options.artifact_dir;
    let devices = options.devices.as_ref();
    let replicas = devices.map_or(1, Devices::replicas);
    // One optimizer step per batch of each device (whose slices are equal: see
    // `data::batch::for_devices`); a schedule spans every step of every epoch.
    let steps_per_epoch = (loaders.train.num_items() / replicas).div_ceil(config.batch_size);
    let steps = config.epochs * steps_per_epoch;
    let resumed_at = resume.as_ref().map(|r| r.epoch);
    let trained = resume.as_ref().is_some_and(|r| r.trained);
    let earlier = resume.map(|r| r.history).unwrap_or_default();
    let earlier_seconds: f64 = earlier
        .iter()
        .map(|r| r.seconds)
        .filter(|s| s.is_finite())
        .sum();
    if trained {
        // Every epoch ran before the run was stopped: only its results are left to write.
        let best = best_epoch(&earlier, dir).ok_or_else(|| {
            TrainError::Training("no finished epoch has a checkpoint to keep".into())
        })?;
        return Ok(Learned {
            network: load_checkpoint(config, dir, best, device)?.valid(),
            history: earlier,
            best_epoch: best,
            interrupted: false,
            train_seconds: earlier_seconds,
            diverged: None,
        });
    }
    let patience = Patience::new(config.patience, &earlier);
    let history = Arc::new(Mutex::new(earlier));
    let divergence = SharedDivergence::default();
    let checkpoints = dir.join(files::CHECKPOINTS);
    let mut training = M::with_metrics(SupervisedTraining::new(dir, loaders.train, loaders.valid))
        .with_custom_checkpointers(
            SealedCheckpointer::new(&checkpoints, "model"),
            SealedCheckpointer::new(&checkpoints, "optim"),
            SealedCheckpointer::new(&checkpoints, "scheduler"),
        )
        // The epoch means that matter are in history.json, written atomically.
        .with_metric_logger(EpochMetrics::default())
        .num_epochs(config.epochs);
    training = training.with_checkpointing_strategy(KeepBestAndLast::new(
        keep_every_epoch,
        &history.lock().unwrap_or_else(|e| e.into_inner()),
    ));
    if let Some(epoch) = resumed_at {
        training = training.checkpoint(epoch);
    }
    if let Some(interrupter) = &options.interrupter {
        training = training.with_interrupter(interrupter.clone());
    }
    if let Some(execution) = devices.and_then(Devices::execution) {
        training = training.with_training_strategy(execution.into());
    }
    let counter = StepCounter::new(devices.map_or(1, Devices::schedule_copies));
    let renderer = RecordingRenderer::new(
        options.progress,
        training.interrupter(),
        history.clone(),
        resumed_at,
    )
    .with_history_file(dir.join(files::HISTORY))
    .with_divergence(divergence.clone())
    .with_step_counter(counter.clone());
    training = training.renderer(Box::new(renderer));
    if config.patience > 0 {
        training = training.early_stopping(patience);
    }

    let scheduler = match slower {
        None => config.optimizer.scheduler(steps),
        Some((group, factor)) => config.optimizer.scheduler_with_group(steps, group, factor),
    }
    .map_err(|e| TrainError::Config(format!("learning-rate schedule: {e}")))?;
    let started = Instant::now();
    let gradient_scale = devices.map_or(1.0, Devices::gradient_scale);
    let result = training.launch(Learner::new(
        M::wrap(network, config),
        config.optimizer.init_scaled(gradient_scale),
        counter.attach(scheduler),
    ));
    let train_seconds = earlier_seconds + started.elapsed().as_secs_f64();
    if let Some(error) = result.error {
        return Err(TrainError::Training(error.to_string()));
    }
    let mut history: Vec<EpochRecord> = history.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let diverged = divergence.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if let Some(d) = &diverged {
        // The epoch it diverged in did not finish (and its checkpoint holds no number).
        history.retain(|r| r.epoch < d.epoch);
        if history.is_empty() {
            return Err(TrainError::Diverged(d.clone()));
        }
    }
    let interrupted = result.interrupted.is_some() && diverged.is_none();
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
        Some(epoch) => (load_checkpoint(config, dir, epoch, device)?.valid(), epoch),
        None => (result.model.into_network().valid(), history.len()),
    };
    Ok(Learned {
        network,
        history,
        best_epoch,
        interrupted,
        train_seconds,
        diverged,
    })
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

/// The training and validation loaders of a stage: over `stage` (the run's images, or their
/// cached features), augmenting training images when the run asks for it (and then drawing
/// `augmentations.png` from `data`'s first training image into `dir`).
pub fn loaders(
    config: &TrainingConfig,
    data: &TrainingData,
    stage: &TrainingData,
    normalization: Option<data::Normalization>,
    device: &Device,
    options: &FitOptions,
) -> Result<Loaders, TrainError> {
    let dir = &options.artifact_dir;
    let replicas = options.devices.as_ref().map_or(1, Devices::replicas);
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
    let train = DataLoaderBuilder::new(FaultyBatcher::new(
        batcher.clone().with_augmenter(augmenter),
    ))
    .batch_size(config.batch_size)
    .shuffle(config.seed)
    .num_workers(config.workers)
    .set_device(device.clone())
    .build(IndexDataset::new(data::batch::for_devices(
        &stage.split.train,
        replicas,
        config.seed,
    )));
    let valid = DataLoaderBuilder::new(batcher)
        .batch_size(config.batch_size)
        .num_workers(config.workers)
        .set_device(device.clone())
        .build(IndexDataset::new(stage.validation_indices().to_vec()));
    Ok(Loaders { train, valid })
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

/// Parameters that training updates (those that require gradients, on an autodiff device).
pub fn trainable_params(network: &Network) -> usize {
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
