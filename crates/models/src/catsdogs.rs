//! The course's dogs-vs-cats CNN: blocks of conv 3x3 (same padding), batch norm, relu and
//! max-pool 2 (widths 32-64-128-128 by default), then dropout, dense 512 with relu, and the
//! class logits. Batch norm and dropout can each be turned off to rerun the course's
//! comparison. Convolutions and dense layers start as Keras's do (Glorot-uniform, zero bias).

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{
    BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, PaddingConfig2d, Relu,
};
use burn::prelude::*;

use crate::error::ModelError;
use crate::init;
use crate::options::{InputSpec, LrSchedule, ModelOptions, Recipe};
use crate::registry::{Architecture, ArchitectureConfig};
use crate::summary::LayerRow;

/// Output channels of the conv blocks when `--widths` says nothing: the course's 32-64-128-128.
pub const DEFAULT_WIDTHS: [usize; 4] = [32, 64, 128, 128];

/// Configuration of a [`CatsDogsCnn`].
#[derive(Config, Debug)]
pub struct CatsDogsConfig {
    /// Input channels (3 for RGB).
    pub channels: usize,
    /// Input height.
    pub height: usize,
    /// Input width.
    pub width: usize,
    /// Number of output classes.
    pub num_classes: usize,
    /// Output channels of each conv block.
    #[config(default = "DEFAULT_WIDTHS.to_vec()")]
    pub widths: Vec<usize>,
    /// Batch norm after each convolution.
    #[config(default = true)]
    pub batch_norm: bool,
    /// Dropout before the dense layers.
    #[config(default = "<CatsDogsConfig as ArchitectureConfig>::RECIPE.dropout")]
    pub dropout: f64,
    /// Width of the hidden dense layer.
    #[config(default = 512)]
    pub dense: usize,
}

/// One block: conv 3x3 (same), optional batch norm, relu, max-pool 2.
#[derive(Module, Debug)]
pub struct ConvBlock {
    conv: Conv2d,
    norm: Option<BatchNorm>,
    pool: MaxPool2d,
    relu: Relu,
}

impl ConvBlock {
    fn new(input: usize, output: usize, batch_norm: bool, device: &Device) -> Self {
        Self {
            conv: init::conv2d(
                Conv2dConfig::new([input, output], [3, 3]).with_padding(PaddingConfig2d::Same),
                device,
            ),
            norm: batch_norm.then(|| BatchNormConfig::new(output).init(device)),
            pool: MaxPool2dConfig::new([2, 2]).init(),
            relu: Relu::new(),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = self.conv.forward(x);
        let x = match &self.norm {
            Some(norm) => norm.forward(x),
            None => x,
        };
        self.pool.forward(self.relu.forward(x))
    }
}

/// The dogs-vs-cats CNN.
#[derive(Module, Debug)]
pub struct CatsDogsCnn {
    blocks: Vec<ConvBlock>,
    dropout: Dropout,
    fc1: Linear,
    fc2: Linear,
    relu: Relu,
    #[module(skip)]
    input: [usize; 3],
}

impl CatsDogsConfig {
    /// Spatial size after the pooling of every block.
    fn feature_size(&self) -> (usize, usize) {
        let n = self.widths.len() as u32;
        (self.height >> n, self.width >> n)
    }

    /// Builds the network with fresh weights on `device`.
    pub fn init(&self, device: &Device) -> CatsDogsCnn {
        let mut input = self.channels;
        let blocks = self
            .widths
            .iter()
            .map(|&w| {
                let block = ConvBlock::new(input, w, self.batch_norm, device);
                input = w;
                block
            })
            .collect();
        let (h, w) = self.feature_size();
        CatsDogsCnn {
            blocks,
            dropout: DropoutConfig::new(self.dropout).init(),
            fc1: init::dense(input * h * w, self.dense, device),
            fc2: init::dense(self.dense, self.num_classes, device),
            relu: Relu::new(),
            input: [self.channels, self.height, self.width],
        }
    }
}

impl ArchitectureConfig for CatsDogsConfig {
    const OPTIONS: &'static [&'static str] = &["widths", "batch-norm", "dropout"];

    /// A few thousand photos and a 4-million-weight dense layer: small batches, a small
    /// learning rate (Adam at 1e-3 and batch 64 diverged in the first epoch and stalled near
    /// chance) annealed to 0 over 40 epochs, and early stopping.
    const RECIPE: Recipe = Recipe {
        epochs: 40,
        batch_size: 32,
        lr: 3e-4,
        patience: 15,
        schedule: LrSchedule::Cosine,
        // Dropout: the standard 0.2, which every measured run had (docs/results.md: 0.800); the
        // config's own default is the recipe's, so a config built in code trains alike.
        ..Recipe::STANDARD
    };

    fn from_options(options: &ModelOptions, input: &InputSpec) -> Result<Self, ModelError> {
        let widths = options
            .widths
            .clone()
            .unwrap_or_else(|| DEFAULT_WIDTHS.to_vec());
        let config = CatsDogsConfig::new(input.channels, input.height, input.width, input.num_classes)
            .with_widths(widths)
            .with_batch_norm(options.batch_norm)
            .with_dropout(options.dropout);
        let (h, w) = config.feature_size();
        if config.widths.is_empty() || config.widths.contains(&0) {
            return Err(ModelError::Invalid {
                model: "catsdogs",
                problem: format!("block widths must be positive, got {:?}", config.widths),
            });
        }
        if h == 0 || w == 0 {
            return Err(ModelError::Invalid {
                model: "catsdogs",
                problem: format!(
                    "images of {}x{} are too small for {} blocks of max-pool 2",
                    input.height,
                    input.width,
                    config.widths.len()
                ),
            });
        }
        options.check_dropout("catsdogs")?;
        Ok(config)
    }
}

impl Architecture for CatsDogsCnn {
    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let mut x = images;
        for block in &self.blocks {
            x = block.forward(x);
        }
        let x: Tensor<2> = x.flatten(1, 3);
        let x = self.relu.forward(self.fc1.forward(self.dropout.forward(x)));
        self.fc2.forward(x)
    }

    fn layers(&self) -> Vec<LayerRow> {
        let [_, mut h, mut w] = self.input;
        let mut rows = Vec::new();
        let mut channels = 0;
        for (i, block) in self.blocks.iter().enumerate() {
            channels = block.conv.weight.dims()[0];
            rows.push(LayerRow::new(format!("conv2d_{}", i + 1), "Conv2d", &[channels, h, w], block.conv.num_params()));
            if let Some(norm) = &block.norm {
                rows.push(
                    LayerRow::new(format!("batch_norm_{}", i + 1), "BatchNorm", &[channels, h, w], norm.num_params())
                        .with_non_trainable(2 * channels),
                );
            }
            h /= 2;
            w /= 2;
            rows.push(LayerRow::new(format!("max_pool_{}", i + 1), "MaxPool2d", &[channels, h, w], 0));
        }
        let flat = channels * h * w;
        rows.push(LayerRow::new("flatten", "Flatten", &[flat], 0));
        if self.dropout.prob > 0.0 {
            rows.push(LayerRow::new("dropout", "Dropout", &[flat], 0));
        }
        rows.push(LayerRow::new("dense_1", "Linear", &[self.fc1.weight.dims()[1]], self.fc1.num_params()));
        rows.push(LayerRow::new("dense_2", "Linear", &[self.fc2.weight.dims()[1]], self.fc2.num_params()));
        rows
    }
}
