//! Ratings for recommenders: MovieLens (`movielens-small`, `movielens-100k`) and any ratings
//! CSV (`ratings:PATH`), read strictly, indexed densely and split into train and test parts.
//!
//! - The MovieLens sets live in `DATA_DIR/movielens-small/` (`ratings.csv`, `movies.csv`) and
//!   `DATA_DIR/movielens-100k/` (`u.data`, `u.item`); a missing set is downloaded as its
//!   GroupLens zip ([`MOVIELENS_SMALL`], [`MOVIELENS_100K`]), verified by sha256, and its
//!   members are extracted atomically ([`fetch_movielens_archive`]).
//! - A `ratings:PATH` file is a CSV with a header naming its user, item, rating and
//!   (optionally) time columns ([`RatingColumns`]); titles may come from an items file.
//! - Users and items get dense indices in order of first appearance ([`Catalog`]); a rating
//!   given twice (same user and item) keeps the later one, and is counted.
//! - The split is seeded: a random share of all ratings, or the latest share of each user's
//!   ([`RatingsSplit`]). [`ColdStart`] counts what the training part cannot know.
//!
//! Every error names the file, and for a bad row its line (the header is line 1) and column.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::fs;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::OnceLock;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::archive::extract_zip;
use crate::download::{DownloadOptions, download_verified, join_url};
use crate::error::{DataError, Result};
use crate::fsutil::{temp_path_for, write_atomic};
use crate::source::{DatasetSpec, LoadOptions};

/// The environment variable that replaces the MovieLens mirrors (comma-separated base URLs).
pub const MOVIELENS_MIRROR_ENV_VAR: &str = "APRENDE_MOVIELENS_MIRRORS";

/// The built-in MovieLens mirror: GroupLens itself.
pub const MOVIELENS_DEFAULT_MIRRORS: &[&str] = &["https://files.grouplens.org/datasets/movielens"];

/// A MovieLens zip archive: its file name on the mirrors, its sha256, and the members aprende
/// takes from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MovielensArchive<'a> {
    /// The archive's file name on a mirror (`ml-latest-small.zip`).
    pub zip_name: &'a str,
    /// The sha256 of the archive, lowercase hex.
    pub sha256: &'a str,
    /// `(member in the zip, file name in the dataset folder)` of every file taken from it.
    pub members: &'a [(&'a str, &'a str)],
}

/// MovieLens "latest-small" (`ml-latest-small.zip`, sha256 as pinned by TensorFlow Datasets):
/// `ratings.csv` and `movies.csv` into `DATA_DIR/movielens-small/`.
pub const MOVIELENS_SMALL: MovielensArchive<'static> = MovielensArchive {
    zip_name: "ml-latest-small.zip",
    sha256: "696d65a3dfceac7c45750ad32df2c259311949efec81f0f144fdfb91ebc9e436",
    members: &[
        ("ml-latest-small/ratings.csv", "ratings.csv"),
        ("ml-latest-small/movies.csv", "movies.csv"),
    ],
};

/// MovieLens 100K (`ml-100k.zip`, sha256 as pinned by TensorFlow Datasets): `u.data` and
/// `u.item` into `DATA_DIR/movielens-100k/`.
pub const MOVIELENS_100K: MovielensArchive<'static> = MovielensArchive {
    zip_name: "ml-100k.zip",
    sha256: "50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
    members: &[("ml-100k/u.data", "u.data"), ("ml-100k/u.item", "u.item")],
};

/// Where a ratings dataset comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RatingsSource {
    /// MovieLens "latest-small": 100,836 ratings (0.5 to 5 stars) of 9,724 movies by 610 users,
    /// in `DATA_DIR/movielens-small/`.
    MovielensSmall,
    /// MovieLens 100K: 100,000 ratings (1 to 5 stars) of 1,682 movies by 943 users, in
    /// `DATA_DIR/movielens-100k/`.
    Movielens100k,
    /// A CSV file with a header (`ratings:PATH`), laid out as [`RatingsOptions::columns`] says.
    Csv(PathBuf),
}

impl RatingsSource {
    /// The name `--dataset` takes for the MovieLens sets, and the folder they live in inside
    /// the data directory; `None` for a CSV file.
    pub fn movielens_name(&self) -> Option<&'static str> {
        match self {
            RatingsSource::MovielensSmall => Some("movielens-small"),
            RatingsSource::Movielens100k => Some("movielens-100k"),
            RatingsSource::Csv(_) => None,
        }
    }
}

/// The range of the ratings of a dataset, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RatingScale {
    /// The lowest rating.
    pub min: f32,
    /// The highest rating.
    pub max: f32,
}

impl RatingScale {
    /// MovieLens "latest-small": half stars from 0.5 to 5.
    pub const MOVIELENS_SMALL: RatingScale = RatingScale { min: 0.5, max: 5.0 };
    /// MovieLens 100K: whole stars from 1 to 5.
    pub const MOVIELENS_100K: RatingScale = RatingScale { min: 1.0, max: 5.0 };

    /// Whether `rating` is in the scale.
    pub fn contains(&self, rating: f32) -> bool {
        rating >= self.min && rating <= self.max
    }

    fn check(&self) -> Result<()> {
        if self.min.is_finite() && self.max.is_finite() && self.min <= self.max {
            Ok(())
        } else {
            Err(DataError::Invalid(format!(
                "the rating scale {self} is not a range of finite numbers (min <= max)"
            )))
        }
    }
}

impl fmt::Display for RatingScale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.min, self.max)
    }
}

