//! Prediction on image files with a trained run.

use std::path::{Path, PathBuf};

use burn::prelude::*;
use burn::tensor::activation::softmax;
use image::imageops::FilterType;
use models::{InputSpec, Network};
use serde::Serialize;

/// What can go wrong when predicting.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Loading the run failed.
    #[error(transparent)]
    Train(#[from] train::TrainError),
    /// An image could not be read or decoded.
    #[error("{path}: {problem}")]
    Image {
        /// The image file.
        path: PathBuf,
        /// What went wrong.
        problem: String,
    },
}

/// A class and its probability.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoredClass {
    /// Class name.
    pub class: String,
    /// Softmax probability.
    pub probability: f64,
}

/// The prediction for one image.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    /// The image file.
    pub path: String,
    /// The most probable classes, most probable first.
    pub top: Vec<ScoredClass>,
}

/// Reads an image file and converts it to the model's input: `channels * height * width`
/// bytes, channel-major. The image is resized so that its shorter side fits, then centre
/// cropped (nothing is stretched). Grayscale models get a luminance image; as MNIST-style data
/// is light ink on a dark background, a grayscale image with a light border is inverted.
pub fn load_image(path: &Path, input: &InputSpec) -> Result<Vec<u8>, AppError> {
    let fail = |problem: String| AppError::Image {
        path: path.to_path_buf(),
        problem,
    };
    let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let decoded =
        image::load_from_memory(&bytes).map_err(|e| fail(format!("not a decodable image: {e}")))?;
    let (w, h) = (input.width as u32, input.height as u32);
    let scale = f64::max(
        w as f64 / decoded.width() as f64,
        h as f64 / decoded.height() as f64,
    );
    let rw = ((decoded.width() as f64 * scale).round() as u32).max(w);
    let rh = ((decoded.height() as f64 * scale).round() as u32).max(h);
    let resized = decoded.resize_exact(rw, rh, FilterType::Triangle).crop_imm(
        (rw - w) / 2,
        (rh - h) / 2,
        w,
        h,
    );
    match input.channels {
        1 => {
            let mut gray = resized.to_luma8().into_raw();
            if border_mean(&gray, input.width, input.height) > 127.0 {
                gray.iter_mut().for_each(|p| *p = 255 - *p);
            }
            Ok(gray)
        }
        3 => {
            let rgb = resized.to_rgb8();
            let plane = input.width * input.height;
            let mut out = vec![0u8; 3 * plane];
            for (i, px) in rgb.pixels().enumerate() {
                for c in 0..3 {
                    out[c * plane + i] = px[c];
                }
            }
            Ok(out)
        }
        c => Err(fail(format!(
            "models with {c} input channels are not supported"
        ))),
    }
}

fn border_mean(gray: &[u8], width: usize, height: usize) -> f64 {
    let mut sum = 0.0f64;
    let mut n = 0.0f64;
    for y in 0..height {
        for x in 0..width {
            if x == 0 || y == 0 || x + 1 == width || y + 1 == height {
                sum += f64::from(gray[y * width + x]);
                n += 1.0;
            }
        }
    }
    sum / n.max(1.0)
}

/// Predicts the `top_k` classes of each prepared image (`load_image`'s output).
pub fn predict_images(
    network: &Network,
    input: &InputSpec,
    class_names: &[String],
    images: &[(String, Vec<u8>)],
    top_k: usize,
    device: &Device,
) -> Vec<Prediction> {
    if images.is_empty() {
        return Vec::new();
    }
    let values: Vec<f32> = images
        .iter()
        .flat_map(|(_, px)| px.iter().map(|&p| f32::from(p) / 255.0))
        .collect();
    let batch = Tensor::<4>::from_data(
        TensorData::new(
            values,
            [images.len(), input.channels, input.height, input.width],
        ),
        device,
    );
    let probs = softmax(network.forward(batch), 1).into_data();
    let probs: Vec<f32> = probs.iter::<f32>().collect();
    let k = input.num_classes;
    images
        .iter()
        .enumerate()
        .map(|(i, (path, _))| {
            let row = &probs[i * k..(i + 1) * k];
            let mut order: Vec<usize> = (0..k).collect();
            order.sort_by(|&a, &b| row[b].total_cmp(&row[a]));
            Prediction {
                path: path.clone(),
                top: order
                    .into_iter()
                    .take(top_k.max(1))
                    .map(|c| ScoredClass {
                        class: class_names.get(c).cloned().unwrap_or_else(|| c.to_string()),
                        probability: f64::from(row[c]),
                    })
                    .collect(),
            }
        })
        .collect()
}

/// The outcome of [`predict_files`]: predictions for the images that could be read, and an
/// error for each that could not.
#[derive(Debug)]
pub struct PredictOutcome {
    /// One prediction per readable image, in the order given.
    pub predictions: Vec<Prediction>,
    /// One error per image that could not be read or decoded.
    pub failures: Vec<AppError>,
}

/// Loads the run in `run_dir` and predicts the `top_k` classes of every image in `paths`.
/// An unreadable image does not stop the others.
pub fn predict_files(
    run_dir: &Path,
    paths: &[PathBuf],
    top_k: usize,
    device: &Device,
) -> Result<PredictOutcome, AppError> {
    let (config, network) = train::load_run(run_dir, device)?;
    let mut prepared = Vec::new();
    let mut failures = Vec::new();
    for path in paths {
        match load_image(path, &config.input) {
            Ok(pixels) => prepared.push((path.display().to_string(), pixels)),
            Err(e) => failures.push(e),
        }
    }
    let predictions = predict_images(
        &network,
        &config.input,
        &config.class_names,
        &prepared,
        top_k,
        device,
    );
    Ok(PredictOutcome {
        predictions,
        failures,
    })
}
