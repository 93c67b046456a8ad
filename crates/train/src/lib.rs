//! Training for aprende: burn-train's learner with a validation split, early stopping,
//! checkpoints and a report, on any burn [`Device`](burn::prelude::Device).
//!
//! The public surface:
//! - [`prepare`] and [`Prepared::train`] (or [`Prepared::fit`], silent) are a whole run as
//!   the command line gets it: the saved config, pretrained weights, the data,
//!   standardisation, the run's folder. [`cli`] is the command line itself (`train`,
//!   `aprende train`), whose raw [`settings::Flags`] [`settings`] resolves against a saved
//!   config and the architecture's recipe.
//! - [`fit()`] and [`fit_task`] train a [`TrainingConfig`] on [`TrainingData`] already
//!   loaded; [`LoadedRun`] is a trained run loaded for prediction.
//! - [`task`]: what a run learns (classification, regression, reconstruction,
//!   recommendation), and the [`task::Task`] trait a task defined elsewhere implements, with
//!   [`learner`]'s training stage.
//! - [`run`]: the files of a run's folder; [`record`]: sealed weight files; [`artifacts`]:
//!   `report.md` and its pictures; [`faults`]: a panic in any thread ends the process.
//!
//! The rest (the devices, resuming, transfer learning, the progress display, the
//! applicability of flags...) is the crate's own.

mod applicable;
pub mod artifacts;
mod backend;
mod boundary;
pub mod cli;
mod config;
pub mod defaults;
mod devices;
mod divergence;
mod error;
mod evaluate;
pub mod faults;
mod fit;
mod flags;
mod inference;
pub mod learner;
mod metrics;
pub mod pipeline;
mod plan;
pub mod record;
mod regularization;
mod renderer;
mod report;
mod resume;
pub mod run;
pub mod settings;
mod steps;
pub mod task;
mod transfer;

pub use backend::BackendKind;
pub use config::RatingsConfig;
pub use config::{InitFrom, OptimizerKind, OptimizerSettings, TrainingConfig};
pub use devices::{DeviceList, Devices, Strategy};
pub use divergence::Divergence;
pub use error::{TrainError, describe};
pub use evaluate::forward_examples;
pub use fit::{FitOptions, FitOutcome, TrainingData, fit, fit_task};
pub use inference::{LoadedRun, load_run};
pub use metrics::{ClassMetrics, ClassificationMetrics, ConfusionMatrix};
pub use pipeline::{Prepared, RunRequest, prepare};
pub use regularization::Penalty;
pub use renderer::ProgressMode;
pub use report::{EpochRecord, Regularization, Report, SplitMetrics, Transfer};
pub use run::load_network;
pub use task::regression::regression_metrics;
pub use task::{Classifier, Reconstructor, Regressor, Task};
pub use transfer::FeatureCache;
