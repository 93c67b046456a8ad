//! Recommendation: predicting a user's rating of an item from the ratings of everyone. An
//! example is a (user, item) pair, as ids, and its target the rating. Neighbourhood models
//! (user-knn, item-knn) train nothing: the run keeps its training ratings and answers from
//! them. A matrix factorisation trains with mean squared error plus `--l2` on the factors
//! each example looks up.
//!
//! Every answer a model cannot give (a user or item without training ratings, no similar
//! neighbour) comes from the baseline, the mean rating plus a user and an item bias, which
//! the report also scores on its own so that a person sees what the model adds. The report
//! has RMSE and MAE, precision@10 and recall@10, coverage and `errors.png`.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use burn::module::Module;
use burn::prelude::*;
use burn::train::metric::LossMetric;
use burn::train::{InferenceStep, RegressionOutput, SupervisedTraining, TrainOutput, TrainStep};
use data::fsutil::write_atomic;
use data::{Catalog, ImageBatch, ImageSet, ImageSplits, Ratings, RatingsData, Values};
use models::collab::{Interactions, SharedInteractions};
use models::{Network, RatingsShape};
use serde::Serialize;

use super::{DataShape, Evaluated, Examples, Input, Output, PredictOptions, Task};
use crate::config::TrainingConfig;
use crate::error::TrainError;
use crate::learner::{Learned, Stage, TaskModel, learn, trainable_params};
use crate::plan::TrainingData;
use crate::report::SplitMetrics;

/// Predicted against true ratings of the evaluated split.
pub const ERRORS_PNG: &str = "errors.png";
/// Length of the ranked lists precision and recall are measured on.
pub const TOP_K: usize = 10;
/// A held-out rating at least this high is relevant; a predicted one, a recommendation.
pub const RELEVANT: f32 = 4.0;
/// Pairs per forward pass.
const PAIRS_PER_BATCH: usize = 8192;

/// The recommendation task.
#[derive(Debug, Clone, Copy)]
pub struct Recommendation;

/// A recommender network trained with mean squared error plus `l2` times its per-example
/// penalty (the factors and biases the batch looks up).
#[derive(Module, Debug)]
pub struct Recommender {
    /// The network being trained.
    pub network: Network,
    /// Weight of the per-example penalty.
    #[module(skip)]
    pub l2: f64,
}

impl Recommender {
    /// Predicted ratings, per-example squared errors and true ratings of a batch.
    pub fn forward_rating(&self, batch: ImageBatch) -> RegressionOutput {
        let output = self.network.forward(batch.images);
        let [n, _] = output.dims();
        let targets = batch
            .values
            .unwrap_or_else(|| Tensor::zeros([n, 1], &output.device()));
        let loss = (output.clone() - targets.clone())
            .powi_scalar(2)
            .reshape([n]);
        RegressionOutput::new(loss, output, targets)
    }
}

impl TrainStep for Recommender {
    type Input = ImageBatch;
    type Output = RegressionOutput;

    fn step(&self, batch: ImageBatch) -> TrainOutput<RegressionOutput> {
        let pairs = batch.images.clone();
        let item = self.forward_rating(batch);
        let mut loss = item.loss.clone().mean();
        if self.l2 > 0.0
            && let Some(penalty) = self.network.example_penalty(pairs)
        {
            loss = loss + penalty * self.l2;
        }
        TrainOutput::new(self, loss.backward(), item)
    }
}

impl InferenceStep for Recommender {
    type Input = ImageBatch;
    type Output = RegressionOutput;

    fn step(&self, batch: ImageBatch) -> RegressionOutput {
        self.forward_rating(batch)
    }
}

impl TaskModel for Recommender {
    fn wrap(network: Network, config: &TrainingConfig) -> Self {
        Self {
            network,
            l2: config.l2,
        }
    }

    fn into_network(self) -> Network {
        self.network
    }

    fn with_metrics(training: SupervisedTraining<Self>) -> SupervisedTraining<Self> {
        training.metrics((LossMetric::new(),))
    }
}

