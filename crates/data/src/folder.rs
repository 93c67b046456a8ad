//! Image folders: one sub-folder per class (sorted by name), any number of images in each.
//! Images are decoded once, on every core, resized so that the shorter side fits and centre
//! cropped (nothing is stretched), and kept in memory as RGB bytes. A file that is not a
//! decodable image is skipped and reported with its path and the reason; an empty class or
//! folder is an error naming it.

use std::path::{Path, PathBuf};

use image::DynamicImage;
use image::imageops::FilterType;

use crate::error::{DataError, Result};
pub use crate::images::Skipped;
use crate::images::{ImageSet, Values};

/// Resizes `img` so that it covers `width` x `height`, then crops the centre.
///
/// An image more than eight times the size it is resized to is first shrunk to four times
/// it by area averaging (`thumbnail`), which is much faster than the triangle filter over
/// every source pixel: a 45-megapixel image (or a 43-byte GIF that announces one) takes
/// milliseconds, not seconds.
pub fn resize_center_crop(img: &DynamicImage, width: u32, height: u32) -> DynamicImage {
    let scale = f64::max(
        f64::from(width) / f64::from(img.width().max(1)),
        f64::from(height) / f64::from(img.height().max(1)),
    );
    let rw = ((f64::from(img.width()) * scale).round() as u32).max(width);
    let rh = ((f64::from(img.height()) * scale).round() as u32).max(height);
    let shrunk;
    let img = if scale < 1.0 / 8.0 {
        shrunk = img.thumbnail_exact(rw.saturating_mul(4), rh.saturating_mul(4));
        &shrunk
    } else {
        img
    };
    img.resize_exact(rw, rh, FilterType::Triangle).crop_imm(
        (rw - width) / 2,
        (rh - height) / 2,
        width,
        height,
    )
}

/// The largest image side aprende decodes, in pixels.
pub const MAX_IMAGE_SIDE: u32 = 16_384;
/// The most memory decoding one image may take: 512 MiB.
pub const MAX_IMAGE_BYTES: u64 = 512 << 20;

/// Decodes an encoded image (PNG, JPEG, BMP, GIF), for training and for prediction alike. An
/// image whose header announces more than [`MAX_IMAGE_SIDE`] pixels a side, or more than
/// [`MAX_IMAGE_BYTES`] decoded, is refused before anything that size is allocated (a small
/// file can announce a huge image).
pub fn decode_image(bytes: &[u8]) -> std::result::Result<DynamicImage, String> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| format!("not a decodable image: {e}"))?;
    if reader.format().is_none() {
        return Err("not a decodable image: not PNG, JPEG, BMP or GIF data".into());
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_IMAGE_BYTES);
    reader.limits(limits);
    reader.decode().map_err(|e| match e {
        image::ImageError::Limits(l) => format!(
            "the image is too large to decode ({l}; at most {MAX_IMAGE_SIDE} pixels a side)"
        ),
        e => format!("not a decodable image: {e}"),
    })
}

/// The `size` x `size` RGB pixels of an image file, channel-major.
fn decode(path: &Path, size: u32) -> std::result::Result<Vec<u8>, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let img = decode_image(&bytes)?;
    Ok(rgb_planes(&resize_center_crop(&img, size, size).to_rgb8()))
}

/// An RGB image as three planes (channel-major), the layout of [`ImageSet`] examples.
pub fn rgb_planes(rgb: &image::RgbImage) -> Vec<u8> {
    let plane = (rgb.width() * rgb.height()) as usize;
    let mut out = vec![0u8; 3 * plane];
    for (i, px) in rgb.pixels().enumerate() {
        for c in 0..3 {
            out[c * plane + i] = px[c];
        }
    }
    out
}

/// The entries of `dir`, sorted by path; an unreadable folder is an error naming it.
pub fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| DataError::io(dir, e))?
        .map(|e| e.map(|e| e.path()).map_err(|err| DataError::io(dir, err)))
        .collect::<Result<_>>()?;
    entries.sort();
    Ok(entries)
}

/// Reads the class folders of `root` into `size` x `size` RGB images, and lists the files it
/// skipped. `classes`, if given, fixes the class order (so a test folder matches training).
pub fn load_folder(
    root: &Path,
    size: usize,
    classes: Option<&[String]>,
) -> Result<(ImageSet, Vec<Skipped>)> {
    if !root.is_dir() {
        return Err(DataError::io(
            root,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such folder"),
        ));
    }
    let found: Vec<String> = sorted_entries(root)?
        .into_iter()
        .filter(|p| p.is_dir())
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .filter(|n| !n.starts_with('.'))
        .collect();
    let class_names: Vec<String> = match classes {
        Some(c) => c.to_vec(),
        None => found.clone(),
    };
    if class_names.is_empty() {
        return Err(DataError::Invalid(format!(
            "{}: no class folders (expected one sub-folder of images per class)",
            root.display()
        )));
    }
    if let Some(extra) = found.iter().find(|f| !class_names.contains(f)) {
        return Err(DataError::Invalid(format!(
            "{}: class folder `{extra}` is not one of the training classes {class_names:?}",
            root.display()
        )));
    }
    let mut files = Vec::new();
    for (label, class) in class_names.iter().enumerate() {
        let dir = root.join(class);
        let before = files.len();
        if dir.is_dir() {
            files.extend(
                sorted_entries(&dir)?
                    .into_iter()
                    .filter(|p| p.is_file())
                    .map(|p| (p, label)),
            );
        }
        if files.len() == before {
            return Err(DataError::Invalid(format!(
                "{}: class `{class}` has no files",
                dir.display()
            )));
        }
    }

    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = files.len().div_ceil(threads).max(1);
    let size32 = size as u32;
    let decoded: Vec<std::result::Result<Vec<u8>, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(p, _)| decode(p, size32))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });

    let mut pixels = Vec::with_capacity(files.len() * 3 * size * size);
    let mut labels = Vec::with_capacity(files.len());
    let mut skipped = Vec::new();
    let mut per_class = vec![0usize; class_names.len()];
    for ((path, label), result) in files.into_iter().zip(decoded) {
        match result {
            Ok(px) => {
                pixels.extend_from_slice(&px);
                labels.push(label);
                per_class[label] += 1;
            }
            Err(reason) => skipped.push(Skipped { path, reason }),
        }
    }
    if let Some(c) = per_class.iter().position(|&n| n == 0) {
        return Err(DataError::Invalid(format!(
            "{}: class `{}` has no decodable image",
            root.join(&class_names[c]).display(),
            class_names[c]
        )));
    }
    Ok((
        ImageSet {
            channels: 3,
            height: size,
            width: size,
            values: Values::U8(pixels),
            labels,
            class_names,
            targets: None,
        },
        skipped,
    ))
}