/// Column names of a `ratings:PATH` CSV (ignored for the MovieLens sets, whose layout is fixed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingColumns {
    /// The column of the user ids (any text).
    pub user: String,
    /// The column of the item ids (any text).
    pub item: String,
    /// The column of the ratings (numbers).
    pub rating: String,
    /// The column of the times (integers, e.g. Unix seconds). `None` uses a column named
    /// `timestamp` if the header has one (else every time is 0); a column named here must exist.
    pub time: Option<String>,
}

impl Default for RatingColumns {
    /// `user`, `item`, `rating`, and `timestamp` when the header has it.
    fn default() -> Self {
        Self {
            user: "user".into(),
            item: "item".into(),
            rating: "rating".into(),
            time: None,
        }
    }
}

/// How ratings are split into a training and a test part.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum RatingsSplit {
    /// A seeded random share of all ratings is held out.
    #[default]
    Random,
    /// The latest share of every user's ratings is held out (each user keeps at least one
    /// rating for training).
    PerUser,
}

impl RatingsSplit {
    /// Both splits.
    pub const ALL: [RatingsSplit; 2] = [RatingsSplit::Random, RatingsSplit::PerUser];

    /// The name the command line takes: `random`, `per-user`.
    pub fn as_str(&self) -> &'static str {
        match self {
            RatingsSplit::Random => "random",
            RatingsSplit::PerUser => "per-user",
        }
    }
}

impl FromStr for RatingsSplit {
    type Err = DataError;

    fn from_str(s: &str) -> Result<Self> {
        RatingsSplit::ALL
            .into_iter()
            .find(|split| split.as_str() == s)
            .ok_or_else(|| {
                DataError::Invalid(format!(
                    "unknown ratings split `{s}`; known splits: random, per-user"
                ))
            })
    }
}

impl fmt::Display for RatingsSplit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How to read and split a ratings dataset (beside [`LoadOptions`]'s `test_split` and `seed`).
#[derive(Debug, Clone, Default)]
pub struct RatingsOptions {
    /// The columns of a `ratings:PATH` file.
    pub columns: RatingColumns,
    /// Optional items file with titles for `ratings:PATH` (CSV with header: the item column named like columns.item if present else the first column; a `title` column if present else the second).
    pub items: Option<PathBuf>,
    /// The rating scale of a `ratings:PATH` file; None = the observed min..max. MovieLens small is 0.5..5, 100K is 1..5.
    pub scale: Option<RatingScale>,
    /// How the ratings are split.
    pub split: RatingsSplit,
}

/// A lazily built map from raw ids to dense indices. Not part of a catalog's value: it is
/// skipped by serde, always equal, and printed as `..`.
#[derive(Clone, Default)]
struct IdLookup(OnceLock<HashMap<String, u32>>);

impl IdLookup {
    fn with(map: HashMap<String, u32>) -> Self {
        let lock = OnceLock::new();
        let _ = lock.set(map);
        IdLookup(lock)
    }

    /// The index of `raw` in `ids`, through the map (built on first use). A map that no longer
    /// agrees with `ids` (fields changed after it was built) falls back to a scan.
    fn find(&self, ids: &[String], raw: &str) -> Option<u32> {
        let map = self.0.get_or_init(|| index_map(ids));
        match map.get(raw) {
            Some(&i) if ids.get(i as usize).is_some_and(|id| id == raw) => Some(i),
            None if map.len() == ids.len() => None,
            _ => ids.iter().position(|id| id == raw).map(|i| i as u32),
        }
    }
}

impl fmt::Debug for IdLookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("..")
    }
}

impl PartialEq for IdLookup {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

fn index_map(ids: &[String]) -> HashMap<String, u32> {
    let mut map = HashMap::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        map.entry(id.clone()).or_insert(i as u32);
    }
    map
}

/// Users and items of a dataset: their raw ids (index = the dense index used everywhere), item titles, the scale.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Catalog {
    /// The dataset's name (`movielens-small`, or the stem of a ratings file).
    pub name: String,
    /// The rating scale.
    pub scale: RatingScale,
    /// Raw user ids; user `u` is `users[u]`.
    pub users: Vec<String>,
    /// Raw item ids; item `i` is `items[i]`.
    pub items: Vec<String>,
    /// The title of every item, when known (as long as `items`).
    pub titles: Vec<Option<String>>,
    #[serde(skip)]
    user_lookup: IdLookup,
    #[serde(skip)]
    item_lookup: IdLookup,
}

impl Catalog {
    /// A catalog of these users and items (`titles` as long as `items`, else an error).
    pub fn new(
        name: impl Into<String>,
        scale: RatingScale,
        users: Vec<String>,
        items: Vec<String>,
        titles: Vec<Option<String>>,
    ) -> Result<Self> {
        let catalog = Catalog {
            name: name.into(),
            scale,
            users,
            items,
            titles,
            user_lookup: IdLookup::default(),
            item_lookup: IdLookup::default(),
        };
        catalog.check().map_err(|problem| {
            DataError::Invalid(format!("catalog {}: {problem}", catalog.name))
        })?;
        Ok(catalog)
    }

    /// What is inconsistent in the catalog, if anything.
    fn check(&self) -> std::result::Result<(), String> {
        if self.titles.len() != self.items.len() {
            return Err(format!(
                "{} titles for {} items",
                self.titles.len(),
                self.items.len()
            ));
        }
        if self.users.len() > u32::MAX as usize || self.items.len() > u32::MAX as usize {
            return Err("more than 2^32 users or items".into());
        }
        self.scale.check().map_err(|e| e.to_string())?;
        for (what, ids) in [("user", &self.users), ("item", &self.items)] {
            let mut seen = std::collections::HashSet::with_capacity(ids.len());
            if let Some(dup) = ids.iter().find(|id| !seen.insert(id.as_str())) {
                return Err(format!("the {what} id `{dup}` is listed twice"));
            }
        }
        Ok(())
    }

