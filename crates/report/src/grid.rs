//! A grid of small images with a caption under each (misclassified examples, augmentations).

use plotters::prelude::*;

use crate::{ReportError, draw_err, encode_png, font};

/// One image of a grid: `channels` (1 or 3) planes of `height * width` bytes, channel-major.
#[derive(Debug, Clone)]
pub struct GridImage {
    /// Pixels, `channels * height * width`, channel-major.
    pub pixels: Vec<u8>,
    /// 1 (grayscale) or 3 (RGB).
    pub channels: usize,
    /// Height.
    pub height: usize,
    /// Width.
    pub width: usize,
    /// Text under the image.
    pub caption: String,
}

/// A PNG of `images` in rows of `columns`, each scaled to `tile` pixels wide.
pub fn image_grid_png(
    title: &str,
    images: &[GridImage],
    columns: usize,
    tile: u32,
) -> Result<Vec<u8>, ReportError> {
    font::ensure();
    let columns = columns.clamp(1, images.len().max(1));
    let rows = images.len().div_ceil(columns).max(1);
    let caption_h = 36u32;
    let pad = 8u32;
    let top = 36u32;
    let width = columns as u32 * (tile + pad) + pad;
    let height = top + rows as u32 * (tile + caption_h + pad) + pad;
    let mut canvas = image::RgbImage::from_pixel(width, height, image::Rgb([255, 255, 255]));
    let mut origins = Vec::new();
    for (i, img) in images.iter().enumerate() {
        let rgb = image::RgbImage::from_fn(img.width as u32, img.height as u32, |x, y| {
            let at = |c: usize| {
                img.pixels[c * img.height * img.width + y as usize * img.width + x as usize]
            };
            if img.channels >= 3 {
                image::Rgb([at(0), at(1), at(2)])
            } else {
                image::Rgb([at(0); 3])
            }
        });
        let tile_h = (tile as f64 * img.height as f64 / img.width.max(1) as f64).round() as u32;
        let scaled = image::imageops::resize(
            &rgb,
            tile,
            tile_h.min(tile),
            image::imageops::FilterType::Nearest,
        );
        let x = pad + (i % columns) as u32 * (tile + pad);
        let y = top + (i / columns) as u32 * (tile + caption_h + pad);
        image::imageops::overlay(&mut canvas, &scaled, i64::from(x), i64::from(y));
        origins.push((x, y));
    }
    let mut buf = canvas.into_raw();
    {
        let err = draw_err("image grid");
        let root = BitMapBackend::with_buffer(&mut buf, (width, height)).into_drawing_area();
        root.draw(&Text::new(
            title.to_string(),
            (pad as i32, 8),
            (font::FAMILY, 18).into_font(),
        ))
        .map_err(&err)?;
        for (img, (x, y)) in images.iter().zip(origins) {
            for (line, text) in img.caption.lines().take(2).enumerate() {
                let max_chars = (tile / 7).max(4) as usize;
                let text: String = text.chars().take(max_chars).collect();
                root.draw(&Text::new(
                    text,
                    (x as i32, (y + tile + 4) as i32 + 15 * line as i32),
                    (font::FAMILY, 12).into_font(),
                ))
                .map_err(&err)?;
            }
        }
        root.present().map_err(&err)?;
    }
    encode_png("image grid", buf, width, height)
}

/// One image as a PNG at its own size: `channels` (1 or 3) planes of `height * width` bytes,
/// channel-major (an autoencoder's reconstruction, say).
pub fn image_png(
    pixels: &[u8],
    channels: usize,
    height: usize,
    width: usize,
) -> Result<Vec<u8>, ReportError> {
    let plane = height * width;
    if !matches!(channels, 1 | 3) || pixels.len() != channels * plane {
        return Err(ReportError::Encode {
            what: "image",
            problem: format!(
                "{} bytes for a {channels}x{height}x{width} image (1 or 3 channels)",
                pixels.len()
            ),
        });
    }
    let rgb: Vec<u8> = (0..plane)
        .flat_map(|i| {
            let at = |c: usize| pixels[(c % channels) * plane + i];
            [at(0), at(1), at(2)]
        })
        .collect();
    crate::encode_png("image", rgb, width as u32, height as u32)
}
