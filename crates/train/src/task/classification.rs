//! Classification: cross-entropy on class logits; accuracy, per-class precision, recall and
//! F1, the confusion matrix and the misclassified examples; `app predict` lists the most
//! probable classes.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use burn::module::Module;
use burn::prelude::*;
use burn::tensor::activation::{log_softmax, softmax};
use burn::train::metric::{AccuracyMetric, LossMetric};
use burn::train::{ClassificationOutput, SupervisedTraining};
use data::fsutil::write_atomic;
use data::{ImageBatch, ImageBatcher, ImageSet};
use models::Network;
use serde::{Deserialize, Serialize};

use super::{DataShape, Evaluated, Examples, Input, Output, PredictOptions, Task};
use crate::config::TrainingConfig;
use crate::error::TrainError;
use crate::learner::{Learned, Stage, TaskModel, learn};
use crate::metrics::{ClassificationMetrics, ConfusionMatrix};
use crate::regularization::Penalty;
use crate::report::SplitMetrics;

/// How many misclassified examples `mistakes.png` shows.
pub const MISTAKES_SHOWN: usize = 24;

/// File names of a classification report.
pub mod files {
    /// The confusion matrix as CSV.
    pub const CONFUSION_CSV: &str = "confusion.csv";
    /// The confusion matrix heatmap.
    pub const CONFUSION_PNG: &str = "confusion.png";
    /// Misclassified examples.
    pub const MISTAKES_PNG: &str = "mistakes.png";
}

/// The classification task.
#[derive(Debug, Clone, Copy)]
pub struct Classification;

/// A [`Network`] trained as a classifier with cross-entropy loss (plus the run's weight
/// penalty).
#[derive(Module, Debug)]
pub struct Classifier {
    /// The network being trained.
    pub network: Network,
    /// The L1/L2 penalty added to the loss.
    #[module(skip)]
    pub penalty: Penalty,
}

impl Classifier {
    /// A classifier without a weight penalty.
    pub fn new(network: Network) -> Self {
        Self {
            network,
            penalty: Penalty::NONE,
        }
    }

    /// Logits, per-example losses and targets of a batch.
    ///
    /// The loss handed to burn-train's metrics is the `[batch]` tensor of per-example losses,
    /// so that its epoch mean is weighted by batch size (a last, smaller batch counts for its
    /// examples, not as much as a full one) and equals the mean over the examples.
    pub fn forward_classification(&self, batch: ImageBatch) -> ClassificationOutput {
        let logits = self.network.forward(batch.images);
        let loss = cross_entropy_per_example(logits.clone(), batch.targets.clone());
        ClassificationOutput::new(loss, logits, batch.targets)
    }
}

/// Cross-entropy of each row of `logits` `[batch, classes]` against its class index.
pub fn cross_entropy_per_example(logits: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
    let [n, _] = logits.dims();
    let log_probs = log_softmax(logits, 1);
    log_probs
        .gather(1, targets.reshape([n, 1]))
        .reshape([n])
        .neg()
}

crate::task_steps!(Classifier, ClassificationOutput, forward_classification);

impl TaskModel for Classifier {
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
        training.metrics((AccuracyMetric::new(), LossMetric::new()))
    }
}

/// A class and its probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredClass {
    /// Class name.
    pub class: String,
    /// Softmax probability.
    pub probability: f64,
}

/// A classification evaluated on a split.
pub struct ClassificationEvaluation {
    metrics: SplitMetrics,
    classes: ClassificationMetrics,
    set: Arc<ImageSet>,
    indices: Vec<usize>,
    predictions: Vec<usize>,
}

/// The softmax of each row of `logits` (`[rows, k]`, flattened): class probabilities.
fn softmax_rows(logits: Vec<f32>, k: usize, device: &Device) -> Vec<Vec<f32>> {
    if logits.is_empty() {
        return Vec::new();
    }
    let rows = logits.len() / k;
    softmax(
        Tensor::<2>::from_data(TensorData::new(logits, [rows, k]), device),
        1,
    )
    .into_data()
    .iter::<f32>()
    .collect::<Vec<f32>>()
    .chunks(k)
    .map(<[f32]>::to_vec)
    .collect()
}

