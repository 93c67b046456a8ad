//! The `aprende` command: every subcommand of training and of using a trained run, in one
//! place. `aprende train` takes the flags of `train`; `aprende predict`, `evaluate`,
//! `recommend`, `serve` and `serve-device` those of `app`.

use clap::{Parser, Subcommand};

/// Train and use the networks deep-learning courses teach, on CPU or GPU.
#[derive(Parser, Debug)]
#[command(name = "aprende", version, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// `aprende`'s subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Train a network (MNIST's MLP by default): a run folder with the model, its config,
    /// its report and pictures.
    Train(Box<train::cli::TrainArgs>),
    /// Use a trained run.
    #[command(flatten)]
    Use(app::cli::Command),
}

/// Parses the command line and runs it; exits the process.
pub fn main() -> ! {
    match Cli::parse().command {
        Command::Train(args) => train::cli::main(*args),
        Command::Use(command) => app::cli::main(command),
    }
}

/// The reference of every subcommand and flag, in Markdown: `docs/cli.md` is this text (a
/// test fails when they differ; `APRENDE_UPDATE_DOCS=1 cargo test --release --test cli`
/// writes it anew).
pub fn reference() -> String {
    use clap::CommandFactory;
    let mut command = Cli::command();
    command.build();
    let mut text = String::from(
        "# Command-line reference\n\n\
         Generated from the code by `APRENDE_UPDATE_DOCS=1 cargo test --release --test cli`; \
         a test fails when this page and the code differ.\n\n\
         `aprende SUBCOMMAND` is the same as `cargo run --release -- SUBCOMMAND`; `aprende train` \
         is also `cargo run --release -p train --`, and the other subcommands are \
         `cargo run --release -p app -- SUBCOMMAND`.\n\n",
    );
    let help = |c: &mut clap::Command| c.render_long_help().to_string();
    let top = help(&mut command);
    text.push_str(&format!("```text\n{}\n```\n", top.trim_end()));
    for sub in command.get_subcommands_mut() {
        if sub.get_name() == "help" {
            continue;
        }
        let name = sub.get_name().to_string();
        let help = help(sub);
        text.push_str(&format!(
            "\n## aprende {name}\n\n```text\n{}\n```\n",
            help.trim_end()
        ));
    }
    text
}
