//! The hyperparameters of a run, saved as `config.json` beside its artifacts so that
//! `--config config.json` reruns the experiment and `app predict` rebuilds the model.

use std::path::Path;

use burn::config::Config;
use burn::lr_scheduler::cosine::CosineAnnealingLrSchedulerConfig;
use burn::lr_scheduler::module_lr_scheduler::ModuleLrScheduler;
use burn::optim::{AdamConfig, SgdConfig, momentum::MomentumConfig};
use burn::optim::{ModuleOptimizer, Optimizer};
use models::{InputSpec, LrSchedule, ModelConfig, ModelOptions};

use crate::error::TrainError;

/// The optimizer algorithm.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// Adam (Kingma & Ba), Keras's default choice in the courses.
    Adam,
    /// Stochastic gradient descent, with optional momentum.
    Sgd,
}

/// Optimizer settings.
#[derive(Config, Debug)]
pub struct OptimizerSettings {
    /// The algorithm.
    #[config(default = "OptimizerKind::Adam")]
    pub kind: OptimizerKind,
    /// Learning rate.
    #[config(default = 1e-3)]
    pub lr: f64,
    /// SGD momentum (0 for none). Ignored by Adam.
    #[config(default = 0.0)]
    pub momentum: f64,
    /// How the learning rate moves from `lr` over the run (`None`, as in configs saved before
    /// schedules existed: constant).
    pub schedule: Option<LrSchedule>,
}

impl OptimizerSettings {
    /// The burn optimizer.
    pub fn init(&self) -> ModuleOptimizer {
        self.init_scaled(1.0)
    }

    /// The burn optimizer, multiplying every gradient by `gradient_scale` before its step
    /// (several devices whose gradients burn sums: see
    /// [`Devices::gradient_scale`](crate::devices::Devices::gradient_scale)).
    pub fn init_scaled(&self, gradient_scale: f64) -> ModuleOptimizer {
        match self.kind {
            // Keras and PyTorch use eps = 1e-7 / 1e-8; burn's default is 1e-5.
            OptimizerKind::Adam => {
                scaled(AdamConfig::new().with_epsilon(1e-7).build(), gradient_scale)
            }
            OptimizerKind::Sgd => {
                let momentum = (self.momentum > 0.0).then(|| {
                    MomentumConfig::new()
                        .with_momentum(self.momentum)
                        .with_dampening(0.0)
                });
                scaled(
                    SgdConfig::new().with_momentum(momentum).build(),
                    gradient_scale,
                )
            }
        }
    }

    /// burn's learning-rate scheduler for a run of `steps` optimizer steps in all.
    pub fn scheduler(&self, steps: usize) -> Result<ModuleLrScheduler, String> {
        match schedule_at(self.schedule.unwrap_or_default(), self.lr, steps) {
            burn::lr_scheduler::LrSchedulerConfig::Constant(lr) => Ok(lr.into()),
            burn::lr_scheduler::LrSchedulerConfig::Composed(c) => c.init(),
            _ => unreachable!("schedule_at makes constant and composed schedules only"),
        }
    }
}

impl OptimizerSettings {
    /// Like [`scheduler`](Self::scheduler), with the parameters of `group` at `factor` times
    /// the rate (discriminative rates: a pretrained backbone learns slower than its new head).
    pub fn scheduler_with_group(
        &self,
        steps: usize,
        group: burn::module::ParamGroup,
        factor: f64,
    ) -> Result<ModuleLrScheduler, String> {
        use burn::lr_scheduler::LrSchedulerConfig;
        use burn::lr_scheduler::module_lr_scheduler::ModuleLrSchedulerConfig;
        let at = |lr: f64| -> LrSchedulerConfig {
            schedule_at(self.schedule.unwrap_or_default(), lr, steps)
        };
        ModuleLrSchedulerConfig::new(at(self.lr))
            .with_group(group, at(self.lr * factor))
            .init()
    }
}

/// `optimizer` over a whole module, its gradients first multiplied by `scale` (unless 1).
fn scaled<O: Optimizer>(optimizer: O, scale: f64) -> ModuleOptimizer {
    if scale == 1.0 {
        ModuleOptimizer::from(optimizer)
    } else {
        ModuleOptimizer::from(ScaledGradients {
            inner: optimizer,
            scale,
        })
    }
}