    /// Number of users.
    pub fn num_users(&self) -> usize {
        self.users.len()
    }

    /// Number of items.
    pub fn num_items(&self) -> usize {
        self.items.len()
    }

    /// The dense index of the user whose raw id is `raw`.
    pub fn user_index(&self, raw: &str) -> Option<u32> {
        self.user_lookup.find(&self.users, raw)
    }

    /// The dense index of the item whose raw id is `raw`.
    pub fn item_index(&self, raw: &str) -> Option<u32> {
        self.item_lookup.find(&self.items, raw)
    }

    /// The title of item `item`, when known.
    pub fn title(&self, item: u32) -> Option<&str> {
        self.titles.get(item as usize)?.as_deref()
    }

    /// Writes the catalog as JSON to `path`, atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(|e| {
            DataError::Invalid(format!(
                "{}: cannot encode the catalog: {e}",
                path.display()
            ))
        })?;
        write_atomic(path, &json)
    }

    /// Reads a catalog written by [`Catalog::save`]; the error names the file.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = fs::read(path).map_err(|e| DataError::io(path, e))?;
        let catalog: Catalog = serde_json::from_slice(&bytes).map_err(|e| {
            DataError::Invalid(format!("{}: not a ratings catalog: {e}", path.display()))
        })?;
        catalog.check().map_err(|problem| {
            DataError::Invalid(format!(
                "{}: not a valid catalog: {problem}",
                path.display()
            ))
        })?;
        Ok(catalog)
    }
}

/// Ratings as dense indices into a Catalog.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ratings {
    /// The user of each rating.
    pub user: Vec<u32>,
    /// The item of each rating.
    pub item: Vec<u32>,
    /// The rating.
    pub rating: Vec<f32>,
    /// When it was given (the file's time column, e.g. Unix seconds; 0 without one).
    pub time: Vec<i64>,
}

impl Ratings {
    /// Number of ratings.
    pub fn len(&self) -> usize {
        self.rating.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rating.is_empty()
    }

    /// The ratings at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Ratings {
        Ratings {
            user: indices.iter().map(|&i| self.user[i]).collect(),
            item: indices.iter().map(|&i| self.item[i]).collect(),
            rating: indices.iter().map(|&i| self.rating[i]).collect(),
            time: indices.iter().map(|&i| self.time[i]).collect(),
        }
    }

    fn with_capacity(n: usize) -> Self {
        Ratings {
            user: Vec::with_capacity(n),
            item: Vec::with_capacity(n),
            rating: Vec::with_capacity(n),
            time: Vec::with_capacity(n),
        }
    }

    fn push(&mut self, user: u32, item: u32, rating: f32, time: i64) {
        self.user.push(user);
        self.item.push(item);
        self.rating.push(rating);
        self.time.push(time);
    }

    /// `ratings.csv` of a run: header `user,item,rating,timestamp`, raw ids from `catalog`; atomic.
    pub fn save_csv(&self, path: &Path, catalog: &Catalog) -> Result<()> {
        let fail = |problem: String| DataError::Csv {
            source_name: path.display().to_string(),
            problem,
        };
        let mut out = csv::Writer::from_writer(Vec::with_capacity(self.len() * 24 + 32));
        out.write_record(["user", "item", "rating", "timestamp"])
            .map_err(|e| fail(e.to_string()))?;
        let mut rating = String::new();
        let mut time = String::new();
        for i in 0..self.len() {
            let (u, it) = (self.user[i] as usize, self.item[i] as usize);
            let (Some(user), Some(item)) = (catalog.users.get(u), catalog.items.get(it)) else {
                return Err(fail(format!(
                    "rating {i} has user {u} and item {it}, but the catalog has {} users and {} items",
                    catalog.users.len(),
                    catalog.items.len()
                )));
            };
            rating.clear();
            time.clear();
            use std::fmt::Write as _;
            let _ = write!(rating, "{}", self.rating[i]);
            let _ = write!(time, "{}", self.time[i]);
            out.write_record([user.as_str(), item.as_str(), &rating, &time])
                .map_err(|e| fail(e.to_string()))?;
        }
        let bytes = out.into_inner().map_err(|e| fail(e.to_string()))?;
        write_atomic(path, &bytes)
    }

    /// Reads it back through the catalog (an id the catalog lacks is an error naming file, line and id).
    pub fn load_csv(path: &Path, catalog: &Catalog) -> Result<Ratings> {
        let layout = Layout::csv(path, &RatingColumns::default(), Some(catalog.scale))?;
        let mut ratings = Ratings::default();
        read_rows(&layout, |row| {
            let lookup = |what: &str, index: Option<u32>, raw: &str| {
                index.ok_or_else(|| {
                    layout.fail(format!(
                        "line {}: the {what} `{raw}` is not in the catalog {}",
                        row.line, catalog.name
                    ))
                })
            };
            let user = lookup("user", catalog.user_index(row.user), row.user)?;
            let item = lookup("item", catalog.item_index(row.item), row.item)?;
            ratings.push(user, item, row.rating, row.time);
            Ok(())
        })?;
        Ok(ratings)
    }
}

/// Counts of the held-out ratings that the training part cannot know.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ColdStart {
    /// Users with test ratings but no training rating.
    pub users: usize,
    /// Items with test ratings but no training rating.
    pub items: usize,
    /// Test ratings whose user or item has no training rating.
    pub ratings: usize,
}

