//! aprende: train and use the networks that deep-learning courses teach (MLPs, LeNet, CNNs),
//! in Rust on burn, with the same code on CPU or GPU.
//!
//! This facade re-exports the workspace's crates:
//! - [`data`]: datasets (MNIST, Fashion-MNIST), downloads, splits, batching;
//! - [`models`]: architectures and their registry, Keras-style summaries;
//! - [`train`]: the training run, backends, reports;
//! - [`report`]: the pictures of a run's report;
//! - [`app`]: prediction with a trained run;
//! - [`cli`]: the `aprende` command, which gathers `train` and `app`'s subcommands.

pub mod cli;

pub use app;
pub use burn;
pub use data;
pub use models;
pub use report;
pub use train;
