//! EfficientNet-Lite0: the ImageNet weights loaded through burn-store reproduce the logits of
//! the PyTorch reference implementation; bad files are errors naming them; the backbone is
//! frozen.

mod common;

use std::path::PathBuf;

use aprende::burn::module::Module;
use aprende::burn::prelude::*;
use aprende::models::efficientnet::{EfficientNetLite0Config, FEATURES};
use aprende::models::{Architecture, ModelError};

fn weights() -> PathBuf {
    common::weights_file("efficientnet-lite0-57934424.pth")
}

fn reference() -> serde_json::Value {
    let path = common::weights_file("efficientnet-lite0-reference.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn floats(v: &serde_json::Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

/// The reference input: x[i] = (i mod 251) / 125 - 1 over a flattened [1, 3, 224, 224].
fn reference_input(device: &Device) -> Tensor<4> {
    let values: Vec<f32> = (0..3 * 224 * 224)
        .map(|i| (i % 251) as f32 / 125.0 - 1.0)
        .collect();
    Tensor::from_data(TensorData::new(values, [1, 3, 224, 224]), device)
}

#[test]
fn imagenet_weights_reproduce_the_pytorch_reference_logits_on_flex() {
    let device = Device::flex();
    let net = EfficientNetLite0Config::imagenet()
        .init(&device)
        .load_pytorch(&weights())
        .expect("the shared weights load")
        .valid();
    let reference = reference();
    let input = reference_input(&device);

    let features: Vec<f32> = net
        .features(input.clone())
        .expect("a frozen backbone gives features")
        .into_data()
        .iter::<f32>()
        .collect();
    assert_eq!(features.len(), FEATURES);
    for (i, (a, b)) in features
        .iter()
        .zip(floats(&reference["pooled_features_first10"]))
        .enumerate()
    {
        assert!((a - b).abs() < 1e-3, "feature {i}: {a} vs {b}");
    }
    let mean = features.iter().sum::<f32>() / FEATURES as f32;
    let expected_mean = reference["pooled_features_mean"].as_f64().unwrap() as f32;
    assert!(
        (mean - expected_mean).abs() < 1e-4,
        "{mean} vs {expected_mean}"
    );

    let logits: Vec<f32> = Architecture::forward(&net, input)
        .into_data()
        .iter::<f32>()
        .collect();
    assert_eq!(logits.len(), 1000);
    for (i, (a, b)) in logits
        .iter()
        .zip(floats(&reference["logits_first10"]))
        .enumerate()
    {
        assert!((a - b).abs() < 1e-3, "logit {i}: {a} vs {b}");
    }
    let mut order: Vec<usize> = (0..1000).collect();
    order.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]));
    let top5: Vec<usize> = reference["top5_classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(&order[..5], &top5[..], "top-5 classes");
    for (class, expected) in top5.iter().zip(floats(&reference["top5_logits"])) {
        assert!(
            (logits[*class] - expected).abs() < 1e-3,
            "class {class}: {} vs {expected}",
            logits[*class]
        );
    }
    let sum: f32 = logits.iter().sum();
    let expected_sum = reference["logits_sum"].as_f64().unwrap() as f32;
    assert!((sum - expected_sum).abs() < 0.05, "{sum} vs {expected_sum}");
}

#[test]
fn a_new_head_keeps_every_backbone_tensor_of_the_file() {
    let device = Device::flex();
    let fresh = EfficientNetLite0Config::new(3, 64, 64, 2).init(&device);
    let loaded = EfficientNetLite0Config::new(3, 64, 64, 2)
        .init(&device)
        .load_pytorch(&weights())
        .unwrap();
    let imagenet = EfficientNetLite0Config::imagenet()
        .init(&device)
        .load_pytorch(&weights())
        .unwrap();
    // The same backbone as the ImageNet classifier's, and not the fresh initialisation.
    let input = reference_input(&device);
    let features = |net: &aprende::models::EfficientNetLite0| -> Vec<f32> {
        net.valid()
            .features(input.clone())
            .unwrap()
            .into_data()
            .iter::<f32>()
            .collect()
    };
    assert_eq!(features(&loaded), features(&imagenet));
    assert_ne!(features(&loaded), features(&fresh));
}

