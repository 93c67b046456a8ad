//! Training on several devices (`--devices flex,flex`): burn's multi-device strategy with
//! aprende's semantics. N devices with `--batch-size B` take one optimizer step per N
//! batches, and that step is the one a single device takes on the combined batch of N x B;
//! interruption, resume and early stopping behave as on one device.

mod common;

use aprende::burn::prelude::*;
use aprende::data::ImageSplits;
use aprende::models::ModelOptions;
use aprende::train::{
    DeviceList, Devices, FitOptions, OptimizerKind, OptimizerSettings, Report, Strategy,
    TrainingConfig, TrainingData, fit,
};

fn devices(list: &str) -> Devices {
    list.parse::<DeviceList>()
        .unwrap()
        .open(false, None)
        .unwrap()
}

/// MNIST's first `per_class` training images of each class, `val_split` of them held out.
fn mnist_part(per_class: usize, val_split: f64, seed: u64) -> TrainingData {
    let mnist = common::mnist();
    let splits = ImageSplits {
        train: mnist.train.balanced_head(per_class),
        test: mnist.test.balanced_head(10),
        skipped: Vec::new(),
        feature_names: Vec::new(),
    };
    TrainingData::new(splits, val_split, seed).unwrap()
}

fn mlp_config(data: &TrainingData, optimizer: OptimizerSettings) -> TrainingConfig {
    TrainingConfig::for_data(
        "mlp",
        ModelOptions {
            dropout: 0.0,
            ..common::dense(&[64])
        },
        "mnist",
        &data.train,
        optimizer,
    )
    .unwrap()
    .with_epochs(1)
    .with_patience(0)
    .with_seed(5)
}

fn quiet_on(dir: &std::path::Path, list: &str) -> FitOptions {
    common::quiet(dir, "flex").with_devices(devices(list))
}

#[test]
fn two_flex_devices_train_an_epoch_with_one_step_per_pair_of_batches() {
    let mut data = mnist_part(150, 0.2, 5);
    // An odd number of training examples: the second device's slice would be one longer.
    if data.split.train.len().is_multiple_of(2) {
        data.split.train.pop();
    }
    let n = data.split.train.len();
    let config = mlp_config(&data, OptimizerSettings::new().with_lr(3e-3)).with_batch_size(16);

    let dir = tempfile::tempdir().unwrap();
    let two = fit(
        &config,
        &data,
        &Device::flex(),
        &quiet_on(dir.path(), "flex,flex"),
    )
    .unwrap()
    .report;
    assert_eq!(two.devices, ["flex", "flex"]);
    assert_eq!(two.strategy, Strategy::MultiDevice);
    assert_eq!(two.global_batch, 32);
    assert_eq!(two.history.len(), 1);
    assert_eq!(
        two.history[0].steps,
        n.div_ceil(2 * 16),
        "one optimizer step per pair of batches of {n} examples"
    );
    // An untrained 10-class classifier's loss is ln 10 = 2.30; one epoch brings it down.
    let untrained = 10f64.ln();
    assert!(
        two.history[0].val_loss < 0.6 * untrained,
        "{:?}",
        two.history
    );
    let on_disk = Report::load(&dir.path().join("report.json")).unwrap();
    assert_eq!(on_disk.devices, two.devices);
    assert_eq!(on_disk.strategy, Strategy::MultiDevice);
    assert_eq!(on_disk.optimizer_steps(), n.div_ceil(32));
    let text = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(
        text.contains("on 2 `flex` devices (flex, flex, multi-device; global batch 32"),
        "{text}"
    );

    // One device with the same per-device batch steps once per batch.
    let one_dir = tempfile::tempdir().unwrap();
    let one = fit(
        &config,
        &data,
        &Device::flex(),
        &common::quiet(one_dir.path(), "flex"),
    )
    .unwrap()
    .report;
    assert_eq!(one.strategy, Strategy::SingleDevice);
    assert_eq!(one.devices, ["flex"]);
    assert_eq!(one.global_batch, 16);
    assert_eq!(one.history[0].steps, n.div_ceil(16));
}

/// The outputs of `network` on the first test images, flattened.
fn outputs(network: &aprende::models::Network, data: &TrainingData) -> Vec<f32> {
    let indices: Vec<usize> = (0..20).collect();
    let images =
        aprende::data::ImageBatcher::new(data.test.clone()).images(&indices, &Device::flex());
    network
        .forward(images)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap()
}

