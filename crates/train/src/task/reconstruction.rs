//! Reconstruction: an autoencoder learns to give back its input (with `--input-noise`, the
//! clean input from a noisy one: a denoising autoencoder). The network's outputs are the
//! logits of the pixel intensities; the reconstruction is their sigmoid. The loss is binary
//! cross-entropy per pixel (as in the Keras example) or MSE; the report shows reconstructed
//! test images and, for a two-dimensional code, the test set's codes by class. `app predict`
//! writes the reconstruction of each image beside it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::prelude::*;
use burn::tensor::Distribution;
use burn::tensor::activation::{relu, sigmoid};
use burn::train::metric::LossMetric;
use burn::train::{RegressionOutput, SupervisedTraining};
use data::fsutil::write_atomic;
use data::{ImageBatch, ImageBatcher};
use models::Network;

use super::{DataShape, Evaluated, Examples, Input, Output, PredictOptions, Task};
pub use crate::config::ReconstructionLoss;
use crate::config::TrainingConfig;
use crate::error::TrainError;
use crate::learner::{Learned, Stage, TaskModel, learn};
use crate::regularization::Penalty;
use crate::report::SplitMetrics;

/// Reconstructed test images.
pub const RECONSTRUCTIONS_PNG: &str = "reconstructions.png";
/// The test set's two-dimensional codes, by class.
pub const LATENT_PNG: &str = "latent.png";
/// Test images `reconstructions.png` shows.
pub const SHOWN: usize = 16;

/// The reconstruction task.
#[derive(Debug, Clone, Copy)]
pub struct Reconstruction;

/// A [`Network`] trained to reconstruct its input.
#[derive(Module, Debug)]
pub struct Reconstructor {
    /// The network being trained.
    pub network: Network,
    /// The L1/L2 penalty added to the loss.
    #[module(skip)]
    pub penalty: Penalty,
    /// Standard deviation of the Gaussian noise added to the input (0: none).
    #[module(skip)]
    pub noise: f64,
    /// The per-pixel loss.
    #[module(skip)]
    pub loss: ReconstructionLoss,
}

/// Per-example binary cross-entropy and squared error of `logits` `[n, d]` against `targets`,
/// each averaged over the `d` values.
fn per_example_losses(logits: Tensor<2>, targets: Tensor<2>) -> (Tensor<1>, Tensor<1>) {
    let [n, _] = logits.dims();
    // BCE with logits, stable: max(z, 0) - z t + log(1 + e^-|z|).
    let bce = relu(logits.clone()) - logits.clone() * targets.clone()
        + logits.clone().abs().neg().exp().log1p();
    let mse = (sigmoid(logits) - targets).powi_scalar(2);
    (bce.mean_dim(1).reshape([n]), mse.mean_dim(1).reshape([n]))
}

/// `images` with Gaussian noise of standard deviation `std`, clipped to `[0, 1]`.
pub fn noisy(images: Tensor<4>, std: f64) -> Tensor<4> {
    if std <= 0.0 {
        return images;
    }
    let noise = Tensor::random(
        images.shape(),
        Distribution::Normal(0.0, std),
        &images.device(),
    );
    (images + noise).clamp(0.0, 1.0)
}

impl Reconstructor {
    /// Reconstructions, per-example losses and targets (the clean images, flattened).
    pub fn forward_reconstruction(&self, batch: ImageBatch) -> RegressionOutput {
        let clean = batch.images;
        let targets: Tensor<2> = clean.clone().flatten(1, 3);
        let logits = self.network.forward(noisy(clean, self.noise));
        let (bce, mse) = per_example_losses(logits.clone(), targets.clone());
        let loss = match self.loss {
            ReconstructionLoss::Bce => bce,
            ReconstructionLoss::Mse => mse,
        };
        RegressionOutput::new(loss, sigmoid(logits), targets)
    }
}

crate::task_steps!(Reconstructor, RegressionOutput, forward_reconstruction);

impl TaskModel for Reconstructor {
    fn wrap(network: Network, config: &TrainingConfig) -> Self {
        Self {
            network,
            penalty: Penalty::of(config),
            noise: config.input_noise,
            loss: config.loss,
        }
    }

    fn into_network(self) -> Network {
        self.network
    }

    fn with_metrics(training: SupervisedTraining<Self>) -> SupervisedTraining<Self> {
        training.metrics((LossMetric::new(),))
    }
}

