//! `app`: use a trained aprende model (the same as `aprende predict|evaluate|recommend|serve`).
//!
//! `cargo run --release -p app -- predict --run artifacts/mnist-mlp assets/seven.png`
//! `cargo run --release -p app -- evaluate --run artifacts/mnist-mlp --split valid`
//! `cargo run --release -p app -- serve --runs-dir artifacts`

use clap::Parser;

/// Use a model trained with `train`.
#[derive(Parser, Debug)]
#[command(name = "app", version)]
struct Cli {
    #[command(subcommand)]
    command: app::cli::Command,
}

fn main() {
    app::cli::main(Cli::parse().command)
}
