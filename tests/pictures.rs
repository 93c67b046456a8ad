//! The decision-boundary pictures (PNG and animated GIF) and the latent-space scatter plot.

use std::io::Cursor;
use std::time::Instant;

use aprende::data::playground::{Problem, generate};
use aprende::data::{ImageSet, Values};
use aprende::report::{Boundary, BoundaryPoint, boundary_gif, boundary_png, latent_png};
use image::AnimationDecoder;
use image::codecs::gif::GifDecoder;

const RANGE: (f64, f64) = (-6.0, 6.0);

/// A boundary of `resolution` whose probability at each cell centre is `p(x, y)`, with the
/// points of `set` (every fifth one a test point).
fn boundary(
    resolution: usize,
    set: Option<&ImageSet>,
    p: impl Fn(f32, f32) -> f32,
    title: &str,
) -> Boundary {
    let probabilities = Boundary::grid_points(RANGE, RANGE, resolution)
        .into_iter()
        .map(|[x, y]| p(x, y))
        .collect();
    let points = set
        .map(|set| {
            let Values::F32(values) = &set.values else {
                panic!("f32 features");
            };
            values
                .chunks_exact(2)
                .zip(&set.labels)
                .enumerate()
                .map(|(i, (xy, &class))| BoundaryPoint {
                    x: f64::from(xy[0]),
                    y: f64::from(xy[1]),
                    class,
                    test: i % 5 == 0,
                })
                .collect()
        })
        .unwrap_or_default();
    Boundary {
        x_range: RANGE,
        y_range: RANGE,
        resolution,
        probabilities,
        points,
        title: title.into(),
        class_names: ["orange".into(), "blue".into()],
    }
}

fn uniform(p: f32) -> Boundary {
    boundary(50, None, |_, _| p, "uniform")
}

/// The pixel at the centre of the PNG's 480x480 plot area (48 pixels of margin and labels on
/// the left, a 30-pixel title band above).
fn plot_centre(png: &[u8]) -> [u8; 3] {
    let img = image::load_from_memory(png).unwrap().to_rgb8();
    img.get_pixel(48 + 240, 30 + 240).0
}

fn is_blue([r, g, b]: [u8; 3]) -> bool {
    b > r.saturating_add(60) && b > g
}

fn is_orange([r, g, b]: [u8; 3]) -> bool {
    r > b.saturating_add(60) && r > g
}

#[test]
fn grid_points_start_at_the_top_left() {
    let g = Boundary::grid_points(RANGE, RANGE, 2);
    assert_eq!(g, vec![[-3.0, 3.0], [3.0, 3.0], [-3.0, -3.0], [3.0, -3.0]]);
    assert_eq!(Boundary::grid_points(RANGE, RANGE, 100).len(), 10_000);
    assert!(Boundary::grid_points(RANGE, RANGE, 0).is_empty());
}

#[test]
fn a_boundary_png_has_the_expected_size() {
    let set = generate(Problem::Spiral, 500, 0.1, 1).unwrap();
    let b = boundary(
        100,
        Some(&set),
        |x, y| 1.0 / (1.0 + (-x * y).exp()),
        "epoch 7",
    );
    let png = boundary_png(&b).unwrap();
    let img = image::load_from_memory(&png).unwrap();
    assert_eq!((img.width(), img.height()), (542, 562));
}

#[test]
fn the_plane_is_blue_where_class_1_is_sure_and_orange_where_class_0_is() {
    let centre = plot_centre(&boundary_png(&uniform(1.0)).unwrap());
    assert!(is_blue(centre), "{centre:?}");
    let centre = plot_centre(&boundary_png(&uniform(0.0)).unwrap());
    assert!(is_orange(centre), "{centre:?}");
    let centre = plot_centre(&boundary_png(&uniform(0.5)).unwrap());
    assert_eq!(centre, [255, 255, 255]);
    // The first row of probabilities is the top of the plot.
    let half = boundary(10, None, |_, y| if y > 0.0 { 1.0 } else { 0.0 }, "");
    let img = image::load_from_memory(&boundary_png(&half).unwrap())
        .unwrap()
        .to_rgb8();
    assert!(is_blue(img.get_pixel(288, 30 + 60).0));
    assert!(is_orange(img.get_pixel(288, 30 + 420).0));
}

#[test]
fn points_show_on_the_background() {
    let point = |class, test| BoundaryPoint {
        x: 0.0,
        y: 0.0,
        class,
        test,
    };
    for (class, test) in [(0, false), (1, true)] {
        let mut b = uniform(0.5);
        b.points = vec![point(class, test)];
        let centre = plot_centre(&boundary_png(&b).unwrap());
        assert!(
            if class == 0 {
                is_orange(centre)
            } else {
                is_blue(centre)
            },
            "{centre:?}"
        );
    }
}

