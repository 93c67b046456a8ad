//! Collaborative filtering's shared parts: the training ratings as sparse rows by user and by
//! item ([`Interactions`]), the baseline every recommender is measured against and falls back
//! to ([`Baseline`]: the mean rating plus a user and an item bias), and the neighbourhood
//! method of the course ([`Neighbourhood`]: similar users', or similar items', deviations
//! from their means, weighted by similarity).
//!
//! Users and items are dense ids (`0..users`, `0..items`); an id with no training rating is
//! *unknown* and answered by the baseline.

use std::sync::Arc;

use rayon::prelude::*;

use crate::error::ModelError;
use crate::options::{RatingsShape, Similarity};

/// Sparse rows: each row's `(column, value)` pairs, sorted by column.
#[derive(Debug, Clone, Default)]
struct Rows {
    offsets: Vec<usize>,
    cols: Vec<u32>,
    vals: Vec<f32>,
}

impl Rows {
    /// Rows `0..n` from `(row, column, value)` entries (a counting sort, then each row sorted
    /// by column).
    fn build(n: usize, rows: &[u32], cols: &[u32], vals: &[f32]) -> Self {
        let mut offsets = vec![0usize; n + 1];
        for &r in rows {
            offsets[r as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut next = offsets.clone();
        let mut out_cols = vec![0u32; rows.len()];
        let mut out_vals = vec![0f32; rows.len()];
        for ((&r, &c), &v) in rows.iter().zip(cols).zip(vals) {
            let at = &mut next[r as usize];
            out_cols[*at] = c;
            out_vals[*at] = v;
            *at += 1;
        }
        for r in 0..n {
            let range = offsets[r]..offsets[r + 1];
            let mut pairs: Vec<(u32, f32)> = out_cols[range.clone()]
                .iter()
                .copied()
                .zip(out_vals[range.clone()].iter().copied())
                .collect();
            pairs.sort_by_key(|p| p.0);
            for (k, (c, v)) in range.zip(pairs) {
                out_cols[k] = c;
                out_vals[k] = v;
            }
        }
        Rows {
            offsets,
            cols: out_cols,
            vals: out_vals,
        }
    }

    fn row(&self, r: u32) -> (&[u32], &[f32]) {
        let r = r as usize;
        if r + 1 >= self.offsets.len() {
            return (&[], &[]);
        }
        let range = self.offsets[r]..self.offsets[r + 1];
        (&self.cols[range.clone()], &self.vals[range])
    }

    fn len(&self, r: u32) -> usize {
        self.row(r).0.len()
    }
}

/// The baseline: the mean training rating plus a user bias and an item bias, fitted by
/// alternating regularised least squares (Koren's baseline, as Surprise's `BaselineOnly`: 10
/// sweeps, regularisation 15 for users and 10 for items).
#[derive(Debug, Clone, PartialEq)]
pub struct Baseline {
    /// Mean training rating.
    pub mean: f32,
    /// Each user's bias (0 for a user without training ratings).
    pub user_bias: Vec<f32>,
    /// Each item's bias (0 for an item without training ratings).
    pub item_bias: Vec<f32>,
}

impl Baseline {
    /// Sweeps of alternating least squares.
    pub const SWEEPS: usize = 10;
    /// Regularisation of the user biases.
    pub const USER_REG: f32 = 15.0;
    /// Regularisation of the item biases.
    pub const ITEM_REG: f32 = 10.0;

    fn fit(mean: f32, by_user: &Rows, by_item: &Rows, users: usize, items: usize) -> Self {
        let mut user_bias = vec![0f32; users];
        let mut item_bias = vec![0f32; items];
        for _ in 0..Self::SWEEPS {
            for (i, bias) in item_bias.iter_mut().enumerate() {
                let (us, rs) = by_item.row(i as u32);
                let dev: f32 = us
                    .iter()
                    .zip(rs)
                    .map(|(&u, &r)| r - mean - user_bias[u as usize])
                    .sum();
                *bias = dev / (Self::ITEM_REG + us.len() as f32);
            }
            for (u, bias) in user_bias.iter_mut().enumerate() {
                let (is, rs) = by_user.row(u as u32);
                let dev: f32 = is
                    .iter()
                    .zip(rs)
                    .map(|(&i, &r)| r - mean - item_bias[i as usize])
                    .sum();
                *bias = dev / (Self::USER_REG + is.len() as f32);
            }
        }
        Baseline {
            mean,
            user_bias,
            item_bias,
        }
    }

    /// The baseline's rating of `item` by `user` (not clipped to the scale).
    pub fn predict(&self, user: u32, item: u32) -> f32 {
        self.mean
            + self.user_bias.get(user as usize).copied().unwrap_or(0.0)
            + self.item_bias.get(item as usize).copied().unwrap_or(0.0)
    }
}

/// The ratings a recommender learned from, indexed both ways, with each user's and item's
/// mean and the [`Baseline`].
#[derive(Debug, Clone)]
pub struct Interactions {
    shape: RatingsShape,
    by_user: Rows,
    by_item: Rows,
    user_mean: Vec<f32>,
    item_mean: Vec<f32>,
    baseline: Baseline,
    ratings: usize,
}

impl Interactions {
    /// Indexes the ratings `rating[k]` of item `item[k]` by user `user[k]`, for `users` users
    /// and `items` items on the scale `min..=max`. Each (user, item) pair must appear at most
    /// once.
    pub fn new(
        users: usize,
        items: usize,
        (min, max): (f32, f32),
        user: &[u32],
        item: &[u32],
        rating: &[f32],
    ) -> Result<Self, ModelError> {
        let invalid = |problem: String| ModelError::Invalid {
            model: "recommender",
            problem,
        };
        if user.len() != item.len() || user.len() != rating.len() {
            return Err(invalid(format!(
                "{} users, {} items and {} ratings: one of each per rating is needed",
                user.len(),
                item.len(),
                rating.len()
            )));
        }
        if user.is_empty() {
            return Err(invalid("no training ratings".into()));
        }
        if !(min.is_finite() && max.is_finite() && min < max) {
            return Err(invalid(format!("rating scale {min}..{max} is empty")));
        }
        for k in 0..user.len() {
            if user[k] as usize >= users || item[k] as usize >= items {
                return Err(invalid(format!(
                    "rating {k}: user {} or item {} outside the {users} users and {items} items",
                    user[k], item[k]
                )));
            }
            if !rating[k].is_finite() {
                return Err(invalid(format!("rating {k} is {}", rating[k])));
            }
        }
        let by_user = Rows::build(users, user, item, rating);
        let by_item = Rows::build(items, item, user, rating);
        let means = |rows: &Rows, n: usize| -> Vec<f32> {
            (0..n as u32)
                .map(|r| {
                    let (_, vals) = rows.row(r);
                    if vals.is_empty() {
                        0.0
                    } else {
                        vals.iter().sum::<f32>() / vals.len() as f32
                    }
                })
                .collect()
        };
        let mean = (rating.iter().map(|&r| f64::from(r)).sum::<f64>() / rating.len() as f64) as f32;
        let baseline = Baseline::fit(mean, &by_user, &by_item, users, items);
        Ok(Interactions {
            shape: RatingsShape {
                users,
                items,
                min,
                max,
                mean,
            },
            user_mean: means(&by_user, users),
            item_mean: means(&by_item, items),
            by_user,
            by_item,
            baseline,
            ratings: user.len(),
        })
    }

    /// Users, items, scale and mean rating.
    pub fn shape(&self) -> RatingsShape {
        self.shape
    }

    /// Number of training ratings.
    pub fn len(&self) -> usize {
        self.ratings
    }

    /// Whether there are none (never: [`Interactions::new`] refuses that).
    pub fn is_empty(&self) -> bool {
        self.ratings == 0
    }

    /// The baseline.
    pub fn baseline(&self) -> &Baseline {
        &self.baseline
    }

    /// The items `user` rated in training, ascending, with the ratings.
    pub fn rated_by(&self, user: u32) -> (&[u32], &[f32]) {
        self.by_user.row(user)
    }

    /// The users who rated `item` in training, ascending, with the ratings.
    pub fn raters_of(&self, item: u32) -> (&[u32], &[f32]) {
        self.by_item.row(item)
    }

    /// Whether `user` rated `item` in training.
    pub fn has_rated(&self, user: u32, item: u32) -> bool {
        self.by_user.row(user).0.binary_search(&item).is_ok()
    }

    /// Whether `user` has training ratings.
    pub fn knows_user(&self, user: u32) -> bool {
        self.by_user.len(user) > 0
    }

    /// Whether `item` has training ratings.
    pub fn knows_item(&self, item: u32) -> bool {
        self.by_item.len(item) > 0
    }

    /// `rating` clipped to the scale.
    pub fn clip(&self, rating: f32) -> f32 {
        if rating.is_nan() {
            return self.shape.mean;
        }
        rating.clamp(self.shape.min, self.shape.max)
    }

    /// The baseline's rating, clipped to the scale.
    pub fn baseline_rating(&self, user: u32, item: u32) -> f32 {
        self.clip(self.baseline.predict(user, item))
    }

    /// The `n` items with the most training ratings (ties: the higher item bias, then the
    /// lower id): what a user the run has never seen is offered.
    pub fn popular_items(&self, n: usize) -> Vec<u32> {
        let mut items: Vec<u32> = (0..self.shape.items as u32)
            .filter(|&i| self.knows_item(i))
            .collect();
        items.sort_by(|&a, &b| {
            self.by_item
                .len(b)
                .cmp(&self.by_item.len(a))
                .then(
                    self.baseline.item_bias[b as usize]
                        .total_cmp(&self.baseline.item_bias[a as usize]),
                )
                .then(a.cmp(&b))
        });
        items.truncate(n);
        items
    }

    fn side(&self, side: Side) -> (&Rows, &Rows, &[f32]) {
        match side {
            Side::Users => (&self.by_user, &self.by_item, &self.user_mean),
            Side::Items => (&self.by_item, &self.by_user, &self.item_mean),
        }
    }

    /// The similarity of rows `a` and `b` of `side` (two users, or two items) over the
    /// entries both have, 0 when they share fewer than `min_overlap` (or when it is
    /// undefined, e.g. a constant row under Pearson).
    pub fn similarity(
        &self,
        side: Side,
        similarity: Similarity,
        min_overlap: usize,
        a: u32,
        b: u32,
    ) -> f32 {
        let (rows, _, _) = self.side(side);
        row_similarity(rows.row(a), rows.row(b), similarity, min_overlap)
    }
}

/// Sums over the entries two rows share, from which either similarity follows.
#[derive(Debug, Clone, Copy, Default)]
struct Moments {
    n: u32,
    sx: f64,
    sy: f64,
    sxy: f64,
    sxx: f64,
    syy: f64,
}

impl Moments {
    fn add(&mut self, x: f32, y: f32) {
        let (x, y) = (f64::from(x), f64::from(y));
        self.n += 1;
        self.sx += x;
        self.sy += y;
        self.sxy += x * y;
        self.sxx += x * x;
        self.syy += y * y;
    }

    /// The similarity, 0 below `min_overlap` shared entries or where it is undefined.
    fn similarity(&self, similarity: Similarity, min_overlap: usize) -> f32 {
        let n = self.n as usize;
        if n == 0 || n < min_overlap {
            return 0.0;
        }
        let value = match similarity {
            Similarity::Cosine => {
                let d = (self.sxx * self.syy).sqrt();
                if d > 0.0 { self.sxy / d } else { 0.0 }
            }
            Similarity::Pearson => {
                let nf = n as f64;
                let d = ((nf * self.sxx - self.sx * self.sx) * (nf * self.syy - self.sy * self.sy))
                    .sqrt();
                if d > 0.0 && d.is_finite() {
                    (nf * self.sxy - self.sx * self.sy) / d
                } else {
                    0.0
                }
            }
        };
        value as f32
    }
}

/// The similarity of two sparse rows over their common columns.
fn row_similarity(
    (ca, va): (&[u32], &[f32]),
    (cb, vb): (&[u32], &[f32]),
    similarity: Similarity,
    min_overlap: usize,
) -> f32 {
    let (mut i, mut j) = (0, 0);
    let mut m = Moments::default();
    while i < ca.len() && j < cb.len() {
        match ca[i].cmp(&cb[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                m.add(va[i], vb[j]);
                i += 1;
                j += 1;
            }
        }
    }
    m.similarity(similarity, min_overlap)
}

/// A thread's working memory for the similarities of one row to every other: moments per
/// row, and which rows were touched (only those are cleared afterwards).
struct Scratch {
    moments: Vec<Moments>,
    touched: Vec<u32>,
}

impl Scratch {
    fn new(n: usize) -> Self {
        Scratch {
            moments: vec![Moments::default(); n],
            touched: Vec::new(),
        }
    }

    /// The similarity of row `a` to every row (0 for rows sharing nothing with it): each
    /// column `a` has, then each other row in that column. The moments of a pair add up in
    /// the order of their columns, as in [`row_similarity`], so both give the same value.
    fn row_against_all(
        &mut self,
        rows: &Rows,
        cols: &Rows,
        a: u32,
        similarity: Similarity,
        min_overlap: usize,
        out: &mut [f32],
    ) {
        let (ca, va) = rows.row(a);
        for (&c, &x) in ca.iter().zip(va) {
            let (rb, vb) = cols.row(c);
            for (&b, &y) in rb.iter().zip(vb) {
                let m = &mut self.moments[b as usize];
                if m.n == 0 {
                    self.touched.push(b);
                }
                m.add(x, y);
            }
        }
        out.fill(0.0);
        for &b in &self.touched {
            let m = &mut self.moments[b as usize];
            out[b as usize] = m.similarity(similarity, min_overlap);
            *m = Moments::default();
        }
        self.touched.clear();
    }
}

/// Which side a neighbourhood compares: users (user-based) or items (item-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Similar users who rated the item.
    Users,
    /// Similar items the user rated.
    Items,
}

/// The course's neighbourhood method (Surprise's `KNNWithMeans`): a user's rating of an item
/// is the user's mean plus the deviations from their own means of the `k` most similar users
/// who rated the item, weighted by similarity (only positive similarities count). Item-based,
/// the same with items: the item's mean plus the deviations of the `k` items most similar to
/// it that the user rated. A user or item without training ratings, or no neighbour with a
/// positive similarity, gets the [`Baseline`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Neighbourhood {
    /// Users or items.
    pub side: Side,
    /// How they are compared.
    pub similarity: Similarity,
    /// Neighbours weighed.
    pub k: usize,
    /// Fewest common ratings for a similarity other than 0.
    pub min_overlap: usize,
}

