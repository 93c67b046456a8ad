//! Autoencoders and the reconstruction task: the loss falls on every backend, the denoising
//! target is the clean image, the report's pictures, `app predict` writing a reconstruction
//! and `app evaluate` reproducing the report.

mod common;

use aprende::burn::module::Module;
use aprende::burn::prelude::*;
use aprende::data::{ImageBatcher, ImageSplits};
use aprende::models::ModelOptions;
use aprende::train::task::{Reconstructor, Task};
use aprende::train::{OptimizerSettings, TrainingConfig, TrainingData, fit};

fn small_mnist(per_class: usize) -> ImageSplits {
    let mnist = common::mnist();
    ImageSplits {
        train: mnist.train.balanced_head(per_class),
        test: mnist.test.balanced_head(10),
        skipped: Vec::new(),
        feature_names: Vec::new(),
    }
}

fn autoencoder(model: &str, code: usize, splits: &ImageSplits) -> TrainingConfig {
    let options = ModelOptions {
        hidden: Vec::new(),
        code,
        ..ModelOptions::default()
    };
    TrainingConfig::for_data(
        model,
        options,
        "mnist",
        &splits.train,
        OptimizerSettings::new().with_lr(3e-3),
    )
    .unwrap()
    .with_task("reconstruct".into())
    .with_epochs(4)
    .with_batch_size(32)
    .with_val_split(0.2)
    .with_seed(3)
}

fn png_size(path: &std::path::Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Png)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (img.width(), img.height())
}

#[test]
fn the_reconstruction_loss_falls_on_every_backend() {
    let splits = small_mnist(30);
    let config = autoencoder("autoencoder", 32, &splits);
    let data = TrainingData::new(splits, config.val_split, config.seed).unwrap();
    for (kind, device) in common::test_devices() {
        let dir = tempfile::tempdir().unwrap();
        let report = fit(
            &config,
            &data,
            &device,
            &common::quiet(dir.path(), kind.as_str()),
        )
        .unwrap_or_else(|e| panic!("{kind}: {e}"))
        .report;
        let first = &report.history[0];
        let last = report.history.last().unwrap();
        assert!(
            last.train_loss < first.train_loss && last.val_loss < first.val_loss,
            "{kind}: {:?}",
            report.history
        );
        // Binary cross-entropy per pixel of a fresh network is near ln 2; a trained one far
        // below.
        assert!(report.test.loss < 0.3, "{kind}: {:?}", report.test);
        assert!(report.test.mse.unwrap() < 0.1, "{kind}: {:?}", report.test);
        assert_eq!(report.task, "reconstruct");
        assert!(report.classification.is_none());
    }
}

#[test]
fn the_denoising_target_is_the_clean_image_and_the_input_is_noisy() {
    let splits = small_mnist(2);
    let config = autoencoder("autoencoder", 8, &splits).with_input_noise(0.5);
    let device = Device::flex();
    device.seed(1);
    let set = std::sync::Arc::new(splits.train.clone());
    let batch = aprende::burn::data::dataloader::batcher::Batcher::batch(
        &ImageBatcher::new(set.clone()),
        (0..8).collect(),
        &device,
    );
    let clean: Vec<f32> = batch.images.clone().into_data().iter::<f32>().collect();
    let model = Reconstructor {
        network: config.model.init(&device),
        penalty: aprende::train::Penalty::NONE,
        noise: 0.5,
        loss: Default::default(),
    };
    let output = model.forward_reconstruction(batch.clone());
    let targets: Vec<f32> = output.targets.into_data().iter::<f32>().collect();
    assert_eq!(targets, clean, "the target must be the clean image");
    // The input the network saw: noise of standard deviation 0.5, clipped to [0, 1].
    device.seed(1);
    let noisy: Vec<f32> = aprende::train::task::reconstruction::noisy(batch.images, 0.5)
        .into_data()
        .iter::<f32>()
        .collect();
    assert!(noisy.iter().all(|v| (0.0..=1.0).contains(v)));
    let changed = noisy.iter().zip(&clean).filter(|(a, b)| a != b).count();
    assert!(
        changed > clean.len() / 2,
        "{changed} of {} changed",
        clean.len()
    );
    let mean_abs: f32 = noisy
        .iter()
        .zip(&clean)
        .map(|(a, b)| (a - b).abs())
        .sum::<f32>()
        / clean.len() as f32;
    assert!(mean_abs > 0.1 && mean_abs < 0.5, "mean change {mean_abs}");
}

