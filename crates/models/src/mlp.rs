//! A multi-layer perceptron: the course's first image classifier (Fashion-MNIST 784-128-10,
//! MNIST 784-512-512-10 with dropout).

use burn::module::Module;
use burn::nn::activation::Activation;
use burn::nn::{Dropout, DropoutConfig, Linear};
use burn::prelude::*;

use crate::error::ModelError;
use crate::init::dense;
use crate::options::{ActivationKind, InputSpec, ModelOptions};
use crate::registry::{Architecture, ArchitectureConfig};
use crate::summary::LayerRow;

/// Configuration of an [`Mlp`].
#[derive(Config, Debug)]
pub struct MlpConfig {
    /// Values per input (784 for 28x28 grayscale).
    pub input_size: usize,
    /// Widths of the hidden layers, input side first.
    pub hidden: Vec<usize>,
    /// Number of output classes.
    pub num_classes: usize,
    /// Activation after each hidden layer.
    #[config(default = "ActivationKind::Relu")]
    pub activation: ActivationKind,
    /// Dropout probability after each hidden layer.
    #[config(default = 0.0)]
    pub dropout: f64,
}

/// Flatten, then `Linear -> activation -> dropout` per hidden layer, then a `Linear` to the
/// class logits.
#[derive(Module, Debug)]
pub struct Mlp {
    hidden: Vec<Linear>,
    output: Linear,
    activation: Activation,
    dropout: Dropout,
}

impl MlpConfig {
    /// Builds the network with fresh weights on `device`.
    pub fn init(&self, device: &Device) -> Mlp {
        let mut width = self.input_size;
        let hidden = self
            .hidden
            .iter()
            .map(|&h| {
                let layer = dense(width, h, device);
                width = h;
                layer
            })
            .collect();
        Mlp {
            hidden,
            output: dense(width, self.num_classes, device),
            activation: self.activation.init(device),
            dropout: DropoutConfig::new(self.dropout).init(),
        }
    }
}

impl ArchitectureConfig for MlpConfig {
    const OPTIONS: &'static [&'static str] = &["hidden", "activation", "dropout"];

    fn from_options(options: &ModelOptions, input: &InputSpec) -> Result<Self, ModelError> {
        if options.hidden.contains(&0) {
            return Err(ModelError::Invalid {
                model: "mlp",
                problem: format!("hidden layer widths must be positive, got {:?}", options.hidden),
            });
        }
        options.check_dropout("mlp")?;
        Ok(MlpConfig::new(input.flat_len(), options.hidden.clone(), input.num_classes)
            .with_activation(options.activation)
            .with_dropout(options.dropout))
    }
}

impl Architecture for Mlp {
    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let mut x: Tensor<2> = images.flatten(1, 3);
        for layer in &self.hidden {
            x = self.dropout.forward(self.activation.forward(layer.forward(x)));
        }
        self.output.forward(x)
    }

    fn layers(&self) -> Vec<LayerRow> {
        let input = self
            .hidden
            .first()
            .unwrap_or(&self.output)
            .weight
            .dims()[0];
        let mut rows = vec![LayerRow::new("flatten", "Flatten", &[input], 0)];
        for (i, layer) in self.hidden.iter().chain([&self.output]).enumerate() {
            let out = layer.weight.dims()[1];
            rows.push(LayerRow::new(
                format!("dense_{}", i + 1),
                "Linear",
                &[out],
                layer.num_params(),
            ));
            if i < self.hidden.len() && self.dropout.prob > 0.0 {
                rows.push(LayerRow::new(format!("dropout_{}", i + 1), "Dropout", &[out], 0));
            }
        }
        rows
    }
}
