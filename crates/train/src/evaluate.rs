//! Evaluating a network on a split: mean loss, accuracy and the predicted classes.

use std::sync::Arc;

use burn::module::Module;
use burn::prelude::*;
use data::{ImageBatcher, ImageSet, Normalization};
use models::Network;

use crate::model::cross_entropy_per_example;
use crate::report::SplitMetrics;

/// The outcome of [`evaluate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Mean cross-entropy and accuracy.
    pub metrics: SplitMetrics,
    /// The predicted class of each evaluated example, in order.
    pub predictions: Vec<usize>,
}

/// Evaluates `network` (in inference mode) on the examples of `set` at `indices`, normalised
/// as in training.
pub fn evaluate(
    network: &Network,
    set: Arc<ImageSet>,
    indices: &[usize],
    normalization: Option<&Normalization>,
    batch_size: usize,
    device: &Device,
) -> Evaluation {
    let network = network.valid();
    let batcher = ImageBatcher::new(set.clone()).with_normalization(normalization.cloned());
    let mut loss_sum = 0.0f64;
    let mut correct = 0usize;
    let mut predictions = Vec::with_capacity(indices.len());
    for chunk in indices.chunks(batch_size.max(1)) {
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
    let n = indices.len().max(1) as f64;
    Evaluation {
        metrics: SplitMetrics {
            loss: loss_sum / n,
            accuracy: correct as f64 / n,
        },
        predictions,
    }
}
