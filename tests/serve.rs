//! `app serve`: every endpoint over real HTTP on a random port, every bad request answered
//! with its status while the server stays up, the same answers as `app predict --json`, a
//! load of 2,000 predictions from 32 clients, a graceful stop, and the pages in a real
//! Chromium driven through its DevTools protocol (MNIST's canvas, a cat photo, the Iris
//! form), with a screenshot of each.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use aprende::app::serve::{ServeOptions, Server, start};
use aprende::data::{ImageSet, ImageSplits};
use aprende::train::{InitFrom, OptimizerSettings, TrainingConfig, TrainingData, fit};
use burn::prelude::Device;

/// Three trained runs in one folder, made once per test binary: an MNIST MLP, an Iris MLP and
/// a cats-vs-dogs classifier on EfficientNet-Lite0's frozen features.
fn runs() -> &'static Path {
    static RUNS: OnceLock<PathBuf> = OnceLock::new();
    RUNS.get_or_init(|| {
        let root = std::env::temp_dir().join(format!("aprende-serve-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let device = Device::flex();
        // MNIST: 12,000 training images, one epoch.
        let m = common::mnist();
        let idx: Vec<usize> = (0..12_000).collect();
        let splits = ImageSplits {
            train: m.train.subset(&idx),
            test: m.test.subset(&(0..1000).collect::<Vec<_>>()),
            skipped: Vec::new(),
            feature_names: Vec::new(),
        };
        train_run(
            &root.join("mnist-mlp"),
            splits,
            "mlp",
            "mnist",
            2,
            &device,
            None,
        );
        // Iris, embedded.
        let iris: aprende::data::DatasetSpec = "iris".parse().unwrap();
        let options = aprende::data::LoadOptions::new(aprende::data::DataDir(root.clone()));
        let splits = iris.load(&options).unwrap();
        train_run(
            &root.join("iris-mlp"),
            splits,
            "mlp",
            "iris",
            60,
            &device,
            None,
        );
        // Cats and dogs at 128x128: 40 photos of each to train on.
        let photos = root.join("photos");
        let shared = common::data_set("cats-vs-dogs");
        for class in ["cats", "dogs"] {
            for (part, n) in [("train", 40), ("test", 10)] {
                let from = shared
                    .join(if part == "train" {
                        "train"
                    } else {
                        "validation"
                    })
                    .join(class);
                let to = photos.join(part).join(class);
                std::fs::create_dir_all(&to).unwrap();
                for entry in aprende::data::folder::sorted_entries(&from)
                    .unwrap()
                    .into_iter()
                    .take(n)
                {
                    std::fs::copy(&entry, to.join(entry.file_name().unwrap())).unwrap();
                }
            }
        }
        let (train, _) =
            aprende::data::folder::load_folder(&photos.join("train"), 128, None).unwrap();
        let (test, _) =
            aprende::data::folder::load_folder(&photos.join("test"), 128, Some(&train.class_names))
                .unwrap();
        let splits = ImageSplits {
            train,
            test,
            skipped: Vec::new(),
            feature_names: Vec::new(),
        };
        let weights = common::shared_weights().join(aprende::data::EFFICIENTNET_LITE0.name);
        train_run(
            &root.join("catsdogs-efficientnet"),
            splits,
            "efficientnet-lite0",
            "cats-vs-dogs",
            8,
            &device,
            Some(weights),
        );
        root
    })
}

fn train_run(
    dir: &Path,
    splits: ImageSplits,
    model: &str,
    dataset: &str,
    epochs: usize,
    device: &Device,
    pretrained: Option<PathBuf>,
) {
    let feature_names = splits.feature_names.clone();
    let options = aprende::models::ModelOptions {
        dropout: 0.0,
        ..common::dense(&[64])
    };
    let data = TrainingData::new(splits, 0.1, 42).unwrap();
    let mut config = TrainingConfig::for_data(
        model,
        options,
        dataset,
        &data.train,
        OptimizerSettings::new(),
    )
    .unwrap()
    .with_epochs(epochs)
    .with_batch_size(32)
    .with_val_split(0.1)
    .with_feature_names(feature_names);
    config = match pretrained {
        Some(weights) => config
            .with_init_from(Some(InitFrom::Pytorch(weights)))
            .normalized_as(
                &aprende::models::registry_find(model)
                    .unwrap()
                    .pretrained
                    .unwrap(),
            ),
        None => config.standardized_on(&data),
    };
    fit(&config, &data, device, &common::quiet(dir, "flex")).unwrap();
}

fn serve(max_upload: usize) -> Server {
    let options = ServeOptions {
        runs_dir: Some(runs().to_path_buf()),
        port: 0,
        max_upload,
        log: false,
        ..ServeOptions::default()
    };
    start(&options, &Device::flex()).unwrap()
}

/// One test at a time: the load test measures this process's memory, which the others'
/// work would move.
fn exclusive() -> std::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    TURN.lock().unwrap_or_else(|p| p.into_inner())
}

