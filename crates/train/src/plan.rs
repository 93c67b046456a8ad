//! What a run is given: its data, split into training, validation and test parts
//! ([`TrainingData`]), and where and how it writes and shows its progress ([`FitOptions`]).

use std::path::PathBuf;
use std::sync::Arc;

use burn::train::Interrupter;
use data::{ImageSet, ImageSplits, StratifiedSplit, stratified_split};

use crate::devices::Devices;
use crate::error::TrainError;
use crate::renderer::ProgressMode;
use crate::report::SplitSizes;

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
    /// For ratings: the catalog of users and items and the training ratings (the examples of
    /// `train` are their (user, item) ids). `None` for images and tables.
    pub ratings: Option<Arc<data::RatingsData>>,
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
            ratings: None,
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

    /// The same data, from ratings (see [`rating_splits`](crate::task::recommendation::rating_splits)).
    pub fn with_ratings(mut self, ratings: Arc<data::RatingsData>) -> Self {
        self.ratings = Some(ratings);
        self
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
    /// (see [`fit`](crate::fit::fit)).
    pub resume: bool,
    /// The devices training runs on when there are several (`--devices`; `None`: the one
    /// device `fit` is given). The first is the main one: give it to `fit` too, which builds,
    /// validates and evaluates the network there.
    pub devices: Option<Devices>,
}

impl std::fmt::Debug for FitOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FitOptions")
            .field("artifact_dir", &self.artifact_dir)
            .field("backend", &self.backend)
            .field("progress", &self.progress)
            .field("interrupter", &self.interrupter.is_some())
            .field("resume", &self.resume)
            .field("devices", &self.devices.as_ref().map(|d| d.describe()))
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
            devices: None,
        }
    }

    /// The same options, training on `devices` (see [`Devices`]); the report names them.
    pub fn with_devices(mut self, devices: Devices) -> Self {
        self.backend = devices.backend.clone();
        self.devices = Some(devices);
        self
    }
}
