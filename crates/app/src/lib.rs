//! Using a trained aprende model: load a run, turn images into the model's input, predict.

pub mod predict;

pub use predict::{
    AppError, PredictOutcome, Prediction, ScoredClass, load_image, predict_files, predict_images,
};