/// A server over the three runs, shared by the tests.
fn server() -> SocketAddr {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| serve(1 << 20)).addr
}

/// One HTTP/1.1 exchange, the request line sent as given (no client normalises the path).
struct Reply {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }
}

fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Reply {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(t) = content_type {
        head.push_str(&format!("Content-Type: {t}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    // A server may answer (413) before reading a large body and close: that is fine.
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let header = |name: &str| {
        head.lines()
            .find(|l| l.to_ascii_lowercase().starts_with(&format!("{name}:")))
            .map(|l| l[name.len() + 1..].trim().to_string())
    };
    if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        body = dechunk(&body);
    }
    Reply {
        status,
        content_type: header("content-type").unwrap_or_default(),
        body,
    }
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let end = raw.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(String::from_utf8_lossy(&raw[..end]).trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&raw[end + 2..end + 2 + size]);
        raw = &raw[end + 4 + size..];
    }
}

fn png(set: &ImageSet, index: usize) -> Vec<u8> {
    let pixels = set.image(index).unwrap().to_vec();
    let img = image::GrayImage::from_raw(set.width as u32, set.height as u32, pixels).unwrap();
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn multipart(files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "aprende-test-boundary-7f3a";
    let mut body = Vec::new();
    for (name, bytes) in files {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[test]
fn every_endpoint_answers() {
    let _turn = exclusive();
    let addr = server();
    let health = http(addr, "GET", "/healthz", None, b"");
    assert_eq!(
        (health.status, health.json()["status"].as_str()),
        (200, Some("ok"))
    );

    let list = http(addr, "GET", "/api/runs", None, b"").json();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["catsdogs-efficientnet", "iris-mlp", "mnist-mlp"]);
    let kinds: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["page"]["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["photo", "table", "drawing"]);
    assert_eq!(list[1]["page"]["features"][0], "sepal_length");

    let index = http(addr, "GET", "/", None, b"");
    assert_eq!(index.status, 200);
    assert!(index.content_type.starts_with("text/html"));
    for name in &names {
        assert!(
            index.text().contains(&format!("href=\"/runs/{name}\"")),
            "{name}"
        );
    }
    for (name, marker) in [
        ("mnist-mlp", "<canvas id=\"pad\""),
        ("catsdogs-efficientnet", "id=\"drop\""),
        ("iris-mlp", "<label for=\"f0\">sepal_length</label>"),
    ] {
        let page = http(addr, "GET", &format!("/runs/{name}"), None, b"");
        assert_eq!(page.status, 200);
        assert!(page.text().contains(marker), "{name}: {}", page.text());
        let report = http(addr, "GET", &format!("/runs/{name}/report"), None, b"");
        assert_eq!(report.status, 200);
        assert!(
            report.text().contains("<table>")
                && report
                    .text()
                    .contains(&format!("src=\"/runs/{name}/curves.png\""))
        );
        let curves = http(addr, "GET", &format!("/runs/{name}/curves.png"), None, b"");
        assert_eq!(
            (curves.status, curves.content_type.as_str()),
            (200, "image/png")
        );
        assert!(curves.body.starts_with(b"\x89PNG"));
    }
    for asset in ["/assets/style.css", "/assets/run.js"] {
        assert_eq!(http(addr, "GET", asset, None, b"").status, 200, "{asset}");
    }
}

/// The same classes in the same order, with probabilities equal to 1e-5 (a batch of one and a
/// batch of three may round differently).
fn same_top(got: &serde_json::Value, want: &serde_json::Value) {
    let (got, want) = (got.as_array().unwrap(), want.as_array().unwrap());
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g["class"], w["class"]);
        let (g, w) = (
            g["probability"].as_f64().unwrap(),
            w["probability"].as_f64().unwrap(),
        );
        assert!((g - w).abs() < 1e-5, "{g} against {w}");
    }
}

#[test]
fn predictions_are_those_of_app_predict() {
    let _turn = exclusive();
    let addr = server();
    let dir = tempfile::tempdir().unwrap();
    let test = &common::mnist().test;
    let mut files = Vec::new();
    for i in 0..3 {
        let path = dir.path().join(format!("digit{i}.png"));
        std::fs::write(&path, png(test, i)).unwrap();
        files.push(path);
    }
    let cli =
        aprende::app::predict_files(&runs().join("mnist-mlp"), &files, 3, &Device::flex()).unwrap();
    // One image as the body.
    let one = http(
        addr,
        "POST",
        "/api/runs/mnist-mlp/predict",
        Some("image/png"),
        &std::fs::read(&files[0]).unwrap(),
    );
    assert_eq!(one.status, 200, "{}", one.text());
    same_top(
        &one.json()["predictions"][0]["top"],
        &serde_json::to_value(&cli.predictions[0].top).unwrap(),
    );
    // Three as multipart files.
    let bytes: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    let (ctype, body) = multipart(&[
        ("a.png", &bytes[0]),
        ("b.png", &bytes[1]),
        ("c.png", &bytes[2]),
    ]);
    let many = http(
        addr,
        "POST",
        "/api/runs/mnist-mlp/predict",
        Some(&ctype),
        &body,
    )
    .json();
    let many = many["predictions"].as_array().unwrap();
    assert_eq!(many.len(), 3);
    for (got, want) in many.iter().zip(&cli.predictions) {
        same_top(&got["top"], &serde_json::to_value(&want.top).unwrap());
    }
    assert_eq!(many[1]["path"], "b.png");
    // Rows, as `app predict --values`.
    let rows = http(
        addr,
        "POST",
        "/api/runs/iris-mlp/predict?top=1",
        Some("application/json"),
        br#"{"rows": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}"#,
    );
    assert_eq!(rows.status, 200, "{}", rows.text());
    let run = aprende::train::LoadedRun::load(&runs().join("iris-mlp"), &Device::flex()).unwrap();
    let want = aprende::app::predict_run_rows(
        &run,
        &[vec![5.1, 3.5, 1.4, 0.2], vec![6.7, 3.0, 5.2, 2.3]],
        1,
        &Device::flex(),
    )
    .unwrap();
    for (got, want) in rows.json()["predictions"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&want)
    {
        assert_eq!(got["values"], serde_json::to_value(&want.values).unwrap());
        same_top(&got["top"], &serde_json::to_value(&want.top).unwrap());
    }
    assert_eq!(rows.json()["predictions"][0]["top"][0]["class"], "setosa");
}

/// A PNG whose header says `side` x `side` pixels, with almost no data.
fn bomb(side: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(data);
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

#[test]
fn bad_requests_get_their_status_and_the_server_stays_up() {
    let _turn = exclusive();
    let addr = server();
    let post = |path: &str, ctype: Option<&str>, body: &[u8]| http(addr, "POST", path, ctype, body);
    let error = |r: &Reply| r.json()["error"].as_str().unwrap_or_default().to_string();

    let r = post(
        "/api/runs/mnist-mlp/predict",
        Some("image/png"),
        b"this is not a picture",
    );
    assert_eq!(r.status, 400);
    assert!(
        error(&r).contains("not an image") || error(&r).contains("decodable"),
        "{}",
        error(&r)
    );

    let (ctype, body) = multipart(&[("notes.txt", b"plain text")]);
    let r = post("/api/runs/mnist-mlp/predict", Some(&ctype), &body);
    assert_eq!(r.status, 400);
    assert!(error(&r).contains("notes.txt"), "{}", error(&r));

    let started = Instant::now();
    let r = post(
        "/api/runs/mnist-mlp/predict",
        Some("image/png"),
        &bomb(100_000),
    );
    assert_eq!(r.status, 400);
    assert!(error(&r).contains("too large"), "{}", error(&r));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the bomb was not refused at once"
    );

    let r = post(
        "/api/runs/mnist-mlp/predict",
        Some("image/png"),
        &vec![0u8; 2 << 20],
    );
    assert_eq!(r.status, 413, "{}", r.text());

    let r = post(
        "/api/runs/iris-mlp/predict",
        Some("application/json"),
        b"{\"rows\": [[1, 2",
    );
    assert_eq!(r.status, 400);
    assert!(error(&r).contains("rows"), "{}", error(&r));
    let r = post(
        "/api/runs/iris-mlp/predict",
        Some("application/json"),
        br#"{"rows": [[1, 2, 3]]}"#,
    );
    assert_eq!(r.status, 400);
    assert!(
        error(&r).contains("3 values") && error(&r).contains("takes 4"),
        "{}",
        error(&r)
    );
    let r = post(
        "/api/runs/iris-mlp/predict",
        Some("image/png"),
        &png(&common::mnist().test, 0),
    );
    assert_eq!(r.status, 400);
    assert!(error(&r).contains("rows"), "{}", error(&r));

    let r = post("/api/runs/no-such-run/predict", Some("image/png"), b"x");
    assert_eq!(r.status, 404);
    assert!(error(&r).contains("no-such-run"));
    assert_eq!(
        http(addr, "GET", "/runs/no-such-run", None, b"").status,
        404
    );

    // Nothing outside a run's own folder, nothing but its listed files.
    for path in [
        "/runs/mnist-mlp/../../etc/passwd",
        "/runs/mnist-mlp/..%2F..%2F..%2Fetc%2Fpasswd",
        "/runs/mnist-mlp/%2E%2E",
        "/runs/mnist-mlp/config.json/..",
        "/runs/mnist-mlp/model.bpk",
        "/runs/mnist-mlp/checkpoint",
        "/assets/../Cargo.toml",
    ] {
        let r = http(addr, "GET", path, None, b"");
        assert_eq!(r.status, 404, "{path}: {}", r.text());
        assert!(!r.text().contains("root:"), "{path}");
    }
    assert_eq!(http(addr, "GET", "/healthz", None, b"").status, 200);
}

/// Resident memory of this process, in KiB.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

#[test]
fn two_thousand_predictions_from_32_clients() {
    let _turn = exclusive();
    let addr = server();
    let test = &common::mnist().test;
    let images: Vec<Vec<u8>> = (0..16).map(|i| png(test, i)).collect();
    let want: Vec<serde_json::Value> = images
        .iter()
        .map(|img| {
            http(
                addr,
                "POST",
                "/api/runs/mnist-mlp/predict",
                Some("image/png"),
                img,
            )
            .json()["predictions"][0]["top"]
                .clone()
        })
        .collect();
    let load = || -> (usize, f64) {
        let started = Instant::now();
        let failures = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..32)
                .map(|client| {
                    let (images, want) = (&images, &want);
                    scope.spawn(move || {
                        let mut failed = 0;
                        for k in 0..2000 / 32 + usize::from(client < 2000 % 32) {
                            let i = (client * 7 + k) % images.len();
                            let r = http(
                                addr,
                                "POST",
                                "/api/runs/mnist-mlp/predict",
                                Some("image/png"),
                                &images[i],
                            );
                            if r.status != 200 || r.json()["predictions"][0]["top"] != want[i] {
                                failed += 1;
                            }
                        }
                        failed
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).sum()
        });
        (failures, started.elapsed().as_secs_f64())
    };
    // The first round warms the server's threads and their allocator arenas; the second is
    // measured: a leak would show as memory growing with the requests.
    let (warm_failures, _) = load();
    assert_eq!(warm_failures, 0);
    let before = rss_kib();
    let (failures, seconds) = load();
    let after = rss_kib();
    eprintln!(
        "2000 predictions from 32 clients in {seconds:.1} s ({:.0}/s); RSS {before} -> {after} KiB",
        2000.0 / seconds
    );
    assert_eq!(failures, 0);
    assert!(seconds < 300.0, "bounded in time");
    assert!(
        after < before + 16 * 1024,
        "memory grew from {before} to {after} KiB"
    );
}

#[test]
fn stopping_lets_the_request_in_flight_finish() {
    let _turn = exclusive();
    let server = serve(64 << 20);
    let addr = server.addr;
    let test = &common::mnist().test;
    let images: Vec<Vec<u8>> = (0..120).map(|i| png(test, i)).collect();
    let files: Vec<(String, &[u8])> = images
        .iter()
        .enumerate()
        .map(|(i, b)| (format!("{i}.png"), b.as_slice()))
        .collect();
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), *b)).collect();
    let (ctype, body) = multipart(&refs);
    let in_flight = std::thread::spawn(move || {
        http(
            addr,
            "POST",
            "/api/runs/catsdogs-efficientnet/predict",
            Some(&ctype),
            &body,
        )
    });
    std::thread::sleep(Duration::from_millis(500));
    server.stop().unwrap();
    let reply = in_flight.join().unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["predictions"].as_array().unwrap().len(), 120);
    assert!(
        TcpStream::connect(addr).is_err(),
        "still listening after the stop"
    );
}

