//! The settings of a training run, resolved once: a flag given on the command line wins,
//! then the saved config being rerun or resumed (`--config`, `--resume`), then the
//! architecture's own recipe, then aprende's defaults ([`defaults`]). [`Flags`] are the raw
//! flags as given; [`Settings::resolve`] is the one place the precedence is written.

use data::{DatasetSpec, LoadOptions};
use models::{ActivationKind, LrSchedule, ModelEntry, ModelOptions, Recipe};

use crate::config::{InitFrom, OptimizerKind, OptimizerSettings, TrainingConfig};
use crate::error::TrainError;
use crate::task::{self, ReconstructionLoss, Task};

pub use crate::defaults;
use crate::flags::task_names;
pub use crate::flags::{Flags, Hidden, Layers, heading};

/// The course's first program (`--dataset line`): one dense unit trained with SGD for 500
/// epochs on all six points, whatever the model's own recipe.
pub const LINE_RECIPE: Recipe = Recipe {
    epochs: 500,
    lr: 1e-2,
    schedule: LrSchedule::Constant,
    dropout: 0.0,
    hidden: &[],
    ..Recipe::STANDARD
};

/// The TensorFlow Playground's problems (`--dataset circle|xor|gauss|spiral`): its rate of
/// 0.03, its tanh, its default network of 4 and 2 units and 300 epochs; no dropout (a
/// network of a few units has nothing to spare: with the MLP's 0.2 the spiral's 8-8-8
/// network reached 0.61, without it 0.98). Adam, cosine-annealed, batch 64, as elsewhere.
pub const PLAYGROUND_RECIPE: Recipe = Recipe {
    epochs: 300,
    lr: 0.03,
    dropout: 0.0,
    hidden: &[4, 2],
    activation: ActivationKind::Tanh,
    ..Recipe::STANDARD
};

/// Iris (`--dataset iris`), the course's small table: its lab's 4-10-10-3 network without
/// dropout, batch 8 for 100 epochs. With the MLP's own recipe (batch 64: two steps an epoch,
/// 10 epochs) a new user's first run reached 0.53; this one reaches 0.97, as Keras does.
pub const IRIS_RECIPE: Recipe = Recipe {
    epochs: 100,
    batch_size: 8,
    dropout: 0.0,
    hidden: &[10, 10],
    ..Recipe::STANDARD
};

/// The recipe a dataset imposes whatever the model's: the course's first program, the
/// Playground's problems and Iris have their own.
fn dataset_recipe(dataset: &DatasetSpec) -> Option<Recipe> {
    match dataset {
        DatasetSpec::Line => Some(LINE_RECIPE),
        DatasetSpec::Playground(_) => Some(PLAYGROUND_RECIPE),
        DatasetSpec::Iris(_) => Some(IRIS_RECIPE),
        _ => None,
    }
}

/// A run's settings, resolved: everything [`TrainingConfig`] holds except what the data
/// decides (input shape, classes, normalisation statistics).
#[derive(Debug, Clone)]
pub struct Settings {
    /// The dataset.
    pub dataset: DatasetSpec,
    /// The architecture's registry entry.
    pub entry: &'static ModelEntry,
    /// The task.
    pub task: &'static dyn Task,
    /// The architecture's options.
    pub options: ModelOptions,
    /// The optimizer.
    pub optimizer: OptimizerSettings,
    /// Maximum epochs.
    pub epochs: usize,
    /// Examples per batch.
    pub batch_size: usize,
    /// Early-stopping patience.
    pub patience: usize,
    /// Data-loading threads.
    pub workers: usize,
    /// Validation fraction.
    pub val_split: f64,
    /// Seed.
    pub seed: u64,
    /// A table's target column.
    pub target: Option<String>,
    /// Training-image augmentation.
    pub augment: data::augment::Pipeline,
    /// A table's test fraction.
    pub test_split: f64,
    /// Image folders' image side.
    pub image_size: usize,
    /// A 2-D problem's points.
    pub points: usize,
    /// A 2-D problem's noise.
    pub noise: f64,
    /// Fine-tuning epochs.
    pub fine_tune: usize,
    /// Blocks fine-tuning trains.
    pub unfreeze: usize,
    /// Where the starting weights come from, when the flags or the saved config say (a
    /// pretrained architecture's default weights are found by the caller).
    pub init_from: Option<InitFrom>,
    /// Whether to standardise the inputs on the training split.
    pub standardize: bool,
    /// L1 penalty rate.
    pub l1: f64,
    /// L2 penalty rate.
    pub l2: f64,
    /// Denoising noise.
    pub input_noise: f64,
    /// Reconstruction loss.
    pub loss: ReconstructionLoss,
    /// Whether a flag or the saved config named the task (else it follows the data).
    pub task_given: bool,
    /// How a ratings dataset is read and split.
    pub ratings: crate::config::RatingsConfig,
}

