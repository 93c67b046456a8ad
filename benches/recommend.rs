//! Recommenders' predictions per second on MovieLens small (random 80/20 split, seed 42), on
//! flex: every held-out rating (20,167) predicted by user-knn, item-knn and the
//! matrix-factorisation network (its weights untrained: the speed is the same), and one
//! user's top 10 among every unrated item (about 9,600 predictions and a sort).
//!
//! Run: `cargo bench --bench recommend` (needs ../shared, or APRENDE_SHARED_DATA).

use std::path::PathBuf;

use aprende::burn::prelude::*;
use aprende::data::{DataDir, DatasetSpec, LoadOptions};
use aprende::models::{InputSpec, ModelOptions, registry_find};
use aprende::train::task::recommendation::{estimate, interactions, ratings_shape, recommend};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn shared_data() -> PathBuf {
    std::env::var_os("APRENDE_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"))
}

fn bench(c: &mut Criterion) {
    let mut options = LoadOptions::new(DataDir(shared_data()));
    options.download.offline = true;
    let spec: DatasetSpec = "movielens-small".parse().unwrap();
    let ratings = spec
        .load_ratings(&options)
        .expect("../shared/data/movielens-small");
    let device = Device::flex();
    let input = InputSpec {
        channels: 2,
        height: 1,
        width: 1,
        num_classes: 1,
        ratings: Some(ratings_shape(&ratings.catalog, &ratings.train)),
    };
    let data = interactions(&ratings.catalog, &ratings.train).unwrap();
    let pairs: Vec<(u32, u32)> = ratings
        .test
        .user
        .iter()
        .zip(&ratings.test.item)
        .map(|(&u, &i)| (u, i))
        .collect();

    let mut group = c.benchmark_group("movielens_small");
    group.sample_size(10);
    for model in ["user-knn", "item-knn", "matrix-factorization"] {
        let entry = registry_find(model).unwrap();
        let network = (entry.config)(&ModelOptions::default(), &input)
            .unwrap()
            .init(&device)
            .with_interactions(data.clone());
        group.throughput(Throughput::Elements(pairs.len() as u64));
        group.bench_function(format!("{model}_test_ratings"), |b| {
            b.iter(|| estimate(&network, &pairs, &device).unwrap())
        });
        group.throughput(Throughput::Elements(1));
        group.bench_function(format!("{model}_top10_for_a_user"), |b| {
            b.iter(|| recommend(&network, 41, 10, &device).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
