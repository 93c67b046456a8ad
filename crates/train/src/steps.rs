//! Counting optimizer steps: the learning-rate schedule spans them, and each epoch's count
//! goes into the history.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use burn::lr_scheduler::module_lr_scheduler::ModuleLrScheduler;
use burn::lr_scheduler::{LrScheduler, LrSchedulerRecord};
use burn::module::ParamGroup;

/// Counts optimizer steps. burn steps every group of the learning-rate schedule once per
/// optimizer step; the counter joins the schedule as a group of no parameter whose rate is
/// never used, and records nothing in checkpoints.
#[derive(Clone)]
pub struct StepCounter {
    calls: Arc<AtomicUsize>,
    per_step: usize,
}

impl StepCounter {
    /// A counter for a schedule stepped `per_step` times per optimizer step (each DDP worker
    /// steps its own copy).
    pub fn new(per_step: usize) -> Self {
        Self {
            calls: Arc::default(),
            per_step: per_step.max(1),
        }
    }

    /// `scheduler` with the counter as one more group.
    pub fn attach(&self, scheduler: ModuleLrScheduler) -> ModuleLrScheduler {
        scheduler.with_group(ParamGroup::from_paths(Vec::<String>::new()), self.clone())
    }

    /// The optimizer steps since the last call.
    pub fn take(&self) -> usize {
        self.calls.swap(0, Ordering::SeqCst) / self.per_step
    }
}

impl LrScheduler for StepCounter {
    fn step(&mut self) -> f64 {
        self.calls.fetch_add(1, Ordering::SeqCst);
        0.0
    }

    fn to_record(&self) -> LrSchedulerRecord {
        LrSchedulerRecord::new()
    }

    fn load_record(&mut self, _record: LrSchedulerRecord) {}
}