impl ColdStart {
    /// The cold-start counts of `test` given `train`, for `num_users` users and `num_items`
    /// items.
    pub fn of(train: &Ratings, test: &Ratings, num_users: usize, num_items: usize) -> Self {
        let mut user_known = vec![false; num_users];
        let mut item_known = vec![false; num_items];
        for (&u, &i) in train.user.iter().zip(&train.item) {
            user_known[u as usize] = true;
            item_known[i as usize] = true;
        }
        let mut user_cold = vec![false; num_users];
        let mut item_cold = vec![false; num_items];
        let mut cold = ColdStart::default();
        for (&u, &i) in test.user.iter().zip(&test.item) {
            let (u, i) = (u as usize, i as usize);
            if !user_known[u] && !std::mem::replace(&mut user_cold[u], true) {
                cold.users += 1;
            }
            if !item_known[i] && !std::mem::replace(&mut item_cold[i], true) {
                cold.items += 1;
            }
            if !user_known[u] || !item_known[i] {
                cold.ratings += 1;
            }
        }
        cold
    }
}

/// A ratings dataset, split.
#[derive(Debug, Clone, PartialEq)]
pub struct RatingsData {
    /// Its users and items (those that have at least one rating), titles and scale.
    pub catalog: Catalog,
    /// The training part, in file order.
    pub train: Ratings,
    /// The held-out part, in file order.
    pub test: Ratings,
    /// How many ratings were dropped because the same user rated the same item again later
    /// (the later one is kept).
    pub duplicates: usize,
    /// What the test part holds that the training part cannot know.
    pub cold: ColdStart,
}

impl DatasetSpec {
    /// Whether this is a ratings dataset (for the recommender models).
    pub fn is_ratings(&self) -> bool {
        matches!(self, DatasetSpec::Ratings(_))
    }

    /// Loads a ratings dataset (downloading a missing MovieLens set) and splits it:
    /// `options.test_split` held out as `options.ratings.split` says, seeded by `options.seed`.
    pub fn load_ratings(&self, options: &LoadOptions) -> Result<RatingsData> {
        let DatasetSpec::Ratings(source) = self else {
            return Err(DataError::Invalid(format!(
                "{self} is not a ratings dataset; the recommender models take movielens-small, \
                 movielens-100k or ratings:PATH"
            )));
        };
        let fraction = options.test_split;
        if !(fraction > 0.0 && fraction < 1.0) {
            return Err(DataError::Invalid(format!(
                "--test-split must be in (0, 1) for ratings, got {fraction}"
            )));
        }
        let name = self.short_name();
        let loaded = match source {
            RatingsSource::MovielensSmall => {
                let dir = options.data_dir.0.join("movielens-small");
                fetch_movielens_archive(&MOVIELENS_SMALL, &dir, &options.download)?;
                let columns = RatingColumns {
                    user: "userId".into(),
                    item: "movieId".into(),
                    rating: "rating".into(),
                    time: Some("timestamp".into()),
                };
                let layout = Layout::csv(
                    &dir.join("ratings.csv"),
                    &columns,
                    Some(RatingScale::MOVIELENS_SMALL),
                )?;
                let mut loaded = read_ratings(&layout, name)?;
                read_items_csv(&dir.join("movies.csv"), "movieId", &mut loaded.catalog)?;
                loaded
            }
            RatingsSource::Movielens100k => {
                let dir = options.data_dir.0.join("movielens-100k");
                fetch_movielens_archive(&MOVIELENS_100K, &dir, &options.download)?;
                let layout =
                    Layout::u_data(&dir.join("u.data"), Some(RatingScale::MOVIELENS_100K))?;
                let mut loaded = read_ratings(&layout, name)?;
                read_u_item(&dir.join("u.item"), &mut loaded.catalog)?;
                loaded
            }
            RatingsSource::Csv(path) => {
                let ratings = &options.ratings;
                if let Some(scale) = ratings.scale {
                    scale.check()?;
                }
                let layout = Layout::csv(path, &ratings.columns, ratings.scale)?;
                let mut loaded = read_ratings(&layout, name)?;
                if let Some(items) = &ratings.items {
                    read_items_csv(items, &ratings.columns.item, &mut loaded.catalog)?;
                }
                loaded
            }
        };
        let Loaded {
            catalog,
            ratings,
            duplicates,
        } = loaded;
        let (train, test) = match options.ratings.split {
            RatingsSplit::Random => random_split(ratings.len(), fraction, options.seed),
            RatingsSplit::PerUser => per_user_split(&ratings, catalog.users.len(), fraction),
        };
        if test.is_empty() || train.is_empty() {
            let (none, part) = if test.is_empty() {
                ("none out for testing", "larger")
            } else {
                ("none for training", "smaller")
            };
            return Err(DataError::Invalid(format!(
                "{self}: a {} split with --test-split {fraction} of its {} ratings holds {none}: \
                 give more ratings or a {part} --test-split",
                options.ratings.split,
                ratings.len()
            )));
        }
        let train = ratings.subset(&train);
        let test = ratings.subset(&test);
        let cold = ColdStart::of(&train, &test, catalog.users.len(), catalog.items.len());
        Ok(RatingsData {
            catalog,
            train,
            test,
            duplicates,
            cold,
        })
    }
}

/// Indices of the training and test parts of a random split: the first `round(n * fraction)`
/// of a seeded shuffle are held out; both parts ascending.
fn random_split(n: usize, fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..n).collect();
    order.shuffle(&mut StdRng::seed_from_u64(seed));
    let n_test = ((n as f64 * fraction).round() as usize).min(n);
    let mut test = order[..n_test].to_vec();
    let mut train = order[n_test..].to_vec();
    test.sort_unstable();
    train.sort_unstable();
    (train, test)
}

