//! What the binaries do when something breaks that no error value reports: a panic in any
//! thread (burn's workers, its metric store, a data loader, a GPU driver's) ends the process
//! at once with one line that says what failed and how to continue the run, instead of
//! leaving the other threads waiting for it forever.
//!
//! Also the one fault-injection point the tests use to prove it: `APRENDE_FAULT=loader-panic`
//! makes a data-loader thread panic on its third batch.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use burn::data::dataloader::batcher::Batcher;
use burn::prelude::*;

/// The run the process is working on, named by the panic message.
static RUN_DIR: Mutex<Option<PathBuf>> = Mutex::new(None);

/// The exit status of a process that a panic ended.
pub const PANIC_EXIT: i32 = 101;

/// Records that the process now works on the run in `dir` (for the panic message).
pub fn set_run_dir(dir: &Path) {
    *RUN_DIR.lock().unwrap_or_else(|e| e.into_inner()) = Some(dir.to_path_buf());
}

/// Makes a panic in any thread end the process: one line on stderr (with a backtrace first
/// when `RUST_BACKTRACE` asks for one), exit status [`PANIC_EXIT`]. For command-line
/// programs only: a server wants a panicking request to fail alone.
pub fn exit_on_panic() {
    std::panic::set_hook(Box::new(|info| {
        // Nothing must keep the process from ending: a driver thread wedged in an exit
        // handler is cut short after five seconds.
        std::thread::spawn(|| {
            std::thread::sleep(std::time::Duration::from_secs(5));
            std::process::abort();
        });
        if std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0") {
            eprintln!("{}", std::backtrace::Backtrace::force_capture());
        }
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".into());
        let thread = std::thread::current();
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let run = RUN_DIR
            .try_lock()
            .ok()
            .and_then(|dir| dir.clone())
            .map(|dir| {
                format!(
                    " The run's files are in {0}: `train --resume {0}` continues it from its last \
                     finished epoch.",
                    dir.display()
                )
            })
            .unwrap_or_default();
        eprintln!(
            "\nerror: stopped by a panic in thread '{}'{location}: {}.{run}",
            thread.name().unwrap_or("unnamed"),
            message.trim_end_matches('.').replace('\n', " ")
        );
        std::process::exit(PANIC_EXIT);
    }));
}

/// A fault the tests inject, named by `APRENDE_FAULT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// A data-loader thread panics on its third batch.
    LoaderPanic,
}

impl Fault {
    /// The fault `APRENDE_FAULT` asks for, if any.
    pub fn requested() -> Option<Fault> {
        match std::env::var("APRENDE_FAULT").ok()?.as_str() {
            "loader-panic" => Some(Fault::LoaderPanic),
            _ => None,
        }
    }
}

/// A batcher that panics on its third batch when `APRENDE_FAULT=loader-panic`, and otherwise
/// is the batcher it wraps.
#[derive(Clone)]
pub struct FaultyBatcher<B> {
    inner: B,
    fault: Option<Fault>,
    batches: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl<B> FaultyBatcher<B> {
    /// Wraps `inner`, injecting the fault the environment asks for.
    pub fn new(inner: B) -> Self {
        Self {
            inner,
            fault: Fault::requested(),
            batches: Default::default(),
        }
    }
}

impl<I, O, B: Batcher<I, O>> Batcher<I, O> for FaultyBatcher<B> {
    fn batch(&self, items: Vec<I>, device: &Device) -> O {
        let n = self
            .batches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if self.fault == Some(Fault::LoaderPanic) && n == 2 {
            panic!("injected fault (APRENDE_FAULT=loader-panic): a data loader failed");
        }
        self.inner.batch(items, device)
    }
}
