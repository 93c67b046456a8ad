//! The decision boundary of a two-class problem in the plane, coloured as the TensorFlow
//! Playground colours it: orange for class 0, through white where the model hesitates, to blue
//! for class 1, with the examples drawn on top (training points outlined in white, test points
//! in black). One picture as PNG, or a looping GIF with one frame per moment of training.

use std::collections::HashMap;
use std::sync::OnceLock;

use image::codecs::gif::{GifEncoder, Repeat};
use image::{Delay, Frame, RgbaImage};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::{ReportError, draw_err, encode_png, font};

/// The Playground's orange, the colour of class 0.
const ORANGE: RGBColor = RGBColor(0xf5, 0x93, 0x22);
/// The Playground's blue, the colour of class 1.
const BLUE: RGBColor = RGBColor(0x08, 0x77, 0xbd);
/// The outline of test points.
const DARK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// The marker of the train/test legend entries.
const NEUTRAL: RGBColor = RGBColor(0x99, 0x99, 0x99);
/// Shades of each class's colour between white (p = 0.5) and full confidence: few enough that
/// the background is made of flat bands (small GIF frames; the Playground too draws a few
/// dozen shades in all).
const SHADES: f64 = 8.0;
/// How much of the class colour the background takes at full confidence, so that the points
/// (in the full colour) stay visible on it.
const STRENGTH: f64 = 0.7;

/// Side of the plot area of [`boundary_png`], in pixels.
const PNG_SIDE: u32 = 480;
/// Side of the plot area of each frame of [`boundary_gif`], in pixels.
const GIF_SIDE: u32 = 300;
/// Height of the title band.
const TITLE_H: u32 = 30;
/// Left margin before the y labels.
const LEFT: u32 = 8;
/// Width of the y labels.
const Y_LABELS: u32 = 40;
/// Right margin.
const RIGHT: u32 = 14;
/// Height of the x labels.
const X_LABELS: u32 = 24;
/// Height of the legend band.
const LEGEND_H: u32 = 28;

/// A model's view of the plane: the probability of class 1 over a grid, and the examples.
#[derive(Debug, Clone, PartialEq)]
pub struct Boundary {
    /// The horizontal extent of the plot, `(left, right)`, `left < right`.
    pub x_range: (f64, f64),
    /// The vertical extent of the plot, `(bottom, top)`, `bottom < top`.
    pub y_range: (f64, f64),
    /// Cells per side of the probability grid (1 to [`Boundary::MAX_RESOLUTION`]).
    pub resolution: usize,
    /// `resolution * resolution` probabilities of class 1, one per cell, at the cell centres
    /// [`Boundary::grid_points`] gives, in its order: row-major, the first row at the top
    /// (the largest y). A value that is not a number is drawn as 0.5 (white).
    pub probabilities: Vec<f32>,
    /// The examples to draw on top; those outside the ranges are left out.
    pub points: Vec<BoundaryPoint>,
    /// The title above the plot (may be empty).
    pub title: String,
    /// The names of class 0 (orange) and class 1 (blue), for the legend.
    pub class_names: [String; 2],
}

/// One example drawn on a [`Boundary`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundaryPoint {
    /// Horizontal coordinate.
    pub x: f64,
    /// Vertical coordinate.
    pub y: f64,
    /// Its true class, 0 (orange) or 1 (blue).
    pub class: usize,
    /// Whether it is a test example (outlined in black) rather than a training one (outlined
    /// in white).
    pub test: bool,
}

impl Boundary {
    /// The largest `resolution` drawn.
    pub const MAX_RESOLUTION: usize = 2000;

    /// The centres of the `resolution x resolution` cells that divide `x_range x y_range`, as
    /// `[x, y]`, in the order [`Boundary::probabilities`] takes: row after row from the top
    /// (largest y) down, left to right within a row. Evaluate the model on these points.
    /// Empty for a resolution of 0 or above [`Boundary::MAX_RESOLUTION`].
    pub fn grid_points(
        x_range: (f64, f64),
        y_range: (f64, f64),
        resolution: usize,
    ) -> Vec<[f32; 2]> {
        if resolution == 0 || resolution > Self::MAX_RESOLUTION {
            return Vec::new();
        }
        let n = resolution as f64;
        let dx = (x_range.1 - x_range.0) / n;
        let dy = (y_range.1 - y_range.0) / n;
        let mut out = Vec::with_capacity(resolution * resolution);
        for row in 0..resolution {
            let y = y_range.1 - (row as f64 + 0.5) * dy;
            for col in 0..resolution {
                let x = x_range.0 + (col as f64 + 0.5) * dx;
                out.push([x as f32, y as f32]);
            }
        }
        out
    }

