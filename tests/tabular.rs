//! Tables: strict CSV reading, the embedded Iris data, training on it and predicting rows.

mod common;

use aprende::app::{EvalSplit, EvaluateOptions, evaluate_run, predict_rows};
use aprende::burn::prelude::*;
use aprende::data::tabular::{TableTarget, Task, parse_csv, read_csv_file};
use aprende::data::{DataDir, DatasetSpec, LoadOptions, Normalization};
use aprende::train::{OptimizerSettings, TrainingConfig, TrainingData, fit};

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

#[test]
fn a_table_too_small_to_test_on_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.csv");
    std::fs::write(&path, "a,b,y\n1,2,cat\n3,4,dog\n5,6,cat\n").unwrap();
    let spec: DatasetSpec = format!("csv:{}", path.display()).parse().unwrap();
    let options = LoadOptions {
        target: Some("y".into()),
        ..LoadOptions::new(DataDir(dir.path().to_path_buf()))
    };
    // 20% of two cats and one dog rounds to no test row: an error, not a test accuracy of 0.
    let msg = spec.load(&options).unwrap_err().to_string();
    assert!(
        msg.contains("tiny.csv") && msg.contains("holds none out for testing"),
        "{msg}"
    );
    let splits = spec
        .load(&LoadOptions {
            test_split: 0.5,
            ..options
        })
        .unwrap();
    assert_eq!((splits.train.len(), splits.test.len()), (2, 1));
}

/// `app evaluate`'s options for `split` (no downloads; the tables here need no files).
fn eval_options(dataset: Option<String>, split: EvalSplit) -> EvaluateOptions {
    let empty = std::env::temp_dir().join("aprende-no-data");
    EvaluateOptions {
        dataset,
        split,
        data_dir: DataDir(empty),
        download: aprende::data::DownloadOptions {
            offline: true,
            ..Default::default()
        },
        out: None,
    }
}

/// Whether every file in `names` is in `dir`.
fn all_written(dir: &std::path::Path, names: &[&str]) -> bool {
    names.iter().all(|name| dir.join(name).is_file())
}

