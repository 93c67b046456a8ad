//! Devices on another machine, over the loopback: `app serve-device` serves two flex devices
//! on 127.0.0.1 and a training run uses them as `--devices ws://127.0.0.1:PORT` (the `remote`
//! cargo feature: `cargo test --release -p app --features remote --test remote`).
#![cfg(feature = "remote")]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use burn::prelude::Device;
use data::ImageSplits;
use data::playground::{Problem, generate};
use models::{ActivationKind, ModelOptions};
use train::{
    DeviceList, FitOptions, OptimizerSettings, ProgressMode, Strategy, TrainingConfig,
    TrainingData, fit,
};

/// A device server, killed when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `app serve-device` on a free port of 127.0.0.1 and reads the port it prints.
fn serve(devices: &str, token: &str) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_app"))
        .args(["serve-device", "--bind", "127.0.0.1", "--port", "0"])
        .args(["--devices", devices, "--token", token])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("app starts");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let port = line
        .split("ws://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in: {line}"));
    assert!(line.contains("2 devices (flex, flex)"), "{line}");
    Server { child, port }
}

fn spiral_run() -> (TrainingConfig, TrainingData) {
    let set = generate(Problem::Spiral, 400, 0.0, 5).unwrap();
    let splits = ImageSplits {
        train: set.clone(),
        test: set,
        skipped: Vec::new(),
        feature_names: Vec::new(),
    };
    let options = ModelOptions {
        hidden: vec![16, 16],
        activation: ActivationKind::Tanh,
        dropout: 0.0,
        ..ModelOptions::default()
    };
    let config = TrainingConfig::for_data(
        "mlp",
        options,
        "spiral",
        &splits.train,
        OptimizerSettings::new().with_lr(0.03),
    )
    .unwrap()
    .with_epochs(2)
    .with_patience(0)
    .with_batch_size(16)
    .with_seed(9);
    let data = TrainingData::new(splits, config.val_split, config.seed).unwrap();
    (config, data)
}

#[test]
fn a_run_trains_on_two_devices_served_over_the_loopback() {
    let server = serve("flex,flex", "s3cret");
    let url = format!("ws://127.0.0.1:{}", server.port);
    let devices = url
        .parse::<DeviceList>()
        .unwrap()
        .open(false, Some("s3cret"))
        .unwrap();
    assert_eq!(devices.names, [format!("{url}/0"), format!("{url}/1")]);
    assert_eq!(devices.strategy, Strategy::MultiDevice);

    let (config, data) = spiral_run();
    let dir = tempfile::tempdir().unwrap();
    let options = FitOptions {
        progress: ProgressMode::Quiet,
        ..FitOptions::new(dir.path(), "remote")
    }
    .with_devices(devices.clone());
    let started = Instant::now();
    let report = fit(&config, &data, devices.main(), &options)
        .unwrap()
        .report;
    eprintln!("2 epochs over the loopback in {:?}", started.elapsed());
    assert_eq!(report.backend, "remote");
    assert_eq!(report.devices, devices.names);
    assert_eq!(report.history.len(), 2);
    let n = data.split.train.len();
    assert!(
        report.history.iter().all(|r| r.steps == n.div_ceil(32)),
        "{:?}",
        report.history
    );
    assert!(report.history[1].train_loss < report.history[0].train_loss);
    assert!(report.history.iter().all(|r| r.val_loss.is_finite()));

    // The trained network answers the same on this machine.
    let local = train::load_run(dir.path(), &Device::flex()).unwrap();
    assert_eq!(local.0.model.name(), "mlp");
}

#[test]
fn a_wrong_token_is_a_clear_error() {
    let server = serve("flex,flex", "right");
    let url = format!("ws://127.0.0.1:{}/0", server.port);
    let error = url
        .parse::<DeviceList>()
        .unwrap()
        .open(false, Some("wrong"))
        .unwrap_err()
        .to_string();
    eprintln!("wrong token: {error}");
    assert!(
        error.contains(&format!(
            "cannot reach the devices served at ws://127.0.0.1:{}",
            server.port
        )),
        "{error}"
    );

    // Nothing listening: the same error, not a hang.
    drop(server);
    let started = Instant::now();
    let error = url
        .parse::<DeviceList>()
        .unwrap()
        .open(false, None)
        .unwrap_err()
        .to_string();
    eprintln!("no server, after {:?}: {error}", started.elapsed());
    assert!(error.contains("Is `app serve-device` running"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(30));
}