impl Settings {
    /// Resolves `flags` against `saved` (the config being rerun or resumed) and the
    /// architecture's recipe: a flag wins, then the saved config, then the recipe, then
    /// [`defaults`].
    pub fn resolve(flags: &Flags, saved: Option<&TrainingConfig>) -> Result<Self, TrainError> {
        /// The first of: the flag, the saved value, the default.
        fn pick<T: Clone>(flag: &Option<T>, saved: Option<T>, default: T) -> T {
            flag.clone().or(saved).unwrap_or(default)
        }
        let dataset_name = pick(
            &flags.dataset,
            saved.map(|c| c.dataset.clone()),
            defaults::DATASET.to_string(),
        );
        let dataset: DatasetSpec = dataset_name.parse()?;
        let model = pick(
            &flags.model,
            saved.map(|c| c.model.name().to_string()),
            if dataset.is_ratings() {
                defaults::RECOMMENDER
            } else {
                defaults::MODEL
            }
            .to_string(),
        );
        let entry = models::registry_find(&model)?;
        let recipe = dataset_recipe(&dataset).unwrap_or(entry.recipe);
        let task_name = match (&flags.task, saved) {
            (Some(name), _) => name.clone(),
            (None, Some(c)) => c.task.clone(),
            (None, None) if recipe.reconstructs => task::Reconstruction.name().to_string(),
            (None, None) if recipe.recommends => task::Recommendation.name().to_string(),
            // Classes, unless the data turns out to have values (see `follow_data`).
            (None, None) => task::DEFAULT.to_string(),
        };
        let task = task::find(&task_name)?;
        task.check_model(entry)?;

        let saved_options = saved.map(|c| &c.model_options);
        let options = ModelOptions {
            hidden: pick(
                &flags.hidden.as_ref().map(|h| h.0.clone()),
                saved_options.map(|o| o.hidden.clone()),
                recipe.hidden.to_vec(),
            ),
            activation: pick(
                &flags.activation,
                saved_options.map(|o| o.activation),
                recipe.activation,
            ),
            dropout: pick(
                &flags.dropout,
                saved_options.map(|o| o.dropout),
                recipe.dropout,
            ),
            batch_norm: pick(&flags.batch_norm, saved_options.map(|o| o.batch_norm), true),
            widths: flags
                .widths
                .clone()
                .or_else(|| saved_options.and_then(|o| o.widths.clone())),
            code: pick(
                &flags.code,
                saved_options.map(|o| o.code),
                models::DEFAULT_CODE,
            ),
            factors: pick(
                &flags.factors,
                saved_options.map(|o| o.factors),
                models::DEFAULT_FACTORS,
            ),
            neighbours: pick(
                &flags.k,
                saved_options.map(|o| o.neighbours),
                models::DEFAULT_NEIGHBOURS,
            ),
            similarity: pick(
                &flags.similarity,
                saved_options.map(|o| o.similarity),
                models::Similarity::default(),
            ),
            min_overlap: pick(
                &flags.min_overlap,
                saved_options.map(|o| o.min_overlap),
                models::DEFAULT_MIN_OVERLAP,
            ),
            layers: flags
                .layers
                .as_ref()
                .map(|l| l.0.clone())
                .or_else(|| saved_options.and_then(|o| o.layers.clone())),
        };
        let saved_ratings = saved.map(|c| &c.ratings);
        let ratings = crate::config::RatingsConfig {
            split: pick(
                &flags.split,
                saved_ratings.map(|r| r.split),
                data::RatingsSplit::default(),
            ),
            user_column: flags
                .user_col
                .clone()
                .or_else(|| saved_ratings.and_then(|r| r.user_column.clone())),
            item_column: flags
                .item_col
                .clone()
                .or_else(|| saved_ratings.and_then(|r| r.item_column.clone())),
            rating_column: flags
                .rating_col
                .clone()
                .or_else(|| saved_ratings.and_then(|r| r.rating_column.clone())),
            time_column: flags
                .time_col
                .clone()
                .or_else(|| saved_ratings.and_then(|r| r.time_column.clone())),
            items: flags
                .items
                .clone()
                .or_else(|| saved_ratings.and_then(|r| r.items.clone())),
            scale: flags
                .rating_scale
                .or_else(|| saved_ratings.and_then(|r| r.scale)),
        };
        let saved_optimizer = saved.map(|c| &c.optimizer);
        let is_line = dataset == DatasetSpec::Line;
        let optimizer = OptimizerSettings::new()
            .with_kind(pick(
                &flags.optimizer,
                saved_optimizer.map(|o| o.kind),
                if is_line {
                    OptimizerKind::Sgd
                } else {
                    OptimizerKind::Adam
                },
            ))
            .with_lr(pick(&flags.lr, saved_optimizer.map(|o| o.lr), recipe.lr))
            .with_momentum(pick(
                &flags.momentum,
                saved_optimizer.map(|o| o.momentum),
                0.0,
            ))
            .with_schedule(Some(pick(
                &flags.lr_schedule,
                saved_optimizer.map(|o| o.schedule.unwrap_or_default()),
                recipe.schedule,
            )));
        let image_size = pick(
            &flags.image_size,
            saved.map(|c| c.image_size),
            entry
                .pretrained
                .map_or(defaults::IMAGE_SIZE, |p| p.input.image_size),
        );
        let init_from = match &flags.init_from {
            Some(dir) => Some(InitFrom::Run(dir.clone())),
            None => saved.and_then(|c| c.init_from.clone()),
        };
        let augment = match &flags.augment {
            Some(a) => a.parse()?,
            None => saved.map(|c| c.augment.clone()).unwrap_or_default(),
        };
        let settings = Settings {
            entry,
            task,
            options,
            optimizer,
            epochs: pick(&flags.epochs, saved.map(|c| c.epochs), recipe.epochs),
            batch_size: pick(
                &flags.batch_size,
                saved.map(|c| c.batch_size),
                recipe.batch_size,
            ),
            patience: pick(&flags.patience, saved.map(|c| c.patience), recipe.patience),
            workers: pick(&flags.workers, saved.map(|c| c.workers), defaults::WORKERS),
            val_split: pick(
                &flags.val_split,
                saved.map(|c| c.val_split),
                if is_line { 0.0 } else { defaults::VAL_SPLIT },
            ),
            seed: pick(&flags.seed, saved.map(|c| c.seed), defaults::SEED),
            target: flags
                .target
                .clone()
                .or_else(|| saved.and_then(|c| c.target.clone())),
            augment,
            test_split: pick(
                &flags.test_split,
                saved.map(|c| c.test_split),
                defaults::TEST_SPLIT,
            ),
            image_size,
            points: pick(&flags.points, saved.map(|c| c.points), defaults::POINTS),
            noise: pick(&flags.noise, saved.map(|c| c.noise), defaults::NOISE),
            fine_tune: pick(&flags.fine_tune, saved.map(|c| c.fine_tune), 0),
            unfreeze: pick(
                &flags.unfreeze,
                saved.map(|c| c.unfreeze),
                defaults::UNFREEZE,
            ),
            init_from,
            standardize: pick(
                &flags.standardize,
                saved.map(|c| c.normalization.is_some()),
                task.standardizes_inputs(),
            ),
            l1: pick(&flags.l1, saved.map(|c| c.l1), 0.0),
            l2: pick(&flags.l2, saved.map(|c| c.l2), recipe.l2),
            input_noise: pick(&flags.input_noise, saved.map(|c| c.input_noise), 0.0),
            loss: pick(
                &flags.loss,
                saved.map(|c| c.loss),
                ReconstructionLoss::default(),
            ),
            task_given: flags.task.is_some() || saved.is_some(),
            ratings,
            dataset,
        };
        crate::applicable::check(
            flags,
            &crate::applicable::Choice {
                dataset: &settings.dataset,
                entry: settings.entry,
                task: settings.task,
                optimizer: settings.optimizer.kind,
                fine_tune: settings.fine_tune,
                has_layers: settings.options.layers.is_some(),
            },
        )?;
        Ok(settings)
    }

