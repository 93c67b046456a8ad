//! Training for aprende: burn-train's learner with a validation split, early stopping,
//! checkpoints and a report, on any burn [`Device`](burn::prelude::Device).
//!
//! - [`prepare`] and [`Prepared::fit`] are a whole run as the command line gets it (the
//!   saved config, pretrained weights, the data, standardisation, the run's folder);
//!   [`cli`] is the command line itself (`train`, `aprende train`), whose flags [`settings`]
//!   resolves against a saved config and the architecture's recipe. [`fit()`] trains a config
//!   on data already loaded.
//! - [`task`]: what a run learns (classification, regression, reconstruction): each task's
//!   loss, metrics, report section and answers.
//! - [`learner`]: one training stage through burn-train; [`devices`]: training on several
//!   devices (`--devices`); [`resume`]: continuing a stopped run;
//!   [`transfer`]: cached backbone features and fine-tuning.
//! - [`plan`]: what a run is given (its data and options); [`run`]: a run's directory;
//!   [`inference`]: a trained run loaded for `app`.
//! - [`artifacts`]: `report.md` and the pictures every run has; [`boundary`]: the decision
//!   boundary of a problem in the plane.

mod applicable;
pub mod artifacts;
pub mod backend;
pub mod boundary;
pub mod cli;
pub mod config;
pub mod defaults;
pub mod devices;
pub mod divergence;
pub mod error;
pub mod evaluate;
pub mod faults;
pub mod fit;
pub mod flags;
pub mod inference;
pub mod learner;
pub mod metrics;
pub mod pipeline;
pub mod plan;
pub mod record;
pub mod regularization;
pub mod renderer;
pub mod report;
pub mod resume;
pub mod run;
pub mod settings;
pub mod steps;
pub mod task;
pub mod transfer;

pub use backend::BackendKind;
pub use config::{InitFrom, OptimizerKind, OptimizerSettings, TrainingConfig};
pub use devices::{DeviceList, Devices, Strategy};
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
