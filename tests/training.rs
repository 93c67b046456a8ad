//! A whole run on flex: early stopping, the best epoch's weights in model.bpk, the report,
//! rerunning from config.json, prediction, and loading weights of another architecture.

mod common;

use aprende::app::predict_files;
use aprende::burn::prelude::*;
use aprende::data::ImageSplits;
use aprende::models::{LrSchedule, ModelOptions};
use aprende::train::task::{Classification, Examples, Task};
use aprende::train::{OptimizerSettings, Report, TrainingConfig, TrainingData, fit, load_run};

/// A setup that overfits within a few epochs: a wide MLP, a high learning rate and 300
/// training images.
fn overfitting_run() -> (TrainingConfig, TrainingData) {
    let mnist = common::mnist();
    let splits = ImageSplits {
        train: mnist.train.balanced_head(45),
        test: mnist.test.balanced_head(20),
        skipped: Vec::new(),
        feature_names: Vec::new(),
    };
    let options = common::dense(&[256]);
    let config = TrainingConfig::for_data(
        "mlp",
        options,
        "mnist",
        &splits.train,
        OptimizerSettings::new().with_lr(1e-2),
    )
    .unwrap()
    .with_epochs(100)
    .with_patience(3)
    .with_batch_size(16)
    .with_val_split(1.0 / 3.0)
    .with_seed(11);
    let data = TrainingData::new(splits, config.val_split, config.seed).unwrap();
    (config, data)
}

