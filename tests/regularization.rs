//! `--l1` and `--l2`: the penalty is exactly the rate times the weights' sum of absolute
//! values or squares (weights, not biases), and training with it shrinks the weights.

mod common;

use aprende::burn::module::{Module, ModuleVisitor, Param};
use aprende::burn::prelude::*;
use aprende::data::ImageSplits;
use aprende::data::playground::{Problem, generate};
use aprende::models::{ActivationKind, ModelOptions, Network};
use aprende::train::{OptimizerSettings, Penalty, TrainingConfig, TrainingData, fit};

/// Every parameter's values with its rank.
fn parameters(network: &Network) -> Vec<(usize, Vec<f32>)> {
    struct Collect(Vec<(usize, Vec<f32>)>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0
                .push((D, param.val().into_data().iter::<f32>().collect()));
        }
    }
    let mut collect = Collect(Vec::new());
    network.visit(&mut collect);
    collect.0
}

fn spiral_config(l1: f64, l2: f64) -> (TrainingConfig, TrainingData) {
    let set = generate(Problem::Spiral, 200, 0.0, 5).unwrap();
    let splits = ImageSplits {
        train: set.clone(),
        test: set,
        skipped: Vec::new(),
        feature_names: Vec::new(),
    };
    let options = ModelOptions {
        hidden: vec![8, 8],
        activation: ActivationKind::Tanh,
        dropout: 0.0,
        ..ModelOptions::default()
    };
    let config = TrainingConfig::for_data(
        "mlp",
        options,
        "spiral",
        &splits.train,
        OptimizerSettings::new().with_lr(0.03),
    )
    .unwrap()
    .with_epochs(30)
    .with_batch_size(32)
    .with_seed(9)
    .with_l1(l1)
    .with_l2(l2);
    let data = TrainingData::new(splits, 0.2, 9).unwrap();
    (config, data)
}

#[test]
fn the_penalty_is_the_rate_times_the_weights_norm_and_leaves_biases_alone() {
    let (config, _) = spiral_config(0.0, 0.0);
    let device = Device::flex();
    device.seed(4);
    let network = config.model.init(&device);
    let params = parameters(&network);
    let weights: Vec<f32> = params
        .iter()
        .filter(|(rank, _)| *rank >= 2)
        .flat_map(|(_, v)| v.iter().copied())
        .collect();
    // Three dense layers 2-8-8-2: 16 + 64 + 16 weights, and their biases left out.
    assert_eq!(weights.len(), 96);
    assert!(params.iter().any(|(rank, _)| *rank == 1));
    let abs: f64 = weights.iter().map(|w| f64::from(w.abs())).sum();
    let sq: f64 = weights.iter().map(|w| f64::from(w * w)).sum();
    for (l1, l2) in [(0.01, 0.0), (0.0, 0.02), (0.003, 0.05)] {
        let got = Penalty { l1, l2 }.value(&network);
        let want = l1 * abs + l2 * sq;
        assert!(
            (got - want).abs() < 1e-5 * want.max(1.0),
            "l1 {l1}, l2 {l2}: {got} != {want}"
        );
        // Added to a loss, it adds exactly that.
        let loss = Tensor::<1>::from_data([0.25f32], &device);
        let total = Penalty { l1, l2 }
            .added_to(loss, &network)
            .into_scalar::<f32>();
        assert!((f64::from(total) - 0.25 - want).abs() < 1e-5, "{total}");
    }
    assert_eq!(Penalty::NONE.value(&network), 0.0);
}

#[test]
fn training_with_l2_shrinks_the_weights_and_reports_the_penalty() {
    let norm = |network: &Network| -> f64 {
        parameters(network)
            .iter()
            .filter(|(rank, _)| *rank >= 2)
            .flat_map(|(_, v)| v.iter().map(|w| f64::from(w * w)))
            .sum()
    };
    let device = Device::flex();
    let (plain, data) = spiral_config(0.0, 0.0);
    let dir = tempfile::tempdir().unwrap();
    let free = fit(&plain, &data, &device, &common::quiet(dir.path(), "flex")).unwrap();
    assert!(free.report.regularization.is_none());
    let (decayed, data) = spiral_config(0.0, 0.05);
    let dir = tempfile::tempdir().unwrap();
    let shrunk = fit(&decayed, &data, &device, &common::quiet(dir.path(), "flex")).unwrap();
    let (a, b) = (norm(&free.network), norm(&shrunk.network));
    assert!(
        b < a / 2.0,
        "sum of squared weights {b} with L2, {a} without"
    );
    let reg = shrunk.report.regularization.unwrap();
    assert_eq!((reg.l1, reg.l2), (0.0, 0.05));
    assert!((reg.penalty - 0.05 * b).abs() < 1e-4 * reg.penalty.max(1.0));
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(md.contains("Weight penalty (L1 0, L2 0.05)"), "{md}");
    // A classifier of points in the plane draws its boundary, and one frame per epoch.
    for name in ["boundary.png", "boundary.gif"] {
        assert!(dir.path().join(name).is_file(), "{name} missing");
        assert!(md.contains(name), "report.md lacks {name}");
    }
    let gif = std::fs::read(dir.path().join("boundary.gif")).unwrap();
    use image::AnimationDecoder;
    let frames = image::codecs::gif::GifDecoder::new(std::io::Cursor::new(gif))
        .unwrap()
        .into_frames()
        .collect_frames()
        .unwrap();
    assert_eq!(frames.len(), shrunk.report.epochs_run);
}
