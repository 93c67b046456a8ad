//! The training wrapper around a [`Network`]: cross-entropy loss and burn-train's step traits.

use burn::module::Module;
use burn::prelude::*;
use burn::tensor::activation::log_softmax;
use burn::train::{ClassificationOutput, InferenceStep, RegressionOutput, TrainOutput, TrainStep};
use data::ImageBatch;
use models::Network;

/// A [`Network`] trained as a classifier with cross-entropy loss.
#[derive(Module, Debug)]
pub struct Classifier {
    /// The network being trained.
    pub network: Network,
}

impl Classifier {
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

impl TrainStep for Classifier {
    type Input = ImageBatch;
    type Output = ClassificationOutput;

    fn step(&self, batch: ImageBatch) -> TrainOutput<ClassificationOutput> {
        let item = self.forward_classification(batch);
        TrainOutput::new(self, item.loss.clone().mean().backward(), item)
    }
}

impl InferenceStep for Classifier {
    type Input = ImageBatch;
    type Output = ClassificationOutput;

    fn step(&self, batch: ImageBatch) -> ClassificationOutput {
        self.forward_classification(batch)
    }
}

/// A [`Network`] with one output trained as a regressor with mean squared error.
#[derive(Module, Debug)]
pub struct Regressor {
    /// The network being trained.
    pub network: Network,
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

impl TrainStep for Regressor {
    type Input = ImageBatch;
    type Output = RegressionOutput;

    fn step(&self, batch: ImageBatch) -> TrainOutput<RegressionOutput> {
        let item = self.forward_regression(batch);
        TrainOutput::new(self, item.loss.clone().mean().backward(), item)
    }
}

impl InferenceStep for Regressor {
    type Input = ImageBatch;
    type Output = RegressionOutput;

    fn step(&self, batch: ImageBatch) -> RegressionOutput {
        self.forward_regression(batch)
    }
}
