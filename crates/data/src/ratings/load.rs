//! Loading a ratings dataset: reading it (downloading a missing MovieLens set first), and
//! splitting it.

use super::items::{read_items_csv, read_u_item};
use super::movielens::{MOVIELENS_100K, MOVIELENS_SMALL, fetch_movielens_archive};
use super::parse::{Layout, Loaded, read_ratings};
use super::split::{per_user_split, random_split};
use super::{ColdStart, RatingColumns, RatingScale, RatingsData, RatingsSource, RatingsSplit};
use crate::error::{DataError, Result};
use crate::source::{DatasetSpec, LoadOptions};

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
