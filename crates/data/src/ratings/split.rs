//! Splitting ratings into a training and a test part: at random, or each user's latest; and
//! what the test part holds that the training part cannot know.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::Ratings;
use crate::names::impl_named;

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

impl_named!(RatingsSplit, as_str, "ratings split", "splits");

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

/// Indices of the training and test parts of a random split: the first `round(n * fraction)`
/// of a seeded shuffle are held out; both parts ascending.
pub(super) fn random_split(n: usize, fraction: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
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
pub(super) fn per_user_split(
    ratings: &Ratings,
    num_users: usize,
    fraction: f64,
) -> (Vec<usize>, Vec<usize>) {
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
}
