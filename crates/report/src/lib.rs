//! Pictures of aprende's run reports, drawn with plotters and encoded as PNG (or GIF) in
//! memory (the caller writes them, atomically): a labelled confusion-matrix heatmap, learning
//! curves with the best epoch and early stop marked, a captioned grid of images,
//! predicted-against-true scatter plots for regression, the decision boundary of a two-class
//! problem in the plane as the TensorFlow Playground draws it ([`boundary_png`], and
//! [`boundary_gif`] for its evolution during training, one frame per [`Boundary`]), and a
//! scatter plot of 2-D latent codes coloured by class ([`latent_png`]).

mod boundary;
mod font;
mod grid;
mod heatmap;
mod latent;
mod plots;

pub use boundary::{Boundary, BoundaryPoint, boundary_gif, boundary_png};
pub use grid::{GridImage, image_grid_png, image_png};
pub use heatmap::confusion_png;
pub use latent::latent_png;
pub use plots::{Curves, curves_png, scatter_png};

/// What can go wrong while drawing.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// plotters failed.
    #[error("drawing {what}: {problem}")]
    Draw {
        /// The picture.
        what: &'static str,
        /// plotters' message.
        problem: String,
    },
    /// The input cannot be drawn (mismatched lengths, no frames, an empty range).
    #[error("drawing {what}: {problem}")]
    Invalid {
        /// The picture.
        what: &'static str,
        /// What is wrong with the input.
        problem: String,
    },
    /// PNG (or GIF) encoding failed.
    #[error("encoding {what}: {problem}")]
    Encode {
        /// The picture.
        what: &'static str,
        /// The encoder's message.
        problem: String,
    },
}

fn draw_err<E: std::fmt::Display>(what: &'static str) -> impl Fn(E) -> ReportError {
    move |e| ReportError::Draw {
        what,
        problem: e.to_string(),
    }
}

/// Encodes an RGB buffer as PNG.
fn encode_png(
    what: &'static str,
    rgb: Vec<u8>,
    width: u32,
    height: u32,
) -> Result<Vec<u8>, ReportError> {
    let img = image::RgbImage::from_raw(width, height, rgb).ok_or(ReportError::Encode {
        what,
        problem: "buffer size does not match the picture".into(),
    })?;
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| ReportError::Encode {
            what,
            problem: e.to_string(),
        })?;
    Ok(out.into_inner())
}