fn expect_weights_error(
    result: Result<impl std::fmt::Debug, ModelError>,
    path: &std::path::Path,
) -> String {
    let err = result.expect_err("a bad weights file is an error");
    let text = err.to_string();
    assert!(
        text.contains(&path.display().to_string()),
        "the error names the file: {text}"
    );
    text
}

#[test]
fn a_truncated_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.pth");
    let bytes = std::fs::read(weights()).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 3]).unwrap();
    let net = EfficientNetLite0Config::new(3, 64, 64, 2).init(&Device::flex());
    expect_weights_error(net.load_pytorch(&path), &path);
}

#[test]
fn a_file_that_is_not_pytorch_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.pth");
    std::fs::write(&path, b"these are not weights").unwrap();
    let net = EfficientNetLite0Config::new(3, 64, 64, 2).init(&Device::flex());
    expect_weights_error(net.load_pytorch(&path), &path);
}

/// A PyTorch state dict (`torch.save` zip format, float32, little-endian) of the given
/// tensors, written by hand: a pickle of an `OrderedDict` whose values are
/// `torch._utils._rebuild_tensor_v2` calls on storages `archive/data/N`.
fn torch_save(path: &std::path::Path, tensors: &[(&str, &[usize])]) {
    fn global(p: &mut Vec<u8>, module: &str, name: &str) {
        p.push(b'c');
        p.extend_from_slice(format!("{module}\n{name}\n").as_bytes());
    }
    fn text(p: &mut Vec<u8>, s: &str) {
        p.push(b'X');
        p.extend_from_slice(&(s.len() as u32).to_le_bytes());
        p.extend_from_slice(s.as_bytes());
    }
    fn int(p: &mut Vec<u8>, v: usize) {
        p.push(b'J');
        p.extend_from_slice(&(v as i32).to_le_bytes());
    }
    fn tuple(p: &mut Vec<u8>, values: &[usize]) {
        p.push(b'(');
        values.iter().for_each(|&v| int(p, v));
        p.push(b't');
    }
    let mut pickle = vec![0x80, 2];
    global(&mut pickle, "collections", "OrderedDict");
    pickle.extend_from_slice(b")R(");
    let mut storages = Vec::new();
    for (i, (name, shape)) in tensors.iter().enumerate() {
        let numel: usize = shape.iter().product();
        let mut strides = vec![1usize; shape.len()];
        for d in (0..shape.len().saturating_sub(1)).rev() {
            strides[d] = strides[d + 1] * shape[d + 1];
        }
        text(&mut pickle, name);
        global(&mut pickle, "torch._utils", "_rebuild_tensor_v2");
        pickle.extend_from_slice(b"((");
        text(&mut pickle, "storage");
        global(&mut pickle, "torch", "FloatStorage");
        text(&mut pickle, &i.to_string());
        text(&mut pickle, "cpu");
        int(&mut pickle, numel);
        pickle.extend_from_slice(b"tQ");
        int(&mut pickle, 0);
        tuple(&mut pickle, shape);
        tuple(&mut pickle, &strides);
        pickle.push(0x89);
        global(&mut pickle, "collections", "OrderedDict");
        pickle.extend_from_slice(b")RtR");
        storages.push(
            (0..numel)
                .flat_map(|v| (v as f32 * 0.01).to_le_bytes())
                .collect::<Vec<u8>>(),
        );
    }
    pickle.extend_from_slice(b"u.");
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("archive/data.pkl", stored).unwrap();
    std::io::Write::write_all(&mut zip, &pickle).unwrap();
    zip.start_file("archive/byteorder", stored).unwrap();
    std::io::Write::write_all(&mut zip, b"little").unwrap();
    for (i, bytes) in storages.iter().enumerate() {
        zip.start_file(format!("archive/data/{i}"), stored).unwrap();
        std::io::Write::write_all(&mut zip, bytes).unwrap();
    }
    zip.start_file("archive/version", stored).unwrap();
    std::io::Write::write_all(&mut zip, b"3\n").unwrap();
    zip.finish().unwrap();
}

#[test]
fn another_architectures_file_is_an_error_naming_it_and_a_tensor() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("resnet-ish.pth");
    torch_save(
        &path,
        &[
            ("conv1.weight", &[8, 3, 3, 3]),
            ("fc.weight", &[2, 8]),
            ("fc.bias", &[2]),
        ],
    );
    let net = EfficientNetLite0Config::new(3, 64, 64, 2).init(&Device::flex());
    let text = expect_weights_error(net.load_pytorch(&path), &path);
    assert!(text.contains("backbone."), "names a missing tensor: {text}");
}

