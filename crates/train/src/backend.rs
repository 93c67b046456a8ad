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
        self.device_at(None)
    }

    /// Opens device `index` of the backend (`None`: its default device). The CPU backends
    /// have one device.
    pub fn device_at(self, index: Option<usize>) -> Result<Device, TrainError> {
        match self {
            BackendKind::Flex => Ok(Device::flex()),
            #[allow(deprecated)]
            BackendKind::Ndarray => Ok(Device::ndarray()),
            BackendKind::Wgpu => wgpu_device(index),
            BackendKind::Cuda => cuda_device(index.unwrap_or(0)),
        }
    }
}

/// A wgpu device can be set up once per process, so the outcome of the first attempt for
/// each index is kept and handed out again.
#[cfg(feature = "wgpu")]
fn wgpu_device(index: Option<usize>) -> Result<Device, TrainError> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    /// Each index's device, or why it did not open.
    type Opened = HashMap<Option<usize>, Result<Device, String>>;
    static WGPU: OnceLock<Mutex<Opened>> = OnceLock::new();
    let mut opened = WGPU
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    opened
        .entry(index)
        .or_insert_with(|| wgpu::open(index))
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
    use burn::tensor::DeviceKind;
    use burn::tensor::wgpu::{WgpuBackend, wgpu};

    /// The graphics APIs tried, best first.
    pub const APIS: &[WgpuBackend] = if cfg!(target_os = "macos") {
        &[WgpuBackend::Metal]
    } else if cfg!(windows) {
        &[WgpuBackend::Vulkan, WgpuBackend::Dx12]
    } else {
        &[WgpuBackend::Vulkan]
    };

    /// Opens the default adapter of the first of [`APIS`] that has one, or with an `index`,
    /// its discrete GPU of that index; or says what was found and what to install.
    pub fn open(index: Option<usize>) -> Result<Device, String> {
        let kind = index.map_or(DeviceKind::DefaultDevice, DeviceKind::DiscreteGpu);
        let mut failures = Vec::new();
        for api in APIS {
            match Device::wgpu_options()
                .graphics_api(*api)
                .device_kind(kind.clone())
                .init()
            {
                Ok(device) => return Ok(device),
                Err(e) => failures.push(format!("{api:?}: {e}")),
            }
        }
        let which = index.map_or(String::new(), |i| format!(" for discrete GPU {i}"));
        Err(format!(
            "wgpu found no {} adapter{which} ({}). {} aprende drives wgpu only through {}: its OpenGL \
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
fn wgpu_device(_index: Option<usize>) -> Result<Device, TrainError> {
    Err(TrainError::Backend(
        "this build has no wgpu backend; rebuild with the `wgpu` cargo feature (on by default)"
            .into(),
    ))
}

/// CUDA device `index`, after checking that the driver and NVRTC (which compiles burn's
/// kernels) load and that the driver sees that GPU: without them burn panics on first use.
#[cfg(feature = "cuda")]
fn cuda_device(index: usize) -> Result<Device, TrainError> {
    let count = cuda_device_count()?;
    if index >= count {
        return Err(TrainError::Backend(format!(
            "there is no CUDA device {index}: the driver sees {count} GPU(s), cuda:0 to cuda:{}",
            count - 1
        )));
    }
    Ok(Device::cuda(index))
}

/// How many GPUs CUDA sees here (`--devices cuda` trains on all of them).
#[cfg(feature = "cuda")]
pub fn cuda_device_count() -> Result<usize, TrainError> {
    cuda::check().map_err(TrainError::Backend)
}

/// Without the `cuda` feature there is no CUDA device to count: the error says so.
#[cfg(not(feature = "cuda"))]
pub fn cuda_device_count() -> Result<usize, TrainError> {
    cuda_device(0).map(|_| 0)
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
fn cuda_device(_index: usize) -> Result<Device, TrainError> {
    Err(TrainError::Backend(format!(
        "this build has no CUDA backend; rebuild with `--features cuda` ({})",
        match cuda::check() {
            Ok(gpus) => format!("CUDA itself works here: the driver sees {gpus} GPU(s)"),
            Err(e) => format!("and then: {e}"),
        }
    )))
}

/// Devices another machine serves over a websocket (`app serve-device`), through burn's remote
/// backend: every tensor operation is sent to the server, so a fast link matters.
pub mod remote {
    use burn::prelude::Device;

    use crate::error::TrainError;

    /// The devices of the server at `url` (`ws://HOST:PORT`): device `index`, or all it
    /// serves, each with its name; `token` is the credential its `--token` asks for.
    #[cfg(feature = "remote")]
    pub fn open(
        url: &str,
        index: Option<usize>,
        token: Option<&str>,
    ) -> Result<Vec<(Device, String)>, TrainError> {
        use burn::tensor::remote::RemoteHost;
        let mut host = RemoteHost::websocket(url);
        if let Some(token) = token {
            host = host.with_credential(token);
        }
        let failed = |e: &dyn std::fmt::Display| {
            let e = e.to_string();
            let stop = if e.ends_with(['.', '?', '!']) {
                ""
            } else {
                "."
            };
            TrainError::Backend(format!(
                "cannot reach the devices served at {url}: {e}{stop} Is `app serve-device` \
                 running there, on that port, and does --remote-token match its --token?"
            ))
        };
        match index {
            Some(i) => {
                let device = Device::remote_options(&host)
                    .device_index(i)
                    .init()
                    .map_err(|e| failed(&e))?;
                Ok(vec![(device, format!("{url}/{i}"))])
            }
            None => {
                let devices = host.devices().map_err(|e| failed(&e))?;
                Ok(devices
                    .into_iter()
                    .enumerate()
                    .map(|(i, d)| (d, format!("{url}/{i}")))
                    .collect())
            }
        }
    }

    /// Without the `remote` feature, an error that says how to get it.
    #[cfg(not(feature = "remote"))]
    pub fn open(
        url: &str,
        _index: Option<usize>,
        _token: Option<&str>,
    ) -> Result<Vec<(Device, String)>, TrainError> {
        Err(TrainError::Backend(format!(
            "this build has no remote devices ({url}); rebuild with `--features remote` \
             (burn's remote backend, off by default for its size)"
        )))
    }
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
