//! Every dataset aprende can train on, by the name `--dataset` takes: the IDX image sets
//! (`mnist`, `fashion-mnist`), image folders (`cats-vs-dogs`, `folder:PATH`), the embedded Iris
//! table (`iris`, or `iris:PATH` for a copy of it), any CSV table (`csv:PATH`, with
//! `--target COLUMN`), the course's `line`, the TensorFlow Playground's generated
//! two-class problems (`circle`, `xor`, `gauss`, `spiral`, with `--points` and `--noise`), and
//! the ratings datasets of the recommender models (`movielens-small`, `movielens-100k`,
//! `ratings:PATH`; see [`crate::ratings`], loaded by [`DatasetSpec::load_ratings`]).

use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::catalog::{DataDir, DatasetName, load_image_dataset};
use crate::download::DownloadOptions;
use crate::error::{DataError, Result};
use crate::folder::load_folder;
use crate::images::{ImageSet, ImageSplits, Values};
use crate::names::{nearest, unknown};
use crate::playground::{self, Problem};
use crate::ratings::{RatingsData, RatingsOptions, RatingsSource};
use crate::split::stratified_split;
use crate::tabular::{Table, TableTarget, Task, parse_csv, read_csv_file};

/// The Iris data set (Fisher, 1936; UCI), 150 rows, embedded in the binary.
pub const IRIS_CSV: &str = include_str!("../assets/iris.csv");

/// A dataset named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatasetSpec {
    /// MNIST or Fashion-MNIST.
    Idx(DatasetName),
    /// Iris: the file given (`iris:PATH`), else `DATA_DIR/iris/iris.csv` when that file
    /// exists, else the copy embedded in the binary.
    Iris(Option<PathBuf>),
    /// A CSV file with a header row.
    Csv(PathBuf),
    /// The course's first program: y = 2x - 1 at x = -1, 0, 1, 2, 3, 4 (regression).
    Line,
    /// `DATA_DIR/cats-vs-dogs/train` for training, `.../validation` as the test split.
    CatsVsDogs,
    /// An image folder: `PATH/train`, and `PATH/test` or `PATH/validation` (else the test split
    /// is taken from `train`).
    Folder(PathBuf),
    /// A TensorFlow Playground problem (`circle`, `xor`, `gauss`, `spiral`): a table of two
    /// features, generated from `--points`, `--noise` and `--seed`, split like a table.
    Playground(Problem),
    /// Ratings for the recommender models: MovieLens (`movielens-small`, `movielens-100k`) or a
    /// ratings CSV (`ratings:PATH`), loaded by [`DatasetSpec::load_ratings`].
    Ratings(RatingsSource),
}

impl FromStr for DatasetSpec {
    type Err = DataError;

    fn from_str(s: &str) -> Result<Self> {
        if s == "iris" {
            return Ok(DatasetSpec::Iris(None));
        }
        if let Some(path) = s.strip_prefix("iris:") {
            if path.is_empty() {
                return Err(DataError::Invalid(
                    "`iris:` needs a path, e.g. iris:data/iris.csv (or plain `iris`)".into(),
                ));
            }
            return Ok(DatasetSpec::Iris(Some(PathBuf::from(path))));
        }
        if s == "line" {
            return Ok(DatasetSpec::Line);
        }
        if let Ok(problem) = Problem::from_str(s) {
            return Ok(DatasetSpec::Playground(problem));
        }
        if s == "movielens-small" {
            return Ok(DatasetSpec::Ratings(RatingsSource::MovielensSmall));
        }
        if s == "movielens-100k" {
            return Ok(DatasetSpec::Ratings(RatingsSource::Movielens100k));
        }
        if let Some(path) = s.strip_prefix("ratings:") {
            if path.is_empty() {
                return Err(DataError::Invalid(
                    "`ratings:` needs a path, e.g. ratings:ratings.csv".into(),
                ));
            }
            return Ok(DatasetSpec::Ratings(RatingsSource::Csv(PathBuf::from(
                path,
            ))));
        }
        if s == "cats-vs-dogs" {
            return Ok(DatasetSpec::CatsVsDogs);
        }
        if let Some(path) = s.strip_prefix("folder:") {
            if path.is_empty() {
                return Err(DataError::Invalid(
                    "`folder:` needs a path, e.g. folder:flowers".into(),
                ));
            }
            return Ok(DatasetSpec::Folder(PathBuf::from(path)));
        }
        if let Some(path) = s.strip_prefix("csv:") {
            if path.is_empty() {
                return Err(DataError::Invalid(
                    "`csv:` needs a path, e.g. csv:houses.csv".into(),
                ));
            }
            return Ok(DatasetSpec::Csv(PathBuf::from(path)));
        }
        DatasetName::from_str(s)
            .map(DatasetSpec::Idx)
            .map_err(|_| unknown_dataset(s))
    }
}

