//! `report.json`: what a run did and how well the model does.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::devices::Strategy;
use crate::error::TrainError;

/// One epoch of training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// Epoch number, from 1.
    pub epoch: usize,
    /// Mean training loss over the epoch (with dropout active).
    pub train_loss: f64,
    /// Training accuracy over the epoch, in `[0, 1]` (classification only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_accuracy: Option<f64>,
    /// Mean validation loss after the epoch.
    pub val_loss: f64,
    /// Validation accuracy after the epoch, in `[0, 1]` (classification only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_accuracy: Option<f64>,
    /// Wall time of the epoch (training and validation).
    pub seconds: f64,
    /// Optimizer steps the epoch took (one per batch on one device; one per group of a batch
    /// on each device with several; 0 in histories written before steps were counted).
    #[serde(default)]
    pub steps: usize,
}

/// The epoch of `history` with the lowest finite validation loss.
pub fn lowest_val_loss(history: &[EpochRecord]) -> Option<&EpochRecord> {
    history
        .iter()
        .filter(|r| r.val_loss.is_finite())
        .min_by(|a, b| a.val_loss.total_cmp(&b.val_loss))
}

impl EpochRecord {
    /// The one-line progress message of this epoch.
    pub fn line(&self, total_epochs: usize) -> String {
        let acc =
            |name: &str, v: Option<f64>| v.map(|v| format!("  {name} {v:.4}")).unwrap_or_default();
        format!(
            "epoch {}/{}  loss {:.4}{}  val_loss {:.4}{}  ({:.1} s)",
            self.epoch,
            total_epochs,
            self.train_loss,
            acc("accuracy", self.train_accuracy),
            self.val_loss,
            acc("val_accuracy", self.val_accuracy),
            self.seconds
        )
    }
}

/// Metrics on a held-out split: the loss, and those of the task's own metrics that apply.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct SplitMetrics {
    /// Mean loss over the examples (cross-entropy, or squared error for regression).
    pub loss: f64,
    /// Fraction classified correctly (classification).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f64>,
    /// Mean absolute error (regression).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mae: Option<f64>,
    /// Coefficient of determination R^2 (regression).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r2: Option<f64>,
    /// Mean squared error per value (reconstruction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mse: Option<f64>,
    /// Binary cross-entropy per value (reconstruction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bce: Option<f64>,
    /// Root mean squared error of predicted ratings (recommendation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rmse: Option<f64>,
    /// Precision@10 (recommendation; see the task for the definition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision_at_10: Option<f64>,
    /// Recall@10 (recommendation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recall_at_10: Option<f64>,
    /// Share of the ratings the model answered itself rather than the baseline
    /// (recommendation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<f64>,
    /// RMSE of the baseline, the mean rating plus user and item biases (recommendation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_rmse: Option<f64>,
    /// MAE of the baseline (recommendation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_mae: Option<f64>,
}

/// The content of `report.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Registry name of the architecture.
    pub model: String,
    /// Dataset name.
    pub dataset: String,
    /// The task the network learned (`classification`, `regression`, `reconstruct`).
    #[serde(default)]
    pub task: String,
    /// Backend the run trained on (`flex`, `ndarray`, `wgpu`, `remote`, ...).
    pub backend: String,
    /// The devices it trained on (`--devices`), the main one first (empty in reports written
    /// before devices were listed).
    #[serde(default)]
    pub devices: Vec<String>,
    /// How the devices shared the training.
    #[serde(default)]
    pub strategy: Strategy,
    /// Examples per optimizer step: `--batch-size` on each device, times the devices.
    #[serde(default)]
    pub global_batch: usize,
    /// Trainable parameters.
    pub params: usize,
    /// The run's seed.
    pub seed: u64,
    /// Epochs actually trained.
    pub epochs_run: usize,
    /// The epoch with the lowest validation loss, whose weights `model.bpk` holds.
    pub best_epoch: usize,
    /// Whether early stopping ended the run before `--epochs`.
    pub stopped_early: bool,
    /// Whether the run was stopped by the user (Ctrl-C, or `q` in the terminal UI); the
    /// history then ends with the last epoch that finished.
    #[serde(default)]
    pub interrupted: bool,
    /// Whether the loss stopped being a number and training stopped there (the report is of
    /// the best epoch before it).
    #[serde(default)]
    pub diverged: bool,
    /// Where and how it diverged, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub divergence: Option<String>,
    /// Examples in the training, validation and test splits.
    pub examples: SplitSizes,
    /// Files of an image folder left out because they are not decodable images (listed, with
    /// the reason, in the run's output).
    #[serde(default)]
    pub skipped_files: usize,
    /// One record per epoch.
    pub history: Vec<EpochRecord>,
    /// The best epoch's model on the test split.
    pub test: SplitMetrics,
    /// Per-class precision, recall, F1 and support on the test split, their averages and
    /// the confusion matrix (classification).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification: Option<crate::metrics::ClassificationMetrics>,
    /// Wall time of training (all epochs, without data loading and test evaluation).
    pub train_seconds: f64,
    /// How a pretrained backbone was used (transfer learning runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<Transfer>,
    /// The weight penalty added to the loss (`--l1`, `--l2`), and its value on the kept
    /// weights; the history's losses are the data loss without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regularization: Option<Regularization>,
}

