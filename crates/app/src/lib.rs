//! Using a trained aprende model: predict classes of image files, evaluate on any split.

pub mod evaluate;
pub mod predict;

pub use evaluate::{EvalSplit, EvaluateOptions, EvaluationReport, evaluate_run};
pub use predict::{
    AppError, PredictOutcome, Prediction, RowPrediction, ScoredClass, imagenet_classifier,
    load_image, predict_examples, predict_files, predict_images, predict_rows,
};