/// One predicted rating and whether the model made it (rather than the baseline).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The rating, clipped to the scale.
    pub rating: f32,
    /// `false` when the baseline answered (unknown user or item, no similar neighbour).
    pub by_model: bool,
}

impl Neighbourhood {
    /// Ratings of `pairs` (user, item), in order; in parallel over the users (items) asked
    /// about, each one's similarities computed once.
    pub fn predict(&self, data: &Interactions, pairs: &[(u32, u32)]) -> Vec<Estimate> {
        // Group the pairs by the side compared: one similarity cache per group.
        let key = |&(u, i): &(u32, u32)| match self.side {
            Side::Users => (u, i),
            Side::Items => (i, u),
        };
        let mut order: Vec<usize> = (0..pairs.len()).collect();
        order.sort_by_key(|&k| key(&pairs[k]));
        let mut groups: Vec<&[usize]> = Vec::new();
        let mut start = 0;
        for end in 1..=order.len() {
            if end == order.len() || key(&pairs[order[end]]).0 != key(&pairs[order[start]]).0 {
                groups.push(&order[start..end]);
                start = end;
            }
        }
        let rows = match self.side {
            Side::Users => data.shape.users,
            Side::Items => data.shape.items,
        };
        let answered: Vec<Vec<(usize, Estimate)>> = groups
            .par_iter()
            .map_init(
                || Scratch::new(rows),
                |scratch, group| {
                    let a = key(&pairs[group[0]]).0;
                    let others: Vec<u32> = group.iter().map(|&k| key(&pairs[k]).1).collect();
                    let mut cache = SimilarityCache::new(self, data, a, &others, scratch);
                    group
                        .iter()
                        .map(|&k| {
                            let (user, item) = pairs[k];
                            (k, self.estimate(data, &mut cache, user, item))
                        })
                        .collect()
                },
            )
            .collect();
        let mut out = vec![
            Estimate {
                rating: 0.0,
                by_model: false
            };
            pairs.len()
        ];
        for (k, e) in answered.into_iter().flatten() {
            out[k] = e;
        }
        out
    }

