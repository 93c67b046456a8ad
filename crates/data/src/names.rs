//! Names given on the command line: one of a fixed set parsed by its name, and the nearest
//! known name ([`models::nearest`]) suggested for a mistyped one.

pub(crate) use models::nearest;

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

#[cfg(test)]
mod tests {
    use super::*;

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
