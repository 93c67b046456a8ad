//! The macro behind the registry in `lib.rs`: from one line per architecture it declares the
//! module, the [`Network`](crate::Network) and [`ModelConfig`](crate::ModelConfig) enums that
//! hold any architecture, and the [`REGISTRY`](crate::REGISTRY) table that maps a name to its
//! config constructor.

use crate::error::ModelError;
use std::path::Path;

use burn::prelude::Tensor;

use crate::collab::SharedInteractions;
use crate::options::{InputSpec, ModelOptions, Recipe};
use crate::pretrained::Pretrained;

/// One registered architecture.
#[derive(Debug, Clone, Copy)]
pub struct ModelEntry {
    /// The name used by `--model`.
    pub name: &'static str,
    /// A one-line description for `--help` and listings.
    pub description: &'static str,
    /// Builds the architecture's config from the command-line options and the data's shape.
    pub config: fn(&ModelOptions, &InputSpec) -> Result<crate::ModelConfig, ModelError>,
    /// The training defaults the architecture suggests.
    pub recipe: Recipe,
    /// For an architecture that starts from pretrained weights: the weights file and the
    /// inputs they expect.
    pub pretrained: Option<Pretrained>,
    /// The model options it reads, by flag name (see [`ArchitectureConfig::OPTIONS`]).
    pub options: &'static [&'static str],
}

/// What every architecture provides. Implemented by each model struct.
pub trait Architecture {
    /// The outputs `[batch, outputs]` for images `[batch, channels, height, width]`: class
    /// logits, a predicted value, or (for an autoencoder) one logit per input value. The task
    /// decides what they mean.
    fn forward(&self, images: burn::prelude::Tensor<4>) -> burn::prelude::Tensor<2>;
    /// The layer table of the Keras-style summary.
    fn layers(&self) -> Vec<crate::LayerRow>;

    /// For a network whose first part is a frozen pretrained backbone: the features `[batch,
    /// F]` it gives images, which [`forward`](Architecture::forward) also accepts as `[batch,
    /// F, 1, 1]`. A frozen part gives the same features for the same image, so training can
    /// compute them once. `None` (the default) for networks trained whole.
    fn features(&self, _images: Tensor<4>) -> Option<Tensor<2>> {
        None
    }

    /// For an autoencoder: the code `[batch, code]` it compresses `images` to. `None` (the
    /// default) for networks without one.
    fn code(&self, _images: Tensor<4>) -> Option<Tensor<2>> {
        None
    }

    /// For a recommender: the training ratings it answers from (a neighbourhood model) or
    /// around (what a user has already rated, the baseline for users and items it has never
    /// seen). `None` (the default) for other networks, and for a recommender not given them.
    fn interactions(&self) -> Option<&SharedInteractions> {
        None
    }

    /// For a recommender: the same network holding `interactions` (see
    /// [`interactions`](Architecture::interactions)). The default changes nothing.
    fn with_interactions(self, _interactions: SharedInteractions) -> Self
    where
        Self: Sized,
    {
        self
    }

    /// For a recommender: the `n` items most similar to `item` with their similarities, most
    /// similar first. `None` (the default) for other networks.
    fn similar_items(&self, _item: u32, _n: usize) -> Option<Vec<(u32, f32)>> {
        None
    }

    /// For a network whose parameters are looked up per example (embeddings): the mean over
    /// the batch of the squared norms of the rows `inputs` use, which `--l2` weighs in place
    /// of the sum of squares of every weight. `None` (the default) for other networks.
    fn example_penalty(&self, _inputs: Tensor<4>) -> Option<Tensor<1>> {
        None
    }

    /// Fills in pretrained weights from a PyTorch file. The default: the architecture has none.
    fn load_pytorch(self, path: &Path) -> Result<Self, ModelError>
    where
        Self: Sized,
    {
        Err(ModelError::Weights {
            path: path.to_path_buf(),
            problem: "this architecture has no pretrained PyTorch weights to load".into(),
        })
    }

    /// For a pretrained backbone: its parameters (they train at their own, lower, rate when
    /// fine-tuned). `None` (the default) for networks trained whole.
    fn backbone_params(&self) -> Option<burn::module::ParamGroup> {
        None
    }

    /// For a pretrained backbone: lets its last `blocks` blocks train (fine-tuning), freezing
    /// the rest. The default (networks trained whole) changes nothing.
    fn with_trainable_tail(self, _blocks: usize) -> Self
    where
        Self: Sized,
    {
        self
    }
}