/// Mean cross-entropy, accuracy and the predicted classes of `network` on `examples`.
pub fn classify(
    network: &Network,
    examples: Examples<'_>,
    device: &Device,
) -> (SplitMetrics, Vec<usize>) {
    let network = network.valid();
    let set = examples.set;
    let batcher =
        ImageBatcher::new(set.clone()).with_normalization(examples.normalization.cloned());
    let mut loss_sum = 0.0f64;
    let mut correct = 0usize;
    let mut predictions = Vec::with_capacity(examples.indices.len());
    let batch = crate::evaluate::evaluation_batch(set.example_len());
    for chunk in examples.indices.chunks(batch) {
        let images = batcher.images(chunk, device);
        let labels: Vec<i64> = chunk.iter().map(|&i| set.labels[i] as i64).collect();
        let targets =
            Tensor::<1, Int>::from_data(TensorData::new(labels.clone(), [chunk.len()]), device);
        let logits = network.forward(images);
        loss_sum += f64::from(
            cross_entropy_per_example(logits.clone(), targets)
                .sum()
                .into_scalar::<f32>(),
        );
        let predicted = logits.argmax(1).into_data();
        for (p, &l) in predicted.iter::<i64>().zip(&labels) {
            correct += usize::from(p == l);
            predictions.push(p as usize);
        }
    }
    let n = examples.indices.len().max(1) as f64;
    let metrics = SplitMetrics {
        loss: loss_sum / n,
        accuracy: Some(correct as f64 / n),
        ..SplitMetrics::default()
    };
    (metrics, predictions)
}

impl Task for Classification {
    fn name(&self) -> &'static str {
        "classification"
    }

    fn description(&self) -> &'static str {
        "predict a class (cross-entropy; accuracy, precision, recall, confusion matrix)"
    }

    fn check_data(&self, shape: DataShape) -> Result<(), TrainError> {
        if shape.has_values {
            return Err(TrainError::Config(
                "the data's target is a number: train it with --task regression".into(),
            ));
        }
        if shape.classes < 2 {
            return Err(TrainError::Config(format!(
                "a classifier needs at least 2 classes, the data has {}",
                shape.classes
            )));
        }
        Ok(())
    }

    fn learn(&self, stage: Stage<'_>) -> Result<Learned, TrainError> {
        learn::<Classifier>(stage)
    }

    fn evaluate(
        &self,
        network: &Network,
        config: &TrainingConfig,
        examples: Examples<'_>,
        device: &Device,
    ) -> Result<Box<dyn Evaluated>, TrainError> {
        let (metrics, predictions) = classify(network, examples, device);
        let truth: Vec<usize> = examples
            .indices
            .iter()
            .map(|&i| examples.set.labels[i])
            .collect();
        let classes = ConfusionMatrix::new(&config.class_names, &truth, &predictions).metrics();
        Ok(Box::new(ClassificationEvaluation {
            metrics,
            classes,
            set: examples.set.clone(),
            indices: examples.indices.to_vec(),
            predictions,
        }))
    }

    fn class_probabilities(
        &self,
        network: &Network,
        config: &TrainingConfig,
        inputs: &[Vec<f32>],
        device: &Device,
    ) -> Option<Vec<Vec<f32>>> {
        let logits = crate::evaluate::forward_examples(
            network,
            &config.input,
            config.normalization.as_ref(),
            inputs,
            device,
        );
        Some(softmax_rows(logits, config.input.num_classes, device))
    }

    fn predict(
        &self,
        network: &Network,
        config: &TrainingConfig,
        inputs: &[Input],
        options: &PredictOptions,
        device: &Device,
    ) -> Result<Vec<Output>, TrainError> {
        let logits = super::raw_outputs(network, config, inputs, device);
        let probs = softmax_rows(logits, config.input.num_classes, device);
        Ok(probs
            .iter()
            .map(|row| {
                let mut order: Vec<usize> = (0..row.len()).collect();
                order.sort_by(|&a, &b| row[b].total_cmp(&row[a]));
                let top: Vec<ScoredClass> = order
                    .into_iter()
                    .take(options.top_k.max(1))
                    .map(|c| ScoredClass {
                        class: config
                            .class_names
                            .get(c)
                            .cloned()
                            .unwrap_or_else(|| c.to_string()),
                        probability: f64::from(row[c]),
                    })
                    .collect();
                let text = top
                    .iter()
                    .map(|c| format!("{} ({:.1}%)", c.class, 100.0 * c.probability))
                    .collect::<Vec<_>>()
                    .join(", ");
                Output {
                    top,
                    text,
                    ..Output::default()
                }
            })
            .collect())
    }

    fn headline(&self, metrics: &SplitMetrics) -> String {
        format!(
            "loss {:.4}, accuracy {:.4}",
            metrics.loss,
            metrics.accuracy.unwrap_or(f64::NAN)
        )
    }
}

fn io(e: data::DataError) -> TrainError {
    TrainError::Io(e.to_string())
}

