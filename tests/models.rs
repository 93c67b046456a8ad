//! Models: output shapes, parameter counts, the registry and the summary.

use aprende::burn::module::Module;
use aprende::burn::prelude::*;
use aprende::models::{self, ActivationKind, InputSpec, ModelOptions, REGISTRY};

mod common;

const MNIST: InputSpec = InputSpec {
    channels: 1,
    height: 28,
    width: 28,
    num_classes: 10,
    ratings: None,
};

fn options(hidden: &[usize], dropout: f64) -> ModelOptions {
    ModelOptions {
        hidden: hidden.to_vec(),
        activation: ActivationKind::Relu,
        dropout,
        ..Default::default()
    }
}

fn build(name: &str, opts: &ModelOptions, input: &InputSpec) -> models::Network {
    let entry = models::registry_find(name).unwrap();
    (entry.config)(opts, input).unwrap().init(&Device::flex())
}

#[test]
fn fashion_mlp_has_keras_parameter_count() {
    let net = build("mlp", &options(&[128], 0.0), &MNIST);
    assert_eq!(net.num_params(), 101_770);
    let summary = net.summary();
    assert_eq!(summary.total_params, 101_770);
    let text = summary.to_string();
    assert!(text.contains("Total params: 101,770"), "{text}");
    assert!(text.contains("dense_1 (Linear)"), "{text}");
    assert!(text.contains("(None, 128)"), "{text}");
    assert!(text.contains("100,480"), "{text}");
    assert!(text.contains("1,290"), "{text}");
    // The rows add up to the total.
    assert_eq!(
        summary.layers.iter().map(|l| l.params).sum::<usize>(),
        101_770
    );
}

#[test]
fn mnist_mlp_512_512_parameter_count() {
    let net = build("mlp", &options(&[512, 512], 0.2), &MNIST);
    assert_eq!(net.num_params(), 669_706);
    assert!(net.summary().to_string().contains("dropout_2 (Dropout)"));
}

#[test]
fn lenet_parameter_count_and_shapes() {
    let net = build("lenet", &ModelOptions::default(), &MNIST);
    // conv 156 + conv 2,416 + 48,120 + 10,164 + 850
    assert_eq!(net.num_params(), 61_706);
    let summary = net.summary();
    let shapes: Vec<Vec<usize>> = summary
        .layers
        .iter()
        .map(|l| l.output_shape.clone())
        .collect();
    assert_eq!(shapes[0], vec![6, 28, 28]);
    assert_eq!(shapes[1], vec![6, 14, 14]);
    assert_eq!(shapes[2], vec![16, 10, 10]);
    assert_eq!(shapes[3], vec![16, 5, 5]);
    assert_eq!(shapes.last().unwrap(), &vec![10]);
    assert_eq!(
        summary.layers.iter().map(|l| l.params).sum::<usize>(),
        61_706
    );
}

#[test]
fn every_registered_image_model_maps_images_to_logits() {
    let device = Device::flex();
    let input = InputSpec {
        channels: 3,
        height: 32,
        width: 24,
        num_classes: 4,
        ratings: None,
    };
    for entry in REGISTRY {
        if entry.recipe.recommends {
            // A recommender takes (user, item) pairs, never images: a clear error.
            let err = (entry.config)(&options(&[16], 0.1), &input)
                .unwrap_err()
                .to_string();
            assert!(err.contains("learns from ratings"), "{}: {err}", entry.name);
            continue;
        }
        // `sequential` takes its layers from the options too; the others ignore them.
        let options = ModelOptions {
            layers: Some(models::parse_layers("conv:4,relu,maxpool,flatten,dense").unwrap()),
            ..options(&[16], 0.1)
        };
        let net = (entry.config)(&options, &input).unwrap().init(&device);
        assert_eq!(net.name(), entry.name);
        let logits = net.forward(Tensor::zeros([5, 3, 32, 24], &device));
        // A classifier gives a logit per class; an autoencoder one per input value.
        let outputs = if entry.recipe.reconstructs {
            input.flat_len()
        } else {
            4
        };
        assert_eq!(logits.dims(), [5, outputs], "{}", entry.name);
    }
}

#[test]
fn unknown_models_and_bad_options_are_errors() {
    let err = models::registry_find("resnet999").unwrap_err().to_string();
    assert!(
        err.contains("resnet999") && err.contains("mlp") && err.contains("lenet"),
        "{err}"
    );
    let mlp = models::registry_find("mlp").unwrap();
    assert!((mlp.config)(&options(&[0], 0.0), &MNIST).is_err());
    assert!((mlp.config)(&options(&[8], 1.0), &MNIST).is_err());
    let lenet = models::registry_find("lenet").unwrap();
    let tiny = InputSpec {
        height: 8,
        width: 8,
        ..MNIST
    };
    let err = (lenet.config)(&ModelOptions::default(), &tiny)
        .unwrap_err()
        .to_string();
    assert!(err.contains("too small"), "{err}");
}

#[test]
fn model_config_survives_json() {
    let entry = models::registry_find("lenet").unwrap();
    let config = (entry.config)(&ModelOptions::default(), &MNIST).unwrap();
    let json = serde_json::to_string(&config).unwrap();
    let back: models::ModelConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(back.name(), "lenet");
    assert_eq!(back.init(&Device::flex()).num_params(), 61_706);
}