// ---- A real browser ---------------------------------------------------------------------

/// Chromium driven over its DevTools protocol.
struct Browser {
    child: std::process::Child,
    socket: tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<TcpStream>>,
    next: u64,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| {
            std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                .map(move |d| d.join(name))
                .collect::<Vec<_>>()
        })
        .find(|p| p.is_file())
}

impl Browser {
    fn launch() -> Option<Browser> {
        let Some(binary) = chromium() else {
            if std::env::var("APRENDE_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
                panic!(
                    "APRENDE_REQUIRE_BROWSER=1 but no chromium is on the PATH (Debian: apt install chromium)"
                );
            }
            eprintln!(
                "skipping the browser test: no chromium on the PATH (Debian: apt install chromium)"
            );
            return None;
        };
        let profile = tempfile::tempdir().unwrap();
        let child = std::process::Command::new(binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1000,1400",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("chromium starts");
        let port_file = profile.path().join("DevToolsActivePort");
        let started = Instant::now();
        let port: u16 = loop {
            if let Ok(text) = std::fs::read_to_string(&port_file)
                && let Some(port) = text.lines().next().and_then(|l| l.trim().parse().ok())
            {
                break port;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "chromium did not open its DevTools port"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        let list = http(
            SocketAddr::from(([127, 0, 0, 1], port)),
            "GET",
            "/json/list",
            None,
            b"",
        )
        .json();
        let page = list
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["type"] == "page")
            .expect("a page target");
        let url = page["webSocketDebuggerUrl"].as_str().unwrap().to_string();
        let (socket, _) = tungstenite::connect(url).expect("the DevTools websocket");
        let mut browser = Browser {
            child,
            socket,
            next: 0,
            _profile: profile,
        };
        browser.call("Page.enable", serde_json::json!({}));
        Some(browser)
    }

    /// Sends a command and returns its result (events in between are skipped).
    fn call(&mut self, method: &str, params: serde_json::Value) -> serde_json::Value {
        self.next += 1;
        let id = self.next;
        let message = serde_json::json!({ "id": id, "method": method, "params": params });
        self.socket
            .send(tungstenite::Message::text(message.to_string()))
            .unwrap();
        loop {
            let reply = self.socket.read().unwrap();
            let Ok(text) = reply.to_text() else { continue };
            let value: serde_json::Value = serde_json::from_str(text).unwrap();
            if value["id"] == id {
                assert!(value.get("error").is_none(), "{method}: {value}");
                return value["result"].clone();
            }
        }
    }

    fn eval(&mut self, expression: &str) -> serde_json::Value {
        let result = self.call(
            "Runtime.evaluate",
            serde_json::json!({ "expression": expression, "awaitPromise": true, "returnByValue": true }),
        );
        assert!(
            result.get("exceptionDetails").is_none(),
            "{expression}: {result}"
        );
        result["result"]["value"].clone()
    }

    fn open(&mut self, url: &str) {
        self.call("Page.navigate", serde_json::json!({ "url": url }));
        self.wait_for("document.readyState === 'complete' && !!document.getElementById('answer')");
    }

    fn wait_for(&mut self, condition: &str) {
        let started = Instant::now();
        while self.eval(&format!("Boolean({condition})")) != serde_json::Value::Bool(true) {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "timed out waiting for {condition}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The answer the page shows, once it has one.
    fn answer(&mut self) -> String {
        self.wait_for(
            "['done', 'error'].includes(document.getElementById('answer').dataset.state)",
        );
        assert_eq!(
            self.eval("document.getElementById('answer').dataset.state"),
            "done",
            "{}",
            self.eval("document.getElementById('answer').textContent")
        );
        self.eval("document.getElementById('answer').dataset.answer")
            .as_str()
            .unwrap()
            .to_string()
    }

    fn screenshot(&mut self, path: &Path) {
        let shot = self.call(
            "Page.captureScreenshot",
            serde_json::json!({ "format": "png", "captureBeyondViewport": true }),
        );
        std::fs::write(path, base64(shot["data"].as_str().unwrap())).unwrap();
    }
}

fn base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let clean: Vec<u8> = text
        .bytes()
        .filter(|c| *c != b'=' && !c.is_ascii_whitespace())
        .collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let v: Vec<u32> = chunk.iter().map(|&c| u32::from(value(c))).collect();
        let n = v.iter().fold(0u32, |acc, &x| (acc << 6) | x) << (6 * (4 - v.len()));
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..v.len()]);
    }
    out
}

