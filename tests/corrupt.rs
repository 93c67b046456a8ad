//! Damaged run files: a truncated, zeroed or bit-flipped `model.bpk` or checkpoint, and a
//! `config.json` that is not JSON or names an unknown model, are errors that name the file
//! for `app predict`, `app evaluate` and `--resume`: never a panic, never weights that load as
//! garbage.

mod common;

use std::path::{Path, PathBuf};

use aprende::app::evaluate::{EvaluateOptions, evaluate_run};
use aprende::app::predict_files;
use aprende::burn::prelude::*;
use aprende::data::{DataDir, DownloadOptions, ImageSplits};
use aprende::train::{OptimizerSettings, TrainingConfig, TrainingData, fit};

/// A two-epoch MNIST MLP run, its data, and an image to predict.
fn trained_run(dir: &Path) -> (TrainingConfig, TrainingData, PathBuf) {
    let mnist = common::mnist();
    let splits = ImageSplits {
        train: mnist.train.balanced_head(20),
        test: mnist.test.balanced_head(5),
        skipped: Vec::new(),
        feature_names: Vec::new(),
    };
    let config = TrainingConfig::for_data(
        "mlp",
        common::dense(&[32]),
        "mnist",
        &splits.train,
        OptimizerSettings::new(),
    )
    .unwrap()
    .with_epochs(2)
    .with_patience(0)
    .with_seed(3);
    let data = TrainingData::new(splits, config.val_split, config.seed).unwrap();
    fit(&config, &data, &Device::flex(), &common::quiet(dir, "flex")).unwrap();
    let image = dir.join("digit.png");
    let pixels = mnist.test.image(0).unwrap().to_vec();
    image::GrayImage::from_raw(28, 28, pixels)
        .unwrap()
        .save(&image)
        .unwrap();
    (config, data, image)
}

/// The three ways a file gets damaged.
fn damage(path: &Path, how: &str) {
    let mut bytes = std::fs::read(path).unwrap();
    match how {
        "truncated" => bytes.truncate(bytes.len() / 2),
        "zeroed" => bytes.iter_mut().for_each(|b| *b = 0),
        // One bit in the tensor data (which follows the metadata, near the end).
        "bit-flipped" => {
            let at = bytes.len() * 3 / 4;
            bytes[at] ^= 0x10;
        }
        _ => unreachable!(),
    }
    std::fs::write(path, bytes).unwrap();
}

fn copy_run(from: &Path, to: &Path) {
    for entry in walk(from) {
        let target = to.join(entry.strip_prefix(from).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&entry, &target).unwrap();
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn evaluate_options(dir: &Path) -> EvaluateOptions {
    EvaluateOptions {
        dataset: None,
        split: aprende::app::EvalSplit::Test,
        data_dir: DataDir(common::shared_data()),
        download: DownloadOptions {
            offline: true,
            ..Default::default()
        },
        out: Some(dir.join("eval")),
    }
}

/// Both of `app`'s ways in fail with an error naming `file`.
fn assert_app_names(run: &Path, image: &Path, file: &str) {
    let device = Device::flex();
    let err = predict_files(run, &[image.to_path_buf()], 1, &device)
        .unwrap_err()
        .to_string();
    assert!(err.contains(file), "predict: {err}");
    let err = evaluate_run(run, &evaluate_options(run), &device)
        .unwrap_err()
        .to_string();
    assert!(err.contains(file), "evaluate: {err}");
}

#[test]
fn damaged_weights_are_errors_naming_the_file() {
    let root = tempfile::tempdir().unwrap();
    let original = root.path().join("run");
    let (config, data, image) = trained_run(&original);
    // The untouched run predicts.
    predict_files(&original, std::slice::from_ref(&image), 1, &Device::flex()).unwrap();

    for how in ["truncated", "zeroed", "bit-flipped"] {
        let run = root.path().join(format!("model-{how}"));
        copy_run(&original, &run);
        damage(&run.join("model.bpk"), how);
        assert_app_names(&run, &image, "model.bpk");
        if how == "bit-flipped" {
            let err = predict_files(&run, std::slice::from_ref(&image), 1, &Device::flex())
                .unwrap_err()
                .to_string();
            assert!(err.contains("does not match the checksum"), "{err}");
        }

        // `--resume` with every model checkpoint damaged has nothing to continue from.
        let run = root.path().join(format!("checkpoints-{how}"));
        copy_run(&original, &run);
        for epoch in 1..=2 {
            damage(&run.join(format!("checkpoint/model-{epoch}.bpk")), how);
        }
        let err = fit(
            &config.clone().with_epochs(4),
            &data,
            &Device::flex(),
            &common::resuming(&run),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("model-2.bpk"), "resume, {how}: {err}");

        // With only the last one damaged, it continues from the one before.
        let run = root.path().join(format!("last-checkpoint-{how}"));
        copy_run(&original, &run);
        damage(&run.join("checkpoint/optim-2.bpk"), how);
        let resumed = fit(
            &config.clone().with_epochs(3),
            &data,
            &Device::flex(),
            &common::resuming(&run),
        )
        .unwrap()
        .report;
        assert_eq!(resumed.epochs_run, 3, "{how}");
    }
}

#[test]
fn a_damaged_config_is_an_error_naming_it() {
    let root = tempfile::tempdir().unwrap();
    let original = root.path().join("run");
    let (_, _, image) = trained_run(&original);
    let not_json = root.path().join("not-json");
    copy_run(&original, &not_json);
    std::fs::write(
        not_json.join("config.json"),
        b"{\"model\": {\"Mlp\": {\"inp",
    )
    .unwrap();
    assert_app_names(&not_json, &image, "config.json");

    let unknown = root.path().join("unknown-model");
    copy_run(&original, &unknown);
    let text = std::fs::read_to_string(unknown.join("config.json")).unwrap();
    std::fs::write(
        unknown.join("config.json"),
        text.replacen("\"Mlp\"", "\"Transformer\"", 1),
    )
    .unwrap();
    assert_app_names(&unknown, &image, "config.json");
    let err = TrainingConfig::load_file(&unknown.join("config.json"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("Transformer"), "{err}");
}
