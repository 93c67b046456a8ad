//! The image input pipeline against the CNN's training step, on cats-vs-dogs at 128x128:
//! decoding + resizing a folder once (images/s), augmenting + batching a batch of 32
//! (images/s), and one training step of the catsdogs CNN on a batch of 32 (images/s), with
//! and without batch norm.
//! The pipeline must not be the bottleneck: its rate should be several times the step's.
//!
//! Run: `cargo bench --bench pipeline` (needs ../shared/data, or APRENDE_SHARED_DATA).

use std::path::PathBuf;
use std::sync::Arc;

use aprende::burn::data::dataloader::batcher::Batcher;
use aprende::burn::optim::AdamConfig;
use aprende::burn::prelude::*;
use aprende::burn::train::TrainStep;
use aprende::data::augment::Augmenter;
use aprende::data::folder::load_folder;
use aprende::data::{ImageBatcher, Normalization};
use aprende::models::ModelOptions;
use aprende::train::{Classifier, OptimizerSettings, TrainingConfig};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn cats_vs_dogs() -> PathBuf {
    std::env::var_os("APRENDE_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"))
        .join("cats-vs-dogs")
}

fn bench(c: &mut Criterion) {
    let root = cats_vs_dogs();
    let mut group = c.benchmark_group("cats_vs_dogs_128");
    group.sample_size(10);

    // Decode + resize once: the 1,000 validation photos.
    group.throughput(Throughput::Elements(1000));
    group.bench_function("decode_resize_folder", |b| {
        b.iter(|| load_folder(&root.join("validation"), 128, None).unwrap())
    });

    let (set, _) = load_folder(&root.join("validation"), 128, None).unwrap();
    let all: Vec<usize> = (0..set.len()).collect();
    let norm = Normalization::fit(&set, &all);
    let set = Arc::new(set);
    let batch: Vec<usize> = (0..32).collect();
    let augmenter = Arc::new(Augmenter::new(
        "flip,rotate=15,shift=0.1,zoom=0.1,brightness=0.2"
            .parse()
            .unwrap(),
        1,
        set.len(),
    ));
    let batcher = ImageBatcher::new(set.clone())
        .with_normalization(Some(norm))
        .with_augmenter(Some(augmenter));
    group.throughput(Throughput::Elements(32));
    group.bench_function("augment_batch_32", |b| {
        let device = Device::flex();
        b.iter(|| batcher.batch(batch.clone(), &device))
    });

    // One Adam step of the CNN, with and without batch norm (batch norm's training-mode
    // statistics are a large part of a step on flex).
    for batch_norm in [true, false] {
        let config = TrainingConfig::for_data(
            "catsdogs",
            ModelOptions {
                dropout: 0.5,
                batch_norm,
                ..Default::default()
            },
            "cats-vs-dogs",
            &set,
            OptimizerSettings::new(),
        )
        .unwrap();
        let device = Device::flex().autodiff();
        let mut model = Some(Classifier::new(config.model.init(&device)));
        let mut optim = AdamConfig::new().init();
        let items = batcher.batch(batch.clone(), &device);
        let name = if batch_norm {
            "catsdogs_train_step_batch_32"
        } else {
            "catsdogs_no_batch_norm_train_step_batch_32"
        };
        group.bench_function(name, |b| {
            b.iter(|| {
                let m = model.take().unwrap();
                let out = TrainStep::step(&m, items.clone());
                model = Some(optim.step(1e-3, m, out.grads));
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