    fn estimate(
        &self,
        data: &Interactions,
        cache: &mut SimilarityCache<'_>,
        user: u32,
        item: u32,
    ) -> Estimate {
        let baseline = Estimate {
            rating: data.baseline_rating(user, item),
            by_model: false,
        };
        if !data.knows_user(user) || !data.knows_item(item) {
            return baseline;
        }
        let (rows, cols, means) = data.side(self.side);
        let (a, b) = match self.side {
            Side::Users => (user, item),
            Side::Items => (item, user),
        };
        let _ = rows;
        // The candidates: the other users who rated the item (the other items the user rated).
        let (candidates, ratings) = cols.row(b);
        let mut scored: Vec<(f32, u32, f32)> = candidates
            .iter()
            .zip(ratings)
            .filter(|(c, _)| **c != a)
            .map(|(&c, &r)| (cache.get(c), c, r))
            .collect();
        let by_similarity =
            |x: &(f32, u32, f32), y: &(f32, u32, f32)| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1));
        if scored.len() > self.k && self.k > 0 {
            scored.select_nth_unstable_by(self.k - 1, by_similarity);
            scored.truncate(self.k);
        }
        let (mut weighted, mut total) = (0f64, 0f64);
        for &(s, c, r) in &scored {
            if s > 0.0 {
                weighted += f64::from(s) * f64::from(r - means[c as usize]);
                total += f64::from(s);
            }
        }
        if total <= 0.0 {
            return baseline;
        }
        Estimate {
            rating: data.clip(means[a as usize] + (weighted / total) as f32),
            by_model: true,
        }
    }

    /// The `n` rows of `side` most similar to `a` (items similar to an item, users similar to
    /// a user), most similar first, with their similarities; only positive similarities.
    pub fn most_similar(&self, data: &Interactions, a: u32, n: usize) -> Vec<(u32, f32)> {
        let (rows, cols, _) = data.side(self.side);
        // Anything similar to `a` shares a column with it.
        let mut related: Vec<u32> = rows
            .row(a)
            .0
            .iter()
            .flat_map(|&c| cols.row(c).0.iter().copied())
            .collect();
        related.sort_unstable();
        related.dedup();
        let mut scored: Vec<(u32, f32)> = related
            .par_iter()
            .filter(|&&b| b != a)
            .map(|&b| {
                (
                    b,
                    row_similarity(rows.row(a), rows.row(b), self.similarity, self.min_overlap),
                )
            })
            .filter(|&(_, s)| s > 0.0)
            .collect();
        scored.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        scored.truncate(n);
        scored
    }
}

