//! A seeded, stratified train/validation split.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::error::{DataError, Result};

/// Indices of the training and validation parts of a split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StratifiedSplit {
    /// Indices kept for training, ascending.
    pub train: Vec<usize>,
    /// Indices held out for validation, ascending.
    pub valid: Vec<usize>,
}

/// Splits `labels` into training and validation indices so that every class keeps the same
/// share (`valid_fraction`, rounded per class) in validation. The same `seed` gives the same
/// split; no index is in both parts.
pub fn stratified_split(
    labels: &[usize],
    valid_fraction: f64,
    seed: u64,
) -> Result<StratifiedSplit> {
    if !(0.0..1.0).contains(&valid_fraction) {
        return Err(DataError::Invalid(format!(
            "validation fraction must be in [0, 1), got {valid_fraction}"
        )));
    }
    let num_classes = labels.iter().copied().max().map_or(0, |m| m + 1);
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); num_classes];
    for (i, &l) in labels.iter().enumerate() {
        by_class[l].push(i);
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let mut train = Vec::with_capacity(labels.len());
    let mut valid = Vec::new();
    for mut members in by_class {
        members.shuffle(&mut rng);
        let n_valid = (members.len() as f64 * valid_fraction).round() as usize;
        // Keep at least one training example of every class that has one.
        let n_valid = n_valid.min(members.len().saturating_sub(1));
        valid.extend_from_slice(&members[..n_valid]);
        train.extend_from_slice(&members[n_valid..]);
    }
    train.sort_unstable();
    valid.sort_unstable();
    Ok(StratifiedSplit { train, valid })
}
