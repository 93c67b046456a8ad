//! The one implementation of [`Architecture`](crate::Architecture) that both neighbourhood
//! recommenders (`user-knn`, `item-knn`) share, as a macro over their common shape.

/// Implements [`Architecture`](crate::Architecture) for a neighbourhood recommender: a struct
/// whose field `model` is its [`NeighbourModel`]. Both neighbourhood models compare items the
/// same way for `--similar-to`, by the model's similarity over co-rating users.
macro_rules! neighbour_architecture {
    ($model:ty) => {
        impl $crate::registry::Architecture for $model {
            fn forward(&self, pairs: burn::prelude::Tensor<4>) -> burn::prelude::Tensor<2> {
                self.model.forward(pairs)
            }

            fn layers(&self) -> Vec<$crate::LayerRow> {
                self.model.layers("neighbours")
            }

            fn interactions(&self) -> Option<&$crate::collab::SharedInteractions> {
                self.model.interactions.as_ref()
            }

            fn with_interactions(
                mut self,
                interactions: $crate::collab::SharedInteractions,
            ) -> Self {
                self.model.interactions = Some(interactions);
                self
            }

            fn similar_items(&self, item: u32, n: usize) -> Option<Vec<(u32, f32)>> {
                let items = $crate::collab::Neighbourhood {
                    side: $crate::collab::Side::Items,
                    ..self.model.method
                };
                Some(items.most_similar(self.model.interactions.as_ref()?, item, n))
            }
        }
    };
}
