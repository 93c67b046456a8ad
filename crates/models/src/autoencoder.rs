//! The dense autoencoder of the Keras example: flatten, dense layers down to a small code
//! (784 -> 32 by default), and dense layers back up to one output per input value. It is
//! trained to reconstruct its input: its outputs are the logits of the pixel intensities
//! (the reconstruction task applies the sigmoid).

use burn::module::Module;
use burn::nn::Linear;
use burn::nn::activation::Activation;
use burn::prelude::*;

use crate::error::ModelError;
use crate::init::dense;
use crate::options::{ActivationKind, InputSpec, LrSchedule, ModelOptions, Recipe};
use crate::registry::{Architecture, ArchitectureConfig};
use crate::summary::LayerRow;

/// Configuration of an [`Autoencoder`].
#[derive(Config, Debug)]
pub struct AutoencoderConfig {
    /// Values per input (784 for 28x28 grayscale), and as many outputs.
    pub input_size: usize,
    /// Widths of the encoder's hidden layers, input side first; the decoder mirrors them.
    pub hidden: Vec<usize>,
    /// Width of the code.
    pub code: usize,
    /// Activation after every layer but the last (the code's included, as in Keras).
    #[config(default = "ActivationKind::Relu")]
    pub activation: ActivationKind,
}

/// Encoder `input -> hidden.. -> code`, decoder `code -> hidden (reversed).. -> input`.
#[derive(Module, Debug)]
pub struct Autoencoder {
    encoder: Vec<Linear>,
    decoder: Vec<Linear>,
    activation: Activation,
}

/// Dense layers through `widths`, each `widths[i] -> widths[i + 1]`.
fn chain(widths: &[usize], device: &Device) -> Vec<Linear> {
    widths
        .windows(2)
        .map(|w| dense(w[0], w[1], device))
        .collect()
}

impl AutoencoderConfig {
    /// Builds the network with fresh weights on `device`.
    pub fn init(&self, device: &Device) -> Autoencoder {
        let mut down = vec![self.input_size];
        down.extend(&self.hidden);
        down.push(self.code);
        let up: Vec<usize> = down.iter().rev().copied().collect();
        Autoencoder {
            encoder: chain(&down, device),
            decoder: chain(&up, device),
            activation: self.activation.init(device),
        }
    }
}

/// The training defaults of the Keras autoencoder example: Adam at 1e-3, batch 256, 50
/// epochs, no dropout, no schedule.
pub const AUTOENCODER_RECIPE: Recipe = Recipe {
    epochs: 50,
    batch_size: 256,
    lr: 1e-3,
    patience: 0,
    schedule: LrSchedule::Constant,
    dropout: 0.0,
    hidden: &[],
    activation: ActivationKind::Relu,
    reconstructs: true,
    ..Recipe::STANDARD
};

impl ArchitectureConfig for AutoencoderConfig {
    const OPTIONS: &'static [&'static str] = &["hidden", "activation", "code"];

    const RECIPE: Recipe = AUTOENCODER_RECIPE;

    fn from_options(options: &ModelOptions, input: &InputSpec) -> Result<Self, ModelError> {
        if options.hidden.contains(&0) || options.code == 0 {
            return Err(ModelError::Invalid {
                model: "autoencoder",
                problem: format!(
                    "layer widths must be positive, got --hidden {:?} --code {}",
                    options.hidden, options.code
                ),
            });
        }
        Ok(
            AutoencoderConfig::new(input.flat_len(), options.hidden.clone(), options.code)
                .with_activation(options.activation),
        )
    }
}

impl Autoencoder {
    fn run(&self, layers: &[Linear], mut x: Tensor<2>, last_activated: bool) -> Tensor<2> {
        for (i, layer) in layers.iter().enumerate() {
            x = layer.forward(x);
            if last_activated || i + 1 < layers.len() {
                x = self.activation.forward(x);
            }
        }
        x
    }
}

impl Architecture for Autoencoder {
    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let code = self.run(&self.encoder, images.flatten(1, 3), true);
        self.run(&self.decoder, code, false)
    }

    fn code(&self, images: Tensor<4>) -> Option<Tensor<2>> {
        Some(self.run(&self.encoder, images.flatten(1, 3), true))
    }

    fn layers(&self) -> Vec<LayerRow> {
        let input = self.encoder[0].weight.dims()[0];
        let mut rows = vec![LayerRow::new("flatten", "Flatten", &[input], 0)];
        let n = self.encoder.len();
        for (i, layer) in self.encoder.iter().chain(&self.decoder).enumerate() {
            let name = match i {
                i if i + 1 == n => "code".to_string(),
                i if i < n => format!("encoder_{}", i + 1),
                i => format!("decoder_{}", i - n + 1),
            };
            rows.push(LayerRow::new(
                name,
                "Linear",
                &[layer.weight.dims()[1]],
                layer.num_params(),
            ));
        }
        rows
    }
}
