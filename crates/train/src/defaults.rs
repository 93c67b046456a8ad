//! aprende's defaults, where neither a flag, a saved config nor the recipe says. Each is
//! written here once.

pub use data::source::defaults::{IMAGE_SIZE, NOISE, POINTS, SEED, TEST_SPLIT};

/// The architecture `--model` names by default.
pub const MODEL: &str = "mlp";
/// The architecture `--model` names by default for a ratings dataset.
pub const RECOMMENDER: &str = "matrix-factorization";
/// The dataset `--dataset` names by default.
pub const DATASET: &str = "mnist";
/// Fraction of the training split held out for validation.
pub const VAL_SPLIT: f64 = 0.15;
/// Data-loading worker threads.
pub const WORKERS: usize = 1;
/// Backbone blocks that `--fine-tune` trains.
pub const UNFREEZE: usize = 3;
