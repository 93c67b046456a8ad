//! Matrix factorisation, the network behind fastai's `collab_learner` and the Keras MovieLens
//! example: every user and every item has `--factors` latent factors and a bias; a rating is
//! their dot product plus both biases plus the mean rating, squashed into the rating scale
//! (fastai's `y_range`). `--l2` penalises the factors and biases each example looks up (the
//! classic regulariser of Funk's SVD), averaged over the batch.

use burn::module::{Module, Param};
use burn::nn::{Embedding, EmbeddingConfig, Initializer};
use burn::prelude::*;
use burn::tensor::activation::sigmoid;

use crate::collab::{SharedInteractions, ratings_input};
use crate::error::ModelError;
use crate::options::{InputSpec, LrSchedule, ModelOptions, Recipe};
use crate::registry::{Architecture, ArchitectureConfig};
use crate::summary::LayerRow;

/// Configuration of a [`MatrixFactorization`].
#[derive(Config, Debug)]
pub struct MatrixFactorizationConfig {
    /// Users.
    pub users: usize,
    /// Items.
    pub items: usize,
    /// Latent factors per user and item.
    pub factors: usize,
    /// Lowest rating of the scale.
    pub min: f32,
    /// Highest rating of the scale.
    pub max: f32,
    /// Mean training rating: where an untrained network starts.
    pub mean: f32,
}

/// The squashed range reaches half a star beyond each end of the scale, so the ends
/// themselves are reachable (fastai's `y_range=(0, 5.5)` for ratings 1 to 5).
const MARGIN: f32 = 0.5;

/// The recipe: Adam at 1e-3 on batches of 256, constant rate, early stopping on the
/// validation ratings after 3 epochs without improvement, L2 0.05 on the looked-up factors.
pub const RECIPE: Recipe = Recipe {
    epochs: 40,
    batch_size: 256,
    lr: 1e-3,
    patience: 3,
    schedule: LrSchedule::Constant,
    dropout: 0.0,
    hidden: &[],
    recommends: true,
    l2: 0.05,
    ..Recipe::STANDARD
};

/// User and item factors and biases.
#[derive(Module, Debug)]
pub struct MatrixFactorization {
    user_factors: Embedding,
    item_factors: Embedding,
    user_bias: Embedding,
    item_bias: Embedding,
    /// The mean rating, as the logit it is before squashing.
    offset: Param<Tensor<1>>,
    #[module(skip)]
    low: f32,
    #[module(skip)]
    high: f32,
    #[module(skip)]
    interactions: Option<SharedInteractions>,
}

impl MatrixFactorizationConfig {
    /// Builds the network: factors drawn from N(0, 0.01^2) (fastai's), biases 0, the offset at
    /// the mean rating.
    pub fn init(&self, device: &Device) -> MatrixFactorization {
        let factors = |n| {
            EmbeddingConfig::new(n, self.factors)
                .with_initializer(Initializer::Normal {
                    mean: 0.0,
                    std: 0.01,
                })
                .init(device)
        };
        let bias = |n| {
            EmbeddingConfig::new(n, 1)
                .with_initializer(Initializer::Zeros)
                .init(device)
        };
        let (low, high) = (self.min - MARGIN, self.max + MARGIN);
        let p = ((self.mean - low) / (high - low)).clamp(0.01, 0.99);
        let logit = (p / (1.0 - p)).ln();
        MatrixFactorization {
            user_factors: factors(self.users),
            item_factors: factors(self.items),
            user_bias: bias(self.users),
            item_bias: bias(self.items),
            offset: Param::from_tensor(Tensor::from_floats([logit], device)),
            low,
            high,
            interactions: None,
        }
    }
}

impl ArchitectureConfig for MatrixFactorizationConfig {
    const OPTIONS: &'static [&'static str] = &["factors"];

    fn from_options(options: &ModelOptions, input: &InputSpec) -> Result<Self, ModelError> {
        let shape = ratings_input("matrix-factorization", input)?;
        if options.factors == 0 {
            return Err(ModelError::Invalid {
                model: "matrix-factorization",
                problem: "--factors must be at least 1".into(),
            });
        }
        Ok(MatrixFactorizationConfig::new(
            shape.users,
            shape.items,
            options.factors,
            shape.min,
            shape.max,
            shape.mean,
        ))
    }

    const RECIPE: Recipe = RECIPE;
}

