//! Names given on the command line: one of a fixed set parsed by its name, and the nearest
//! known name suggested for a mistyped one.

use crate::error::{DataError, Result};

/// The value of `all` whose name is `given`; else an error that says which `what` is unknown
/// (`dataset`, `ratings split`), suggests the nearest name when one is close, and lists the
/// known ones (`plural`: `datasets`, `splits`).
pub(crate) fn parse_name<T: Copy>(
    given: &str,
    all: &[T],
    name: impl Fn(&T) -> &'static str,
    what: &str,
    plural: &str,
) -> Result<T> {
    if let Some(found) = all.iter().find(|v| name(v) == given) {
        return Ok(*found);
    }
    let known: Vec<&str> = all.iter().map(name).collect();
    let suggestion = nearest(given, &known).map(String::from);
    Err(unknown(what, given, suggestion, &known.join(", "), plural))
}

/// Implements `FromStr` (by [`parse_name`]) and `Display` for an enum named on the command
/// line: `$ty::ALL` lists its values, `$name` (a method) names each, and `$what` and `$plural`
/// word the error for an unknown name (`"dataset"`, `"datasets"`).
macro_rules! impl_named {
    ($ty:ident, $name:ident, $what:literal, $plural:literal) => {
        impl std::str::FromStr for $ty {
            type Err = $crate::error::DataError;

            fn from_str(s: &str) -> $crate::error::Result<Self> {
                $crate::names::parse_name(s, &$ty::ALL, |v| v.$name(), $what, $plural)
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.$name())
            }
        }
    };
}
pub(crate) use impl_named;

/// The error for an unknown name: "unknown `what` `given` (did you mean `suggestion`?); known
/// `plural`: `known`".
pub(crate) fn unknown(
    what: &str,
    given: &str,
    suggestion: Option<String>,
    known: &str,
    plural: &str,
) -> DataError {
    let hint = suggestion
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    DataError::Invalid(format!(
        "unknown {what} `{given}`{hint}; known {plural}: {known}"
    ))
}

/// The name among `candidates` that `given` most likely mistypes, if any: the nearest by edit
/// distance (case aside; a swap of two neighbours is one edit) when at most a third of the
/// longer name is edited (one edit for short names), else the first name that starts with
/// `given` (at least three characters: `movielens`, `fashion`).
pub(crate) fn nearest<'a>(given: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let given = given.to_lowercase();
    let length = given.chars().count();
    if length == 0 {
        return None;
    }
    let (best, distance) = candidates
        .iter()
        .map(|&c| (c, edit_distance(&given, c)))
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

/// The optimal string alignment distance of `a` and `b` (in characters): the fewest
/// insertions, deletions, substitutions and swaps of two neighbouring characters that turn
/// one into the other, no character edited twice.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows of the table: the one before the previous, the previous, the current.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            current[j] = d;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_edits_and_swaps() {
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

    #[test]
    fn an_unknown_name_is_an_error_with_a_suggestion_and_the_known_ones() {
        let all = [1u8, 2];
        let name = |v: &u8| if *v == 1 { "random" } else { "per-user" };
        assert_eq!(
            parse_name("per-user", &all, name, "split", "splits").unwrap(),
            2
        );
        let err = parse_name("peruser", &all, name, "split", "splits").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown split `peruser` (did you mean `per-user`?); known splits: random, per-user"
        );
        let err = parse_name("latest", &all, name, "split", "splits").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown split `latest`; known splits: random, per-user"
        );
    }
}
