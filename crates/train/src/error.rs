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
    /// The loss stopped being a finite number before any epoch finished.
    #[error("{0}. No epoch finished before it: nothing was saved")]
    Diverged(crate::divergence::Divergence),
    /// Weights could not be saved or loaded.
    #[error("{0}")]
    Record(String),
    /// Writing or reading an artifact failed.
    #[error("{0}")]
    Io(String),
    /// The run stopped without a result to keep (the message says why).
    #[error("{0}")]
    Stopped(String),
    /// A run in a folder failed: the folder, and why.
    #[error("training run in {}", dir.display())]
    InRun {
        /// The run's folder.
        dir: std::path::PathBuf,
        /// What went wrong.
        #[source]
        source: Box<TrainError>,
    },
}

/// The message of `error` followed by those of its causes, each once: a cause whose message
/// the error's own already contains (as `path: io error` contains `io error`) is not repeated.
/// This is how the binaries print an error.
pub fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let text = e.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        cause = e.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_already_in_the_message_are_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let error = TrainError::from(data::DataError::io("a.csv", io));
        assert_eq!(describe(&error), "a.csv: no such file");
    }

    #[test]
    fn other_causes_are_appended() {
        #[derive(Debug, thiserror::Error)]
        #[error("loading failed")]
        struct Outer(#[source] std::io::Error);
        let error = Outer(std::io::Error::other("disk on fire"));
        assert_eq!(describe(&error), "loading failed: disk on fire");
    }
}
