//! A network written as a list of layers, as Keras's `Sequential` is: `--model sequential
//! --layers conv:32:3,relu,maxpool:2,flatten,dense:128,relu,dropout:0.5,dense`, or from Rust
//! with [`LayerSpec`]s, which is how an architecture defined outside aprende is registered
//! and trained ([`register`](crate::register); `examples/custom_architecture.rs`). The layer
//! list is saved in the run's `config.json`, so `app predict` rebuilds the network without the
//! code that defined it.

use burn::module::Module;
use burn::nn::activation::Activation;
use burn::nn::conv::Conv2dConfig;
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, PaddingConfig2d};
use burn::prelude::*;

use crate::error::ModelError;
use crate::init;
use crate::layer_spec::LayerSpec;
use crate::options::{InputSpec, ModelOptions};
use crate::registry::{Architecture, ArchitectureConfig};
use crate::summary::LayerRow;

/// Configuration of a [`Sequential`] network: the layers and the input they start from.
#[derive(Config, Debug)]
pub struct SequentialConfig {
    /// Input channels, height and width.
    pub input: [usize; 3],
    /// Number of output classes (what a last `dense` without units gives).
    pub num_classes: usize,
    /// The layers, first to last.
    pub layers: Vec<LayerSpec>,
}

/// The shape a layer gives: images `[channels, height, width]` or vectors `[features]`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    Image([usize; 3]),
    Flat(usize),
}

impl Shape {
    fn dims(self) -> Vec<usize> {
        match self {
            Shape::Image(d) => d.to_vec(),
            Shape::Flat(n) => vec![n],
        }
    }
}

impl SequentialConfig {
    /// The output shape of each layer, checking that each fits the one before.
    fn shapes(&self) -> Result<Vec<Shape>, String> {
        let mut shape = Shape::Image(self.input);
        let mut shapes = Vec::with_capacity(self.layers.len());
        for (i, layer) in self.layers.iter().enumerate() {
            let at = |problem: String| format!("layer {} (`{layer}`): {problem}", i + 1);
            shape = match (*layer, shape) {
                (LayerSpec::Conv2d { filters, .. }, Shape::Image([_, h, w])) => {
                    Shape::Image([filters, h, w])
                }
                (LayerSpec::MaxPool2d { size }, Shape::Image([c, h, w])) => {
                    if h < size || w < size {
                        return Err(at(format!("{h}x{w} images are smaller than its window")));
                    }
                    Shape::Image([c, h / size, w / size])
                }
                (LayerSpec::Conv2d { .. } | LayerSpec::MaxPool2d { .. }, Shape::Flat(_)) => {
                    return Err(at("it needs images, and the layers before flattened them".into()));
                }
                (LayerSpec::Flatten, Shape::Image([c, h, w])) => Shape::Flat(c * h * w),
                (LayerSpec::Flatten, flat) => flat,
                (LayerSpec::Dense { units }, _) => {
                    let units = if units > 0 {
                        units
                    } else if i + 1 == self.layers.len() {
                        self.num_classes
                    } else {
                        return Err(at("only the last dense layer may leave out its units".into()));
                    };
                    Shape::Flat(units)
                }
                (LayerSpec::BatchNorm | LayerSpec::Activation { .. } | LayerSpec::Dropout { .. }, s) => s,
            };
            shapes.push(shape);
        }
        match shape {
            Shape::Flat(_) => Ok(shapes),
            Shape::Image(_) => Err("the last layer gives images: end with a dense layer".into()),
        }
    }

    /// The network's layer list: a config that [`init`](Self::init) can build, or why not.
    pub fn checked(self) -> Result<Self, ModelError> {
        self.shapes().map_err(|problem| ModelError::Invalid {
            model: "sequential",
            problem,
        })?;
        Ok(self)
    }

