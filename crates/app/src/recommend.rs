//! `app recommend`: what a recommender run suggests to a user (the items they have not
//! rated, best predicted first, with titles), or the items most like a given one.

use burn::prelude::*;
use data::Catalog;
use serde::Serialize;
use train::LoadedRun;
use train::task::recommendation::{recommend, training_ratings};

use crate::predict::AppError;

/// One item in an answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemScore {
    /// The item's id, as in the ratings file.
    pub item: String,
    /// Its title, when the run has titles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The predicted rating (recommendations) or the similarity (similar items).
    pub score: f32,
}

/// What a run recommends to a user.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendations {
    /// The user's id.
    pub user: String,
    /// Whether the run has ratings of this user; if not, `items` are the most rated items
    /// with the baseline's ratings.
    pub known_user: bool,
    /// The recommended items, best first, with predicted ratings.
    pub items: Vec<ItemScore>,
}

/// The items most like one item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimilarItems {
    /// The item asked about.
    pub item: ItemScore,
    /// The most similar items, most similar first, with their similarities (cosine of the
    /// factors for a matrix factorisation, the run's similarity for a neighbourhood model).
    pub similar: Vec<ItemScore>,
}

fn catalog(run: &LoadedRun) -> Result<&Catalog, AppError> {
    run.catalog.as_ref().ok_or_else(|| {
        AppError::Input(format!(
            "{}: `{}` is not a recommender (train one with --dataset movielens-small)",
            run.dir.display(),
            run.config.model.name()
        ))
    })
}

fn scored(catalog: &Catalog, item: u32, score: f32) -> ItemScore {
    ItemScore {
        item: catalog.items[item as usize].clone(),
        title: catalog.title(item).map(String::from),
        score,
    }
}

/// The `top` items the run recommends to `user` (an id as in the ratings file). A user the
/// run has no ratings of gets the most rated items.
pub fn recommend_for(
    run: &LoadedRun,
    user: &str,
    top: usize,
    device: &Device,
) -> Result<Recommendations, AppError> {
    let catalog = catalog(run)?;
    let index = catalog.user_index(user).unwrap_or(u32::MAX);
    let (items, known_user) = recommend(&run.network, index, top, device)?;
    Ok(Recommendations {
        user: user.to_string(),
        known_user,
        items: items
            .into_iter()
            .map(|r| scored(catalog, r.item, r.rating))
            .collect(),
    })
}

/// The `top` items most similar to `item` (an id as in the ratings file). An item the run
/// does not know, or has no training ratings of, is an error that says so.
pub fn similar_to(run: &LoadedRun, item: &str, top: usize) -> Result<SimilarItems, AppError> {
    let catalog = catalog(run)?;
    let unknown = || {
        AppError::Input(format!(
            "item `{item}` is not in the ratings of {} ({} items, ids as in the ratings file)",
            run.dir.display(),
            catalog.items.len()
        ))
    };
    let index = catalog.item_index(item).ok_or_else(unknown)?;
    if !training_ratings(&run.network)?.knows_item(index) {
        return Err(AppError::Input(format!(
            "item `{item}` has no training ratings in {}: nothing to compare it by",
            run.dir.display()
        )));
    }
    let similar = run
        .network
        .similar_items(index, top)
        .ok_or_else(unknown)?
        .into_iter()
        .map(|(i, s)| scored(catalog, i, s))
        .collect();
    Ok(SimilarItems {
        item: scored(catalog, index, 1.0),
        similar,
    })
}