#[test]
fn a_two_dimensional_code_draws_the_latent_space_and_app_reproduces_the_report() {
    let splits = small_mnist(20);
    let config = autoencoder("conv-autoencoder", 2, &splits).with_input_noise(0.3);
    let data = TrainingData::new(splits, config.val_split, config.seed).unwrap();
    let device = Device::flex();
    let dir = tempfile::tempdir().unwrap();
    let report = fit(&config, &data, &device, &common::quiet(dir.path(), "flex"))
        .unwrap()
        .report;
    // 16 test images in columns of 64 px, rows input, noisy, output.
    let (w, h) = png_size(&dir.path().join("reconstructions.png"));
    assert!(
        w >= 16 * 64 && h >= 3 * 64,
        "reconstructions.png is {w}x{h}"
    );
    let (w, h) = png_size(&dir.path().join("latent.png"));
    assert!(w >= 400 && h >= 400, "latent.png is {w}x{h}");
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    for needle in ["reconstructions.png", "latent.png", "| MSE |", "curves.png"] {
        assert!(md.contains(needle), "report.md lacks {needle}:\n{md}");
    }

    // `app evaluate` recomputes the same test figures from the saved run.
    let out = dir.path().join("eval");
    let options = aprende::app::EvaluateOptions {
        dataset: None,
        split: aprende::app::EvalSplit::Test,
        data_dir: aprende::data::DataDir(common::shared_data()),
        download: aprende::data::DownloadOptions {
            offline: true,
            ..Default::default()
        },
        out: Some(out.clone()),
    };
    // The run's test split is 10 per class of the real test set; evaluate on those.
    let run = aprende::train::LoadedRun::load(dir.path(), &device).unwrap();
    let evaluated = run
        .task
        .evaluate(
            &run.network,
            &run.config,
            aprende::train::task::Examples {
                set: &data.test,
                indices: &(0..data.test.len()).collect::<Vec<_>>(),
                normalization: None,
            },
            &device,
        )
        .unwrap();
    assert!((evaluated.metrics().loss - report.test.loss).abs() < 1e-6);
    assert!((evaluated.metrics().mse.unwrap() - report.test.mse.unwrap()).abs() < 1e-6);
    let (evaluation, folder) = aprende::app::evaluate_run(dir.path(), &options, &device).unwrap();
    assert_eq!(folder, out);
    assert!(evaluation.metrics.mse.is_some() && evaluation.classification.is_none());
    for name in [
        "report.md",
        "reconstructions.png",
        "latent.png",
        "evaluation.json",
    ] {
        assert!(out.join(name).is_file(), "app evaluate wrote no {name}");
    }

    // `app predict` writes each image's reconstruction and says how far it is.
    let images = tempfile::tempdir().unwrap();
    let digit = images.path().join("seven.png");
    let test = &data.test;
    let pixels = test.image(0).unwrap();
    image::GrayImage::from_raw(28, 28, pixels.to_vec())
        .unwrap()
        .save(&digit)
        .unwrap();
    let outcome =
        aprende::app::predict_files(dir.path(), std::slice::from_ref(&digit), 3, &device).unwrap();
    assert!(outcome.failures.is_empty(), "{:?}", outcome.failures);
    let p = &outcome.predictions[0];
    let written = std::path::PathBuf::from(p.reconstruction.as_ref().unwrap());
    assert_eq!(written, images.path().join("seven.reconstruction.png"));
    assert_eq!(png_size(&written), (28, 28));
    assert!(p.error.unwrap() < 0.2, "{:?}", p.error);
    assert!(p.top.is_empty());
    let json = serde_json::to_value(p).unwrap();
    assert!(json.get("reconstruction").is_some() && json.get("error").is_some());
}

#[test]
fn reconstruction_refuses_standardised_inputs_and_table_targets() {
    let splits = small_mnist(5);
    let config = autoencoder("autoencoder", 4, &splits).with_normalization(Some(
        aprende::data::Normalization {
            mean: vec![0.1],
            std: vec![0.3],
        },
    ));
    let data = TrainingData::new(splits, 0.2, 1).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let err = fit(
        &config,
        &data,
        &Device::flex(),
        &common::quiet(dir.path(), "flex"),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("--standardize false"), "{err}");
    let shape = aprende::train::task::DataShape {
        has_values: true,
        classes: 1,
    };
    assert!(
        aprende::train::task::Reconstruction
            .check_data(shape)
            .is_err()
    );
    // The network of a reconstruction is the model's whole: a summary with its code layer.
    let summary = config.model.init(&Device::flex()).summary();
    assert!(summary.to_string().contains("code"), "{summary}");
    assert_eq!(
        summary.total_params,
        config.model.init(&Device::flex()).num_params()
    );
}