fn png(e: report::ReportError) -> TrainError {
    TrainError::Io(e.to_string())
}

impl Evaluated for ClassificationEvaluation {
    fn metrics(&self) -> SplitMetrics {
        self.metrics
    }

    fn classification(&self) -> Option<&ClassificationMetrics> {
        Some(&self.classes)
    }

    fn headline_rows(&self) -> Vec<(String, String)> {
        let c = &self.classes;
        vec![
            (
                "accuracy".into(),
                format!("{:.4}", self.metrics.accuracy.unwrap_or(f64::NAN)),
            ),
            ("loss".into(), format!("{:.4}", self.metrics.loss)),
            (
                "macro precision / recall / F1".into(),
                format!(
                    "{:.4} / {:.4} / {:.4}",
                    c.macro_avg.precision, c.macro_avg.recall, c.macro_avg.f1
                ),
            ),
            ("weighted F1".into(), format!("{:.4}", c.weighted_avg.f1)),
            ("examples".into(), c.macro_avg.support.to_string()),
        ]
    }

    fn write_sections(
        &self,
        dir: &Path,
        split: &str,
        written: &mut Vec<&'static str>,
    ) -> Result<String, TrainError> {
        let c = &self.classes;
        let confusion = &c.confusion;
        write_atomic(
            &dir.join(files::CONFUSION_CSV),
            confusion.to_csv().as_bytes(),
        )
        .map_err(io)?;
        written.push(files::CONFUSION_CSV);
        let heatmap = report::confusion_png(&confusion.classes, &confusion.counts).map_err(png)?;
        write_atomic(&dir.join(files::CONFUSION_PNG), &heatmap).map_err(io)?;
        written.push(files::CONFUSION_PNG);
        let mistakes_shown = self.write_mistakes(dir, split, written)?;

        let mut md = String::new();
        let _ = writeln!(
            md,
            "\n## Confusion matrix\n\n![confusion matrix]({})\n\nCounts in [{}]({}); rows are true classes, columns predicted ones.\n",
            files::CONFUSION_PNG,
            files::CONFUSION_CSV,
            files::CONFUSION_CSV
        );
        let _ = writeln!(
            md,
            "## Per class\n\n| class | precision | recall | F1 | support |\n| --- | ---: | ---: | ---: | ---: |"
        );
        for m in c.per_class.iter().chain([&c.macro_avg, &c.weighted_avg]) {
            let _ = writeln!(
                md,
                "| {} | {:.4} | {:.4} | {:.4} | {} |",
                m.class, m.precision, m.recall, m.f1, m.support
            );
        }
        let worst = c.confusion.worst_confusions(5);
        if !worst.is_empty() {
            let _ = writeln!(
                md,
                "\n## Most confused\n\n| true | predicted as | count |\n| --- | --- | ---: |"
            );
            for (t, p, n) in worst {
                let _ = writeln!(md, "| {t} | {p} | {n} |");
            }
        }
        if mistakes_shown > 0 {
            let _ = writeln!(
                md,
                "\n## Misclassified examples\n\n![the first {mistakes_shown} misclassified examples]({})",
                files::MISTAKES_PNG
            );
        }
        Ok(md)
    }
}

impl ClassificationEvaluation {
    /// Writes `mistakes.png` for image data; returns how many mistakes it shows.
    fn write_mistakes(
        &self,
        dir: &Path,
        split: &str,
        written: &mut Vec<&'static str>,
    ) -> Result<usize, TrainError> {
        let set = &self.set;
        let mistakes: Vec<report::GridImage> = self
            .indices
            .iter()
            .zip(&self.predictions)
            .filter(|(i, p)| set.labels[**i] != **p)
            .take(MISTAKES_SHOWN)
            .filter_map(|(&i, &p)| {
                Some(report::GridImage {
                    pixels: set.image(i)?.to_vec(),
                    channels: set.channels,
                    height: set.height,
                    width: set.width,
                    caption: format!(
                        "true: {}\npred: {}",
                        set.class_names[set.labels[i]],
                        set.class_names.get(p).map_or("?", String::as_str)
                    ),
                })
            })
            .collect();
        if mistakes.is_empty() {
            return Ok(0);
        }
        let grid = report::image_grid_png(
            &format!("Misclassified {split} examples (first {})", mistakes.len()),
            &mistakes,
            8,
            96,
        )
        .map_err(png)?;
        write_atomic(&dir.join(files::MISTAKES_PNG), &grid).map_err(io)?;
        written.push(files::MISTAKES_PNG);
        Ok(mistakes.len())
    }
}
