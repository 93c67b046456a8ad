//! The IDX reader: real files, and every kind of bad file.

mod common;

use std::io::Write;
use std::path::Path;

use aprende::data::DataError;
use aprende::data::idx::{encode_images, encode_labels, read_images, read_labels, read_pair};
use flate2::Compression;
use flate2::write::GzEncoder;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn fixture() -> (Vec<u8>, Vec<u8>) {
    let pixels: Vec<u8> = (0..3 * 4 * 5).map(|i| i as u8).collect();
    (encode_images(3, 4, 5, &pixels), encode_labels(&[1, 0, 2]))
}

fn err_text(e: DataError) -> String {
    e.to_string()
}

#[test]
fn reads_raw_and_gzip_files_alike() {
    let dir = tempfile::tempdir().unwrap();
    let (images, labels) = fixture();
    let raw = write(dir.path(), "img", &images);
    let gz = write(dir.path(), "img.gz", &gzip(&images));
    let a = read_images(&raw).unwrap();
    let b = read_images(&gz).unwrap();
    assert_eq!(a, b);
    assert_eq!((a.count, a.rows, a.cols), (3, 4, 5));
    assert_eq!(a.pixels[59], 59);
    let l = write(dir.path(), "lab.gz", &gzip(&labels));
    assert_eq!(read_labels(&l).unwrap(), vec![1, 0, 2]);
}

#[test]
fn wrong_magic_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (images, labels) = fixture();
    // A label file where images are expected.
    let path = write(dir.path(), "swapped-images", &labels);
    let msg = err_text(read_images(&path).unwrap_err());
    assert!(msg.contains("swapped-images"), "{msg}");
    assert!(msg.contains("wrong magic number 2049"), "{msg}");
    assert!(msg.contains("label file"), "{msg}");
    // Garbage.
    let mut junk = images.clone();
    junk[3] = 0x42;
    let path = write(dir.path(), "junk", &junk);
    let msg = err_text(read_images(&path).unwrap_err());
    assert!(
        msg.contains("junk") && msg.contains("wrong magic number"),
        "{msg}"
    );
}

#[test]
fn truncated_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (images, labels) = fixture();
    let path = write(dir.path(), "short-images", &images[..images.len() - 7]);
    let msg = err_text(read_images(&path).unwrap_err());
    assert!(
        msg.contains("short-images") && msg.contains("truncated"),
        "{msg}"
    );
    assert!(msg.contains("53 bytes follow"), "{msg}");
    let path = write(dir.path(), "tiny", &labels[..5]);
    let msg = err_text(read_labels(&path).unwrap_err());
    assert!(msg.contains("tiny") && msg.contains("truncated"), "{msg}");
    // Truncated inside the gzip stream.
    let gz = gzip(&images);
    let path = write(dir.path(), "cut.gz", &gz[..gz.len() / 2]);
    let msg = err_text(read_images(&path).unwrap_err());
    assert!(msg.contains("cut.gz") && msg.contains("gzip"), "{msg}");
}

#[test]
fn trailing_bytes_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut labels) = fixture();
    labels.push(9);
    let path = write(dir.path(), "long", &labels);
    let msg = err_text(read_labels(&path).unwrap_err());
    assert!(msg.contains("1 unexpected trailing bytes"), "{msg}");
}

#[test]
fn corrupt_gzip_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (images, _) = fixture();
    let mut gz = gzip(&images);
    let mid = gz.len() / 2;
    for b in &mut gz[mid..mid + 8] {
        *b ^= 0xff;
    }
    let path = write(dir.path(), "corrupt.gz", &gz);
    let msg = err_text(read_images(&path).unwrap_err());
    assert!(
        msg.contains("corrupt.gz") && msg.contains("corrupt gzip"),
        "{msg}"
    );
}

#[test]
fn image_and_label_counts_must_agree() {
    let dir = tempfile::tempdir().unwrap();
    let (images, _) = fixture();
    let imgs = write(dir.path(), "imgs", &images);
    let labs = write(dir.path(), "labs", &encode_labels(&[0, 1]));
    let msg = err_text(read_pair(&imgs, &labs, 10).unwrap_err());
    assert!(msg.contains("imgs") && msg.contains("labs"), "{msg}");
    assert!(msg.contains("3 images but 2 labels"), "{msg}");
    let labs = write(dir.path(), "labs2", &encode_labels(&[0, 1, 12]));
    let msg = err_text(read_pair(&imgs, &labs, 10).unwrap_err());
    assert!(msg.contains("label 12 at index 2"), "{msg}");
}

#[test]
fn missing_file_is_an_error_naming_it() {
    let msg = err_text(read_images(Path::new("/nonexistent/train-images")).unwrap_err());
    assert!(msg.contains("/nonexistent/train-images"), "{msg}");
}

#[test]
fn reads_the_real_mnist() {
    let mnist = common::mnist();
    assert_eq!(mnist.train.len(), 60_000);
    assert_eq!(mnist.test.len(), 10_000);
    assert_eq!(
        (mnist.train.height, mnist.train.width, mnist.train.channels),
        (28, 28, 1)
    );
    // The first training digit of MNIST is a 5, the first test digit a 7.
    assert_eq!(mnist.train.labels[0], 5);
    assert_eq!(mnist.test.labels[0], 7);
    assert_eq!(mnist.train.class_counts().iter().sum::<usize>(), 60_000);
    assert_eq!(mnist.train.class_counts()[1], 6742);
}