/// Indices of the training and test parts of a per-user split: every user's latest
/// `round(count * fraction)` ratings (by time, ties by file order) are held out, but each user
/// keeps at least one for training; both parts ascending.
fn per_user_split(ratings: &Ratings, num_users: usize, fraction: f64) -> (Vec<usize>, Vec<usize>) {
    // Rows grouped by user (a counting sort), in file order within a user.
    let mut starts = vec![0usize; num_users + 1];
    for &u in &ratings.user {
        starts[u as usize + 1] += 1;
    }
    for u in 0..num_users {
        starts[u + 1] += starts[u];
    }
    let mut next = starts.clone();
    let mut rows = vec![0usize; ratings.len()];
    for (row, &u) in ratings.user.iter().enumerate() {
        rows[next[u as usize]] = row;
        next[u as usize] += 1;
    }
    let mut train = Vec::with_capacity(ratings.len());
    let mut test = Vec::new();
    for u in 0..num_users {
        let mine = &mut rows[starts[u]..starts[u + 1]];
        // Stable: equal times keep file order.
        mine.sort_by_key(|&row| ratings.time[row]);
        let count = mine.len();
        let n_test = ((count as f64 * fraction).round() as usize).min(count.saturating_sub(1));
        train.extend_from_slice(&mine[..count - n_test]);
        test.extend_from_slice(&mine[count - n_test..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    (train, test)
}

/// A ratings file read into a catalog (without titles yet) and its ratings, duplicates
/// dropped.
struct Loaded {
    catalog: Catalog,
    ratings: Ratings,
    duplicates: usize,
}

/// Raw ids in order of first appearance.
#[derive(Default)]
struct Interner {
    map: HashMap<String, u32>,
    ids: Vec<String>,
}

impl Interner {
    fn intern(&mut self, raw: &str) -> Option<u32> {
        if let Some(&i) = self.map.get(raw) {
            return Some(i);
        }
        let i = u32::try_from(self.ids.len()).ok()?;
        self.map.insert(raw.to_string(), i);
        self.ids.push(raw.to_string());
        Some(i)
    }
}

/// Reads the ratings of `layout` into dense indices; a user who rated an item twice keeps the
/// later rating (by time, ties by file order). The scale is the layout's, else the observed
/// range.
fn read_ratings(layout: &Layout, name: String) -> Result<Loaded> {
    let mut users = Interner::default();
    let mut items = Interner::default();
    let mut ratings = Ratings::with_capacity(1 << 12);
    // (user, item) -> the row that holds its rating now.
    let mut seen: HashMap<u64, usize> = HashMap::new();
    let mut dropped: Vec<usize> = Vec::new();
    read_rows(layout, |row| {
        let too_many =
            |what: &str| layout.fail(format!("line {}: more than 2^32 {what}", row.line));
        let user = users.intern(row.user).ok_or_else(|| too_many("users"))?;
        let item = items.intern(row.item).ok_or_else(|| too_many("items"))?;
        let index = ratings.len();
        ratings.push(user, item, row.rating, row.time);
        match seen.entry((u64::from(user) << 32) | u64::from(item)) {
            Entry::Vacant(slot) => {
                slot.insert(index);
            }
            Entry::Occupied(mut slot) => {
                let earlier = *slot.get();
                if row.time >= ratings.time[earlier] {
                    dropped.push(earlier);
                    slot.insert(index);
                } else {
                    dropped.push(index);
                }
            }
        }
        Ok(())
    })?;
    if ratings.is_empty() {
        let problem = if layout.header {
            "no ratings: the file has a header but no rows"
        } else {
            "no ratings: the file is empty"
        };
        return Err(layout.fail(problem.into()));
    }
    let duplicates = dropped.len();
    if duplicates > 0 {
        dropped.sort_unstable();
        let mut keep = Vec::with_capacity(ratings.len() - duplicates);
        let mut drop = dropped.iter().peekable();
        for i in 0..ratings.len() {
            if drop.peek() == Some(&&i) {
                drop.next();
            } else {
                keep.push(i);
            }
        }
        ratings = ratings.subset(&keep);
    }
    let scale = layout.scale.unwrap_or_else(|| {
        let (min, max) = ratings
            .rating
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &r| {
                (lo.min(r), hi.max(r))
            });
        RatingScale { min, max }
    });
    let titles = vec![None; items.ids.len()];
    let catalog = Catalog {
        name,
        scale,
        users: users.ids,
        items: items.ids,
        titles,
        user_lookup: IdLookup::with(users.map),
        item_lookup: IdLookup::with(items.map),
    };
    Ok(Loaded {
        catalog,
        ratings,
        duplicates,
    })
}

/// Where a row starts in a file, shown as its line number (1-based).
///
/// The csv reader's own line count stops at the end of the previous row, before any blank
/// lines; the number shown skips them, reading the file again from there (only when an error
/// is shown, never on the fast path).
#[derive(Clone, Copy)]
struct Line<'a> {
    path: &'a Path,
    /// The byte where the reader's position is (`u64::MAX`: unknown).
    byte: u64,
    /// The reader's line at that byte.
    line: u64,
}

impl<'a> Line<'a> {
    fn at(path: &'a Path, position: Option<&csv::Position>, fallback: u64) -> Self {
        match position {
            Some(p) => Line {
                path,
                byte: p.byte(),
                line: p.line(),
            },
            None => Line {
                path,
                byte: u64::MAX,
                line: fallback,
            },
        }
    }

    /// The line of the first byte at or after `byte` that is not a line terminator.
    fn resolve(&self) -> u64 {
        use std::io::{Seek, SeekFrom};
        let mut line = self.line;
        if self.byte == u64::MAX {
            return line;
        }
        let Ok(file) = fs::File::open(self.path) else {
            return line;
        };
        let mut input = BufReader::new(file);
        if input.seek(SeekFrom::Start(self.byte)).is_err() {
            return line;
        }
        let mut after_cr = false;
        for byte in input.bytes() {
            match byte {
                Ok(b'\n') if after_cr => after_cr = false,
                Ok(b'\n') => line += 1,
                Ok(b'\r') => {
                    line += 1;
                    after_cr = true;
                }
                _ => break,
            }
        }
        line
    }
}

impl fmt::Display for Line<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.resolve())
    }
}