/// Ratings as examples: a `[2, 1, 1]` example of (user, item) ids per rating, the rating its
/// target value.
fn rating_set(ratings: &Ratings) -> ImageSet {
    let values = ratings
        .user
        .iter()
        .zip(&ratings.item)
        .flat_map(|(&u, &i)| [u as f32, i as f32])
        .collect();
    ImageSet {
        channels: 2,
        height: 1,
        width: 1,
        values: Values::F32(values),
        labels: vec![0; ratings.len()],
        class_names: vec!["rating".into()],
        targets: Some(ratings.rating.clone()),
    }
}

/// A ratings dataset's train and test parts as examples: a `[2, 1, 1]` example of (user,
/// item) ids per rating, the rating its target.
pub fn rating_splits(data: &RatingsData) -> ImageSplits {
    ImageSplits {
        train: rating_set(&data.train),
        test: rating_set(&data.test),
        skipped: Vec::new(),
        feature_names: Vec::new(),
    }
}

/// `ratings`, whose ids index `from`, with their ids indexing `to` instead (matched by the
/// raw ids); a user or item `to` lacks gets an id no model knows, and the baseline's answer.
pub fn in_catalog(ratings: &Ratings, from: &Catalog, to: &Catalog) -> Ratings {
    let users: Vec<u32> = from
        .users
        .iter()
        .map(|id| to.user_index(id).unwrap_or(u32::MAX))
        .collect();
    let items: Vec<u32> = from
        .items
        .iter()
        .map(|id| to.item_index(id).unwrap_or(u32::MAX))
        .collect();
    Ratings {
        user: ratings.user.iter().map(|&u| users[u as usize]).collect(),
        item: ratings.item.iter().map(|&i| items[i as usize]).collect(),
        ..ratings.clone()
    }
}

/// What a recommender is told of its ratings: the catalog's users and items, its scale and
/// the mean of `train`.
pub fn ratings_shape(catalog: &Catalog, train: &Ratings) -> RatingsShape {
    let mean = train.rating.iter().map(|&r| f64::from(r)).sum::<f64>() / train.len().max(1) as f64;
    RatingsShape {
        users: catalog.users.len(),
        items: catalog.items.len(),
        min: catalog.scale.min,
        max: catalog.scale.max,
        mean: mean as f32,
    }
}

/// The training ratings, indexed for a recommender.
pub fn interactions(catalog: &Catalog, train: &Ratings) -> Result<SharedInteractions, TrainError> {
    Ok(Arc::new(Interactions::new(
        catalog.users.len(),
        catalog.items.len(),
        (catalog.scale.min, catalog.scale.max),
        &train.user,
        &train.item,
        &train.rating,
    )?))
}

/// A predicted rating and whether the model gave it (else the baseline did).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The rating, on the scale.
    pub rating: f32,
    /// Whether the model answered (rather than the baseline).
    pub by_model: bool,
}

/// The training ratings a recommender network holds.
pub fn training_ratings(network: &Network) -> Result<&SharedInteractions, TrainError> {
    network.interactions().ok_or_else(|| {
        TrainError::Config(format!(
            "`{}` holds no training ratings: it is not a recommender, or its run lacks ratings.csv",
            network.name()
        ))
    })
}

/// The network's ratings of `pairs` (user, item), with the baseline's where the model has no
/// answer or does not know the user or the item.
pub fn estimate(
    network: &Network,
    pairs: &[(u32, u32)],
    device: &Device,
) -> Result<Vec<Estimate>, TrainError> {
    let data = training_ratings(network)?;
    let network = network.valid();
    let mut out = Vec::with_capacity(pairs.len());
    for chunk in pairs.chunks(PAIRS_PER_BATCH) {
        let ids: Vec<f32> = chunk
            .iter()
            .flat_map(|&(u, i)| [u as f32, i as f32])
            .collect();
        let batch = Tensor::<4>::from_data(TensorData::new(ids, [chunk.len(), 2, 1, 1]), device);
        let ratings = network.forward(batch).into_data();
        for (&(user, item), rating) in chunk.iter().zip(ratings.iter::<f32>()) {
            out.push(
                if data.knows_user(user) && data.knows_item(item) && rating.is_finite() {
                    Estimate {
                        rating: data.clip(rating),
                        by_model: true,
                    }
                } else {
                    Estimate {
                        rating: data.baseline_rating(user, item),
                        by_model: false,
                    }
                },
            );
        }
    }
    Ok(out)
}

