//! The human-facing files of a classification run: `confusion.csv`, `confusion.png`,
//! `curves.png`, `summary.txt`, `mistakes.png` and `report.md` tying them together, and those of a
//! regression run (`predictions.png` in place of the confusion matrix). Every file is written
//! atomically.

use std::fmt::Write as _;
use std::path::Path;

use data::ImageSet;
use data::fsutil::write_atomic;
use models::Summary;
use report::GridImage;

use crate::error::TrainError;
use crate::metrics::ClassificationMetrics;
use crate::report::{Report, SplitMetrics};

/// File names of the report files.
pub mod files {
    /// The confusion matrix as CSV.
    pub const CONFUSION_CSV: &str = "confusion.csv";
    /// The confusion matrix heatmap.
    pub const CONFUSION_PNG: &str = "confusion.png";
    /// Loss and accuracy against epoch.
    pub const CURVES_PNG: &str = "curves.png";
    /// The Keras-style layer table.
    pub const SUMMARY_TXT: &str = "summary.txt";
    /// Misclassified examples.
    pub const MISTAKES_PNG: &str = "mistakes.png";
    /// Predicted against true values (regression).
    pub const PREDICTIONS_PNG: &str = "predictions.png";
    /// The report tying everything together.
    pub const REPORT_MD: &str = "report.md";
}

/// How many misclassified examples `mistakes.png` shows.
pub const MISTAKES_SHOWN: usize = 24;

/// What a classification report is about.
pub struct ClassificationReport<'a> {
    /// Heading, e.g. `mnist-lenet`.
    pub title: String,
    /// The training report (history, best epoch), if the model was trained in this run.
    pub training: Option<&'a Report>,
    /// Which split the metrics are about (`test`, `validation`, ...).
    pub split: &'a str,
    /// Loss and accuracy on it.
    pub metrics: SplitMetrics,
    /// Per-class metrics and the confusion matrix on it.
    pub classification: &'a ClassificationMetrics,
    /// The network's summary.
    pub summary: &'a Summary,
    /// The evaluated examples (images) and the prediction of each.
    pub examples: Option<(&'a ImageSet, &'a [usize], &'a [usize])>,
}

fn io(e: data::DataError) -> TrainError {
    TrainError::Io(e.to_string())
}

fn png(e: report::ReportError) -> TrainError {
    TrainError::Io(e.to_string())
}

/// Writes every report file of `r` into `dir`; returns the names written.
pub fn write_classification_report(
    dir: &Path,
    r: &ClassificationReport<'_>,
) -> Result<Vec<&'static str>, TrainError> {
    let mut written = Vec::new();
    let confusion = &r.classification.confusion;
    write_atomic(
        &dir.join(files::CONFUSION_CSV),
        confusion.to_csv().as_bytes(),
    )
    .map_err(io)?;
    written.push(files::CONFUSION_CSV);
    let heatmap = report::confusion_png(&confusion.classes, &confusion.counts).map_err(png)?;
    write_atomic(&dir.join(files::CONFUSION_PNG), &heatmap).map_err(io)?;
    written.push(files::CONFUSION_PNG);
    write_atomic(
        &dir.join(files::SUMMARY_TXT),
        r.summary.to_string().as_bytes(),
    )
    .map_err(io)?;
    written.push(files::SUMMARY_TXT);
    if let Some(training) = r.training {
        let curves = report::curves_png(&training.curves()).map_err(png)?;
        write_atomic(&dir.join(files::CURVES_PNG), &curves).map_err(io)?;
        written.push(files::CURVES_PNG);
    }
    let mut mistakes_shown = 0;
    if let Some((set, indices, predictions)) = r.examples {
        let mistakes: Vec<GridImage> = indices
            .iter()
            .zip(predictions)
            .filter(|(i, p)| set.labels[**i] != **p)
            .take(MISTAKES_SHOWN)
            .filter_map(|(&i, &p)| {
                Some(GridImage {
                    pixels: set.image(i)?.to_vec(),
                    channels: set.channels,
                    height: set.height,
                    width: set.width,
                    caption: format!(
                        "true: {}\npred: {}",
                        set.class_names[set.labels[i]], set.class_names[p]
                    ),
                })
            })
            .collect();
        mistakes_shown = mistakes.len();
        if !mistakes.is_empty() {
            let grid = report::image_grid_png(
                &format!(
                    "Misclassified {} examples (first {})",
                    r.split,
                    mistakes.len()
                ),
                &mistakes,
                8,
                96,
            )
            .map_err(png)?;
            write_atomic(&dir.join(files::MISTAKES_PNG), &grid).map_err(io)?;
            written.push(files::MISTAKES_PNG);
        }
    }
    write_atomic(
        &dir.join(files::REPORT_MD),
        markdown(r, mistakes_shown).as_bytes(),
    )
    .map_err(io)?;
    written.push(files::REPORT_MD);
    Ok(written)
}

/// What a regression report is about.
pub struct RegressionReport<'a> {
    /// Heading, e.g. `mlp on line`.
    pub title: String,
    /// The training report (history, best epoch), if there is one.
    pub training: Option<&'a Report>,
    /// Which split the metrics are about (`test`, `valid`, ...).
    pub split: &'a str,
    /// MSE, MAE and R^2 on it.
    pub metrics: SplitMetrics,
    /// The network's summary.
    pub summary: &'a Summary,
    /// The true value of each evaluated example.
    pub truth: &'a [f32],
    /// The model's prediction for each, in the same order.
    pub predicted: &'a [f32],
}