#[test]
fn catsdogs_cnn_blocks_shapes_and_switches() {
    let rgb = InputSpec {
        channels: 3,
        height: 128,
        width: 128,
        num_classes: 2,
        ratings: None,
    };
    let with_bn = build("catsdogs", &options(&[], 0.5), &rgb);
    let summary = with_bn.summary();
    let shapes: Vec<(String, Vec<usize>)> = summary
        .layers
        .iter()
        .map(|l| (l.name.clone(), l.output_shape.clone()))
        .collect();
    assert_eq!(shapes[0], ("conv2d_1".into(), vec![32, 128, 128]));
    assert_eq!(shapes[1], ("batch_norm_1".into(), vec![32, 128, 128]));
    assert!(shapes.contains(&("max_pool_4".into(), vec![128, 8, 8])));
    assert!(shapes.contains(&("dropout".into(), vec![8192])));
    assert_eq!(shapes.last().unwrap().1, vec![2]);
    // conv: 896 + 18,496 + 73,856 + 147,584; batch norm: 4 per channel (scale, shift and the
    // running mean and variance, which are not trained); dense: 8192 x 512 + 512, 512 x 2 + 2.
    let convs = 896 + 18_496 + 73_856 + 147_584;
    let norms = 4 * (32 + 64 + 128 + 128);
    let dense = 8192 * 512 + 512 + 512 * 2 + 2;
    assert_eq!(with_bn.num_params(), convs + norms + dense);
    assert_eq!(
        summary.layers.iter().map(|l| l.params).sum::<usize>(),
        convs + norms + dense
    );

    let plain = ModelOptions {
        batch_norm: false,
        widths: Some(vec![8, 16]),
        ..options(&[], 0.0)
    };
    let small = build(
        "catsdogs",
        &plain,
        &InputSpec {
            height: 32,
            width: 32,
            ..rgb
        },
    );
    let names: Vec<String> = small
        .summary()
        .layers
        .iter()
        .map(|l| l.name.clone())
        .collect();
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("batch_norm") || n == "dropout"),
        "{names:?}"
    );
    let device = Device::flex();
    assert_eq!(
        small.forward(Tensor::zeros([3, 3, 32, 32], &device)).dims(),
        [3, 2]
    );
    let entry = models::registry_find("catsdogs").unwrap();
    let err = (entry.config)(
        &plain,
        &InputSpec {
            height: 2,
            width: 2,
            ..rgb
        },
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("too small"), "{err}");
}

/// An architecture defined here, outside aprende, from layers.
fn tiny_cnn(
    options: &ModelOptions,
    input: &InputSpec,
) -> Result<models::ModelConfig, models::ModelError> {
    let mut layers = models::parse_layers("conv:4,relu,maxpool,flatten,dense:16,relu").unwrap();
    layers.push(models::LayerSpec::Dropout {
        rate: options.dropout,
    });
    layers.push(models::LayerSpec::Dense { units: 0 });
    let config = models::SequentialConfig::new(
        [input.channels, input.height, input.width],
        input.num_classes,
        layers,
    );
    Ok(models::ModelConfig::Sequential(config.checked()?))
}

#[test]
fn an_architecture_registered_outside_aprende_trains_saves_and_loads() {
    use aprende::data::ImageSplits;
    use aprende::train::{LoadedRun, OptimizerSettings, TrainingConfig, TrainingData, fit};
    models::register(models::ModelEntry {
        name: "tiny-cnn-test",
        description: "a test's CNN",
        config: tiny_cnn,
        recipe: models::Recipe::STANDARD,
        pretrained: None,
        options: &["dropout"],
    })
    .unwrap();
    // Once only, and found by name (a typo is still suggested).
    assert!(
        models::register(models::ModelEntry {
            name: "tiny-cnn-test",
            ..*models::registry_find("tiny-cnn-test").unwrap()
        })
        .is_err()
    );
    let typo = models::registry_find("tiny-cnn-tset")
        .unwrap_err()
        .to_string();
    assert!(typo.contains("did you mean `tiny-cnn-test`"), "{typo}");

    let mnist = common::mnist();
    let splits = ImageSplits {
        train: mnist.train.balanced_head(60),
        test: mnist.test.balanced_head(20),
        skipped: Vec::new(),
        feature_names: Vec::new(),
    };
    let config = TrainingConfig::for_data(
        "tiny-cnn-test",
        options(&[], 0.1),
        "mnist",
        &splits.train,
        OptimizerSettings::new().with_lr(3e-3),
    )
    .unwrap()
    .with_epochs(3)
    .with_batch_size(32);
    let data = TrainingData::new(splits, config.val_split, config.seed).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let outcome = fit(
        &config,
        &data,
        &Device::flex(),
        &common::quiet(dir.path(), "flex"),
    )
    .unwrap();
    let history = &outcome.report.history;
    assert_eq!(history.len(), 3);
    assert!(
        history[2].train_loss < history[0].train_loss,
        "the loss falls: {history:?}"
    );
    // The saved run holds its layers: it loads and answers as trained, without the code that
    // registered it being asked.
    let run = LoadedRun::load(dir.path(), &Device::flex()).unwrap();
    assert_eq!(run.config.model_options.layers.as_ref().unwrap().len(), 8);
    let probe = Tensor::<4>::ones([2, 1, 28, 28], &Device::flex());
    let a = outcome.network.forward(probe.clone()).into_data();
    let b = run.network.forward(probe).into_data();
    a.assert_approx_eq::<f32>(&b, aprende::burn::tensor::Tolerance::absolute(1e-5));
    // And as `sequential`, from its options alone: a rerun of config.json builds the same net.
    let rebuilt = (models::registry_find("sequential").unwrap().config)(
        &run.config.model_options,
        &run.config.input,
    )
    .unwrap();
    assert_eq!(
        rebuilt.init(&Device::flex()).num_params(),
        outcome.network.num_params()
    );
}
