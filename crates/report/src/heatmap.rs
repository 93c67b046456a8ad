//! The confusion-matrix heatmap: one cell per (true, predicted) pair with its count, shaded by
//! the share of the true class's examples (the row), class names on both axes.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::{ReportError, draw_err, encode_png, font};

/// A PNG of the confusion matrix `counts[true][predicted]` labelled with `classes`.
pub fn confusion_png(classes: &[String], counts: &[Vec<usize>]) -> Result<Vec<u8>, ReportError> {
    font::ensure();
    let n = classes.len().max(1);
    let cell: i32 = if n <= 10 {
        56
    } else {
        (560 / n as i32).max(14)
    };
    let label_w: i32 = 12
        + 8 * classes
            .iter()
            .map(|c| c.chars().count())
            .max()
            .unwrap_or(1)
            .min(16) as i32;
    let left = label_w + 30;
    let top = 60;
    let width = (left + cell * n as i32 + 20) as u32;
    let height = (top + cell * n as i32 + label_w + 40) as u32;
    let mut buf = vec![255u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (width, height)).into_drawing_area();
        let err = draw_err("confusion.png");
        root.fill(&WHITE).map_err(&err)?;
        let title = (font::FAMILY, 20).into_font().color(&BLACK);
        root.draw(&Text::new(
            "Confusion matrix (rows: true class, columns: predicted)",
            (10, 10),
            title,
        ))
        .map_err(&err)?;
        let number = |size: i32, color: &RGBColor| {
            (font::FAMILY, size)
                .into_font()
                .color(color)
                .pos(Pos::new(HPos::Center, VPos::Center))
        };
        for (t, row) in counts.iter().enumerate() {
            let total: usize = row.iter().sum();
            for (p, &count) in row.iter().enumerate() {
                let share = if total == 0 {
                    0.0
                } else {
                    count as f64 / total as f64
                };
                let shade = |full: u8| (255.0 - share * (255.0 - f64::from(full))) as u8;
                let color = if t == p {
                    RGBColor(shade(33), shade(102), shade(172))
                } else {
                    RGBColor(shade(214), shade(96), shade(77))
                };
                let x0 = left + p as i32 * cell;
                let y0 = top + t as i32 * cell;
                root.draw(&Rectangle::new(
                    [(x0, y0), (x0 + cell, y0 + cell)],
                    color.filled(),
                ))
                .map_err(&err)?;
                root.draw(&Rectangle::new(
                    [(x0, y0), (x0 + cell, y0 + cell)],
                    RGBColor(200, 200, 200),
                ))
                .map_err(&err)?;
                if cell >= 24 {
                    let ink = if share > 0.5 { WHITE } else { BLACK };
                    root.draw(&Text::new(
                        count.to_string(),
                        (x0 + cell / 2, y0 + cell / 2),
                        number((cell / 4).clamp(9, 16), &ink),
                    ))
                    .map_err(&err)?;
                }
            }
        }
        let label = (font::FAMILY, 13).into_font().color(&BLACK);
        for (i, name) in classes.iter().enumerate() {
            let short: String = name.chars().take(16).collect();
            // Row labels, right-aligned left of the matrix.
            root.draw(&Text::new(
                short.clone(),
                (left - 6, top + i as i32 * cell + cell / 2),
                label.clone().pos(Pos::new(HPos::Right, VPos::Center)),
            ))
            .map_err(&err)?;
            // Column labels, rotated, below the matrix.
            root.draw(&Text::new(
                short,
                (left + i as i32 * cell + cell / 2, top + n as i32 * cell + 6),
                label
                    .clone()
                    .transform(FontTransform::Rotate90)
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(&err)?;
        }
        let axis = (font::FAMILY, 14).into_font().color(&BLACK);
        root.draw(&Text::new(
            "true",
            (6, top + n as i32 * cell / 2),
            axis.clone(),
        ))
        .map_err(&err)?;
        root.draw(&Text::new(
            "predicted",
            (left + n as i32 * cell / 2 - 30, height as i32 - 22),
            axis,
        ))
        .map_err(&err)?;
        root.present().map_err(&err)?;
    }
    encode_png("confusion.png", buf, width, height)
}
