//! Evaluating a network on a split: mean loss, accuracy and the predicted classes, or for
//! regression MSE, MAE, R^2 and the predicted values.

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
    /// The predicted class of each evaluated example, in order (classification).
    pub predictions: Vec<usize>,
    /// The predicted value of each evaluated example, in order (regression).
    pub values: Vec<f32>,
}

/// Examples per batch of inference on examples of `example_len` values: 512, or fewer for
/// large inputs so that a batch holds at most 4 M input values (26 photos of 224x224: a
/// network's activations are many times its input, and a folder of photos at once would
/// need gigabytes).
pub fn evaluation_batch(example_len: usize) -> usize {
    ((4 << 20) / example_len.max(1)).clamp(1, 512)
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
    if let Some(targets) = &set.targets {
        let mut values = Vec::with_capacity(indices.len());
        for chunk in indices.chunks(batch_size.max(1)) {
            let output = network.forward(batcher.images(chunk, device)).into_data();
            values.extend(output.iter::<f32>());
        }
        let truth: Vec<f32> = indices.iter().map(|&i| targets[i]).collect();
        return Evaluation {
            metrics: regression_metrics(&truth, &values),
            predictions: Vec::new(),
            values,
        };
    }
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
            accuracy: Some(correct as f64 / n),
            mae: None,
            r2: None,
        },
        predictions,
        values: Vec::new(),
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
        accuracy: None,
        mae: Some(abs / n),
        r2: Some(r2),
    }
}

/// The network's raw outputs (`[rows, outputs]`, flattened) for examples given as floats of
/// the model's input shape (pixels scaled to `[0, 1]`, or raw feature values), normalised
/// with `normalization` first, as in training.
pub fn forward_examples(
    network: &Network,
    input: &models::InputSpec,
    normalization: Option<&Normalization>,
    examples: &[Vec<f32>],
    device: &Device,
) -> Vec<f32> {
    let network = network.valid();
    let mut outputs = Vec::new();
    for chunk in examples.chunks(evaluation_batch(input.flat_len())) {
        let mut values = Vec::with_capacity(chunk.len() * input.flat_len());
        for example in chunk {
            let start = values.len();
            values.extend_from_slice(example);
            if let Some(norm) = normalization {
                norm.apply(&mut values[start..]);
            }
        }
        let batch = Tensor::<4>::from_data(
            TensorData::new(
                values,
                [chunk.len(), input.channels, input.height, input.width],
            ),
            device,
        );
        outputs.extend(network.forward(batch).into_data().iter::<f32>());
    }
    outputs
}