/// Where the screenshots go: `target/serve-screenshots/`.
fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("serve-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_pages_work_in_chromium() {
    let _turn = exclusive();
    let addr = server();
    let Some(mut browser) = Browser::launch() else {
        return;
    };
    let base = format!("http://{addr}");
    let shots = screenshots();

    // MNIST: a test digit the model gets right, painted onto the canvas.
    let test = &common::mnist().test;
    let digit = (0..200)
        .find(|&i| {
            let r = http(
                addr,
                "POST",
                "/api/runs/mnist-mlp/predict",
                Some("image/png"),
                &png(test, i),
            )
            .json();
            let top = &r["predictions"][0]["top"][0];
            top["class"].as_str() == Some(test.labels[i].to_string().as_str())
                && top["probability"].as_f64().unwrap() > 0.9
        })
        .expect("a digit the model is sure of");
    let pixels: Vec<u8> = test.image(digit).unwrap().to_vec();
    browser.open(&format!("{base}/runs/mnist-mlp"));
    browser.eval(&format!(
        "(() => {{ const px = {pixels:?}; const pad = document.getElementById('pad'); const ctx = pad.getContext('2d');\
          const img = ctx.createImageData(280, 280);\
          for (let y = 0; y < 280; y++) for (let x = 0; x < 280; x++) {{ const v = px[Math.floor(y / 10) * 28 + Math.floor(x / 10)]; const o = 4 * (y * 280 + x); img.data[o] = img.data[o + 1] = img.data[o + 2] = v; img.data[o + 3] = 255; }}\
          ctx.putImageData(img, 0, 0); document.getElementById('predict').click(); return true; }})()"
    ));
    assert_eq!(
        browser.answer(),
        test.labels[digit].to_string(),
        "MNIST test digit {digit}"
    );
    browser.screenshot(&shots.join("mnist.png"));

    // A stroke drawn with the mouse gets an answer too.
    browser.eval("document.getElementById('clear').click()");
    let rect = browser.eval("(() => { const r = document.getElementById('pad').getBoundingClientRect(); return [r.left, r.top]; })()");
    let (left, top) = (rect[0].as_f64().unwrap(), rect[1].as_f64().unwrap());
    let mouse = |browser: &mut Browser, kind: &str, x: f64, y: f64| {
        browser.call("Input.dispatchMouseEvent", serde_json::json!({ "type": kind, "x": left + x, "y": top + y, "button": "left", "buttons": 1, "clickCount": 1 }));
    };
    mouse(&mut browser, "mousePressed", 140.0, 40.0);
    for k in 0..=20 {
        mouse(&mut browser, "mouseMoved", 140.0, 40.0 + 10.0 * k as f64);
    }
    mouse(&mut browser, "mouseReleased", 140.0, 240.0);
    let drawn = browser.answer();
    // A vertical stroke is a 1.
    assert_eq!(drawn, "1");
    browser.screenshot(&shots.join("mnist-drawn.png"));

    // Cats and dogs: a cat photo the model gets right, picked in the file input.
    let cats = runs().join("photos/test/cats");
    let cat = aprende::data::folder::sorted_entries(&cats)
        .unwrap()
        .into_iter()
        .find(|p| {
            let r = http(
                addr,
                "POST",
                "/api/runs/catsdogs-efficientnet/predict",
                Some("image/jpeg"),
                &std::fs::read(p).unwrap(),
            )
            .json();
            r["predictions"][0]["top"][0]["class"] == "cats"
        })
        .expect("a cat photo the model gets right");
    browser.open(&format!("{base}/runs/catsdogs-efficientnet"));
    let document = browser.call("DOM.getDocument", serde_json::json!({}));
    let input = browser.call(
        "DOM.querySelector",
        serde_json::json!({ "nodeId": document["root"]["nodeId"], "selector": "#file" }),
    );
    browser.call(
        "DOM.setFileInputFiles",
        serde_json::json!({ "nodeId": input["nodeId"], "files": [cat.display().to_string()] }),
    );
    assert_eq!(browser.answer(), "cats", "{}", cat.display());
    browser.wait_for("document.getElementById('preview').complete");
    browser.screenshot(&shots.join("cats-vs-dogs.png"));

    // Iris: the form.
    browser.open(&format!("{base}/runs/iris-mlp"));
    browser.eval("(() => { [5.1, 3.5, 1.4, 0.2].forEach((v, i) => document.getElementById('f' + i).value = v); document.getElementById('row').requestSubmit(); return true; })()");
    assert_eq!(browser.answer(), "setosa");
    browser.screenshot(&shots.join("iris.png"));

    // The index and a report.
    browser.call(
        "Page.navigate",
        serde_json::json!({ "url": format!("{base}/") }),
    );
    browser.wait_for("document.readyState === 'complete'");
    browser.screenshot(&shots.join("index.png"));
    browser.call(
        "Page.navigate",
        serde_json::json!({ "url": format!("{base}/runs/mnist-mlp/report") }),
    );
    browser.wait_for("document.readyState === 'complete' && [...document.images].every(i => i.complete && i.naturalWidth > 0)");
    browser.screenshot(&shots.join("mnist-report.png"));
    eprintln!("screenshots in {}", shots.display());
}
