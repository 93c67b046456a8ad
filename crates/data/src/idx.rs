//! Reader for the IDX files of MNIST and Fashion-MNIST.
//!
//! An IDX file starts with a big-endian magic number (`2051` for images, `2049` for labels),
//! then one big-endian `u32` per dimension, then the `u8` data. Files may be gzip-compressed
//! (detected by content, not by name). Every problem is an error naming the file: a wrong
//! magic number, a truncated file, trailing bytes, a corrupt gzip stream.

use std::fs;
use std::io::Read;
use std::path::Path;

use flate2::read::GzDecoder;

use crate::error::{DataError, Result};

/// Magic number of an IDX file of `u8` images (3 dimensions).
pub const IMAGES_MAGIC: u32 = 2051;
/// Magic number of an IDX file of `u8` labels (1 dimension).
pub const LABELS_MAGIC: u32 = 2049;

/// The images of an IDX image file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxImages {
    /// Number of images.
    pub count: usize,
    /// Rows (height) of each image.
    pub rows: usize,
    /// Columns (width) of each image.
    pub cols: usize,
    /// `count * rows * cols` pixels, row-major, image after image.
    pub pixels: Vec<u8>,
}

/// Reads a file, decompressing it if it is gzip.
pub fn read_maybe_gzip(path: &Path) -> Result<Vec<u8>> {
    let raw = fs::read(path).map_err(|e| DataError::io(path, e))?;
    if raw.len() >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
        let mut out = Vec::with_capacity(raw.len() * 4);
        GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| DataError::idx(path, format!("corrupt gzip data: {e}")))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

fn header(path: &Path, bytes: &[u8], magic: u32, dims: usize, what: &str) -> Result<Vec<usize>> {
    let header_len = 4 + 4 * dims;
    let truncated = || {
        DataError::idx(
            path,
            format!(
                "truncated: {} bytes, shorter than the {header_len}-byte header of an IDX {what} file",
                bytes.len()
            ),
        )
    };
    if bytes.len() < 4 {
        return Err(truncated());
    }
    let word = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    let found = word(0);
    if found != magic {
        let hint = match found {
            IMAGES_MAGIC => " (this is an image file)",
            LABELS_MAGIC => " (this is a label file)",
            _ => "",
        };
        return Err(DataError::idx(
            path,
            format!("wrong magic number {found}, expected {magic} for an IDX {what} file{hint}"),
        ));
    }
    if bytes.len() < header_len {
        return Err(truncated());
    }
    let shape: Vec<usize> = (0..dims).map(|d| word(4 + 4 * d) as usize).collect();
    let expected = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| DataError::idx(path, format!("dimensions {shape:?} overflow")))?;
    let body = bytes.len() - header_len;
    if body < expected {
        return Err(DataError::idx(
            path,
            format!(
                "truncated: header says {shape:?} ({expected} bytes of data) but only {body} bytes follow"
            ),
        ));
    }
    if body > expected {
        return Err(DataError::idx(
            path,
            format!(
                "{} unexpected trailing bytes after the {expected} bytes of data for {shape:?}",
                body - expected
            ),
        ));
    }
    Ok(shape)
}

/// Parses the bytes of an IDX image file; `path` names it in errors.
pub fn parse_images(path: &Path, bytes: &[u8]) -> Result<IdxImages> {
    let shape = header(path, bytes, IMAGES_MAGIC, 3, "image")?;
    let (count, rows, cols) = (shape[0], shape[1], shape[2]);
    if rows == 0 || cols == 0 {
        return Err(DataError::idx(
            path,
            format!("images of size {rows}x{cols}"),
        ));
    }
    Ok(IdxImages {
        count,
        rows,
        cols,
        pixels: bytes[16..].to_vec(),
    })
}

/// Parses the bytes of an IDX label file; `path` names it in errors.
pub fn parse_labels(path: &Path, bytes: &[u8]) -> Result<Vec<u8>> {
    header(path, bytes, LABELS_MAGIC, 1, "label")?;
    Ok(bytes[8..].to_vec())
}

/// Reads an IDX image file (gzip or raw).
pub fn read_images(path: &Path) -> Result<IdxImages> {
    parse_images(path, &read_maybe_gzip(path)?)
}

/// Reads an IDX label file (gzip or raw).
pub fn read_labels(path: &Path) -> Result<Vec<u8>> {
    parse_labels(path, &read_maybe_gzip(path)?)
}

/// Reads a matching pair of image and label files and checks that they agree: the same count,
/// and every label below `num_classes`.
pub fn read_pair(images: &Path, labels: &Path, num_classes: usize) -> Result<(IdxImages, Vec<u8>)> {
    let imgs = read_images(images)?;
    let labs = read_labels(labels)?;
    if imgs.count != labs.len() {
        return Err(DataError::Mismatch {
            images: images.to_path_buf(),
            labels: labels.to_path_buf(),
            problem: format!("{} images but {} labels", imgs.count, labs.len()),
        });
    }
    if let Some((i, &l)) = labs
        .iter()
        .enumerate()
        .find(|(_, l)| **l as usize >= num_classes)
    {
        return Err(DataError::idx(
            labels,
            format!("label {l} at index {i} is not one of the {num_classes} classes"),
        ));
    }
    Ok((imgs, labs))
}

/// Encodes images as an IDX image file (uncompressed). Used to write fixtures.
pub fn encode_images(count: usize, rows: usize, cols: usize, pixels: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + pixels.len());
    for word in [IMAGES_MAGIC, count as u32, rows as u32, cols as u32] {
        out.extend_from_slice(&word.to_be_bytes());
    }
    out.extend_from_slice(pixels);
    out
}

/// Encodes labels as an IDX label file (uncompressed). Used to write fixtures.
pub fn encode_labels(labels: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + labels.len());
    for word in [LABELS_MAGIC, labels.len() as u32] {
        out.extend_from_slice(&word.to_be_bytes());
    }
    out.extend_from_slice(labels);
    out
}