impl Report {
    /// Optimizer steps over all epochs.
    pub fn optimizer_steps(&self) -> usize {
        self.history.iter().map(|r| r.steps).sum()
    }
}

/// The weight penalty of a run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Regularization {
    /// Rate of the L1 term.
    pub l1: f64,
    /// Rate of the L2 term.
    pub l2: f64,
    /// `l1 * sum |w| + l2 * sum w^2` on the kept weights.
    pub penalty: f64,
}

/// What a transfer-learning run did with its pretrained backbone.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Transfer {
    /// Images whose frozen-backbone features were computed once and cached (0: not cached,
    /// because augmentation changes the images every epoch).
    pub cached_images: usize,
    /// Wall time of that feature extraction.
    pub extraction_seconds: f64,
    /// Epochs that trained the head on the frozen backbone.
    pub head_epochs: usize,
    /// Parameters the head-only epochs trained.
    pub head_params: usize,
    /// Epochs of fine-tuning after them (history entries after `head_epochs`).
    pub fine_tune_epochs: usize,
    /// Backbone blocks, counted from the last, that fine-tuning trained.
    pub unfrozen_blocks: usize,
}

impl Transfer {
    /// Cached images per second of feature extraction.
    pub fn images_per_second(&self) -> f64 {
        self.cached_images as f64 / self.extraction_seconds.max(1e-9)
    }
}

/// Sizes of the splits of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitSizes {
    /// Training examples.
    pub train: usize,
    /// Validation examples.
    pub valid: usize,
    /// Test examples.
    pub test: usize,
}

impl Report {
    /// Writes the report as pretty JSON, atomically.
    pub fn save(&self, path: &Path) -> Result<(), TrainError> {
        let json = serde_json::to_vec_pretty(self).map_err(|e| TrainError::Io(e.to_string()))?;
        data::fsutil::write_atomic(path, &json)?;
        Ok(())
    }

    /// Reads a report.
    pub fn load(path: &Path) -> Result<Self, TrainError> {
        let bytes =
            std::fs::read(path).map_err(|e| TrainError::Io(format!("{}: {e}", path.display())))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| TrainError::Io(format!("{}: not a report: {e}", path.display())))
    }

    /// The per-epoch series, for plotting.
    pub fn curves(&self) -> report::Curves {
        let h = &self.history;
        report::Curves {
            epochs: h.iter().map(|r| r.epoch).collect(),
            train_loss: h.iter().map(|r| r.train_loss).collect(),
            val_loss: h.iter().map(|r| r.val_loss).collect(),
            train_accuracy: h.iter().filter_map(|r| r.train_accuracy).collect(),
            val_accuracy: h.iter().filter_map(|r| r.val_accuracy).collect(),
            best_epoch: self.best_epoch,
            stopped_at: self.stopped_early.then_some(self.epochs_run),
        }
    }

    /// The record of the best epoch.
    pub fn best(&self) -> Option<&EpochRecord> {
        self.history.iter().find(|r| r.epoch == self.best_epoch)
    }
}