/// An optimizer that multiplies each gradient by `scale` and hands it to `inner`: the same
/// update as scaling the loss, for every task's loss at once. Its state is `inner`'s, so its
/// checkpoints are those of `inner`.
#[derive(Clone)]
struct ScaledGradients<O> {
    inner: O,
    scale: f64,
}

impl<O: Optimizer> Optimizer for ScaledGradients<O> {
    type State<const D: usize> = O::State<D>;

    fn step<const D: usize>(
        &self,
        lr: f64,
        tensor: burn::tensor::Tensor<D>,
        grad: burn::tensor::Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (burn::tensor::Tensor<D>, Option<Self::State<D>>) {
        self.inner
            .step(lr, tensor, grad.mul_scalar(self.scale), state)
    }

    fn to_device<const D: usize>(
        state: Self::State<D>,
        device: &burn::prelude::Device,
    ) -> Self::State<D> {
        O::to_device(state, device)
    }
}

/// `schedule` from `lr` over `steps` optimizer steps. The cosine curve is burn's from 1 times
/// a constant `lr`: burn's cosine scheduler refuses a starting rate above 1, which the
/// constant schedule accepts, and the two must take the same `--lr`.
fn schedule_at(
    schedule: LrSchedule,
    lr: f64,
    steps: usize,
) -> burn::lr_scheduler::LrSchedulerConfig {
    use burn::lr_scheduler::LrSchedulerConfig;
    use burn::lr_scheduler::composed::ComposedLrSchedulerConfig;
    match schedule {
        LrSchedule::Constant => LrSchedulerConfig::Constant(lr),
        LrSchedule::Cosine => LrSchedulerConfig::Composed(
            ComposedLrSchedulerConfig::new()
                .cosine(CosineAnnealingLrSchedulerConfig::new(1.0, steps.max(1)))
                .constant(lr),
        ),
    }
}

/// The task a run has when nothing says otherwise.
pub const DEFAULT_TASK: &str = "classification";

/// The loss of a reconstruction, per pixel.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Serialize,
    serde::Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum ReconstructionLoss {
    /// Binary cross-entropy on `[0, 1]` pixels (the Keras autoencoder's).
    #[default]
    Bce,
    /// Mean squared error.
    Mse,
}

/// Everything that defines a training run (paths and the backend excepted).
#[derive(Config, Debug)]
pub struct TrainingConfig {
    /// The architecture and its hyperparameters.
    pub model: ModelConfig,
    /// The command-line options the model was built from.
    pub model_options: ModelOptions,
    /// Dataset (`mnist`, `fashion-mnist`, `iris`, `csv:PATH`).
    pub dataset: String,
    /// Shape of the inputs and number of classes.
    pub input: InputSpec,
    /// Class names, indexed by label.
    pub class_names: Vec<String>,
    /// A table's feature columns, in input order (empty for images): what a form asks for.
    #[config(default = "Vec::new()")]
    pub feature_names: Vec<String>,
    /// Optimizer.
    pub optimizer: OptimizerSettings,
    /// Maximum number of epochs.
    #[config(default = 10)]
    pub epochs: usize,
    /// Examples per batch.
    #[config(default = 64)]
    pub batch_size: usize,
    /// Fraction of the training split held out for validation (0: none; the validation
    /// metrics are then those of the training examples, and there is no early stopping).
    #[config(default = "crate::defaults::VAL_SPLIT")]
    pub val_split: f64,
    /// Stop after this many epochs without a lower validation loss (0: never stop early).
    #[config(default = 0)]
    pub patience: usize,
    /// Seed of the split, the shuffles, the initialisation and dropout.
    #[config(default = "crate::defaults::SEED")]
    pub seed: u64,
    /// Data-loading worker threads.
    #[config(default = 1)]
    pub workers: usize,
    /// Per-channel standardisation of the inputs, fitted on the training part (`None`: images
    /// are only scaled to `[0, 1]`, table values are used as they are).
    #[config(default = "None")]
    pub normalization: Option<data::Normalization>,
    /// The target column of a table.
    #[config(default = "None")]
    pub target: Option<String>,
    /// Fraction of a table held out as its test split.
    #[config(default = "crate::defaults::TEST_SPLIT")]
    pub test_split: f64,
    /// The task (`classification`, `regression`, `reconstruct`; see [`crate::task`]).
    #[config(default = "DEFAULT_TASK.to_string()")]
    pub task: String,
    /// Rate of the L1 weight penalty added to the loss (`--l1`).
    #[config(default = 0.0)]
    pub l1: f64,
    /// Rate of the L2 weight penalty added to the loss (`--l2`).
    #[config(default = 0.0)]
    pub l2: f64,
    /// Standard deviation of the Gaussian noise added to a reconstruction's inputs (a
    /// denoising autoencoder; 0: none).
    #[config(default = 0.0)]
    pub input_noise: f64,
    /// The per-pixel loss of a reconstruction.
    #[config(default = "ReconstructionLoss::Bce")]
    pub loss: ReconstructionLoss,
    /// Points of a generated 2-D problem (`--dataset spiral` and the like).
    #[config(default = "data::source::defaults::POINTS")]
    pub points: usize,
    /// Label noise of a generated 2-D problem, in `[0, 0.5]`.
    #[config(default = 0.0)]
    pub noise: f64,
    /// Augmentation of training images.
    #[config(default = "data::augment::Pipeline::default()")]
    pub augment: data::augment::Pipeline,
    /// Side of the square images an image folder is resized and cropped to.
    #[config(default = "crate::defaults::IMAGE_SIZE")]
    pub image_size: usize,
    /// The weights the network starts from instead of a fresh initialisation.
    #[config(default = "None")]
    pub init_from: Option<InitFrom>,
    /// Epochs of fine-tuning after the head of a pretrained backbone has trained: the last
    /// `unfreeze` blocks train too, at a tenth of the head's rate (0: none).
    #[config(default = 0)]
    pub fine_tune: usize,
    /// Backbone blocks (counted from the last) that fine-tuning trains.
    #[config(default = "crate::defaults::UNFREEZE")]
    pub unfreeze: usize,
    /// How a ratings dataset is read and split.
    #[config(default = "RatingsConfig::default()")]
    pub ratings: RatingsConfig,
}

/// How a ratings dataset is read and split: `--split` and, for `ratings:PATH`, the column
/// names, the items file and the rating scale (`None`: the defaults of [`data::RatingColumns`]
/// and the observed scale).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
pub struct RatingsConfig {
    /// Which ratings are held out.
    #[serde(default)]
    pub split: data::RatingsSplit,
    /// The user column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_column: Option<String>,
    /// The item column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_column: Option<String>,
    /// The rating column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating_column: Option<String>,
    /// The time column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_column: Option<String>,
    /// A file of item titles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<std::path::PathBuf>,
    /// The rating scale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<data::RatingScale>,
}

impl RatingsConfig {
    /// The data crate's loading options.
    pub fn load_options(&self) -> data::RatingsOptions {
        let defaults = data::RatingColumns::default();
        data::RatingsOptions {
            columns: data::RatingColumns {
                user: self.user_column.clone().unwrap_or(defaults.user),
                item: self.item_column.clone().unwrap_or(defaults.item),
                rating: self.rating_column.clone().unwrap_or(defaults.rating),
                time: self.time_column.clone().or(defaults.time),
            },
            items: self.items.clone(),
            scale: self.scale,
            split: self.split,
        }
    }
}

/// Where a run's starting weights come from.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InitFrom {
    /// A PyTorch state dict of pretrained weights (ImageNet's, for EfficientNet-Lite0).
    Pytorch(std::path::PathBuf),
    /// The `model.bpk` of an earlier aprende run of the same architecture.
    Run(std::path::PathBuf),
}

