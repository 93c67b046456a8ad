//! Batching: one `[B, C, H, W]` float tensor and one label tensor per batch, built from a
//! shared in-memory [`ImageSet`] in a single allocation (never a tensor per item).

use std::sync::Arc;

use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::Dataset;
use burn::prelude::*;

use crate::augment::Augmenter;
use crate::images::{ImageSet, Normalization};

/// A batch of images and their class indices.
#[derive(Clone, Debug)]
pub struct ImageBatch {
    /// `[batch, channels, height, width]`, pixels scaled to `[0, 1]`.
    pub images: Tensor<4>,
    /// `[batch]` class indices (all 0 for regression).
    pub targets: Tensor<1, Int>,
    /// `[batch, 1]` regression targets (`None` for classification).
    pub values: Option<Tensor<2>>,
}

/// Turns lists of image indices into [`ImageBatch`]es.
#[derive(Clone, Debug)]
pub struct ImageBatcher {
    set: Arc<ImageSet>,
    normalization: Option<Normalization>,
    augmenter: Option<Arc<Augmenter>>,
}

impl ImageBatcher {
    /// A batcher over `set`; items are indices into it.
    pub fn new(set: Arc<ImageSet>) -> Self {
        Self {
            set,
            normalization: None,
            augmenter: None,
        }
    }

    /// Augments every image it batches (for the training loader only).
    pub fn with_augmenter(mut self, augmenter: Option<Arc<Augmenter>>) -> Self {
        self.augmenter = augmenter;
        self
    }

    /// Standardises every example with `normalization` (after scaling pixels to `[0, 1]`).
    pub fn with_normalization(mut self, normalization: Option<Normalization>) -> Self {
        self.normalization = normalization;
        self
    }

    /// The examples at `indices` as one `[B, C, H, W]` tensor (pixels scaled to `[0, 1]`,
    /// then normalised if a normalization is set).
    pub fn images(&self, indices: &[usize], device: &Device) -> Tensor<4> {
        let set = &self.set;
        let n = set.example_len();
        let mut values = Vec::with_capacity(indices.len() * n);
        for &i in indices {
            let start = values.len();
            match (&self.augmenter, set.image(i)) {
                (Some(aug), Some(pixels)) => {
                    let out = aug.augment(i, pixels, set.channels, set.height, set.width);
                    values.extend(out.iter().map(|&p| f32::from(p) / 255.0));
                }
                _ => set.write_scaled(i, &mut values),
            }
            if let Some(norm) = &self.normalization {
                norm.apply(&mut values[start..start + n]);
            }
        }
        let shape = [indices.len(), set.channels, set.height, set.width];
        Tensor::from_data(TensorData::new(values, shape), device)
    }
}

impl Batcher<usize, ImageBatch> for ImageBatcher {
    fn batch(&self, items: Vec<usize>, device: &Device) -> ImageBatch {
        let labels: Vec<i64> = items.iter().map(|&i| self.set.labels[i] as i64).collect();
        let n = labels.len();
        let values = self.set.targets.as_ref().map(|t| {
            let v: Vec<f32> = items.iter().map(|&i| t[i]).collect();
            Tensor::from_data(TensorData::new(v, [n, 1]), device)
        });
        ImageBatch {
            images: self.images(&items, device),
            targets: Tensor::from_data(TensorData::new(labels, [n]), device),
            values,
        }
    }
}

/// A dataset of indices: the items the [`ImageBatcher`] batches.
#[derive(Clone, Debug)]
pub struct IndexDataset {
    indices: Vec<usize>,
}

impl IndexDataset {
    /// Items are `indices`, in order.
    pub fn new(indices: Vec<usize>) -> Self {
        Self { indices }
    }
}

/// The training indices of a data-parallel run on `devices` devices. burn gives each device
/// a contiguous slice of the training set (and shuffles within it every epoch), and a split's
/// indices come in class order: so the indices are shuffled with `seed` first, or one device
/// would see only cats and the other only dogs. They are then padded, by repeating the first
/// ones, to a multiple of `devices`, as PyTorch's `DistributedSampler` pads: every device gets
/// as many examples, so as many batches of the same sizes, and no device runs out of batches
/// before the others. One device keeps `indices` as they are.
pub fn for_devices(indices: &[usize], devices: usize, seed: u64) -> Vec<usize> {
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    let mut order = indices.to_vec();
    if devices <= 1 || order.is_empty() {
        return order;
    }
    order.shuffle(&mut rand::rngs::StdRng::seed_from_u64(seed ^ 0x0DE7_1CE5));
    let short = order.len().next_multiple_of(devices) - order.len();
    for i in 0..short {
        order.push(order[i % order.len()]);
    }
    order
}

impl Dataset<usize> for IndexDataset {
    fn get(&self, index: usize) -> Result<usize, burn::data::dataset::DatasetError> {
        Ok(self.indices[index])
    }

    fn len(&self) -> usize {
        self.indices.len()
    }
}

#[cfg(test)]
mod tests {
    use super::for_devices;

    #[test]
    fn device_slices_are_shuffled_even_and_cover_every_example() {
        // Class order: 0..50 are cats, 50..101 dogs.
        let indices: Vec<usize> = (0..101).collect();
        let order = for_devices(&indices, 2, 7);
        assert_eq!(order.len(), 102, "padded to a multiple of the device count");
        let mut seen = order.clone();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen, indices, "every example is there");
        // burn's split: the first half to device 0. It holds both classes.
        let first = &order[..51];
        let cats = first.iter().filter(|&&i| i < 50).count();
        assert!((15..=36).contains(&cats), "{cats} cats of 51");
        assert_eq!(order, for_devices(&indices, 2, 7), "the seed fixes it");
        assert_ne!(order, for_devices(&indices, 2, 8));
        assert_eq!(for_devices(&indices, 1, 7), indices, "one device: as given");
        assert_eq!(for_devices(&indices[..2], 3, 7).len(), 3);
    }
}
