//! `app predict`: a trained run's answers for image files or table rows, as its task
//! presents them (the most probable classes, a value, a reconstructed image).

use std::ops::Deref;
use std::path::{Path, PathBuf};

use burn::prelude::*;
use models::{InputSpec, Network};
use serde::Serialize;
use train::task::{Input, Output, PredictOptions};
use train::{LoadedRun, TrainingConfig};

pub use train::task::ScoredClass;

/// What can go wrong when predicting.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Loading the run failed.
    #[error(transparent)]
    Train(#[from] train::TrainError),
    /// The input does not fit the model.
    #[error("{0}")]
    Input(String),
    /// An image could not be read or decoded.
    #[error("{path}: {problem}")]
    Image {
        /// The image file.
        path: PathBuf,
        /// What went wrong.
        problem: String,
    },
}

/// The prediction for one image.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    /// The image file.
    pub path: String,
    /// The task's answer (`top` classes, a `prediction`, a `reconstruction` file).
    #[serde(flatten)]
    pub output: Output,
}

impl Deref for Prediction {
    type Target = Output;

    fn deref(&self) -> &Output {
        &self.output
    }
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
    image_input(&bytes, input).map_err(fail)
}

pub use data::folder::{MAX_IMAGE_BYTES, MAX_IMAGE_SIDE};

