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

/// What a report is about: a model evaluated on one split.
pub struct RunReport<'a> {
    /// Heading, e.g. `lenet on mnist`.
    pub title: String,
    /// The training report (history, best epoch), if there is one.
    pub training: Option<&'a Report>,
    /// Which split the metrics are about (`test`, `valid`, ...).
    pub split: &'a str,
    /// Loss and accuracy (classification) or MSE, MAE and R^2 (regression) on it.
    pub metrics: SplitMetrics,
    /// The network's summary.
    pub summary: &'a Summary,
    /// What the model predicted, by kind of task.
    pub outcome: Outcome<'a>,
}

/// The predictions a report shows.
pub enum Outcome<'a> {
    /// Classes.
    Classification {
        /// Per-class metrics and the confusion matrix.
        metrics: &'a ClassificationMetrics,
        /// The evaluated examples (images) and the predicted class of each.
        examples: Option<(&'a ImageSet, &'a [usize], &'a [usize])>,
    },
    /// Numbers.
    Regression {
        /// The true value of each evaluated example.
        truth: &'a [f32],
        /// The predicted value of each, in the same order.
        predicted: &'a [f32],
    },
}

fn io(e: data::DataError) -> TrainError {
    TrainError::Io(e.to_string())
}

fn png(e: report::ReportError) -> TrainError {
    TrainError::Io(e.to_string())
}

/// Writes every report file of `r` into `dir` (for classification `confusion.csv`,
/// `confusion.png` and, for images, `mistakes.png`; for regression `predictions.png`; for both
/// `curves.png` when there is a training history, `summary.txt` and `report.md`); returns the
/// names written.
pub fn write_report(dir: &Path, r: &RunReport<'_>) -> Result<Vec<&'static str>, TrainError> {
    let mut written = Vec::new();
    if let Some(training) = r.training {
        let curves = report::curves_png(&training.curves()).map_err(png)?;
        write_atomic(&dir.join(files::CURVES_PNG), &curves).map_err(io)?;
        written.push(files::CURVES_PNG);
    }
    write_atomic(
        &dir.join(files::SUMMARY_TXT),
        r.summary.to_string().as_bytes(),
    )
    .map_err(io)?;
    written.push(files::SUMMARY_TXT);
    let md = match r.outcome {
        Outcome::Classification { metrics, examples } => {
            let mistakes_shown =
                write_classification_files(dir, r, metrics, examples, &mut written)?;
            markdown(r, metrics, mistakes_shown)
        }
        Outcome::Regression { truth, predicted } => {
            let t: Vec<f64> = truth.iter().map(|&v| f64::from(v)).collect();
            let p: Vec<f64> = predicted.iter().map(|&v| f64::from(v)).collect();
            let scatter =
                report::scatter_png(&t, &p, &format!("{} predictions", r.split)).map_err(png)?;
            write_atomic(&dir.join(files::PREDICTIONS_PNG), &scatter).map_err(io)?;
            written.push(files::PREDICTIONS_PNG);
            regression_markdown(r, truth.len())
        }
    };
    write_atomic(&dir.join(files::REPORT_MD), md.as_bytes()).map_err(io)?;
    written.push(files::REPORT_MD);
    Ok(written)
}

/// Writes `confusion.csv`, `confusion.png` and `mistakes.png`; returns how many mistakes the
/// last shows.
fn write_classification_files(
    dir: &Path,
    r: &RunReport<'_>,
    classification: &ClassificationMetrics,
    examples: Option<(&ImageSet, &[usize], &[usize])>,
    written: &mut Vec<&'static str>,
) -> Result<usize, TrainError> {
    let confusion = &classification.confusion;
    write_atomic(
        &dir.join(files::CONFUSION_CSV),
        confusion.to_csv().as_bytes(),
    )
    .map_err(io)?;
    written.push(files::CONFUSION_CSV);
    let heatmap = report::confusion_png(&confusion.classes, &confusion.counts).map_err(png)?;
    write_atomic(&dir.join(files::CONFUSION_PNG), &heatmap).map_err(io)?;
    written.push(files::CONFUSION_PNG);
    let mut mistakes_shown = 0;
    if let Some((set, indices, predictions)) = examples {
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
    Ok(mistakes_shown)
}

fn regression_markdown(r: &RunReport<'_>, examples: usize) -> String {
    let m = &r.metrics;
    let mut md = String::new();
    let _ = writeln!(md, "# {}\n", r.title);
    let _ = writeln!(md, "| {} metric | value |\n| --- | --- |", r.split);
    let _ = writeln!(md, "| MSE | {:.6} |", m.loss);
    let _ = writeln!(md, "| MAE | {:.6} |", m.mae.unwrap_or(f64::NAN));
    let _ = writeln!(md, "| R^2 | {:.6} |", m.r2.unwrap_or(f64::NAN));
    let _ = writeln!(md, "| examples | {examples} |");
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

/// One sentence on how the model was trained (and for a pretrained backbone, one on how it
/// was used).
fn trained_line(t: &Report) -> String {
    let transfer = t.transfer.map(|x| {
        let cached = if x.cached_images > 0 {
            format!(
                "its features of {} images were computed once in {:.1} s ({:.1} images/s) and \
                 the head ({} parameters) trained on them for {} epochs",
                x.cached_images,
                x.extraction_seconds,
                x.images_per_second(),
                models::summary::thousands(x.head_params),
                x.head_epochs
            )
        } else {
            format!(
                "the head ({} parameters) trained on the images themselves for {} epochs \
                 (augmentation: no cached features)",
                models::summary::thousands(x.head_params),
                x.head_epochs
            )
        };
        let tuned = if x.fine_tune_epochs > 0 {
            format!(
                "; then the last {} blocks were fine-tuned too for {} epochs",
                x.unfrozen_blocks, x.fine_tune_epochs
            )
        } else {
            String::new()
        };
        format!(" The pretrained backbone was frozen: {cached}{tuned}.")
    });
    let line = format!(
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
        } else if t.interrupted {
            ", interrupted by the user"
        } else {
            ""
        }
    );
    line + &transfer.unwrap_or_default()
}

fn markdown(r: &RunReport<'_>, c: &ClassificationMetrics, mistakes_shown: usize) -> String {
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
