//! What the command line and the data tell a model config.

use std::fmt;

pub use crate::activation::ActivationKind;
pub use crate::layer_spec::LayerSpec;
pub use crate::pretrained::PretrainedInput;

/// The shape of the data a model sees and how many classes it tells apart.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct InputSpec {
    /// Channels per image.
    pub channels: usize,
    /// Image height.
    pub height: usize,
    /// Image width.
    pub width: usize,
    /// Number of classes.
    pub num_classes: usize,
    /// For ratings (an example is a user and an item): how many of each there are and the
    /// rating scale. `None` for images and tables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratings: Option<RatingsShape>,
}

/// What a recommender needs to know of its ratings: how many users and items the ids
/// index, the rating scale and the mean training rating.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RatingsShape {
    /// Users (ids `0..users`).
    pub users: usize,
    /// Items (ids `0..items`).
    pub items: usize,
    /// Lowest rating of the scale.
    pub min: f32,
    /// Highest rating of the scale.
    pub max: f32,
    /// Mean training rating.
    pub mean: f32,
}

impl InputSpec {
    /// Values per input (`channels * height * width`).
    pub fn flat_len(&self) -> usize {
        self.channels * self.height * self.width
    }
}

/// Architecture options from the command line. Each architecture uses the ones that apply.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModelOptions {
    /// Hidden layer widths of an MLP (`--hidden 512,512`).
    pub hidden: Vec<usize>,
    /// Activation of dense layers.
    pub activation: ActivationKind,
    /// Dropout probability after each hidden dense layer (before the dense layers of a CNN).
    pub dropout: f64,
    /// Batch norm after each convolution of a CNN that has it (`--batch-norm false`).
    #[serde(default = "yes")]
    pub batch_norm: bool,
    /// Output channels of a CNN's conv blocks (`--widths 32,64,128,128`); `None` for the
    /// architecture's default.
    #[serde(default)]
    pub widths: Option<Vec<usize>>,
    /// Width of an autoencoder's code, its bottleneck (`--code 32`).
    #[serde(default = "default_code")]
    pub code: usize,
    /// Latent factors per user and item of a matrix factorisation (`--factors 50`).
    #[serde(default = "default_factors")]
    pub factors: usize,
    /// Neighbours a neighbourhood recommender weighs (`--k 40`).
    #[serde(default = "default_neighbours")]
    pub neighbours: usize,
    /// How a neighbourhood recommender compares two users or items (`--similarity`).
    #[serde(default)]
    pub similarity: Similarity,
    /// Co-rated items (or users) below which two users (or items) count as unrelated
    /// (`--min-overlap`).
    #[serde(default = "default_min_overlap")]
    pub min_overlap: usize,
    /// The layers of a `sequential` network (`--layers conv:32,relu,...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layers: Option<Vec<LayerSpec>>,
}

/// Latent factors of a matrix factorisation when none are given (fastai's and Surprise's 50
/// and 100 bracket it; 50 is fastai's `collab_learner`).
pub const DEFAULT_FACTORS: usize = 50;
/// Neighbours of a neighbourhood recommender when none are given (Surprise's k = 40).
pub const DEFAULT_NEIGHBOURS: usize = 40;
/// Minimum overlap of two users or items when none is given: 5 (on MovieLens small, user-knn
/// RMSE 0.8898 against 0.8906 with 1, and fewer "similar" pairs that share two ratings).
pub const DEFAULT_MIN_OVERLAP: usize = 5;

fn default_factors() -> usize {
    DEFAULT_FACTORS
}

fn default_neighbours() -> usize {
    DEFAULT_NEIGHBOURS
}

fn default_min_overlap() -> usize {
    DEFAULT_MIN_OVERLAP
}

/// An autoencoder's code width when none is given: the Keras example's 32.
pub const DEFAULT_CODE: usize = 32;

fn default_code() -> usize {
    DEFAULT_CODE
}

impl ModelOptions {
    /// Checks that the dropout probability is in `[0, 1)`.
    pub fn check_dropout(&self, model: &'static str) -> Result<(), crate::ModelError> {
        if (0.0..1.0).contains(&self.dropout) {
            Ok(())
        } else {
            Err(crate::ModelError::Invalid {
                model,
                problem: format!("dropout must be in [0, 1), got {}", self.dropout),
            })
        }
    }
}