impl MatrixFactorization {
    /// Users' and items' ids `[batch, 1]` of `[batch, 2, 1, 1]` pairs; ids beyond the tables
    /// are clamped to the last row (the task never asks for them).
    fn ids(&self, pairs: Tensor<4>) -> (Tensor<2, Int>, Tensor<2, Int>) {
        let [n, ..] = pairs.dims();
        let ids = pairs.reshape([n, 2]).round().int();
        let users = self.user_bias.weight.dims()[0] as i64;
        let items = self.item_bias.weight.dims()[0] as i64;
        (
            ids.clone().slice([0..n, 0..1]).clamp(0, users - 1),
            ids.slice([0..n, 1..2]).clamp(0, items - 1),
        )
    }

    fn lookup(table: &Embedding, ids: Tensor<2, Int>) -> Tensor<2> {
        let [n, _] = ids.dims();
        let out = table.forward(ids);
        let d = out.dims()[2];
        out.reshape([n, d])
    }

    /// The item factors `[items, factors]`.
    pub fn item_factors(&self) -> Tensor<2> {
        self.item_factors.weight.val()
    }
}

impl Architecture for MatrixFactorization {
    fn forward(&self, pairs: Tensor<4>) -> Tensor<2> {
        let (users, items) = self.ids(pairs);
        let p = Self::lookup(&self.user_factors, users.clone());
        let q = Self::lookup(&self.item_factors, items.clone());
        let x = (p * q).sum_dim(1)
            + Self::lookup(&self.user_bias, users)
            + Self::lookup(&self.item_bias, items)
            + self.offset.val().reshape([1, 1]);
        sigmoid(x) * (self.high - self.low) + self.low
    }

    fn layers(&self) -> Vec<LayerRow> {
        let [users, factors] = self.user_factors.weight.dims();
        let items = self.item_factors.weight.dims()[0];
        vec![
            LayerRow::new("user_factors", "Embedding", &[factors], users * factors),
            LayerRow::new("item_factors", "Embedding", &[factors], items * factors),
            LayerRow::new("user_bias", "Embedding", &[1], users),
            LayerRow::new("item_bias", "Embedding", &[1], items),
            LayerRow::new("dot + biases + mean", "Sigmoid range", &[1], 1),
        ]
    }

    fn interactions(&self) -> Option<&SharedInteractions> {
        self.interactions.as_ref()
    }

    fn with_interactions(mut self, interactions: SharedInteractions) -> Self {
        self.interactions = Some(interactions);
        self
    }

    fn similar_items(&self, item: u32, n: usize) -> Option<Vec<(u32, f32)>> {
        let table = self.item_factors();
        let [items, _] = table.dims();
        if item as usize >= items {
            return Some(Vec::new());
        }
        // Cosine of the item's factors with every item's.
        let norms = table.clone().powi_scalar(2).sum_dim(1).sqrt().clamp_min(1e-12);
        let unit = table / norms;
        let [_, factors] = unit.dims();
        let this = unit
            .clone()
            .slice([item as usize..item as usize + 1, 0..factors]);
        let cosines: Vec<f32> = (unit * this)
            .sum_dim(1)
            .into_data()
            .iter::<f32>()
            .collect();
        let known = |i: u32| self.interactions.as_ref().is_none_or(|d| d.knows_item(i));
        let mut scored: Vec<(u32, f32)> = cosines
            .into_iter()
            .enumerate()
            .map(|(i, c)| (i as u32, c))
            .filter(|&(i, _)| i != item && known(i))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.truncate(n);
        Some(scored)
    }

    fn example_penalty(&self, pairs: Tensor<4>) -> Option<Tensor<1>> {
        let (users, items) = self.ids(pairs);
        let squares = |t: Tensor<2>| t.powi_scalar(2).sum_dim(1);
        let per_example = squares(Self::lookup(&self.user_factors, users.clone()))
            + squares(Self::lookup(&self.item_factors, items.clone()))
            + squares(Self::lookup(&self.user_bias, users))
            + squares(Self::lookup(&self.item_bias, items));
        Some(per_example.mean())
    }
}
