//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use aprende::burn::prelude::*;
use aprende::data::{DataDir, DatasetName, DownloadOptions, ImageSplits, load_image_dataset};
use aprende::models::{ActivationKind, ModelOptions};
use aprende::train::{BackendKind, FitOptions, ProgressMode};

/// `../shared/data` beside the project (or `$APRENDE_SHARED_DATA`): the real, checksummed
/// datasets. CI always has it; the tests that need it fail, loudly, without it.
pub fn shared_data() -> PathBuf {
    let dir = std::env::var_os("APRENDE_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    assert!(
        dir.join("mnist").is_dir(),
        "the real data sets are expected in {} (set APRENDE_SHARED_DATA to their folder)",
        dir.display()
    );
    dir
}

/// MNIST from the shared data, loaded once per test binary.
pub fn mnist() -> &'static ImageSplits {
    static MNIST: OnceLock<ImageSplits> = OnceLock::new();
    MNIST.get_or_init(|| {
        let options = DownloadOptions {
            offline: true,
            ..Default::default()
        };
        load_image_dataset(DatasetName::Mnist, &DataDir(shared_data()), &options)
            .expect("MNIST from the shared data")
    })
}

/// Whether CI demands wgpu (`APRENDE_REQUIRE_WGPU=1`).
pub fn wgpu_required() -> bool {
    std::env::var("APRENDE_REQUIRE_WGPU").is_ok_and(|v| v == "1")
}

/// The devices every backend test runs on: flex and ndarray always, wgpu when an adapter
/// exists (and then it must exist when `APRENDE_REQUIRE_WGPU=1`).
pub fn test_devices() -> Vec<(BackendKind, Device)> {
    let mut devices = vec![
        (BackendKind::Flex, BackendKind::Flex.device().unwrap()),
        (BackendKind::Ndarray, BackendKind::Ndarray.device().unwrap()),
    ];
    match BackendKind::Wgpu.device() {
        Ok(d) => devices.push((BackendKind::Wgpu, d)),
        Err(e) if wgpu_required() => panic!("APRENDE_REQUIRE_WGPU=1 but wgpu is unavailable: {e}"),
        Err(e) => eprintln!("skipping wgpu: {e}"),
    }
    devices
}

/// MLP options: `hidden` widths, relu, no dropout.
pub fn dense(hidden: &[usize]) -> ModelOptions {
    ModelOptions {
        hidden: hidden.to_vec(),
        activation: ActivationKind::Relu,
        dropout: 0.0,
        ..Default::default()
    }
}

/// Fit options that write to `dir` and show no progress.
pub fn quiet(dir: &Path, backend: &str) -> FitOptions {
    FitOptions {
        progress: ProgressMode::Quiet,
        ..FitOptions::new(dir, backend)
    }
}