fn max_difference(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn one_step_on_two_devices_is_one_step_on_one_device_with_the_combined_batch() {
    // 32 training examples, validated on themselves; plain SGD: one epoch is one step.
    let mut data = mnist_part(4, 0.0, 3);
    data.split.train.truncate(32);
    let sgd = |lr: f64| {
        OptimizerSettings::new()
            .with_kind(OptimizerKind::Sgd)
            .with_lr(lr)
    };
    let run = |config: &TrainingConfig, options: FitOptions| {
        fit(config, &data, &Device::flex(), &options).unwrap()
    };
    let (a, b, c, d) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let two = run(
        &mlp_config(&data, sgd(0.5)).with_batch_size(16),
        quiet_on(a.path(), "flex,flex"),
    );
    let one = run(
        &mlp_config(&data, sgd(0.5)).with_batch_size(32),
        common::quiet(b.path(), "flex"),
    );
    // What burn's summed gradients alone would give: twice the step.
    let summed = run(
        &mlp_config(&data, sgd(1.0)).with_batch_size(32),
        common::quiet(c.path(), "flex"),
    );
    // A step too small to move anything: the initial weights (the same seed draws them).
    let untrained = run(
        &mlp_config(&data, sgd(1e-12)).with_batch_size(32),
        common::quiet(d.path(), "flex"),
    );
    assert_eq!(two.report.history[0].steps, 1);
    assert_eq!(one.report.history[0].steps, 1);

    let (two, one, summed, untrained) = (
        outputs(&two.network, &data),
        outputs(&one.network, &data),
        outputs(&summed.network, &data),
        outputs(&untrained.network, &data),
    );
    let step = max_difference(&one, &untrained);
    assert!(step > 1e-2, "the step moved the outputs by {step}");
    let gap = max_difference(&two, &one);
    assert!(
        gap < 1e-4 * step.max(1.0),
        "two devices differ from one device with the combined batch by {gap} (step {step})"
    );
    assert!(max_difference(&two, &summed) > 0.1 * step);
}

#[test]
fn two_devices_stop_early_and_resume_as_one_does() {
    let data = mnist_part(45, 1.0 / 3.0, 11);
    let config = mlp_config(&data, OptimizerSettings::new().with_lr(1e-2))
        .with_batch_size(8)
        .with_epochs(60)
        .with_patience(2);

    // Interrupted (as Ctrl-C does) once epoch 2 is saved, then resumed to its end.
    let dir = tempfile::tempdir().unwrap();
    let stopped = fit(
        &config,
        &data,
        &Device::flex(),
        &common::stopped_once_written(dir.path(), "checkpoint/model-2.bpk")
            .with_devices(devices("flex,flex")),
    )
    .unwrap()
    .report;
    assert!(stopped.interrupted, "{:?}", stopped.history);
    assert!(stopped.epochs_run >= 2);
    let resumed = fit(
        &config,
        &data,
        &Device::flex(),
        &common::resuming(dir.path()).with_devices(devices("flex,flex")),
    )
    .unwrap()
    .report;
    let epochs: Vec<usize> = resumed.history.iter().map(|r| r.epoch).collect();
    assert_eq!(epochs, (1..=resumed.epochs_run).collect::<Vec<_>>());
    let per_epoch = data.split.train.len().div_ceil(16);
    assert!(
        resumed.history.iter().all(|r| r.steps == per_epoch),
        "{per_epoch} steps every epoch: {:?}",
        resumed.history
    );
    assert!(resumed.stopped_early, "{:?}", resumed.history);
    assert_eq!(resumed.epochs_run - resumed.best_epoch, 2);
    assert_eq!(resumed.strategy, Strategy::MultiDevice);
}

#[test]
fn every_backend_trains_on_two_of_its_devices() {
    let set = aprende::data::playground::generate(
        aprende::data::playground::Problem::Circle,
        240,
        0.0,
        3,
    )
    .unwrap();
    let splits = ImageSplits {
        train: set.clone(),
        test: set,
        skipped: Vec::new(),
        feature_names: Vec::new(),
    };
    let data = TrainingData::new(splits, 0.25, 3).unwrap();
    let config = TrainingConfig::for_data(
        "mlp",
        common::dense(&[8]),
        "circle",
        &data.train,
        OptimizerSettings::new().with_lr(0.03),
    )
    .unwrap()
    .with_epochs(2)
    .with_patience(0)
    .with_batch_size(16)
    .with_seed(3);
    let n = data.split.train.len();
    for (backend, _) in common::test_devices() {
        let list = format!("{backend},{backend}");
        let devices = devices(&list);
        let dir = tempfile::tempdir().unwrap();
        let report = fit(
            &config,
            &data,
            devices.main(),
            &common::quiet(dir.path(), backend.as_str()).with_devices(devices.clone()),
        )
        .unwrap_or_else(|e| panic!("{list}: {e}"))
        .report;
        assert_eq!(report.devices, [backend.as_str(), backend.as_str()]);
        assert!(
            report.history.iter().all(|r| r.steps == n.div_ceil(32)),
            "{list}: {:?}",
            report.history
        );
        assert!(
            report.history.iter().all(|r| r.val_loss.is_finite()),
            "{list}: {:?}",
            report.history
        );
    }
}
