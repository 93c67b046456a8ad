//! `--devices LIST`: the devices a run trains on and how they share the work.
//!
//! One device is the usual path. Several devices train data-parallel through burn-train's own
//! engine: every device holds a copy of the network and takes a slice of each step's examples.
//!
//! - [`Strategy::MultiDevice`] (any backend): burn's `ExecutionStrategy::MultiDevice`. Each
//!   device computes the gradients of its batch; burn moves them to the first device and sums
//!   them, and one optimizer step follows. aprende divides the sum by the number of devices
//!   (see [`Devices::gradient_scale`]), so N devices with `--batch-size B` take the same step
//!   as one device with a batch of N x B.
//! - [`Strategy::Ddp`] (`--ddp`, CUDA only): burn's distributed data parallel, whose
//!   all-reduce (NCCL) averages the gradients inside the backward pass.
//!
//! Remote devices (`ws://HOST:PORT/INDEX`, the `remote` cargo feature) are devices another
//! machine serves with `app serve-device`: every tensor operation crosses the network.

use std::fmt;
use std::str::FromStr;

use burn::prelude::Device;
use burn::train::{ExecutionStrategy, MultiDeviceOptim};
use serde::{Deserialize, Serialize};

use crate::backend::BackendKind;
use crate::error::TrainError;

/// One entry of `--devices`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceSpec {
    /// A device of this machine: `flex`, `ndarray`, `wgpu`, `wgpu:1`, `cuda:0`; `cuda` without
    /// an index stands for every CUDA device.
    Local {
        /// Its backend.
        backend: BackendKind,
        /// Which device of the backend (`None`: its default, or for CUDA, all of them).
        index: Option<usize>,
    },
    /// A device another machine serves (`app serve-device`): `ws://HOST:PORT/INDEX`, or
    /// without an index, every device it serves.
    Remote {
        /// The server's address, `ws://HOST:PORT`.
        url: String,
        /// Which of its devices (`None`: all of them).
        index: Option<usize>,
    },
}

impl DeviceSpec {
    /// What the device runs on: a local backend's name, or `remote`.
    pub fn backend_name(&self) -> &'static str {
        match self {
            DeviceSpec::Local { backend, .. } => backend.as_str(),
            DeviceSpec::Remote { .. } => "remote",
        }
    }
}

impl fmt::Display for DeviceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceSpec::Local {
                backend,
                index: None,
            } => write!(f, "{backend}"),
            DeviceSpec::Local {
                backend,
                index: Some(i),
            } => write!(f, "{backend}:{i}"),
            DeviceSpec::Remote { url, index: None } => write!(f, "{url}"),
            DeviceSpec::Remote {
                url,
                index: Some(i),
            } => write!(f, "{url}/{i}"),
        }
    }
}

impl FromStr for DeviceSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if let Some(rest) = text.strip_prefix("ws://") {
            let (host, index) = match rest.split_once('/') {
                Some((host, "")) => (host, None),
                Some((host, index)) => (
                    host,
                    Some(index.parse::<usize>().map_err(|_| {
                        format!("`{text}`: the device index after the last `/` must be a number")
                    })?),
                ),
                None => (rest, None),
            };
            let port_ok = host
                .rsplit_once(':')
                .is_some_and(|(name, port)| !name.is_empty() && port.parse::<u16>().is_ok());
            if !port_ok {
                return Err(format!(
                    "`{text}`: a remote device is ws://HOST:PORT/INDEX (such as ws://gpu-box:3000/0)"
                ));
            }
            return Ok(DeviceSpec::Remote {
                url: format!("ws://{host}"),
                index,
            });
        }
        let (name, index) = match text.split_once(':') {
            Some((name, index)) => (
                name,
                Some(index.parse::<usize>().map_err(|_| {
                    format!("`{text}`: the device index after `:` must be a number")
                })?),
            ),
            None => (text, None),
        };
        let backend = match name {
            "flex" => BackendKind::Flex,
            "ndarray" => BackendKind::Ndarray,
            "wgpu" => BackendKind::Wgpu,
            "cuda" => BackendKind::Cuda,
            "" => return Err("an empty entry in the device list".into()),
            other => {
                return Err(format!(
                    "unknown device `{other}`: use flex, ndarray, wgpu, wgpu:N, cuda, cuda:N or \
                     ws://HOST:PORT/N"
                ));
            }
        };
        if index.is_some() && matches!(backend, BackendKind::Flex | BackendKind::Ndarray) {
            return Err(format!(
                "`{text}`: the {name} backend has one device; to train on two workers of it, \
                 list it twice (`{name},{name}`)"
            ));
        }
        Ok(DeviceSpec::Local { backend, index })
    }
}

/// The parsed `--devices` list, such as `flex,flex` or `cuda:0,cuda:1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceList(pub Vec<DeviceSpec>);

