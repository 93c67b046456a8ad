//! Recommenders: the course's user-based collaborative filtering against its hand-computed
//! example, item-based filtering as its mirror image, and whole runs (user-knn and the
//! matrix-factorisation network) on a generated ratings file: determinism under a seed,
//! users and items the training part never saw, `app recommend` never suggesting what a user
//! has rated, the network's loss falling on every backend.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use aprende::app::{recommend_for, similar_to};
use aprende::data::{DatasetSpec, LoadOptions, RatingsData, RatingsSplit};
use aprende::models::collab::{Interactions, Neighbourhood, Side};
use aprende::models::{ModelOptions, Similarity};
use aprende::train::task::recommendation::{rating_splits, ratings_shape, recommend};
use aprende::train::{LoadedRun, OptimizerSettings, Report, TrainingConfig, TrainingData, fit};
use burn::prelude::Device;

/// The course's table (Jannach et al., *Recommender Systems: An Introduction*, ch. 2): Alice
/// (user 0) has not rated item 4; users 1-4 have rated everything.
const COURSE: [[f32; 5]; 5] = [
    [5.0, 3.0, 4.0, 4.0, f32::NAN],
    [3.0, 1.0, 2.0, 3.0, 3.0],
    [4.0, 3.0, 4.0, 3.0, 5.0],
    [3.0, 3.0, 1.0, 5.0, 4.0],
    [1.0, 5.0, 5.0, 2.0, 1.0],
];

/// The table's ratings, optionally transposed (items as users).
fn course(transposed: bool) -> Interactions {
    let (mut users, mut items, mut ratings) = (vec![], vec![], vec![]);
    for (u, row) in COURSE.iter().enumerate() {
        for (i, &r) in row.iter().enumerate() {
            if !r.is_nan() {
                let (a, b) = if transposed { (i, u) } else { (u, i) };
                users.push(a as u32);
                items.push(b as u32);
                ratings.push(r);
            }
        }
    }
    Interactions::new(5, 5, (1.0, 5.0), &users, &items, &ratings).unwrap()
}

fn user_knn(k: usize) -> Neighbourhood {
    Neighbourhood {
        side: Side::Users,
        similarity: Similarity::Pearson,
        k,
        min_overlap: 1,
    }
}

#[test]
fn user_knn_reproduces_the_course_example() {
    let data = course(false);
    // Pearson over the four items Alice shares with each user: 0.85, 0.71, 0.00, -0.79.
    let sims: Vec<f32> = (1..5)
        .map(|b| data.similarity(Side::Users, Similarity::Pearson, 1, 0, b))
        .collect();
    for (got, want) in sims.iter().zip([0.853, 0.707, 0.0, -0.792]) {
        assert!((got - want).abs() < 1e-3, "{sims:?}");
    }
    // The neighbours: users 1 and 2 (user 3 is uncorrelated, user 4 opposite).
    let nearest = user_knn(2).most_similar(&data, 0, 4);
    assert_eq!(
        nearest.iter().map(|n| n.0).collect::<Vec<_>>(),
        vec![1, 2],
        "{nearest:?}"
    );
    // Alice's mean 4 plus the weighted deviations of users 1 (3 - 2.4) and 2 (5 - 3.8):
    // 4 + (0.853 * 0.6 + 0.707 * 1.2) / (0.853 + 0.707) = 4.87.
    let two = user_knn(2).predict(&data, &[(0, 4)])[0];
    assert!(two.by_model);
    assert!((two.rating - 4.872).abs() < 2e-3, "{two:?}");
    // Only positive similarities count: with every neighbour, the same answer.
    let all = user_knn(40).predict(&data, &[(0, 4)])[0];
    assert!((all.rating - two.rating).abs() < 1e-6);
    // The single nearest neighbour: 4 + (3 - 2.4) = 4.6.
    let one = user_knn(1).predict(&data, &[(0, 4)])[0];
    assert!((one.rating - 4.6).abs() < 1e-4, "{one:?}");
    // Cosine on the raw ratings ranks user 2 first.
    let cos: Vec<f32> = (1..5)
        .map(|b| data.similarity(Side::Users, Similarity::Cosine, 1, 0, b))
        .collect();
    assert!(cos[1] > cos[0] && cos.iter().all(|&c| c > 0.0), "{cos:?}");
    // Requiring more co-rated items than there are makes every user a stranger: the
    // baseline answers.
    let strict = Neighbourhood {
        min_overlap: 5,
        ..user_knn(2)
    }
    .predict(&data, &[(0, 4)])[0];
    assert!(!strict.by_model);
    assert_eq!(strict.rating, data.baseline_rating(0, 4));
}

