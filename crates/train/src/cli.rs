//! The command line of training, shared by the `train` binary and `aprende train`: parse
//! ([`TrainArgs`]), prepare ([`prepare`](crate::pipeline::prepare)), fit, print.

use std::path::PathBuf;

use burn::train::Interrupter;

use crate::backend::BackendKind;
use crate::devices::DeviceList;
use crate::error::{TrainError, describe};
use crate::pipeline::{RunRequest, prepare};
use crate::renderer::ProgressMode;
use crate::settings::{Flags, heading};

/// Train a neural network with burn, on CPU (flex, ndarray) or GPU (wgpu, cuda).
#[derive(clap::Parser, Debug, Clone)]
#[command(name = "train", version, after_help = crate::settings::models_help())]
pub struct TrainArgs {
    /// What to train, and how.
    #[command(flatten)]
    pub flags: Flags,
    /// Data directory (else $APRENDE_DATA_DIR, else ~/.cache/aprende/data)
    #[arg(long, help_heading = heading::DATA)]
    pub data_dir: Option<PathBuf>,
    /// Never download; missing files are an error that says where to put them
    #[arg(long, help_heading = heading::DATA)]
    pub offline: bool,
    /// A saved config.json to rerun; other flags override its values
    #[arg(long, help_heading = heading::FIT)]
    pub config: Option<PathBuf>,
    /// Continue the run in DIR (interrupted, killed, or to train it longer with --epochs)
    /// from its last checkpoint; other flags override its config.json as with --config
    #[arg(long, value_name = "DIR", conflicts_with_all = ["config", "artifact_dir"], help_heading = heading::FIT)]
    pub resume: Option<PathBuf>,
    /// Compute backend: flex (fast CPU), ndarray (CPU), wgpu (GPU), cuda.
    #[arg(long, default_value = "flex", value_enum, help_heading = heading::DEVICES)]
    pub backend: BackendKind,
    /// Train data-parallel on several devices: flex,flex | cuda (every GPU) | cuda:0,cuda:1 |
    /// wgpu:0,wgpu:1 | ws://HOST:PORT/INDEX,... (devices `app serve-device` serves).
    /// --batch-size is per device [default: the --backend device alone]
    #[arg(long, value_name = "LIST", conflicts_with = "backend", help_heading = heading::DEVICES)]
    pub devices: Option<DeviceList>,
    /// With CUDA devices: burn's distributed data parallel (NCCL all-reduce) instead of its
    /// multi-device strategy
    #[arg(long, help_heading = heading::DEVICES)]
    pub ddp: bool,
    /// The token `app serve-device --token` asks of remote devices
    #[arg(long, env = "APRENDE_REMOTE_TOKEN", hide_env_values = true, help_heading = heading::DEVICES)]
    pub remote_token: Option<String>,
    /// Where to write the run [default: artifacts/DATASET-MODEL]
    #[arg(long, help_heading = heading::OUTPUT)]
    pub artifact_dir: Option<PathBuf>,
    /// Progress display: auto (TUI on a terminal, else a line per epoch), lines, quiet
    #[arg(long, default_value = "auto", value_enum, help_heading = heading::OUTPUT)]
    pub progress: ProgressMode,
}

impl TrainArgs {
    /// The run these flags ask for.
    pub fn request(&self) -> RunRequest {
        RunRequest {
            flags: self.flags.clone(),
            backend: self.backend,
            devices: self.devices.clone(),
            ddp: self.ddp,
            remote_token: self.remote_token.clone(),
            data_dir: self.data_dir.clone(),
            offline: self.offline,
            artifact_dir: self.artifact_dir.clone(),
            config: self.config.clone(),
            resume: self.resume.clone(),
        }
    }

    /// The backend burn's default device should be: the one training runs on.
    fn main_backend(&self) -> BackendKind {
        self.devices
            .as_ref()
            .map_or(Some(self.backend), DeviceList::local_backend)
            .unwrap_or(BackendKind::Flex)
    }
}

/// Runs `args` as the `train` binary does and exits the process: 0 when the run finished,
/// 1 with one line on standard error when it failed.
pub fn main(args: TrainArgs) -> ! {
    crate::faults::exit_on_panic();
    // burn creates some state on its default device and moves it later: a resumed run's
    // optimizer state, for one. Make that device the one training runs on, so that
    // `--backend flex` never starts a GPU backend (or fails where none exists); remote
    // devices' state starts on flex, which every build has.
    let backend = args.main_backend();
    // SAFETY: called first thing in `main`: no other thread reads the environment meanwhile.
    unsafe { std::env::set_var("BURN_DEVICE", backend.to_string()) };
    match run(&args) {
        Ok(()) => std::process::exit(0),
        Err(e) => {
            eprintln!("error: {}", describe(&e));
            std::process::exit(1);
        }
    }
}

/// Prepares, trains and prints, as `train` does.
pub fn run(args: &TrainArgs) -> Result<(), TrainError> {
    let prepared = prepare(&args.request())?;
    if prepared.resume {
        println!("Resuming the run in {}", prepared.artifact_dir.display());
    }
    print!("{}", prepared.summary());
    prepared.train(args.progress, Some(stop_on_ctrl_c()))?;
    Ok(())
}

/// An interrupter that the first Ctrl-C (SIGINT or SIGTERM) triggers: training stops after
/// the current batch and the best epoch finished so far is saved and reported. A second one
/// quits at once. (The terminal UI reads keys itself: there `q` offers the same stop.)
fn stop_on_ctrl_c() -> Interrupter {
    let interrupter = Interrupter::new();
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGINT, SIGTERM};
        match signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) {
            Ok(mut signals) => {
                let handle = interrupter.clone();
                std::thread::spawn(move || {
                    for _ in signals.forever() {
                        if handle.should_stop() {
                            eprintln!("\nInterrupted again: quitting without saving.");
                            std::process::exit(130);
                        }
                        eprintln!(
                            "\nInterrupted: stopping after this batch and saving the best epoch so far \
                             (Ctrl-C again quits at once)."
                        );
                        handle.stop(Some("interrupted by the user"));
                    }
                });
            }
            Err(e) => eprintln!("warning: Ctrl-C will kill the run unsaved: {e}"),
        }
    }
    interrupter
}