#[test]
fn a_boundary_gif_has_one_frame_per_boundary_and_loops() {
    let set = generate(Problem::Xor, 200, 0.0, 2).unwrap();
    let frames: Vec<Boundary> = (0..3)
        .map(|i| {
            let k = i as f32;
            boundary(
                40,
                Some(&set),
                move |x, y| 1.0 / (1.0 + (-k * x * y).exp()),
                "",
            )
        })
        .collect();
    let gif = boundary_gif(&frames, 100).unwrap();
    assert!(gif.windows(11).any(|w| w == b"NETSCAPE2.0"), "not looping");
    let decoded = GifDecoder::new(Cursor::new(&gif))
        .unwrap()
        .into_frames()
        .collect_frames()
        .unwrap();
    assert_eq!(decoded.len(), 3);
    let first = decoded[0].buffer();
    assert!(
        decoded
            .iter()
            .all(|f| f.buffer().dimensions() == first.dimensions())
    );
    assert_eq!(first.dimensions(), (362, 382));
    assert_eq!(decoded[1].delay().numer_denom_ms(), (100, 1));
    // The first frame (k = 0) is p = 0.5 everywhere: white at the plot's centre (300x300 from
    // (48, 30)), where xor has no point.
    assert_eq!(first.get_pixel(48 + 150, 30 + 150).0, [255, 255, 255, 255]);
    let image = image::load_from_memory(&gif).unwrap();
    assert_eq!(image.width(), 362);
}

#[test]
fn three_hundred_frames_make_a_gif_of_a_few_megabytes() {
    let set = generate(Problem::Spiral, 500, 0.1, 3).unwrap();
    // A boundary that sharpens and turns, as one does while a network learns the spiral.
    let frames: Vec<Boundary> = (0..300)
        .map(|i| {
            let k = i as f32 / 300.0;
            boundary(
                100,
                Some(&set),
                move |x, y| {
                    let r = (x * x + y * y).sqrt();
                    let s = (y.atan2(x) + r * 1.2 * k).sin();
                    1.0 / (1.0 + (-6.0 * k * s).exp())
                },
                &format!("epoch {i}, test accuracy {:.3}", 0.5 + k / 2.0),
            )
        })
        .collect();
    let start = Instant::now();
    let gif = boundary_gif(&frames, 50).unwrap();
    let elapsed = start.elapsed();
    eprintln!(
        "300 frames, resolution 100, 500 points: {} bytes in {elapsed:.2?}",
        gif.len()
    );
    assert!(gif.len() < 5_000_000, "{} bytes", gif.len());
    let decoded = GifDecoder::new(Cursor::new(&gif))
        .unwrap()
        .into_frames()
        .collect_frames()
        .unwrap();
    assert_eq!(decoded.len(), 300);
}

#[test]
fn bad_boundaries_are_errors() {
    let msg = boundary_gif(&[], 100).unwrap_err().to_string();
    assert!(msg.contains("no frames"), "{msg}");
    let mut b = uniform(1.0);
    b.probabilities.pop();
    let msg = boundary_png(&b).unwrap_err().to_string();
    assert!(msg.contains("2499 probabilities"), "{msg}");
    assert!(boundary_gif(&[uniform(0.0), b], 100).is_err());
    let mut b = uniform(1.0);
    b.x_range = (1.0, 1.0);
    assert!(boundary_png(&b).is_err());
    let mut b = uniform(1.0);
    b.y_range = (0.0, f64::NAN);
    assert!(boundary_png(&b).is_err());
    let mut b = uniform(1.0);
    b.resolution = 0;
    b.probabilities.clear();
    assert!(boundary_png(&b).is_err());
    let mut b = uniform(1.0);
    b.points.push(BoundaryPoint {
        x: 0.0,
        y: 0.0,
        class: 2,
        test: false,
    });
    assert!(boundary_png(&b).is_err());
    // Points off the plot and probabilities that are not numbers are drawn, not refused.
    let mut b = uniform(f32::NAN);
    b.points.push(BoundaryPoint {
        x: 100.0,
        y: f64::NAN,
        class: 1,
        test: true,
    });
    assert_eq!(plot_centre(&boundary_png(&b).unwrap()), [255, 255, 255]);
}

#[test]
fn a_latent_plot_has_the_expected_size() {
    let codes: Vec<(f64, f64)> = (0..600)
        .map(|i| {
            let t = f64::from(i) * 0.1;
            (t.sin() * t, t.cos() * t)
        })
        .collect();
    let labels: Vec<usize> = (0..600).map(|i| i % 12).collect();
    let names: Vec<String> = (0..10).map(|d| d.to_string()).collect();
    for (codes, labels) in [
        (&codes[..], &labels[..]),
        (&[][..], &[][..]),
        (&[(f64::NAN, 1.0), (2.0, 3.0)][..], &[0, 1][..]),
    ] {
        let png = latent_png(codes, labels, &names, "latent space").unwrap();
        let img = image::load_from_memory(&png).unwrap();
        assert_eq!((img.width(), img.height()), (640, 560));
    }
}

#[test]
fn a_latent_plot_with_mismatched_lengths_is_an_error() {
    let msg = latent_png(&[(0.0, 0.0), (1.0, 1.0)], &[0], &[], "z")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("2 codes but 1 labels"), "{msg}");
}