#[test]
fn early_stopping_stops_and_keeps_the_best_epoch() {
    let (config, data) = overfitting_run();
    let dir = tempfile::tempdir().unwrap();
    let device = Device::flex();
    let outcome = fit(&config, &data, &device, &common::quiet(dir.path(), "flex")).unwrap();
    let report = &outcome.report;

    assert!(report.stopped_early, "{report:?}");
    assert!(report.epochs_run < 100);
    assert_eq!(report.history.len(), report.epochs_run);
    assert_eq!(
        report.epochs_run - report.best_epoch,
        3,
        "{:?}",
        report.history
    );
    let best = report.best().unwrap();
    for r in &report.history {
        assert!(
            best.val_loss <= r.val_loss,
            "epoch {} beats the best: {:?}",
            r.epoch,
            report.history
        );
    }

    // report.json on disk is what fit returned.
    let on_disk = Report::load(&dir.path().join("report.json")).unwrap();
    assert_eq!(on_disk.best_epoch, report.best_epoch);
    assert_eq!(on_disk.epochs_run, report.epochs_run);
    assert_eq!(on_disk.history.len(), report.history.len());
    for (a, b) in on_disk.history.iter().zip(&report.history) {
        assert!(
            (a.val_loss - b.val_loss).abs() < 1e-12
                && (a.train_accuracy.unwrap() - b.train_accuracy.unwrap()).abs() < 1e-12
        );
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    for key in [
        "model",
        "dataset",
        "backend",
        "params",
        "seed",
        "epochs_run",
        "best_epoch",
        "stopped_early",
        "history",
        "test",
        "train_seconds",
    ] {
        assert!(json.get(key).is_some(), "report.json lacks {key}");
    }
    for key in [
        "epoch",
        "train_loss",
        "train_accuracy",
        "val_loss",
        "val_accuracy",
        "seconds",
    ] {
        assert!(json["history"][0].get(key).is_some(), "history lacks {key}");
    }

    // The human-facing report files are there and the pictures are PNGs.
    for name in ["confusion.csv", "summary.txt", "report.md"] {
        assert!(dir.path().join(name).is_file(), "{name} missing");
    }
    for name in ["confusion.png", "curves.png", "mistakes.png"] {
        let bytes = std::fs::read(dir.path().join(name)).unwrap();
        image::load_from_memory_with_format(&bytes, image::ImageFormat::Png)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    for needle in [
        "confusion.png",
        "curves.png",
        "mistakes.png",
        "| macro avg |",
        "Total params: 203,530",
    ] {
        assert!(md.contains(needle), "report.md lacks {needle}:\n{md}");
    }
    let classification = report.classification.as_ref().unwrap();
    let per_class = &classification.per_class;
    assert_eq!(per_class.len(), 10);
    assert_eq!(per_class.iter().map(|c| c.support).sum::<usize>(), 200);
    assert!((classification.accuracy - report.test.accuracy.unwrap()).abs() < 1e-12);

    // model.bpk reproduces the best epoch's validation loss.
    let network = assert_saved_model_is_the_best_epoch(dir.path(), &data, report);
    // ... and the test metrics in the report are this model's.
    let test_idx: Vec<usize> = (0..data.test.len()).collect();
    let test = Classification
        .evaluate(
            &network,
            &config,
            Examples {
                set: &data.test,
                indices: &test_idx,
                normalization: None,
            },
            &device,
        )
        .unwrap();
    assert_eq!(test.metrics().accuracy, report.test.accuracy);
}

#[test]
fn the_same_seed_gives_the_same_run_and_config_json_reruns_it() {
    let (config, data) = overfitting_run();
    let mut config = config.with_epochs(2).with_patience(0);
    config.optimizer.schedule = Some(LrSchedule::Cosine);
    let device = Device::flex();
    let a = tempfile::tempdir().unwrap();
    let first = fit(&config, &data, &device, &common::quiet(a.path(), "flex"))
        .unwrap()
        .report;
    let saved = TrainingConfig::load_file(&a.path().join("config.json")).unwrap();
    assert_eq!(saved.optimizer.schedule, Some(LrSchedule::Cosine));
    let b = tempfile::tempdir().unwrap();
    let second = fit(&saved, &data, &device, &common::quiet(b.path(), "flex"))
        .unwrap()
        .report;
    assert_eq!(first.history.len(), second.history.len());
    for (x, y) in first.history.iter().zip(&second.history) {
        assert_eq!(x.train_loss, y.train_loss);
        assert_eq!(x.val_loss, y.val_loss);
    }
    assert_eq!(first.test, second.test);

    // The schedule is part of the run: at a constant rate the same seed trains differently.
    let mut constant = config.clone();
    constant.optimizer.schedule = Some(LrSchedule::Constant);
    let c = tempfile::tempdir().unwrap();
    let third = fit(&constant, &data, &device, &common::quiet(c.path(), "flex"))
        .unwrap()
        .report;
    assert_ne!(first.history[1].train_loss, third.history[1].train_loss);
}

#[test]
fn predict_reads_images_of_any_size_and_reports_unreadable_ones() {
    let (config, data) = overfitting_run();
    // Standardised inputs, as the CLI trains by default: predict must apply the run's
    // statistics after inverting and scaling the user's images.
    let config = config
        .with_epochs(3)
        .with_patience(0)
        .standardized_on(&data);
    let device = Device::flex();
    let run = tempfile::tempdir().unwrap();
    fit(&config, &data, &device, &common::quiet(run.path(), "flex")).unwrap();

    let mnist = common::mnist();
    let images = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for i in 0..4 {
        // Upscaled to 56x56, dark ink on a light background, as a user's scan would be.
        let digit = image::GrayImage::from_fn(56, 56, |x, y| {
            image::Luma([255 - mnist.test.image(i).unwrap()[(y / 2 * 28 + x / 2) as usize]])
        });
        let path = images.path().join(format!("digit{i}.png"));
        digit.save(&path).unwrap();
        paths.push(path);
    }
    let missing = images.path().join("missing.png");
    let not_an_image = images.path().join("notes.png");
    std::fs::write(&not_an_image, "not a picture").unwrap();
    paths.insert(1, missing.clone());
    paths.push(not_an_image.clone());

    let outcome = predict_files(run.path(), &paths, 3, &device).unwrap();
    assert_eq!(outcome.predictions.len(), 4);
    assert_eq!(outcome.failures.len(), 2);
    let errors: Vec<String> = outcome.failures.iter().map(|e| e.to_string()).collect();
    assert!(errors[0].contains("missing.png"), "{errors:?}");
    assert!(
        errors[1].contains("notes.png") && errors[1].contains("not a decodable image"),
        "{errors:?}"
    );
    let mut correct = 0;
    for (i, p) in outcome.predictions.iter().enumerate() {
        assert!(p.path.ends_with(&format!("digit{i}.png")));
        assert_eq!(p.top.len(), 3);
        let total: f64 = p.top.iter().map(|c| c.probability).sum();
        assert!(total <= 1.0 + 1e-6 && p.top[0].probability >= p.top[1].probability);
        correct += usize::from(p.top[0].class == mnist.test.labels[i].to_string());
        let json = serde_json::to_value(p).unwrap();
        assert!(json["top"][0]["class"].is_string() && json["top"][0]["probability"].is_number());
    }
    assert!(correct >= 3, "{:?}", outcome.predictions);

    // A folder stands for its images, sorted by name (notes.png fails to decode there too).
    std::fs::write(images.path().join("readme.txt"), "not an image name").unwrap();
    let folder = predict_files(run.path(), &[images.path().to_path_buf()], 3, &device).unwrap();
    let names: Vec<String> = folder
        .predictions
        .iter()
        .map(|p| {
            let name = std::path::Path::new(&p.path).file_name().unwrap();
            name.to_string_lossy().into_owned()
        })
        .collect();
    assert_eq!(
        names,
        ["digit0.png", "digit1.png", "digit2.png", "digit3.png"]
    );
    assert_eq!(folder.failures.len(), 1);
    for (a, b) in folder.predictions.iter().zip(&outcome.predictions) {
        assert_eq!(a.top[0].class, b.top[0].class);
    }

    // At the native 28x28 nothing is resized, so predict's probabilities must be those of
    // the saved model on the test image scaled to [0, 1] and standardised by hand with the
    // run's statistics.
    let (saved, network) = load_run(run.path(), &device).unwrap();
    let stats = saved.normalization.expect("the run is standardised");
    let pixels = mnist.test.image(0).unwrap();
    let native = images.path().join("native.png");
    image::GrayImage::from_fn(28, 28, |x, y| {
        image::Luma([255 - pixels[(y * 28 + x) as usize]])
    })
    .save(&native)
    .unwrap();
    let input: Vec<f32> = pixels
        .iter()
        .map(|&p| (f32::from(p) / 255.0 - stats.mean[0]) / stats.std[0])
        .collect();
    let logits = network
        .forward(Tensor::<1>::from_floats(input.as_slice(), &device).reshape([1, 1, 28, 28]));
    let expected: Vec<f32> = aprende::burn::tensor::activation::softmax(logits, 1)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let predicted = predict_files(run.path(), &[native], 10, &device).unwrap();
    for scored in &predicted.predictions[0].top {
        let class: usize = scored.class.parse().unwrap();
        assert!(
            (scored.probability - f64::from(expected[class])).abs() < 1e-4,
            "class {class}: predict says {} but the model gives {}",
            scored.probability,
            expected[class]
        );
    }
}

#[test]
fn weights_of_another_architecture_are_a_clear_error() {
    let (config, data) = overfitting_run();
    let config = config.with_epochs(1).with_patience(0);
    let device = Device::flex();
    let run = tempfile::tempdir().unwrap();
    fit(&config, &data, &device, &common::quiet(run.path(), "flex")).unwrap();
    // Point the run's config at LeNet while model.bpk holds the MLP.
    let lenet = TrainingConfig::for_data(
        "lenet",
        ModelOptions::default(),
        "mnist",
        &data.test,
        OptimizerSettings::new(),
    )
    .unwrap();
    lenet.save_atomic(&run.path().join("config.json")).unwrap();
    let err = load_run(run.path(), &device).unwrap_err().to_string();
    assert!(err.contains("model.bpk"), "{err}");
    assert!(err.contains("lenet"), "{err}");
}

/// Ctrl-C in the `train` binary triggers the run's interrupter; the epochs that finished are
/// not lost.
#[test]
fn an_interrupted_run_saves_the_best_epoch_it_finished() {
    let (config, data) = overfitting_run();
    let config = config.with_patience(0).with_epochs(20);
    let dir = tempfile::tempdir().unwrap();
    // Stop once the first epoch's checkpoint is on disk, as a user might mid-run.
    let options = common::stopped_once_written(dir.path(), "checkpoint/model-1.bpk");
    let report = fit(&config, &data, &Device::flex(), &options)
        .unwrap()
        .report;
    assert!(report.interrupted && !report.stopped_early);
    assert!(
        (1..config.epochs).contains(&report.epochs_run),
        "{} epochs",
        report.epochs_run
    );
    // Only whole epochs are in the history, and the kept one is the best of them.
    let epochs: Vec<usize> = report.history.iter().map(|r| r.epoch).collect();
    assert_eq!(epochs, (1..=report.epochs_run).collect::<Vec<_>>());
    let best = report.best().unwrap();
    assert!(report.history.iter().all(|r| r.val_loss >= best.val_loss));
    let saved = Report::load(&dir.path().join("report.json")).unwrap();
    assert!(saved.interrupted);
    assert_saved_model_is_the_best_epoch(dir.path(), &data, &report);

    // `--resume` continues the run to its last epoch, keeping the epochs it had.
    if !optimizer_state_can_load() {
        return;
    }
    let resume = common::resuming(dir.path());
    let resumed = fit(&config, &data, &Device::flex(), &resume)
        .unwrap()
        .report;
    assert!(!resumed.interrupted);
    assert_eq!(resumed.epochs_run, config.epochs);
    assert_same_history(&resumed.history[..report.epochs_run], &report.history);
    let epochs: Vec<usize> = resumed.history.iter().map(|r| r.epoch).collect();
    assert_eq!(epochs, (1..=config.epochs).collect::<Vec<_>>());
    // It went on from the saved weights: a fresh network's first epoch is far worse.
    let first_resumed = &resumed.history[report.epochs_run];
    assert!(
        first_resumed.train_loss < 0.6 * report.history[0].train_loss,
        "{first_resumed:?}"
    );
    let best = resumed.best().unwrap();
    assert!(resumed.history.iter().all(|r| r.val_loss >= best.val_loss));
    assert_saved_model_is_the_best_epoch(dir.path(), &data, &resumed);

    // A finished run resumes only to train longer.
    let err = fit(&config, &data, &Device::flex(), &resume)
        .unwrap_err()
        .to_string();
    assert!(err.contains("already trained"), "{err}");
    let longer = config.clone().with_epochs(config.epochs + 2);
    // Another architecture's checkpoint is an error naming the file, not a panic in burn.
    let mut wider = longer.clone();
    wider.model = TrainingConfig::for_data(
        "mlp",
        common::dense(&[64]),
        "mnist",
        &data.train,
        OptimizerSettings::new(),
    )
    .unwrap()
    .model;
    let err = fit(&wider, &data, &Device::flex(), &resume)
        .unwrap_err()
        .to_string();
    assert!(err.contains("model-20.bpk"), "{err}");
    // A checkpoint cut short (a run killed while burn wrote it) falls back to the one before.
    let last = dir
        .path()
        .join(format!("checkpoint/model-{}.bpk", config.epochs));
    let bytes = std::fs::read(&last).unwrap();
    std::fs::write(&last, &bytes[..bytes.len() / 2]).unwrap();
    let extended = fit(&longer, &data, &Device::flex(), &resume)
        .unwrap()
        .report;
    assert_eq!(extended.epochs_run, config.epochs + 2);
    let kept = config.epochs - 1;
    assert_same_history(&extended.history[..kept], &resumed.history[..kept]);
    // The config a killed run is resumed with (`train --resume` reads it) is the latest one.
    let run_config = dir.path().join("checkpoint/config.json");
    assert_eq!(
        TrainingConfig::load_file(&run_config).unwrap().epochs,
        config.epochs + 2
    );

    let empty = tempfile::tempdir().unwrap();
    let err = fit(
        &config,
        &data,
        &Device::flex(),
        &common::resuming(empty.path()),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("no run to resume"), "{err}");
}

/// Loads the run in `dir` and checks that its `model.bpk` gives the best epoch's validation
/// loss; returns the network.
fn assert_saved_model_is_the_best_epoch(
    dir: &std::path::Path,
    data: &TrainingData,
    report: &Report,
) -> aprende::models::Network {
    let best = report.best().unwrap();
    let device = Device::flex();
    let (config, network) = load_run(dir, &device).unwrap();
    assert_eq!(config.model.name(), report.model);
    let eval = Classification
        .evaluate(
            &network,
            &config,
            Examples {
                set: &data.train,
                indices: &data.split.valid,
                normalization: None,
            },
            &device,
        )
        .unwrap()
        .metrics();
    assert!(
        (eval.loss - best.val_loss).abs() < 1e-4 * best.val_loss.max(1.0),
        "model.bpk gives val loss {} but the best epoch had {}",
        eval.loss,
        best.val_loss
    );
    network
}

/// The same epochs with the same figures (up to the last bit, which a JSON round trip of
/// `history.json` may change).
fn assert_same_history(a: &[aprende::train::EpochRecord], b: &[aprende::train::EpochRecord]) {
    assert_eq!(a.len(), b.len());
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-12 * x.abs().max(1.0);
    for (x, y) in a.iter().zip(b) {
        assert!(
            x.epoch == y.epoch
                && close(x.train_loss, y.train_loss)
                && close(x.val_loss, y.val_loss)
                && close(x.val_accuracy.unwrap(), y.val_accuracy.unwrap()),
            "{x:?} != {y:?}"
        );
    }
}

/// burn restores a resumed run's optimizer state on its default device (`BURN_DEVICE`, else
/// wgpu here) before moving it; the `train` binary sets `BURN_DEVICE` to `--backend`.
fn optimizer_state_can_load() -> bool {
    std::env::var_os("BURN_DEVICE").is_some() || common::test_devices().len() == 3
}

#[test]
fn init_from_starts_from_an_earlier_runs_weights_and_refuses_other_shapes() {
    use aprende::train::InitFrom;
    let (config, data) = overfitting_run();
    let config = config.with_epochs(3).with_patience(0);
    let device = Device::flex();
    let earlier = tempfile::tempdir().unwrap();
    let first = fit(
        &config,
        &data,
        &device,
        &common::quiet(earlier.path(), "flex"),
    )
    .unwrap()
    .report;

    // Continuing from the earlier run's weights: the first epoch starts where it ended.
    let init = InitFrom::Run(earlier.path().to_path_buf());
    let later = tempfile::tempdir().unwrap();
    let second = fit(
        &config.clone().with_init_from(Some(init.clone())),
        &data,
        &device,
        &common::quiet(later.path(), "flex"),
    )
    .unwrap()
    .report;
    assert!(
        second.history[0].train_loss < first.history[0].train_loss / 2.0,
        "first epoch {} after init-from, {} from scratch",
        second.history[0].train_loss,
        first.history[0].train_loss
    );
    let saved = TrainingConfig::load_file(&later.path().join("config.json")).unwrap();
    assert_eq!(saved.init_from, Some(init.clone()));

    // Another architecture, or the same one with other shapes: errors naming the run.
    let lenet = TrainingConfig::for_data(
        "lenet",
        common::dense(&[]),
        "mnist",
        &data.train,
        OptimizerSettings::new(),
    )
    .unwrap()
    .with_init_from(Some(init.clone()));
    let out = tempfile::tempdir().unwrap();
    let err = fit(&lenet, &data, &device, &common::quiet(out.path(), "flex")).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("`mlp`") && text.contains("`lenet`"), "{text}");
    let wider = TrainingConfig::for_data(
        "mlp",
        common::dense(&[64]),
        "mnist",
        &data.train,
        OptimizerSettings::new(),
    )
    .unwrap()
    .with_init_from(Some(init));
    let err = fit(&wider, &data, &device, &common::quiet(out.path(), "flex")).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(&earlier.path().join("model.bpk").display().to_string()),
        "{text}"
    );
}

