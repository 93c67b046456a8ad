//! User-based collaborative filtering, the course's recommender: a user's rating of an item is
//! their mean rating plus the similarity-weighted deviations of the `--k` most similar users
//! who rated it (see [`Neighbourhood`]). Nothing is trained: the run keeps its training
//! ratings and answers from them.

use burn::module::Module;
use burn::prelude::*;

use crate::collab::{Neighbourhood, NeighbourModel, SharedInteractions, Side, Similarity, ratings_input};
use crate::error::ModelError;
use crate::options::{InputSpec, ModelOptions, Recipe};
use crate::registry::{Architecture, ArchitectureConfig};
use crate::summary::LayerRow;

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

impl Architecture for UserKnn {
    fn forward(&self, pairs: Tensor<4>) -> Tensor<2> {
        self.model.forward(pairs)
    }

    fn layers(&self) -> Vec<LayerRow> {
        self.model.layers("neighbours")
    }

    fn interactions(&self) -> Option<&SharedInteractions> {
        self.model.interactions.as_ref()
    }

    fn with_interactions(mut self, interactions: SharedInteractions) -> Self {
        self.model.interactions = Some(interactions);
        self
    }

    fn similar_items(&self, item: u32, n: usize) -> Option<Vec<(u32, f32)>> {
        // Items are compared the way this model compares users.
        let items = Neighbourhood {
            side: Side::Items,
            ..self.model.method
        };
        Some(items.most_similar(self.model.interactions.as_ref()?, item, n))
    }
}
