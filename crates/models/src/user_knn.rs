//! User-based collaborative filtering, the course's recommender: a user's rating of an item is
//! their mean rating plus the similarity-weighted deviations of the `--k` most similar users
//! who rated it (see [`Neighbourhood`]). Nothing is trained: the run keeps its training
//! ratings and answers from them.

use burn::module::Module;
use burn::prelude::*;

use crate::collab::{Neighbourhood, NeighbourModel, Side, ratings_input};
use crate::options::Similarity;
use crate::error::ModelError;
use crate::options::{InputSpec, ModelOptions, Recipe};
use crate::registry::ArchitectureConfig;

/// Configuration of a [`UserKnn`].
#[derive(Config, Debug)]
pub struct UserKnnConfig {
    /// How users are compared.
    pub similarity: Similarity,
    /// Neighbours weighed.
    pub k: usize,
    /// Fewest co-rated items for a similarity other than 0.
    pub min_overlap: usize,
}

/// User-based k-nearest neighbours.
#[derive(Module, Debug)]
pub struct UserKnn {
    #[module(skip)]
    model: NeighbourModel,
}

impl UserKnnConfig {
    /// The model, without training ratings yet.
    pub fn init(&self, _device: &Device) -> UserKnn {
        UserKnn {
            model: NeighbourModel {
                method: Neighbourhood {
                    side: Side::Users,
                    similarity: self.similarity,
                    k: self.k,
                    min_overlap: self.min_overlap,
                },
                interactions: None,
            },
        }
    }
}

impl ArchitectureConfig for UserKnnConfig {
    const OPTIONS: &'static [&'static str] = &["k", "similarity", "min-overlap"];

    fn from_options(options: &ModelOptions, input: &InputSpec) -> Result<Self, ModelError> {
        ratings_input("user-knn", input)?;
        Ok(UserKnnConfig::new(
            options.similarity,
            options.neighbours,
            options.min_overlap,
        ))
    }

    const RECIPE: Recipe = Recipe::NEIGHBOURS;
}

neighbour_architecture!(UserKnn);
