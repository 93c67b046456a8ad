//! Loading a ratings dataset: reading it (downloading a missing MovieLens set first), and
//! splitting it.

use super::items::{read_items_csv, read_u_item};
use super::movielens::{MOVIELENS_100K, MOVIELENS_SMALL, fetch_movielens_archive};
use super::parse::{Layout, Loaded, read_ratings};
use super::split::{per_user_split, random_split};
use super::{
    ColdStart, RatingColumns, RatingScale, RatingsData, RatingsOptions, RatingsSource, RatingsSplit,
};
use crate::catalog::DataDir;
use crate::download::DownloadOptions;
use crate::error::{DataError, Result};

impl RatingsSource {
    /// Loads the ratings (downloading a missing MovieLens set into `data_dir` as `download`
    /// says) and splits them: `fraction` of them held out for testing (`--test-split`, in
    /// `(0, 1)`) as `options.split` says, seeded by `seed`.
    pub fn load(
        &self,
        data_dir: &DataDir,
        download: &DownloadOptions,
        options: &RatingsOptions,
        fraction: f64,
        seed: u64,
    ) -> Result<RatingsData> {
        if !(fraction > 0.0 && fraction < 1.0) {
            return Err(DataError::Invalid(format!(
                "--test-split must be in (0, 1) for ratings, got {fraction}"
            )));
        }
        let name = self.short_name();
        let loaded = match self {
            RatingsSource::MovielensSmall => {
                let dir = data_dir.0.join("movielens-small");
                fetch_movielens_archive(&MOVIELENS_SMALL, &dir, download)?;
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
                let dir = data_dir.0.join("movielens-100k");
                fetch_movielens_archive(&MOVIELENS_100K, &dir, download)?;
                let layout =
                    Layout::u_data(&dir.join("u.data"), Some(RatingScale::MOVIELENS_100K))?;
                let mut loaded = read_ratings(&layout, name)?;
                read_u_item(&dir.join("u.item"), &mut loaded.catalog)?;
                loaded
            }
            RatingsSource::Csv(path) => {
                if let Some(scale) = options.scale {
                    scale.check()?;
                }
                let layout = Layout::csv(path, &options.columns, options.scale)?;
                let mut loaded = read_ratings(&layout, name)?;
                if let Some(items) = &options.items {
                    read_items_csv(items, &options.columns.item, &mut loaded.catalog)?;
                }
                loaded
            }
        };
        let Loaded {
            catalog,
            ratings,
            duplicates,
        } = loaded;
        let (train, test) = match options.split {
            RatingsSplit::Random => random_split(ratings.len(), fraction, seed),
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
                options.split,
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