/// `per_class` photos of each class of the shared cats-vs-dogs `part`, copied into `root`.
fn copy_photos(part: &str, per_class: usize, root: &std::path::Path) {
    for class in ["cats", "dogs"] {
        let from = common::data_set("cats-vs-dogs").join(part).join(class);
        let to = root.join(class);
        std::fs::create_dir_all(&to).unwrap();
        let mut names: Vec<_> = std::fs::read_dir(&from)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        for name in names.into_iter().take(per_class) {
            std::fs::copy(from.join(&name), to.join(&name)).unwrap();
        }
    }
}

/// A few cats-vs-dogs photos at 64x64: 12 per class to train on, 4 per class to test.
fn few_photos(dir: &std::path::Path) -> aprende::data::ImageSplits {
    copy_photos("train", 12, &dir.join("train"));
    copy_photos("validation", 4, &dir.join("test"));
    let (train, _) = aprende::data::folder::load_folder(&dir.join("train"), 64, None).unwrap();
    let (test, _) = aprende::data::folder::load_folder(&dir.join("test"), 64, None).unwrap();
    aprende::data::ImageSplits {
        train,
        test,
        skipped: Vec::new(),
        feature_names: Vec::new(),
    }
}

fn transfer_config(data: &aprende::train::TrainingData) -> aprende::train::TrainingConfig {
    use aprende::train::{InitFrom, OptimizerSettings, TrainingConfig};
    let options = aprende::models::ModelOptions {
        dropout: 0.0,
        ..Default::default()
    };
    TrainingConfig::for_data(
        "efficientnet-lite0",
        options,
        "few-photos",
        &data.train,
        OptimizerSettings::new(),
    )
    .unwrap()
    .with_epochs(1)
    .with_batch_size(8)
    .with_val_split(0.25)
    .with_init_from(Some(InitFrom::Pytorch(weights())))
    .normalized_as(
        &aprende::models::registry_find("efficientnet-lite0")
            .unwrap()
            .pretrained
            .unwrap(),
    )
}

/// Every tensor of `network` (running statistics included) by name.
fn tensors(network: &aprende::models::Network) -> std::collections::BTreeMap<String, Vec<u8>> {
    use aprende::burn::store::ModuleSnapshot;
    network
        .collect(None, None, true)
        .into_iter()
        .map(|t| (t.name.clone(), t.to_bytes().unwrap().to_vec()))
        .collect()
}

#[test]
fn a_head_epoch_leaves_the_backbone_bit_identical_and_fine_tuning_changes_only_the_unfrozen_blocks()
{
    use aprende::train::{TrainingData, fit};
    let tmp = tempfile::tempdir().unwrap();
    let data = TrainingData::new(few_photos(tmp.path()), 0.25, 42).unwrap();
    let device = Device::flex();
    let pretrained = tensors(&aprende::models::Network::EfficientNetLite0(
        EfficientNetLite0Config::new(3, 64, 64, 2)
            .init(&device)
            .load_pytorch(&weights())
            .unwrap(),
    ));

    // Head only: the backbone's features are cached and only the dense head trains.
    let config = transfer_config(&data);
    let run = tmp.path().join("head");
    let outcome = fit(&config, &data, &device, &common::quiet(&run, "flex")).unwrap();
    let transfer = outcome.report.transfer.expect("a transfer report");
    assert_eq!(transfer.cached_images, 24 + 8);
    assert_eq!(transfer.head_params, 1280 * 2 + 2);
    let head = tensors(&outcome.network);
    let mut backbone = 0;
    for (name, bytes) in &head {
        if name.starts_with("backbone.") {
            backbone += 1;
            assert_eq!(
                bytes, &pretrained[name],
                "{name} changed in a head-only epoch"
            );
        } else {
            assert_ne!(bytes, &pretrained[name], "{name} did not train");
        }
    }
    assert!(backbone > 200, "{backbone} backbone tensors compared");
    let summary = std::fs::read_to_string(run.join("summary.txt")).unwrap();
    assert!(summary.contains("Trainable params: 2,562"), "{summary}");

    // Fine-tuning the last 2 blocks: their weights move, every earlier layer stays as it was,
    // and batch norm statistics stay the pretrained ones everywhere.
    let config = config.with_fine_tune(1).with_unfreeze(2);
    let run = tmp.path().join("fine-tuned");
    fit(&config, &data, &device, &common::quiet(&run, "flex")).unwrap();
    // The fine-tuning epoch's checkpoint (the run keeps whichever stage validated best).
    let record =
        aprende::burn::store::ModuleRecord::load(run.join("fine-tune/checkpoint/model-1.bpk"))
            .unwrap();
    let classifier = aprende::train::Classifier::new(config.model.init(&device))
        .try_load_record(record)
        .unwrap();
    let tuned = tensors(&classifier.network);
    let unfrozen = [
        "backbone.blocks.14.",
        "backbone.blocks.15.",
        "backbone.conv_head.",
        "backbone.bn1.",
    ];
    for (name, bytes) in &tuned {
        if !name.starts_with("backbone.") {
            continue;
        }
        if name.contains("running") {
            assert_eq!(bytes, &pretrained[name], "{name}: statistics changed");
        } else if unfrozen.iter().any(|p| name.starts_with(p)) {
            assert_ne!(bytes, &pretrained[name], "{name} did not fine-tune");
        } else {
            assert_eq!(bytes, &pretrained[name], "{name} is frozen but changed");
        }
    }
}

