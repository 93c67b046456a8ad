//! An architecture defined outside aprende, registered under a name of its own and trained as
//! any built-in one: `--model`'s registry, the recipe, the report, `config.json` and
//! `aprende predict` all take it. Its layers are aprende's [`LayerSpec`]s (Keras's
//! `Sequential`), so the saved run loads for prediction without this program.
//!
//! `cargo run --release --example custom_architecture` (one epoch of Fashion-MNIST), then
//! `cargo run --release -- predict --run artifacts/fashion-mnist-small-vgg IMAGE`.

use aprende::models::{
    self, ActivationKind, InputSpec, LayerSpec, ModelConfig, ModelEntry, ModelError, ModelOptions,
    Recipe, SequentialConfig,
};
use aprende::train::settings::Flags;
use aprende::train::{ProgressMode, RunRequest, prepare};

/// Two VGG-style blocks (two 3x3 convolutions, batch norm, max-pool), then a dense head with
/// dropout: `--dropout` sets its rate.
fn small_vgg(options: &ModelOptions, input: &InputSpec) -> Result<ModelConfig, ModelError> {
    use LayerSpec::*;
    let relu = Activation {
        kind: ActivationKind::Relu,
    };
    let block = |filters| {
        [
            Conv2d { filters, kernel: 3 },
            relu,
            Conv2d { filters, kernel: 3 },
            BatchNorm,
            relu,
            MaxPool2d { size: 2 },
        ]
    };
    let mut layers = Vec::new();
    layers.extend(block(16));
    layers.extend(block(32));
    layers.extend([
        Flatten,
        Dense { units: 128 },
        relu,
        Dropout {
            rate: options.dropout,
        },
        Dense { units: 0 },
    ]);
    let config = SequentialConfig::new(
        [input.channels, input.height, input.width],
        input.num_classes,
        layers,
    );
    Ok(ModelConfig::Sequential(config.checked()?))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    models::register(ModelEntry {
        name: "small-vgg",
        description: "two VGG blocks (conv 3x3 x2, batch norm, max-pool) 16-32, dense 128",
        config: small_vgg,
        recipe: Recipe {
            epochs: 1,
            dropout: 0.3,
            ..Recipe::STANDARD
        },
        pretrained: None,
        options: &["dropout"],
    })?;
    let flags = Flags {
        dataset: Some("fashion-mnist".into()),
        model: Some("small-vgg".into()),
        ..Flags::default()
    };
    let run = prepare(&RunRequest::new(flags))?;
    print!("{}", run.summary());
    run.train(ProgressMode::Lines, None)?;
    Ok(())
}