fn yes() -> bool {
    true
}

impl Default for ModelOptions {
    fn default() -> Self {
        Self {
            hidden: vec![128],
            activation: ActivationKind::Relu,
            dropout: 0.0,
            batch_norm: true,
            widths: None,
            code: DEFAULT_CODE,
            factors: DEFAULT_FACTORS,
            neighbours: DEFAULT_NEIGHBOURS,
            similarity: Similarity::default(),
            min_overlap: DEFAULT_MIN_OVERLAP,
            layers: None,
        }
    }
}

/// Training defaults an architecture suggests, used where the command line and a saved
/// config say nothing (as a Keras lab's `fit` call would). Every flag overrides them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recipe {
    /// Maximum epochs.
    pub epochs: usize,
    /// Examples per batch.
    pub batch_size: usize,
    /// Adam's learning rate.
    pub lr: f64,
    /// Early-stopping patience in epochs (0: off).
    pub patience: usize,
    /// How the learning rate moves over the run.
    pub schedule: LrSchedule,
    /// Dropout probability (`--dropout`).
    pub dropout: f64,
    /// Hidden layer widths of its dense layers (`--hidden`).
    pub hidden: &'static [usize],
    /// Activation of its dense layers (`--activation`).
    pub activation: ActivationKind,
    /// Whether the architecture learns to reconstruct its input (an autoencoder) rather than
    /// to predict a class or value: its runs default to the reconstruction task.
    pub reconstructs: bool,
    /// Whether the architecture recommends (predicts a user's rating of an item): its runs
    /// default to the recommendation task.
    pub recommends: bool,
    /// L2 penalty rate (`--l2`).
    pub l2: f64,
}

impl Recipe {
    /// 10 epochs, batch 64, Adam from 1e-3 annealed to 0 along a cosine, no early stopping:
    /// the MNIST labs' settings, with the schedule added because over several seeds it did
    /// better on average (MNIST LeNet +0.2 points, Fashion-MNIST MLP +1) or the same
    /// (Fashion-MNIST LeNet); docs/results.md gives every seed.
    pub const STANDARD: Recipe = Recipe {
        epochs: 10,
        batch_size: 64,
        lr: 1e-3,
        patience: 0,
        schedule: LrSchedule::Cosine,
        dropout: 0.2,
        hidden: &[512, 512],
        activation: ActivationKind::Relu,
        reconstructs: false,
        recommends: false,
        l2: 0.0,
    };
}

impl Recipe {
    /// A neighbourhood recommender's: nothing is trained, the run indexes its ratings once.
    pub const NEIGHBOURS: Recipe = Recipe {
        epochs: 1,
        schedule: LrSchedule::Constant,
        dropout: 0.0,
        hidden: &[],
        recommends: true,
        ..Recipe::STANDARD
    };
}

impl Default for Recipe {
    fn default() -> Self {
        Recipe::STANDARD
    }
}

/// How the learning rate moves over a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LrSchedule {
    /// The same learning rate for every step (Keras's default).
    #[default]
    Constant,
    /// Cosine annealing from the learning rate down to 0 at the last step of the last epoch
    /// (PyTorch's `CosineAnnealingLR` with `T_max` = every step of the run).
    Cosine,
}

impl crate::named::Named for LrSchedule {
    const ALL: &'static [Self] = &[LrSchedule::Constant, LrSchedule::Cosine];

    fn name(self) -> &'static str {
        match self {
            LrSchedule::Constant => "constant",
            LrSchedule::Cosine => "cosine",
        }
    }
}

impl fmt::Display for LrSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(crate::named::Named::name(*self))
    }
}

/// How two users (or two items) are compared, over the items (users) both have ratings for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Similarity {
    /// The cosine of the two rating vectors (ratings as given).
    Cosine,
    /// Pearson's correlation: the cosine of the ratings centred on their means over the
    /// co-rated entries.
    #[default]
    Pearson,
}

impl crate::named::Named for Similarity {
    const ALL: &'static [Self] = &[Similarity::Cosine, Similarity::Pearson];

    fn name(self) -> &'static str {
        match self {
            Similarity::Cosine => "cosine",
            Similarity::Pearson => "pearson",
        }
    }
}

impl std::fmt::Display for Similarity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(crate::named::Named::name(*self))
    }
}
