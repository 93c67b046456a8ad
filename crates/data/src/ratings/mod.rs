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
//!
//! The parts: the types (here), the split and its cold-start counts (`split`), the ratings
//! file parser (`parse`), the titles of items files (`items`), the MovieLens archives
//! (`movielens`), and loading a dataset by its [`RatingsSource`] (`load`).

use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::error::{DataError, Result};
use crate::fsutil::write_atomic;

mod items;
mod load;
mod movielens;
mod parse;
mod split;

pub use movielens::{
    MOVIELENS_100K, MOVIELENS_DEFAULT_MIRRORS, MOVIELENS_MIRROR_ENV_VAR, MOVIELENS_SMALL,
    MovielensArchive, fetch_movielens_archive,
};
use parse::{Layout, read_rows};
pub use split::{ColdStart, RatingsSplit};

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

    /// A short name for artifact folders and catalogs: `movielens-small`, `movielens-100k`, or
    /// the stem of a ratings file.
    pub fn short_name(&self) -> String {
        match self {
            RatingsSource::Csv(path) => path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "ratings".into()),
            movielens => movielens.to_string(),
        }
    }
}

impl fmt::Display for RatingsSource {
    /// The name `--dataset` takes: `movielens-small`, `movielens-100k`, `ratings:PATH`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RatingsSource::Csv(path) => write!(f, "ratings:{}", path.display()),
            movielens => f.write_str(movielens.movielens_name().unwrap_or("ratings")),
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

/// How to read and split a ratings dataset (beside `LoadOptions`' `test_split` and `seed`).
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