#[test]
fn the_backbone_gives_the_same_features_on_every_backend() {
    let input = |device: &Device| {
        let values: Vec<f32> = (0..2 * 3 * 32 * 32)
            .map(|i| (i % 251) as f32 / 125.0 - 1.0)
            .collect();
        Tensor::<4>::from_data(TensorData::new(values, [2, 3, 32, 32]), device)
    };
    let mut reference: Option<Vec<f32>> = None;
    for (kind, device) in common::test_devices() {
        let net = EfficientNetLite0Config::new(3, 32, 32, 2)
            .init(&device)
            .load_pytorch(&weights())
            .unwrap()
            .valid();
        let features: Vec<f32> = net
            .features(input(&device))
            .unwrap()
            .into_data()
            .iter::<f32>()
            .collect();
        let logits = Architecture::forward(&net, input(&device));
        assert_eq!(logits.dims(), [2, 2], "{kind}");
        match &reference {
            None => reference = Some(features),
            Some(r) => {
                let diff = r
                    .iter()
                    .zip(&features)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0f32, f32::max);
                assert!(diff < 1e-3, "{kind}: features differ from flex's by {diff}");
            }
        }
    }
}

#[test]
fn the_imagenet_classifier_as_it_is_sees_cats_and_dogs_in_photos() {
    let device = Device::flex();
    let (config, network) =
        aprende::app::imagenet_classifier("efficientnet-lite0", &weights(), None, &device).unwrap();
    let photos = common::data_set("cats-vs-dogs").join("validation");
    let pick = |class: &str| -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(photos.join(class))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files.truncate(10);
        files
    };
    let top1 = |paths: &[PathBuf]| -> Vec<usize> {
        let outcome = aprende::app::predict_images(&config, &network, paths, 1, &device).unwrap();
        assert!(outcome.failures.is_empty());
        outcome
            .predictions
            .iter()
            .map(|p| {
                p.top[0]
                    .class
                    .strip_prefix("imagenet class ")
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect()
    };
    // ImageNet's domestic cats are classes 281-285, its dog breeds 151-268 (a photo may show
    // something else first: a box, a sofa; by chance 0.5% of guesses would be a cat).
    let cats = top1(&pick("cats"));
    let dogs = top1(&pick("dogs"));
    let cat_like = cats.iter().filter(|c| (281..=285).contains(*c)).count();
    let dog_like = dogs.iter().filter(|c| (151..=268).contains(*c)).count();
    assert!(cat_like >= 6, "cats classified as {cats:?}");
    assert!(dog_like >= 6, "dogs classified as {dogs:?}");

    // Another architecture has no ImageNet classifier.
    let err = aprende::app::imagenet_classifier("lenet", &weights(), None, &device).unwrap_err();
    assert!(err.to_string().contains("no pretrained weights"), "{err}");
}