/// The names `--dataset` takes, as the error for an unknown one lists them.
const KNOWN_DATASETS: &str = "mnist, fashion-mnist, cats-vs-dogs, folder:PATH, iris, iris:PATH, \
     line, csv:PATH, movielens-small, movielens-100k, ratings:PATH, circle, xor, gauss, spiral";

/// The error for a `--dataset` that names no dataset: it lists the known ones, and suggests
/// what was probably meant: `folder:PATH`, `csv:PATH` or `ratings:PATH` for an existing path
/// ([`path_suggestion`]), the known prefix nearest to a mistyped one (`cvs:houses.csv`), a
/// prefix given without its path (`csv`), or the nearest known name (`fashion_mnist`).
fn unknown_dataset(s: &str) -> DataError {
    let known: Vec<&str> = KNOWN_DATASETS.split(", ").collect();
    let prefixes: Vec<&str> = known
        .iter()
        .filter_map(|n| n.strip_suffix(":PATH"))
        .collect();
    let names: Vec<&str> = known
        .iter()
        .copied()
        .filter(|n| !n.ends_with(":PATH"))
        .collect();
    let suggestion = path_suggestion(s).or_else(|| match s.split_once(':') {
        Some((prefix, path)) => nearest(prefix, &prefixes).map(|p| format!("{p}:{path}")),
        None if prefixes.contains(&s) => Some(format!("{s}:PATH")),
        None => nearest(s, &names).map(String::from),
    });
    unknown("dataset", s, suggestion, KNOWN_DATASETS, "datasets")
}

/// What a `--dataset` that names an existing path probably meant: `folder:PATH` for a folder,
/// `ratings:PATH` for a file whose first line names a `rating` column, else `csv:PATH`.
fn path_suggestion(s: &str) -> Option<String> {
    let path = Path::new(s);
    let prefix = if path.is_dir() {
        "folder"
    } else if !path.is_file() {
        return None;
    } else if header_has_rating(path) {
        "ratings"
    } else {
        "csv"
    };
    Some(format!("{prefix}:{s}"))
}

/// Whether the first line of the file at `path` (its first 4 KiB at most) names a `rating`
/// column (any case, quoted or not). Unreadable: no.
fn header_has_rating(path: &Path) -> bool {
    let mut head = Vec::new();
    let read = fs::File::open(path).and_then(|f| f.take(4096).read_to_end(&mut head));
    if read.is_err() {
        return false;
    }
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    String::from_utf8_lossy(line)
        .trim_start_matches('\u{feff}')
        .split(',')
        .any(|column| {
            column
                .trim()
                .trim_matches('"')
                .eq_ignore_ascii_case("rating")
        })
}

impl fmt::Display for DatasetSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatasetSpec::Idx(name) => write!(f, "{name}"),
            DatasetSpec::Iris(None) => f.write_str("iris"),
            DatasetSpec::Iris(Some(path)) => write!(f, "iris:{}", path.display()),
            DatasetSpec::Line => f.write_str("line"),
            DatasetSpec::CatsVsDogs => f.write_str("cats-vs-dogs"),
            DatasetSpec::Folder(path) => write!(f, "folder:{}", path.display()),
            DatasetSpec::Csv(path) => write!(f, "csv:{}", path.display()),
            DatasetSpec::Playground(problem) => write!(f, "{problem}"),
            DatasetSpec::Ratings(source) => write!(f, "{source}"),
        }
    }
}