impl TrainingConfig {
    /// This config with the fixed input normalisation that `pretrained` weights expect
    /// (EfficientNet-Lite0's `(pixel - 127) / 128` on every channel).
    pub fn normalized_as(self, pretrained: &models::Pretrained) -> Self {
        let input = &pretrained.input;
        self.with_normalization(Some(data::Normalization {
            mean: vec![input.mean; input.channels],
            std: vec![input.std; input.channels],
        }))
    }

    /// This config with its inputs standardised per channel by the mean and standard
    /// deviation of `data`'s training part, as the `train` binary does by default.
    pub fn standardized_on(self, data: &crate::TrainingData) -> Self {
        self.with_normalization(Some(data::Normalization::fit(
            &data.train,
            &data.split.train,
        )))
    }

    /// A config for training the registered architecture `model` on `set` (whose shape and
    /// classes fix the model's input and output), with the other settings at their defaults.
    pub fn for_data(
        model: &str,
        options: ModelOptions,
        dataset: &str,
        set: &data::ImageSet,
        optimizer: OptimizerSettings,
    ) -> Result<Self, TrainError> {
        let input = InputSpec {
            channels: set.channels,
            height: set.height,
            width: set.width,
            num_classes: set.num_classes(),
            ratings: None,
        };
        Self::for_input(
            model,
            options,
            dataset,
            input,
            set.class_names.clone(),
            optimizer,
        )
    }

