//! A scatter plot of 2-D codes (an autoencoder's latent space, a 2-D embedding) coloured by
//! class, with a legend of the class names.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::{ReportError, draw_err, encode_png, font};

/// Ten distinct colours, one per class; more classes cycle through them.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// At most this many classes are listed in the legend.
const LEGEND_ROWS: usize = 24;

/// The colour of class `class`.
fn colour(class: usize) -> RGBColor {
    PALETTE[class % PALETTE.len()]
}

/// The extent of the finite values of `values`, padded by 5% (`(-1, 1)` when there are none).
fn extent(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return (-1.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(1e-3);
    (lo - pad, hi + pad)
}

/// A 640x560 PNG scatter plot of the 2-D `codes`, each a dot coloured by its class in
/// `labels` (ten distinct colours, cycled beyond ten classes), with a legend naming the classes
/// the codes have by `class_names` (a class without a name is shown by its number; the first 24
/// classes are listed) and `title` above.
/// Codes that are not finite are left out. `codes` and `labels` of different lengths are an
/// error.
pub fn latent_png(
    codes: &[(f64, f64)],
    labels: &[usize],
    class_names: &[String],
    title: &str,
) -> Result<Vec<u8>, ReportError> {
    const WHAT: &str = "latent.png";
    if codes.len() != labels.len() {
        return Err(ReportError::Invalid {
            what: WHAT,
            problem: format!("{} codes but {} labels", codes.len(), labels.len()),
        });
    }
    font::ensure();
    let err = draw_err(WHAT);
    let (width, height) = (640u32, 560u32);
    let legend_w = 140u32;
    let x_range = extent(codes.iter().map(|c| c.0));
    let y_range = extent(codes.iter().map(|c| c.1));
    // The classes the codes have, or every named class when there are no codes.
    let mut listed: Vec<usize> = labels
        .iter()
        .copied()
        .collect::<std::collections::BTreeSet<usize>>()
        .into_iter()
        .collect();
    if listed.is_empty() {
        listed = (0..class_names.len()).collect();
    }
    let mut buf = vec![255u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(&err)?;
        let (plot, side) = root.split_horizontally(width - legend_w);
        let mut chart = ChartBuilder::on(&plot)
            .caption(title, (font::FAMILY, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(x_range.0..x_range.1, y_range.0..y_range.1)
            .map_err(&err)?;
        chart
            .configure_mesh()
            .x_desc("z1")
            .y_desc("z2")
            .label_style((font::FAMILY, 13))
            .axis_desc_style((font::FAMILY, 14))
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(215, 215, 215))
            .draw()
            .map_err(&err)?;
        chart
            .draw_series(
                codes
                    .iter()
                    .zip(labels)
                    .filter(|((x, y), _)| x.is_finite() && y.is_finite())
                    .map(|(&p, &l)| Circle::new(p, 2, colour(l).mix(0.8).filled())),
            )
            .map_err(&err)?;
        let style = (font::FAMILY, 13)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Left, VPos::Center));
        let mut y = 50;
        for &c in listed.iter().take(LEGEND_ROWS) {
            side.draw(&Circle::new((12, y), 5, colour(c).filled()))
                .map_err(&err)?;
            let name = class_names.get(c).cloned().unwrap_or_else(|| c.to_string());
            let name: String = name.chars().take(16).collect();
            side.draw(&Text::new(name, (24, y), style.clone()))
                .map_err(&err)?;
            y += 20;
        }
        if listed.len() > LEGEND_ROWS {
            side.draw(&Text::new(
                format!("... {} more", listed.len() - LEGEND_ROWS),
                (24, y),
                style.clone(),
            ))
            .map_err(&err)?;
        }
        root.present().map_err(&err)?;
    }
    encode_png(WHAT, buf, width, height)
}