/// One row of a ratings file, borrowed from the reader's buffer.
struct Row<'a> {
    line: Line<'a>,
    user: &'a str,
    item: &'a str,
    rating: f32,
    time: i64,
}

/// Where a ratings file's columns are, and how it is delimited.
struct Layout {
    path: PathBuf,
    /// Field delimiter.
    delimiter: u8,
    /// Whether the first line is a header (then it is skipped).
    header: bool,
    /// Whether `"` quotes fields.
    quoting: bool,
    /// The name of every column, for errors.
    names: Vec<String>,
    /// Indices of the user, item and rating columns.
    user: usize,
    item: usize,
    rating: usize,
    /// Index of the time column.
    time: Option<usize>,
    /// The scale every rating must be in, when known.
    scale: Option<RatingScale>,
}

impl Layout {
    fn fail(&self, problem: String) -> DataError {
        DataError::Csv {
            source_name: self.path.display().to_string(),
            problem,
        }
    }

    /// A CSV with a header that names `columns`.
    fn csv(path: &Path, columns: &RatingColumns, scale: Option<RatingScale>) -> Result<Self> {
        let layout = Layout {
            path: path.to_path_buf(),
            delimiter: b',',
            header: true,
            quoting: true,
            names: Vec::new(),
            user: 0,
            item: 0,
            rating: 0,
            time: None,
            scale,
        };
        let file = fs::File::open(path).map_err(|e| DataError::io(path, e))?;
        let mut reader = layout.reader(file);
        let names: Vec<String> = reader
            .headers()
            .map_err(|e| layout.fail(format!("unreadable header: {e}")))?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_string())
            .collect();
        if names.iter().all(|h| h.is_empty()) {
            return Err(layout.fail("empty file: no header row".into()));
        }
        let find = |column: &str, what: &str| {
            names.iter().position(|h| h == column).ok_or_else(|| {
                layout.fail(format!(
                    "no column `{column}` for the {what} (the header's columns: {})",
                    names.join(", ")
                ))
            })
        };
        let user = find(&columns.user, "user ids")?;
        let item = find(&columns.item, "item ids")?;
        let rating = find(&columns.rating, "ratings")?;
        let time = match &columns.time {
            Some(time) => Some(find(time, "times")?),
            None => names.iter().position(|h| h == "timestamp"),
        };
        Ok(Layout {
            names,
            user,
            item,
            rating,
            time,
            ..layout
        })
    }

    /// MovieLens 100K's `u.data`: tab-separated `user item rating timestamp`, no header.
    fn u_data(path: &Path, scale: Option<RatingScale>) -> Result<Self> {
        Ok(Layout {
            path: path.to_path_buf(),
            delimiter: b'\t',
            header: false,
            quoting: false,
            names: ["user id", "item id", "rating", "timestamp"]
                .map(String::from)
                .to_vec(),
            user: 0,
            item: 1,
            rating: 2,
            time: Some(3),
            scale,
        })
    }

    fn reader<R: Read>(&self, input: R) -> csv::Reader<R> {
        csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .has_headers(self.header)
            .quoting(self.quoting)
            .flexible(true)
            .trim(csv::Trim::All)
            .buffer_capacity(1 << 16)
            .from_reader(input)
    }
}

/// Reads every row of `layout`'s file, strictly, and hands it to `each`.
fn read_rows(layout: &Layout, mut each: impl FnMut(Row<'_>) -> Result<()>) -> Result<()> {
    let path = &layout.path;
    let file = fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut reader = layout.reader(file);
    let mut record = csv::ByteRecord::new();
    let width = layout.names.len();
    let mut row = 0u64;
    loop {
        row += 1;
        // Line numbers count the header as line 1.
        let fallback = row + u64::from(layout.header);
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = Line::at(path, e.position(), fallback);
                return Err(layout.fail(format!("line {line}: {e}")));
            }
        }
        let line = Line::at(path, record.position(), fallback);
        if record.len() == 1 && record[0].is_empty() {
            continue; // a blank line
        }
        if record.len() != width {
            let missing = if record.len() < width {
                format!(" (no `{}`)", layout.names[record.len()..].join("`, `"))
            } else {
                String::new()
            };
            return Err(layout.fail(format!(
                "line {line}: {} fields, the header has {width}{missing}",
                record.len()
            )));
        }
        let text = |column: usize| {
            std::str::from_utf8(&record[column]).map_err(|_| {
                layout.fail(format!(
                    "line {line}, column `{}`: not UTF-8 text",
                    layout.names[column]
                ))
            })
        };
        let bad = |column: usize, problem: &str| {
            layout.fail(format!(
                "line {line}, column `{}`: {problem}",
                layout.names[column]
            ))
        };
        let user = text(layout.user)?;
        if user.is_empty() {
            return Err(bad(layout.user, "empty user id"));
        }
        let item = text(layout.item)?;
        if item.is_empty() {
            return Err(bad(layout.item, "empty item id"));
        }
        let raw = text(layout.rating)?;
        let rating = match raw.parse::<f32>() {
            Ok(r) if r.is_finite() => r,
            Ok(_) => {
                return Err(bad(
                    layout.rating,
                    &format!("`{raw}` is not a finite rating"),
                ));
            }
            Err(_) => return Err(bad(layout.rating, &format!("`{raw}` is not a number"))),
        };
        if let Some(scale) = layout.scale
            && !scale.contains(rating)
        {
            return Err(bad(
                layout.rating,
                &format!("the rating {raw} is outside the rating scale {scale}"),
            ));
        }
        let time = match layout.time {
            Some(column) => {
                let raw = text(column)?;
                raw.parse::<i64>()
                    .map_err(|_| bad(column, &format!("`{raw}` is not an integer timestamp")))?
            }
            None => 0,
        };
        each(Row {
            line,
            user,
            item,
            rating,
            time,
        })?;
    }
    Ok(())
}

