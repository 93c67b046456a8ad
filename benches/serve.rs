//! `app serve` under load, over real HTTP on 127.0.0.1: the time from start to the first
//! answer, then requests per second and the p50/p99 latency of single-image predictions from
//! 32 concurrent clients, for each run given (default: an MNIST MLP and LeNet trained here
//! for one epoch on 12,000 images, which is enough to time them).
//!
//! Run: `cargo bench --bench serve` (needs ../shared), or
//! `APRENDE_BENCH_RUNS=artifacts/mnist-mlp,artifacts/mnist-lenet cargo bench --bench serve`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use aprende::app::serve::{ServeOptions, start};
use aprende::burn::prelude::Device;
use aprende::data::{DataDir, DatasetName, DownloadOptions, ImageSplits, load_image_dataset};
use aprende::train::{OptimizerSettings, ProgressMode, TrainingConfig, TrainingData, fit};

const CLIENTS: usize = 32;
const REQUESTS: usize = 3200;

fn shared_data() -> PathBuf {
    std::env::var_os("APRENDE_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"))
}

fn post(addr: SocketAddr, path: &str, body: &[u8]) -> u16 {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: image/png\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    String::from_utf8_lossy(&raw[..12.min(raw.len())])
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn mnist_png(index: usize, splits: &ImageSplits) -> Vec<u8> {
    let t = &splits.test;
    let img = image::GrayImage::from_raw(28, 28, t.image(index).unwrap().to_vec()).unwrap();
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn train_runs(splits: &ImageSplits, root: &std::path::Path) -> Vec<PathBuf> {
    let device = Device::flex();
    ["mlp", "lenet"]
        .iter()
        .map(|model| {
            let dir = root.join(format!("mnist-{model}"));
            let train = ImageSplits {
                train: splits.train.subset(&(0..12_000).collect::<Vec<_>>()),
                test: splits.test.subset(&(0..500).collect::<Vec<_>>()),
                skipped: Vec::new(),
                feature_names: Vec::new(),
            };
            let data = TrainingData::new(train, 0.1, 42).unwrap();
            let entry = aprende::models::registry_find(model).unwrap();
            let options = aprende::models::ModelOptions {
                hidden: entry.recipe.hidden.to_vec(),
                dropout: entry.recipe.dropout,
                ..Default::default()
            };
            let config = TrainingConfig::for_data(
                model,
                options,
                "mnist",
                &data.train,
                OptimizerSettings::new(),
            )
            .unwrap()
            .with_epochs(1)
            .standardized_on(&data);
            let fit_options = aprende::train::FitOptions {
                progress: ProgressMode::Quiet,
                ..aprende::train::FitOptions::new(&dir, "flex")
            };
            fit(&config, &data, &device, &fit_options).unwrap();
            dir
        })
        .collect()
}

fn main() {
    let options = DownloadOptions {
        offline: true,
        ..Default::default()
    };
    let splits = load_image_dataset(DatasetName::Mnist, &DataDir(shared_data()), &options)
        .expect("MNIST in ../shared/data");
    let scratch = std::env::temp_dir().join(format!("aprende-bench-serve-{}", std::process::id()));
    let runs: Vec<PathBuf> = match std::env::var("APRENDE_BENCH_RUNS") {
        Ok(list) => list.split(',').map(PathBuf::from).collect(),
        Err(_) => train_runs(&splits, &scratch),
    };
    let images: Vec<Vec<u8>> = (0..64).map(|i| mnist_png(i, &splits)).collect();
    for run in runs {
        let started = Instant::now();
        let server = start(
            &ServeOptions {
                runs: vec![run.clone()],
                port: 0,
                log: false,
                ..ServeOptions::default()
            },
            &Device::flex(),
        )
        .unwrap();
        let path = format!("/api/runs/{}/predict", server.names[0]);
        assert_eq!(post(server.addr, &path, &images[0]), 200);
        let first = started.elapsed();
        let t0 = Instant::now();
        let mut latencies: Vec<f64> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..CLIENTS)
                .map(|c| {
                    let (path, images, addr) = (&path, &images, server.addr);
                    scope.spawn(move || {
                        (0..REQUESTS / CLIENTS)
                            .map(|k| {
                                let t = Instant::now();
                                assert_eq!(
                                    post(addr, path, &images[(c * 5 + k) % images.len()]),
                                    200
                                );
                                t.elapsed().as_secs_f64() * 1000.0
                            })
                            .collect::<Vec<f64>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap())
                .collect()
        });
        let seconds = t0.elapsed().as_secs_f64();
        latencies.sort_by(f64::total_cmp);
        let p = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
        println!(
            "{}: first answer {:.1} ms after start; {} requests from {CLIENTS} clients: {:.0} requests/s, p50 {:.1} ms, p99 {:.1} ms",
            run.display(),
            first.as_secs_f64() * 1000.0,
            latencies.len(),
            latencies.len() as f64 / seconds,
            p(0.50),
            p(0.99)
        );
        server.stop().unwrap();
    }
    let _ = std::fs::remove_dir_all(scratch);
}