    /// Why this boundary cannot be drawn, if it cannot.
    fn check(&self, what: &'static str) -> Result<(), ReportError> {
        let invalid = |problem: String| Err(ReportError::Invalid { what, problem });
        for (name, (lo, hi)) in [("x_range", self.x_range), ("y_range", self.y_range)] {
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                return invalid(format!(
                    "{name} ({lo}, {hi}) is not a finite, increasing range"
                ));
            }
        }
        if self.resolution == 0 || self.resolution > Self::MAX_RESOLUTION {
            return invalid(format!(
                "resolution {} is not between 1 and {}",
                self.resolution,
                Self::MAX_RESOLUTION
            ));
        }
        let cells = self.resolution * self.resolution;
        if self.probabilities.len() != cells {
            return invalid(format!(
                "{} probabilities for a {r}x{r} grid ({cells} cells)",
                self.probabilities.len(),
                r = self.resolution
            ));
        }
        if let Some(p) = self.points.iter().find(|p| p.class > 1) {
            return invalid(format!(
                "a point of class {} (classes are 0 and 1)",
                p.class
            ));
        }
        Ok(())
    }
}

/// The colour of class `class` (0 orange, 1 blue).
fn class_colour(class: usize) -> RGBColor {
    if class == 0 { ORANGE } else { BLUE }
}

/// The background colour where class 1 has probability `p`: white at 0.5, shading towards
/// orange (below) or blue (above) with the confidence, in [`SHADES`] steps.
fn background(p: f32) -> [u8; 3] {
    let t = if p.is_nan() {
        0.0
    } else {
        (2.0 * f64::from(p) - 1.0).clamp(-1.0, 1.0)
    };
    let strength = (t.abs() * SHADES).round() / SHADES * STRENGTH;
    let RGBColor(r, g, b) = if t < 0.0 { ORANGE } else { BLUE };
    let mix = |c: u8| (255.0 - strength * (255.0 - f64::from(c))).round() as u8;
    [mix(r), mix(g), mix(b)]
}