/// What every architecture's config provides.
pub trait ArchitectureConfig: Sized {
    /// Builds the config from command-line options and the data's shape.
    fn from_options(options: &ModelOptions, input: &InputSpec) -> Result<Self, ModelError>;

    /// Training defaults for this architecture ([`Recipe::STANDARD`] unless it needs others).
    const RECIPE: Recipe = Recipe::STANDARD;

    /// For an architecture that starts from pretrained weights: the weights file and the
    /// inputs they expect.
    const PRETRAINED: Option<Pretrained> = None;

    /// The [`ModelOptions`] it reads, by their flag's name (`hidden`, `dropout`, `widths`...):
    /// any other model option given for it is an error, not silently ignored.
    const OPTIONS: &'static [&'static str];
}

macro_rules! architectures {
    ($( $(#[$doc:meta])* $module:ident :: $model:ident ( $cmod:ident :: $config:ident ) = $name:literal : $desc:literal ),* $(,)?) => {
        $( pub mod $module; )*
        $( pub use $module::{$model, $config}; )*
        pub use registry::{Architecture, ArchitectureConfig};

        /// Any registered architecture, as one burn module.
        #[derive(burn::module::Module, Debug)]
        #[allow(clippy::large_enum_variant)]
        pub enum Network {
            $( $(#[$doc])* $model($model), )*
        }

        /// The config of any registered architecture (serialised into a run's `config.json`).
        #[derive(burn::config::Config, Debug)]
        pub enum ModelConfig {
            $( $(#[$doc])* $model($config), )*
        }

        /// Every registered architecture.
        pub const REGISTRY: &[ModelEntry] = &[
            $( ModelEntry {
                name: $name,
                description: $desc,
                config: |options, input| {
                    Ok(ModelConfig::$model(<$config as ArchitectureConfig>::from_options(options, input)?))
                },
                recipe: <$config as ArchitectureConfig>::RECIPE,
                pretrained: <$config as ArchitectureConfig>::PRETRAINED,
                options: <$config as ArchitectureConfig>::OPTIONS,
            }, )*
        ];

        impl Network {
            /// Logits `[batch, classes]` for images `[batch, channels, height, width]`.
            pub fn forward(&self, images: burn::prelude::Tensor<4>) -> burn::prelude::Tensor<2> {
                match self { $( Network::$model(m) => Architecture::forward(m, images), )* }
            }

            /// The registry name of this network's architecture.
            pub fn name(&self) -> &'static str {
                match self { $( Network::$model(_) => $name, )* }
            }

            /// The frozen backbone's features for `images` (see [`Architecture::features`]).
            pub fn features(&self, images: burn::prelude::Tensor<4>) -> Option<burn::prelude::Tensor<2>> {
                match self { $( Network::$model(m) => Architecture::features(m, images), )* }
            }

            /// An autoencoder's code for `images` (see [`Architecture::code`]).
            pub fn code(&self, images: burn::prelude::Tensor<4>) -> Option<burn::prelude::Tensor<2>> {
                match self { $( Network::$model(m) => Architecture::code(m, images), )* }
            }

            /// A recommender's training ratings (see [`Architecture::interactions`]).
            pub fn interactions(&self) -> Option<&crate::collab::SharedInteractions> {
                match self { $( Network::$model(m) => Architecture::interactions(m), )* }
            }

            /// The same recommender holding `interactions` (see [`Architecture::with_interactions`]).
            pub fn with_interactions(self, interactions: crate::collab::SharedInteractions) -> Self {
                match self { $( Network::$model(m) => Network::$model(Architecture::with_interactions(m, interactions)), )* }
            }

            /// A recommender's items most similar to `item` (see [`Architecture::similar_items`]).
            pub fn similar_items(&self, item: u32, n: usize) -> Option<Vec<(u32, f32)>> {
                match self { $( Network::$model(m) => Architecture::similar_items(m, item, n), )* }
            }

            /// The per-example penalty `--l2` weighs (see [`Architecture::example_penalty`]).
            pub fn example_penalty(&self, inputs: burn::prelude::Tensor<4>) -> Option<burn::prelude::Tensor<1>> {
                match self { $( Network::$model(m) => Architecture::example_penalty(m, inputs), )* }
            }

            /// Fills in pretrained weights from a PyTorch file (see [`Architecture::load_pytorch`]).
            pub fn load_pytorch(self, path: &std::path::Path) -> Result<Self, ModelError> {
                Ok(match self { $( Network::$model(m) => Network::$model(Architecture::load_pytorch(m, path)?), )* })
            }

            /// The parameters of a pretrained backbone (see [`Architecture::backbone_params`]).
            pub fn backbone_params(&self) -> Option<burn::module::ParamGroup> {
                match self { $( Network::$model(m) => Architecture::backbone_params(m), )* }
            }

            /// Lets the last `blocks` blocks of a pretrained backbone train (see
            /// [`Architecture::with_trainable_tail`]).
            pub fn with_trainable_tail(self, blocks: usize) -> Self {
                match self { $( Network::$model(m) => Network::$model(Architecture::with_trainable_tail(m, blocks)), )* }
            }

            /// The Keras-style summary: a row per layer and the parameter totals.
            pub fn summary(&self) -> Summary {
                use burn::module::Module;
                let layers = match self { $( Network::$model(m) => Architecture::layers(m), )* };
                Summary::new(self.name(), layers, self.num_params())
            }
        }

        impl ModelConfig {
            /// Builds the network with freshly initialised weights on `device`.
            pub fn init(&self, device: &burn::prelude::Device) -> Network {
                match self { $( ModelConfig::$model(c) => Network::$model(c.init(device)), )* }
            }

            /// The registry name of this config's architecture.
            pub fn name(&self) -> &'static str {
                match self { $( ModelConfig::$model(_) => $name, )* }
            }
        }
    };
}

/// Architectures registered at run time by code outside aprende ([`register`]).
static REGISTERED: std::sync::RwLock<Vec<&'static ModelEntry>> = std::sync::RwLock::new(Vec::new());

/// Every architecture: the built-in [`REGISTRY`](crate::REGISTRY), then those [`register`]ed.
pub fn entries() -> Vec<&'static ModelEntry> {
    let registered = REGISTERED.read().unwrap_or_else(|e| e.into_inner());
    crate::REGISTRY
        .iter()
        .chain(registered.iter().copied())
        .collect()
}

/// Adds an architecture defined outside aprende under `entry.name`, for `--model`,
/// [`find`] and training, for the rest of the process. Its `config` builds a
/// [`ModelConfig`](crate::ModelConfig) (a [`SequentialConfig`](crate::SequentialConfig) of
/// its layers), which `config.json` saves whole: a run of it loads for prediction without
/// registering it again. A name already taken is an error.
pub fn register(entry: ModelEntry) -> Result<(), ModelError> {
    let mut registered = REGISTERED.write().unwrap_or_else(|e| e.into_inner());
    let taken = crate::REGISTRY
        .iter()
        .chain(registered.iter().copied())
        .any(|e| e.name == entry.name);
    if taken {
        return Err(ModelError::Invalid {
            model: entry.name,
            problem: "an architecture of that name is already registered".into(),
        });
    }
    registered.push(Box::leak(Box::new(entry)));
    Ok(())
}

/// The registry entry called `name`.
pub fn find(name: &str) -> Result<&'static ModelEntry, ModelError> {
    let all = entries();
    all.iter()
        .find(|e| e.name == name)
        .copied()
        .ok_or_else(|| ModelError::UnknownModel {
            name: name.to_string(),
            suggestion: crate::named::nearest(
                name,
                &all.iter().map(|e| e.name).collect::<Vec<_>>(),
            )
            .map(String::from),
            known: all.iter().map(|e| e.name).collect::<Vec<_>>().join(", "),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mistyped_model_name_suggests_the_nearest() {
        let err = find("lenett").unwrap_err().to_string();
        assert!(err.contains("did you mean `lenet`?"), "{err}");
        let err = find("efficientnet_lite0").unwrap_err().to_string();
        assert!(err.contains("did you mean `efficientnet-lite0`?"), "{err}");
        let err = find("conv_autoencoder").unwrap_err().to_string();
        assert!(err.contains("did you mean `conv-autoencoder`?"), "{err}");
        // Nothing near: no guess, but the list.
        let err = find("transformer").unwrap_err().to_string();
        assert!(!err.contains("did you mean"), "{err}");
        assert!(
            err.contains("mlp") && err.contains("matrix-factorization"),
            "{err}"
        );
    }
}
