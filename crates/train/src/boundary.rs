//! The TensorFlow Playground's picture: for a two-class problem in the plane (two input
//! features), the plane coloured by the predicted class and its confidence with the training
//! and test points on top, after training (`boundary.png`) and after every epoch
//! (`boundary.gif`, so a person can watch the network learn).

use std::fmt::Write as _;
use std::path::Path;

use burn::module::Module;
use burn::prelude::*;
use data::fsutil::write_atomic;
use models::Network;
use report::{Boundary, BoundaryPoint};

use crate::config::TrainingConfig;
use crate::error::TrainError;
use crate::plan::TrainingData;
use crate::report::Report;
use crate::run::{checkpoint_path, load_checkpoint};
use crate::task::Task;

/// The final picture.
pub const BOUNDARY_PNG: &str = "boundary.png";
/// One frame per epoch.
pub const BOUNDARY_GIF: &str = "boundary.gif";
/// Grid cells per side of the final picture.
const RESOLUTION: usize = 100;
/// Grid cells per side of a frame.
const FRAME_RESOLUTION: usize = 60;
/// Milliseconds a frame is shown.
const FRAME_MS: u16 = 60;
/// At most this many frames (longer runs show every k-th epoch).
const MAX_FRAMES: usize = 300;

/// Whether a run of `task` with `config` draws the boundary: two input features, two classes
/// and a task that gives class probabilities.
pub fn applies(
    task: &dyn Task,
    config: &TrainingConfig,
    network: &Network,
    device: &Device,
) -> bool {
    let input = &config.input;
    input.channels == 2
        && input.height == 1
        && input.width == 1
        && input.num_classes == 2
        && task
            .class_probabilities(&network.valid(), config, &[], device)
            .is_some()
}

/// The drawing of `network`'s boundary over `frame`'s plane.
fn draw(
    task: &dyn Task,
    network: &Network,
    config: &TrainingConfig,
    plane: &Plane,
    resolution: usize,
    title: String,
    device: &Device,
) -> Option<Boundary> {
    let cells = Boundary::grid_points(plane.x, plane.y, resolution);
    let inputs: Vec<Vec<f32>> = cells.iter().map(|c| c.to_vec()).collect();
    let probabilities = task.class_probabilities(network, config, &inputs, device)?;
    Some(Boundary {
        x_range: plane.x,
        y_range: plane.y,
        resolution,
        probabilities: probabilities.iter().map(|p| p[1]).collect(),
        points: plane.points.clone(),
        title,
        class_names: [config.class_names[0].clone(), config.class_names[1].clone()],
    })
}

/// The drawn part of the plane and the points on it.
struct Plane {
    x: (f64, f64),
    y: (f64, f64),
    points: Vec<BoundaryPoint>,
}

impl Plane {
    /// The training and test points of `data`, and a square around them with a margin.
    fn of(data: &TrainingData) -> Self {
        let mut points = Vec::new();
        let mut add = |set: &data::ImageSet, indices: &mut dyn Iterator<Item = usize>, test| {
            let mut values = Vec::new();
            for i in indices {
                values.clear();
                set.write_scaled(i, &mut values);
                points.push(BoundaryPoint {
                    x: f64::from(values[0]),
                    y: f64::from(values[1]),
                    class: set.labels[i],
                    test,
                });
            }
        };
        add(&data.train, &mut data.split.train.iter().copied(), false);
        add(&data.train, &mut data.split.valid.iter().copied(), false);
        add(&data.test, &mut (0..data.test.len()), true);
        let extent = points
            .iter()
            .map(|p| p.x.abs().max(p.y.abs()))
            .fold(1e-6f64, f64::max)
            * 1.1;
        Plane {
            x: (-extent, extent),
            y: (-extent, extent),
            points,
        }
    }
}

/// Draws `boundary.png` from the kept network and `boundary.gif` from every epoch's
/// checkpoint in `dir`; returns report.md's section.
pub fn write(
    task: &dyn Task,
    config: &TrainingConfig,
    data: &TrainingData,
    network: &Network,
    report: &Report,
    dir: &Path,
    device: &Device,
) -> Result<String, TrainError> {
    let plane = Plane::of(data);
    let png_err = |e: report::ReportError| TrainError::Io(e.to_string());
    let Some(kept) = draw(
        task,
        network,
        config,
        &plane,
        RESOLUTION,
        format!("{}: epoch {} (kept)", report.dataset, report.best_epoch),
        device,
    ) else {
        return Ok(String::new());
    };
    write_atomic(
        &dir.join(BOUNDARY_PNG),
        &report::boundary_png(&kept).map_err(png_err)?,
    )?;
    let epochs: Vec<usize> = report.history.iter().map(|r| r.epoch).collect();
    let every = epochs.len().div_ceil(MAX_FRAMES).max(1);
    let mut frames = Vec::new();
    for (i, &epoch) in epochs.iter().enumerate() {
        let last = i + 1 == epochs.len();
        if (i % every != 0 && !last) || !checkpoint_path(dir, "model", epoch).is_file() {
            continue;
        }
        let net = load_checkpoint(config, dir, epoch, device)?;
        if let Some(frame) = draw(
            task,
            &net,
            config,
            &plane,
            FRAME_RESOLUTION,
            format!("epoch {epoch}"),
            device,
        ) {
            frames.push(frame);
        }
    }
    let mut md = String::new();
    let _ = writeln!(
        md,
        "\n## Decision boundary\n\n![the plane coloured by predicted class and confidence, training points filled, test points outlined]({BOUNDARY_PNG})\n"
    );
    if !frames.is_empty() {
        let gif = report::boundary_gif(&frames, FRAME_MS).map_err(png_err)?;
        write_atomic(&dir.join(BOUNDARY_GIF), &gif)?;
        let _ = writeln!(
            md,
            "How it learned, one frame per epoch{}:\n\n![the boundary after each epoch]({BOUNDARY_GIF})\n",
            if every > 1 {
                format!(" (every {every}th)")
            } else {
                String::new()
            }
        );
    }
    Ok(md)
}