/// A number on an axis: no decimals when it is whole.
fn tick(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

type Chart<'a, 'b> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The chart of `b` on `root`: the plot area between the title band, the labels and the legend
/// band.
fn chart<'a, 'b>(
    root: &'a DrawingArea<BitMapBackend<'b>, Shift>,
    b: &Boundary,
    what: &'static str,
) -> Result<Chart<'a, 'b>, ReportError> {
    ChartBuilder::on(root)
        .margin_top(TITLE_H)
        .margin_left(LEFT)
        .margin_right(RIGHT)
        .margin_bottom(LEGEND_H)
        .x_label_area_size(X_LABELS)
        .y_label_area_size(Y_LABELS)
        .build_cartesian_2d(b.x_range.0..b.x_range.1, b.y_range.0..b.y_range.1)
        .map_err(draw_err(what))
}

/// Draws `b` (already checked) with a plot area of `side` pixels; returns the RGB pixels and
/// the picture's width and height.
fn render(b: &Boundary, side: u32, what: &'static str) -> Result<(Vec<u8>, u32, u32), ReportError> {
    font::ensure();
    let err = draw_err(what);
    let width = LEFT + Y_LABELS + side + RIGHT;
    let height = TITLE_H + side + X_LABELS + LEGEND_H;
    let mut buf = vec![255u8; (width * height * 3) as usize];
    // Where plotters puts the plot area, to paint the background there, cell by cell.
    let (xs, ys) = {
        let root = BitMapBackend::with_buffer(&mut buf, (width, height)).into_drawing_area();
        chart(&root, b, what)?.plotting_area().get_pixel_range()
    };
    let r = point_radius(side);
    paint(&mut buf, width as usize, xs.clone(), ys.clone(), b);
    paint_points(&mut buf, width as usize, xs, ys, b, r);
    {
        let root = BitMapBackend::with_buffer(&mut buf, (width, height)).into_drawing_area();
        let mut chart = chart(&root, b, what)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(7)
            .y_labels(7)
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .label_style((font::FAMILY, 12))
            .axis_style(BLACK)
            .draw()
            .map_err(&err)?;
        if !b.title.is_empty() {
            root.draw(&Text::new(
                b.title.clone(),
                ((LEFT + Y_LABELS) as i32, 8),
                (font::FAMILY, 16).into_font().color(&BLACK),
            ))
            .map_err(&err)?;
        }
        legend(&root, b, height, what)?;
        root.present().map_err(&err)?;
    }
    Ok((buf, width, height))
}

/// Paints the plot area (`xs` by `ys` pixels) of the RGB buffer `buf`, `width` pixels wide,
/// with the colour of each pixel's grid cell.
fn paint(
    buf: &mut [u8],
    width: usize,
    xs: std::ops::Range<i32>,
    ys: std::ops::Range<i32>,
    b: &Boundary,
) {
    let (x0, y0) = (xs.start.max(0) as usize, ys.start.max(0) as usize);
    let (w, h) = (xs.len(), ys.len());
    let n = b.resolution;
    if w == 0 || h == 0 {
        return;
    }
    let colours: Vec<[u8; 3]> = b.probabilities.iter().map(|&p| background(p)).collect();
    let columns: Vec<usize> = (0..w).map(|px| (px * n / w).min(n - 1)).collect();
    for py in 0..h {
        let row = (py * n / h).min(n - 1);
        let start = ((y0 + py) * width + x0) * 3;
        let Some(line) = buf.get_mut(start..start + w * 3) else {
            return;
        };
        for (pixel, &col) in line.chunks_exact_mut(3).zip(&columns) {
            pixel.copy_from_slice(&colours[row * n + col]);
        }
    }
}

/// The radius of the points on a plot area of `side` pixels (4 on the PNG, 3 on the GIF).
fn point_radius(side: u32) -> i32 {
    (side / 100).max(2) as i32
}

/// Draws the points of `b` inside its ranges as discs of radius `r` onto the plot area (`xs`
/// by `ys` pixels) of the RGB buffer `buf`, `width` pixels wide: filled with the class's
/// colour, with a one-pixel outline, white for training points and dark for test points (drawn
/// last, on top). The discs are not anti-aliased, so that every point is the same few pixels:
/// crisp on the shaded background, and cheap to compress in a GIF.
fn paint_points(
    buf: &mut [u8],
    width: usize,
    xs: std::ops::Range<i32>,
    ys: std::ops::Range<i32>,
    b: &Boundary,
    r: i32,
) {
    let (w, h) = (xs.len() as f64, ys.len() as f64);
    if w < 1.0 || h < 1.0 {
        return;
    }
    let (x_lo, x_hi) = b.x_range;
    let (y_lo, y_hi) = b.y_range;
    let height = buf.len() / 3 / width.max(1);
    let inner = (r - 1) * (r - 1) + (r - 1);
    let outer = r * r + r;
    for test in [false, true] {
        let outline = if test { DARK } else { WHITE };
        for p in b.points.iter().filter(|p| p.test == test) {
            if !((x_lo..=x_hi).contains(&p.x) && (y_lo..=y_hi).contains(&p.y)) {
                continue;
            }
            let cx = xs.start + ((p.x - x_lo) / (x_hi - x_lo) * (w - 1.0)).round() as i32;
            let cy = ys.start + ((y_hi - p.y) / (y_hi - y_lo) * (h - 1.0)).round() as i32;
            let fill = class_colour(p.class);
            for dy in -r..=r {
                for dx in -r..=r {
                    let d2 = dx * dx + dy * dy;
                    let RGBColor(cr, cg, cb) = if d2 <= inner {
                        fill
                    } else if d2 <= outer {
                        outline
                    } else {
                        continue;
                    };
                    let (x, y) = (cx + dx, cy + dy);
                    if !(xs.contains(&x) && ys.contains(&y)) || x < 0 || y < 0 {
                        continue;
                    }
                    if x as usize >= width || y as usize >= height {
                        continue;
                    }
                    let at = (y as usize * width + x as usize) * 3;
                    buf[at..at + 3].copy_from_slice(&[cr, cg, cb]);
                }
            }
        }
    }
}

/// The legend band under the plot: the two classes, then the train and test markers.
fn legend(
    root: &DrawingArea<BitMapBackend<'_>, Shift>,
    b: &Boundary,
    height: u32,
    what: &'static str,
) -> Result<(), ReportError> {
    let err = draw_err(what);
    let style = (font::FAMILY, 13)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let y = (height - LEGEND_H / 2) as i32;
    let mut x = (LEFT + Y_LABELS) as i32;
    let entries = [
        (class_colour(0), None, b.class_names[0].as_str()),
        (class_colour(1), None, b.class_names[1].as_str()),
        (NEUTRAL, Some(WHITE), "train"),
        (NEUTRAL, Some(DARK), "test"),
    ];
    for (fill, outline, name) in entries {
        match outline {
            None => root
                .draw(&Rectangle::new(
                    [(x, y - 6), (x + 12, y + 6)],
                    fill.filled(),
                ))
                .map_err(&err)?,
            Some(outline) => {
                root.draw(&Circle::new((x + 6, y), 5, fill.filled()))
                    .map_err(&err)?;
                root.draw(&Circle::new((x + 6, y), 5, outline.stroke_width(1)))
                    .map_err(&err)?;
            }
        }
        let name: String = name.chars().take(24).collect();
        let (text_w, _) = root.estimate_text_size(&name, &style).map_err(&err)?;
        root.draw(&Text::new(name, (x + 18, y), style.clone()))
            .map_err(&err)?;
        x += 18 + text_w as i32 + 18;
    }
    Ok(())
}

/// A PNG of the decision boundary `b`: a 480x480 plot of the plane with its axes, a title
/// above and a legend below (542x562 in all). Where class 1 is likely the plane is blue
/// (#0877bd), where class 0 is, orange (#f59322), white where the model hesitates (p = 0.5);
/// the stronger the colour, the surer the model (in 8 shades each way, as flat bands). Training
/// points are discs of their class's colour outlined in white, test points the same outlined
/// in black.
///
/// Ranges that are not finite and increasing, a resolution of 0 or above
/// [`Boundary::MAX_RESOLUTION`], a probability count other than `resolution²` or a point of a
/// class other than 0 and 1 are errors.
pub fn boundary_png(b: &Boundary) -> Result<Vec<u8>, ReportError> {
    const WHAT: &str = "boundary.png";
    b.check(WHAT)?;
    font::ensure();
    let (rgb, width, height) = render(b, PNG_SIDE, WHAT)?;
    encode_png(WHAT, rgb, width, height)
}

/// An animated GIF that loops forever, one frame per boundary of `frames`, each shown for
/// `frame_ms` milliseconds (GIF counts in hundredths of a second: rounded down, and at least
/// 20 ms, as browsers slow shorter frames down). Every frame is drawn by the code that draws
/// [`boundary_png`]'s picture, with a 300x300 plot area (the Playground's size) for every
/// frame, and its pixels reduced to a fixed palette of under 64 colours (the background's
/// shades, the class colours and 16 greys for the anti-aliased text) so that the GIF encoder
/// needs no quantisation and a frame compresses well: 300 frames of 500 points take about
/// 5 MB and a few seconds.
///
/// No frames is an error, as is any frame [`boundary_png`] refuses.
pub fn boundary_gif(frames: &[Boundary], frame_ms: u16) -> Result<Vec<u8>, ReportError> {
    const WHAT: &str = "boundary.gif";
    if frames.is_empty() {
        return Err(ReportError::Invalid {
            what: WHAT,
            problem: "no frames to animate".into(),
        });
    }
    for frame in frames {
        frame.check(WHAT)?;
    }
    font::ensure();
    let encode_err = |e: image::ImageError| ReportError::Encode {
        what: WHAT,
        problem: e.to_string(),
    };
    let delay = Delay::from_numer_denom_ms(u32::from(frame_ms.max(20)), 1);
    let mut out = Vec::new();
    {
        // The speed of the encoder's quantiser only matters for a frame of more than 256
        // colours, which the palette rules out.
        let mut encoder = GifEncoder::new_with_speed(&mut out, 10);
        encoder.set_repeat(Repeat::Infinite).map_err(encode_err)?;
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 8);
        // Frames are drawn on every core, a few per core at a time, and encoded in order.
        for batch in frames.chunks(threads * 4) {
            for image in render_frames(batch, threads)? {
                encoder
                    .encode_frame(Frame::from_parts(image, 0, 0, delay))
                    .map_err(encode_err)?;
            }
        }
    }
    Ok(out)
}