    /// Builds the network with fresh weights on `device` (the layers are assumed
    /// [`checked`](Self::checked)).
    pub fn init(&self, device: &Device) -> Sequential {
        let shapes = self.shapes().expect("a checked layer list");
        let mut before = Shape::Image(self.input);
        let mut modules = Vec::new();
        for (layer, &after) in self.layers.iter().zip(&shapes) {
            let module = match (*layer, before) {
                (LayerSpec::Conv2d { filters, kernel }, Shape::Image([c, _, _])) => {
                    Some(Layer::Conv2d(init::conv2d(
                        Conv2dConfig::new([c, filters], [kernel, kernel])
                            .with_padding(PaddingConfig2d::Same),
                        device,
                    )))
                }
                (LayerSpec::MaxPool2d { size }, _) => {
                    Some(Layer::MaxPool2d(MaxPool2dConfig::new([size, size]).init()))
                }
                (LayerSpec::BatchNorm, s) => {
                    let features = match s {
                        Shape::Image([c, _, _]) => c,
                        Shape::Flat(n) => n,
                    };
                    Some(Layer::BatchNorm(BatchNormConfig::new(features).init(device)))
                }
                (LayerSpec::Activation { kind }, _) => Some(Layer::Activation(kind.init(device))),
                (LayerSpec::Dropout { rate }, _) => {
                    Some(Layer::Dropout(DropoutConfig::new(rate).init()))
                }
                (LayerSpec::Dense { .. }, s) => {
                    let inputs = s.dims().iter().product();
                    let Shape::Flat(outputs) = after else {
                        unreachable!("a dense layer gives vectors")
                    };
                    Some(Layer::Dense(init::dense(inputs, outputs, device)))
                }
                (LayerSpec::Flatten, _) | (LayerSpec::Conv2d { .. }, Shape::Flat(_)) => None,
            };
            modules.extend(module);
            before = after;
        }
        Sequential {
            modules,
            specs: self.layers.clone(),
            input: self.input,
            num_classes: self.num_classes,
        }
    }
}

impl ArchitectureConfig for SequentialConfig {
    const OPTIONS: &'static [&'static str] = &["layers"];

    fn from_options(options: &ModelOptions, input: &InputSpec) -> Result<Self, ModelError> {
        let layers = options.layers.clone().ok_or_else(|| ModelError::Invalid {
            model: "sequential",
            problem: "give its layers, e.g. --layers conv:32,relu,maxpool,flatten,dense:128,relu,dense"
                .into(),
        })?;
        SequentialConfig::new(
            [input.channels, input.height, input.width],
            input.num_classes,
            layers,
        )
        .checked()
    }
}

/// One layer with weights or a state of its own.
#[derive(Module, Debug)]
pub enum Layer {
    /// A convolution.
    Conv2d(burn::nn::conv::Conv2d),
    /// Max pooling.
    MaxPool2d(MaxPool2d),
    /// Batch normalisation.
    BatchNorm(BatchNorm),
    /// An activation.
    Activation(Activation),
    /// Dropout.
    Dropout(Dropout),
    /// A dense layer.
    Dense(Linear),
}

/// A network of layers applied one after the other.
#[derive(Module, Debug)]
pub struct Sequential {
    modules: Vec<Layer>,
    #[module(skip)]
    specs: Vec<LayerSpec>,
    #[module(skip)]
    input: [usize; 3],
    #[module(skip)]
    num_classes: usize,
}

/// What flows between the layers.
enum Flow {
    Image(Tensor<4>),
    Flat(Tensor<2>),
}

impl Flow {
    fn flat(self) -> Tensor<2> {
        match self {
            Flow::Image(x) => x.flatten(1, 3),
            Flow::Flat(x) => x,
        }
    }
}

