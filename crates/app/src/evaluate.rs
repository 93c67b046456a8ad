//! `app evaluate`: recompute a saved model's metrics and report files on any split.

use data::RatingsData;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use train::task::recommendation::{in_catalog, rating_splits};

use burn::prelude::*;
use data::{DataDir, DatasetSpec, DownloadOptions, ImageSet, LoadOptions};
use serde::Serialize;
use train::artifacts::{ReportHeader, write_report};
use train::run::files;
use train::task::Examples;
use train::{ClassificationMetrics, LoadedRun, Report, SplitMetrics, TrainError, TrainingData};

use crate::predict::AppError;

/// Which part of a dataset to evaluate on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum EvalSplit {
    /// The held-out test split.
    Test,
    /// The validation part of the training split (the run's seed and fraction).
    #[value(alias = "validation")]
    Valid,
    /// The training part of the training split.
    Train,
}

impl EvalSplit {
    /// The name used in file names and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            EvalSplit::Test => "test",
            EvalSplit::Valid => "valid",
            EvalSplit::Train => "train",
        }
    }
}

/// What `evaluation.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct EvaluationReport {
    /// Registry name of the model.
    pub model: String,
    /// Dataset evaluated on.
    pub dataset: String,
    /// Split evaluated on.
    pub split: EvalSplit,
    /// Loss and accuracy.
    pub metrics: SplitMetrics,
    /// Per-class metrics and confusion matrix (classification).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classification: Option<ClassificationMetrics>,
    /// The headline metrics as the task words them.
    #[serde(skip)]
    pub headline: String,
}

/// Where and on what to evaluate.
#[derive(Debug, Clone)]
pub struct EvaluateOptions {
    /// Dataset name; `None` uses the run's.
    pub dataset: Option<String>,
    /// Split.
    pub split: EvalSplit,
    /// Data directory.
    pub data_dir: DataDir,
    /// How missing files are fetched.
    pub download: DownloadOptions,
    /// Output folder; `None` writes to `RUN/eval-DATASET-SPLIT`.
    pub out: Option<PathBuf>,
}

/// Evaluates the run in `run_dir` and writes `evaluation.json` and the report files.
/// Returns the report and the folder written to.
pub fn evaluate_run(
    run_dir: &Path,
    options: &EvaluateOptions,
    device: &Device,
) -> Result<(EvaluationReport, PathBuf), AppError> {
    let run = LoadedRun::load(run_dir, device)?;
    let config = &run.config;
    let dataset_name = options
        .dataset
        .clone()
        .unwrap_or_else(|| config.dataset.clone());
    let dataset = DatasetSpec::from_str(&dataset_name).map_err(TrainError::from)?;
    let load_options = LoadOptions {
        data_dir: options.data_dir.clone(),
        download: options.download.clone(),
        target: config.target.clone(),
        test_split: config.test_split,
        seed: config.seed,
        task: run.task.target_kind(),
        image_size: config.image_size,
        points: config.points,
        noise: config.noise,
        ratings: config.ratings.load_options(),
    };
    let splits = match &run.catalog {
        Some(catalog) if dataset.is_ratings() => {
            // The ratings' users and items, as the run knows them.
            let data = dataset
                .load_ratings(&load_options)
                .map_err(TrainError::from)?;
            rating_splits(&RatingsData {
                train: in_catalog(&data.train, &data.catalog, catalog),
                test: in_catalog(&data.test, &data.catalog, catalog),
                ..data
            })
        }
        _ => dataset.load(&load_options).map_err(TrainError::from)?,
    };
    check_fits(&splits.test, &config.input, &dataset_name)?;
    let (set, indices): (Arc<ImageSet>, Vec<usize>) = match options.split {
        EvalSplit::Test => {
            let n = splits.test.len();
            (Arc::new(splits.test), (0..n).collect())
        }
        split => {
            // The run's own split of its training data (its seed and fraction).
            let data = TrainingData::new(splits, config.val_split, config.seed)?;
            let indices = match split {
                EvalSplit::Valid if data.split.valid.is_empty() => {
                    return Err(TrainError::Config(format!(
                        "{}: the run held out no validation data (--val-split {})",
                        run_dir.display(),
                        config.val_split
                    ))
                    .into());
                }
                EvalSplit::Valid => data.split.valid,
                _ => data.split.train,
            };
            (data.train, indices)
        }
    };
    let evaluated = run.task.evaluate(
        &run.network,
        config,
        Examples {
            set: &set,
            indices: &indices,
            normalization: config.normalization.as_ref(),
        },
        device,
    )?;
    let report = EvaluationReport {
        model: config.model.name().to_string(),
        dataset: dataset_name.clone(),
        split: options.split,
        metrics: evaluated.metrics(),
        classification: evaluated.classification().cloned(),
        headline: run.task.headline(&evaluated.metrics()),
    };
    let out = options.out.clone().unwrap_or_else(|| {
        run_dir.join(format!(
            "eval-{}-{}",
            dataset.short_name(),
            options.split.as_str()
        ))
    });
    let json = serde_json::to_vec_pretty(&report).map_err(|e| TrainError::Io(e.to_string()))?;
    data::fsutil::write_atomic(&out.join("evaluation.json"), &json).map_err(TrainError::from)?;
    let training = Report::load(&run_dir.join(files::REPORT)).ok();
    write_report(
        &out,
        &ReportHeader {
            title: format!(
                "{} on {} ({} split)",
                report.model,
                dataset_name,
                options.split.as_str()
            ),
            training: training.as_ref(),
            split: options.split.as_str(),
            summary: &run.network.summary(),
            extra: String::new(),
        },
        evaluated.as_ref(),
    )?;
    Ok((report, out))
}

fn check_fits(set: &ImageSet, input: &models::InputSpec, dataset: &str) -> Result<(), AppError> {
    let shape = (set.channels, set.height, set.width, set.num_classes());
    let expected = (input.channels, input.height, input.width, input.num_classes);
    if shape != expected {
        return Err(AppError::Train(TrainError::Config(format!(
            "{dataset} has {}x{}x{} inputs and {} classes, but the model takes {}x{}x{} and {} classes",
            shape.0, shape.1, shape.2, shape.3, expected.0, expected.1, expected.2, expected.3
        ))));
    }
    Ok(())
}
