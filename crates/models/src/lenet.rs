//! LeNet-5 (LeCun et al., 1998) as the courses teach it: conv 6@5x5 (same padding), relu,
//! max-pool 2; conv 16@5x5, relu, max-pool 2; dense 120, 84, then the classes.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, PaddingConfig2d, Relu};
use burn::prelude::*;

use crate::error::ModelError;
use crate::init::{conv2d, dense};
use crate::options::{InputSpec, ModelOptions};
use crate::registry::{Architecture, ArchitectureConfig};
use crate::summary::LayerRow;

/// Configuration of a [`LeNet`].
#[derive(Config, Debug)]
pub struct LeNetConfig {
    /// Input channels (1 for grayscale).
    pub channels: usize,
    /// Input height.
    pub height: usize,
    /// Input width.
    pub width: usize,
    /// Number of output classes.
    pub num_classes: usize,
}

/// The LeNet-5 network.
#[derive(Module, Debug)]
pub struct LeNet {
    conv1: Conv2d,
    conv2: Conv2d,
    pool: MaxPool2d,
    fc1: Linear,
    fc2: Linear,
    fc3: Linear,
    relu: Relu,
    #[module(skip)]
    input: [usize; 3],
}

impl LeNetConfig {
    /// Spatial size after conv1 (same) + pool, conv2 (valid, 5x5) + pool.
    fn feature_size(&self) -> (usize, usize) {
        let stage = |s: usize| (s / 2).saturating_sub(4) / 2;
        (stage(self.height), stage(self.width))
    }

    /// Builds the network with fresh weights on `device`.
    pub fn init(&self, device: &Device) -> LeNet {
        let (h, w) = self.feature_size();
        LeNet {
            conv1: conv2d(
                Conv2dConfig::new([self.channels, 6], [5, 5])
                    .with_padding(PaddingConfig2d::Explicit(2, 2, 2, 2)),
                device,
            ),
            conv2: conv2d(Conv2dConfig::new([6, 16], [5, 5]), device),
            pool: MaxPool2dConfig::new([2, 2]).init(),
            fc1: dense(16 * h * w, 120, device),
            fc2: dense(120, 84, device),
            fc3: dense(84, self.num_classes, device),
            relu: Relu::new(),
            input: [self.channels, self.height, self.width],
        }
    }
}

impl ArchitectureConfig for LeNetConfig {
    const OPTIONS: &'static [&'static str] = &[];

    fn from_options(_options: &ModelOptions, input: &InputSpec) -> Result<Self, ModelError> {
        let config = LeNetConfig::new(input.channels, input.height, input.width, input.num_classes);
        let (h, w) = config.feature_size();
        if h == 0 || w == 0 {
            return Err(ModelError::Invalid {
                model: "lenet",
                problem: format!(
                    "images of {}x{} are too small (at least 12x12)",
                    input.height, input.width
                ),
            });
        }
        Ok(config)
    }
}

impl Architecture for LeNet {
    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let x = self.pool.forward(self.relu.forward(self.conv1.forward(images)));
        let x = self.pool.forward(self.relu.forward(self.conv2.forward(x)));
        let x: Tensor<2> = x.flatten(1, 3);
        let x = self.relu.forward(self.fc1.forward(x));
        let x = self.relu.forward(self.fc2.forward(x));
        self.fc3.forward(x)
    }

    fn layers(&self) -> Vec<LayerRow> {
        let [_, h, w] = self.input;
        let (h1, w1) = (h / 2, w / 2);
        let (h2, w2) = (h1 - 4, w1 - 4);
        let (h3, w3) = (h2 / 2, w2 / 2);
        vec![
            LayerRow::new("conv2d_1", "Conv2d", &[6, h, w], self.conv1.num_params()),
            LayerRow::new("max_pool_1", "MaxPool2d", &[6, h1, w1], 0),
            LayerRow::new("conv2d_2", "Conv2d", &[16, h2, w2], self.conv2.num_params()),
            LayerRow::new("max_pool_2", "MaxPool2d", &[16, h3, w3], 0),
            LayerRow::new("flatten", "Flatten", &[16 * h3 * w3], 0),
            LayerRow::new("dense_1", "Linear", &[120], self.fc1.num_params()),
            LayerRow::new("dense_2", "Linear", &[84], self.fc2.num_params()),
            LayerRow::new("dense_3", "Linear", &[self.fc3.weight.dims()[1]], self.fc3.num_params()),
        ]
    }
}