impl Architecture for Sequential {
    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let mut x = Flow::Image(images);
        let mut modules = self.modules.iter();
        for spec in &self.specs {
            if *spec == LayerSpec::Flatten {
                x = Flow::Flat(x.flat());
                continue;
            }
            let module = modules.next().expect("a module for every layer but flatten");
            x = match (module, x) {
                (Layer::Conv2d(conv), Flow::Image(t)) => Flow::Image(conv.forward(t)),
                (Layer::MaxPool2d(pool), Flow::Image(t)) => Flow::Image(pool.forward(t)),
                (Layer::BatchNorm(norm), Flow::Image(t)) => Flow::Image(norm.forward(t)),
                (Layer::BatchNorm(norm), Flow::Flat(t)) => Flow::Flat(norm.forward(t)),
                (Layer::Activation(a), Flow::Image(t)) => Flow::Image(a.forward(t)),
                (Layer::Activation(a), Flow::Flat(t)) => Flow::Flat(a.forward(t)),
                (Layer::Dropout(d), Flow::Image(t)) => Flow::Image(d.forward(t)),
                (Layer::Dropout(d), Flow::Flat(t)) => Flow::Flat(d.forward(t)),
                (Layer::Dense(dense), x) => Flow::Flat(dense.forward(x.flat())),
                (_, Flow::Flat(_)) => unreachable!("checked: image layers see images"),
            };
        }
        x.flat()
    }

    fn layers(&self) -> Vec<LayerRow> {
        let config = SequentialConfig::new(self.input, self.num_classes, self.specs.clone());
        let shapes = config.shapes().unwrap_or_default();
        let mut modules = self.modules.iter();
        let mut counts = std::collections::HashMap::<&str, usize>::new();
        self.specs
            .iter()
            .zip(shapes)
            .map(|(spec, shape)| {
                let (name, kind) = match spec {
                    LayerSpec::Conv2d { .. } => ("conv2d", "Conv2d"),
                    LayerSpec::MaxPool2d { .. } => ("max_pool", "MaxPool2d"),
                    LayerSpec::BatchNorm => ("batch_norm", "BatchNorm"),
                    LayerSpec::Activation { .. } => ("activation", "Activation"),
                    LayerSpec::Dropout { .. } => ("dropout", "Dropout"),
                    LayerSpec::Flatten => ("flatten", "Flatten"),
                    LayerSpec::Dense { .. } => ("dense", "Linear"),
                };
                let n = counts.entry(name).or_default();
                *n += 1;
                let module = (*spec != LayerSpec::Flatten)
                    .then(|| modules.next())
                    .flatten();
                let params = module.map_or(0, |m| m.num_params());
                let row = LayerRow::new(format!("{name}_{n}"), kind, &shape.dims(), params);
                match module {
                    Some(Layer::BatchNorm(_)) => row.with_non_trainable(params / 2),
                    _ => row,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer_spec::parse_layers;

    #[test]
    fn shapes_are_checked_before_anything_is_built() {
        let config = |layers: &str| {
            SequentialConfig::new([1, 28, 28], 10, parse_layers(layers).unwrap()).checked()
        };
        assert!(config("conv:8,relu,maxpool,flatten,dense:32,relu,dense").is_ok());
        let err = config("flatten,conv:8,dense").unwrap_err().to_string();
        assert!(err.contains("layer 2") && err.contains("needs images"), "{err}");
        let err = config("conv:8,relu").unwrap_err().to_string();
        assert!(err.contains("end with a dense layer"), "{err}");
        let err = config("dense,dense").unwrap_err().to_string();
        assert!(err.contains("only the last dense"), "{err}");
        let err = config("maxpool:32,dense").unwrap_err().to_string();
        assert!(err.contains("smaller than its window"), "{err}");
    }

    #[test]
    fn a_network_gives_one_output_per_class_and_counts_its_parameters() {
        let device = Device::flex();
        let config = SequentialConfig::new(
            [1, 12, 12],
            3,
            parse_layers("conv:4,batchnorm,relu,maxpool,flatten,dropout:0.2,dense:8,relu,dense").unwrap(),
        )
        .checked()
        .unwrap();
        let net = config.init(&device);
        let out = net.forward(Tensor::zeros([2, 1, 12, 12], &device));
        assert_eq!(out.dims(), [2, 3]);
        let rows = net.layers();
        assert_eq!(rows.len(), 9);
        assert_eq!(rows[3].output_shape, vec![4, 6, 6]);
        assert_eq!(rows[4].output_shape, vec![144]);
        assert_eq!(rows[8].output_shape, vec![3]);
        // conv 4*(1*3*3)+4, batch norm 4*4, dense 144*8+8, dense 8*3+3
        let expected = 40 + 16 + 1160 + 27;
        assert_eq!(rows.iter().map(|r| r.params).sum::<usize>(), expected);
        assert_eq!(net.num_params(), expected);
    }
}
