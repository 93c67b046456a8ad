//! The networks aprende trains, and the registry that names them.
//!
//! Every architecture is a plain burn `#[derive(Module)]` struct in a file of its own, with a
//! `#[derive(Config)]` config that builds it from the [`ModelOptions`] the command line gives
//! and the [`InputSpec`] of the data. The list below is the registry: adding an architecture is
//! one file plus one line here, and `--model NAME`, config files, checkpoints and summaries
//! pick it up.

#[macro_use]
mod registry;
pub mod activation;
pub mod collab;
pub mod error;
pub mod init;
pub mod layer_spec;
pub mod named;
#[macro_use]
mod neighbours;
pub mod options;
pub mod pretrained;
pub mod summary;

pub use error::ModelError;
pub use layer_spec::parse_layers;
pub use named::{Named, nearest};
pub use options::{
    ActivationKind, DEFAULT_CODE, DEFAULT_FACTORS, DEFAULT_MIN_OVERLAP, DEFAULT_NEIGHBOURS,
    InputSpec, LayerSpec, LrSchedule, ModelOptions, PretrainedInput, RatingsShape, Recipe,
    Similarity,
};
pub use pretrained::{Pretrained, WeightsFile};
pub use registry::{ModelEntry, entries, find as registry_find, register};
pub use summary::{LayerRow, Summary};

architectures! {
    /// A multi-layer perceptron: flatten, then dense layers with an activation and dropout.
    mlp::Mlp(mlp::MlpConfig) = "mlp": "multi-layer perceptron (flatten, dense layers, dropout)",
    /// LeNet-5: two convolution + max-pool stages, then dense 120-84-classes.
    lenet::LeNet(lenet::LeNetConfig) = "lenet": "LeNet-5 style CNN (conv 6@5x5, pool, conv 16@5x5, pool, dense 120-84)",
    /// The dogs-vs-cats CNN: conv blocks with batch norm, then dropout and dense layers.
    catsdogs::CatsDogsCnn(catsdogs::CatsDogsConfig) = "catsdogs": "dogs-vs-cats CNN (conv 3x3 + batch norm + max-pool blocks 32-64-128-128, dropout, dense 512)",
    /// EfficientNet-Lite0 with its ImageNet backbone frozen and a new dense head.
    efficientnet::EfficientNetLite0(efficientnet::EfficientNetLite0Config) = "efficientnet-lite0": "ImageNet-pretrained EfficientNet-Lite0 backbone (frozen; --fine-tune trains its last blocks), dropout, dense",
    /// The Keras example's dense autoencoder: input -> --code -> input.
    autoencoder::Autoencoder(autoencoder::AutoencoderConfig) = "autoencoder": "dense autoencoder (flatten, dense down to --code 32, dense back up; reconstructs its input)",
    /// A convolutional autoencoder: two stride-2 convolutions, a dense code, two transposed ones.
    conv_autoencoder::ConvAutoencoder(conv_autoencoder::ConvAutoencoderConfig) = "conv-autoencoder": "convolutional autoencoder (conv 3x3/2 16-32, dense --code, transposed convs back; reconstructs its input)",
    /// User-based collaborative filtering: the course's recommender.
    user_knn::UserKnn(user_knn::UserKnnConfig) = "user-knn": "user-based collaborative filtering (--k most similar users by --similarity; nothing trained; recommends)",
    /// Item-based collaborative filtering.
    item_knn::ItemKnn(item_knn::ItemKnnConfig) = "item-knn": "item-based collaborative filtering (--k most similar items by --similarity; nothing trained; recommends)",
    /// Matrix factorisation: user and item factors and biases (fastai's collab_learner).
    matrix_factorization::MatrixFactorization(matrix_factorization::MatrixFactorizationConfig) = "matrix-factorization": "matrix factorisation (--factors 50 per user and item, biases, squashed to the rating scale; recommends)",
    /// Layers one after the other, as Keras's `Sequential`: `--layers` names them.
    sequential::Sequential(sequential::SequentialConfig) = "sequential": "any stack of layers, as Keras's Sequential (--layers conv:32,relu,maxpool,flatten,dense:128,relu,dense)",
}
