//! Inference in batches: the network's raw outputs for examples, in batches small enough
//! for large inputs. The tasks turn the outputs into metrics and answers.

use burn::module::Module;
use burn::prelude::*;
use data::Normalization;
use models::Network;

/// Examples per batch of inference on examples of `example_len` values: 512, or fewer for
/// large inputs so that a batch holds at most 4 M input values (26 photos of 224x224: a
/// network's activations are many times its input, and a folder of photos at once would
/// need gigabytes).
pub fn evaluation_batch(example_len: usize) -> usize {
    ((4 << 20) / example_len.max(1)).clamp(1, 512)
}

/// The network's raw outputs (`[rows, outputs]`, flattened) for examples given as floats of
/// the model's input shape (pixels scaled to `[0, 1]`, or raw feature values), normalised
/// with `normalization` first, as in training.
pub fn forward_examples<E: AsRef<[f32]>>(
    network: &Network,
    input: &models::InputSpec,
    normalization: Option<&Normalization>,
    examples: &[E],
    device: &Device,
) -> Vec<f32> {
    let network = network.valid();
    let mut outputs = Vec::new();
    for chunk in examples.chunks(evaluation_batch(input.flat_len())) {
        let mut values = Vec::with_capacity(chunk.len() * input.flat_len());
        for example in chunk {
            let start = values.len();
            values.extend_from_slice(example.as_ref());
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