/// The similarities of one row to the others. Computed one pair at a time when first asked
/// for (a merge of the two rows), or all at once when that is cheaper (one pass over the
/// row's columns and the other rows in each: see [`Scratch::row_against_all`]), as when
/// ranking every item for a user item-based.
struct SimilarityCache<'a> {
    model: &'a Neighbourhood,
    data: &'a Interactions,
    a: u32,
    values: Vec<f32>,
}

impl<'a> SimilarityCache<'a> {
    /// The cache of row `a`, whose predictions will compare it with the rows that rated (were
    /// rated by) each of `targets`.
    fn new(
        model: &'a Neighbourhood,
        data: &'a Interactions,
        a: u32,
        targets: &[u32],
        scratch: &mut Scratch,
    ) -> Self {
        let (rows, cols, _) = data.side(model.side);
        let n = rows.offsets.len().saturating_sub(1);
        let len_a = rows.len(a);
        // All at once: every entry of every column of `a`.
        let at_once: usize = rows.row(a).0.iter().map(|&c| cols.len(c)).sum();
        // One at a time: a merge of `a` with (at most) each candidate of each target.
        let mean_len = data.ratings / n.max(1);
        let candidates: usize = targets.iter().map(|&b| cols.len(b)).sum();
        let one_at_a_time = candidates.saturating_mul(len_a + mean_len);
        let mut values = vec![f32::NAN; n];
        if at_once < one_at_a_time {
            scratch.row_against_all(
                rows,
                cols,
                a,
                model.similarity,
                model.min_overlap,
                &mut values,
            );
        }
        SimilarityCache {
            model,
            data,
            a,
            values,
        }
    }

