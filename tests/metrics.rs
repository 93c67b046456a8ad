//! Classification metrics against hand-computed values, and the report pictures.

use aprende::train::ConfusionMatrix;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn classes() -> Vec<String> {
    ["a", "b", "c"].iter().map(|s| s.to_string()).collect()
}

/// Class `c` is never predicted.
fn example() -> ConfusionMatrix {
    let targets = [0, 0, 0, 1, 1, 2, 2, 2, 2];
    let predictions = [0, 0, 1, 1, 0, 1, 1, 0, 1];
    ConfusionMatrix::new(&classes(), &targets, &predictions)
}

#[test]
fn confusion_matrix_counts_true_rows_against_predicted_columns() {
    let cm = example();
    assert_eq!(cm.counts, vec![vec![2, 1, 0], vec![1, 1, 0], vec![1, 3, 0]]);
    assert_eq!(cm.total(), 9);
    assert!(close(cm.accuracy(), 3.0 / 9.0));
    assert_eq!(
        cm.to_csv(),
        "true\\predicted,a,b,c\na,2,1,0\nb,1,1,0\nc,1,3,0\n"
    );
}

#[test]
fn per_class_metrics_match_hand_computation() {
    let m = example().metrics();
    let a = &m.per_class[0];
    assert!(close(a.precision, 0.5) && close(a.recall, 2.0 / 3.0) && close(a.f1, 4.0 / 7.0));
    assert_eq!(a.support, 3);
    let b = &m.per_class[1];
    assert!(close(b.precision, 0.2) && close(b.recall, 0.5) && close(b.f1, 2.0 / 7.0));
    // Never predicted: precision is defined as 0, not NaN.
    let c = &m.per_class[2];
    assert_eq!((c.precision, c.recall, c.f1, c.support), (0.0, 0.0, 0.0, 4));
    assert!(close(m.macro_avg.precision, 0.7 / 3.0));
    assert!(close(m.macro_avg.recall, (2.0 / 3.0 + 0.5) / 3.0));
    assert!(close(m.macro_avg.f1, (6.0 / 7.0) / 3.0));
    assert!(close(
        m.weighted_avg.precision,
        (3.0 * 0.5 + 2.0 * 0.2) / 9.0
    ));
    assert!(close(m.weighted_avg.recall, 3.0 / 9.0));
    assert!(close(
        m.weighted_avg.f1,
        (3.0 * 4.0 / 7.0 + 2.0 * 2.0 / 7.0) / 9.0
    ));
    assert_eq!(m.macro_avg.support, 9);
    let json = serde_json::to_string(&m).unwrap();
    assert!(!json.contains("NaN") && !json.contains("null"), "{json}");
}

#[test]
fn perfect_predictions_score_one() {
    let targets = [0, 1, 2, 1];
    let m = ConfusionMatrix::new(&classes(), &targets, &targets).metrics();
    // Class with no examples and no predictions? None here; all scores are 1.
    for c in &m.per_class {
        assert!(close(c.precision, 1.0) && close(c.recall, 1.0) && close(c.f1, 1.0));
    }
    assert!(close(m.accuracy, 1.0));
    assert!(example().worst_confusions(10).len() == 4);
}

#[test]
fn worst_confusions_are_sorted_by_count() {
    let worst = example().worst_confusions(2);
    assert_eq!(
        worst,
        vec![("c".into(), "b".into(), 3), ("a".into(), "b".into(), 1)]
    );
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    let img =
        image::load_from_memory_with_format(bytes, image::ImageFormat::Png).expect("a valid PNG");
    (img.width(), img.height())
}

#[test]
fn pictures_are_pngs_of_the_expected_size() {
    let cm = example();
    assert_eq!(
        png_size(&aprende::report::confusion_png(&cm.classes, &cm.counts).unwrap()),
        (238, 288)
    );

    let curves = aprende::report::Curves {
        epochs: vec![1, 2, 3],
        train_loss: vec![1.0, 0.5, 0.3],
        val_loss: vec![1.1, 0.7, 0.8],
        train_accuracy: vec![0.5, 0.8, 0.9],
        val_accuracy: vec![0.5, 0.7, 0.68],
        best_epoch: 2,
        stopped_at: Some(3),
    };
    assert_eq!(
        png_size(&aprende::report::curves_png(&curves).unwrap()),
        (1100, 420)
    );
    let regression = aprende::report::Curves {
        train_accuracy: vec![],
        val_accuracy: vec![],
        ..curves
    };
    assert_eq!(
        png_size(&aprende::report::curves_png(&regression).unwrap()),
        (560, 420)
    );

    let images: Vec<_> = (0..10)
        .map(|i| aprende::report::GridImage {
            pixels: vec![i * 20; 28 * 28],
            channels: 1,
            height: 28,
            width: 28,
            caption: format!("image {i}"),
        })
        .collect();
    let grid = aprende::report::image_grid_png("grid", &images, 8, 96).unwrap();
    assert_eq!(png_size(&grid), (8 * 104 + 8, 36 + 2 * (96 + 36 + 8) + 8));
    let scatter = aprende::report::scatter_png(&[1.0, 2.0], &[1.1, 1.9], "predictions").unwrap();
    assert_eq!(png_size(&scatter), (560, 560));
}
