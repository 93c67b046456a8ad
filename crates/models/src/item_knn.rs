//! Item-based collaborative filtering: a user's rating of an item is the item's mean rating
//! plus the similarity-weighted deviations of the user's ratings of the `--k` items most
//! similar to it (see [`Neighbourhood`]). Nothing is trained: the run keeps its training
//! ratings and answers from them.

use burn::module::Module;
use burn::prelude::*;

use crate::collab::{Neighbourhood, NeighbourModel, Side, ratings_input};
use crate::options::Similarity;
use crate::error::ModelError;
use crate::options::{InputSpec, ModelOptions, Recipe};
use crate::registry::ArchitectureConfig;

/// Configuration of an [`ItemKnn`].
#[derive(Config, Debug)]
pub struct ItemKnnConfig {
    /// How items are compared.
    pub similarity: Similarity,
    /// Neighbours weighed.
    pub k: usize,
    /// Fewest co-rating users for a similarity other than 0.
    pub min_overlap: usize,
}

/// Item-based k-nearest neighbours.
#[derive(Module, Debug)]
pub struct ItemKnn {
    #[module(skip)]
    model: NeighbourModel,
}

impl ItemKnnConfig {
    /// The model, without training ratings yet.
    pub fn init(&self, _device: &Device) -> ItemKnn {
        ItemKnn {
            model: NeighbourModel {
                method: Neighbourhood {
                    side: Side::Items,
                    similarity: self.similarity,
                    k: self.k,
                    min_overlap: self.min_overlap,
                },
                interactions: None,
            },
        }
    }
}

impl ArchitectureConfig for ItemKnnConfig {
    const OPTIONS: &'static [&'static str] = &["k", "similarity", "min-overlap"];

    fn from_options(options: &ModelOptions, input: &InputSpec) -> Result<Self, ModelError> {
        ratings_input("item-knn", input)?;
        Ok(ItemKnnConfig::new(
            options.similarity,
            options.neighbours,
            options.min_overlap,
        ))
    }

    const RECIPE: Recipe = Recipe::NEIGHBOURS;
}

neighbour_architecture!(ItemKnn);
