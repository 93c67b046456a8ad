//! Tasks: what a run teaches its network. A task owns its loss (the burn-train step of its
//! training wrapper), its metrics, its section of the report with its pictures, and how
//! `app predict` and `app evaluate` present the network's outputs. The rest of aprende asks
//! the task; nothing else knows which tasks exist.
//!
//! Adding a task is one module implementing [`Task`] plus one line in [`REGISTRY`]. A task
//! that is not registered (a test's, say) still trains through [`fit_task`](crate::fit_task).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use burn::prelude::*;
use data::{ImageSet, Normalization};
use models::Network;
use serde::Serialize;

use crate::config::TrainingConfig;
use crate::error::TrainError;
use crate::learner::{Learned, Stage};
use crate::metrics::ClassificationMetrics;
use crate::plan::TrainingData;
use crate::report::SplitMetrics;

pub mod classification;
pub mod recommendation;
pub mod reconstruction;
pub mod regression;

pub use classification::{Classification, Classifier, ScoredClass};
pub use recommendation::{Recommendation, Recommender};
pub use reconstruction::{Reconstruction, ReconstructionLoss, Reconstructor};
pub use regression::{Regression, Regressor};

/// Every registered task: `--task NAME` and a run's `config.json` name one of these.
pub const REGISTRY: &[&dyn Task] = &[
    &Classification,
    &Regression,
    &Reconstruction,
    &Recommendation,
];

/// The name of the task a run has when nothing says otherwise.
pub const DEFAULT: &str = crate::config::DEFAULT_TASK;

