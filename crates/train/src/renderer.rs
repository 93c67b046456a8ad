//! Progress display that also records the per-epoch history.
//!
//! burn-train hands every metric value to a renderer. [`RecordingRenderer`] keeps the epoch
//! means of loss and accuracy for both splits and the epoch's wall time (what `report.json`'s
//! `history` holds), and shows progress: burn's TUI when stdout is a terminal, otherwise one
//! line per epoch.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use burn::train::logger::{EvaluationProgressLogger, TrainingProgressLogger};
use burn::train::metric::{MetricDefinition, MetricEntry, MetricId, MetricName, NumericEntry};
use burn::train::renderer::{
    EvaluationName, MetricState, MetricsRenderer, MetricsRendererEvaluation,
    MetricsRendererTraining,
};
use burn::train::{Interrupter, LearnerSummary};

use crate::divergence::{Divergence, SharedDivergence};
use crate::report::EpochRecord;

/// How training shows its progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ProgressMode {
    /// burn's TUI when stdout is a terminal, else one line per epoch.
    #[default]
    Auto,
    /// One line per epoch on stdout.
    Lines,
    /// Nothing.
    Quiet,
}

/// The per-epoch history recorded during training, shared with the caller.
pub type SharedHistory = Arc<Mutex<Vec<EpochRecord>>>;

#[derive(Default)]
struct Mean {
    sum: f64,
    count: f64,
}

impl Mean {
    fn add(&mut self, entry: &NumericEntry) {
        match entry {
            NumericEntry::Value(v) => {
                self.sum += v;
                self.count += 1.0;
            }
            NumericEntry::Aggregated {
                aggregated_value,
                count,
            } => {
                self.sum += aggregated_value * *count as f64;
                self.count += *count as f64;
            }
            NumericEntry::Final(_) => {}
        }
    }

    fn value(&self) -> Option<f64> {
        (self.count > 0.0).then(|| self.sum / self.count)
    }
}

/// A renderer that records epoch means and delegates display.
pub struct RecordingRenderer {
    inner: Option<Box<dyn MetricsRenderer>>,
    print_lines: bool,
    names: HashMap<MetricId, MetricName>,
    train: HashMap<String, Mean>,
    valid: HashMap<String, Mean>,
    total_epochs: usize,
    epoch_start: Option<Instant>,
    history: SharedHistory,
    history_file: Option<PathBuf>,
    interrupter: Interrupter,
    divergence: SharedDivergence,
    steps: Option<crate::steps::StepCounter>,
    epoch: usize,
    train_batches: usize,
    valid_batches: usize,
}

impl RecordingRenderer {
    /// A renderer for `mode`; `history` receives one record per finished epoch. `resumed_at`
    /// is the epoch a resumed run starts after.
    pub fn new(
        mode: ProgressMode,
        interrupter: Interrupter,
        history: SharedHistory,
        resumed_at: Option<usize>,
    ) -> Self {
        let use_tui = mode == ProgressMode::Auto && std::io::stdout().is_terminal();
        let inner: Option<Box<dyn MetricsRenderer>> = if use_tui {
            Some(Box::new(
                burn::train::renderer::tui::TuiMetricsRendererWrapper::new(
                    interrupter.clone(),
                    resumed_at,
                ),
            ))
        } else {
            None
        };
        Self {
            inner,
            print_lines: mode != ProgressMode::Quiet && !use_tui,
            names: HashMap::new(),
            train: HashMap::new(),
            valid: HashMap::new(),
            total_epochs: 0,
            epoch_start: None,
            history,
            history_file: None,
            interrupter,
            divergence: Arc::default(),
            steps: None,
            epoch: resumed_at.unwrap_or(0) + 1,
            train_batches: 0,
            valid_batches: 0,
        }
    }

    /// Records a non-finite loss in `divergence` and stops training at once.
    pub fn with_divergence(mut self, divergence: SharedDivergence) -> Self {
        self.divergence = divergence;
        self
    }

