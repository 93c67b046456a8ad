//! Line and scatter plots: learning curves, predicted against true values.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::{ReportError, draw_err, encode_png, font};

/// The per-epoch series of a run.
#[derive(Debug, Clone, Default)]
pub struct Curves {
    /// Epoch numbers.
    pub epochs: Vec<usize>,
    /// Training loss per epoch.
    pub train_loss: Vec<f64>,
    /// Validation loss per epoch.
    pub val_loss: Vec<f64>,
    /// Training accuracy per epoch (empty for regression).
    pub train_accuracy: Vec<f64>,
    /// Validation accuracy per epoch (empty for regression).
    pub val_accuracy: Vec<f64>,
    /// The epoch whose weights were kept.
    pub best_epoch: usize,
    /// The epoch early stopping ended the run at, if it did.
    pub stopped_at: Option<usize>,
}

const TRAIN: RGBColor = RGBColor(33, 102, 172);
const VALID: RGBColor = RGBColor(214, 96, 77);
const MARK: RGBColor = RGBColor(60, 160, 60);

fn range(values: &[&[f64]]) -> (f64, f64) {
    let finite = values
        .iter()
        .flat_map(|v| v.iter())
        .copied()
        .filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.08).max(1e-3);
    (lo - pad, hi + pad)
}

fn panel(
    area: &DrawingArea<BitMapBackend<'_>, Shift>,
    title: &str,
    curves: &Curves,
    train: &[f64],
    valid: &[f64],
) -> Result<(), ReportError> {
    let err = draw_err("curves.png");
    let last = curves.epochs.last().copied().unwrap_or(1).max(2);
    let (lo, hi) = range(&[train, valid]);
    let mut chart = ChartBuilder::on(area)
        .caption(title, (font::FAMILY, 20))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(1f64..last as f64, lo..hi)
        .map_err(&err)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .x_labels(last.min(12))
        .x_label_formatter(&|x| format!("{}", x.round() as i64))
        .y_desc(title)
        .label_style((font::FAMILY, 13))
        .axis_desc_style((font::FAMILY, 14))
        .draw()
        .map_err(&err)?;
    let points = |v: &[f64]| -> Vec<(f64, f64)> {
        curves
            .epochs
            .iter()
            .zip(v)
            .filter(|(_, y)| y.is_finite())
            .map(|(&e, &y)| (e as f64, y))
            .collect()
    };
    for (name, series, color) in [("train", train, TRAIN), ("validation", valid, VALID)] {
        let pts = points(series);
        chart
            .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
            .map_err(&err)?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        chart
            .draw_series(pts.into_iter().map(|p| Circle::new(p, 3, color.filled())))
            .map_err(&err)?;
    }
    let best = curves.best_epoch as f64;
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(best, lo), (best, hi)],
            MARK.stroke_width(2),
        )))
        .map_err(&err)?
        .label(format!("best epoch ({})", curves.best_epoch))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], MARK.stroke_width(2)));
    if let Some(stop) = curves.stopped_at {
        let stop = stop as f64;
        chart
            .draw_series(DashedLineSeries::new(
                vec![(stop, lo), (stop, hi)],
                6,
                4,
                BLACK.stroke_width(1),
            ))
            .map_err(&err)?
            .label("early stop")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(1)));
    }
    chart
        .configure_series_labels()
        .label_font((font::FAMILY, 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(&err)?;
    Ok(())
}

/// A PNG of the loss (and, for classification, accuracy) curves against the epoch, with the
/// best epoch and the early stop marked.
pub fn curves_png(curves: &Curves) -> Result<Vec<u8>, ReportError> {
    font::ensure();
    let with_accuracy = !curves.train_accuracy.is_empty();
    let (width, height) = (if with_accuracy { 1100 } else { 560 }, 420);
    let mut buf = vec![255u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err("curves.png"))?;
        if with_accuracy {
            let (left, right) = root.split_horizontally(width / 2);
            panel(&left, "loss", curves, &curves.train_loss, &curves.val_loss)?;
            panel(
                &right,
                "accuracy",
                curves,
                &curves.train_accuracy,
                &curves.val_accuracy,
            )?;
        } else {
            panel(&root, "loss", curves, &curves.train_loss, &curves.val_loss)?;
        }
        root.present().map_err(draw_err("curves.png"))?;
    }
    encode_png("curves.png", buf, width, height)
}

/// A PNG scatter plot of predicted against true values, with the diagonal of perfect
/// predictions.
pub fn scatter_png(truth: &[f64], predicted: &[f64], title: &str) -> Result<Vec<u8>, ReportError> {
    font::ensure();
    let err = draw_err("predictions.png");
    let (width, height) = (560u32, 560u32);
    let (lo, hi) = range(&[truth, predicted]);
    let mut buf = vec![255u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(&err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (font::FAMILY, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(lo..hi, lo..hi)
            .map_err(&err)?;
        chart
            .configure_mesh()
            .x_desc("true")
            .y_desc("predicted")
            .label_style((font::FAMILY, 13))
            .axis_desc_style((font::FAMILY, 14))
            .draw()
            .map_err(&err)?;
        chart
            .draw_series(LineSeries::new(
                vec![(lo, lo), (hi, hi)],
                MARK.stroke_width(1),
            ))
            .map_err(&err)?;
        chart
            .draw_series(
                truth
                    .iter()
                    .zip(predicted)
                    .map(|(&t, &p)| Circle::new((t, p), 3, TRAIN.mix(0.7).filled())),
            )
            .map_err(&err)?;
        root.present().map_err(&err)?;
    }
    encode_png("predictions.png", buf, width, height)
}
