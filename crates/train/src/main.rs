//! `train`: the command line of aprende's training.
//!
//! `cargo run --release -p train` trains the MNIST MLP on the flex CPU backend, downloading
//! MNIST if it is missing. `--help` lists every flag.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use burn::module::Module;
use burn::train::Interrupter;
use clap::Parser;
use data::{DataDir, DatasetSpec, DownloadOptions};
use train::run::files;
use train::settings::{Flags, Settings};
use train::task::recommendation::{rating_splits, ratings_shape};
use train::{
    BackendKind, DeviceList, FitOptions, InitFrom, ProgressMode, TrainingConfig, TrainingData,
    fit_task,
};

/// Train a neural network with burn, on CPU (flex, ndarray) or GPU (wgpu, cuda).
#[derive(Parser, Debug)]
#[command(name = "train", version, after_help = train::settings::models_help())]
struct Args {
    /// Compute backend: flex (fast CPU), ndarray (CPU), wgpu (GPU), cuda.
    #[arg(long, default_value = "flex", value_enum)]
    backend: BackendKind,
    /// Train data-parallel on several devices: flex,flex | cuda (every GPU) | cuda:0,cuda:1 |
    /// wgpu:0,wgpu:1 | ws://HOST:PORT/INDEX,... (devices `app serve-device` serves).
    /// --batch-size is per device [default: the --backend device alone]
    #[arg(long, value_name = "LIST", conflicts_with = "backend")]
    devices: Option<DeviceList>,
    /// With CUDA devices: burn's distributed data parallel (NCCL all-reduce) instead of its
    /// multi-device strategy
    #[arg(long)]
    ddp: bool,
    /// The token `app serve-device --token` asks of remote devices
    #[arg(long, env = "APRENDE_REMOTE_TOKEN", hide_env_values = true)]
    remote_token: Option<String>,
    /// What to train, and how.
    #[command(flatten)]
    flags: Flags,
    /// Data directory (else $APRENDE_DATA_DIR, else ~/.cache/aprende/data)
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Never download; missing files are an error that says where to put them
    #[arg(long)]
    offline: bool,
    /// Where to write the run [default: artifacts/DATASET-MODEL]
    #[arg(long)]
    artifact_dir: Option<PathBuf>,
    /// A saved config.json to rerun; other flags override its values
    #[arg(long)]
    config: Option<PathBuf>,
    /// Continue the run in DIR (interrupted, killed, or to train it longer with --epochs)
    /// from its last checkpoint; other flags override its config.json as with --config
    #[arg(long, value_name = "DIR", conflicts_with_all = ["config", "artifact_dir"])]
    resume: Option<PathBuf>,
    /// Progress display: auto (TUI on a terminal, else a line per epoch), lines, quiet
    #[arg(long, default_value = "auto", value_enum)]
    progress: ProgressMode,
}

/// An interrupter that the first Ctrl-C (SIGINT or SIGTERM) triggers: training stops after
/// the current batch and the best epoch finished so far is saved and reported. A second one
/// quits at once. (The terminal UI reads keys itself: there `q` offers the same stop.)
fn stop_on_ctrl_c() -> Interrupter {
    let interrupter = Interrupter::new();
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGINT, SIGTERM};
        match signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) {
            Ok(mut signals) => {
                let handle = interrupter.clone();
                std::thread::spawn(move || {
                    for _ in signals.forever() {
                        if handle.should_stop() {
                            eprintln!("\nInterrupted again: quitting without saving.");
                            std::process::exit(130);
                        }
                        eprintln!(
                            "\nInterrupted: stopping after this batch and saving the best epoch so far \
                             (Ctrl-C again quits at once)."
                        );
                        handle.stop(Some("interrupted by the user"));
                    }
                });
            }
            Err(e) => eprintln!("warning: Ctrl-C will kill the run unsaved: {e}"),
        }
    }
    interrupter
}

fn main() {
    train::faults::exit_on_panic();
    let args = Args::parse();
    // burn creates some state on its default device and moves it later: a resumed run's
    // optimizer state, for one. Make that device the one training runs on, so that
    // `--backend flex` never starts a GPU backend (or fails where none exists); remote
    // devices' state starts on flex, which every build has.
    let backend = args
        .devices
        .as_ref()
        .map_or(Some(args.backend), DeviceList::local_backend)
        .unwrap_or(BackendKind::Flex);
    // SAFETY: nothing else runs yet; no other thread can read the environment meanwhile.
    unsafe { std::env::set_var("BURN_DEVICE", backend.to_string()) };
    if let Err(e) = run(args) {
        eprintln!("error: {}", train::describe(e.as_ref()));
        std::process::exit(1);
    }
}

