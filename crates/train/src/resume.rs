//! `--resume`: where a run that stopped (interrupted, killed, or finished with fewer epochs)
//! continues from.

use std::path::Path;

use burn::prelude::*;
use burn::store::ModuleRecord;

use crate::config::TrainingConfig;
use crate::error::TrainError;
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
}

/// Finds where the run in `dir` can be resumed, checking that its checkpoint loads into
/// `config`'s architecture (burn itself would panic on a bad one).
pub fn resume_point(
    config: &TrainingConfig,
    dir: &Path,
    device: &Device,
) -> Result<ResumePoint, TrainError> {
    if dir.join(files::FINE_TUNE).join(files::HISTORY).is_file() {
        return Err(TrainError::Config(format!(
            "{}: the run stopped while fine-tuning, and a fine-tuning stage cannot be \
             resumed yet: run it again (with --config {})",
            dir.display(),
            dir.join(files::RUN_CONFIG).display()
        )));
    }
    let path = dir.join(files::HISTORY);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        TrainError::Config(format!(
            "{}: {e}: there is no run to resume in {}",
            path.display(),
            dir.display()
        ))
    })?;
    let mut history: Vec<EpochRecord> = serde_json::from_str(&text)
        .map_err(|e| TrainError::Config(format!("{}: {e}", path.display())))?;
    const KINDS: [&str; 3] = ["model", "optim", "scheduler"];
    // A checkpoint that loads: all three files whole, the model's fitting the architecture
    // (burn's resume would panic otherwise).
    let loads = |epoch: usize| -> Result<(), TrainError> {
        load_checkpoint(config, dir, epoch, device)?;
        for kind in ["optim", "scheduler"] {
            let path = checkpoint_path(dir, kind, epoch);
            ModuleRecord::load(&path)
                .map_err(|e| TrainError::Record(format!("{}: {e}", path.display())))?;
        }
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
                first_error.get_or_insert(e);
            }
        }
    }
    let Some(epoch) = resumable else {
        return Err(first_error.unwrap_or_else(|| {
            TrainError::Config(format!(
                "{}: no finished epoch has a complete checkpoint to resume from",
                dir.display()
            ))
        }));
    };
    if epoch >= config.epochs {
        return Err(TrainError::Config(format!(
            "{}: the run has already trained {epoch} of its {} epochs; give a larger --epochs \
             to train it further",
            dir.display(),
            config.epochs
        )));
    }
    history.retain(|r| r.epoch <= epoch);
    Ok(ResumePoint { epoch, history })
}