/// Draws `frames` as GIF frames on up to `threads` threads, in order.
fn render_frames(frames: &[Boundary], threads: usize) -> Result<Vec<RgbaImage>, ReportError> {
    const WHAT: &str = "boundary.gif";
    let per_thread = frames.len().div_ceil(threads.max(1)).max(1);
    let parts: Vec<Result<Vec<RgbaImage>, ReportError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = frames
            .chunks(per_thread)
            .map(|part| scope.spawn(move || part.iter().map(gif_frame).collect()))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(ReportError::Draw {
                        what: WHAT,
                        problem: "a drawing thread panicked".into(),
                    })
                })
            })
            .collect()
    });
    let mut images = Vec::with_capacity(frames.len());
    for part in parts {
        images.extend(part?);
    }
    Ok(images)
}

/// One GIF frame: `b` drawn with the GIF's plot side, every pixel reduced to the nearest
/// colour of [`gif_palette`].
fn gif_frame(b: &Boundary) -> Result<RgbaImage, ReportError> {
    const WHAT: &str = "boundary.gif";
    let (rgb, width, height) = render(b, GIF_SIDE, WHAT)?;
    let palette = gif_palette();
    // Most pixels are palette colours already; the others (anti-aliased edges) are looked up
    // once per frame.
    let mut nearest: HashMap<[u8; 3], [u8; 3]> = palette.iter().map(|&c| (c, c)).collect();
    let mut rgba = Vec::with_capacity(rgb.len() / 3 * 4);
    let mut last = ([255u8; 3], [255u8; 3]);
    for pixel in rgb.chunks_exact(3) {
        let colour = [pixel[0], pixel[1], pixel[2]];
        if colour != last.0 {
            let snapped = *nearest
                .entry(colour)
                .or_insert_with(|| nearest_colour(palette, colour));
            last = (colour, snapped);
        }
        rgba.extend_from_slice(&last.1);
        rgba.push(255);
    }
    RgbaImage::from_raw(width, height, rgba).ok_or(ReportError::Encode {
        what: WHAT,
        problem: "buffer size does not match the picture".into(),
    })
}

