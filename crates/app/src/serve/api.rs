//! The JSON API: the runs, predictions for images (a raw body, or multipart with several
//! files) and table rows, recommendations, and a health check. Bad input is answered with
//! `{"error": "..."}` and the status that fits: 400 for input the run cannot take, 404 for an
//! unknown run, 413 for a body over `--max-upload`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State as Shared};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use train::task::PredictOptions;

use super::{PageKind, ServedRun, State};
use crate::predict::{AppError, predict_image_bytes, predict_run_rows};
use crate::recommend::{recommend_for, similar_to};

/// An error answer: a status and `{"error": message}`.
#[derive(Debug)]
pub(crate) struct ApiError(pub StatusCode, pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(serde_json::json!({ "error": self.1 }))).into_response()
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let status = match &e {
            AppError::Input(_) | AppError::Image { .. } => StatusCode::BAD_REQUEST,
            AppError::Train(train::TrainError::Config(_)) => StatusCode::BAD_REQUEST,
            AppError::Train(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError(status, e.to_string())
    }
}

fn bad(message: impl Into<String>) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, message.into())
}

pub(crate) fn unknown_run(state: &State, name: &str) -> ApiError {
    ApiError(
        StatusCode::NOT_FOUND,
        format!(
            "no run named `{name}` (served: {})",
            state.runs.keys().cloned().collect::<Vec<_>>().join(", ")
        ),
    )
}

fn run_named(state: &State, name: &str) -> Result<Arc<ServedRun>, ApiError> {
    state.run(name).ok_or_else(|| unknown_run(state, name))
}

/// `GET /healthz`.
pub(crate) async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// A run, as `GET /api/runs` lists it.
#[derive(Debug, Serialize)]
pub(crate) struct RunInfo {
    name: String,
    model: String,
    dataset: String,
    task: String,
    page: PageKind,
    headline: String,
    /// Input shape: channels, height, width.
    input: [usize; 3],
    classes: Vec<String>,
}

pub(crate) fn info(run: &ServedRun) -> RunInfo {
    let c = &run.run.config;
    RunInfo {
        name: run.name.clone(),
        model: c.model.name().to_string(),
        dataset: c.dataset.clone(),
        task: run.run.task.name().to_string(),
        page: run.kind.clone(),
        headline: run.headline.clone(),
        input: [c.input.channels, c.input.height, c.input.width],
        classes: if run.run.task.name() == train::task::Task::name(&train::task::Classification) {
            c.class_names.clone()
        } else {
            Vec::new()
        },
    }
}

/// `GET /api/runs`.
pub(crate) async fn list(Shared(state): Shared<Arc<State>>) -> Json<Vec<RunInfo>> {
    Json(state.runs.values().map(|r| info(r)).collect())
}

/// `?top=N`: how many classes to list.
#[derive(Debug, Deserialize)]
pub(crate) struct PredictQuery {
    top: Option<usize>,
}

/// JSON rows: `{"rows": [[5.1, 3.5, 1.4, 0.2]]}`.
#[derive(Debug, Deserialize)]
struct Rows {
    rows: Vec<Vec<f32>>,
}

/// A body that could not be read: over the limit (413) or broken (400).
fn unreadable(status: StatusCode, what: &str, detail: String) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError(status, format!("the {what} is larger than --max-upload"))
    } else {
        ApiError(status, format!("cannot read the {what}: {detail}"))
    }
}

/// `POST /api/runs/NAME/predict`: an image as the raw body, images as multipart files, or
/// JSON rows. Answers `{"predictions": [...]}`, one object per image or row, as `app predict
/// --json` prints them.
pub(crate) async fn predict(
    Shared(state): Shared<Arc<State>>,
    Path(name): Path<String>,
    Query(query): Query<PredictQuery>,
    request: Request,
) -> Result<Json<serde_json::Value>, ApiError> {
    let run = run_named(&state, &name)?;
    let top = query.top.unwrap_or(3).max(1);
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let device = state.device.clone();
    if content_type.starts_with("application/json") {
        let body = Bytes::from_request(request, &())
            .await
            .map_err(|e| unreadable(e.status(), "body", e.body_text()))?;
        let rows: Rows = serde_json::from_slice(&body)
            .map_err(|e| bad(format!("the body is not {{\"rows\": [[numbers]]}}: {e}")))?;
        if rows.rows.is_empty() {
            return Err(bad("`rows` is empty: give at least one row"));
        }
        let answers =
            blocking(move || predict_run_rows(&run.run, &rows.rows, top, &device)).await?;
        return Ok(Json(serde_json::json!({ "predictions": answers })));
    }
    if run.run.takes_rows() {
        return Err(bad(format!(
            "`{name}` takes table rows: send JSON {{\"rows\": [[...]]}} with {} values each",
            run.run.config.input.flat_len()
        )));
    }
    let mut images: Vec<(String, Vec<u8>)> = Vec::new();
    if content_type.starts_with("multipart/form-data") {
        let mut form = Multipart::from_request(request, &())
            .await
            .map_err(|e| unreadable(e.status(), "form", e.body_text()))?;
        loop {
            let field = match form.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(e) => return Err(unreadable(e.status(), "form", e.body_text())),
            };
            let label = field
                .file_name()
                .or(field.name())
                .unwrap_or("file")
                .to_string();
            let bytes = field
                .bytes()
                .await
                .map_err(|e| unreadable(e.status(), "form", e.body_text()))?;
            images.push((label, bytes.to_vec()));
        }
    } else {
        let body = Bytes::from_request(request, &())
            .await
            .map_err(|e| unreadable(e.status(), "body", e.body_text()))?;
        images.push(("body".into(), body.to_vec()));
    }
    if images.iter().all(|(_, b)| b.is_empty()) {
        return Err(bad(
            "no image: send one as the body (image/png, image/jpeg) or as multipart files",
        ));
    }
    let options = PredictOptions {
        top_k: top,
        out_dir: None,
    };
    let answers =
        blocking(move || predict_image_bytes(&run.run, &images, &options, &device)).await?;
    Ok(Json(serde_json::json!({ "predictions": answers })))
}

/// Runs `work` on tokio's blocking pool (inference must not hold up the connections).
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(ApiError::from),
        Err(e) => Err(ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the prediction failed: {e}"),
        )),
    }
}

/// `?user=ID&top=N` or `?similar_to=ITEM&top=N`.
#[derive(Debug, Deserialize)]
pub(crate) struct RecommendQuery {
    user: Option<String>,
    similar_to: Option<String>,
    top: Option<usize>,
}

/// `GET /api/runs/NAME/recommend`: a user's recommendations, or an item's look-alikes, as
/// `app recommend --json` prints them.
pub(crate) async fn recommend(
    Shared(state): Shared<Arc<State>>,
    Path(name): Path<String>,
    Query(query): Query<RecommendQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let run = run_named(&state, &name)?;
    if run.kind != PageKind::Recommender {
        return Err(bad(format!("`{name}` is not a recommender")));
    }
    let top = query.top.unwrap_or(10).clamp(1, 1000);
    let device = state.device.clone();
    match (query.user, query.similar_to) {
        (Some(user), None) => {
            let answer = blocking(move || recommend_for(&run.run, &user, top, &device)).await?;
            Ok(Json(serde_json::to_value(answer).unwrap_or_default()))
        }
        (None, Some(item)) => {
            let answer = blocking(move || similar_to(&run.run, &item, top)).await?;
            Ok(Json(serde_json::to_value(answer).unwrap_or_default()))
        }
        _ => Err(bad("give ?user=ID or ?similar_to=ITEM")),
    }
}
