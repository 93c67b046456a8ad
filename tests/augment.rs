//! The augmentation pipeline: shapes and labels kept, seeded, visible, identity at strength 0.

use std::sync::Arc;

use aprende::burn::data::dataloader::batcher::Batcher;
use aprende::burn::prelude::*;
use aprende::data::augment::{Augmenter, Pipeline};
use aprende::data::{ImageBatcher, ImageSet, Values};

const W: usize = 12;
const H: usize = 8;

/// Two RGB images with a horizontal gradient and a bright square left of centre.
fn set() -> ImageSet {
    let mut pixels = Vec::new();
    for i in 0..2u8 {
        for c in 0..3u8 {
            for y in 0..H {
                for x in 0..W {
                    let square = (2..5).contains(&x) && (2..5).contains(&y);
                    pixels.push(if square {
                        250
                    } else {
                        (x * 20) as u8 + c * 3 + i
                    });
                }
            }
        }
    }
    ImageSet {
        channels: 3,
        height: H,
        width: W,
        values: Values::U8(pixels),
        labels: vec![1, 0],
        class_names: vec!["a".into(), "b".into()],
        targets: None,
    }
}

fn draw(spec: &str, seed: u64, draw: u32) -> Vec<u8> {
    let set = set();
    let pipeline: Pipeline = spec.parse().unwrap();
    let mut rng = Augmenter::rng(seed, 0, draw);
    pipeline.apply(set.image(0).unwrap(), 3, H, W, &mut rng)
}

fn mirror(pixels: &[u8]) -> Vec<u8> {
    let mut out = pixels.to_vec();
    for c in 0..3 {
        for y in 0..H {
            for x in 0..W {
                out[c * H * W + y * W + x] = pixels[c * H * W + y * W + (W - 1 - x)];
            }
        }
    }
    out
}

#[test]
fn parsing_and_display() {
    let p: Pipeline = "flip,rotate=15,shift=0.1,zoom=0.1,brightness=0.2"
        .parse()
        .unwrap();
    assert_eq!(p.ops.len(), 5);
    assert_eq!(
        p.to_string(),
        "flip,rotate=15,shift=0.1,zoom=0.1,brightness=0.2"
    );
    assert!("none".parse::<Pipeline>().unwrap().is_identity());
    for bad in ["spin", "rotate=-3", "zoom=x", "crop=1.5"] {
        let err = bad.parse::<Pipeline>().unwrap_err().to_string();
        assert!(err.contains("--augment"), "{bad}: {err}");
    }
}

#[test]
fn flip_is_exactly_a_mirror_or_nothing() {
    let original = set().image(0).unwrap().to_vec();
    let mut mirrored = 0;
    for d in 0..20 {
        let out = draw("flip", 3, d);
        if out == original {
            continue;
        }
        assert_eq!(out, mirror(&original), "draw {d}");
        mirrored += 1;
    }
    assert!((5..=15).contains(&mirrored), "{mirrored} of 20 flipped");
}

#[test]
fn strength_zero_is_the_identity() {
    let original = set().image(0).unwrap().to_vec();
    for spec in [
        "rotate=0",
        "shift=0",
        "zoom=0",
        "brightness=0",
        "contrast=0",
        "crop=0",
        "none",
    ] {
        for d in 0..3 {
            assert_eq!(draw(spec, 9, d), original, "{spec}");
        }
    }
}

#[test]
fn every_operation_changes_the_image_and_keeps_its_shape() {
    let original = set().image(0).unwrap().to_vec();
    for spec in [
        "rotate=30",
        "shift=0.3",
        "zoom=0.3",
        "brightness=0.5",
        "contrast=0.5",
        "crop=0.5",
    ] {
        let changed = (0..5).any(|d| draw(spec, 1, d) != original);
        assert!(changed, "{spec} never changed the image");
        assert_eq!(draw(spec, 1, 0).len(), original.len());
    }
}

#[test]
fn the_same_seed_gives_the_same_draws_and_another_epoch_new_ones() {
    let spec = "flip,rotate=15,shift=0.1,zoom=0.1,brightness=0.2";
    assert_eq!(draw(spec, 42, 0), draw(spec, 42, 0));
    assert_ne!(draw(spec, 42, 0), draw(spec, 43, 0));
    assert_ne!(draw(spec, 42, 0), draw(spec, 42, 1));
}

#[test]
fn augmented_batches_keep_labels_and_shapes_and_are_reproducible() {
    let device = Device::flex();
    let set = Arc::new(set());
    let batches = |seed: u64| {
        let aug = Arc::new(Augmenter::new(
            "rotate=20,zoom=0.2".parse().unwrap(),
            seed,
            set.len(),
        ));
        let batcher = ImageBatcher::new(set.clone()).with_augmenter(Some(aug));
        let first = batcher.batch(vec![0, 1], &device);
        let second = batcher.batch(vec![0, 1], &device);
        (first, second)
    };
    let plain = ImageBatcher::new(set.clone()).batch(vec![0, 1], &device);
    let (a1, a2) = batches(5);
    let (b1, _) = batches(5);
    assert_eq!(a1.images.dims(), [2, 3, H, W]);
    let labels = |t: Tensor<1, Int>| t.into_data().iter::<i64>().collect::<Vec<_>>();
    assert_eq!(labels(a1.targets.clone()), labels(plain.targets.clone()));
    let values = |t: Tensor<4>| t.into_data().iter::<f32>().collect::<Vec<_>>();
    assert_eq!(values(a1.images.clone()), values(b1.images));
    // The second epoch draws anew, and augmentation did change the pixels.
    assert_ne!(values(a1.images.clone()), values(a2.images));
    assert_ne!(values(a1.images), values(plain.images));
}
