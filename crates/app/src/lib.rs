//! Using a trained aprende model: its answers for image files and table rows (classes,
//! values, reconstructions: whatever its task gives), and its metrics on any split. A run is
//! loaded once per call ([`train::LoadedRun`]).

pub mod cli;
pub mod evaluate;
pub mod predict;
pub mod recommend;
pub mod serve;
pub mod serve_device;

pub use evaluate::{EvalSplit, EvaluateOptions, EvaluationReport, evaluate_run};
pub use predict::{
    AppError, PredictOutcome, Prediction, RowPrediction, ScoredClass, image_input,
    imagenet_classifier, load_image, predict_files, predict_image_bytes, predict_images,
    predict_rows, predict_run_images, predict_run_rows,
};
pub use recommend::{ItemScore, Recommendations, SimilarItems, recommend_for, similar_to};
pub use serve_device::serve_devices;