#[test]
fn item_knn_is_user_knn_on_the_transposed_table() {
    let data = course(false);
    let transposed = course(true);
    let items = Neighbourhood {
        side: Side::Items,
        ..user_knn(2)
    };
    let pairs: Vec<(u32, u32)> = (0..5).flat_map(|u| (0..5).map(move |i| (u, i))).collect();
    let swapped: Vec<(u32, u32)> = pairs.iter().map(|&(u, i)| (i, u)).collect();
    let by_items = items.predict(&data, &pairs);
    let by_users = user_knn(2).predict(&transposed, &swapped);
    for ((a, b), pair) in by_items.iter().zip(&by_users).zip(&pairs) {
        assert_eq!(a.by_model, b.by_model, "{pair:?}");
        if a.by_model {
            assert!((a.rating - b.rating).abs() < 1e-5, "{pair:?}: {a:?} {b:?}");
        }
    }
}

/// The neighbourhood prediction written out plainly, one similarity at a time.
fn by_hand(data: &Interactions, method: &Neighbourhood, user: u32, item: u32) -> Option<f32> {
    let (a, candidates, ratings) = match method.side {
        Side::Users => (user, data.raters_of(item).0, data.raters_of(item).1),
        Side::Items => (item, data.rated_by(user).0, data.rated_by(user).1),
    };
    let mean = |side_row: u32| -> f32 {
        let r = match method.side {
            Side::Users => data.rated_by(side_row).1,
            Side::Items => data.raters_of(side_row).1,
        };
        r.iter().sum::<f32>() / r.len() as f32
    };
    let mut scored: Vec<(f32, u32, f32)> = candidates
        .iter()
        .zip(ratings)
        .filter(|(c, _)| **c != a)
        .map(|(&c, &r)| {
            let s = data.similarity(method.side, method.similarity, method.min_overlap, a, c);
            (s, c, r)
        })
        .collect();
    scored.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
    scored.truncate(method.k);
    let (mut num, mut den) = (0f64, 0f64);
    for (s, c, r) in scored {
        if s > 0.0 {
            num += f64::from(s) * f64::from(r - mean(c));
            den += f64::from(s);
        }
    }
    (den > 0.0).then(|| (mean(a) + (num / den) as f32).clamp(1.0, 5.0))
}

#[test]
fn batched_predictions_equal_the_method_written_out() {
    // 80 users x 60 items, about a third rated, from a fixed generator.
    let (mut users, mut items, mut ratings) = (vec![], vec![], vec![]);
    let mut state = 99u64;
    for u in 0..80u32 {
        for i in 0..60u32 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            if (state >> 60) < 5 {
                users.push(u);
                items.push(i);
                ratings.push(1.0 + ((state >> 20) % 5) as f32);
            }
        }
    }
    let data = Interactions::new(80, 60, (1.0, 5.0), &users, &items, &ratings).unwrap();
    let pairs: Vec<(u32, u32)> = (0..80).flat_map(|u| (0..60).map(move |i| (u, i))).collect();
    for side in [Side::Users, Side::Items] {
        for similarity in [Similarity::Pearson, Similarity::Cosine] {
            let method = Neighbourhood {
                side,
                similarity,
                k: 7,
                min_overlap: 2,
            };
            // All pairs at once (large groups) and a few at a time (small ones).
            let batched = method.predict(&data, &pairs);
            let single: Vec<_> = pairs
                .iter()
                .flat_map(|p| method.predict(&data, &[*p]))
                .collect();
            for ((p, b), s) in pairs.iter().zip(&batched).zip(&single) {
                assert_eq!(b, s, "{side:?} {similarity:?} {p:?}");
                let want = by_hand(&data, &method, p.0, p.1);
                match want {
                    Some(r) if !data.has_rated(p.0, p.1) => {
                        assert!(b.by_model, "{side:?} {p:?}");
                        assert!(
                            (b.rating - r).abs() < 1e-4,
                            "{side:?} {similarity:?} {p:?}: {b:?} against {r}"
                        );
                    }
                    _ => {}
                }
            }
        }
    }
}