fn iris(test_split: f64, seed: u64) -> aprende::data::ImageSplits {
    let empty = tempfile::tempdir().unwrap();
    DatasetSpec::Iris(None)
        .load(&LoadOptions {
            test_split,
            seed,
            ..LoadOptions::new(DataDir(empty.path().to_path_buf()))
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
fn a_path_overrides_the_embedded_iris() {
    let dir = tempfile::tempdir().unwrap();
    // The first 20 rows of each species, another column order.
    let mut text = String::from("species,petal_width,petal_length,sepal_width,sepal_length\n");
    for row in aprende::data::source::IRIS_CSV.lines().skip(1) {
        let f: Vec<&str> = row.split(',').collect();
        text.push_str(&format!("{},{},{},{},{}\n", f[4], f[3], f[2], f[1], f[0]));
    }
    let kept: Vec<&str> = text
        .lines()
        .enumerate()
        .filter(|(i, _)| *i == 0 || (i - 1) % 50 < 20)
        .map(|(_, line)| line)
        .collect();
    let path = dir.path().join("my-iris.csv");
    std::fs::write(&path, kept.join("\n")).unwrap();
    let spec: DatasetSpec = format!("iris:{}", path.display()).parse().unwrap();
    assert_eq!(spec.short_name(), "iris");
    let splits = spec
        .load(&LoadOptions::new(DataDir(dir.path().to_path_buf())))
        .unwrap();
    assert_eq!((splits.train.len(), splits.test.len()), (48, 12));
    assert_eq!(splits.test.class_counts(), vec![4, 4, 4]);
    let err = "iris:no/such.csv"
        .parse::<DatasetSpec>()
        .unwrap()
        .load(&LoadOptions::new(DataDir(dir.path().to_path_buf())))
        .unwrap_err()
        .to_string();
    assert!(err.contains("no/such.csv"), "{err}");
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
    let options = common::dense(&[10, 10]);
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
    let config = config.standardized_on(&data);
    let dir = tempfile::tempdir().unwrap();
    let device = Device::flex();
    let outcome = fit(&config, &data, &device, &common::quiet(dir.path(), "flex")).unwrap();
    assert!(
        outcome.report.test.accuracy.unwrap() >= 0.9,
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
    assert_eq!(predictions[0].prediction, None);
    assert_eq!(predictions[1].values, rows[1]);
    let err = predict_rows(dir.path(), &[vec![1.0, 2.0]], 2, &device)
        .unwrap_err()
        .to_string();
    assert!(err.contains("2 values") && err.contains("takes 4"), "{err}");

    // `app evaluate` recomputes the test figures and every report file from the saved run.
    let (eval, out) =
        evaluate_run(dir.path(), &eval_options(None, EvalSplit::Test), &device).unwrap();
    assert_eq!(out, dir.path().join("eval-iris-test"));
    let saved = &outcome.report;
    assert!((eval.metrics.loss - saved.test.loss).abs() < 1e-5);
    assert_eq!(eval.metrics.accuracy, saved.test.accuracy);
    let classification = eval.classification.as_ref().unwrap();
    assert_eq!(
        classification.confusion.counts,
        saved.classification.as_ref().unwrap().confusion.counts
    );
    assert!(all_written(
        &out,
        &[
            "evaluation.json",
            "report.md",
            "confusion.csv",
            "confusion.png",
            "curves.png",
            "summary.txt"
        ]
    ));
    // ... and on the run's validation and training parts, with the run's seed and fraction.
    for (split, examples) in [
        (EvalSplit::Valid, saved.examples.valid),
        (EvalSplit::Train, saved.examples.train),
    ] {
        let (eval, _) = evaluate_run(dir.path(), &eval_options(None, split), &device).unwrap();
        let support = eval.classification.unwrap().macro_avg.support;
        assert_eq!(support, examples, "{split:?}");
    }
}

#[test]
fn regression_metrics_match_hand_computation() {
    let m = aprende::train::regression_metrics(&[1.0, 2.0, 3.0, 4.0], &[1.5, 2.0, 2.0, 4.0]);
    assert!((m.loss - (0.25 + 0.0 + 1.0 + 0.0) / 4.0).abs() < 1e-12);
    assert!((m.mae.unwrap() - 1.5 / 4.0).abs() < 1e-12);
    // SS_tot = 2.25 + 0.25 + 0.25 + 2.25 = 5; SS_res = 1.25.
    assert!((m.r2.unwrap() - (1.0 - 1.25 / 5.0)).abs() < 1e-12);
    assert_eq!(m.accuracy, None);
    // A constant truth: R^2 is 1 for a perfect fit, 0 otherwise (never NaN).
    assert_eq!(
        aprende::train::regression_metrics(&[2.0, 2.0], &[2.0, 2.0]).r2,
        Some(1.0)
    );
    assert_eq!(
        aprende::train::regression_metrics(&[2.0, 2.0], &[1.0, 2.0]).r2,
        Some(0.0)
    );
}

fn fit_quietly(
    config: &TrainingConfig,
    data: &TrainingData,
    dir: &std::path::Path,
) -> aprende::train::Report {
    fit(config, data, &Device::flex(), &common::quiet(dir, "flex"))
        .unwrap()
        .report
}

/// The course's first program: one dense unit, SGD, MSE, 500 epochs on y = 2x - 1.
#[test]
fn one_neuron_learns_the_line() {
    let empty = tempfile::tempdir().unwrap();
    let splits = DatasetSpec::Line
        .load(&LoadOptions {
            task: Task::Regression,
            ..LoadOptions::new(DataDir(empty.path().to_path_buf()))
        })
        .unwrap();
    let options = common::dense(&[]);
    let optimizer = OptimizerSettings::new()
        .with_kind(aprende::train::OptimizerKind::Sgd)
        .with_lr(0.01);
    let config = TrainingConfig::for_data("mlp", options, "line", &splits.train, optimizer)
        .unwrap()
        .with_epochs(500)
        .with_val_split(0.0)
        .with_task("regression".into());
    assert_eq!(config.input.num_classes, 1);
    let data = TrainingData::new(splits, config.val_split, config.seed).unwrap();
    // Like the course, it fits all six points; the validation figures are theirs too.
    assert_eq!(data.validation_indices(), &[0, 1, 2, 3, 4, 5]);
    let config = config.standardized_on(&data);
    let dir = tempfile::tempdir().unwrap();
    let report = fit_quietly(&config, &data, dir.path());
    assert_eq!(report.params, 2);
    assert_eq!((report.examples.train, report.examples.valid), (6, 0));
    assert!(report.test.r2.unwrap() > 0.9999, "{:?}", report.test);
    let rows = vec![vec![10.0]];
    let prediction = predict_rows(dir.path(), &rows, 1, &Device::flex()).unwrap()[0]
        .prediction
        .unwrap();
    assert!(
        (prediction - 19.0).abs() < 0.02,
        "predicted {prediction} for x = 10"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("report.json")).unwrap()).unwrap();
    assert!(json["test"]["mae"].is_number() && json["test"]["r2"].is_number());
    assert!(json.get("classification").is_none());
    let png = std::fs::read(dir.path().join("predictions.png")).unwrap();
    let img = image::load_from_memory_with_format(&png, image::ImageFormat::Png).unwrap();
    assert_eq!((img.width(), img.height()), (560, 560));
}

#[test]
fn a_csv_regression_learns_a_linear_target() {
    // price = 3 * size + 10 * rooms + 5, on a grid of 100 houses.
    let mut text = String::from("size,rooms,price\n");
    for i in 0..100 {
        let (size, rooms) = (20 + i, 1 + i % 5);
        text.push_str(&format!("{size},{rooms},{}\n", 3 * size + 10 * rooms + 5));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("houses.csv");
    std::fs::write(&path, text).unwrap();
    let spec: DatasetSpec = format!("csv:{}", path.display()).parse().unwrap();
    let splits = spec
        .load(&LoadOptions {
            target: Some("price".into()),
            seed: 1,
            task: Task::Regression,
            ..LoadOptions::new(DataDir(dir.path().to_path_buf()))
        })
        .unwrap();
    assert_eq!((splits.train.len(), splits.test.len()), (80, 20));
    let options = common::dense(&[]);
    let config = TrainingConfig::for_data(
        "mlp",
        options,
        "houses",
        &splits.train,
        OptimizerSettings::new().with_lr(0.5),
    )
    .unwrap()
    .with_epochs(300)
    .with_batch_size(16)
    .with_task("regression".into())
    .with_target(Some("price".into()))
    .with_seed(1);
    let data = TrainingData::new(splits, config.val_split, config.seed).unwrap();
    let config = config.standardized_on(&data);
    let run = tempfile::tempdir().unwrap();
    let report = fit_quietly(&config, &data, run.path());
    assert!(report.test.r2.unwrap() > 0.99, "{:?}", report.test);
    assert!(report.history[0].train_accuracy.is_none());
    assert!(all_written(
        run.path(),
        &["report.md", "predictions.png", "curves.png", "summary.txt"]
    ));

    // `app evaluate --dataset csv:...` (the run calls its data "houses", which is no dataset
    // name) recomputes MSE, MAE and R^2 and writes the regression report.
    let dataset = Some(format!("csv:{}", path.display()));
    let (eval, out) = evaluate_run(
        run.path(),
        &eval_options(dataset, EvalSplit::Test),
        &Device::flex(),
    )
    .unwrap();
    assert!(eval.classification.is_none());
    let close = |a: Option<f64>, b: Option<f64>| (a.unwrap() - b.unwrap()).abs() < 1e-4;
    assert!(close(Some(eval.metrics.loss), Some(report.test.loss)));
    assert!(close(eval.metrics.mae, report.test.mae) && close(eval.metrics.r2, report.test.r2));
    assert!(all_written(
        &out,
        &[
            "evaluation.json",
            "report.md",
            "predictions.png",
            "curves.png",
            "summary.txt"
        ]
    ));
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("| test metric |") && md.contains("R^2"), "{md}");
}

#[test]
fn a_validation_split_that_holds_nothing_out_is_refused_unless_asked_for() {
    let empty = tempfile::tempdir().unwrap();
    let line = || {
        DatasetSpec::Line
            .load(&LoadOptions::new(DataDir(empty.path().to_path_buf())))
            .unwrap()
    };
    let msg = TrainingData::new(line(), 0.05, 42).unwrap_err().to_string();
    assert!(
        msg.contains("--val-split 0.05") && msg.contains("6 training examples"),
        "{msg}"
    );

    let splits = line();
    let config = TrainingConfig::for_data(
        "mlp",
        common::dense(&[]),
        "line",
        &splits.train,
        OptimizerSettings::new(),
    )
    .unwrap()
    .with_val_split(0.0);
    assert!(config.validate().is_ok());
    let msg = config.with_patience(3).validate().unwrap_err().to_string();
    assert!(
        msg.contains("--patience 3") && msg.contains("--val-split"),
        "{msg}"
    );
}