/// The command line's defaults for loading and splitting data, each written once.
pub mod defaults {
    /// Seed of splits, shuffles, initialisation, dropout, noise and augmentation.
    pub const SEED: u64 = 42;
    /// Fraction of a table held out as its test split.
    pub const TEST_SPLIT: f64 = 0.2;
    /// Side of the square images an image folder is resized and cropped to.
    pub const IMAGE_SIZE: usize = 128;
    /// Points of a generated 2-D problem.
    pub const POINTS: usize = 500;
    /// Noise of a generated 2-D problem.
    pub const NOISE: f64 = 0.0;
}

/// How to load a dataset.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Where datasets live.
    pub data_dir: DataDir,
    /// How missing files are fetched.
    pub download: DownloadOptions,
    /// The target column of a table (`species` for Iris).
    pub target: Option<String>,
    /// Fraction of a table held out as its test split (tables have none of their own).
    pub test_split: f64,
    /// Seed of that split.
    pub seed: u64,
    /// Whether a CSV table's target is a class or a number.
    pub task: Task,
    /// Side of the square images of an image folder.
    pub image_size: usize,
    /// Number of points a Playground problem generates (train and test together).
    pub points: usize,
    /// Noise of a Playground problem, in `[0, 0.5]` (the Playground's 0 to 50%).
    pub noise: f64,
    /// How a ratings dataset is read and split (its test share is `test_split`, its seed
    /// `seed`).
    pub ratings: RatingsOptions,
}

impl LoadOptions {
    /// Options for `data_dir` with the command line's defaults: downloads allowed (with the
    /// built-in mirrors), no target column, a 20% test split for tables, seed 42,
    /// classification, 128x128 images, 500 Playground points without noise, ratings read with
    /// the default columns (`user`, `item`, `rating`, `timestamp`) and split at random.
    pub fn new(data_dir: DataDir) -> Self {
        Self {
            data_dir,
            download: DownloadOptions::default(),
            target: None,
            test_split: defaults::TEST_SPLIT,
            seed: defaults::SEED,
            task: Task::Classification,
            image_size: defaults::IMAGE_SIZE,
            points: defaults::POINTS,
            noise: defaults::NOISE,
            ratings: RatingsOptions::default(),
        }
    }
}

impl DatasetSpec {
    /// Whether this is tabular data (whose features aprende standardises), Playground
    /// problems included.
    pub fn is_table(&self) -> bool {
        matches!(
            self,
            DatasetSpec::Iris(_)
                | DatasetSpec::Csv(_)
                | DatasetSpec::Line
                | DatasetSpec::Playground(_)
        )
    }

    /// Whether this is a ratings dataset (for the recommender models).
    pub fn is_ratings(&self) -> bool {
        matches!(self, DatasetSpec::Ratings(_))
    }

    /// Loads a ratings dataset (downloading a missing MovieLens set) and splits it:
    /// `options.test_split` held out as `options.ratings.split` says, seeded by `options.seed`
    /// (see [`RatingsSource::load`]).
    pub fn load_ratings(&self, options: &LoadOptions) -> Result<RatingsData> {
        let DatasetSpec::Ratings(source) = self else {
            return Err(DataError::Invalid(format!(
                "{self} is not a ratings dataset; the recommender models take movielens-small, \
                 movielens-100k or ratings:PATH"
            )));
        };
        source.load(
            &options.data_dir,
            &options.download,
            &options.ratings,
            options.test_split,
            options.seed,
        )
    }

    /// Whether this is an image folder (whose channels aprende normalises).
    pub fn is_folder(&self) -> bool {
        matches!(self, DatasetSpec::CatsVsDogs | DatasetSpec::Folder(_))
    }