/// Fills `catalog`'s titles from a CSV items file with a header: the item column named
/// `item_column` if there is one, else the first; the `title` column if there is one, else the
/// second. Items the catalog lacks are ignored; the first title of an item wins.
fn read_items_csv(path: &Path, item_column: &str, catalog: &mut Catalog) -> Result<()> {
    let fail = |problem: String| DataError::Csv {
        source_name: path.display().to_string(),
        problem,
    };
    let file = fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(BufReader::new(file));
    let names: Vec<String> = reader
        .byte_headers()
        .map_err(|e| fail(format!("unreadable header: {e}")))?
        .iter()
        .map(|h| {
            String::from_utf8_lossy(h)
                .trim_start_matches('\u{feff}')
                .to_string()
        })
        .collect();
    if names.len() < 2 {
        return Err(fail(format!(
            "an items file needs an item id column and a title column; its header has {} ({})",
            names.len(),
            names.join(", ")
        )));
    }
    let id_col = names.iter().position(|h| h == item_column).unwrap_or(0);
    let title_col = names
        .iter()
        .position(|h| h == "title")
        .unwrap_or(if id_col == 1 { 0 } else { 1 });
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = Line::at(path, e.position(), 0);
                return Err(fail(format!("line {line}: {e}")));
            }
        }
        if record.len() == 1 && record[0].is_empty() {
            continue;
        }
        let (Some(id), Some(title)) = (record.get(id_col), record.get(title_col)) else {
            let line = Line::at(path, record.position(), 0);
            return Err(fail(format!(
                "line {line}: {} fields, no `{}` or `{}`",
                record.len(),
                names[id_col],
                names[title_col]
            )));
        };
        set_title(catalog, &String::from_utf8_lossy(id), || {
            String::from_utf8_lossy(title).into_owned()
        });
    }
    Ok(())
}

/// Fills `catalog`'s titles from MovieLens 100K's `u.item`: pipe-separated
/// `id|title|release date|...`, latin-1 encoded.
fn read_u_item(path: &Path, catalog: &mut Catalog) -> Result<()> {
    let bytes = fs::read(path).map_err(|e| DataError::io(path, e))?;
    for (n, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let mut fields = line.split(|&b| b == b'|');
        let id = fields.next().unwrap_or_default();
        let Some(title) = fields.next() else {
            return Err(DataError::Csv {
                source_name: path.display().to_string(),
                problem: format!(
                    "line {}: no `|` after the item id (expected `id|title|release date|...`)",
                    n + 1
                ),
            });
        };
        set_title(catalog, latin1(id).trim(), || {
            latin1(title).trim().to_string()
        });
    }
    Ok(())
}

/// Text from latin-1 (ISO-8859-1) bytes: every byte is the code point of the same value.
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

fn set_title(catalog: &mut Catalog, id: &str, title: impl FnOnce() -> String) {
    if let Some(i) = catalog.item_index(id) {
        let slot = &mut catalog.titles[i as usize];
        if slot.is_none() {
            let title = title();
            *slot = (!title.is_empty()).then_some(title);
        }
    }
}

/// Makes sure every member file of `set` is in `dir` (the dataset folder): when one is
/// missing, downloads the archive from the MovieLens mirrors (`options.mirrors`, else
/// `APRENDE_MOVIELENS_MIRRORS`, else GroupLens) to a temporary file in `dir`, checks its
/// sha256, extracts the missing members into `dir` atomically (all of them or none), and
/// removes the archive.
///
/// Files already there are kept as they are. Offline, or when no mirror works, the error says
/// which files go where and where to get them.
pub fn fetch_movielens_archive(
    set: &MovielensArchive<'_>,
    dir: &Path,
    options: &DownloadOptions,
) -> Result<()> {
    let missing = |members: &[(&str, &str)]| -> Vec<(String, String)> {
        members
            .iter()
            .filter(|(_, file)| !dir.join(file).is_file())
            .map(|(m, f)| (m.to_string(), f.to_string()))
            .collect()
    };
    let wanted = missing(set.members);
    if wanted.is_empty() {
        return Ok(());
    }
    let mirrors = options.mirrors_or(MOVIELENS_MIRROR_ENV_VAR, MOVIELENS_DEFAULT_MIRRORS);
    let urls: Vec<String> = mirrors.iter().map(|m| join_url(m, set.zip_name)).collect();
    let mut attempts = Vec::new();
    if options.offline {
        attempts.push("none: offline mode".to_string());
    } else if urls.is_empty() {
        attempts.push("none: no mirror configured".to_string());
    } else {
        fs::create_dir_all(dir).map_err(|e| DataError::io(dir, e))?;
        let archive = temp_path_for(&dir.join(set.zip_name));
        for url in &urls {
            let result = download_verified(
                std::slice::from_ref(url),
                &archive,
                set.sha256,
                options.progress,
            )
            .map_err(|errors| {
                errors
                    .into_iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
            })
            .and_then(|()| {
                extract_members(&archive, url, dir, &wanted).map_err(|e| vec![e.to_string()])
            });
            let _ = fs::remove_file(&archive);
            match result {
                Ok(()) => return Ok(()),
                Err(errors) => attempts.extend(errors),
            }
        }
    }
    let url = urls
        .first()
        .cloned()
        .unwrap_or_else(|| join_url(MOVIELENS_DEFAULT_MIRRORS[0], set.zip_name));
    Err(DataError::ArchiveMissing {
        dir: dir.to_path_buf(),
        files: missing(set.members)
            .into_iter()
            .map(|(member, file)| format!("{file} (the archive's {member})"))
            .collect(),
        url,
        sha256: set.sha256.into(),
        attempts,
    })
}

