//! Regression: one output, mean squared error; MSE, MAE and R^2 and a predicted-against-true
//! scatter plot; `app predict` prints the predicted value.

use std::fmt::Write as _;
use std::path::Path;

use burn::module::Module;
use burn::prelude::*;
use burn::train::metric::LossMetric;
use burn::train::{RegressionOutput, SupervisedTraining};
use data::fsutil::write_atomic;
use data::{ImageBatch, ImageBatcher};
use models::Network;

use super::{DataShape, Evaluated, Examples, Input, Output, PredictOptions, Task};
use crate::config::TrainingConfig;
use crate::error::TrainError;
use crate::learner::{Learned, Stage, TaskModel, learn};
use crate::regularization::Penalty;
use crate::report::SplitMetrics;

/// Predicted against true values.
pub const PREDICTIONS_PNG: &str = "predictions.png";

/// The regression task.
#[derive(Debug, Clone, Copy)]
pub struct Regression;

/// A [`Network`] with one output trained as a regressor with mean squared error (plus the
/// run's weight penalty).
#[derive(Module, Debug)]
pub struct Regressor {
    /// The network being trained.
    pub network: Network,
    /// The L1/L2 penalty added to the loss.
    #[module(skip)]
    pub penalty: Penalty,
}

impl Regressor {
    /// Predictions, per-example squared errors and targets of a batch.
    pub fn forward_regression(&self, batch: ImageBatch) -> RegressionOutput {
        let output = self.network.forward(batch.images);
        let targets = batch
            .values
            .expect("a regression batch carries its target values");
        let [n, _] = output.dims();
        let loss = (output.clone() - targets.clone())
            .powi_scalar(2)
            .reshape([n]);
        RegressionOutput::new(loss, output, targets)
    }
}

crate::task_steps!(Regressor, RegressionOutput, forward_regression);

impl TaskModel for Regressor {
    fn wrap(network: Network, config: &TrainingConfig) -> Self {
        Self {
            network,
            penalty: Penalty::of(config),
        }
    }

    fn into_network(self) -> Network {
        self.network
    }

    fn with_metrics(training: SupervisedTraining<Self>) -> SupervisedTraining<Self> {
        training.metrics((LossMetric::new(),))
    }
}

/// Mean squared error (as `loss`), mean absolute error and R^2 of `predicted` against `truth`.
/// R^2 is 1 - SS_res / SS_tot; when the truth is constant it is 1 for a perfect fit, else 0.
pub fn regression_metrics(truth: &[f32], predicted: &[f32]) -> SplitMetrics {
    let n = truth.len().max(1) as f64;
    let mean = truth.iter().map(|&t| f64::from(t)).sum::<f64>() / n;
    let (mut sq, mut abs, mut tot) = (0.0f64, 0.0f64, 0.0f64);
    for (&t, &p) in truth.iter().zip(predicted) {
        let e = f64::from(p) - f64::from(t);
        sq += e * e;
        abs += e.abs();
        tot += (f64::from(t) - mean).powi(2);
    }
    let r2 = if tot > 0.0 {
        1.0 - sq / tot
    } else if sq == 0.0 {
        1.0
    } else {
        0.0
    };
    SplitMetrics {
        loss: sq / n,
        mae: Some(abs / n),
        r2: Some(r2),
        ..SplitMetrics::default()
    }
}

/// A regression evaluated on a split.
pub struct RegressionEvaluation {
    metrics: SplitMetrics,
    truth: Vec<f32>,
    predicted: Vec<f32>,
}

impl Task for Regression {
    fn name(&self) -> &'static str {
        "regression"
    }

    fn description(&self) -> &'static str {
        "predict a number (mean squared error; MSE, MAE, R^2)"
    }

    fn target_kind(&self) -> data::tabular::Task {
        data::tabular::Task::Regression
    }

    fn check_data(&self, shape: DataShape) -> Result<(), TrainError> {
        if shape.has_values {
            Ok(())
        } else {
            Err(TrainError::Config(
                "regression needs a numeric target (a CSV table with --target COLUMN)".into(),
            ))
        }
    }

    fn learn(&self, stage: Stage<'_>) -> Result<Learned, TrainError> {
        learn::<Regressor>(stage)
    }

    fn evaluate(
        &self,
        network: &Network,
        _config: &TrainingConfig,
        examples: Examples<'_>,
        device: &Device,
    ) -> Result<Box<dyn Evaluated>, TrainError> {
        let set = examples.set;
        let targets = set
            .targets
            .as_ref()
            .ok_or_else(|| TrainError::Config("the evaluated data has no target values".into()))?;
        let network = network.valid();
        let batcher =
            ImageBatcher::new(set.clone()).with_normalization(examples.normalization.cloned());
        let mut predicted = Vec::with_capacity(examples.indices.len());
        for chunk in examples
            .indices
            .chunks(crate::evaluate::evaluation_batch(set.example_len()))
        {
            let output = network.forward(batcher.images(chunk, device)).into_data();
            predicted.extend(output.iter::<f32>());
        }
        let truth: Vec<f32> = examples.indices.iter().map(|&i| targets[i]).collect();
        Ok(Box::new(RegressionEvaluation {
            metrics: regression_metrics(&truth, &predicted),
            truth,
            predicted,
        }))
    }

    fn predict(
        &self,
        network: &Network,
        config: &TrainingConfig,
        inputs: &[Input],
        _options: &PredictOptions,
        device: &Device,
    ) -> Result<Vec<Output>, TrainError> {
        Ok(super::raw_outputs(network, config, inputs, device)
            .into_iter()
            .map(|y| Output {
                prediction: Some(f64::from(y)),
                text: y.to_string(),
                ..Output::default()
            })
            .collect())
    }

    fn headline(&self, m: &SplitMetrics) -> String {
        format!(
            "MSE {:.6}, MAE {:.6}, R^2 {:.6}",
            m.loss,
            m.mae.unwrap_or(f64::NAN),
            m.r2.unwrap_or(f64::NAN)
        )
    }
}

impl Evaluated for RegressionEvaluation {
    fn metrics(&self) -> SplitMetrics {
        self.metrics
    }

    fn headline_rows(&self) -> Vec<(String, String)> {
        let m = &self.metrics;
        vec![
            ("MSE".into(), format!("{:.6}", m.loss)),
            ("MAE".into(), format!("{:.6}", m.mae.unwrap_or(f64::NAN))),
            ("R^2".into(), format!("{:.6}", m.r2.unwrap_or(f64::NAN))),
            ("examples".into(), self.truth.len().to_string()),
        ]
    }

    fn write_sections(
        &self,
        dir: &Path,
        split: &str,
        written: &mut Vec<&'static str>,
    ) -> Result<String, TrainError> {
        let t: Vec<f64> = self.truth.iter().map(|&v| f64::from(v)).collect();
        let p: Vec<f64> = self.predicted.iter().map(|&v| f64::from(v)).collect();
        let scatter = report::scatter_png(&t, &p, &format!("{split} predictions"))
            .map_err(|e| TrainError::Io(e.to_string()))?;
        write_atomic(&dir.join(PREDICTIONS_PNG), &scatter)?;
        written.push(PREDICTIONS_PNG);
        let mut md = String::new();
        let _ = writeln!(
            md,
            "\n## Predictions\n\n![predicted against true]({PREDICTIONS_PNG})\n"
        );
        Ok(md)
    }
}
