//! Downloads, against a server on 127.0.0.1 that serves the shared data files.

mod common;

use std::sync::atomic::Ordering;

use aprende::data::download::{partial_files, sha256_file};
use aprende::data::{DataDir, DataError, DatasetName, DownloadOptions, load_image_dataset};
use common::serve;

fn options(mirror: String) -> DownloadOptions {
    DownloadOptions {
        mirrors: Some(vec![mirror]),
        offline: false,
        progress: false,
    }
}

#[test]
fn downloads_verifies_and_loads_fashion_mnist() {
    let server = serve(common::data_set("fashion-mnist"), false);
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
    let server = serve(common::data_set("mnist"), true);
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
    let port = common::closed_port();
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
        let raw = aprende::data::idx::read_maybe_gzip(&common::data_set("mnist").join(file.name))
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
