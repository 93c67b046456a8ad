//! Downloads, against a server on 127.0.0.1 that serves the shared data files.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use aprende::data::download::{partial_files, sha256_file};
use aprende::data::{DataDir, DataError, DatasetName, DownloadOptions, load_image_dataset};

/// A tiny HTTP server over `root`. When `corrupt` is set, it flips a byte of every file it
/// sends. It counts requests and stops with the test process.
struct Server {
    base: String,
    requests: Arc<AtomicUsize>,
}

fn serve(root: PathBuf, corrupt: bool) -> Server {
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

fn options(mirror: String) -> DownloadOptions {
    DownloadOptions {
        mirrors: Some(vec![mirror]),
        offline: false,
        progress: false,
    }
}

#[test]
fn downloads_verifies_and_loads_fashion_mnist() {
    let server = serve(common::shared_data().join("fashion-mnist"), false);
    let data = tempfile::tempdir().unwrap();
    let splits = load_image_dataset(
        DatasetName::FashionMnist,
        &DataDir(data.path().to_path_buf()),
        &options(server.base.clone()),
    )
    .unwrap();
    assert_eq!(splits.train.len(), 60_000);
    assert_eq!(splits.test.len(), 10_000);
    assert_eq!(splits.train.class_names[7], "Sneaker");
    let dir = data.path().join("fashion-mnist");
    for file in DatasetName::FashionMnist.files() {
        assert_eq!(sha256_file(&dir.join(file.name)).unwrap(), file.sha256);
    }
    assert!(partial_files(&dir).is_empty());
    assert_eq!(server.requests.load(Ordering::SeqCst), 4);
    // Everything is there now: a second load makes no request.
    load_image_dataset(
        DatasetName::FashionMnist,
        &DataDir(data.path().to_path_buf()),
        &options(server.base.clone()),
    )
    .unwrap();
    assert_eq!(server.requests.load(Ordering::SeqCst), 4);
}

#[test]
fn a_corrupted_download_is_a_checksum_error_and_leaves_nothing() {
    let server = serve(common::shared_data().join("mnist"), true);
    let data = tempfile::tempdir().unwrap();
    let err = load_image_dataset(
        DatasetName::Mnist,
        &DataDir(data.path().to_path_buf()),
        &options(server.base.clone()),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, DataError::Missing { .. }), "{msg}");
    assert!(msg.contains("sha256 mismatch"), "{msg}");
    assert!(msg.contains("train-images-idx3-ubyte.gz"), "{msg}");
    let dir = data.path().join("mnist");
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    assert!(left.is_empty(), "files left behind: {left:?}");
}

#[test]
fn an_unreachable_mirror_is_a_clear_error() {
    // Bind then drop a listener: nothing listens on that port any more.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let data = tempfile::tempdir().unwrap();
    let err = load_image_dataset(
        DatasetName::Mnist,
        &DataDir(data.path().to_path_buf()),
        &options(format!("http://127.0.0.1:{port}/mnist/")),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(&format!("127.0.0.1:{port}")), "{msg}");
    assert!(msg.contains("t10k-labels-idx1-ubyte.gz"), "{msg}");
    assert!(msg.contains("Put these files"), "{msg}");
}

#[test]
fn offline_with_no_files_says_which_files_to_put_where() {
    let data = tempfile::tempdir().unwrap();
    let err = load_image_dataset(
        DatasetName::Mnist,
        &DataDir(data.path().to_path_buf()),
        &DownloadOptions {
            offline: true,
            ..Default::default()
        },
    )
    .unwrap_err();
    let msg = err.to_string();
    let dir = data.path().join("mnist");
    assert!(msg.contains(&dir.display().to_string()), "{msg}");
    for file in DatasetName::Mnist.files() {
        assert!(msg.contains(file.name), "{msg}");
    }
    assert!(msg.contains("offline"), "{msg}");
}

#[test]
fn uncompressed_files_are_found_too() {
    let data = tempfile::tempdir().unwrap();
    let dir = data.path().join("mnist");
    std::fs::create_dir_all(&dir).unwrap();
    for file in DatasetName::Mnist.files() {
        let raw = aprende::data::idx::read_maybe_gzip(
            &common::shared_data().join("mnist").join(file.name),
        )
        .unwrap();
        std::fs::write(dir.join(file.name.trim_end_matches(".gz")), raw).unwrap();
    }
    let splits = load_image_dataset(
        DatasetName::Mnist,
        &DataDir(data.path().to_path_buf()),
        &DownloadOptions {
            offline: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(splits.test.labels[0], 7);
}
