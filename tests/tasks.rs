//! The task seam: a task that aprende does not know, defined here, trains through `fit_task`
//! with its own loss, metrics and report section, and nothing in aprende had to change.

mod common;

use std::fmt::Write as _;
use std::path::Path;

use aprende::burn::prelude::*;
use aprende::data::{ImageBatch, ImageSet, ImageSplits, Values};
use aprende::models::{ModelOptions, Network};
use aprende::train::learner::{Learned, Stage, TaskModel, learn};
use aprende::train::task::{DataShape, Evaluated, Examples, Input, Output, PredictOptions, Task};
use aprende::train::{
    OptimizerSettings, SplitMetrics, TrainError, TrainingConfig, TrainingData, fit_task,
};
use burn::module::Module;
use burn::train::metric::LossMetric;
use burn::train::{InferenceStep, RegressionOutput, SupervisedTraining, TrainOutput, TrainStep};

/// Regression with the mean absolute error as its loss (a robust regression).
#[derive(Module, Debug)]
struct AbsoluteRegressor {
    network: Network,
}

impl AbsoluteRegressor {
    fn forward(&self, batch: ImageBatch) -> RegressionOutput {
        let output = self.network.forward(batch.images);
        let targets = batch.values.unwrap();
        let [n, _] = output.dims();
        let loss = (output.clone() - targets.clone()).abs().reshape([n]);
        RegressionOutput::new(loss, output, targets)
    }
}

impl TrainStep for AbsoluteRegressor {
    type Input = ImageBatch;
    type Output = RegressionOutput;

    fn step(&self, batch: ImageBatch) -> TrainOutput<RegressionOutput> {
        let item = self.forward(batch);
        TrainOutput::new(self, item.loss.clone().mean().backward(), item)
    }
}

impl InferenceStep for AbsoluteRegressor {
    type Input = ImageBatch;
    type Output = RegressionOutput;

    fn step(&self, batch: ImageBatch) -> RegressionOutput {
        self.forward(batch)
    }
}

impl TaskModel for AbsoluteRegressor {
    fn wrap(network: Network, _config: &TrainingConfig) -> Self {
        Self { network }
    }

    fn into_network(self) -> Network {
        self.network
    }

    fn with_metrics(training: SupervisedTraining<Self>) -> SupervisedTraining<Self> {
        training.metrics((LossMetric::new(),))
    }
}

#[derive(Debug)]
struct AbsoluteRegression;

struct AbsoluteErrors {
    mae: f64,
    worst: f64,
}

impl Evaluated for AbsoluteErrors {
    fn metrics(&self) -> SplitMetrics {
        SplitMetrics {
            loss: self.mae,
            mae: Some(self.mae),
            ..SplitMetrics::default()
        }
    }

    fn headline_rows(&self) -> Vec<(String, String)> {
        vec![("MAE".into(), format!("{:.4}", self.mae))]
    }

    fn write_sections(
        &self,
        _dir: &Path,
        split: &str,
        _written: &mut Vec<&'static str>,
    ) -> Result<String, TrainError> {
        let mut md = String::new();
        let _ = writeln!(
            md,
            "\n## Absolute errors\n\nWorst on {split}: {:.4}",
            self.worst
        );
        Ok(md)
    }
}

impl Task for AbsoluteRegression {
    fn name(&self) -> &'static str {
        "absolute-regression"
    }

    fn description(&self) -> &'static str {
        "regression with the mean absolute error as its loss"
    }

    fn target_kind(&self) -> aprende::data::tabular::Task {
        aprende::data::tabular::Task::Regression
    }

    fn check_data(&self, shape: DataShape) -> Result<(), TrainError> {
        if shape.has_values {
            Ok(())
        } else {
            Err(TrainError::Config("needs target values".into()))
        }
    }

    fn learn(&self, stage: Stage<'_>) -> Result<Learned, TrainError> {
        learn::<AbsoluteRegressor>(stage)
    }

    fn evaluate(
        &self,
        network: &Network,
        config: &TrainingConfig,
        examples: Examples<'_>,
        device: &Device,
    ) -> Result<Box<dyn Evaluated>, TrainError> {
        let set = examples.set;
        let rows: Vec<Vec<f32>> = examples
            .indices
            .iter()
            .map(|&i| {
                let mut v = Vec::new();
                set.write_scaled(i, &mut v);
                v
            })
            .collect();
        let outputs = aprende::train::forward_examples(
            network,
            &config.input,
            examples.normalization,
            &rows,
            device,
        );
        let targets = set.targets.as_ref().unwrap();
        let errors: Vec<f64> = examples
            .indices
            .iter()
            .zip(&outputs)
            .map(|(&i, &y)| f64::from((y - targets[i]).abs()))
            .collect();
        Ok(Box::new(AbsoluteErrors {
            mae: errors.iter().sum::<f64>() / errors.len() as f64,
            worst: errors.iter().copied().fold(0.0, f64::max),
        }))
    }

    fn predict(
        &self,
        _network: &Network,
        _config: &TrainingConfig,
        _inputs: &[Input],
        _options: &PredictOptions,
        _device: &Device,
    ) -> Result<Vec<Output>, TrainError> {
        Ok(Vec::new())
    }

    fn headline(&self, metrics: &SplitMetrics) -> String {
        format!("MAE {:.4}", metrics.loss)
    }
}

/// y = 3x + 1 on 40 points in [-1, 1].
fn line_table() -> ImageSet {
    let xs: Vec<f32> = (0..40).map(|i| -1.0 + i as f32 / 20.0).collect();
    ImageSet {
        channels: 1,
        height: 1,
        width: 1,
        targets: Some(xs.iter().map(|x| 3.0 * x + 1.0).collect()),
        values: Values::F32(xs),
        labels: vec![0; 40],
        class_names: vec!["y".into()],
    }
}

#[test]
fn a_task_defined_outside_aprende_trains_through_fit() {
    let set = line_table();
    let splits = ImageSplits {
        train: set.clone(),
        test: set,
        skipped: Vec::new(),
        feature_names: Vec::new(),
    };
    let options = ModelOptions {
        hidden: Vec::new(),
        ..ModelOptions::default()
    };
    let config = TrainingConfig::for_data(
        "mlp",
        options,
        "line",
        &splits.train,
        OptimizerSettings::new().with_lr(0.05),
    )
    .unwrap()
    .with_task(AbsoluteRegression.name().into())
    .with_epochs(60)
    .with_batch_size(8)
    .with_val_split(0.0);
    let data = TrainingData::new(splits, 0.0, 1).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let report = fit_task(
        &AbsoluteRegression,
        &config,
        &data,
        &Device::flex(),
        &common::quiet(dir.path(), "flex"),
    )
    .unwrap()
    .report;
    assert_eq!(report.task, "absolute-regression");
    let first = report.history[0].train_loss;
    assert!(
        report.test.loss < first / 10.0,
        "MAE {} after a first epoch of {first}",
        report.test.loss
    );
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(
        md.contains("| MAE |") && md.contains("## Absolute errors"),
        "{md}"
    );
    // The registry does not know it: a saved run of it names a task `app` cannot load.
    let err = aprende::train::LoadedRun::load(dir.path(), &Device::flex())
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown task `absolute-regression`"), "{err}");
}
