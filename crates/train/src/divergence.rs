//! Where training diverged: the first loss that stopped being a finite number. The progress
//! renderer records it; the learner stops there and the error reports it.

use std::sync::{Arc, Mutex};

/// A loss that stopped being a finite number: where training diverged.
#[derive(Debug, Clone, PartialEq)]
pub struct Divergence {
    /// The epoch it happened in, from 1.
    pub epoch: usize,
    /// The batch of that epoch's split, from 1.
    pub batch: usize,
    /// `training` or `validation`.
    pub split: &'static str,
    /// The loss (NaN or an infinity).
    pub loss: f64,
}

impl std::fmt::Display for Divergence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "training diverged: the {} loss became {} at epoch {}, batch {}. Try a lower --lr, \
             or standardise the inputs (--standardize) and scale the targets",
            self.split,
            if self.loss.is_nan() {
                "not a number"
            } else {
                "infinite"
            },
            self.epoch,
            self.batch
        )
    }
}

/// Where a run's divergence is recorded, shared with the caller.
pub type SharedDivergence = Arc<Mutex<Option<Divergence>>>;