/// Decodes an encoded image (PNG, JPEG, BMP, GIF) into the model's input, as [`load_image`]
/// does for a file, through [`data::folder::decode_image`] and its size limits.
pub fn image_input(bytes: &[u8], input: &InputSpec) -> Result<Vec<u8>, String> {
    let decoded = data::folder::decode_image(bytes)?;
    let resized =
        data::folder::resize_center_crop(&decoded, input.width as u32, input.height as u32);
    match input.channels {
        1 => {
            let mut gray = resized.to_luma8().into_raw();
            if border_mean(&gray, input.width, input.height) > 127.0 {
                gray.iter_mut().for_each(|p| *p = 255 - *p);
            }
            Ok(gray)
        }
        3 => Ok(data::folder::rgb_planes(&resized.to_rgb8())),
        c => Err(format!("models with {c} input channels are not supported")),
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

/// The outcome of [`predict_files`]: predictions for the images that could be read, and an
/// error for each that could not.
#[derive(Debug)]
pub struct PredictOutcome {
    /// One prediction per readable image, in the order given.
    pub predictions: Vec<Prediction>,
    /// One error per image that could not be read or decoded.
    pub failures: Vec<AppError>,
}

/// File extensions `predict_files` takes from a folder.
pub const IMAGE_EXTENSIONS: [&str; 4] = ["png", "jpg", "jpeg", "bmp"];

/// `paths` with every folder replaced by the images in it (by extension, sorted by name, not
/// recursive). A folder that cannot be read or holds no image is an error.
fn expand_folders(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<AppError>) {
    let mut files = Vec::new();
    let mut failures = Vec::new();
    for path in paths {
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        let entries = match data::folder::sorted_entries(path) {
            Ok(entries) => entries,
            Err(e) => {
                failures.push(train::TrainError::from(e).into());
                continue;
            }
        };
        let images: Vec<PathBuf> = entries
            .into_iter()
            .filter(|p| {
                p.is_file()
                    && p.extension().and_then(|x| x.to_str()).is_some_and(|x| {
                        IMAGE_EXTENSIONS.contains(&x.to_ascii_lowercase().as_str())
                    })
            })
            .collect();
        if images.is_empty() {
            failures.push(AppError::Image {
                path: path.clone(),
                problem: format!("a folder without images ({})", IMAGE_EXTENSIONS.join(", ")),
            });
        }
        files.extend(images);
    }
    (files, failures)
}

/// Loads the run in `run_dir` and answers for every image in `paths` (for a classifier, its
/// `top_k` classes); a folder stands for the images in it. An unreadable image does not stop
/// the others.
pub fn predict_files(
    run_dir: &Path,
    paths: &[PathBuf],
    top_k: usize,
    device: &Device,
) -> Result<PredictOutcome, AppError> {
    let run = LoadedRun::load(run_dir, device)?;
    predict_run_images(
        &run,
        paths,
        &PredictOptions {
            top_k,
            out_dir: None,
        },
        device,
    )
}

/// Answers for every image in `paths` with a loaded run (see [`predict_files`]).
pub fn predict_run_images(
    run: &LoadedRun,
    paths: &[PathBuf],
    options: &PredictOptions,
    device: &Device,
) -> Result<PredictOutcome, AppError> {
    if run.takes_rows() {
        return Err(AppError::Input(format!(
            "{} is a model of table rows ({} features): use --values",
            run.dir.display(),
            run.config.input.channels
        )));
    }
    answer_images(&run.config, &run.network, paths, options, device)
}

/// The weights and inputs of the pretrained architecture `model`, or an error that says it has
/// none.
pub fn pretrained_of(model: &str) -> Result<models::Pretrained, AppError> {
    let entry = models::registry_find(model).map_err(train::TrainError::from)?;
    entry.pretrained.ok_or_else(|| {
        AppError::Input(format!(
            "`{model}` has no pretrained weights; give --run DIR of a trained run"
        ))
    })
}

/// The ImageNet classifier of a pretrained architecture, as it is (no run needed): the
/// network with the weights of `weights` and the config that [`predict_images`] needs.
/// `class_names` names the 1000 classes (`None`: `imagenet class N`).
pub fn imagenet_classifier(
    model: &str,
    weights: &Path,
    class_names: Option<Vec<String>>,
    device: &Device,
) -> Result<(TrainingConfig, Network), AppError> {
    let pretrained = pretrained_of(model)?;
    let config =
        models::ModelConfig::EfficientNetLite0(models::EfficientNetLite0Config::imagenet());
    let classes = models::efficientnet::IMAGENET_CLASSES;
    let class_names = class_names.unwrap_or_else(|| {
        (0..classes)
            .map(|c| format!("imagenet class {c}"))
            .collect()
    });
    if class_names.len() != classes {
        return Err(AppError::Input(format!(
            "{} class names given, the ImageNet classifier has {classes}",
            class_names.len()
        )));
    }
    let network = config
        .init(device)
        .load_pytorch(weights)
        .map_err(train::TrainError::from)?;
    let input = InputSpec {
        channels: pretrained.input.channels,
        height: pretrained.input.image_size,
        width: pretrained.input.image_size,
        num_classes: classes,
        ratings: None,
    };
    let config = TrainingConfig::new(
        config,
        models::ModelOptions::default(),
        "imagenet".into(),
        input,
        class_names,
        train::OptimizerSettings::new(),
    )
    .normalized_as(&pretrained);
    Ok((config, burn::module::Module::valid(&network)))
}

/// Predicts the `top_k` classes of every image in `paths` with `network` (a classifier
/// built by [`imagenet_classifier`], or any network with its run's config); a folder stands
/// for the images in it. An unreadable image does not stop the others.
pub fn predict_images(
    config: &TrainingConfig,
    network: &Network,
    paths: &[PathBuf],
    top_k: usize,
    device: &Device,
) -> Result<PredictOutcome, AppError> {
    answer_images(
        config,
        network,
        paths,
        &PredictOptions {
            top_k,
            out_dir: None,
        },
        device,
    )
}

/// Answers for images given as bytes, each with a label (its file name): what a request to
/// `app serve` carries. The first one that is not a decodable image is an error naming it.
pub fn predict_image_bytes(
    run: &LoadedRun,
    images: &[(String, Vec<u8>)],
    options: &PredictOptions,
    device: &Device,
) -> Result<Vec<Prediction>, AppError> {
    if run.takes_rows() {
        return Err(AppError::Input(format!(
            "`{}` is a model of table rows: send rows, not images",
            run.config.model.name()
        )));
    }
    let inputs = images
        .iter()
        .map(|(label, bytes)| {
            image_input(bytes, &run.config.input)
                .map(|pixels| Input {
                    values: pixels.iter().map(|&p| f32::from(p) / 255.0).collect(),
                    source: None,
                })
                .map_err(|problem| AppError::Image {
                    path: PathBuf::from(label),
                    problem,
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let outputs = run
        .task
        .predict(&run.network, &run.config, &inputs, options, device)?;
    Ok(outputs
        .into_iter()
        .zip(images)
        .map(|(output, (label, _))| Prediction {
            path: label.clone(),
            output,
        })
        .collect())
}

/// Reads every image of `paths` (folders expanded) and asks the config's task for its
/// answers.
fn answer_images(
    config: &TrainingConfig,
    network: &Network,
    paths: &[PathBuf],
    options: &PredictOptions,
    device: &Device,
) -> Result<PredictOutcome, AppError> {
    let task = train::task::find(&config.task)?;
    let (paths, mut failures) = expand_folders(paths);
    let mut inputs = Vec::new();
    for path in &paths {
        match load_image(path, &config.input) {
            Ok(pixels) => inputs.push(Input {
                values: pixels.iter().map(|&p| f32::from(p) / 255.0).collect(),
                source: Some(path.clone()),
            }),
            Err(e) => failures.push(e),
        }
    }
    let outputs = task.predict(network, config, &inputs, options, device)?;
    let predictions = outputs
        .into_iter()
        .zip(&inputs)
        .map(|(output, input)| Prediction {
            path: input
                .source
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            output,
        })
        .collect();
    Ok(PredictOutcome {
        predictions,
        failures,
    })
}

/// A (user, item) row of ids as in the ratings file, as the indices of `catalog` (an id it
/// lacks becomes one no model knows: the baseline answers).
fn in_catalog(row: &[f32], catalog: &data::Catalog) -> Vec<f32> {
    let id = |v: f32| {
        if v.fract() == 0.0 {
            format!("{}", v as i64)
        } else {
            v.to_string()
        }
    };
    let unknown = u32::MAX as f32;
    vec![
        catalog
            .user_index(&id(row[0]))
            .map_or(unknown, |u| u as f32),
        catalog
            .item_index(&id(row[1]))
            .map_or(unknown, |i| i as f32),
    ]
}

/// The prediction for one table row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowPrediction {
    /// The row's feature values, as given.
    pub values: Vec<f32>,
    /// The task's answer (`top` classes, or a `prediction`).
    #[serde(flatten)]
    pub output: Output,
}

impl Deref for RowPrediction {
    type Target = Output;

    fn deref(&self) -> &Output {
        &self.output
    }
}

/// Loads the run in `run_dir` (a model of table rows) and predicts each row of `rows`.
pub fn predict_rows(
    run_dir: &Path,
    rows: &[Vec<f32>],
    top_k: usize,
    device: &Device,
) -> Result<Vec<RowPrediction>, AppError> {
    let run = LoadedRun::load(run_dir, device)?;
    predict_run_rows(&run, rows, top_k, device)
}

/// Predicts each row of `rows` with a loaded run of a model of table rows.
pub fn predict_run_rows(
    run: &LoadedRun,
    rows: &[Vec<f32>],
    top_k: usize,
    device: &Device,
) -> Result<Vec<RowPrediction>, AppError> {
    let features = run.config.input.flat_len();
    if !run.takes_rows() {
        return Err(AppError::Input(format!(
            "{} is an image model: give image files, not --values",
            run.dir.display()
        )));
    }
    if let Some(row) = rows.iter().find(|r| r.len() != features) {
        return Err(AppError::Input(format!(
            "--values {:?} has {} values; the model takes {features}",
            row,
            row.len()
        )));
    }
    let inputs: Vec<Input> = rows
        .iter()
        .map(|r| Input {
            values: match &run.catalog {
                // A recommender's row is a user and an item, by their ids in the ratings file.
                Some(catalog) => in_catalog(r, catalog),
                None => r.clone(),
            },
            source: None,
        })
        .collect();
    let outputs = run.task.predict(
        &run.network,
        &run.config,
        &inputs,
        &PredictOptions {
            top_k,
            out_dir: None,
        },
        device,
    )?;
    Ok(rows
        .iter()
        .zip(outputs)
        .map(|(values, output)| RowPrediction {
            values: values.clone(),
            output,
        })
        .collect())
}
