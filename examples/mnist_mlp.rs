//! The README's first run from Rust: the MNIST MLP (784-512-512-10, dropout 0.2, Adam), as
//! `aprende train` trains it, in a few lines.
//!
//! `cargo run --release --example mnist_mlp` (add `-- 10` for the full 10 epochs).

use aprende::train::settings::Flags;
use aprende::train::{ProgressMode, RunRequest, prepare};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let epochs = std::env::args().nth(1).map(|e| e.parse()).transpose()?;
    let flags = Flags {
        dataset: Some("mnist".into()),
        model: Some("mlp".into()),
        epochs: Some(epochs.unwrap_or(2)),
        ..Flags::default()
    };
    // Its own folder, beside the quick start's artifacts/mnist-mlp.
    let request = RunRequest {
        artifact_dir: Some("artifacts/mnist-mlp-example".into()),
        ..RunRequest::new(flags)
    };
    let run = prepare(&request)?;
    run.train(ProgressMode::Lines, None)?;
    Ok(())
}
