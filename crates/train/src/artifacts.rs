//! The human-facing files of a run or an evaluation: `summary.txt`, `curves.png` (with a
//! training history) and `report.md`, which ties them to the sections and pictures its task
//! writes (see [`Evaluated`]). Every file is written atomically.

use std::fmt::Write as _;
use std::path::Path;

use data::fsutil::write_atomic;
use models::Summary;

use crate::error::TrainError;
use crate::report::Report;
use crate::task::Evaluated;

/// File names of the report files every task writes.
pub mod files {
    /// Loss (and accuracy) against epoch.
    pub const CURVES_PNG: &str = "curves.png";
    /// The Keras-style layer table.
    pub const SUMMARY_TXT: &str = "summary.txt";
    /// The report tying everything together.
    pub const REPORT_MD: &str = "report.md";
}

/// What a report is about: a model evaluated on one split.
pub struct ReportHeader<'a> {
    /// Heading, e.g. `lenet on mnist`.
    pub title: String,
    /// The training report (history, best epoch), if there is one.
    pub training: Option<&'a Report>,
    /// Which split the metrics are about (`test`, `valid`, ...).
    pub split: &'a str,
    /// The network's summary.
    pub summary: &'a Summary,
    /// Markdown sections to add after the task's (pictures drawn outside the task).
    pub extra: String,
}

/// Writes every report file of an evaluation into `dir`: `curves.png` when there is a
/// training history, `summary.txt`, the task's pictures and `report.md`; returns the names
/// written.
pub fn write_report(
    dir: &Path,
    header: &ReportHeader<'_>,
    evaluated: &dyn Evaluated,
) -> Result<Vec<&'static str>, TrainError> {
    let mut written = Vec::new();
    // A model that trains nothing (a neighbourhood recommender) has no curves to draw.
    let trained = header.training.filter(|t| !t.history.is_empty());
    if let Some(training) = trained {
        let curves =
            report::curves_png(&training.curves()).map_err(|e| TrainError::Io(e.to_string()))?;
        write_atomic(&dir.join(files::CURVES_PNG), &curves)?;
        written.push(files::CURVES_PNG);
    }
    write_atomic(
        &dir.join(files::SUMMARY_TXT),
        header.summary.to_string().as_bytes(),
    )?;
    written.push(files::SUMMARY_TXT);

    let mut md = String::new();
    let _ = writeln!(md, "# {}\n", header.title);
    let _ = writeln!(md, "| {} metric | value |\n| --- | --- |", header.split);
    for (name, value) in evaluated.headline_rows() {
        let _ = writeln!(md, "| {name} | {value} |");
    }
    if let Some(t) = header.training.filter(|t| t.history.is_empty()) {
        let _ = writeln!(
            md,
            "\n`{}` on `{}` trains nothing: it answers from its training data ({} examples, seed {}).",
            t.model,
            t.dataset,
            t.examples.train + t.examples.valid,
            t.seed
        );
    }
    if let Some(t) = trained {
        let _ = writeln!(md, "\n{}", trained_line(t));
        let curves = if t.history.iter().any(|r| r.val_accuracy.is_some()) {
            "loss and accuracy per epoch"
        } else {
            "loss per epoch"
        };
        let _ = writeln!(
            md,
            "\n## Learning curves\n\n![{curves}]({})\n",
            files::CURVES_PNG
        );
    }
    md.push_str(&evaluated.write_sections(dir, header.split, &mut written)?);
    md.push_str(&header.extra);
    let _ = writeln!(md, "\n## Model\n\n```text\n{}```", header.summary);
    write_atomic(&dir.join(files::REPORT_MD), md.as_bytes())?;
    written.push(files::REPORT_MD);
    Ok(written)
}

/// One sentence on how the model was trained (and for a pretrained backbone, one on how it
/// was used; for a weight penalty, its value).
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
    let penalty = t.regularization.map(|r| {
        format!(
            " Weight penalty (L1 {}, L2 {}): {:.6} on the kept weights, besides the best \
             epoch's validation loss of {:.6}.",
            r.l1,
            r.l2,
            r.penalty,
            t.best().map_or(f64::NAN, |b| b.val_loss)
        )
    });
    let on = if t.devices.len() > 1 || t.strategy == crate::devices::Strategy::Ddp {
        format!(
            "on {} `{}` devices ({}, {}; global batch {}, {} optimizer steps)",
            t.devices.len(),
            t.backend,
            t.devices.join(", "),
            t.strategy,
            t.global_batch,
            t.optimizer_steps()
        )
    } else {
        format!("with the `{}` backend", t.backend)
    };
    let line = format!(
        "Trained `{}` on `{}` {} ({} parameters, seed {}): {} epochs in {:.1} s, best epoch {}{}.",
        t.model,
        t.dataset,
        on,
        models::summary::thousands(t.params),
        t.seed,
        t.epochs_run,
        t.train_seconds,
        t.best_epoch,
        if t.diverged {
            ", then stopped: the loss diverged (see report.json's `divergence`)"
        } else if t.stopped_early {
            ", stopped early"
        } else if t.interrupted {
            ", interrupted by the user"
        } else {
            ""
        }
    );
    line + &transfer.unwrap_or_default() + &penalty.unwrap_or_default()
}