/// Extracts `members` (`(member, file name)`) of the zip at `archive` (`label` in errors) into
/// `dir`: each to a temporary file first, then all renamed into place, so a bad archive leaves
/// nothing under the final names.
fn extract_members(
    archive: &Path,
    label: &str,
    dir: &Path,
    members: &[(String, String)],
) -> Result<()> {
    let bad = |member: Option<&str>, problem: String| DataError::Download {
        url: label.to_string(),
        problem: match member {
            Some(member) => format!("member `{member}`: {problem}"),
            None => problem,
        },
    };
    let pick = |names: &[String]| {
        members
            .iter()
            .map(|(member, file)| {
                if names.contains(member) {
                    Ok((member.clone(), dir.join(file)))
                } else {
                    Err(bad(None, format!("no member `{member}`")))
                }
            })
            .collect()
    };
    extract_zip(archive, pick, |_, _| Ok(()), bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ratings(users: &[u32], times: &[i64]) -> Ratings {
        Ratings {
            user: users.to_vec(),
            item: (0..users.len() as u32).collect(),
            rating: vec![3.0; users.len()],
            time: times.to_vec(),
        }
    }

    #[test]
    fn random_split_holds_out_the_rounded_share_in_file_order() {
        let (train, test) = random_split(11, 0.2, 7);
        assert_eq!(test.len(), 2);
        assert_eq!(train.len(), 9);
        assert!(test.windows(2).all(|w| w[0] < w[1]));
        assert!(train.windows(2).all(|w| w[0] < w[1]));
        let mut all = [train.clone(), test.clone()].concat();
        all.sort_unstable();
        assert_eq!(all, (0..11).collect::<Vec<_>>());
        assert_eq!(random_split(11, 0.2, 7), (train, test));
    }

    #[test]
    fn per_user_split_holds_out_the_latest_and_keeps_one_for_training() {
        // User 0: times 5, 1, 3, 3, 9 -> the latest (round(5 * 0.4) = 2) are rows 0 (5) and 4 (9).
        // User 1: one rating, kept for training even at 0.6.
        let r = ratings(&[0, 0, 0, 0, 0, 1], &[5, 1, 3, 3, 9, 4]);
        assert_eq!(per_user_split(&r, 2, 0.4), (vec![1, 2, 3, 5], vec![0, 4]));
        let (train, test) = per_user_split(&r, 2, 0.6);
        assert_eq!((train, test), (vec![1, 2, 5], vec![0, 3, 4]));
    }

    #[test]
    fn cold_start_counts_users_items_and_ratings() {
        let train = Ratings {
            user: vec![0, 1],
            item: vec![0, 1],
            rating: vec![1.0; 2],
            time: vec![0; 2],
        };
        let test = Ratings {
            user: vec![2, 2, 0, 1],
            item: vec![0, 2, 2, 1],
            rating: vec![1.0; 4],
            time: vec![0; 4],
        };
        assert_eq!(
            ColdStart::of(&train, &test, 3, 3),
            ColdStart {
                users: 1,
                items: 1,
                ratings: 3
            }
        );
    }

    #[test]
    fn splits_parse_and_print() {
        for split in RatingsSplit::ALL {
            assert_eq!(split.as_str().parse::<RatingsSplit>().unwrap(), split);
            assert_eq!(split.to_string(), split.as_str());
        }
        let err = "latest".parse::<RatingsSplit>().unwrap_err().to_string();
        assert!(err.contains("random, per-user"), "{err}");
        assert_eq!(
            serde_json::to_string(&RatingsSplit::PerUser).unwrap(),
            "\"per-user\""
        );
    }

    #[test]
    fn a_stale_lookup_falls_back_to_a_scan() {
        let mut catalog = Catalog::new(
            "t",
            RatingScale { min: 1.0, max: 5.0 },
            vec!["a".into(), "b".into()],
            vec!["x".into()],
            vec![None],
        )
        .unwrap();
        assert_eq!(catalog.user_index("b"), Some(1));
        catalog.users.swap(0, 1);
        assert_eq!(catalog.user_index("b"), Some(0));
        catalog.users.push("c".into());
        assert_eq!(catalog.user_index("c"), Some(2));
        assert_eq!(catalog.user_index("zz"), None);
        assert_eq!(catalog.item_index("x"), Some(0));
    }

    #[test]
    fn latin1_decodes_every_byte() {
        assert_eq!(latin1(b"Caf\xe9 \xfc"), "Café ü");
    }
}
