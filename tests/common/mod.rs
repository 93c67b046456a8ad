//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread;

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

/// `../shared/weights` beside the project (or `$APRENDE_SHARED_WEIGHTS`), the sibling of the
/// shared data folder: the real, checksummed pretrained weights.
pub fn shared_weights() -> PathBuf {
    let dir = std::env::var_os("APRENDE_SHARED_WEIGHTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            shared_data()
                .parent()
                .map(|p| p.join("weights"))
                .unwrap_or_else(|| PathBuf::from("weights"))
        });
    assert!(
        dir.join(aprende::data::EFFICIENTNET_LITE0.name).is_file(),
        "the pretrained weights are expected in {} (set APRENDE_SHARED_WEIGHTS to their folder)",
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

/// Fit options that resume the run in `dir` (`train --resume`), showing no progress.
pub fn resuming(dir: &Path) -> FitOptions {
    FitOptions {
        resume: true,
        ..quiet(dir, "flex")
    }
}

/// Fit options for a run in `dir` whose interrupter stops it once `file` (relative to `dir`)
/// exists, as a user's Ctrl-C would.
pub fn stopped_once_written(dir: &Path, file: &str) -> FitOptions {
    let interrupter = aprende::burn::train::Interrupter::new();
    let path = dir.join(file);
    let stop = interrupter.clone();
    std::thread::spawn(move || {
        while !path.is_file() {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        stop.stop(Some("test"));
    });
    FitOptions {
        interrupter: Some(interrupter),
        ..quiet(dir, "flex")
    }
}

/// A tiny HTTP server over `root`. When `corrupt` is set, it flips a byte of every file it
/// sends. It counts requests and stops with the test process.
pub struct Server {
    /// `http://127.0.0.1:PORT/`.
    pub base: String,
    /// How many connections it has accepted.
    pub requests: Arc<AtomicUsize>,
}

pub fn serve(root: PathBuf, corrupt: bool) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            counter.fetch_add(1, Ordering::SeqCst);
            let root = root.clone();
            thread::spawn(move || respond(stream, &root, corrupt));
        }
    });
    Server { base, requests }
}

fn respond(mut stream: TcpStream, root: &Path, corrupt: bool) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    reader.read_line(&mut request_line).unwrap();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
            break;
        }
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let file = root.join(path.trim_start_matches('/'));
    match std::fs::read(&file) {
        Ok(mut body) => {
            if corrupt {
                let mid = body.len() / 2;
                body[mid] ^= 0x01;
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
        Err(_) => {
            let _ = stream.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    }
}

/// A port on 127.0.0.1 that nothing listens on (a listener bound, then dropped).
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