fn run(args: Args) -> Result<()> {
    // The devices first: a missing GPU or a refused --ddp is said before any data loads.
    let devices = args
        .devices
        .clone()
        .unwrap_or_else(|| DeviceList::single(args.backend))
        .open(args.ddp, args.remote_token.as_deref())?;
    // A resumed run's config is the one beside its checkpoints (the run may have been
    // killed before it wrote config.json; runs of older versions only have config.json).
    let saved_config = args
        .resume
        .as_ref()
        .map(|dir| {
            let in_progress = dir.join(files::RUN_CONFIG);
            if in_progress.is_file() {
                in_progress
            } else {
                dir.join(files::CONFIG)
            }
        })
        .or(args.config.clone());
    let base = saved_config
        .as_deref()
        .map(TrainingConfig::load_file)
        .transpose()?;
    let mut settings = Settings::resolve(&args.flags, base.as_ref())?;
    let dataset = settings.dataset.clone();
    let entry = settings.entry;

    let data_dir = DataDir::resolve(args.data_dir.as_deref());
    let download = DownloadOptions {
        mirrors: None,
        offline: args.offline,
        progress: true,
    };
    if entry.pretrained.is_none() && args.flags.weights.is_some() {
        bail!(
            "--weights is for pretrained architectures (efficientnet-lite0), not `{}`",
            entry.name
        );
    }
    // A pretrained architecture starts from its weights unless --init-from says otherwise.
    if entry.pretrained.is_some() && args.flags.init_from.is_none() {
        let path = data::resolve_weights(
            &data::EFFICIENTNET_LITE0,
            args.flags.weights.as_deref(),
            &data_dir,
            &download,
        )?;
        println!("Pretrained weights: {}", path.display());
        settings.init_from = Some(InitFrom::Pytorch(path));
    }
    match &dataset {
        DatasetSpec::Idx(name) => {
            println!(
                "Loading {dataset} from {}",
                data_dir.dataset_dir(*name).display()
            )
        }
        _ => println!("Loading {dataset}"),
    }
    let load_options = settings.load_options(data_dir, download);
    let (splits, ratings) = if dataset.is_ratings() {
        let ratings = dataset.load_ratings(&load_options)?;
        describe_ratings(&ratings);
        (rating_splits(&ratings), Some(Arc::new(ratings)))
    } else {
        (dataset.load(&load_options)?, None)
    };
    for skip in &splits.skipped {
        eprintln!("skipped {}: {}", skip.path.display(), skip.reason);
    }
    settings.follow_data(splits.train.is_regression());
    let shape = ratings
        .as_ref()
        .map(|r| ratings_shape(&r.catalog, &r.train));
    let config = settings
        .config_for_ratings(&splits.train, shape)?
        .with_feature_names(splits.feature_names.clone());
    config.validate()?;

    let device = devices.main().clone();
    let mut data = TrainingData::new(splits, config.val_split, config.seed)?;
    if let Some(ratings) = ratings {
        data = data.with_ratings(ratings);
    }
    // Inputs are standardised per channel with statistics of the training part only; the
    // statistics go into config.json so evaluation and prediction reuse them.
    let config = match entry.pretrained {
        Some(p) => {
            if args.flags.standardize.is_some() {
                eprintln!(
                    "note: --standardize is ignored: {} normalises as its pretrained weights expect",
                    entry.name
                );
            }
            config.normalized_as(&p)
        }
        None if settings.standardize => config.standardized_on(&data),
        None => config,
    };
    let sizes = data.sizes();
    let artifact_dir = match (&args.resume, &args.artifact_dir) {
        (Some(dir), _) | (None, Some(dir)) => dir.clone(),
        (None, None) => {
            PathBuf::from("artifacts").join(format!("{}-{}", dataset.short_name(), entry.name))
        }
    };
    if let Some(dir) = &args.resume {
        println!("Resuming the run in {}", dir.display());
    }
    train::faults::set_run_dir(&artifact_dir);

    print!("{}", config.model.init(&device).summary());
    if config.model.init(&device).num_params() == 0 {
        println!(
            "Indexing the {} training ratings on {} ({} test ratings held out), {}",
            sizes.train + sizes.valid,
            devices.describe(),
            sizes.test,
            settings.task.name()
        );
    } else {
        println!(
            "Training on {} ({} train, {}, {} test examples), {}, {} epochs, batch {}, {:?} lr {} ({}){}",
            devices.describe(),
            sizes.train,
            if sizes.valid > 0 {
                format!("{} validation", sizes.valid)
            } else {
                "validation on the training examples".to_string()
            },
            sizes.test,
            settings.task.name(),
            config.epochs,
            if devices.replicas() > 1 {
                format!(
                    "{} per device ({} per step)",
                    config.batch_size,
                    config.batch_size * devices.replicas()
                )
            } else {
                config.batch_size.to_string()
            },
            config.optimizer.kind,
            config.optimizer.lr,
            config.optimizer.schedule.unwrap_or_default(),
            if config.patience > 0 {
                format!(
                    ", early stopping after {} epochs without improvement",
                    config.patience
                )
            } else {
                String::new()
            }
        );
    }
    let outcome = fit_task(
        settings.task,
        &config,
        &data,
        &device,
        &FitOptions {
            progress: args.progress,
            interrupter: Some(stop_on_ctrl_c()),
            resume: args.resume.is_some(),
            ..FitOptions::new(&artifact_dir, devices.backend.clone())
        }
        .with_devices(devices),
    )
    .with_context(|| format!("training run in {}", artifact_dir.display()))?;
    let r = &outcome.report;
    if let Some(divergence) = &outcome.diverged {
        println!(
            "Kept epoch {} of {} finished before the loss diverged. Artifacts in {}",
            r.best_epoch,
            r.epochs_run,
            artifact_dir.display()
        );
        bail!("{divergence}");
    }
    if outcome.network.num_params() == 0 {
        // A neighbourhood recommender: nothing trains.
        println!(
            "Done: `{}` answers from its {} training ratings. Test: {}",
            r.model,
            sizes.train + sizes.valid,
            settings.task.headline(&r.test)
        );
        println!("Artifacts in {}", artifact_dir.display());
        return Ok(());
    }
    if r.epochs_run == 0 {
        bail!("no epoch finished");
    }
    println!(
        "{} after {} epoch{} ({:.1} s). Best epoch {}: val_loss {:.4}. Test: {}",
        if r.interrupted {
            "Interrupted"
        } else if r.stopped_early {
            "Stopped early"
        } else {
            "Done"
        },
        r.epochs_run,
        if r.epochs_run == 1 { "" } else { "s" },
        r.train_seconds,
        r.best_epoch,
        r.best().map_or(f64::NAN, |b| b.val_loss),
        settings.task.headline(&r.test),
    );
    if let Some(reg) = &r.regularization {
        println!(
            "Weight penalty (L1 {}, L2 {}): {:.6} on the kept weights",
            reg.l1, reg.l2, reg.penalty
        );
    }
    if let Some(t) = &r.transfer
        && t.cached_images > 0
    {
        println!(
            "Transfer: backbone features of {} images in {:.1} s ({:.1} images/s), head {} epochs{}",
            t.cached_images,
            t.extraction_seconds,
            t.images_per_second(),
            t.head_epochs,
            if t.fine_tune_epochs > 0 {
                format!(", fine-tuning {} epochs", t.fine_tune_epochs)
            } else {
                String::new()
            }
        );
    }
    if dataset == DatasetSpec::Line {
        let y = train::forward_examples(
            &outcome.network,
            &config.input,
            config.normalization.as_ref(),
            &[vec![10.0]],
            &device,
        );
        println!("Prediction for x = 10: {:.4} (the line gives 19)", y[0]);
    }
    println!("Artifacts in {}", artifact_dir.display());
    Ok(())
}

/// Says what a ratings dataset holds and how it was split.
fn describe_ratings(ratings: &data::RatingsData) {
    let c = &ratings.catalog;
    println!(
        "{} ratings of {} items by {} users, scale {} to {}; {} for training, {} held out",
        ratings.train.len() + ratings.test.len(),
        c.items.len(),
        c.users.len(),
        c.scale.min,
        c.scale.max,
        ratings.train.len(),
        ratings.test.len()
    );
    if ratings.duplicates > 0 {
        eprintln!(
            "warning: {} ratings rated an item its user had already rated: the later rating of each pair was kept",
            ratings.duplicates
        );
    }
    let cold = ratings.cold;
    if cold.ratings > 0 {
        println!(
            "{} held-out ratings are of {} users and {} items with no training rating: the baseline answers them",
            cold.ratings, cold.users, cold.items
        );
    }
}