    fn get(&mut self, b: u32) -> f32 {
        let slot = &mut self.values[b as usize];
        if slot.is_nan() {
            *slot = self.data.similarity(
                self.model.side,
                self.model.similarity,
                self.model.min_overlap,
                self.a,
                b,
            );
        }
        *slot
    }
}

/// Shared, immutable training ratings, as recommenders hold them.
pub type SharedInteractions = Arc<Interactions>;

/// The part every neighbourhood recommender shares: its settings, the training ratings it
/// answers from, and the burn-facing forward pass (`[batch, 2, 1, 1]` user and item ids to
/// `[batch, 1]` ratings, computed on the CPU whatever the device).
#[derive(Debug, Clone)]
pub struct NeighbourModel {
    /// The method.
    pub method: Neighbourhood,
    /// The ratings it answers from; `None` until the run's training ratings are attached.
    pub interactions: Option<SharedInteractions>,
}

impl NeighbourModel {
    /// Ratings `[batch, 1]` for `pairs` `[batch, 2, 1, 1]` of (user, item) ids: NaN where the
    /// method has no answer (an unknown user or item, no similar neighbour, no training
    /// ratings attached), which the recommendation task fills in from the baseline and
    /// counts against the model's coverage.
    pub fn forward(&self, pairs: burn::prelude::Tensor<4>) -> burn::prelude::Tensor<2> {
        use burn::prelude::*;
        let device = pairs.device();
        let [n, ..] = pairs.dims();
        let ids = id_pairs(pairs);
        let ratings: Vec<f32> = match &self.interactions {
            Some(data) => self
                .method
                .predict(data, &ids)
                .into_iter()
                .map(|e| if e.by_model { e.rating } else { f32::NAN })
                .collect(),
            None => vec![f32::NAN; n],
        };
        Tensor::from_data(TensorData::new(ratings, [n, 1]), &device)
    }

