//! Image folders: classes, counts, skipped files, errors.

mod common;

use std::path::Path;

use aprende::data::folder::load_folder;
use aprende::data::{DataDir, DatasetSpec, LoadOptions};

fn write_png(path: &Path, w: u32, h: u32, shade: u8) {
    image::RgbImage::from_fn(w, h, |x, _| {
        image::Rgb([shade, (x % 256) as u8, 255 - shade])
    })
    .save(path)
    .unwrap();
}

/// `root/{cats,dogs}` with 3 and 2 images of various sizes, a corrupt JPEG and a text file.
fn fixture(root: &Path) {
    for (class, n) in [("cats", 3), ("dogs", 2)] {
        std::fs::create_dir_all(root.join(class)).unwrap();
        for i in 0..n {
            write_png(
                &root.join(class).join(format!("{i}.png")),
                40 + 10 * i,
                30,
                20 * i as u8,
            );
        }
    }
    std::fs::write(
        root.join("cats/broken.jpg"),
        b"\xff\xd8\xff\xe0 not really a jpeg",
    )
    .unwrap();
    std::fs::write(root.join("dogs/notes.txt"), "a dog").unwrap();
}

#[test]
fn classes_counts_and_skipped_files() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    let (set, skipped) = load_folder(dir.path(), 16, None).unwrap();
    assert_eq!(set.class_names, vec!["cats", "dogs"]);
    assert_eq!(set.class_counts(), vec![3, 2]);
    assert_eq!((set.channels, set.height, set.width), (3, 16, 16));
    assert_eq!(set.image(0).unwrap().len(), 3 * 16 * 16);
    let names: Vec<String> = skipped
        .iter()
        .map(|s| s.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["broken.jpg", "notes.txt"]);
    assert!(
        skipped
            .iter()
            .all(|s| s.reason.contains("not a decodable image"))
    );
}

#[test]
fn wide_images_are_cropped_not_stretched() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("a")).unwrap();
    // Left third black, middle white, right third black: the centre crop is all white.
    image::RgbImage::from_fn(90, 30, |x, _| {
        if (30..60).contains(&x) {
            image::Rgb([255; 3])
        } else {
            image::Rgb([0; 3])
        }
    })
    .save(dir.path().join("a/wide.png"))
    .unwrap();
    let (set, _) = load_folder(dir.path(), 10, None).unwrap();
    let px = set.image(0).unwrap();
    let mean = px.iter().map(|&p| f64::from(p)).sum::<f64>() / px.len() as f64;
    assert!(mean > 240.0, "the centre crop should be white, mean {mean}");
}

#[test]
fn empty_classes_and_folders_are_errors_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    fixture(dir.path());
    std::fs::create_dir_all(dir.path().join("birds")).unwrap();
    let err = load_folder(dir.path(), 16, None).unwrap_err().to_string();
    assert!(err.contains("birds") && err.contains("no files"), "{err}");

    let only_junk = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(only_junk.path().join("x")).unwrap();
    std::fs::write(only_junk.path().join("x/readme.txt"), "hi").unwrap();
    let err = load_folder(only_junk.path(), 16, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no decodable image"), "{err}");

    let empty = tempfile::tempdir().unwrap();
    let err = load_folder(empty.path(), 16, None).unwrap_err().to_string();
    assert!(err.contains("no class folders"), "{err}");
    let err = load_folder(&empty.path().join("missing"), 16, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing"), "{err}");
}

#[test]
fn folder_datasets_split_train_and_use_the_training_classes_for_test() {
    let dir = tempfile::tempdir().unwrap();
    fixture(&dir.path().join("train"));
    fixture(&dir.path().join("validation"));
    let spec: DatasetSpec = format!("folder:{}", dir.path().display()).parse().unwrap();
    let splits = spec
        .load(&LoadOptions {
            seed: 1,
            image_size: 12,
            ..LoadOptions::new(DataDir(dir.path().to_path_buf()))
        })
        .unwrap();
    assert_eq!(splits.train.len(), 5);
    assert_eq!(splits.test.len(), 5);
    assert_eq!(splits.skipped.len(), 4);
    assert_eq!(splits.test.class_names, splits.train.class_names);

    // Without a test folder, the test split comes out of `train`: 20% of 3 cats and 2 dogs
    // rounds to one cat and no dog...
    std::fs::remove_dir_all(dir.path().join("validation")).unwrap();
    let options = LoadOptions {
        image_size: 12,
        ..LoadOptions::new(DataDir(dir.path().to_path_buf()))
    };
    let splits = spec.load(&options).unwrap();
    assert_eq!((splits.train.len(), splits.test.len()), (4, 1));
    // ... and a folder too small to hold any out is an error naming it.
    for class in ["cats", "dogs"] {
        for i in 1..3 {
            let _ = std::fs::remove_file(dir.path().join(format!("train/{class}/{i}.png")));
        }
    }
    let msg = spec.load(&options).unwrap_err().to_string();
    assert!(
        msg.contains("train") && msg.contains("holds none out for testing"),
        "{msg}"
    );
}

#[test]
fn a_model_trained_on_a_folder_predicts_photos_of_any_size() {
    use aprende::app::predict_files;
    use aprende::burn::prelude::*;
    use aprende::models::ModelOptions;
    use aprende::train::{OptimizerSettings, TrainingConfig, TrainingData, fit};

    let dir = tempfile::tempdir().unwrap();
    fixture(&dir.path().join("train"));
    let spec: DatasetSpec = format!("folder:{}", dir.path().display()).parse().unwrap();
    let splits = spec
        .load(&LoadOptions {
            test_split: 0.4,
            seed: 3,
            image_size: 16,
            ..LoadOptions::new(DataDir(dir.path().to_path_buf()))
        })
        .unwrap();
    let options = ModelOptions {
        widths: Some(vec![4]),
        ..Default::default()
    };
    let config = TrainingConfig::for_data(
        "catsdogs",
        options,
        "folder",
        &splits.train,
        OptimizerSettings::new(),
    )
    .unwrap()
    .with_epochs(2)
    .with_batch_size(2)
    .with_val_split(0.34);
    let data = TrainingData::new(splits, config.val_split, config.seed).unwrap();
    let all: Vec<usize> = data.split.train.clone();
    let config =
        config.with_normalization(Some(aprende::data::Normalization::fit(&data.train, &all)));
    let run = tempfile::tempdir().unwrap();
    let device = Device::flex();
    let outcome = fit(&config, &data, &device, &common::quiet(run.path(), "flex")).unwrap();
    assert_eq!(outcome.report.skipped_files, 2);
    let big = dir.path().join("big.png");
    write_png(&big, 300, 200, 90);
    let small = dir.path().join("small.png");
    write_png(&small, 9, 12, 10);
    let out = predict_files(run.path(), &[big, small], 2, &device).unwrap();
    assert!(out.failures.is_empty());
    assert_eq!(out.predictions.len(), 2);
    for p in &out.predictions {
        let names: Vec<&str> = p.top.iter().map(|c| c.class.as_str()).collect();
        assert!(
            names.contains(&"cats") && names.contains(&"dogs"),
            "{names:?}"
        );
        let total: f64 = p.top.iter().map(|c| c.probability).sum();
        assert!((total - 1.0).abs() < 1e-4, "{total}");
    }
}