    /// Lets a task nobody named follow the data: examples with target values (`--dataset
    /// line`) are learned by regression.
    pub fn follow_data(&mut self, has_values: bool) {
        if !self.task_given
            && has_values
            && !self.entry.recipe.reconstructs
            && !self.entry.recipe.recommends
        {
            self.task = &task::Regression;
        }
    }

    /// How to load the dataset.
    pub fn load_options(
        &self,
        data_dir: data::DataDir,
        download: data::DownloadOptions,
    ) -> LoadOptions {
        LoadOptions {
            data_dir,
            download,
            target: self.target.clone(),
            test_split: self.test_split,
            seed: self.seed,
            task: self.task.target_kind(),
            image_size: self.image_size,
            points: self.points,
            noise: self.noise,
            ratings: self.ratings.load_options(),
        }
    }

    /// The run's config for data whose training split is `train` (its shape and classes fix
    /// the model's input and output); normalisation is set afterwards
    /// ([`TrainingConfig::standardized_on`], [`TrainingConfig::normalized_as`]).
    pub fn config_for(&self, train: &data::ImageSet) -> Result<TrainingConfig, TrainError> {
        self.config_for_ratings(train, None)
    }

    /// [`config_for`](Settings::config_for) for data that may be ratings (`ratings`: their
    /// users, items and scale).
    pub fn config_for_ratings(
        &self,
        train: &data::ImageSet,
        ratings: Option<models::RatingsShape>,
    ) -> Result<TrainingConfig, TrainError> {
        let input = models::InputSpec {
            channels: train.channels,
            height: train.height,
            width: train.width,
            num_classes: train.num_classes(),
            ratings,
        };
        Ok(TrainingConfig::for_input(
            self.entry.name,
            self.options.clone(),
            &self.dataset.to_string(),
            input,
            train.class_names.clone(),
            self.optimizer.clone(),
        )?
        .with_epochs(self.epochs)
        .with_batch_size(self.batch_size)
        .with_patience(self.patience)
        .with_workers(self.workers)
        .with_val_split(self.val_split)
        .with_seed(self.seed)
        .with_target(self.target.clone())
        .with_augment(self.augment.clone())
        .with_test_split(self.test_split)
        .with_image_size(self.image_size)
        .with_points(self.points)
        .with_noise(self.noise)
        .with_fine_tune(self.fine_tune)
        .with_unfreeze(self.unfreeze)
        .with_init_from(self.init_from.clone())
        .with_task(self.task.name().to_string())
        .with_l1(self.l1)
        .with_l2(self.l2)
        .with_input_noise(self.input_noise)
        .with_loss(self.loss)
        .with_ratings(self.ratings.clone()))
    }
}