    /// A config for training the registered architecture `model` on inputs of shape `input`,
    /// with the other settings at their defaults.
    pub fn for_input(
        model: &str,
        options: ModelOptions,
        dataset: &str,
        input: InputSpec,
        class_names: Vec<String>,
        optimizer: OptimizerSettings,
    ) -> Result<Self, TrainError> {
        let entry = models::registry_find(model)?;
        let model = (entry.config)(&options, &input)?;
        // A network of layers keeps them in its options too, so that rerunning or resuming
        // it as `sequential` builds the same network, whatever registered it.
        let options = match &model {
            ModelConfig::Sequential(c) => ModelOptions {
                layers: Some(c.layers.clone()),
                ..options
            },
            _ => options,
        };
        Ok(TrainingConfig::new(
            model,
            options,
            dataset.to_string(),
            input,
            class_names,
            optimizer,
        ))
    }

    /// Checks that the settings make sense.
    pub fn validate(&self) -> Result<(), TrainError> {
        let bad = |m: String| Err(TrainError::Config(m));
        if self.epochs == 0 {
            return bad("--epochs must be at least 1".into());
        }
        if self.batch_size == 0 {
            return bad("--batch-size must be at least 1".into());
        }
        if !(0.0..1.0).contains(&self.val_split) {
            return bad(format!(
                "--val-split must be in [0, 1), got {} (the validation split picks the best epoch)",
                self.val_split
            ));
        }
        if self.val_split == 0.0 && self.patience > 0 {
            return bad(format!(
                "--patience {} needs held-out data to watch: give --val-split a fraction above 0",
                self.patience
            ));
        }
        if !(self.optimizer.lr > 0.0 && self.optimizer.lr.is_finite()) {
            return bad(format!("--lr must be positive, got {}", self.optimizer.lr));
        }
        if !(0.0..1.0).contains(&self.optimizer.momentum) {
            return bad(format!(
                "--momentum must be in [0, 1), got {}",
                self.optimizer.momentum
            ));
        }
        for (flag, rate) in [("--l1", self.l1), ("--l2", self.l2)] {
            if !(rate >= 0.0 && rate.is_finite()) {
                return bad(format!("{flag} must be a rate of 0 or more, got {rate}"));
            }
        }
        if !(0.0..=1.0).contains(&self.input_noise) {
            return bad(format!(
                "--input-noise is a standard deviation on [0, 1] pixels: give 0 to 1, got {}",
                self.input_noise
            ));
        }
        if self.fine_tune > 0 && self.unfreeze == 0 {
            return bad(
                "--fine-tune needs at least one block to train: --unfreeze 0 \
                        leaves the backbone frozen"
                    .into(),
            );
        }
        if self.class_names.len() != self.input.num_classes {
            return bad(format!(
                "{} class names for {} classes",
                self.class_names.len(),
                self.input.num_classes
            ));
        }
        Ok(())
    }

    /// Writes `config.json`, atomically.
    pub fn save_atomic(&self, path: &Path) -> Result<(), TrainError> {
        let json = serde_json::to_vec_pretty(self).map_err(|e| TrainError::Io(e.to_string()))?;
        data::fsutil::write_atomic(path, &json)?;
        Ok(())
    }