/// One recommended item.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Recommended {
    /// The item's id in the run's catalog.
    pub item: u32,
    /// Its predicted rating.
    pub rating: f32,
}

/// What a run recommends to `user`: the `top` items with training ratings that the user has
/// not rated, highest predicted rating first (ties: the lower id). A user without training
/// ratings gets the most rated items, with the baseline's ratings (`false` in the result's
/// second field says so).
pub fn recommend(
    network: &Network,
    user: u32,
    top: usize,
    device: &Device,
) -> Result<(Vec<Recommended>, bool), TrainError> {
    let data = training_ratings(network)?;
    if !data.knows_user(user) {
        let popular = data
            .popular_items(top)
            .into_iter()
            .map(|item| Recommended {
                item,
                rating: data.baseline_rating(user, item),
            })
            .collect();
        return Ok((popular, false));
    }
    let items = data.shape().items as u32;
    let pairs: Vec<(u32, u32)> = (0..items)
        .filter(|&i| data.knows_item(i) && !data.has_rated(user, i))
        .map(|i| (user, i))
        .collect();
    let estimates = estimate(network, &pairs, device)?;
    let mut ranked: Vec<Recommended> = pairs
        .iter()
        .zip(estimates)
        .map(|(&(_, item), e)| Recommended {
            item,
            rating: e.rating,
        })
        .collect();
    ranked.sort_by(|a, b| b.rating.total_cmp(&a.rating).then(a.item.cmp(&b.item)));
    ranked.truncate(top);
    Ok((ranked, true))
}

/// Precision@k and recall@k as Surprise's FAQ computes them, averaged over users: each user's
/// held-out items ranked by predicted rating; of the top `k`, those predicted at least
/// [`RELEVANT`] are recommended; a held-out rating of at least [`RELEVANT`] is relevant.
/// Precision is the share of recommended items that are relevant (0 when none is
/// recommended), recall the share of relevant items recommended (0 when none is relevant).
pub fn precision_recall_at_k(
    users: &[u32],
    truth: &[f32],
    predicted: &[f32],
    k: usize,
) -> (f64, f64) {
    let mut by_user: std::collections::BTreeMap<u32, Vec<(f32, f32)>> = Default::default();
    for ((&u, &t), &p) in users.iter().zip(truth).zip(predicted) {
        by_user.entry(u).or_default().push((p, t));
    }
    if by_user.is_empty() {
        return (0.0, 0.0);
    }
    let (mut precision, mut recall) = (0.0, 0.0);
    for list in by_user.values_mut() {
        list.sort_by(|a, b| b.0.total_cmp(&a.0));
        let relevant = list.iter().filter(|(_, t)| *t >= RELEVANT).count();
        let top = &list[..k.min(list.len())];
        let recommended = top.iter().filter(|(p, _)| *p >= RELEVANT).count();
        let hits = top
            .iter()
            .filter(|(p, t)| *p >= RELEVANT && *t >= RELEVANT)
            .count();
        if recommended > 0 {
            precision += hits as f64 / recommended as f64;
        }
        if relevant > 0 {
            recall += hits as f64 / relevant as f64;
        }
    }
    let n = by_user.len() as f64;
    (precision / n, recall / n)
}

/// RMSE and MAE of `predicted` against `truth` (regression's metrics, as a rating is a value).
fn errors(truth: &[f32], predicted: &[f32]) -> (f64, f64) {
    let m = super::regression::regression_metrics(truth, predicted);
    (m.loss.sqrt(), m.mae.unwrap_or(f64::NAN))
}

/// A recommender evaluated on held-out ratings.
pub struct RecommendationEvaluation {
    metrics: SplitMetrics,
    truth: Vec<f32>,
    predicted: Vec<f32>,
    unknown: usize,
}

