//! The datasets aprende knows by name: where their files live in the data directory, their
//! published sha256 sums, their download mirrors and their class names.

use std::path::{Path, PathBuf};

use crate::download::{self, DownloadOptions, FileSet};
pub use crate::download::{RemoteFile, find_file};
use crate::error::{DataError, Result};
use crate::idx;
use crate::images::{ImageSet, ImageSplits, Values};
use crate::names::impl_named;

/// A dataset of 28x28 grayscale IDX images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetName {
    /// Handwritten digits (LeCun et al.).
    Mnist,
    /// Zalando's Fashion-MNIST: ten kinds of clothing.
    FashionMnist,
}

const MNIST_FILES: [RemoteFile; 4] = [
    RemoteFile {
        name: "train-images-idx3-ubyte.gz",
        sha256: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    },
    RemoteFile {
        name: "train-labels-idx1-ubyte.gz",
        sha256: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    },
    RemoteFile {
        name: "t10k-images-idx3-ubyte.gz",
        sha256: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    },
    RemoteFile {
        name: "t10k-labels-idx1-ubyte.gz",
        sha256: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
];

const FASHION_FILES: [RemoteFile; 4] = [
    RemoteFile {
        name: "train-images-idx3-ubyte.gz",
        sha256: "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    },
    RemoteFile {
        name: "train-labels-idx1-ubyte.gz",
        sha256: "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    },
    RemoteFile {
        name: "t10k-images-idx3-ubyte.gz",
        sha256: "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    },
    RemoteFile {
        name: "t10k-labels-idx1-ubyte.gz",
        sha256: "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    },
];

const FASHION_CLASSES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

impl DatasetName {
    /// Every dataset, in the order the CLI lists them.
    pub const ALL: [DatasetName; 2] = [DatasetName::Mnist, DatasetName::FashionMnist];

    /// The name used on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            DatasetName::Mnist => "mnist",
            DatasetName::FashionMnist => "fashion-mnist",
        }
    }

    /// The folder of this dataset inside the data directory.
    pub fn subdir(self) -> &'static str {
        self.as_str()
    }

    /// The published files, with their sha256 sums.
    pub fn files(self) -> &'static [RemoteFile; 4] {
        match self {
            DatasetName::Mnist => &MNIST_FILES,
            DatasetName::FashionMnist => &FASHION_FILES,
        }
    }

    /// The class names, index by label.
    pub fn class_names(self) -> Vec<String> {
        match self {
            DatasetName::Mnist => (0..10).map(|d| d.to_string()).collect(),
            DatasetName::FashionMnist => FASHION_CLASSES.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// The environment variable that overrides the download mirrors (comma-separated base URLs).
    pub fn mirror_env_var(self) -> &'static str {
        match self {
            DatasetName::Mnist => "APRENDE_MNIST_MIRRORS",
            DatasetName::FashionMnist => "APRENDE_FASHION_MNIST_MIRRORS",
        }
    }

    /// The built-in download mirrors (base URLs; a file's URL is the base joined with its name).
    pub fn default_mirrors(self) -> &'static [&'static str] {
        match self {
            DatasetName::Mnist => &[
                "https://storage.googleapis.com/cvdf-datasets/mnist/",
                "https://ossci-datasets.s3.amazonaws.com/mnist/",
            ],
            DatasetName::FashionMnist => &[
                "https://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
            ],
        }
    }
}

impl FileSet for DatasetName {
    fn files(&self) -> &[RemoteFile] {
        DatasetName::files(*self)
    }

    fn subdir(&self) -> &str {
        DatasetName::subdir(*self)
    }

    fn mirror_env_var(&self) -> &str {
        DatasetName::mirror_env_var(*self)
    }

    fn default_mirrors(&self) -> &[&str] {
        DatasetName::default_mirrors(*self)
    }
}

impl_named!(DatasetName, as_str, "dataset", "datasets");

/// Where datasets live on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir(pub PathBuf);

impl DataDir {
    /// The environment variable naming the data directory.
    pub const ENV: &'static str = "APRENDE_DATA_DIR";

    /// The data directory: `flag` if given, else `$APRENDE_DATA_DIR`, else a per-user cache
    /// directory (`~/.cache/aprende/data` on Linux).
    pub fn resolve(flag: Option<&Path>) -> DataDir {
        if let Some(dir) = flag {
            return DataDir(dir.to_path_buf());
        }
        if let Some(dir) = std::env::var_os(Self::ENV).filter(|v| !v.is_empty()) {
            return DataDir(PathBuf::from(dir));
        }
        let base = dirs::cache_dir()
            .or_else(|| dirs::home_dir().map(|h| h.join(".cache")))
            .unwrap_or_else(std::env::temp_dir);
        DataDir(base.join("aprende").join("data"))
    }

    /// The folder of `dataset`.
    pub fn dataset_dir(&self, dataset: DatasetName) -> PathBuf {
        self.0.join(dataset.subdir())
    }
}

/// Loads a dataset's train and test splits, downloading missing files first (unless
/// `download.offline`).
pub fn load_image_dataset(
    dataset: DatasetName,
    data_dir: &DataDir,
    download: &DownloadOptions,
) -> Result<ImageSplits> {
    let dir = data_dir.dataset_dir(dataset);
    download::ensure_files(dataset, &dir, download)?;
    let path = |i: usize| {
        find_file(&dir, &dataset.files()[i]).ok_or_else(|| {
            DataError::io(
                dir.join(dataset.files()[i].name),
                std::io::Error::new(std::io::ErrorKind::NotFound, "file vanished"),
            )
        })
    };
    let classes = dataset.class_names();
    let load = |images: PathBuf, labels: PathBuf| -> Result<ImageSet> {
        let (imgs, labs) = idx::read_pair(&images, &labels, classes.len())?;
        Ok(ImageSet {
            channels: 1,
            height: imgs.rows,
            width: imgs.cols,
            values: Values::U8(imgs.pixels),
            labels: labs.into_iter().map(usize::from).collect(),
            class_names: classes.clone(),
            targets: None,
        })
    };
    let train = load(path(0)?, path(1)?)?;
    let test = load(path(2)?, path(3)?)?;
    if (train.height, train.width) != (test.height, test.width) {
        return Err(DataError::Invalid(format!(
            "{}: train images are {}x{} but test images are {}x{}",
            dir.display(),
            train.height,
            train.width,
            test.height,
            test.width
        )));
    }
    Ok(ImageSplits {
        train,
        test,
        skipped: Vec::new(),
        feature_names: Vec::new(),
    })
}