    /// A short name for artifact folders (`mnist`, `iris`, `houses`, `spiral`,
    /// `movielens-small`, the stem of a ratings file).
    pub fn short_name(&self) -> String {
        match self {
            DatasetSpec::Ratings(source) => source.short_name(),
            DatasetSpec::Folder(path) | DatasetSpec::Csv(path) => path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "csv".into()),
            DatasetSpec::Iris(_) => "iris".into(),
            other => other.to_string(),
        }
    }

    /// Loads the train and test splits of an image set or a table; a ratings dataset is an
    /// error (it is loaded by [`DatasetSpec::load_ratings`]).
    pub fn load(&self, options: &LoadOptions) -> Result<ImageSplits> {
        match self {
            DatasetSpec::Ratings(_) => Err(DataError::Invalid(format!(
                "{self} is a ratings dataset, for the recommender models \
                 (user-knn, item-knn, matrix-factorization)"
            ))),
            DatasetSpec::Idx(name) => {
                load_image_dataset(*name, &options.data_dir, &options.download)
            }
            DatasetSpec::Iris(path) => {
                let target = options.target.as_deref().unwrap_or("species");
                let in_data_dir = options.data_dir.0.join("iris").join("iris.csv");
                let table = match path {
                    Some(file) => read_csv_file(file, target, Task::Classification)?,
                    None if in_data_dir.is_file() => {
                        read_csv_file(&in_data_dir, target, Task::Classification)?
                    }
                    None => parse_csv("embedded iris.csv", IRIS_CSV, target, Task::Classification)?,
                };
                split_table(table, options, &self.to_string())
            }
            DatasetSpec::Csv(path) => {
                let target = options.target.as_deref().ok_or_else(|| {
                    DataError::Invalid(format!(
                        "{}: say which column to predict with --target COLUMN",
                        path.display()
                    ))
                })?;
                split_table(
                    read_csv_file(path, target, options.task)?,
                    options,
                    &self.to_string(),
                )
            }
            DatasetSpec::CatsVsDogs => {
                let root = options.data_dir.0.join("cats-vs-dogs");
                load_image_folders(&root.join("train"), Some(&root.join("validation")), options)
            }
            DatasetSpec::Folder(root) => {
                let test = ["test", "validation"]
                    .iter()
                    .map(|t| root.join(t))
                    .find(|p| p.is_dir());
                load_image_folders(&root.join("train"), test.as_deref(), options)
            }
            DatasetSpec::Playground(problem) => {
                let set =
                    playground::generate(*problem, options.points, options.noise, options.seed)?;
                Ok(ImageSplits {
                    feature_names: vec!["x1".into(), "x2".into()],
                    ..split_set(set, options, &self.to_string(), "points")?
                })
            }
            DatasetSpec::Line => {
                let xs = [-1.0f32, 0.0, 1.0, 2.0, 3.0, 4.0];
                let ys: Vec<f32> = xs.iter().map(|x| 2.0 * x - 1.0).collect();
                let set = ImageSet {
                    channels: 1,
                    height: 1,
                    width: 1,
                    values: Values::F32(xs.to_vec()),
                    labels: vec![0; xs.len()],
                    class_names: vec!["y".into()],
                    targets: Some(ys),
                };
                // Six points are all there is: train on all of them, as the course does, and
                // report on the same points.
                Ok(ImageSplits {
                    train: set.clone(),
                    test: set,
                    skipped: Vec::new(),
                    feature_names: vec!["x".into()],
                })
            }
        }
    }
}

/// Splits a table (`name` in errors), as examples of `[features, 1, 1]`, into training and
/// test parts, stratified by class and seeded.
fn split_table(table: Table, options: &LoadOptions, name: &str) -> Result<ImageSplits> {
    let n = table.len();
    let (labels, class_names, targets) = match table.target {
        TableTarget::Classes { labels, names } => (labels, names, None),
        TableTarget::Values(values) => (vec![0; n], vec![table.target_name.clone()], Some(values)),
    };
    let feature_names = table.feature_names.clone();
    let set = ImageSet {
        channels: table.feature_names.len(),
        height: 1,
        width: 1,
        values: Values::F32(table.features),
        labels,
        class_names,
        targets,
    };
    Ok(ImageSplits {
        feature_names,
        ..split_set(set, options, name, "rows")?
    })
}

/// Splits the examples (`what`: rows, points) of a table-like `set` (`name` in errors) into
/// training and test parts: `options.test_split` of each class held out for testing, seeded
/// by `options.seed`.
fn split_set(set: ImageSet, options: &LoadOptions, name: &str, what: &str) -> Result<ImageSplits> {
    if !(options.test_split > 0.0 && options.test_split < 1.0) {
        return Err(DataError::Invalid(format!(
            "--test-split must be in (0, 1) for tables, got {}",
            options.test_split
        )));
    }
    let parts = hold_out_test(&set.labels, options, name, what)?;
    Ok(ImageSplits {
        train: set.subset(&parts.train),
        test: set.subset(&parts.valid),
        skipped: Vec::new(),
        feature_names: Vec::new(),
    })
}

