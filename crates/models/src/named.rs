//! Choices with names: the enums the command line offers by name (`--activation relu`,
//! `--lr-schedule cosine`, `--similarity pearson`). The command line lists [`Named::ALL`] and
//! parses a name back; `models` itself knows nothing of the command line.

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