impl Task for Recommendation {
    fn name(&self) -> &'static str {
        "recommend"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["recommendation"]
    }

    fn description(&self) -> &'static str {
        "predict users' ratings of items and recommend (RMSE, MAE, precision@10, recall@10, coverage; beside the baseline)"
    }

    fn check_model(&self, model: &models::ModelEntry) -> Result<(), TrainError> {
        if model.recipe.recommends {
            Ok(())
        } else {
            Err(TrainError::Config(format!(
                "`{}` does not recommend: --task recommend takes user-knn, item-knn or matrix-factorization",
                model.name
            )))
        }
    }

    fn check_data(&self, shape: DataShape) -> Result<(), TrainError> {
        if shape.has_values {
            Ok(())
        } else {
            Err(TrainError::Config(
                "recommending needs ratings: --dataset movielens-small, movielens-100k or ratings:PATH".into(),
            ))
        }
    }

    fn target_kind(&self) -> data::tabular::Task {
        data::tabular::Task::Regression
    }

    fn standardizes_inputs(&self) -> bool {
        false
    }

    fn prepare(&self, network: Network, data: &TrainingData) -> Result<Network, TrainError> {
        let ratings = data.ratings.as_ref().ok_or_else(|| {
            TrainError::Config(
                "recommending needs ratings: --dataset movielens-small, movielens-100k or ratings:PATH".into(),
            )
        })?;
        Ok(network.with_interactions(interactions(&ratings.catalog, &ratings.train)?))
    }

    fn penalizes_all_weights(&self) -> bool {
        false
    }

    fn learn(&self, stage: Stage<'_>) -> Result<Learned, TrainError> {
        if stage.config.l1 > 0.0 {
            return Err(TrainError::Config(
                "--l1 is not used by recommenders: --l2 weighs the factors and biases each rating looks up".into(),
            ));
        }
        if trainable_params(&stage.network) == 0 {
            // A neighbourhood model: nothing to train, its ratings are its model.
            return Ok(Learned {
                network: stage.network.valid(),
                history: Vec::new(),
                best_epoch: 0,
                interrupted: false,
                train_seconds: 0.0,
                diverged: None,
            });
        }
        learn::<Recommender>(stage)
    }

    fn evaluate(
        &self,
        network: &Network,
        _config: &TrainingConfig,
        examples: Examples<'_>,
        device: &Device,
    ) -> Result<Box<dyn Evaluated>, TrainError> {
        let set = examples.set;
        let targets = set
            .targets
            .as_ref()
            .ok_or_else(|| TrainError::Config("the evaluated data has no ratings".into()))?;
        let Values::F32(values) = &set.values else {
            return Err(TrainError::Config(
                "the evaluated data is not ratings".into(),
            ));
        };
        let pairs: Vec<(u32, u32)> = examples
            .indices
            .iter()
            .map(|&k| (values[2 * k] as u32, values[2 * k + 1] as u32))
            .collect();
        let truth: Vec<f32> = examples.indices.iter().map(|&k| targets[k]).collect();
        let data = training_ratings(network)?.clone();
        let estimates = estimate(network, &pairs, device)?;
        let predicted: Vec<f32> = estimates.iter().map(|e| e.rating).collect();
        let baseline: Vec<f32> = pairs
            .iter()
            .map(|&(u, i)| data.baseline_rating(u, i))
            .collect();
        let users: Vec<u32> = pairs.iter().map(|p| p.0).collect();
        let (rmse, mae) = errors(&truth, &predicted);
        let (baseline_rmse, baseline_mae) = errors(&truth, &baseline);
        let (precision, recall) = precision_recall_at_k(&users, &truth, &predicted, TOP_K);
        let covered = estimates.iter().filter(|e| e.by_model).count();
        let unknown = pairs
            .iter()
            .filter(|&&(u, i)| !data.knows_user(u) || !data.knows_item(i))
            .count();
        Ok(Box::new(RecommendationEvaluation {
            metrics: SplitMetrics {
                loss: rmse * rmse,
                mae: Some(mae),
                rmse: Some(rmse),
                precision_at_10: Some(precision),
                recall_at_10: Some(recall),
                coverage: Some(covered as f64 / pairs.len().max(1) as f64),
                baseline_rmse: Some(baseline_rmse),
                baseline_mae: Some(baseline_mae),
                ..SplitMetrics::default()
            },
            truth,
            predicted,
            unknown,
        }))
    }

    fn predict(
        &self,
        network: &Network,
        _config: &TrainingConfig,
        inputs: &[Input],
        _options: &PredictOptions,
        device: &Device,
    ) -> Result<Vec<Output>, TrainError> {
        let pairs = inputs
            .iter()
            .map(|input| match input.values[..] {
                [u, i] if u >= 0.0 && i >= 0.0 => Ok((u as u32, i as u32)),
                _ => Err(TrainError::Config(format!(
                    "a recommender rates a user and an item: give two ids, got {:?}",
                    input.values
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(estimate(network, &pairs, device)?
            .into_iter()
            .map(|e| Output {
                prediction: Some(f64::from(e.rating)),
                text: format!(
                    "{:.2}{}",
                    e.rating,
                    if e.by_model { "" } else { " (baseline)" }
                ),
                ..Output::default()
            })
            .collect())
    }

    fn headline(&self, m: &SplitMetrics) -> String {
        format!(
            "RMSE {:.4}, MAE {:.4}, precision@{TOP_K} {:.4}, recall@{TOP_K} {:.4}, coverage {:.3} (baseline RMSE {:.4})",
            m.rmse.unwrap_or(f64::NAN),
            m.mae.unwrap_or(f64::NAN),
            m.precision_at_10.unwrap_or(f64::NAN),
            m.recall_at_10.unwrap_or(f64::NAN),
            m.coverage.unwrap_or(f64::NAN),
            m.baseline_rmse.unwrap_or(f64::NAN),
        )
    }
}

impl Evaluated for RecommendationEvaluation {
    fn metrics(&self) -> SplitMetrics {
        self.metrics
    }

    fn headline_rows(&self) -> Vec<(String, String)> {
        let m = &self.metrics;
        let f = |v: Option<f64>| format!("{:.4}", v.unwrap_or(f64::NAN));
        vec![
            ("RMSE".into(), f(m.rmse)),
            ("MAE".into(), f(m.mae)),
            (format!("precision@{TOP_K}"), f(m.precision_at_10)),
            (format!("recall@{TOP_K}"), f(m.recall_at_10)),
            ("coverage".into(), f(m.coverage)),
            ("baseline RMSE".into(), f(m.baseline_rmse)),
            ("baseline MAE".into(), f(m.baseline_mae)),
            ("ratings".into(), self.truth.len().to_string()),
            (
                "ratings of unknown users or items".into(),
                self.unknown.to_string(),
            ),
        ]
    }

    fn write_sections(
        &self,
        dir: &Path,
        split: &str,
        written: &mut Vec<&'static str>,
    ) -> Result<String, TrainError> {
        let t: Vec<f64> = self.truth.iter().map(|&v| f64::from(v)).collect();
        let p: Vec<f64> = self.predicted.iter().map(|&v| f64::from(v)).collect();
        let scatter =
            report::scatter_png(&t, &p, &format!("{split} ratings: predicted against true"))
                .map_err(|e| TrainError::Io(e.to_string()))?;
        write_atomic(&dir.join(ERRORS_PNG), &scatter)?;
        written.push(ERRORS_PNG);
        let m = &self.metrics;
        let f = |v: Option<f64>| format!("{:.4}", v.unwrap_or(f64::NAN));
        let mut md = String::new();
        let _ = writeln!(
            md,
            "\n## Ratings\n\n| | model | baseline (mean + user and item biases) |\n| --- | --- | --- |\n\
             | RMSE | {} | {} |\n| MAE | {} | {} |\n",
            f(m.rmse),
            f(m.baseline_rmse),
            f(m.mae),
            f(m.baseline_mae)
        );
        let _ = writeln!(
            md,
            "Precision@{TOP_K} and recall@{TOP_K}: each user's {split} ratings ranked by \
             predicted rating; of the top {TOP_K}, those predicted {RELEVANT} or more are \
             recommended, and a true rating of {RELEVANT} or more is relevant (Surprise's \
             definition), averaged over users. Coverage: the share of the {} {split} ratings \
             the model answered itself; the baseline answered the rest ({} of them for users or \
             items without training ratings).\n\n![predicted against true ratings]({ERRORS_PNG})\n",
            self.truth.len(),
            self.unknown
        );
        Ok(md)
    }
}
