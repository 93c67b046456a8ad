//! The error type of the `models` crate.

/// What can go wrong when choosing or configuring a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// `--model` names no registered architecture.
    #[error("unknown model `{name}`{}; known models: {known}", suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default())]
    UnknownModel {
        /// The name asked for.
        name: String,
        /// The registered name nearest to it, when one is near.
        suggestion: Option<String>,
        /// The registered names.
        known: String,
    },
    /// The options do not fit the architecture or the data.
    #[error("{model}: {problem}")]
    Invalid {
        /// The architecture.
        model: &'static str,
        /// What does not fit.
        problem: String,
    },
    /// Pretrained weights could not be read or do not fit the architecture.
    #[error("{}: {problem}", path.display())]
    Weights {
        /// The weights file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        problem: String,
    },
}
