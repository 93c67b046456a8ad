//! Keras's default initialisation for the layers the course models use: Glorot-uniform
//! kernels and zero biases (`Dense` and `Conv2D` with their defaults).
//!
//! burn's own defaults follow PyTorch (uniform in ±1/sqrt(fan_in)); the course labs and most
//! reference figures in the issues come from Keras.

use burn::module::Param;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::prelude::*;

const GLOROT_UNIFORM: Initializer = Initializer::XavierUniform { gain: 1.0 };

/// A dense layer `inputs -> outputs` initialised as Keras's `Dense`.
pub fn dense(inputs: usize, outputs: usize, device: &Device) -> Linear {
    let mut layer = LinearConfig::new(inputs, outputs)
        .with_initializer(GLOROT_UNIFORM)
        .init(device);
    layer.bias = Some(Param::from_tensor(Tensor::zeros([outputs], device)));
    layer
}

/// A convolution built from `config` and initialised as Keras's `Conv2D`.
pub fn conv2d(config: Conv2dConfig, device: &Device) -> Conv2d {
    let outputs = config.channels[1];
    let has_bias = config.bias;
    let mut layer = config.with_initializer(GLOROT_UNIFORM).init(device);
    if has_bias {
        layer.bias = Some(Param::from_tensor(Tensor::zeros([outputs], device)));
    }
    layer
}
