//! Choices with names: the enums the command line offers by name (`--activation relu`,
//! `--lr-schedule cosine`, `--similarity pearson`). The command line lists [`Named::ALL`] and
//! parses a name back; `models` itself knows nothing of the command line. [`nearest`] is the
//! one place a mistyped name (of a model, a dataset, a split) finds the name it meant.

/// A choice among a few named values.
pub trait Named: Copy + 'static {
    /// Every value, in the order they are listed.
    const ALL: &'static [Self];
    /// The value's name.
    fn name(self) -> &'static str;
    /// The value called `name`, if one is.
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.name() == name)
    }
}

/// The name among `candidates` that `given` most likely mistypes, if any: the nearest by edit
/// distance (case aside; a swap of two neighbours is one edit) when at most a third of the
/// longer name is edited (one edit for short names), else the first name that starts with
/// `given` (at least three characters: `movielens`, `fashion`).
pub fn nearest<'a>(given: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let given = given.to_lowercase();
    let length = given.chars().count();
    if length == 0 {
        return None;
    }
    let (best, distance) = candidates
        .iter()
        .map(|&c| (c, strsim::osa_distance(&given, c)))
        .min_by_key(|&(_, d)| d)?;
    let longer = length.max(best.chars().count());
    if distance <= (longer / 3).max(1) {
        return Some(best);
    }
    if length < 3 {
        return None;
    }
    candidates.iter().find(|c| c.starts_with(&given)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_edits_and_swaps() {
        let edit_distance = strsim::osa_distance;
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("mnist", ""), 5);
        assert_eq!(edit_distance("", "xor"), 3);
        assert_eq!(edit_distance("mnst", "mnist"), 1);
        assert_eq!(edit_distance("fashion_mnist", "fashion-mnist"), 1);
        assert_eq!(edit_distance("sprial", "spiral"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("café", "cafe"), 1);
    }

    #[test]
    fn nearest_suggests_only_close_names() {
        let names = [
            "mnist",
            "fashion-mnist",
            "xor",
            "movielens-small",
            "movielens-100k",
        ];
        assert_eq!(nearest("mnst", &names), Some("mnist"));
        assert_eq!(nearest("MNIST", &names), Some("mnist"));
        assert_eq!(nearest("fashion_mnist", &names), Some("fashion-mnist"));
        assert_eq!(nearest("fashionmnist", &names), Some("fashion-mnist"));
        assert_eq!(nearest("movielens", &names), Some("movielens-small"));
        assert_eq!(nearest("movielens100k", &names), Some("movielens-100k"));
        assert_eq!(nearest("xo", &names), Some("xor"));
        assert_eq!(nearest("foo", &names), None);
        assert_eq!(nearest("imagenet", &names), None);
        assert_eq!(nearest("", &names), None);
        assert_eq!(nearest("mnist", &[]), None);
    }
}