/// One image as `u8` pixels, from `[0, 1]` floats.
fn to_pixels(values: &[f32]) -> Vec<u8> {
    values
        .iter()
        .map(|&v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
        .collect()
}

/// One shown example: the input, the noisy input (when denoising), the reconstruction.
struct Shown {
    input: Vec<f32>,
    noisy: Option<Vec<f32>>,
    output: Vec<f32>,
}

/// The two-dimensional codes of the evaluated examples, with their classes.
struct Latent {
    codes: Vec<(f64, f64)>,
    labels: Vec<usize>,
    class_names: Vec<String>,
}

/// A reconstruction evaluated on a split.
pub struct ReconstructionEvaluation {
    metrics: SplitMetrics,
    loss: ReconstructionLoss,
    examples: usize,
    shape: [usize; 3],
    /// Up to [`SHOWN`] examples.
    shown: Vec<Shown>,
    /// The codes, when they have two dimensions.
    latent: Option<Latent>,
}

impl Task for Reconstruction {
    fn name(&self) -> &'static str {
        "reconstruct"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["reconstruction"]
    }

    fn description(&self) -> &'static str {
        "reconstruct the input, an autoencoder's task (binary cross-entropy or MSE per pixel)"
    }

    fn check_data(&self, shape: DataShape) -> Result<(), TrainError> {
        if shape.has_values {
            return Err(TrainError::Config(
                "reconstruction learns images, not a table's target values".into(),
            ));
        }
        Ok(())
    }

    fn standardizes_inputs(&self) -> bool {
        false
    }

    fn check_model(&self, model: &models::ModelEntry) -> Result<(), TrainError> {
        if model.recipe.reconstructs {
            return Ok(());
        }
        let autoencoders: Vec<&str> = models::REGISTRY
            .iter()
            .filter(|e| e.recipe.reconstructs)
            .map(|e| e.name)
            .collect();
        Err(TrainError::Config(format!(
            "--task reconstruct needs an autoencoder ({}); `{}` does not give back its input",
            autoencoders.join(", "),
            model.name
        )))
    }

    fn learn(&self, stage: Stage<'_>) -> Result<Learned, TrainError> {
        if stage.config.normalization.is_some() {
            return Err(TrainError::Config(
                "reconstruction compares the output with the [0, 1] pixels themselves: \
                 train it with --standardize false"
                    .into(),
            ));
        }
        learn::<Reconstructor>(stage)
    }

    fn evaluate(
        &self,
        network: &Network,
        config: &TrainingConfig,
        examples: Examples<'_>,
        device: &Device,
    ) -> Result<Box<dyn Evaluated>, TrainError> {
        let set = examples.set;
        let network = network.valid();
        // The same noise for the same run: seeded.
        device.seed(config.seed ^ 0x0015_E000);
        let batcher =
            ImageBatcher::new(set.clone()).with_normalization(examples.normalization.cloned());
        let (mut bce_sum, mut mse_sum) = (0.0f64, 0.0f64);
        let mut shown = Vec::new();
        let mut codes = Vec::new();
        let mut two_d = true;
        for chunk in examples
            .indices
            .chunks(crate::evaluate::evaluation_batch(set.example_len()))
        {
            let clean = batcher.images(chunk, device);
            let input = noisy(clean.clone(), config.input_noise);
            let targets: Tensor<2> = clean.flatten(1, 3);
            let logits = network.forward(input.clone());
            let (bce, mse) = per_example_losses(logits.clone(), targets.clone());
            bce_sum += f64::from(bce.sum().into_scalar::<f32>());
            mse_sum += f64::from(mse.sum().into_scalar::<f32>());
            if two_d {
                match network.code(input.clone()) {
                    Some(code) if code.dims()[1] == 2 => {
                        let values: Vec<f32> = code.into_data().iter::<f32>().collect();
                        codes.extend(values.chunks(2).map(|c| (f64::from(c[0]), f64::from(c[1]))));
                    }
                    _ => two_d = false,
                }
            }
            if shown.len() < SHOWN {
                let take = (SHOWN - shown.len()).min(chunk.len());
                let d = set.example_len();
                let rows = |t: Tensor<2>| -> Vec<Vec<f32>> {
                    t.into_data()
                        .iter::<f32>()
                        .collect::<Vec<_>>()
                        .chunks(d)
                        .take(take)
                        .map(<[f32]>::to_vec)
                        .collect()
                };
                let originals = rows(targets);
                let noisy_rows = (config.input_noise > 0.0).then(|| rows(input.flatten(1, 3)));
                let outputs = rows(sigmoid(logits));
                for (i, (original, output)) in originals.into_iter().zip(outputs).enumerate() {
                    let noisy = noisy_rows.as_ref().map(|r| r[i].clone());
                    shown.push(Shown {
                        input: original,
                        noisy,
                        output,
                    });
                }
            }
        }
        let n = examples.indices.len().max(1) as f64;
        let (bce, mse) = (bce_sum / n, mse_sum / n);
        let latent = (two_d && !codes.is_empty()).then(|| {
            let labels = examples.indices.iter().map(|&i| set.labels[i]).collect();
            Latent {
                codes,
                labels,
                class_names: config.class_names.clone(),
            }
        });
        Ok(Box::new(ReconstructionEvaluation {
            metrics: SplitMetrics {
                loss: match config.loss {
                    ReconstructionLoss::Bce => bce,
                    ReconstructionLoss::Mse => mse,
                },
                mse: Some(mse),
                bce: Some(bce),
                ..SplitMetrics::default()
            },
            loss: config.loss,
            examples: examples.indices.len(),
            shape: [set.channels, set.height, set.width],
            shown,
            latent,
        }))
    }

    fn predict(
        &self,
        network: &Network,
        config: &TrainingConfig,
        inputs: &[Input],
        options: &PredictOptions,
        device: &Device,
    ) -> Result<Vec<Output>, TrainError> {
        let input = &config.input;
        let logits = super::raw_outputs(network, config, inputs, device);
        let d = input.flat_len();
        let mut outputs = Vec::with_capacity(inputs.len());
        for (given, row) in inputs.iter().zip(logits.chunks(d)) {
            let reconstruction: Vec<f32> = row.iter().map(|&z| 1.0 / (1.0 + (-z).exp())).collect();
            let error = given
                .values
                .iter()
                .zip(&reconstruction)
                .map(|(&a, &b)| f64::from(a - b).powi(2))
                .sum::<f64>()
                / d.max(1) as f64;
            let Some(source) = &given.source else {
                return Err(TrainError::Config(
                    "a reconstruction is an image: give image files".into(),
                ));
            };
            let path = reconstruction_path(source, options.out_dir.as_deref());
            let png = report::image_png(
                &to_pixels(&reconstruction),
                input.channels,
                input.height,
                input.width,
            )
            .map_err(|e| TrainError::Io(e.to_string()))?;
            write_atomic(&path, &png)?;
            outputs.push(Output {
                reconstruction: Some(path.display().to_string()),
                error: Some(error),
                text: format!("reconstruction in {} (MSE {error:.6})", path.display()),
                ..Output::default()
            });
        }
        Ok(outputs)
    }

    fn headline(&self, m: &SplitMetrics) -> String {
        format!("loss {:.4}, MSE {:.6}", m.loss, m.mse.unwrap_or(f64::NAN))
    }
}

