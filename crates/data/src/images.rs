//! An in-memory image classification set: `u8` pixels in `[N, C, H, W]` order and a label
//! per image. Decoded once, batched many times.

/// Images and their labels, kept as bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSet {
    /// Channels per image (1 for grayscale, 3 for RGB).
    pub channels: usize,
    /// Height of every image.
    pub height: usize,
    /// Width of every image.
    pub width: usize,
    /// `len() * channels * height * width` pixels, channel-major within each image.
    pub pixels: Vec<u8>,
    /// The class index of each image.
    pub labels: Vec<usize>,
    /// The name of each class, indexed by label.
    pub class_names: Vec<String>,
}

/// The train and test splits of a dataset.
#[derive(Debug, Clone)]
pub struct ImageSplits {
    /// Training images (aprende splits a validation set off these).
    pub train: ImageSet,
    /// Held-out test images.
    pub test: ImageSet,
}

impl ImageSet {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Number of classes.
    pub fn num_classes(&self) -> usize {
        self.class_names.len()
    }

    /// Values per image (`channels * height * width`).
    pub fn image_len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// The pixels of image `index`.
    pub fn image(&self, index: usize) -> &[u8] {
        let n = self.image_len();
        &self.pixels[index * n..(index + 1) * n]
    }

    /// A new set holding the images at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> ImageSet {
        let mut pixels = Vec::with_capacity(indices.len() * self.image_len());
        for &i in indices {
            pixels.extend_from_slice(self.image(i));
        }
        ImageSet {
            pixels,
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            class_names: self.class_names.clone(),
            ..*self
        }
    }

    /// The first `n` images of each class (or all of a class with fewer): a small, balanced
    /// subset for tests and quick experiments.
    pub fn balanced_head(&self, per_class: usize) -> ImageSet {
        let mut taken = vec![0usize; self.num_classes()];
        let indices: Vec<usize> = (0..self.len())
            .filter(|&i| {
                let c = self.labels[i];
                let keep = taken[c] < per_class;
                taken[c] += usize::from(keep);
                keep
            })
            .collect();
        self.subset(&indices)
    }

    /// How many images each class has.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.num_classes()];
        for &l in &self.labels {
            counts[l] += 1;
        }
        counts
    }
}
