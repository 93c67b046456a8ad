//! `--resume`: where a run that stopped (interrupted, killed at any moment, or finished with
//! fewer epochs) continues from, and the cleaning up of what a kill leaves behind.

use std::path::Path;

use burn::optim::OptimizerRecord;
use burn::optim::lr_scheduler::LrSchedulerRecord;
use burn::prelude::*;

use crate::config::TrainingConfig;
use crate::error::TrainError;
use crate::record;
use crate::report::EpochRecord;
use crate::run::{checkpoint_path, files, load_checkpoint};

/// Where a resumed run starts: the last finished epoch whose model, optimizer and scheduler
/// checkpoints are all on disk, and the history up to it.
#[derive(Debug, Clone)]
pub struct ResumePoint {
    /// The last finished epoch with a complete checkpoint.
    pub epoch: usize,
    /// The history up to it.
    pub history: Vec<EpochRecord>,
    /// Training is over (every epoch ran, or early stopping's patience ran out): the run was
    /// stopped while it wrote its results, and only that is left to do.
    pub trained: bool,
}

/// The file that says a run wrote all its results; its absence after the last epoch means
/// the run was stopped while writing them.
pub fn finished_marker(dir: &Path) -> std::path::PathBuf {
    dir.join(files::CHECKPOINTS).join("finished")
}

/// Whether early stopping with `patience` would have stopped after the last epoch of
/// `history`: the lowest validation loss is `patience` or more epochs old.
pub fn patience_ran_out(history: &[EpochRecord], patience: usize) -> bool {
    let (Some(last), Some(best)) = (history.last(), crate::report::lowest_val_loss(history)) else {
        return false;
    };
    patience > 0 && last.epoch - best.epoch >= patience
}

/// Finds where the run in `dir` can be resumed, checking that its checkpoint loads into
/// `config`'s architecture (burn itself would panic on a bad one). `None` when the run has
/// no finished epoch (it was stopped during its first): it starts again from its config.
pub fn resume_point(
    config: &TrainingConfig,
    dir: &Path,
    device: &Device,
) -> Result<Option<ResumePoint>, TrainError> {
    if dir.join(files::FINE_TUNE).join(files::HISTORY).is_file() {
        return Err(TrainError::Config(format!(
            "{}: the run stopped while fine-tuning, and a fine-tuning stage cannot be \
             resumed yet: run it again (with --config {})",
            dir.display(),
            dir.join(files::RUN_CONFIG).display()
        )));
    }
    let path = dir.join(files::HISTORY);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        // Stopped before its first epoch finished: nothing to continue from, but its config.
        Err(e)
            if e.kind() == std::io::ErrorKind::NotFound
                && dir.join(files::RUN_CONFIG).is_file() =>
        {
            return Ok(None);
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(TrainError::Config(format!(
                "{}: there is no run to resume in {} (no {} or {})",
                path.display(),
                dir.display(),
                files::HISTORY,
                files::RUN_CONFIG
            )));
        }
        Err(e) => return Err(TrainError::Config(format!("{}: {e}", path.display()))),
    };
    let mut history: Vec<EpochRecord> = serde_json::from_str(&text)
        .map_err(|e| TrainError::Config(format!("{}: {e}", path.display())))?;
    const KINDS: [&str; 3] = ["model", "optim", "scheduler"];
    // A checkpoint that loads: all three files whole, the model's fitting the architecture
    // (burn's resume would panic otherwise).
    let loads = |epoch: usize| -> Result<(), TrainError> {
        load_checkpoint(config, dir, epoch, device)?;
        record::load::<OptimizerRecord>(&checkpoint_path(dir, "optim", epoch))?;
        record::load::<LrSchedulerRecord>(&checkpoint_path(dir, "scheduler", epoch))?;
        Ok(())
    };
    // The latest finished epoch whose checkpoint is on disk and loads (a run killed while
    // burn wrote one leaves it incomplete: the one before is used).
    let mut first_error = None;
    let mut resumable = None;
    for epoch in history.iter().rev().map(|r| r.epoch) {
        if !KINDS
            .iter()
            .all(|kind| checkpoint_path(dir, kind, epoch).is_file())
        {
            continue;
        }
        match loads(epoch) {
            Ok(()) => {
                resumable = Some(epoch);
                break;
            }
            Err(e) => {
                eprintln!(
                    "warning: epoch {epoch}'s checkpoint cannot be used: {}",
                    crate::describe(&e)
                );
                first_error.get_or_insert(e);
            }
        }
    }
    let Some(epoch) = resumable else {
        return match first_error {
            Some(e) => Err(e),
            // Killed before burn wrote the first checkpoint: as if no epoch had finished.
            None => Ok(None),
        };
    };
    history.retain(|r| r.epoch <= epoch);
    let trained = epoch >= config.epochs || patience_ran_out(&history, config.patience);
    if trained && finished_marker(dir).is_file() {
        return Err(TrainError::Config(format!(
            "{}: the run has already trained {epoch} of its {} epochs{}; give a larger --epochs \
             to train it further",
            dir.display(),
            config.epochs,
            if epoch < config.epochs {
                " (early stopping ended it)"
            } else {
                ""
            }
        )));
    }
    remove_partial_writes(dir)?;
    Ok(Some(ResumePoint {
        epoch,
        history,
        trained,
    }))
}

/// Removes the temporary files of writes a kill cut short (`.NAME.PID-TIME.partial`, beside
/// the file they were to replace): the files under their final names are whole.
pub fn remove_partial_writes(dir: &Path) -> Result<(), TrainError> {
    for folder in [dir.to_path_buf(), dir.join(files::CHECKPOINTS)] {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') && name.contains(".partial") {
                let path = entry.path();
                std::fs::remove_file(&path)
                    .map_err(|e| TrainError::Io(format!("{}: {e}", path.display())))?;
            }
        }
    }
    Ok(())
}