    /// The summary's one row.
    pub fn layers(&self, name: &str) -> Vec<crate::LayerRow> {
        vec![crate::LayerRow::new(
            name,
            &format!("{}-nearest ({})", self.method.k, self.method.similarity),
            &[1],
            0,
        )]
    }
}

/// The (user, item) ids of a `[batch, 2, 1, 1]` batch (ids travel as floats; ids below 2^24
/// are exact). Negative or non-finite ids become `u32::MAX`, an id no model knows.
pub fn id_pairs(pairs: burn::prelude::Tensor<4>) -> Vec<(u32, u32)> {
    let values: Vec<f32> = pairs.into_data().iter::<f32>().collect();
    let id = |v: f32| {
        if v.is_finite() && v >= 0.0 && v < u32::MAX as f32 {
            v.round() as u32
        } else {
            u32::MAX
        }
    };
    values
        .chunks_exact(2)
        .map(|p| (id(p[0]), id(p[1])))
        .collect()
}

/// Checks that a recommender's data is ratings (an input of a user and an item).
pub fn ratings_input(
    model: &'static str,
    input: &crate::InputSpec,
) -> Result<RatingsShape, ModelError> {
    match input.ratings {
        Some(shape) if input.flat_len() == 2 => Ok(shape),
        _ => Err(ModelError::Invalid {
            model,
            problem: "a recommender learns from ratings (users, items and their ratings): \
                      use --dataset movielens-small, movielens-100k or ratings:PATH"
                .into(),
        }),
    }
}