/// The colours of a GIF frame (fewer than 64, so that its pixels take 6-bit codes): every
/// background shade, 16 greys (black, white and the text's anti-aliasing), and the two class
/// colours of the points.
fn gif_palette() -> &'static [[u8; 3]] {
    static PALETTE: OnceLock<Vec<[u8; 3]>> = OnceLock::new();
    PALETTE.get_or_init(|| {
        let mut colours: Vec<[u8; 3]> = (0..=SHADES as usize * 2)
            .map(|i| background((i as f64 / (2.0 * SHADES)) as f32))
            .collect();
        colours.extend((0..16u8).map(|i| [i * 17; 3]));
        colours.extend([ORANGE, BLUE].map(|RGBColor(r, g, b)| [r, g, b]));
        colours.sort_unstable();
        colours.dedup();
        colours
    })
}

/// The colour of `palette` nearest to `colour`.
fn nearest_colour(palette: &[[u8; 3]], colour: [u8; 3]) -> [u8; 3] {
    let distance = |p: &[u8; 3]| -> i32 {
        p.iter()
            .zip(colour)
            .map(|(&a, b)| (i32::from(a) - i32::from(b)).pow(2))
            .sum()
    };
    palette
        .iter()
        .copied()
        .min_by_key(distance)
        .unwrap_or(colour)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(resolution: usize) -> Boundary {
        let (x_range, y_range) = ((-6.0, 6.0), (-6.0, 6.0));
        let probabilities = Boundary::grid_points(x_range, y_range, resolution)
            .iter()
            .map(|[x, y]| 1.0 / (1.0 + (-(x * y)).exp()))
            .collect();
        let mut seed = 12345u64;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 11) as f64 / (1u64 << 53) as f64) * 12.0 - 6.0
        };
        let points = (0..500)
            .map(|i| {
                let (x, y) = (next(), next());
                BoundaryPoint {
                    x,
                    y,
                    class: usize::from(x * y >= 0.0),
                    test: i % 5 == 0,
                }
            })
            .collect();
        Boundary {
            x_range,
            y_range,
            resolution,
            probabilities,
            points,
            title: "epoch 3".into(),
            class_names: ["orange".into(), "blue".into()],
        }
    }

    #[test]
    fn grid_points_run_from_the_top_left() {
        let g = Boundary::grid_points((0.0, 4.0), (0.0, 2.0), 2);
        assert_eq!(g, vec![[1.0, 1.5], [3.0, 1.5], [1.0, 0.5], [3.0, 0.5]]);
        assert!(Boundary::grid_points((0.0, 1.0), (0.0, 1.0), 0).is_empty());
    }

    #[test]
    fn the_background_shades_from_orange_through_white_to_blue() {
        assert_eq!(background(0.5), [255, 255, 255]);
        assert_eq!(background(f32::NAN), [255, 255, 255]);
        let [r, _, b] = background(0.0);
        assert!(r > b);
        let [r, _, b] = background(1.0);
        assert!(b > r);
        assert_eq!(background(2.0), background(1.0));
    }

    #[test]
    fn a_gif_frame_has_fewer_than_64_colours() {
        let frame = gif_frame(&sample(100)).unwrap();
        let colours: std::collections::HashSet<[u8; 4]> = frame.pixels().map(|p| p.0).collect();
        assert!(colours.len() < 64, "{} colours", colours.len());
    }
}