impl FromStr for DeviceList {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let specs = text
            .split(',')
            .map(DeviceSpec::from_str)
            .collect::<Result<Vec<_>, _>>()?;
        let first = specs[0].backend_name();
        if let Some(other) = specs.iter().find(|s| s.backend_name() != first) {
            return Err(format!(
                "`{text}` mixes {first} and {} devices: every device of a run must use the same \
                 backend",
                other.backend_name()
            ));
        }
        Ok(DeviceList(specs))
    }
}

impl fmt::Display for DeviceList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&names.join(","))
    }
}

impl DeviceList {
    /// One local device of `backend`.
    pub fn single(backend: BackendKind) -> Self {
        DeviceList(vec![DeviceSpec::Local {
            backend,
            index: None,
        }])
    }

    /// The backend the devices run on (`remote` for served devices).
    pub fn backend_name(&self) -> &'static str {
        self.0[0].backend_name()
    }

    /// The local backend, when the devices are this machine's.
    pub fn local_backend(&self) -> Option<BackendKind> {
        match self.0[0] {
            DeviceSpec::Local { backend, .. } => Some(backend),
            DeviceSpec::Remote { .. } => None,
        }
    }

    /// Opens every device (expanding `cuda` and a server without an index into all their
    /// devices) for a run with `strategy`; `token` is the credential of remote devices.
    pub fn open(&self, ddp: bool, token: Option<&str>) -> Result<Devices, TrainError> {
        // Refused before any device opens: a DDP that cannot run must not start a GPU.
        if ddp && self.local_backend() != Some(BackendKind::Cuda) {
            return Err(TrainError::Config(format!(
                "--ddp needs CUDA devices: burn's distributed data parallel all-reduces the \
                 gradients with NCCL, which only CUDA has, and `--devices {self}` is {}. Leave \
                 out --ddp to train on these devices with burn's multi-device strategy \
                 (gradients summed on the first device, then averaged by aprende).",
                self.backend_name()
            )));
        }
        let mut devices = Vec::new();
        let mut names = Vec::new();
        for spec in &self.0 {
            for (device, name) in open_spec(spec, token)? {
                devices.push(device);
                names.push(name);
            }
        }
        let strategy = if ddp {
            Strategy::Ddp
        } else if devices.len() > 1 {
            Strategy::MultiDevice
        } else {
            Strategy::SingleDevice
        };
        Ok(Devices {
            devices,
            names,
            strategy,
            backend: self.backend_name().to_string(),
        })
    }
}

/// The devices of `spec`, each with its name for the report.
fn open_spec(spec: &DeviceSpec, token: Option<&str>) -> Result<Vec<(Device, String)>, TrainError> {
    match spec {
        DeviceSpec::Local {
            backend: BackendKind::Cuda,
            index: None,
        } => {
            let count = crate::backend::cuda_device_count()?;
            (0..count)
                .map(|i| Ok((BackendKind::Cuda.device_at(Some(i))?, format!("cuda:{i}"))))
                .collect()
        }
        DeviceSpec::Local { backend, index } => {
            Ok(vec![(backend.device_at(*index)?, spec.to_string())])
        }
        DeviceSpec::Remote { url, index } => crate::backend::remote::open(url, *index, token),
    }
}

/// How the devices of a run share its training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// One device.
    #[default]
    SingleDevice,
    /// burn's multi-device strategy: gradients summed on the first device (then averaged by
    /// aprende), one optimizer step there.
    MultiDevice,
    /// burn's distributed data parallel (CUDA): gradients all-reduced (averaged) with NCCL.
    Ddp,
}

impl Strategy {
    /// Its name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::SingleDevice => "single-device",
            Strategy::MultiDevice => "multi-device",
            Strategy::Ddp => "ddp",
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The opened devices of a run and how they share it.
#[derive(Debug, Clone)]
pub struct Devices {
    /// The devices; the first is the main one (validation, evaluation, the optimizer step).
    pub devices: Vec<Device>,
    /// Their names, as given (`flex`, `cuda:1`, `ws://gpu:3000/0`).
    pub names: Vec<String>,
    /// How they share the training.
    pub strategy: Strategy,
    /// The backend they run on (`remote` for served devices).
    pub backend: String,
}

impl Devices {
    /// The main device: where the network is built, validated and evaluated.
    pub fn main(&self) -> &Device {
        &self.devices[0]
    }

    /// How many devices train (each takes `--batch-size` examples of every step).
    pub fn len(&self) -> usize {
        self.devices.len()
    }

    /// Whether there is no device (never, for opened devices).
    pub fn is_empty(&self) -> bool {
        self.devices.is_empty()
    }

    /// How many devices a training step's examples are split across: 1 on one device.
    pub fn replicas(&self) -> usize {
        match self.strategy {
            Strategy::SingleDevice => 1,
            _ => self.len(),
        }
    }

