//! Training speed on the flex CPU backend: one optimizer step (forward, backward, Adam) on a
//! batch of 64 real MNIST images, for the MNIST MLP (784-512-512-10, dropout 0.2) and LeNet,
//! and the batcher's throughput. An MNIST epoch with the default 15% validation split is
//! 797 steps of 64, so seconds per epoch ~= 797 x the step time (plus validation, ~1%).
//!
//! Run: `cargo bench --bench epoch` (needs ../shared/data, or APRENDE_SHARED_DATA).
//! The whole-epoch figure, validation included, is in every run's report.json
//! (`history[].seconds`), e.g. `cargo run --release -p train -- --epochs 1`.

use std::path::PathBuf;
use std::sync::Arc;

use aprende::burn::data::dataloader::batcher::Batcher;
use aprende::burn::optim::AdamConfig;
use aprende::burn::prelude::*;
use aprende::burn::train::TrainStep;
use aprende::data::{DataDir, DatasetName, DownloadOptions, ImageBatcher, load_image_dataset};
use aprende::models::{ActivationKind, ModelOptions};
use aprende::train::{Classifier, OptimizerSettings, TrainingConfig};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn shared_data() -> PathBuf {
    std::env::var_os("APRENDE_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"))
}

fn bench(c: &mut Criterion) {
    let options = DownloadOptions {
        offline: true,
        ..Default::default()
    };
    let mnist = load_image_dataset(DatasetName::Mnist, &DataDir(shared_data()), &options)
        .expect("MNIST in ../shared/data");
    let set = Arc::new(mnist.train);
    let batcher = ImageBatcher::new(set.clone());
    let indices: Vec<usize> = (0..64).collect();

    let mut group = c.benchmark_group("flex");
    group.sample_size(20);
    group.throughput(Throughput::Elements(64));
    group.bench_function("batch_64_images", |b| {
        let device = Device::flex();
        b.iter(|| batcher.batch(indices.clone(), &device))
    });

    for (name, model_options) in [
        (
            "mlp",
            ModelOptions {
                hidden: vec![512, 512],
                activation: ActivationKind::Relu,
                dropout: 0.2,
                ..Default::default()
            },
        ),
        ("lenet", ModelOptions::default()),
    ] {
        let config =
            TrainingConfig::for_data(name, model_options, "mnist", &set, OptimizerSettings::new())
                .unwrap();
        let device = Device::flex().autodiff();
        device.seed(1);
        let mut model = Some(Classifier::new(config.model.init(&device)));
        let mut optim = AdamConfig::new().init();
        let batch = batcher.batch(indices.clone(), &device);
        group.bench_function(format!("{name}_train_step_batch_64"), |b| {
            b.iter(|| {
                let m = model.take().unwrap();
                let out = TrainStep::step(&m, batch.clone());
                let m = optim.step(1e-3, m, out.grads);
                model = Some(m);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
