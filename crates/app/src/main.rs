//! `app`: use a trained aprende model.
//!
//! `cargo run --release -p app -- predict --run artifacts/mnist-mlp digit.png`
//! `cargo run --release -p app -- evaluate --run artifacts/mnist-mlp --split valid`

use std::path::PathBuf;
use std::str::FromStr;

use anyhow::Result;
use app::{EvalSplit, EvaluateOptions, ScoredClass, evaluate_run, predict_files, predict_rows};
use clap::{Parser, Subcommand};
use data::{DataDir, DownloadOptions};
use train::BackendKind;

/// Use a model trained with `train`.
#[derive(Parser, Debug)]
#[command(name = "app", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print the most probable classes of each image (PNG, JPEG or BMP, any size) or table row.
    Predict {
        /// The run's artifact directory (holds config.json and model.bpk).
        #[arg(long)]
        run: PathBuf,
        /// Images to classify; a folder stands for the images in it.
        #[arg(required_unless_present = "values")]
        images: Vec<PathBuf>,
        /// A table row to classify, comma-separated feature values (repeat for more rows).
        #[arg(long, value_parser = parse_row)]
        values: Vec<Row>,
        /// How many classes to show per image.
        #[arg(long, default_value_t = 3)]
        top: usize,
        /// Print one JSON object per line: {"path", "top": [{"class", "probability"}]}.
        #[arg(long)]
        json: bool,
        /// Compute backend: flex, ndarray, wgpu, cuda.
        #[arg(long, default_value = "flex", value_parser = BackendKind::from_str)]
        backend: BackendKind,
    },
    /// Recompute the metrics and report files of a saved model on a dataset split.
    Evaluate {
        /// The run's artifact directory.
        #[arg(long)]
        run: PathBuf,
        /// Dataset to evaluate on [default: the run's]
        #[arg(long)]
        dataset: Option<String>,
        /// Split: test, valid (the run's validation part) or train
        #[arg(long, default_value = "test", value_parser = EvalSplit::from_str)]
        split: EvalSplit,
        /// Data directory (else $APRENDE_DATA_DIR, else ~/.cache/aprende/data)
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Never download missing data files
        #[arg(long)]
        offline: bool,
        /// Where to write [default: RUN/eval-DATASET-SPLIT]
        #[arg(long)]
        out: Option<PathBuf>,
        /// Compute backend: flex, ndarray, wgpu, cuda.
        #[arg(long, default_value = "flex", value_parser = BackendKind::from_str)]
        backend: BackendKind,
    },
}

/// One `--values` row.
#[derive(Debug, Clone)]
struct Row(Vec<f32>);

fn parse_row(s: &str) -> Result<Row, String> {
    s.split(',')
        .map(|v| {
            v.trim()
                .parse::<f32>()
                .map_err(|_| format!("`{v}` is not a number"))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Row)
}

fn format_top(top: &[ScoredClass]) -> String {
    let classes: Vec<String> = top
        .iter()
        .map(|c| format!("{} ({:.1}%)", c.class, 100.0 * c.probability))
        .collect();
    classes.join(", ")
}

fn main() {
    match run(Cli::parse()) {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("error: {}", train::describe(e.as_ref()));
            std::process::exit(2);
        }
    }
}

/// Runs the command; `Ok(false)` when some images failed (the others were still predicted).
fn run(cli: Cli) -> Result<bool> {
    match cli.command {
        Command::Predict {
            run,
            images,
            values,
            top,
            json,
            backend,
        } => {
            let device = backend.device()?;
            if !values.is_empty() {
                let rows: Vec<Vec<f32>> = values.into_iter().map(|r| r.0).collect();
                for p in predict_rows(&run, &rows, top, &device)? {
                    if json {
                        println!("{}", serde_json::to_string(&p)?);
                    } else {
                        match (&p.top, p.prediction) {
                            (Some(top), _) => println!("{:?}: {}", p.values, format_top(top)),
                            (None, Some(y)) => println!("{:?}: {y}", p.values),
                            (None, None) => {}
                        }
                    }
                }
                if images.is_empty() {
                    return Ok(true);
                }
            }
            let outcome = predict_files(&run, &images, top, &device)?;
            for failure in &outcome.failures {
                eprintln!("error: {failure}");
            }
            for p in outcome.predictions {
                if json {
                    println!("{}", serde_json::to_string(&p)?);
                } else {
                    println!("{}: {}", p.path, format_top(&p.top));
                }
            }
            Ok(outcome.failures.is_empty())
        }
        Command::Evaluate {
            run,
            dataset,
            split,
            data_dir,
            offline,
            out,
            backend,
        } => {
            let device = backend.device()?;
            let options = EvaluateOptions {
                dataset,
                split,
                data_dir: DataDir::resolve(data_dir.as_deref()),
                download: DownloadOptions {
                    mirrors: None,
                    offline,
                    progress: true,
                },
                out,
            };
            let (report, out) = evaluate_run(&run, &options, &device)?;
            let m = &report.metrics;
            let scores = match &report.classification {
                Some(c) => format!(
                    "loss {:.4}, accuracy {:.4}, macro F1 {:.4}, weighted F1 {:.4}",
                    m.loss,
                    m.accuracy.unwrap_or(f64::NAN),
                    c.macro_avg.f1,
                    c.weighted_avg.f1
                ),
                None => format!(
                    "MSE {:.6}, MAE {:.6}, R^2 {:.6}",
                    m.loss,
                    m.mae.unwrap_or(f64::NAN),
                    m.r2.unwrap_or(f64::NAN)
                ),
            };
            println!(
                "{} on {} ({}): {scores}",
                report.model,
                report.dataset,
                split.as_str()
            );
            println!("Results in {}", out.display());
            Ok(true)
        }
    }
}
