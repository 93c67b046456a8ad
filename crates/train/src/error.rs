//! The error type of the `train` crate.

/// What can go wrong while setting up, running or saving a training run.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// Finding or reading data failed.
    #[error(transparent)]
    Data(#[from] data::DataError),
    /// The model could not be configured.
    #[error(transparent)]
    Model(#[from] models::ModelError),
    /// The backend could not be started.
    #[error("{0}")]
    Backend(String),
    /// A setting is out of range.
    #[error("{0}")]
    Config(String),
    /// Training itself failed.
    #[error("training failed: {0}")]
    Training(String),
    /// Weights could not be saved or loaded.
    #[error("{0}")]
    Record(String),
    /// Writing or reading an artifact failed.
    #[error("{0}")]
    Io(String),
}