    /// Reads a `config.json`, with an error naming the file.
    pub fn load_file(path: &Path) -> Result<Self, TrainError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| TrainError::Config(format!("{}: {e}", path.display())))?;
        Self::from_json(&text).map_err(|e| {
            TrainError::Config(format!(
                "{}: not an aprende training config: {e}",
                path.display()
            ))
        })
    }

    /// Reads a config from JSON. A setting the JSON does not have (a config saved by an
    /// earlier version, before the setting existed) takes its default.
    pub fn from_json(text: &str) -> Result<Self, String> {
        /// The settings without a default.
        #[derive(serde::Deserialize)]
        struct Required {
            model: ModelConfig,
            model_options: ModelOptions,
            dataset: String,
            input: InputSpec,
            class_names: Vec<String>,
            optimizer: OptimizerSettings,
        }
        let mut value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let required: Required =
            serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
        let defaults = serde_json::to_value(TrainingConfig::new(
            required.model,
            required.model_options,
            required.dataset,
            required.input,
            required.class_names,
            required.optimizer,
        ))
        .map_err(|e| e.to_string())?;
        if let (Some(given), serde_json::Value::Object(defaults)) =
            (value.as_object_mut(), defaults)
        {
            for (key, default) in defaults {
                given.entry(key).or_insert(default);
            }
        }
        serde_json::from_value(value).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rates(settings: &OptimizerSettings, steps: usize) -> Vec<f64> {
        let mut scheduler = settings.scheduler(steps).unwrap();
        (0..steps).map(|_| scheduler.step().base()).collect()
    }

    #[test]
    fn a_constant_schedule_keeps_the_learning_rate() {
        let settings = OptimizerSettings::new().with_lr(0.01);
        assert!(rates(&settings, 10).iter().all(|&lr| lr == 0.01));
    }

    #[test]
    fn a_cosine_schedule_anneals_from_the_learning_rate_towards_zero_over_the_run() {
        let settings = OptimizerSettings::new()
            .with_lr(3e-4)
            .with_schedule(Some(LrSchedule::Cosine));
        let lrs = rates(&settings, 100);
        assert!((lrs[0] - 3e-4).abs() < 1e-12, "first step {}", lrs[0]);
        assert!((lrs[50] - 1.5e-4).abs() < 1e-12, "half-way {}", lrs[50]);
        assert!(lrs[99] < 3e-4 * 1e-3, "last step {}", lrs[99]);
        assert!(
            lrs.windows(2).all(|w| w[1] <= w[0]),
            "not decreasing: {lrs:?}"
        );
    }

    #[test]
    fn a_config_saved_before_a_setting_existed_reads_with_its_default() {
        let input = InputSpec {
            channels: 4,
            height: 1,
            width: 1,
            num_classes: 3,
            ratings: None,
        };
        let options = ModelOptions {
            hidden: vec![10],
            ..ModelOptions::default()
        };
        let model = (models::registry_find("mlp").unwrap().config)(&options, &input).unwrap();
        let config = TrainingConfig::new(
            model,
            options,
            "iris".into(),
            input,
            vec!["a".into(), "b".into(), "c".into()],
            OptimizerSettings::new(),
        )
        .with_seed(7)
        .with_l2(0.01);
        let mut json = serde_json::to_value(&config).unwrap();
        // What session 5's aprende wrote: no penalty, no reconstruction or Playground settings.
        for key in ["l1", "l2", "input_noise", "loss", "points", "noise", "task"] {
            json.as_object_mut().unwrap().remove(key);
        }
        let old = TrainingConfig::from_json(&json.to_string()).unwrap();
        assert_eq!(old.seed, 7);
        assert_eq!((old.l1, old.l2, old.input_noise), (0.0, 0.0, 0.0));
        assert_eq!(old.task, "classification");
        assert_eq!(old.model.name(), "mlp");
        // A config missing a setting without a default is still an error.
        json.as_object_mut().unwrap().remove("model");
        let err = TrainingConfig::from_json(&json.to_string()).unwrap_err();
        assert!(err.contains("model"), "{err}");
        assert!(TrainingConfig::from_json("not json").is_err());
    }

    #[test]
    fn an_old_config_without_a_schedule_reads_as_constant() {
        let json = r#"{"kind": "adam", "lr": 0.001, "momentum": 0.0}"#;
        let settings: OptimizerSettings = serde_json::from_str(json).unwrap();
        assert_eq!(settings.schedule, None);
        assert!(rates(&settings, 5).iter().all(|&lr| lr == 0.001));
    }
}
