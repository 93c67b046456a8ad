//! `train`: the command line of aprende's training (the same as `aprende train`).
//!
//! `cargo run --release -p train` trains the MNIST MLP on the flex CPU backend, downloading
//! MNIST if it is missing. `--help` lists every flag.

use clap::Parser;

fn main() {
    train::cli::main(train::cli::TrainArgs::parse())
}