/// `--help`'s list of models, tasks and the training defaults each model brings.
pub fn models_help() -> String {
    let mut s = String::from("Models, and the training defaults each brings:\n");
    for entry in models::REGISTRY {
        let r = entry.recipe;
        if r == Recipe::NEIGHBOURS {
            s.push_str(&format!(
                "  {:<18} {}\n  {:<18} nothing to train: answers from the training ratings; --k {}, --similarity {}, --min-overlap {}\n",
                entry.name,
                entry.description,
                "",
                models::DEFAULT_NEIGHBOURS,
                models::Similarity::default(),
                models::DEFAULT_MIN_OVERLAP
            ));
            continue;
        }
        s.push_str(&format!(
            "  {:<18} {}\n  {:<18} epochs {}, batch {}, lr {} ({}), patience {}, dropout {}{}\n",
            entry.name,
            entry.description,
            "",
            r.epochs,
            r.batch_size,
            r.lr,
            r.schedule,
            r.patience,
            r.dropout,
            if r.reconstructs {
                ", task reconstruct".to_string()
            } else if r.recommends {
                format!(", l2 {}, task recommend", r.l2)
            } else {
                String::new()
            }
        ));
    }
    let p = PLAYGROUND_RECIPE;
    let iris = IRIS_RECIPE;
    s.push_str(&format!(
        "  (--dataset line: one dense unit, SGD lr {}, {} epochs)\n  (--dataset circle, xor, gauss, spiral: \
         --hidden {:?}, {}, lr {}, {} epochs, dropout {})\n  (--dataset iris: --hidden {:?}, batch {}, \
         {} epochs, dropout {})\n\nTasks ({}):\n",
        LINE_RECIPE.lr,
        LINE_RECIPE.epochs,
        p.hidden,
        p.activation,
        p.lr,
        p.epochs,
        p.dropout,
        iris.hidden,
        iris.batch_size,
        iris.epochs,
        iris.dropout,
        task_names().join(", ")
    ));
    for t in task::REGISTRY {
        s.push_str(&format!("  {:<18} {}\n", t.name(), t.description()));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::{parse_hidden, parse_task};

    fn flags(f: impl FnOnce(&mut Flags)) -> Flags {
        let mut flags = Flags::default();
        f(&mut flags);
        flags
    }

    /// A tiny image set of `classes` classes, 1x16x16.
    fn images(classes: usize) -> data::ImageSet {
        data::ImageSet {
            channels: 1,
            height: 16,
            width: 16,
            values: data::Values::U8(vec![0; classes * 256]),
            labels: (0..classes).collect(),
            class_names: (0..classes).map(|c| c.to_string()).collect(),
            targets: None,
        }
    }

    #[test]
    fn a_flag_beats_the_saved_config_which_beats_the_recipe() {
        let recipe = models::registry_find("lenet").unwrap().recipe;
        let fresh = Settings::resolve(&flags(|f| f.model = Some("lenet".into())), None).unwrap();
        assert_eq!(fresh.optimizer.lr, recipe.lr);
        assert_eq!(fresh.epochs, recipe.epochs);
        assert_eq!(fresh.seed, defaults::SEED);
        let saved = Settings::resolve(
            &flags(|f| {
                f.model = Some("lenet".into());
                f.lr = Some(0.5);
                f.epochs = Some(3);
                f.seed = Some(7);
            }),
            None,
        )
        .unwrap()
        .config_for(&images(3))
        .unwrap();
        // Rerunning the saved config: its values, where no flag is given.
        let rerun = Settings::resolve(&Flags::default(), Some(&saved)).unwrap();
        assert_eq!(rerun.entry.name, "lenet");
        assert_eq!((rerun.optimizer.lr, rerun.epochs, rerun.seed), (0.5, 3, 7));
        // A flag wins over it.
        let overridden = Settings::resolve(&flags(|f| f.epochs = Some(9)), Some(&saved)).unwrap();
        assert_eq!((overridden.optimizer.lr, overridden.epochs), (0.5, 9));
    }

    #[test]
    fn each_architecture_brings_its_own_defaults() {
        let mlp = Settings::resolve(&Flags::default(), None).unwrap();
        assert_eq!(mlp.entry.name, defaults::MODEL);
        assert_eq!(mlp.options.hidden, vec![512, 512]);
        assert_eq!(mlp.options.dropout, 0.2);
        assert_eq!(mlp.task.name(), "classification");
        assert!(mlp.standardize);
        // The catsdogs CNN's dropout is its recipe's, and its config's default is the same.
        let catsdogs =
            Settings::resolve(&flags(|f| f.model = Some("catsdogs".into())), None).unwrap();
        let recipe = models::registry_find("catsdogs").unwrap().recipe;
        assert_eq!(catsdogs.options.dropout, recipe.dropout);
        assert_eq!(
            models::CatsDogsConfig::new(3, 128, 128, 2).dropout,
            recipe.dropout
        );
        // An autoencoder reconstructs, on [0, 1] pixels, with the Keras example's settings.
        let ae = Settings::resolve(&flags(|f| f.model = Some("autoencoder".into())), None).unwrap();
        assert_eq!(ae.task.name(), "reconstruct");
        assert!(!ae.standardize);
        assert_eq!((ae.batch_size, ae.epochs), (256, 50));
        assert_eq!(ae.options.code, models::DEFAULT_CODE);
        assert_eq!(ae.options.hidden, Vec::<usize>::new());
    }

    #[test]
    fn the_line_and_the_playground_bring_their_recipes() {
        let mut line =
            Settings::resolve(&flags(|f| f.dataset = Some("line".into())), None).unwrap();
        assert_eq!(line.optimizer.kind, OptimizerKind::Sgd);
        assert_eq!((line.epochs, line.val_split), (500, 0.0));
        assert!(line.options.hidden.is_empty());
        // Nobody named a task: the line's target values make it a regression.
        line.follow_data(true);
        assert_eq!(line.task.name(), "regression");
        let spiral = Settings::resolve(
            &flags(|f| {
                f.dataset = Some("spiral".into());
                f.hidden = Some(Hidden(vec![8, 8, 8]));
            }),
            None,
        )
        .unwrap();
        assert_eq!(spiral.options.activation, ActivationKind::Tanh);
        assert_eq!(spiral.options.hidden, vec![8, 8, 8]);
        assert_eq!(
            (spiral.optimizer.lr, spiral.epochs, spiral.options.dropout),
            (0.03, 300, 0.0)
        );
        // A task given by flag is kept whatever the data.
        let mut named =
            Settings::resolve(&flags(|f| f.task = Some("classification".into())), None).unwrap();
        named.follow_data(true);
        assert_eq!(named.task.name(), "classification");
    }

    #[test]
    fn unknown_names_are_errors_that_list_the_known_ones() {
        let err = parse_task("sorting").unwrap_err();
        assert!(
            err.contains("classification") && err.contains("reconstruct"),
            "{err}"
        );
        assert_eq!(parse_task("reconstruction").unwrap(), "reconstruct");
        assert!(parse_hidden("8,x").is_err());
        assert_eq!(parse_hidden("none").unwrap(), Hidden(Vec::new()));
    }

    #[test]
    fn a_task_the_model_cannot_learn_is_an_error() {
        let err = Settings::resolve(&flags(|f| f.task = Some("reconstruct".into())), None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("needs an autoencoder") && err.contains("`mlp`"),
            "{err}"
        );
        let err = Settings::resolve(
            &flags(|f| {
                f.model = Some("conv-autoencoder".into());
                f.task = Some("classification".into());
            }),
            None,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("--task reconstruct"), "{err}");
    }
}
