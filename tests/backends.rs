//! One training function, every backend: flex, ndarray and wgpu (when an adapter exists; CI
//! sets APRENDE_REQUIRE_WGPU=1 so a missing adapter fails instead of skipping).

mod common;

use aprende::burn::module::Module;
use aprende::burn::prelude::*;
use aprende::data::ImageSplits;
use aprende::models::ModelOptions;
use aprende::train::{
    BackendKind, FitOutcome, OptimizerSettings, TrainingConfig, TrainingData, fit,
};

fn small_mnist() -> ImageSplits {
    let mnist = common::mnist();
    ImageSplits {
        train: mnist.train.balanced_head(60),
        test: mnist.test.balanced_head(30),
        skipped: Vec::new(),
        feature_names: Vec::new(),
    }
}

/// Runs the same `fit` on every test backend, each into its own artifact directory.
fn fit_on_every_backend(
    config: &TrainingConfig,
    data: &TrainingData,
) -> Vec<(BackendKind, tempfile::TempDir, FitOutcome)> {
    common::test_devices()
        .into_iter()
        .map(|(kind, device)| {
            let dir = tempfile::tempdir().unwrap();
            let outcome = fit(
                config,
                data,
                &device,
                &common::quiet(dir.path(), kind.as_str()),
            )
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
            (kind, dir, outcome)
        })
        .collect()
}

#[test]
fn the_same_training_lowers_the_loss_and_beats_chance_on_every_backend() {
    let splits = small_mnist();
    let options = common::dense(&[64]);
    let config = TrainingConfig::for_data(
        "mlp",
        options,
        "mnist",
        &splits.train,
        OptimizerSettings::new(),
    )
    .unwrap()
    .with_epochs(4)
    .with_batch_size(32)
    .with_val_split(0.2)
    .with_seed(7);
    let data = TrainingData::new(splits, config.val_split, config.seed).unwrap();
    for (kind, dir, outcome) in fit_on_every_backend(&config, &data) {
        let h = &outcome.report.history;
        assert_eq!(h.len(), 4, "{kind}");
        assert!(dir.path().join("model.bpk").is_file(), "{kind}");
        assert!(
            h[3].train_loss < 0.7 * h[0].train_loss,
            "{kind}: loss did not fall: {h:?}"
        );
        assert!(h[3].val_loss < h[0].val_loss, "{kind}: {h:?}");
        let acc = outcome.report.test.accuracy.unwrap();
        assert!(acc > 0.6, "{kind}: test accuracy {acc} (chance is 0.1)");
        assert_eq!(outcome.report.backend, kind.to_string());
    }
}

#[test]
fn backends_agree_on_the_logits_of_the_same_weights() {
    let mnist = common::mnist();
    let batch = mnist.test.balanced_head(2);
    let flex = Device::flex();
    for model in ["mlp", "lenet"] {
        let config = TrainingConfig::for_data(
            model,
            ModelOptions::default(),
            "mnist",
            &batch,
            OptimizerSettings::new(),
        )
        .unwrap();
        flex.seed(3);
        let reference = config.model.init(&flex);
        let images = |d: &Device| {
            aprende::data::ImageBatcher::new(std::sync::Arc::new(batch.clone()))
                .images(&(0..batch.len()).collect::<Vec<_>>(), d)
        };
        let expected: Vec<f32> = reference
            .forward(images(&flex))
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        for (kind, device) in common::test_devices() {
            let net = config
                .model
                .init(&device)
                .load_record(reference.clone().into_record());
            let got: Vec<f32> = net
                .forward(images(&device))
                .into_data()
                .try_to_vec::<f32>()
                .unwrap();
            assert_eq!(got.len(), expected.len());
            let max_diff = got
                .iter()
                .zip(&expected)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(
                max_diff < 1e-4,
                "{model} on {kind}: logits differ by {max_diff}"
            );
        }
    }
}

/// Two classes of 16x16 RGB images: a bright blob top-left or bottom-right, on noise.
fn blobs(n: usize, seed: u64) -> aprende::data::ImageSet {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    let mut noise = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 59) as u8 * 6
    };
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for i in 0..n {
        let label = i % 2;
        for _c in 0..3 {
            for y in 0..16i32 {
                for x in 0..16i32 {
                    let (cx, cy) = if label == 0 { (4, 4) } else { (11, 11) };
                    let blob = (x - cx).abs() < 3 && (y - cy).abs() < 3;
                    pixels.push(if blob { 200 } else { 30 } + noise());
                }
            }
        }
        labels.push(label);
    }
    aprende::data::ImageSet {
        channels: 3,
        height: 16,
        width: 16,
        values: aprende::data::Values::U8(pixels),
        labels,
        class_names: vec!["top-left".into(), "bottom-right".into()],
        targets: None,
    }
}

#[test]
fn the_batch_norm_cnn_lowers_the_loss_on_every_backend() {
    let splits = ImageSplits {
        train: blobs(80, 1),
        test: blobs(20, 2),
        skipped: Vec::new(),
        feature_names: Vec::new(),
    };
    let options = ModelOptions {
        widths: Some(vec![4, 8]),
        dropout: 0.25,
        ..Default::default()
    };
    let config = TrainingConfig::for_data(
        "catsdogs",
        options,
        "blobs",
        &splits.train,
        OptimizerSettings::new(),
    )
    .unwrap()
    .with_epochs(3)
    .with_batch_size(16)
    .with_val_split(0.25)
    .with_augment("flip".parse().unwrap());
    let data = TrainingData::new(splits, config.val_split, config.seed).unwrap();
    for (kind, dir, outcome) in fit_on_every_backend(&config, &data) {
        let h = &outcome.report.history;
        assert!(h[2].train_loss < h[0].train_loss, "{kind}: {h:?}");
        assert!(dir.path().join("augmentations.png").is_file(), "{kind}");
    }
}