/// The registered task called `name`.
pub fn find(name: &str) -> Result<&'static dyn Task, TrainError> {
    REGISTRY
        .iter()
        .copied()
        .find(|t| t.name() == name || t.aliases().contains(&name))
        .ok_or_else(|| {
            TrainError::Config(format!(
                "unknown task `{name}` (known: {})",
                REGISTRY
                    .iter()
                    .map(|t| t.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}

/// What a task needs to know of the data it is given to learn from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataShape {
    /// The examples carry target values (a regression table).
    pub has_values: bool,
    /// Number of classes.
    pub classes: usize,
}

/// Examples to evaluate: indices into a set, normalised as in training.
#[derive(Debug, Clone, Copy)]
pub struct Examples<'a> {
    /// The set.
    pub set: &'a Arc<ImageSet>,
    /// Which of its examples, in order.
    pub indices: &'a [usize],
    /// The run's input normalisation.
    pub normalization: Option<&'a Normalization>,
}

/// An input given to `app predict`: its values (pixels scaled to `[0, 1]`, or a table row's
/// raw features) and, for an image, its file.
#[derive(Debug, Clone)]
pub struct Input {
    /// Values in the model's input shape, before normalisation.
    pub values: Vec<f32>,
    /// The file it was read from.
    pub source: Option<PathBuf>,
}

/// How `app predict` wants its answers.
#[derive(Debug, Clone, Default)]
pub struct PredictOptions {
    /// Classes to list per input.
    pub top_k: usize,
    /// Where outputs that are files (reconstructed images) go; `None`: beside the input.
    pub out_dir: Option<PathBuf>,
}

/// What a task answers for one input: the fields of `app predict --json` (beside `path` or
/// `values`) and the human-readable line.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Output {
    /// The most probable classes, most probable first (classification; empty otherwise).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub top: Vec<ScoredClass>,
    /// The predicted value (regression).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prediction: Option<f64>,
    /// The file the reconstruction was written to (reconstruction).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reconstruction: Option<String>,
    /// Mean squared error of the reconstruction against the input (reconstruction).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<f64>,
    /// The answer as one line for a person.
    #[serde(skip)]
    pub text: String,
}

/// The result of evaluating a network on a split, as its task sees it.
pub trait Evaluated {
    /// The split's metrics (`report.json`'s `test`, `evaluation.json`'s `metrics`).
    fn metrics(&self) -> SplitMetrics;
    /// Per-class metrics and the confusion matrix, for a task with classes.
    fn classification(&self) -> Option<&ClassificationMetrics> {
        None
    }
    /// Rows of the report's headline table (`metric`, `value`).
    fn headline_rows(&self) -> Vec<(String, String)>;
    /// Writes the task's pictures into `dir` (their names go into `written`) and returns its
    /// sections of `report.md`. `split` names the evaluated split.
    fn write_sections(
        &self,
        dir: &Path,
        split: &str,
        written: &mut Vec<&'static str>,
    ) -> Result<String, TrainError>;
}

/// A kind of learning.
pub trait Task: Send + Sync + std::fmt::Debug {
    /// The name `--task` takes and `config.json` stores.
    fn name(&self) -> &'static str;
    /// Other names `--task` accepts.
    fn aliases(&self) -> &'static [&'static str] {
        &[]
    }
    /// One line for `--help`.
    fn description(&self) -> &'static str;
    /// Checks that data of this shape can be learned by this task, e.g. that a regression
    /// has target values.
    fn check_data(&self, shape: DataShape) -> Result<(), TrainError>;
    /// Checks that the architecture `model` can learn this task: by default one that predicts
    /// (an autoencoder's outputs are pixels, not classes or values).
    fn check_model(&self, model: &models::ModelEntry) -> Result<(), TrainError> {
        if model.recipe.recommends {
            return Err(TrainError::Config(format!(
                "`{}` recommends: train it with --task recommend on ratings, not --task {}",
                model.name,
                self.name()
            )));
        }
        if model.recipe.reconstructs {
            Err(TrainError::Config(format!(
                "`{}` reconstructs its input: train it with --task reconstruct, not --task {}",
                model.name,
                self.name()
            )))
        } else {
            Ok(())
        }
    }
    /// What a table's target column holds for this task (classes unless it says otherwise).
    fn target_kind(&self) -> data::tabular::Task {
        data::tabular::Task::Classification
    }
    /// Whether inputs are standardised by default (a reconstruction's targets are the
    /// inputs' own `[0, 1]` pixels, so it feeds them as they are).
    fn standardizes_inputs(&self) -> bool {
        true
    }
    /// Gives a freshly built network what it needs of the data before it trains (a
    /// recommender: the training ratings). By default nothing.
    fn prepare(&self, network: Network, _data: &TrainingData) -> Result<Network, TrainError> {
        Ok(network)
    }
    /// Whether `--l1`/`--l2` penalise the sums over all weights, as the report then shows
    /// (a recommender weighs only the factors each example looks up, and says so itself).
    fn penalizes_all_weights(&self) -> bool {
        true
    }
    /// Trains one stage of a run with burn-train's learner, the task's loss and metrics.
    fn learn(&self, stage: Stage<'_>) -> Result<Learned, TrainError>;
    /// Evaluates `network` (in inference mode) on `examples`.
    fn evaluate(
        &self,
        network: &Network,
        config: &TrainingConfig,
        examples: Examples<'_>,
        device: &Device,
    ) -> Result<Box<dyn Evaluated>, TrainError>;
    /// The network's answer for each input (`app predict`).
    fn predict(
        &self,
        network: &Network,
        config: &TrainingConfig,
        inputs: &[Input],
        options: &PredictOptions,
        device: &Device,
    ) -> Result<Vec<Output>, TrainError>;
    /// The headline metrics as one line, e.g. `loss 0.0312, accuracy 0.9905`.
    fn headline(&self, metrics: &SplitMetrics) -> String;
    /// For a task that predicts classes: the probability of each class for each input
    /// (pictures such as the decision boundary use it). `None` (the default) otherwise.
    fn class_probabilities(
        &self,
        _network: &Network,
        _config: &TrainingConfig,
        _inputs: &[Vec<f32>],
        _device: &Device,
    ) -> Option<Vec<Vec<f32>>> {
        None
    }
}

/// Raw network outputs `[rows, outputs]` (flattened) for `inputs`, normalised as in training.
pub(crate) fn raw_outputs(
    network: &Network,
    config: &TrainingConfig,
    inputs: &[Input],
    device: &Device,
) -> Vec<f32> {
    let values: Vec<&[f32]> = inputs.iter().map(|i| i.values.as_slice()).collect();
    crate::evaluate::forward_examples(
        network,
        &config.input,
        config.normalization.as_ref(),
        &values,
        device,
    )
}