/// Early stopping counts the epochs before a resume: a run stopped after its best epoch and
/// resumed stops `patience` epochs after its best, not `patience` epochs after the resume.
#[test]
fn early_stopping_counts_the_epochs_before_a_resume() {
    let (config, data) = overfitting_run();
    let whole = tempfile::tempdir().unwrap();
    let uninterrupted = fit(
        &config,
        &data,
        &Device::flex(),
        &common::quiet(whole.path(), "flex"),
    )
    .unwrap()
    .report;
    assert!(uninterrupted.stopped_early);
    // The same run, stopped two epochs after its best (identical up to there: same seed).
    let stop_after = uninterrupted.best_epoch + 2;
    let dir = tempfile::tempdir().unwrap();
    let options =
        common::stopped_once_written(dir.path(), &format!("checkpoint/model-{stop_after}.bpk"));
    let stopped = fit(&config, &data, &Device::flex(), &options)
        .unwrap()
        .report;
    assert!(stopped.interrupted);
    assert_eq!(stopped.best_epoch, uninterrupted.best_epoch);
    if !optimizer_state_can_load() {
        return;
    }
    let resume = common::resuming(dir.path());
    let resumed = fit(&config, &data, &Device::flex(), &resume)
        .unwrap()
        .report;
    assert!(resumed.stopped_early, "{:?}", resumed.history);
    assert_eq!(
        resumed.epochs_run - resumed.best_epoch,
        config.patience,
        "{:?}",
        resumed.history
    );
    let lowest = resumed
        .history
        .iter()
        .min_by(|a, b| a.val_loss.total_cmp(&b.val_loss))
        .unwrap();
    assert_eq!(resumed.best_epoch, lowest.epoch);
    assert_saved_model_is_the_best_epoch(dir.path(), &data, &resumed);
}
