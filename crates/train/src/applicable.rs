//! A flag that does not apply to the chosen model, dataset or task is an error that names the
//! flag and why, never silently ignored (`--fine-tune` on an MLP, `--augment` on Iris).
//! Only flags given count: values from a saved config or a recipe are never refused.

use data::{DatasetSpec, RatingsSource};
use models::Recipe;

use crate::config::OptimizerKind;
use crate::error::TrainError;
use crate::flags::Flags;
use crate::task::Task;

/// What the rules look at: the run's choices, resolved.
pub(crate) struct Choice<'a> {
    /// The dataset.
    pub dataset: &'a DatasetSpec,
    /// The architecture.
    pub entry: &'static models::ModelEntry,
    /// The task.
    pub task: &'static dyn Task,
    /// The optimizer.
    pub optimizer: OptimizerKind,
    /// Fine-tuning epochs.
    pub fine_tune: usize,
    /// Whether the model options hold layers (`--layers`, or a saved config's).
    pub has_layers: bool,
}

/// Whether the flags give a flag.
type Given = fn(&Flags) -> bool;

/// One rule: the flag, whether it was given, and why it does not apply to `settings` (`None`
/// when it does).
#[derive(Clone, Copy)]
struct Rule {
    flag: &'static str,
    given: Given,
    refuse: fn(&Choice<'_>) -> Option<String>,
}

/// The model options each architecture declares (`ArchitectureConfig::OPTIONS`), with whether
/// the flags gave them.
const MODEL_OPTIONS: &[(&str, Given)] = &[
    ("hidden", |f| f.hidden.is_some()),
    ("activation", |f| f.activation.is_some()),
    ("dropout", |f| f.dropout.is_some()),
    ("batch-norm", |f| f.batch_norm.is_some()),
    ("widths", |f| f.widths.is_some()),
    ("code", |f| f.code.is_some()),
    ("factors", |f| f.factors.is_some()),
    ("k", |f| f.k.is_some()),
    ("similarity", |f| f.similarity.is_some()),
    ("min-overlap", |f| f.min_overlap.is_some()),
    ("layers", |f| f.layers.is_some()),
];

fn images_only(s: &Choice<'_>) -> Option<String> {
    (s.dataset.is_table() || s.dataset.is_ratings())
        .then(|| format!("`{}` is not a dataset of images", s.dataset))
}

fn folders_only(s: &Choice<'_>) -> Option<String> {
    (!s.dataset.is_folder()).then(|| {
        format!(
            "it sizes the photos of an image folder (cats-vs-dogs, folder:PATH); `{}` has a fixed size",
            s.dataset
        )
    })
}

fn tables_only(s: &Choice<'_>) -> Option<String> {
    (!matches!(s.dataset, DatasetSpec::Csv(_) | DatasetSpec::Iris(_))).then(|| {
        format!(
            "it names a column of a CSV table; `{}` is not one",
            s.dataset
        )
    })
}

fn held_out_tables(s: &Choice<'_>) -> Option<String> {
    // An image folder without `test/` or `validation/` holds out --test-split of `train/`.
    matches!(s.dataset, DatasetSpec::Idx(_) | DatasetSpec::CatsVsDogs).then(|| {
        format!(
            "`{}` comes with its own test split (--test-split is for tables, ratings and image \
             folders without one)",
            s.dataset
        )
    })
}

fn playground_only(s: &Choice<'_>) -> Option<String> {
    (!matches!(s.dataset, DatasetSpec::Playground(_))).then(|| {
        format!(
            "it shapes a 2-D problem (circle, xor, gauss, spiral), not `{}`",
            s.dataset
        )
    })
}

fn ratings_only(s: &Choice<'_>) -> Option<String> {
    (!s.dataset.is_ratings()).then(|| format!("`{}` is not a dataset of ratings", s.dataset))
}

fn ratings_file_only(s: &Choice<'_>) -> Option<String> {
    (!matches!(s.dataset, DatasetSpec::Ratings(RatingsSource::Csv(_)))).then(|| {
        format!(
            "it describes a ratings:PATH file; `{}` is read as it is",
            s.dataset
        )
    })
}

fn pretrained_only(s: &Choice<'_>) -> Option<String> {
    s.entry.pretrained.is_none().then(|| {
        format!(
            "it is for pretrained architectures ({}), not `{}`",
            pretrained_names(),
            s.entry.name
        )
    })
}

fn reconstruction_only(s: &Choice<'_>) -> Option<String> {
    (s.task.name() != "reconstruct").then(|| {
        format!(
            "it is for autoencoders (--task reconstruct), and this run's task is {}",
            s.task.name()
        )
    })
}

fn trained_only(s: &Choice<'_>) -> Option<String> {
    (s.entry.recipe == Recipe::NEIGHBOURS).then(|| {
        format!(
            "`{}` trains nothing: it answers from the training ratings",
            s.entry.name
        )
    })
}

const RULES: &[Rule] = &[
    Rule {
        flag: "augment",
        given: |f| f.augment.as_deref().is_some_and(|a| a != "none"),
        refuse: images_only,
    },
    Rule {
        flag: "image-size",
        given: |f| f.image_size.is_some(),
        refuse: folders_only,
    },
    Rule {
        flag: "target",
        given: |f| f.target.is_some(),
        refuse: tables_only,
    },
    Rule {
        flag: "test-split",
        given: |f| f.test_split.is_some(),
        refuse: held_out_tables,
    },
    Rule {
        flag: "points",
        given: |f| f.points.is_some(),
        refuse: playground_only,
    },
    Rule {
        flag: "noise",
        given: |f| f.noise.is_some(),
        refuse: playground_only,
    },
    Rule {
        flag: "split",
        given: |f| f.split.is_some(),
        refuse: ratings_only,
    },
    Rule {
        flag: "user-col",
        given: |f| f.user_col.is_some(),
        refuse: ratings_file_only,
    },
    Rule {
        flag: "item-col",
        given: |f| f.item_col.is_some(),
        refuse: ratings_file_only,
    },
    Rule {
        flag: "rating-col",
        given: |f| f.rating_col.is_some(),
        refuse: ratings_file_only,
    },
    Rule {
        flag: "time-col",
        given: |f| f.time_col.is_some(),
        refuse: ratings_file_only,
    },
    Rule {
        flag: "items",
        given: |f| f.items.is_some(),
        refuse: ratings_file_only,
    },
    Rule {
        flag: "rating-scale",
        given: |f| f.rating_scale.is_some(),
        refuse: ratings_file_only,
    },
    Rule {
        flag: "weights",
        given: |f| f.weights.is_some(),
        refuse: pretrained_only,
    },
    Rule {
        flag: "fine-tune",
        given: |f| f.fine_tune.is_some(),
        refuse: pretrained_only,
    },
    Rule {
        flag: "unfreeze",
        given: |f| f.unfreeze.is_some(),
        refuse: |s| {
            pretrained_only(s).or_else(|| {
                (s.fine_tune == 0).then(|| {
                    "it sets the blocks --fine-tune trains: give --fine-tune N too".to_string()
                })
            })
        },
    },
    Rule {
        flag: "standardize",
        given: |f| f.standardize.is_some(),
        refuse: |s| {
            s.entry.pretrained.is_some().then(|| {
                format!(
                    "`{}` normalises its inputs as its pretrained weights expect",
                    s.entry.name
                )
            })
        },
    },
    Rule {
        flag: "loss",
        given: |f| f.loss.is_some(),
        refuse: reconstruction_only,
    },
    Rule {
        flag: "input-noise",
        given: |f| f.input_noise.is_some(),
        refuse: reconstruction_only,
    },
    Rule {
        flag: "momentum",
        given: |f| f.momentum.is_some(),
        refuse: |s| {
            (s.optimizer != OptimizerKind::Sgd)
                .then(|| "it is SGD's: add --optimizer sgd".to_string())
        },
    },
];

/// The flags of training by gradient, which a model that trains nothing refuses.
const TRAINING: &[(&str, Given)] = &[
    ("epochs", |f| f.epochs.is_some()),
    ("batch-size", |f| f.batch_size.is_some()),
    ("lr", |f| f.lr.is_some()),
    ("lr-schedule", |f| f.lr_schedule.is_some()),
    ("optimizer", |f| f.optimizer.is_some()),
    ("patience", |f| f.patience.is_some()),
    ("l1", |f| f.l1.is_some()),
    ("l2", |f| f.l2.is_some()),
];

fn pretrained_names() -> String {
    models::entries()
        .into_iter()
        .filter(|e| e.pretrained.is_some())
        .map(|e| e.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The architectures that read the model option `flag`.
fn models_reading(flag: &str) -> String {
    models::entries()
        .into_iter()
        .filter(|e| e.options.contains(&flag))
        .map(|e| e.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The first flag in `flags` that does not apply to `settings`, as an error naming it and why;
/// or a flag the model cannot do without (`--layers` for `sequential`), before any data loads.
pub(crate) fn check(flags: &Flags, settings: &Choice<'_>) -> Result<(), TrainError> {
    if settings.entry.options.contains(&"layers") && !settings.has_layers {
        return Err(TrainError::Config(format!(
            "`{}` needs its layers: give --layers, e.g. \
             --layers conv:32,relu,maxpool,flatten,dense:128,relu,dense",
            settings.entry.name
        )));
    }
    for (flag, given) in MODEL_OPTIONS {
        if given(flags) && !settings.entry.options.contains(flag) {
            return Err(TrainError::Config(format!(
                "--{flag} does not apply to `{}`: it is an option of {}",
                settings.entry.name,
                models_reading(flag)
            )));
        }
    }
    let training = TRAINING.iter().map(|&(flag, given)| Rule {
        flag,
        given,
        refuse: trained_only,
    });
    for rule in RULES.iter().copied().chain(training) {
        if (rule.given)(flags)
            && let Some(why) = (rule.refuse)(settings)
        {
            return Err(TrainError::Config(format!(
                "--{} does not apply here: {why}",
                rule.flag
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::settings::{Flags, Hidden, Settings};

    fn refusal(f: impl FnOnce(&mut Flags)) -> String {
        let mut flags = Flags::default();
        f(&mut flags);
        Settings::resolve(&flags, None).unwrap_err().to_string()
    }

    fn accepted(f: impl FnOnce(&mut Flags)) {
        let mut flags = Flags::default();
        f(&mut flags);
        if let Err(e) = Settings::resolve(&flags, None) {
            panic!("{flags:?} refused: {e}");
        }
    }

    #[test]
    fn flags_that_do_not_apply_are_errors_that_say_why() {
        let err = refusal(|f| f.fine_tune = Some(2));
        assert!(
            err.contains("--fine-tune")
                && err.contains("efficientnet-lite0")
                && err.contains("`mlp`"),
            "{err}"
        );
        let err = refusal(|f| {
            f.dataset = Some("iris".into());
            f.augment = Some("flip".into());
        });
        assert!(err.contains("--augment") && err.contains("iris"), "{err}");
        let err = refusal(|f| {
            f.model = Some("lenet".into());
            f.hidden = Some(Hidden(vec![8]));
        });
        assert!(
            err.contains("--hidden does not apply to `lenet`") && err.contains("mlp, autoencoder"),
            "{err}"
        );
        let err = refusal(|f| f.model = Some("sequential".into()));
        assert!(
            err.contains("needs its layers") && err.contains("--layers"),
            "{err}"
        );
        let err = refusal(|f| f.points = Some(100));
        assert!(err.contains("--points") && err.contains("spiral"), "{err}");
        let err = refusal(|f| f.momentum = Some(0.9));
        assert!(err.contains("--optimizer sgd"), "{err}");
        let err = refusal(|f| {
            f.dataset = Some("movielens-small".into());
            f.model = Some("user-knn".into());
            f.epochs = Some(3);
        });
        assert!(
            err.contains("--epochs") && err.contains("trains nothing"),
            "{err}"
        );
        let err = refusal(|f| {
            f.model = Some("efficientnet-lite0".into());
            f.dataset = Some("cats-vs-dogs".into());
            f.unfreeze = Some(2);
        });
        assert!(err.contains("--fine-tune N"), "{err}");
    }

    #[test]
    fn flags_that_apply_are_accepted() {
        accepted(|f| {
            f.dataset = Some("spiral".into());
            f.points = Some(300);
            f.noise = Some(0.1);
            f.hidden = Some(Hidden(vec![8, 8]));
        });
        accepted(|f| {
            f.dataset = Some("fashion-mnist".into());
            f.augment = Some("flip,rotate=10".into());
            f.dropout = Some(0.3);
        });
        accepted(|f| {
            f.dataset = Some("iris".into());
            f.augment = Some("none".into());
            f.test_split = Some(0.3);
        });
        accepted(|f| {
            f.model = Some("efficientnet-lite0".into());
            f.dataset = Some("cats-vs-dogs".into());
            f.fine_tune = Some(2);
            f.unfreeze = Some(2);
            f.image_size = Some(224);
        });
        accepted(|f| {
            f.optimizer = Some(crate::config::OptimizerKind::Sgd);
            f.momentum = Some(0.9);
        });
    }
}
