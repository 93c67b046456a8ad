//! In-memory examples for classification: each example is a `[C, H, W]` array and a label.
//!
//! Images keep their `u8` pixels (decoded once, batched many times; scaled to `[0, 1]` when
//! batched). Tabular rows are `[F, 1, 1]` arrays of `f32` features, one "channel" per feature,
//! so that per-channel normalization standardises each feature.

use std::path::PathBuf;

/// The values of every example, example after example, channel-major within each.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// Image pixels, scaled to `[0, 1]` when batched.
    U8(Vec<u8>),
    /// Feature values, used as they are.
    F32(Vec<f32>),
}

/// Examples and their labels.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSet {
    /// Channels per example (1 for grayscale, 3 for RGB, the feature count for tables).
    pub channels: usize,
    /// Height of every example (1 for tables).
    pub height: usize,
    /// Width of every example (1 for tables).
    pub width: usize,
    /// `len() * channels * height * width` values.
    pub values: Values,
    /// The class index of each example.
    pub labels: Vec<usize>,
    /// The name of each class, indexed by label. A regression set has one, its target's name.
    pub class_names: Vec<String>,
    /// Regression targets, one per example (`None` for classification). A regression set's
    /// labels are all 0: one pseudo-class, so that splits are plain seeded random splits.
    pub targets: Option<Vec<f32>>,
}

/// A file that was left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Skipped {
    /// The file.
    pub path: PathBuf,
    /// Why it was left out.
    pub reason: String,
}

/// The train and test splits of a dataset.
#[derive(Debug, Clone)]
pub struct ImageSplits {
    /// Training examples (aprende splits a validation set off these).
    pub train: ImageSet,
    /// Held-out test examples.
    pub test: ImageSet,
    /// Files left out because they could not be decoded (image folders).
    pub skipped: Vec<Skipped>,
    /// The names of a table's feature columns, in input order (empty for images).
    pub feature_names: Vec<String>,
}

/// Per-channel standardisation, `(x - mean) / std`, applied after pixels are scaled to
/// `[0, 1]`. Its statistics come from the training split and are saved in the run's config,
/// so that evaluation and prediction see inputs as training did.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Normalization {
    /// Mean of each channel.
    pub mean: Vec<f32>,
    /// Standard deviation of each channel (never 0).
    pub std: Vec<f32>,
}

impl Normalization {
    /// The statistics of each channel over the examples of `set` at `indices`.
    pub fn fit(set: &ImageSet, indices: &[usize]) -> Normalization {
        let plane = set.height * set.width;
        let mut sum = vec![0f64; set.channels];
        let mut sum_sq = vec![0f64; set.channels];
        let mut buf = Vec::with_capacity(set.example_len());
        for &i in indices {
            buf.clear();
            set.write_scaled(i, &mut buf);
            for (c, chunk) in buf.chunks(plane).enumerate() {
                for &v in chunk {
                    sum[c] += f64::from(v);
                    sum_sq[c] += f64::from(v) * f64::from(v);
                }
            }
        }
        let n = (indices.len() * plane).max(1) as f64;
        let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
        let std = sum_sq
            .iter()
            .zip(&mean)
            .map(|(sq, m)| {
                let var = (sq / n - m * m).max(0.0);
                let sd = var.sqrt() as f32;
                if sd > 1e-6 { sd } else { 1.0 }
            })
            .collect();
        Normalization {
            mean: mean.into_iter().map(|m| m as f32).collect(),
            std,
        }
    }

    /// Standardises one example's values (`channels` planes) in place.
    pub fn apply(&self, values: &mut [f32]) {
        let plane = values.len() / self.mean.len().max(1);
        for (c, chunk) in values.chunks_mut(plane.max(1)).enumerate() {
            let (m, s) = (self.mean[c], self.std[c]);
            chunk.iter_mut().for_each(|v| *v = (*v - m) / s);
        }
    }
}

impl ImageSet {
    /// Number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Whether the targets are numbers to predict rather than classes.
    pub fn is_regression(&self) -> bool {
        self.targets.is_some()
    }

    /// Number of classes (1 for regression: the one output).
    pub fn num_classes(&self) -> usize {
        self.class_names.len()
    }

    /// Values per example (`channels * height * width`).
    pub fn example_len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// The pixels of image `index`, or `None` for tabular examples.
    pub fn image(&self, index: usize) -> Option<&[u8]> {
        let n = self.example_len();
        match &self.values {
            Values::U8(p) => Some(&p[index * n..(index + 1) * n]),
            Values::F32(_) => None,
        }
    }

    /// Appends example `index` as floats: pixels scaled to `[0, 1]`, features as they are.
    pub fn write_scaled(&self, index: usize, out: &mut Vec<f32>) {
        let n = self.example_len();
        match &self.values {
            Values::U8(p) => out.extend(
                p[index * n..(index + 1) * n]
                    .iter()
                    .map(|&v| f32::from(v) / 255.0),
            ),
            Values::F32(v) => out.extend_from_slice(&v[index * n..(index + 1) * n]),
        }
    }

    /// A new set holding the examples at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> ImageSet {
        let n = self.example_len();
        let values = match &self.values {
            Values::U8(p) => Values::U8(
                indices
                    .iter()
                    .flat_map(|&i| p[i * n..(i + 1) * n].iter().copied())
                    .collect(),
            ),
            Values::F32(v) => Values::F32(
                indices
                    .iter()
                    .flat_map(|&i| v[i * n..(i + 1) * n].iter().copied())
                    .collect(),
            ),
        };
        ImageSet {
            values,
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            class_names: self.class_names.clone(),
            targets: self
                .targets
                .as_ref()
                .map(|t| indices.iter().map(|&i| t[i]).collect()),
            ..*self
        }
    }

    /// The first `n` examples of each class (or all of a class with fewer): a small, balanced
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

    /// How many examples each class has.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.num_classes()];
        for &l in &self.labels {
            counts[l] += 1;
        }
        counts
    }
}
