//! The element-wise activations of dense layers (`--activation`).

use std::fmt;

use burn::nn::activation::{Activation, ActivationConfig};
use burn::prelude::*;

/// The element-wise activation of dense layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ActivationKind {
    /// max(0, x)
    #[default]
    Relu,
    /// 1 / (1 + e^-x)
    Sigmoid,
    /// tanh(x)
    Tanh,
    /// x (no activation: the Playground's "linear")
    Linear,
}

impl ActivationKind {
    /// The burn activation module.
    pub fn init(self, device: &Device) -> Activation {
        match self {
            ActivationKind::Relu => ActivationConfig::Relu,
            ActivationKind::Sigmoid => ActivationConfig::Sigmoid,
            ActivationKind::Tanh => ActivationConfig::Tanh,
            ActivationKind::Linear => ActivationConfig::Identity,
        }
        .init(device)
    }

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ActivationKind::Relu => "relu",
            ActivationKind::Sigmoid => "sigmoid",
            ActivationKind::Tanh => "tanh",
            ActivationKind::Linear => "linear",
        }
    }
}

impl crate::named::Named for ActivationKind {
    const ALL: &'static [Self] = &[
        ActivationKind::Relu,
        ActivationKind::Sigmoid,
        ActivationKind::Tanh,
        ActivationKind::Linear,
    ];

    fn name(self) -> &'static str {
        self.as_str()
    }
}

impl fmt::Display for ActivationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
