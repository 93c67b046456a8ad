//! Training for aprende: burn-train's learner with a validation split, early stopping,
//! checkpoints and a report, on any burn [`Device`](burn::prelude::Device).
//!
//! [`fit()`] is the whole run; the `train` binary is its command line.

pub mod artifacts;
pub mod backend;
pub mod config;
pub mod error;
pub mod evaluate;
pub mod fit;
pub mod metrics;
pub mod model;
pub mod renderer;
pub mod report;
pub mod transfer;

pub use backend::BackendKind;
pub use config::{InitFrom, OptimizerKind, OptimizerSettings, TrainingConfig};
pub use error::{TrainError, describe};
pub use evaluate::{Evaluation, evaluate, forward_examples, regression_metrics};
pub use fit::{FitOptions, FitOutcome, TrainingData, fit, load_network, load_run};
pub use metrics::{ClassMetrics, ClassificationMetrics, ConfusionMatrix};
pub use model::{Classifier, Regressor};
pub use renderer::ProgressMode;
pub use report::{EpochRecord, Report, SplitMetrics, Transfer};
pub use transfer::FeatureCache;
