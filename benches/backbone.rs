//! The pretrained EfficientNet-Lite0 backbone's forward pass (what transfer learning runs once
//! per image) on flex: a batch of 32 RGB images at 224x224 in inference mode, in images/s;
//! and decoding + resizing the 1,000 cats-vs-dogs validation photos to 224x224 (images/s), the
//! other half of feature extraction. The PyTorch reference does 36 images/s on the 2-core
//! machine, decoding included.
//!
//! Run: `cargo bench --bench backbone` (needs ../shared, or APRENDE_SHARED_DATA).

use std::path::PathBuf;

use aprende::burn::module::Module;
use aprende::burn::prelude::*;
use aprende::data::folder::load_folder;
use aprende::models::EfficientNetLite0Config;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn shared_data() -> PathBuf {
    std::env::var_os("APRENDE_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"))
}

fn bench(c: &mut Criterion) {
    let data = shared_data();
    let weights = data.join("../weights/efficientnet-lite0-57934424.pth");
    let device = Device::flex();
    let net = EfficientNetLite0Config::new(3, 224, 224, 2)
        .init(&device)
        .load_pytorch(&weights)
        .expect("the shared EfficientNet-Lite0 weights")
        .valid();
    let values: Vec<f32> = (0..32 * 3 * 224 * 224)
        .map(|i| (i % 251) as f32 / 125.0 - 1.0)
        .collect();
    let images = Tensor::<4>::from_data(TensorData::new(values, [32, 3, 224, 224]), &device);

    let mut group = c.benchmark_group("efficientnet_lite0_224");
    group.sample_size(10);
    group.throughput(Throughput::Elements(32));
    group.bench_function("backbone_forward_batch_32", |b| {
        b.iter(|| {
            net.features(images.clone())
                .expect("frozen backbone")
                .into_data()
        })
    });
    group.throughput(Throughput::Elements(1000));
    group.bench_function("decode_resize_1000_photos", |b| {
        b.iter(|| load_folder(&data.join("cats-vs-dogs/validation"), 224, None).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
