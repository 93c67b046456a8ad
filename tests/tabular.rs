//! Tables: strict CSV reading, the embedded Iris data, training on it and predicting rows.

use aprende::app::predict_rows;
use aprende::burn::prelude::*;
use aprende::data::tabular::{TableTarget, Task, parse_csv, read_csv_file};
use aprende::data::{DataDir, DatasetSpec, DownloadOptions, LoadOptions, Normalization};
use aprende::models::{ActivationKind, ModelOptions};
use aprende::train::{
    FitOptions, OptimizerSettings, ProgressMode, TrainingConfig, TrainingData, fit,
};

const GOOD: &str = "a,b,label\n1,2.5,x\n3,-4,y\n\n5,6e-1,x\n";

#[test]
fn reads_a_good_csv() {
    let t = parse_csv("good.csv", GOOD, "label", Task::Classification).unwrap();
    assert_eq!(t.feature_names, vec!["a", "b"]);
    assert_eq!(t.features, vec![1.0, 2.5, 3.0, -4.0, 5.0, 0.6]);
    assert_eq!(
        t.target,
        TableTarget::Classes {
            labels: vec![0, 1, 0],
            names: vec!["x".into(), "y".into()]
        }
    );
    // A numeric target column for regression.
    let t = parse_csv("n.csv", "x,y\n1,2\n3,4.5\n", "y", Task::Regression).unwrap();
    assert_eq!(t.target, TableTarget::Values(vec![2.0, 4.5]));
    assert_eq!(t.features, vec![1.0, 3.0]);
}

fn error(text: &str, target: &str) -> String {
    parse_csv("data.csv", text, target, Task::Classification)
        .unwrap_err()
        .to_string()
}

#[test]
fn a_bad_row_names_the_line_and_column() {
    let msg = error("a,b,label\n1,2,x\n3,oops,y\n", "label");
    assert!(
        msg.contains("data.csv")
            && msg.contains("line 3")
            && msg.contains("`b`")
            && msg.contains("oops"),
        "{msg}"
    );
    let msg = error("a,b,label\n1,2,x\n3,4\n", "label");
    assert!(msg.contains("line 3") && msg.contains("2 fields"), "{msg}");
}

#[test]
fn a_missing_target_column_is_an_error() {
    let msg = error(GOOD, "species");
    assert!(
        msg.contains("no column `species`") && msg.contains("a, b, label"),
        "{msg}"
    );
}

#[test]
fn a_non_numeric_feature_column_is_an_error_naming_it() {
    let msg = error("city,size,label\nParis,2,x\nLima,3,y\n", "label");
    assert!(msg.contains("column `city` is not numeric"), "{msg}");
}

#[test]
fn an_empty_file_is_an_error() {
    assert!(error("", "label").contains("empty file"));
    assert!(error("a,b,label\n", "label").contains("no data rows"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.csv");
    let msg = read_csv_file(&path, "label", Task::Classification)
        .unwrap_err()
        .to_string();
    assert!(msg.contains("missing.csv"), "{msg}");
}

fn iris(test_split: f64, seed: u64) -> aprende::data::ImageSplits {
    let empty = tempfile::tempdir().unwrap();
    DatasetSpec::Iris
        .load(&LoadOptions {
            data_dir: DataDir(empty.path().to_path_buf()),
            download: DownloadOptions::default(),
            target: None,
            test_split,
            seed,
        })
        .unwrap()
}

#[test]
fn iris_is_embedded_and_split_stratified() {
    let splits = iris(0.2, 42);
    assert_eq!((splits.train.len(), splits.test.len()), (120, 30));
    assert_eq!(splits.test.class_counts(), vec![10, 10, 10]);
    assert_eq!(
        splits.train.class_names,
        vec!["setosa", "versicolor", "virginica"]
    );
    assert_eq!(
        (
            splits.train.channels,
            splits.train.height,
            splits.train.width
        ),
        (4, 1, 1)
    );
    let again = iris(0.2, 42);
    assert_eq!(splits.test, again.test);
}

#[test]
fn standardisation_uses_training_statistics() {
    let splits = iris(0.2, 42);
    let all: Vec<usize> = (0..splits.train.len()).collect();
    let norm = Normalization::fit(&splits.train, &all);
    let mut values = Vec::new();
    for &i in &all {
        let start = values.len();
        splits.train.write_scaled(i, &mut values);
        norm.apply(&mut values[start..]);
    }
    for f in 0..4 {
        let column: Vec<f32> = values.iter().skip(f).step_by(4).copied().collect();
        let mean = column.iter().sum::<f32>() / column.len() as f32;
        let var = column.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / column.len() as f32;
        assert!(
            mean.abs() < 1e-4 && (var - 1.0).abs() < 1e-3,
            "feature {f}: {mean} {var}"
        );
    }
}

#[test]
fn an_iris_mlp_learns_and_predicts_rows() {
    let splits = iris(0.2, 42);
    let options = ModelOptions {
        hidden: vec![10, 10],
        activation: ActivationKind::Relu,
        dropout: 0.0,
    };
    let config = TrainingConfig::for_data(
        "mlp",
        options,
        "iris",
        &splits.train,
        OptimizerSettings::new(),
    )
    .unwrap()
    .with_epochs(60)
    .with_batch_size(8);
    let data = TrainingData::new(splits, config.val_split, config.seed).unwrap();
    let config =
        config.with_normalization(Some(Normalization::fit(&data.train, &data.split.train)));
    let dir = tempfile::tempdir().unwrap();
    let device = Device::flex();
    let outcome = fit(
        &config,
        &data,
        &device,
        &FitOptions {
            artifact_dir: dir.path().to_path_buf(),
            backend: "flex".into(),
            progress: ProgressMode::Quiet,
        },
    )
    .unwrap();
    assert!(
        outcome.report.test.accuracy >= 0.9,
        "{:?}",
        outcome.report.test
    );
    assert_eq!(
        outcome.report.params,
        4 * 10 + 10 + 10 * 10 + 10 + 10 * 3 + 3
    );
    // No pictures of examples for tables, but the rest of the report.
    assert!(
        dir.path().join("confusion.png").is_file() && !dir.path().join("mistakes.png").exists()
    );

    let rows = vec![vec![5.1, 3.5, 1.4, 0.2], vec![6.7, 3.0, 5.2, 2.3]];
    let predictions = predict_rows(dir.path(), &rows, 2, &device).unwrap();
    assert_eq!(predictions[0].top[0].class, "setosa");
    assert_eq!(predictions[1].top[0].class, "virginica");
    assert_eq!(predictions[1].values, rows[1]);
    let err = predict_rows(dir.path(), &[vec![1.0, 2.0]], 2, &device)
        .unwrap_err()
        .to_string();
    assert!(err.contains("2 values") && err.contains("takes 4"), "{err}");
}
