//! `fit`: a whole training run. It trains the network with its task's loss through
//! burn-train's learner (transfer learning's cached features and fine-tuning included),
//! keeps the epoch with the lowest validation loss, evaluates it on the test split and writes
//! the run's files: `config.json`, `model.bpk`, `report.json` and the report.

use std::sync::Mutex;

use burn::prelude::*;
use models::Network;

use crate::artifacts::{ReportHeader, write_report};
use crate::boundary;
use crate::config::TrainingConfig;
use crate::devices::Strategy;
use crate::divergence::Divergence;
use crate::error::TrainError;
use crate::learner::{Learned, Stage, loaders, trainable_params};
pub use crate::plan::{FitOptions, TrainingData};
use crate::regularization::Penalty;
use crate::report::{Regularization, Report, Transfer};
use crate::resume::{finished_marker, resume_point};
use crate::run::{clear_stale_logs, files, save_network, save_ratings};
use crate::task::{self, DataShape, Examples, Task};
use crate::transfer::{FeatureCache, fine_tune};

/// The trained network and its report.
#[derive(Debug)]
pub struct FitOutcome {
    /// The best epoch's network, in inference mode.
    pub network: Network,
    /// What was written to `report.json`.
    pub report: Report,
    /// Where the loss stopped being a number, if it did: the report is that of the best epoch
    /// before it, and the binary exits with an error.
    pub diverged: Option<Divergence>,
}

fn remove_file_if_present(path: &std::path::Path) -> Result<(), TrainError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(TrainError::Io(format!("{}: {e}", path.display())))
        }
        _ => Ok(()),
    }
}

/// Held for the whole of a [`fit`]: see the comment there.
static FIT_TURN: Mutex<()> = Mutex::new(());

/// Trains `config` on `data` on `device` with the task `config.task` names and writes
/// `config.json`, `model.bpk` and `report.json` (plus the report and burn's logs and
/// checkpoints) to `options.artifact_dir`.
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
    fit_task(task::find(&config.task)?, config, data, device, options)
}

/// [`fit`] with a task given directly (one that need not be registered).
pub fn fit_task(
    task: &dyn Task,
    config: &TrainingConfig,
    data: &TrainingData,
    device: &Device,
    options: &FitOptions,
) -> Result<FitOutcome, TrainError> {
    config.validate()?;
    task.check_model(models::registry_find(config.model.name())?)?;
    task.check_data(DataShape {
        has_values: data.train.targets.is_some(),
        classes: data.train.num_classes(),
    })?;
    let dir = &options.artifact_dir;

    // burn's CPU backends draw initial weights and dropout masks from one RNG per
    // process, so two fits running at once would interleave their draws and neither
    // would be reproducible from its seed. Fits in one process therefore take turns
    // (checking a checkpoint to resume from draws too: it builds a network).
    let _turn = FIT_TURN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let resume = if options.resume {
        resume_point(config, dir, device)?
    } else {
        None
    };
    if options.resume && resume.is_none() {
        eprintln!(
            "note: {}: the run stopped before its first epoch finished: starting it again from \
             its saved config",
            dir.display()
        );
    }
    if resume.is_none() {
        clear_stale_logs(dir)?;
    }
    if resume.as_ref().is_some_and(|r| !r.trained) {
        // It trains again: until it has written its results anew, it is not finished.
        remove_file_if_present(&finished_marker(dir))?;
    }
    // What a killed run needs to be resumed: its config beside its checkpoints.
    config.save_atomic(&dir.join(files::RUN_CONFIG))?;
    device.seed(config.seed);
    // The learner trains on the model's device, which must track gradients.
    let mut network = config.model.init(&device.clone().autodiff());
    if let Some(init) = &config.init_from {
        network = init.apply(network, config)?;
    }
    let network = task.prepare(network, data)?;
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
    let stage_loaders = loaders(
        config,
        data,
        stage_data,
        stage_normalization,
        device,
        options,
    )?;
    // A classifier of points in the plane draws its decision boundary after every epoch.
    let draws_boundary = boundary::applies(task, config, &network, device);

    let head = task.learn(Stage {
        config,
        network,
        loaders: stage_loaders,
        device,
        options,
        resume,
        slower: None,
        keep_every_epoch: draws_boundary,
    })?;
    let head_epochs = head.history.len();
    let fine_tuned = config.fine_tune > 0 && !head.interrupted && head.diverged.is_none();
    let trained = if fine_tuned {
        fine_tune(task, config, data, head, device, options)?
    } else {
        head
    };
    let Learned {
        network,
        history,
        best_epoch,
        interrupted,
        train_seconds,
        diverged,
    } = trained;
    // Restoring the best epoch's weights builds a fresh network: it gets its data back.
    let network = task.prepare(network, data)?;
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
    let evaluation = task.evaluate(
        &network,
        config,
        Examples {
            set: &eval_data.test,
            indices: &test_indices,
            normalization: eval_normalization.as_ref(),
        },
        device,
    )?;
    let penalty = Penalty::of(config);
    let regularization =
        (!penalty.is_none() && task.penalizes_all_weights()).then(|| Regularization {
            l1: penalty.l1,
            l2: penalty.l2,
            penalty: penalty.value(&network),
        });

    let (device_names, strategy, replicas) = match &options.devices {
        Some(d) => (d.names.clone(), d.strategy, d.replicas()),
        None => (vec![options.backend.clone()], Strategy::SingleDevice, 1),
    };
    let report = Report {
        model: config.model.name().to_string(),
        dataset: config.dataset.clone(),
        task: task.name().to_string(),
        backend: options.backend.clone(),
        devices: device_names,
        strategy,
        global_batch: config.batch_size * replicas,
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
            && !interrupted
            && diverged.is_none()
            && epochs_run > 0,
        interrupted,
        diverged: diverged.is_some(),
        divergence: diverged.as_ref().map(|d| d.to_string()),
        examples: data.sizes(),
        skipped_files: data.skipped_files,
        history,
        test: evaluation.metrics(),
        classification: evaluation.classification().cloned(),
        train_seconds,
        transfer,
        regularization,
    };
    save_network(&network, &dir.join(files::MODEL))?;
    if let Some(ratings) = &data.ratings {
        save_ratings(dir, ratings)?;
    }
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
    let extra = if draws_boundary {
        boundary::write(task, config, data, &network, &report, dir, device)?
    } else {
        String::new()
    };
    write_report(
        dir,
        &ReportHeader {
            title: format!("{} on {}", report.model, report.dataset),
            training: Some(&report),
            split: "test",
            summary: &summary,
            extra,
        },
        evaluation.as_ref(),
    )?;
    // Last: the mark that every result of the run is written (`--resume` finishes a run
    // stopped before it).
    data::fsutil::write_atomic(&finished_marker(dir), b"")?;
    Ok(FitOutcome {
        network,
        report,
        diverged,
    })
}
