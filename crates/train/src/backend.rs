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
    /// wgpu: Vulkan (DX12 on Windows, Metal on macOS), on a GPU or a software adapter; never
    /// OpenGL (see [`wgpu`]).
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
    WGPU.get_or_init(wgpu::open)
        .clone()
        .map_err(TrainError::Backend)
}

/// Which graphics APIs wgpu may drive, and the error when none of them has an adapter.
///
/// aprende pins the API instead of letting wgpu fall back through all of them: Vulkan on
/// Linux and Windows (then DX12 on Windows), Metal on macOS. wgpu's OpenGL backend is never
/// used: training on it races in wgpu-hal's GLES context lock (a worker thread panics with
/// "Could not lock adapter context" and the run hangs), and it lacks compute features burn
/// relies on. A machine with only an OpenGL adapter gets an error that says what to install.
#[cfg(feature = "wgpu")]
pub mod wgpu {
    use burn::prelude::Device;
    use burn::tensor::wgpu::{WgpuBackend, wgpu};

    /// The graphics APIs tried, best first.
    pub const APIS: &[WgpuBackend] = if cfg!(target_os = "macos") {
        &[WgpuBackend::Metal]
    } else if cfg!(windows) {
        &[WgpuBackend::Vulkan, WgpuBackend::Dx12]
    } else {
        &[WgpuBackend::Vulkan]
    };

    /// Opens the first adapter of [`APIS`], or says what was found and what to install.
    pub fn open() -> Result<Device, String> {
        let mut failures = Vec::new();
        for api in APIS {
            match Device::wgpu_options().graphics_api(*api).init() {
                Ok(device) => return Ok(device),
                Err(e) => failures.push(format!("{api:?}: {e}")),
            }
        }
        Err(format!(
            "wgpu found no {} adapter ({}). {} aprende drives wgpu only through {}: its OpenGL \
             backend hangs in training. Install a driver: on Debian/Ubuntu without a GPU, \
             `apt-get install mesa-vulkan-drivers libvulkan1` (the lavapipe software adapter); \
             with a GPU, its vendor's Vulkan driver. Or use `--backend flex`.",
            names(),
            failures.join("; "),
            found(),
            names()
        ))
    }

    fn names() -> String {
        APIS.iter()
            .map(|api| format!("{api:?}"))
            .collect::<Vec<_>>()
            .join(" or ")
    }

    /// What adapters this machine offers on any graphics API, in words. Asked on a thread
    /// of its own with a time limit: a broken driver must not hang the error message.
    pub fn found() -> String {
        let (send, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = send.send(adapters());
        });
        match receive.recv_timeout(std::time::Duration::from_secs(10)) {
            Ok(list) if list.is_empty() => "Found no adapter on any graphics API.".into(),
            Ok(list) => format!("Found only: {}.", list.join(", ")),
            Err(_) => "Listing the adapters did not finish within 10 s.".into(),
        }
    }

    /// Every adapter of every graphics API wgpu knows, as `API adapter name (type)`.
    fn adapters() -> Vec<String> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
            backends: wgpu::Backends::all(),
            ..wgpu::InstanceDescriptor::new_without_display_handle()
        });
        block_on(instance.enumerate_adapters(wgpu::Backends::all()))
            .iter()
            .map(|adapter| {
                let info = adapter.get_info();
                format!(
                    "{:?} adapter `{}` ({:?})",
                    info.backend, info.name, info.device_type
                )
            })
            .collect()
    }

    /// Runs a future that native wgpu completes without waiting on anything.
    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        loop {
            if let std::task::Poll::Ready(value) = future.as_mut().poll(&mut context) {
                return value;
            }
            std::thread::yield_now();
        }
    }
}

#[cfg(not(feature = "wgpu"))]
fn wgpu_device() -> Result<Device, TrainError> {
    Err(TrainError::Backend(
        "this build has no wgpu backend; rebuild with the `wgpu` cargo feature (on by default)"
            .into(),
    ))
}

/// CUDA device 0, after checking that the driver and NVRTC (which compiles burn's kernels)
/// load and that the driver sees a GPU: without them burn panics on first use.
#[cfg(feature = "cuda")]
fn cuda_device() -> Result<Device, TrainError> {
    cuda::check().map_err(TrainError::Backend)?;
    Ok(Device::cuda(0))
}

