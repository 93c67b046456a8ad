//! A convolutional autoencoder: two stride-2 convolutions halve the image twice, a dense
//! layer makes the code, and a dense layer and two stride-2 transposed convolutions bring it
//! back to the image's size. Like the dense [`Autoencoder`](crate::Autoencoder), its outputs
//! are the logits of the pixel intensities, flattened.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{Linear, PaddingConfig2d, Relu};
use burn::prelude::*;

use crate::autoencoder::AUTOENCODER_RECIPE;
use crate::error::ModelError;
use crate::init::{conv2d, dense};
use crate::options::{InputSpec, ModelOptions, Recipe};
use crate::registry::{Architecture, ArchitectureConfig};
use crate::summary::LayerRow;

/// Channels of the two convolutions when `--widths` says nothing.
pub const DEFAULT_WIDTHS: [usize; 2] = [16, 32];

/// Configuration of a [`ConvAutoencoder`].
#[derive(Config, Debug)]
pub struct ConvAutoencoderConfig {
    /// Input channels.
    pub channels: usize,
    /// Input height (a multiple of 4).
    pub height: usize,
    /// Input width (a multiple of 4).
    pub width: usize,
    /// Output channels of the two convolutions.
    #[config(default = "DEFAULT_WIDTHS")]
    pub widths: [usize; 2],
    /// Width of the code.
    pub code: usize,
}

/// Conv 3x3/2 -> relu -> conv 3x3/2 -> relu -> dense code -> relu -> dense -> relu ->
/// transposed conv 3x3/2 -> relu -> transposed conv 3x3/2.
#[derive(Module, Debug)]
pub struct ConvAutoencoder {
    conv1: Conv2d,
    conv2: Conv2d,
    to_code: Linear,
    from_code: Linear,
    deconv1: ConvTranspose2d,
    deconv2: ConvTranspose2d,
    relu: Relu,
    /// `[widths[1], height / 4, width / 4]`: the shape the decoder's dense layer reshapes to.
    #[module(skip)]
    inner: [usize; 3],
}

impl ConvAutoencoderConfig {
    /// Builds the network with fresh weights on `device`.
    pub fn init(&self, device: &Device) -> ConvAutoencoder {
        let [w1, w2] = self.widths;
        let inner = [w2, self.height / 4, self.width / 4];
        let flat = inner.iter().product();
        let down = |from: usize, to: usize| {
            conv2d(
                Conv2dConfig::new([from, to], [3, 3])
                    .with_stride([2, 2])
                    .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)),
                device,
            )
        };
        let up = |from: usize, to: usize| {
            ConvTranspose2dConfig::new([from, to], [3, 3])
                .with_stride([2, 2])
                .with_padding([1, 1])
                .with_padding_out([1, 1])
                .init(device)
        };
        ConvAutoencoder {
            conv1: down(self.channels, w1),
            conv2: down(w1, w2),
            to_code: dense(flat, self.code, device),
            from_code: dense(self.code, flat, device),
            deconv1: up(w2, w1),
            deconv2: up(w1, self.channels),
            relu: Relu::new(),
            inner,
        }
    }
}

impl ArchitectureConfig for ConvAutoencoderConfig {
    const OPTIONS: &'static [&'static str] = &["widths", "code"];

    const RECIPE: Recipe = AUTOENCODER_RECIPE;

    fn from_options(options: &ModelOptions, input: &InputSpec) -> Result<Self, ModelError> {
        let invalid = |problem: String| ModelError::Invalid {
            model: "conv-autoencoder",
            problem,
        };
        if !input.height.is_multiple_of(4)
            || !input.width.is_multiple_of(4)
            || input.height < 4
            || input.width < 4
        {
            return Err(invalid(format!(
                "it halves the image twice, so its sides must be multiples of 4; got {}x{}",
                input.height, input.width
            )));
        }
        let widths = match options.widths.as_deref() {
            None => DEFAULT_WIDTHS,
            Some(&[a, b]) if a > 0 && b > 0 => [a, b],
            Some(other) => {
                return Err(invalid(format!(
                    "--widths takes the two convolutions' channels, e.g. 16,32; got {other:?}"
                )));
            }
        };
        if options.code == 0 {
            return Err(invalid("--code must be positive".into()));
        }
        Ok(
            ConvAutoencoderConfig::new(input.channels, input.height, input.width, options.code)
                .with_widths(widths),
        )
    }
}

impl ConvAutoencoder {
    fn encode(&self, images: Tensor<4>) -> Tensor<2> {
        let x = self.relu.forward(self.conv1.forward(images));
        let x = self.relu.forward(self.conv2.forward(x));
        self.relu.forward(self.to_code.forward(x.flatten(1, 3)))
    }
}

impl Architecture for ConvAutoencoder {
    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let code = self.encode(images);
        let [n, _] = code.dims();
        let [c, h, w] = self.inner;
        let x = self
            .relu
            .forward(self.from_code.forward(code))
            .reshape([n, c, h, w]);
        let x = self.relu.forward(self.deconv1.forward(x));
        self.deconv2.forward(x).flatten(1, 3)
    }

    fn code(&self, images: Tensor<4>) -> Option<Tensor<2>> {
        Some(self.encode(images))
    }

    fn layers(&self) -> Vec<LayerRow> {
        let [c, h, w] = self.inner;
        let w1 = self.conv1.weight.dims()[0];
        let [_, channels_out, _, _] = self.deconv2.weight.dims();
        let code = self.to_code.weight.dims()[1];
        vec![
            LayerRow::new("conv_1", "Conv2d", &[w1, h * 2, w * 2], self.conv1.num_params()),
            LayerRow::new("conv_2", "Conv2d", &[c, h, w], self.conv2.num_params()),
            LayerRow::new("code", "Linear", &[code], self.to_code.num_params()),
            LayerRow::new("decode", "Linear", &[c * h * w], self.from_code.num_params()),
            LayerRow::new(
                "deconv_1",
                "ConvTranspose2d",
                &[w1, h * 2, w * 2],
                self.deconv1.num_params(),
            ),
            LayerRow::new(
                "deconv_2",
                "ConvTranspose2d",
                &[channels_out, h * 4, w * 4],
                self.deconv2.num_params(),
            ),
        ]
    }
}