/// Where `app predict` writes the reconstruction of `source`: `NAME.reconstruction.png` in
/// `out_dir`, or beside the input.
pub fn reconstruction_path(source: &Path, out_dir: Option<&Path>) -> PathBuf {
    let stem = source
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "input".into());
    let dir = out_dir
        .map(Path::to_path_buf)
        .or_else(|| source.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    dir.join(format!("{stem}.reconstruction.png"))
}

impl Evaluated for ReconstructionEvaluation {
    fn metrics(&self) -> SplitMetrics {
        self.metrics
    }

    fn headline_rows(&self) -> Vec<(String, String)> {
        let m = &self.metrics;
        let name = match self.loss {
            ReconstructionLoss::Bce => "loss (binary cross-entropy per pixel)",
            ReconstructionLoss::Mse => "loss (MSE per pixel)",
        };
        vec![
            (name.into(), format!("{:.4}", m.loss)),
            ("MSE".into(), format!("{:.6}", m.mse.unwrap_or(f64::NAN))),
            (
                "binary cross-entropy".into(),
                format!("{:.4}", m.bce.unwrap_or(f64::NAN)),
            ),
            ("examples".into(), self.examples.to_string()),
        ]
    }

    fn write_sections(
        &self,
        dir: &Path,
        split: &str,
        written: &mut Vec<&'static str>,
    ) -> Result<String, TrainError> {
        let png = |e: report::ReportError| TrainError::Io(e.to_string());
        let [channels, height, width] = self.shape;
        let image = |values: &[f32], caption: &str| report::GridImage {
            pixels: to_pixels(values),
            channels,
            height,
            width,
            caption: caption.to_string(),
        };
        let mut md = String::new();
        if !self.shown.is_empty() {
            // One column per example: input, noisy input, reconstruction, top to bottom.
            let rows = if self.shown[0].noisy.is_some() { 3 } else { 2 };
            let mut cells = Vec::with_capacity(self.shown.len() * rows);
            for row in 0..rows {
                for shown in &self.shown {
                    cells.push(match (row, &shown.noisy) {
                        (0, _) => image(&shown.input, "input"),
                        (1, Some(n)) => image(n, "noisy"),
                        _ => image(&shown.output, "output"),
                    });
                }
            }
            let grid = report::image_grid_png(
                &if rows == 3 {
                    format!("{split} images, their noisy inputs, and their reconstructions")
                } else {
                    format!("{split} images (top) and their reconstructions (bottom)")
                },
                &cells,
                self.shown.len(),
                64,
            )
            .map_err(png)?;
            write_atomic(&dir.join(RECONSTRUCTIONS_PNG), &grid)?;
            written.push(RECONSTRUCTIONS_PNG);
            let _ = writeln!(
                md,
                "\n## Reconstructions\n\n![{split} images and their reconstructions]({RECONSTRUCTIONS_PNG})\n"
            );
        }
        if let Some(latent) = &self.latent {
            let picture = report::latent_png(
                &latent.codes,
                &latent.labels,
                &latent.class_names,
                &format!("{split} codes by class"),
            )
            .map_err(png)?;
            write_atomic(&dir.join(LATENT_PNG), &picture)?;
            written.push(LATENT_PNG);
            let _ = writeln!(
                md,
                "## Latent space\n\n![the {split} set's codes, coloured by class]({LATENT_PNG})\n"
            );
        }
        Ok(md)
    }
}