/// Checks, through the libraries' own entry points, that CUDA can run here. Compiled in every
/// build, so that one without the `cuda` feature can still say whether CUDA would work.
pub mod cuda {
    /// The driver library's names, newest first.
    const DRIVER: &[&str] = if cfg!(windows) {
        &["nvcuda.dll"]
    } else {
        &["libcuda.so.1", "libcuda.so"]
    };
    /// NVRTC's names: CUDA 13, 12 and 11, then the unversioned one.
    const NVRTC: &[&str] = if cfg!(windows) {
        &[
            "nvrtc64_130_0.dll",
            "nvrtc64_120_0.dll",
            "nvrtc64_112_0.dll",
        ]
    } else {
        &[
            "libnvrtc.so.13",
            "libnvrtc.so.12",
            "libnvrtc.so.11.2",
            "libnvrtc.so",
        ]
    };

    const INSTALL: &str = "Install the NVIDIA driver and the CUDA toolkit (NVRTC), or use \
                           `--backend wgpu` or `--backend flex`.";

    fn open(names: &[&str]) -> Option<libloading::Library> {
        // SAFETY: loading the vendor's library runs its initialisers, as burn's loader would.
        names
            .iter()
            .find_map(|name| unsafe { libloading::Library::new(name) }.ok())
    }

    /// The number of GPUs when the CUDA driver and NVRTC load and the driver counts at least
    /// one; otherwise what is missing and what to install.
    pub fn check() -> Result<usize, String> {
        let Some(driver) = open(DRIVER) else {
            return Err(format!(
                "CUDA is not available: no NVIDIA driver library ({}) on this machine. {INSTALL}",
                DRIVER.join(", ")
            ));
        };
        type CuInit = unsafe extern "C" fn(u32) -> i32;
        type CuDeviceGetCount = unsafe extern "C" fn(*mut i32) -> i32;
        // SAFETY: the CUDA driver API's documented signatures.
        let count = unsafe {
            let init: libloading::Symbol<CuInit> = driver
                .get(b"cuInit\0")
                .map_err(|e| format!("CUDA is not available: the driver has no cuInit: {e}"))?;
            let status = init(0);
            if status != 0 {
                return Err(format!(
                    "CUDA is not available: the driver failed to start (cuInit error {status}: \
                     no GPU, or the driver does not match the kernel module). {INSTALL}"
                ));
            }
            let get_count: libloading::Symbol<CuDeviceGetCount> =
                driver.get(b"cuDeviceGetCount\0").map_err(|e| {
                    format!("CUDA is not available: the driver has no cuDeviceGetCount: {e}")
                })?;
            let mut count = 0;
            let status = get_count(&mut count);
            if status != 0 {
                return Err(format!(
                    "CUDA is not available: counting GPUs failed (error {status})"
                ));
            }
            count
        };
        if count == 0 {
            return Err(format!(
                "CUDA is not available: the driver sees no GPU. {INSTALL}"
            ));
        }
        if open(NVRTC).is_none() {
            return Err(format!(
                "CUDA is not available: the driver sees {count} GPU(s) but NVRTC, which \
                 compiles burn's kernels, is missing ({}). {INSTALL}",
                NVRTC.join(", ")
            ));
        }
        Ok(count as usize)
    }
}

#[cfg(not(feature = "cuda"))]
fn cuda_device() -> Result<Device, TrainError> {
    Err(TrainError::Backend(format!(
        "this build has no CUDA backend; rebuild with `--features cuda` ({})",
        match cuda::check() {
            Ok(gpus) => format!("CUDA itself works here: the driver sees {gpus} GPU(s)"),
            Err(e) => format!("and then: {e}"),
        }
    )))
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cuda_without_a_driver_says_what_is_missing() {
        let driver = ["/dev/nvidia0", "/dev/nvidiactl"]
            .iter()
            .any(|p| std::path::Path::new(p).exists());
        match super::cuda::check() {
            Ok(gpus) => assert!(driver && gpus > 0),
            Err(e) if !driver => {
                assert!(e.contains("CUDA is not available"), "{e}");
                assert!(e.contains("NVIDIA driver"), "{e}");
            }
            Err(e) => assert!(e.contains("CUDA is not available"), "{e}"),
        }
    }
}