    /// Records in each epoch's record the optimizer steps `counter` counted during it.
    pub fn with_step_counter(mut self, counter: crate::steps::StepCounter) -> Self {
        self.steps = Some(counter);
        self
    }

    /// Stops training when `state` is a loss that is not a finite number.
    fn watch_loss(&mut self, split: &'static str, state: &MetricState) {
        let MetricState::Numeric(entry, Some(value)) = state else {
            return;
        };
        if name_of(&self.names, entry) != "Loss" {
            return;
        }
        let batch = if split == "training" {
            self.train_batches += 1;
            self.train_batches
        } else {
            self.valid_batches += 1;
            self.valid_batches
        };
        let loss = value.current();
        if loss.is_finite() {
            return;
        }
        let mut divergence = self.divergence.lock().unwrap_or_else(|e| e.into_inner());
        if divergence.is_none() {
            *divergence = Some(Divergence {
                epoch: self.epoch,
                batch,
                split,
                loss,
            });
            self.interrupter.stop(Some("the loss diverged"));
        }
    }

    /// Also writes the whole history to `path` (JSON, atomically) after every epoch, so that
    /// a run that is killed can be resumed with the history of its finished epochs.
    pub fn with_history_file(mut self, path: PathBuf) -> Self {
        self.history_file = Some(path);
        self
    }

    fn record(
        split: &mut HashMap<String, Mean>,
        names: &HashMap<MetricId, MetricName>,
        state: &MetricState,
    ) {
        if let MetricState::Numeric(entry, Some(value)) = state {
            let name = name_of(names, entry);
            split.entry(name).or_default().add(value);
        }
    }
}

fn name_of(names: &HashMap<MetricId, MetricName>, entry: &MetricEntry) -> String {
    names
        .get(&entry.metric_id)
        .map(|n| n.to_string())
        .unwrap_or_else(|| format!("{:?}", entry.metric_id))
}

fn mean(split: &HashMap<String, Mean>, name: &str) -> Option<f64> {
    split.get(name).and_then(Mean::value)
}

impl MetricsRendererTraining for RecordingRenderer {
    fn update_train(&mut self, state: MetricState) {
        self.watch_loss("training", &state);
        Self::record(&mut self.train, &self.names, &state);
        if let Some(inner) = &mut self.inner {
            inner.update_train(state);
        }
    }

    fn update_valid(&mut self, state: MetricState) {
        self.watch_loss("validation", &state);
        Self::record(&mut self.valid, &self.names, &state);
        if let Some(inner) = &mut self.inner {
            inner.update_valid(state);
        }
    }

    fn on_train_end(
        &mut self,
        summary: Option<LearnerSummary>,
    ) -> Result<(), Box<dyn core::error::Error>> {
        match &mut self.inner {
            Some(inner) => inner.on_train_end(summary),
            None => Ok(()),
        }
    }
}

impl MetricsRendererEvaluation for RecordingRenderer {
    fn update_test(&mut self, name: EvaluationName, state: MetricState) {
        if let Some(inner) = &mut self.inner {
            inner.update_test(name, state);
        }
    }

    fn on_test_end(
        &mut self,
        summary: Option<LearnerSummary>,
    ) -> Result<(), Box<dyn core::error::Error>> {
        match &mut self.inner {
            Some(inner) => inner.on_test_end(summary),
            None => Ok(()),
        }
    }
}

impl TrainingProgressLogger for RecordingRenderer {
    fn start(
        &mut self,
        total_epochs: usize,
        starting_epoch: usize,
        total_items: Option<usize>,
        label: Option<&str>,
    ) {
        self.total_epochs = total_epochs;
        if let Some(inner) = &mut self.inner {
            inner.start(total_epochs, starting_epoch, total_items, label);
        }
    }

