//! The one place that names burn backends: turns `--backend NAME` into a [`Device`].

use std::fmt;

use burn::prelude::*;

use crate::error::TrainError;

/// A compute backend aprende can run on.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// burn's fast pure-Rust CPU backend (the default).
    Flex,
    /// The ndarray CPU backend (deprecated by burn, slow on convolutions).
    Ndarray,
    /// wgpu: Vulkan, Metal, DX12 or OpenGL, on a GPU or a software adapter.
    Wgpu,
    /// CUDA (needs the `cuda` cargo feature).
    Cuda,
}

impl BackendKind {
    /// The name used on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Flex => "flex",
            BackendKind::Ndarray => "ndarray",
            BackendKind::Wgpu => "wgpu",
            BackendKind::Cuda => "cuda",
        }
    }

    /// Opens the backend's default device. A backend that is not compiled in, or a GPU API
    /// with no adapter, is an error that says what to do.
    pub fn device(self) -> Result<Device, TrainError> {
        match self {
            BackendKind::Flex => Ok(Device::flex()),
            #[allow(deprecated)]
            BackendKind::Ndarray => Ok(Device::ndarray()),
            BackendKind::Wgpu => wgpu_device(),
            BackendKind::Cuda => cuda_device(),
        }
    }
}

/// The wgpu runtime can be set up once per process, so the outcome of the first attempt is
/// kept and handed out again.
#[cfg(feature = "wgpu")]
fn wgpu_device() -> Result<Device, TrainError> {
    static WGPU: std::sync::OnceLock<Result<Device, String>> = std::sync::OnceLock::new();
    WGPU.get_or_init(|| {
        Device::wgpu_options().init().map_err(|e| {
            format!(
                "wgpu found no usable adapter ({e}). Install a Vulkan, Metal or DX12 driver \
                 (on Debian/Ubuntu without a GPU: `apt-get install mesa-vulkan-drivers libvulkan1` \
                 for the lavapipe software adapter), or use `--backend flex`."
            )
        })
    })
    .clone()
    .map_err(TrainError::Backend)
}

#[cfg(not(feature = "wgpu"))]
fn wgpu_device() -> Result<Device, TrainError> {
    Err(TrainError::Backend(
        "this build has no wgpu backend; rebuild with the `wgpu` cargo feature (on by default)"
            .into(),
    ))
}

#[cfg(feature = "cuda")]
fn cuda_device() -> Result<Device, TrainError> {
    Ok(Device::cuda(0))
}

#[cfg(not(feature = "cuda"))]
fn cuda_device() -> Result<Device, TrainError> {
    Err(TrainError::Backend(
        "this build has no CUDA backend; rebuild with `--features cuda`".into(),
    ))
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