/// Writes every report file of a regression run into `dir` (`predictions.png`,
/// `summary.txt`, `report.md`, and `curves.png` when there is a training history);
/// returns the names written.
pub fn write_regression_report(
    dir: &Path,
    r: &RegressionReport<'_>,
) -> Result<Vec<&'static str>, TrainError> {
    let mut written = Vec::new();
    if let Some(training) = r.training {
        let curves = report::curves_png(&training.curves()).map_err(png)?;
        write_atomic(&dir.join(files::CURVES_PNG), &curves).map_err(io)?;
        written.push(files::CURVES_PNG);
    }
    let t: Vec<f64> = r.truth.iter().map(|&v| f64::from(v)).collect();
    let p: Vec<f64> = r.predicted.iter().map(|&v| f64::from(v)).collect();
    let scatter = report::scatter_png(&t, &p, &format!("{} predictions", r.split)).map_err(png)?;
    write_atomic(&dir.join(files::PREDICTIONS_PNG), &scatter).map_err(io)?;
    written.push(files::PREDICTIONS_PNG);
    write_atomic(
        &dir.join(files::SUMMARY_TXT),
        r.summary.to_string().as_bytes(),
    )
    .map_err(io)?;
    written.push(files::SUMMARY_TXT);
    write_atomic(
        &dir.join(files::REPORT_MD),
        regression_markdown(r).as_bytes(),
    )
    .map_err(io)?;
    written.push(files::REPORT_MD);
    Ok(written)
}

fn regression_markdown(r: &RegressionReport<'_>) -> String {
    let m = &r.metrics;
    let mut md = String::new();
    let _ = writeln!(md, "# {}\n", r.title);
    let _ = writeln!(md, "| {} metric | value |\n| --- | --- |", r.split);
    let _ = writeln!(md, "| MSE | {:.6} |", m.loss);
    let _ = writeln!(md, "| MAE | {:.6} |", m.mae.unwrap_or(f64::NAN));
    let _ = writeln!(md, "| R^2 | {:.6} |", m.r2.unwrap_or(f64::NAN));
    let _ = writeln!(md, "| examples | {} |", r.truth.len());
    if let Some(t) = r.training {
        let _ = writeln!(md, "\n{}", trained_line(t));
        let _ = writeln!(
            md,
            "\n## Learning curves\n\n![loss per epoch]({})\n",
            files::CURVES_PNG
        );
    }
    let _ = writeln!(
        md,
        "\n## Predictions\n\n![predicted against true]({})\n",
        files::PREDICTIONS_PNG
    );
    let _ = writeln!(md, "## Model\n\n```text\n{}```", r.summary);
    md
}

/// One sentence on how the model was trained.
fn trained_line(t: &Report) -> String {
    format!(
        "Trained `{}` on `{}` with the `{}` backend ({} parameters, seed {}): {} epochs in {:.1} s, best epoch {}{}.",
        t.model,
        t.dataset,
        t.backend,
        models::summary::thousands(t.params),
        t.seed,
        t.epochs_run,
        t.train_seconds,
        t.best_epoch,
        if t.stopped_early {
            ", stopped early"
        } else {
            ""
        }
    )
}

fn markdown(r: &ClassificationReport<'_>, mistakes_shown: usize) -> String {
    let c = r.classification;
    let mut md = String::new();
    let _ = writeln!(md, "# {}\n", r.title);
    let _ = writeln!(md, "| {} metric | value |\n| --- | --- |", r.split);
    let _ = writeln!(
        md,
        "| accuracy | {:.4} |",
        r.metrics.accuracy.unwrap_or(f64::NAN)
    );
    let _ = writeln!(md, "| loss | {:.4} |", r.metrics.loss);
    let _ = writeln!(
        md,
        "| macro precision / recall / F1 | {:.4} / {:.4} / {:.4} |",
        c.macro_avg.precision, c.macro_avg.recall, c.macro_avg.f1
    );
    let _ = writeln!(md, "| weighted F1 | {:.4} |", c.weighted_avg.f1);
    let _ = writeln!(md, "| examples | {} |", c.macro_avg.support);
    if let Some(t) = r.training {
        let _ = writeln!(md, "\n{}", trained_line(t));
        let _ = writeln!(
            md,
            "\n## Learning curves\n\n![loss and accuracy per epoch]({})\n",
            files::CURVES_PNG
        );
    }
    let _ = writeln!(
        md,
        "\n## Confusion matrix\n\n![confusion matrix]({})\n\nCounts in [{}]({}); rows are true classes, columns predicted ones.\n",
        files::CONFUSION_PNG,
        files::CONFUSION_CSV,
        files::CONFUSION_CSV
    );
    let _ = writeln!(
        md,
        "## Per class\n\n| class | precision | recall | F1 | support |\n| --- | ---: | ---: | ---: | ---: |"
    );
    for m in c.per_class.iter().chain([&c.macro_avg, &c.weighted_avg]) {
        let _ = writeln!(
            md,
            "| {} | {:.4} | {:.4} | {:.4} | {} |",
            m.class, m.precision, m.recall, m.f1, m.support
        );
    }
    let worst = c.confusion.worst_confusions(5);
    if !worst.is_empty() {
        let _ = writeln!(
            md,
            "\n## Most confused\n\n| true | predicted as | count |\n| --- | --- | ---: |"
        );
        for (t, p, n) in worst {
            let _ = writeln!(md, "| {t} | {p} | {n} |");
        }
    }
    if mistakes_shown > 0 {
        let _ = writeln!(
            md,
            "\n## Misclassified examples\n\n![the first {mistakes_shown} misclassified examples]({})",
            files::MISTAKES_PNG
        );
    }
    let _ = writeln!(md, "\n## Model\n\n```text\n{}```", r.summary);
    md
}