    fn update_epoch(&mut self, epoch: usize) {
        let seconds = self
            .epoch_start
            .take()
            .map(|t| t.elapsed().as_secs_f64())
            .unwrap_or(f64::NAN);
        let record = EpochRecord {
            epoch,
            train_loss: mean(&self.train, "Loss").unwrap_or(f64::NAN),
            train_accuracy: mean(&self.train, "Accuracy").map(|a| a / 100.0),
            val_loss: mean(&self.valid, "Loss").unwrap_or(f64::NAN),
            val_accuracy: mean(&self.valid, "Accuracy").map(|a| a / 100.0),
            seconds,
            steps: self.steps.as_ref().map_or(0, |c| c.take()),
        };
        self.train.clear();
        self.valid.clear();
        self.epoch = epoch + 1;
        self.train_batches = 0;
        self.valid_batches = 0;
        // An epoch whose loss is not a number is no epoch to keep, resume from or report.
        if !(record.train_loss.is_finite() && record.val_loss.is_finite()) {
            return;
        }
        if self.print_lines {
            println!("{}", record.line(self.total_epochs));
        }
        let mut history = self.history.lock().unwrap_or_else(|e| e.into_inner());
        history.push(record);
        if let Some(path) = &self.history_file {
            let written = serde_json::to_vec_pretty(&*history)
                .map_err(|e| e.to_string())
                .and_then(|json| {
                    data::fsutil::write_atomic(path, &json).map_err(|e| e.to_string())
                });
            if let Err(e) = written {
                eprintln!("warning: {}: {e}", path.display());
            }
        }
        drop(history);
        if let Some(inner) = &mut self.inner {
            inner.update_epoch(epoch);
        }
    }

    fn start_split(&mut self, split: &str, total_items: usize) {
        if self.epoch_start.is_none() {
            self.epoch_start = Some(Instant::now());
        }
        if let Some(inner) = &mut self.inner {
            inner.start_split(split, total_items);
        }
    }

    fn update_split(&mut self, items_processed: usize) {
        if let Some(inner) = &mut self.inner {
            inner.update_split(items_processed);
        }
    }

    fn end_split(&mut self) {
        if let Some(inner) = &mut self.inner {
            inner.end_split();
        }
    }

    fn end(&mut self) {
        if let Some(inner) = &mut self.inner {
            inner.end();
        }
    }

    fn log_event_training(&mut self, event: String) {
        if let Some(inner) = &mut self.inner {
            inner.log_event_training(event);
        }
    }
}

impl EvaluationProgressLogger for RecordingRenderer {
    fn start_global_progress(&mut self, total_tests: usize) {
        if let Some(inner) = &mut self.inner {
            inner.start_global_progress(total_tests);
        }
    }

    fn start_test(&mut self, name: &str, total_items: usize) {
        if let Some(inner) = &mut self.inner {
            inner.start_test(name, total_items);
        }
    }

    fn update_test_progress(&mut self, items_processed: usize) {
        if let Some(inner) = &mut self.inner {
            inner.update_test_progress(items_processed);
        }
    }

    fn end_test(&mut self) {
        if let Some(inner) = &mut self.inner {
            inner.end_test();
        }
    }

    fn end_global_progress(&mut self) {
        if let Some(inner) = &mut self.inner {
            inner.end_global_progress();
        }
    }

    fn log_event_evaluation(&mut self, event: String) {
        if let Some(inner) = &mut self.inner {
            inner.log_event_evaluation(event);
        }
    }
}

impl MetricsRenderer for RecordingRenderer {
    fn manual_close(&mut self) {
        if let Some(inner) = &mut self.inner {
            inner.manual_close();
        }
    }

    fn register_metric(&mut self, definition: MetricDefinition) {
        self.names
            .insert(definition.metric_id.clone(), definition.name.clone());
        if let Some(inner) = &mut self.inner {
            inner.register_metric(definition);
        }
    }
}