#[test]
fn the_baseline_fits_biases_and_answers_strangers() {
    let data = course(false);
    let b = data.baseline();
    // User 4 rates below the mean on average, user 2 above.
    assert!(b.user_bias[2] > b.user_bias[4]);
    // A user and an item with no ratings get the mean.
    assert_eq!(b.predict(99, 99), b.mean);
    let mean: f32 = COURSE.iter().flatten().filter(|r| !r.is_nan()).sum::<f32>() / 24.0;
    assert!((b.mean - mean).abs() < 1e-5);
    assert!(
        Interactions::new(2, 2, (1.0, 5.0), &[0, 5], &[0, 1], &[3.0, 4.0]).is_err(),
        "a user id beyond the table is refused"
    );
    assert!(Interactions::new(2, 2, (1.0, 5.0), &[], &[], &[]).is_err());
}

/// A ratings file of `users` x `items` with a low-rank structure (two tastes), each user
/// rating about half the items, plus `extra` lines appended verbatim. Deterministic.
fn ratings_file(dir: &Path, users: usize, items: usize, extra: &str) -> PathBuf {
    let mut csv = String::from("user,item,rating,timestamp\n");
    let mut state = 12345u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as f64 / (1u64 << 31) as f64
    };
    for u in 0..users {
        let taste = if u % 2 == 0 { 1.0 } else { -1.0 };
        for i in 0..items {
            if next() < 0.5 {
                continue;
            }
            let genre = if i % 3 == 0 { 1.0 } else { -1.0 };
            let r = (3.0 + taste * genre * 1.2 + (next() - 0.5))
                .round()
                .clamp(1.0, 5.0);
            csv.push_str(&format!("u{u},i{i},{r},{}\n", u * 1000 + i));
        }
    }
    csv.push_str(extra);
    let path = dir.join("ratings.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

fn load(path: &Path, split: RatingsSplit, seed: u64) -> RatingsData {
    let spec: DatasetSpec = format!("ratings:{}", path.display()).parse().unwrap();
    let mut options = LoadOptions::new(aprende::data::DataDir(path.parent().unwrap().into()));
    options.seed = seed;
    options.ratings.split = split;
    options.download.offline = true;
    spec.load_ratings(&options).unwrap()
}

fn config(model: &str, ratings: &RatingsData, data: &TrainingData, seed: u64) -> TrainingConfig {
    let input = aprende::models::InputSpec {
        channels: 2,
        height: 1,
        width: 1,
        num_classes: 1,
        ratings: Some(ratings_shape(&ratings.catalog, &ratings.train)),
    };
    let recipe = aprende::models::registry_find(model).unwrap().recipe;
    TrainingConfig::for_input(
        model,
        ModelOptions {
            factors: 8,
            min_overlap: 2,
            ..ModelOptions::default()
        },
        "ratings:test",
        input,
        data.train.class_names.clone(),
        OptimizerSettings::new().with_lr(0.01),
    )
    .unwrap()
    .with_task("recommend".into())
    .with_epochs(6)
    .with_batch_size(64)
    .with_patience(0)
    .with_l2(recipe.l2)
    .with_val_split(0.1)
    .with_seed(seed)
}

fn run(
    model: &str,
    ratings: RatingsData,
    dir: &Path,
    device: &Device,
    backend: &str,
    seed: u64,
) -> Report {
    let ratings = Arc::new(ratings);
    let data = TrainingData::new(rating_splits(&ratings), 0.1, seed)
        .unwrap()
        .with_ratings(ratings.clone());
    let config = config(model, &ratings, &data, seed);
    fit(&config, &data, device, &common::quiet(dir, backend))
        .unwrap()
        .report
}

#[test]
fn matrix_factorization_learns_on_every_backend() {
    let dir = tempfile::tempdir().unwrap();
    let file = ratings_file(dir.path(), 60, 40, "");
    for (kind, device) in common::test_devices() {
        let out = dir.path().join(kind.to_string());
        let report = run(
            "matrix-factorization",
            load(&file, RatingsSplit::Random, 7),
            &out,
            &device,
            &kind.to_string(),
            7,
        );
        let h = &report.history;
        assert_eq!(h.len(), 6, "{kind}");
        assert!(
            h.last().unwrap().train_loss < 0.8 * h[0].train_loss,
            "{kind}: the loss did not fall: {h:?}"
        );
        let rmse = report.test.rmse.unwrap();
        assert!(
            rmse.is_finite() && rmse < report.test.baseline_rmse.unwrap(),
            "{kind}: {:?}",
            report.test
        );
        for file in [
            "model.bpk",
            "config.json",
            "catalog.json",
            "ratings.csv",
            "errors.png",
            "report.md",
        ] {
            assert!(out.join(file).is_file(), "{kind}: no {file}");
        }
    }
}

#[test]
fn runs_repeat_under_a_seed_and_differ_under_another() {
    let dir = tempfile::tempdir().unwrap();
    let file = ratings_file(dir.path(), 40, 30, "");
    let device = Device::flex();
    for model in ["user-knn", "item-knn", "matrix-factorization"] {
        let a = run(
            model,
            load(&file, RatingsSplit::Random, 3),
            &dir.path().join("a"),
            &device,
            "flex",
            3,
        );
        let b = run(
            model,
            load(&file, RatingsSplit::Random, 3),
            &dir.path().join("b"),
            &device,
            "flex",
            3,
        );
        let c = run(
            model,
            load(&file, RatingsSplit::Random, 4),
            &dir.path().join("c"),
            &device,
            "flex",
            4,
        );
        assert_eq!(a.test, b.test, "{model}");
        let losses = |r: &Report| -> Vec<(f64, f64)> {
            r.history
                .iter()
                .map(|e| (e.train_loss, e.val_loss))
                .collect()
        };
        assert_eq!(losses(&a), losses(&b), "{model}");
        assert_ne!(
            a.test.rmse, c.test.rmse,
            "{model}: another seed, another split"
        );
    }
}

#[test]
fn users_and_items_without_training_ratings_get_the_baseline() {
    let dir = tempfile::tempdir().unwrap();
    // An item only a newcomer rated, last: under the per-user split the newcomer's latest
    // rating (a fifth of three, rounded) is held out, so the item has no training rating.
    let file = ratings_file(
        dir.path(),
        30,
        20,
        "newcomer,i0,4,1\nnewcomer,i1,2,2\nnewcomer,lonely,5,999999999\n",
    );
    let ratings = load(&file, RatingsSplit::PerUser, 1);
    assert!(
        ratings.cold.items >= 1 && ratings.cold.ratings >= 1,
        "{:?}",
        ratings.cold
    );
    let device = Device::flex();
    for model in ["user-knn", "matrix-factorization"] {
        let out = dir.path().join(model);
        let report = run(model, ratings.clone(), &out, &device, "flex", 1);
        let t = &report.test;
        for v in [
            t.rmse,
            t.mae,
            t.precision_at_10,
            t.recall_at_10,
            t.coverage,
            t.baseline_rmse,
        ] {
            assert!(v.unwrap().is_finite(), "{model}: {t:?}");
        }
        assert!(
            t.coverage.unwrap() < 1.0,
            "{model}: the lonely item is the baseline's"
        );
        let text = std::fs::read_to_string(out.join("report.json")).unwrap();
        assert!(!text.contains("NaN") && !text.contains("null"), "{text}");

        let run = LoadedRun::load(&out, &device).unwrap();
        let stranger = recommend_for(&run, "nobody-at-all", 5, &device).unwrap();
        assert!(!stranger.known_user);
        assert_eq!(stranger.items.len(), 5);
        let err = similar_to(&run, "no-such-item", 5).unwrap_err().to_string();
        assert!(err.contains("no-such-item"), "{err}");
        let err = similar_to(&run, "lonely", 5).unwrap_err().to_string();
        assert!(err.contains("no training ratings"), "{err}");
        assert!(!similar_to(&run, "i0", 5).unwrap().similar.is_empty());
    }
}

#[test]
fn recommendations_skip_what_the_user_rated_and_come_best_first() {
    let dir = tempfile::tempdir().unwrap();
    let file = ratings_file(dir.path(), 40, 30, "");
    let device = Device::flex();
    for model in ["user-knn", "item-knn", "matrix-factorization"] {
        let out = dir.path().join(model);
        run(
            model,
            load(&file, RatingsSplit::Random, 5),
            &out,
            &device,
            "flex",
            5,
        );
        let loaded = LoadedRun::load(&out, &device).unwrap();
        let catalog = loaded.catalog.as_ref().unwrap();
        let data = loaded.network.interactions().unwrap().clone();
        for user in 0..catalog.users.len() as u32 {
            let (items, known) = recommend(&loaded.network, user, 1000, &device).unwrap();
            assert!(known);
            let rated = data.rated_by(user).0.len();
            let items_known = (0..catalog.items.len() as u32)
                .filter(|&i| data.knows_item(i))
                .count();
            assert_eq!(
                items.len(),
                items_known - rated,
                "{model}: every unrated item is ranked"
            );
            for r in &items {
                assert!(
                    !data.has_rated(user, r.item),
                    "{model}: user {user} already rated {}",
                    r.item
                );
                assert!(r.rating >= 1.0 && r.rating <= 5.0);
            }
            assert!(items.windows(2).all(|w| w[0].rating >= w[1].rating));
        }
        let top = recommend_for(&loaded, &catalog.users[0], 3, &device).unwrap();
        assert!(top.known_user);
        assert_eq!(top.items.len(), 3);
    }
}

#[test]
fn app_evaluate_reproduces_the_runs_test_figures() {
    let dir = tempfile::tempdir().unwrap();
    let file = ratings_file(dir.path(), 40, 30, "");
    let device = Device::flex();
    let out = dir.path().join("run");
    // The run's config names its own dataset, as the binary writes it.
    let spec = format!("ratings:{}", file.display());
    let shared = Arc::new(load(&file, RatingsSplit::Random, 9));
    let data = TrainingData::new(rating_splits(&shared), 0.1, 9)
        .unwrap()
        .with_ratings(shared.clone());
    let mut config = config("user-knn", &shared, &data, 9);
    config.dataset = spec;
    let report = fit(&config, &data, &device, &common::quiet(&out, "flex"))
        .unwrap()
        .report;
    let options = aprende::app::EvaluateOptions {
        dataset: None,
        split: aprende::app::EvalSplit::Test,
        data_dir: aprende::data::DataDir(dir.path().into()),
        download: aprende::data::DownloadOptions {
            offline: true,
            ..Default::default()
        },
        out: Some(dir.path().join("eval")),
    };
    let (evaluation, _) = aprende::app::evaluate_run(&out, &options, &device).unwrap();
    assert_eq!(evaluation.metrics.rmse, report.test.rmse);
    assert_eq!(
        evaluation.metrics.precision_at_10,
        report.test.precision_at_10
    );
}
