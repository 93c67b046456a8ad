//! Transfer learning: a frozen pretrained backbone gives each image the same features every
//! epoch, so they are computed once ([`FeatureCache::extract`]) and the head trains on them;
//! fine-tuning then lets the last backbone blocks train on the images themselves.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use burn::module::Module;
use burn::prelude::*;
use data::images::Values;
use data::{ImageBatcher, ImageSet, Normalization};
use models::Network;

use crate::plan::TrainingData;
use crate::renderer::ProgressMode;

/// Images per batch of feature extraction.
const BATCH: usize = 16;
/// Batches computed at once.
const THREADS: usize = 2;

/// The frozen backbone's features of every training and test image, as `[F, 1, 1]` examples
/// with the images' labels (what the network's forward takes in place of the images).
#[derive(Debug, Clone)]
pub struct FeatureCache {
    /// The run's data with features in place of images (same split, same labels).
    pub data: TrainingData,
    /// Images whose features were computed.
    pub images: usize,
    /// Wall time of the extraction.
    pub seconds: f64,
}

impl FeatureCache {
    /// Runs `network`'s frozen backbone once over every image of `data` (inference mode,
    /// batches of 16 on two threads: on flex a forward pass is bound by memory traffic more
    /// than by one core, and two batches at once measured 1.25 times one), or returns `None`
    /// when the network has no frozen backbone.
    pub fn extract(
        network: &Network,
        data: &TrainingData,
        normalization: Option<&Normalization>,
        device: &Device,
        progress: ProgressMode,
    ) -> Option<FeatureCache> {
        // Only a pretrained backbone has features to cache.
        network.backbone_params()?;
        let network = network.valid();
        let total = data.train.len() + data.test.len();
        let started = Instant::now();
        let done = AtomicUsize::new(0);
        let show = progress != ProgressMode::Quiet;
        let extract_set = |set: &Arc<ImageSet>| -> Option<ImageSet> {
            let batcher = ImageBatcher::new(set.clone()).with_normalization(normalization.cloned());
            let indices: Vec<usize> = (0..set.len()).collect();
            let chunks: Vec<&[usize]> = indices.chunks(BATCH).collect();
            let next = AtomicUsize::new(0);
            let results: Mutex<Vec<Option<Vec<f32>>>> = Mutex::new(vec![None; chunks.len()]);
            std::thread::scope(|scope| {
                for worker in 0..THREADS {
                    let (network, batcher, chunks, next, results, done) =
                        (&network, &batcher, &chunks, &next, &results, &done);
                    scope.spawn(move || {
                        loop {
                            let i = next.fetch_add(1, Ordering::SeqCst);
                            let Some(chunk) = chunks.get(i) else { break };
                            let features = network
                                .features(batcher.images(chunk, device))
                                .map(|f| f.into_data().iter::<f32>().collect::<Vec<f32>>());
                            let Some(features) = features else { break };
                            results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(features);
                            let finished =
                                done.fetch_add(chunk.len(), Ordering::SeqCst) + chunk.len();
                            if show && worker == 0 {
                                report_progress(finished, total, started.elapsed().as_secs_f64());
                            }
                        }
                    });
                }
            });
            let results = results.into_inner().unwrap_or_else(|e| e.into_inner());
            let mut values = Vec::new();
            for r in results {
                values.extend(r?);
            }
            Some(ImageSet {
                channels: values.len() / set.len().max(1),
                height: 1,
                width: 1,
                values: Values::F32(values),
                labels: set.labels.clone(),
                class_names: set.class_names.clone(),
                targets: set.targets.clone(),
            })
        };
        let train = extract_set(&data.train)?;
        let test = extract_set(&data.test)?;
        let seconds = started.elapsed().as_secs_f64();
        if show {
            finish_progress(total, seconds);
        }
        Some(FeatureCache {
            data: TrainingData {
                train: Arc::new(train),
                split: data.split.clone(),
                test: Arc::new(test),
                skipped_files: data.skipped_files,
                ratings: data.ratings.clone(),
            },
            images: total,
            seconds,
        })
    }

    /// Images per second of the extraction.
    pub fn images_per_second(&self) -> f64 {
        self.images as f64 / self.seconds.max(1e-9)
    }
}

fn report_progress(done: usize, total: usize, seconds: f64) {
    let rate = done as f64 / seconds.max(1e-9);
    let line = format!(
        "Backbone features: {done}/{total} images ({rate:.1} images/s, {:.0} s left)",
        (total - done) as f64 / rate.max(1e-9)
    );
    if std::io::stderr().is_terminal() {
        eprint!("\r{line}  ");
    } else if done % (BATCH * 40) < BATCH {
        eprintln!("{line}");
    }
}

fn finish_progress(total: usize, seconds: f64) {
    if std::io::stderr().is_terminal() {
        eprintln!();
    }
    println!(
        "Backbone features of {total} images computed once in {seconds:.1} s ({:.1} images/s); \
         the head trains on them.",
        total as f64 / seconds.max(1e-9)
    );
}

/// Fine-tuning: the head trained on the frozen backbone; now the last `config.unfreeze`
/// blocks train too, on the images, for `config.fine_tune` epochs, at a tenth of the head's
/// rate for the head and a hundredth for the backbone (discriminative rates), in the run's
/// `fine-tune/` folder. The history continues the head's; the best epoch over both stages is
/// kept.
pub fn fine_tune(
    task: &dyn crate::task::Task,
    config: &crate::config::TrainingConfig,
    data: &TrainingData,
    head: crate::learner::Learned,
    device: &Device,
    options: &crate::plan::FitOptions,
) -> Result<crate::learner::Learned, crate::error::TrainError> {
    use crate::learner::{Learned, Stage, loaders};
    use crate::run::{clear_stale_logs, files};
    let mut stage_config = config.clone().with_epochs(config.fine_tune);
    stage_config.optimizer.lr /= 10.0;
    let network = config
        .model
        .init(&device.clone().autodiff())
        .load_record(head.network.clone().into_record())
        .with_trainable_tail(config.unfreeze);
    let slower = network.backbone_params().map(|group| (group, 0.1));
    let stage_options = crate::plan::FitOptions {
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
        options,
    )?;
    println!(
        "Fine-tuning the last {} blocks for {} epochs (head lr {}, backbone lr {})",
        config.unfreeze,
        config.fine_tune,
        stage_config.optimizer.lr,
        stage_config.optimizer.lr * 0.1
    );
    let offset = head.history.len();
    let stage = match task.learn(Stage {
        config: &stage_config,
        network,
        loaders: stage_loaders,
        device,
        options: &stage_options,
        resume: None,
        slower,
        keep_every_epoch: false,
    }) {
        // Fine-tuning diverged in its first epoch: the head's result stands.
        Err(crate::error::TrainError::Diverged(mut d)) => {
            d.epoch += offset;
            return Ok(Learned {
                diverged: Some(d),
                ..head
            });
        }
        stage => stage?,
    };
    let mut history = head.history.clone();
    history.extend(stage.history.iter().cloned().map(|mut r| {
        r.epoch += offset;
        r
    }));
    let loss = |h: &[crate::report::EpochRecord], epoch: usize| {
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
        diverged: stage.diverged.map(|mut d| {
            d.epoch += offset;
            d
        }),
    })
}