    /// The factor each step's gradients are multiplied by before the optimizer uses them.
    /// burn's multi-device strategy sums the gradients of the N devices, which would take a
    /// step N times too long; dividing by N makes it the gradient of the mean loss over the
    /// combined batch, as one device with N times the batch would compute. DDP averages
    /// itself.
    pub fn gradient_scale(&self) -> f64 {
        match self.strategy {
            Strategy::MultiDevice => 1.0 / self.len() as f64,
            Strategy::SingleDevice | Strategy::Ddp => 1.0,
        }
    }

    /// burn-train's execution strategy for these devices, each made to track gradients;
    /// `None` for one device, which keeps burn's default path.
    pub fn execution(&self) -> Option<ExecutionStrategy> {
        let autodiff: Vec<Device> = self.devices.iter().map(|d| d.clone().autodiff()).collect();
        match self.strategy {
            Strategy::SingleDevice => None,
            Strategy::MultiDevice => Some(ExecutionStrategy::MultiDevice(
                autodiff,
                MultiDeviceOptim::OptimMainDevice,
            )),
            Strategy::Ddp => Some(ddp(autodiff)),
        }
    }

    /// How many copies of the learning-rate schedule burn steps per optimizer step: each DDP
    /// worker steps its own; the other strategies step one.
    pub fn schedule_copies(&self) -> usize {
        match self.strategy {
            Strategy::Ddp => self.len(),
            Strategy::SingleDevice | Strategy::MultiDevice => 1,
        }
    }

    /// The devices in words, for the progress line: `2 devices (flex, flex), multi-device`.
    pub fn describe(&self) -> String {
        if self.len() == 1 && self.strategy == Strategy::SingleDevice {
            return self.names[0].clone();
        }
        format!("{}, {}", self.listed(), self.strategy)
    }

    /// How many devices and which: `2 devices (flex, flex)`.
    pub fn listed(&self) -> String {
        format!(
            "{} device{} ({})",
            self.len(),
            if self.len() == 1 { "" } else { "s" },
            self.names.join(", ")
        )
    }
}

/// burn's DDP over `devices`, averaging the gradients. Compiled in every build; only CUDA
/// devices reach it ([`DeviceList::open`] refuses the others).
fn ddp(devices: Vec<Device>) -> ExecutionStrategy {
    use burn::tensor::distributed::{DistributedConfig, ReduceOperation};
    ExecutionStrategy::ddp(
        devices,
        DistributedConfig {
            all_reduce_op: ReduceOperation::Mean,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<DeviceList, String> {
        text.parse()
    }

    #[test]
    fn device_lists_parse_and_print_back() {
        for text in [
            "flex",
            "flex,flex",
            "ndarray,ndarray,ndarray",
            "wgpu:0,wgpu:1",
            "cuda",
            "cuda:0,cuda:1",
            "ws://gpu-box:3000/0,ws://gpu-box:3000/1",
            "ws://10.0.0.7:3000",
        ] {
            assert_eq!(parse(text).unwrap().to_string(), text);
        }
        assert_eq!(
            parse("ws://a:1/2").unwrap().0[0],
            DeviceSpec::Remote {
                url: "ws://a:1".into(),
                index: Some(2)
            }
        );
    }

    #[test]
    fn bad_device_lists_say_what_is_wrong() {
        let err = |text: &str| parse(text).unwrap_err();
        assert!(
            err("tpu").contains("unknown device `tpu`"),
            "{}",
            err("tpu")
        );
        assert!(err("flex,,flex").contains("empty entry"));
        assert!(err("cuda:x").contains("must be a number"));
        assert!(err("flex:1").contains("list it twice (`flex,flex`)"));
        assert!(err("flex,wgpu").contains("mixes flex and wgpu"));
        assert!(err("ws://gpu-box").contains("ws://HOST:PORT/INDEX"));
        assert!(err("ws://gpu-box:3000/a").contains("must be a number"));
    }

    #[test]
    fn ddp_on_devices_without_nccl_is_refused_with_what_to_do() {
        for list in [
            "flex,flex",
            "ndarray",
            "wgpu:0,wgpu:1",
            "ws://127.0.0.1:9/0",
        ] {
            let message = parse(list)
                .unwrap()
                .open(true, None)
                .unwrap_err()
                .to_string();
            assert!(message.contains("--ddp needs CUDA devices"), "{message}");
            assert!(message.contains(list), "{message}");
            assert!(message.contains("Leave out --ddp"), "{message}");
        }
    }

    #[test]
    fn several_devices_average_what_burn_sums() {
        let devices = parse("flex,flex,flex").unwrap().open(false, None).unwrap();
        assert_eq!(devices.strategy, Strategy::MultiDevice);
        assert_eq!(devices.replicas(), 3);
        assert!((devices.gradient_scale() - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(
            devices.describe(),
            "3 devices (flex, flex, flex), multi-device"
        );
        let one = parse("flex").unwrap().open(false, None).unwrap();
        assert_eq!(one.strategy, Strategy::SingleDevice);
        assert_eq!(one.gradient_scale(), 1.0);
        assert_eq!(one.describe(), "flex");
    }
}