/// Holds out `options.test_split` of the examples (`what`: rows, images) of `name` as a test
/// split, stratified and seeded; `valid` of the result is the test part. A split that holds
/// nothing out is an error, not a test accuracy of 0.
fn hold_out_test(
    labels: &[usize],
    options: &LoadOptions,
    name: &str,
    what: &str,
) -> Result<crate::split::StratifiedSplit> {
    let parts = stratified_split(labels, options.test_split, options.seed)?;
    if parts.valid.is_empty() {
        return Err(DataError::Invalid(format!(
            "{name}: --test-split {} of its {} {what} holds none out for testing \
             (every class keeps one for training): give more {what} or a larger --test-split",
            options.test_split,
            labels.len()
        )));
    }
    Ok(parts)
}

/// Loads a training image folder and a test folder (or, without one, a stratified test split of
/// the training folder).
fn load_image_folders(
    train: &Path,
    test: Option<&Path>,
    options: &LoadOptions,
) -> Result<ImageSplits> {
    let (train_set, mut skipped) = load_folder(train, options.image_size, None)?;
    let (train_set, test_set) = match test {
        Some(dir) => {
            let (test_set, test_skipped) =
                load_folder(dir, options.image_size, Some(&train_set.class_names))?;
            skipped.extend(test_skipped);
            (train_set, test_set)
        }
        None => {
            let name = train.display().to_string();
            let parts = hold_out_test(&train_set.labels, options, &name, "images")?;
            (
                train_set.subset(&parts.train),
                train_set.subset(&parts.valid),
            )
        }
    };
    Ok(ImageSplits {
        train: train_set,
        test: test_set,
        skipped,
        feature_names: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(s: &str) -> String {
        DatasetSpec::from_str(s).unwrap_err().to_string()
    }

    #[test]
    fn every_known_name_parses_and_prints_as_given() {
        for name in KNOWN_DATASETS.split(", ") {
            let name = name.replace("PATH", "some/file.csv");
            let spec = DatasetSpec::from_str(&name).unwrap();
            assert_eq!(spec.to_string(), name);
        }
    }

    #[test]
    fn a_mistyped_name_suggests_the_nearest_known_one() {
        let msg = error("fashion_mnist");
        assert!(msg.contains("did you mean `fashion-mnist`?"), "{msg}");
        assert!(msg.contains(KNOWN_DATASETS), "{msg}");
        for (typo, meant) in [
            ("mnst", "mnist"),
            ("FASHION-MNIST", "fashion-mnist"),
            ("cats-vs-dog", "cats-vs-dogs"),
            ("sprial", "spiral"),
            ("movielens", "movielens-small"),
            ("movielens100k", "movielens-100k"),
            ("cvs:houses.csv", "csv:houses.csv"),
            ("folders:flowers", "folder:flowers"),
            ("csv", "csv:PATH"),
        ] {
            let msg = error(typo);
            assert!(
                msg.contains(&format!("did you mean `{meant}`?")),
                "{typo}: {msg}"
            );
        }
        let msg = error("imagenet");
        assert!(!msg.contains("did you mean"), "{msg}");
        assert!(
            msg.starts_with("unknown dataset `imagenet`; known datasets: mnist"),
            "{msg}"
        );
    }

    #[test]
    fn an_existing_path_suggests_folder_csv_or_ratings() {
        let dir = tempfile::tempdir().unwrap();
        let flowers = dir.path().join("flowers");
        fs::create_dir(&flowers).unwrap();
        let table = dir.path().join("table.csv");
        fs::write(&table, "x,y,label\n1,2,a\n").unwrap();
        let shop = dir.path().join("shop.csv");
        fs::write(&shop, "\u{feff}user,item,\"Rating\"\na,b,4\n").unwrap();
        for (path, prefix) in [(flowers, "folder"), (table, "csv"), (shop, "ratings")] {
            let given = path.display().to_string();
            let msg = error(&given);
            assert!(
                msg.contains(&format!("did you mean `{prefix}:{given}`?")),
                "{msg}"
            );
        }
        let missing = dir.path().join("missing.csv").display().to_string();
        assert!(!error(&missing).contains("did you mean"));
    }
}
