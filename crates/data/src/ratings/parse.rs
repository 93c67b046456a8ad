//! Reading ratings files strictly: a CSV with a header naming its columns, or MovieLens
//! 100K's tab-separated `u.data`, into dense user and item indices.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::fs;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use super::{Catalog, IdLookup, RatingColumns, RatingScale, Ratings};
use crate::error::{DataError, Result};

/// A ratings file read into a catalog (without titles yet) and its ratings, duplicates
/// dropped.
pub(super) struct Loaded {
    pub(super) catalog: Catalog,
    pub(super) ratings: Ratings,
    pub(super) duplicates: usize,
}

/// Raw ids in order of first appearance.
#[derive(Default)]
struct Interner {
    map: HashMap<String, u32>,
    ids: Vec<String>,
}

impl Interner {
    fn intern(&mut self, raw: &str) -> Option<u32> {
        if let Some(&i) = self.map.get(raw) {
            return Some(i);
        }
        let i = u32::try_from(self.ids.len()).ok()?;
        self.map.insert(raw.to_string(), i);
        self.ids.push(raw.to_string());
        Some(i)
    }
}

/// Reads the ratings of `layout` into dense indices; a user who rated an item twice keeps the
/// later rating (by time, ties by file order). The scale is the layout's, else the observed
/// range.
pub(super) fn read_ratings(layout: &Layout, name: String) -> Result<Loaded> {
    let mut users = Interner::default();
    let mut items = Interner::default();
    let mut ratings = Ratings::with_capacity(1 << 12);
    // (user, item) -> the row that holds its rating now.
    let mut seen: HashMap<u64, usize> = HashMap::new();
    let mut dropped: Vec<usize> = Vec::new();
    read_rows(layout, |row| {
        let too_many =
            |what: &str| layout.fail(format!("line {}: more than 2^32 {what}", row.line));
        let user = users.intern(row.user).ok_or_else(|| too_many("users"))?;
        let item = items.intern(row.item).ok_or_else(|| too_many("items"))?;
        let index = ratings.len();
        ratings.push(user, item, row.rating, row.time);
        match seen.entry((u64::from(user) << 32) | u64::from(item)) {
            Entry::Vacant(slot) => {
                slot.insert(index);
            }
            Entry::Occupied(mut slot) => {
                let earlier = *slot.get();
                if row.time >= ratings.time[earlier] {
                    dropped.push(earlier);
                    slot.insert(index);
                } else {
                    dropped.push(index);
                }
            }
        }
        Ok(())
    })?;
    if ratings.is_empty() {
        let problem = if layout.header {
            "no ratings: the file has a header but no rows"
        } else {
            "no ratings: the file is empty"
        };
        return Err(layout.fail(problem.into()));
    }
    let duplicates = dropped.len();
    if duplicates > 0 {
        dropped.sort_unstable();
        let mut keep = Vec::with_capacity(ratings.len() - duplicates);
        let mut drop = dropped.iter().peekable();
        for i in 0..ratings.len() {
            if drop.peek() == Some(&&i) {
                drop.next();
            } else {
                keep.push(i);
            }
        }
        ratings = ratings.subset(&keep);
    }
    let scale = layout.scale.unwrap_or_else(|| {
        let (min, max) = ratings
            .rating
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &r| {
                (lo.min(r), hi.max(r))
            });
        RatingScale { min, max }
    });
    let titles = vec![None; items.ids.len()];
    let catalog = Catalog {
        name,
        scale,
        users: users.ids,
        items: items.ids,
        titles,
        user_lookup: IdLookup::with(users.map),
        item_lookup: IdLookup::with(items.map),
    };
    Ok(Loaded {
        catalog,
        ratings,
        duplicates,
    })
}

/// Where a row starts in a file, shown as its line number (1-based).
///
/// The csv reader's own line count stops at the end of the previous row, before any blank
/// lines; the number shown skips them, reading the file again from there (only when an error
/// is shown, never on the fast path).
#[derive(Clone, Copy)]
pub(super) struct Line<'a> {
    path: &'a Path,
    /// The byte where the reader's position is (`u64::MAX`: unknown).
    byte: u64,
    /// The reader's line at that byte.
    line: u64,
}

impl<'a> Line<'a> {
    pub(super) fn at(path: &'a Path, position: Option<&csv::Position>, fallback: u64) -> Self {
        match position {
            Some(p) => Line {
                path,
                byte: p.byte(),
                line: p.line(),
            },
            None => Line {
                path,
                byte: u64::MAX,
                line: fallback,
            },
        }
    }

    /// The line of the first byte at or after `byte` that is not a line terminator.
    fn resolve(&self) -> u64 {
        use std::io::{Seek, SeekFrom};
        let mut line = self.line;
        if self.byte == u64::MAX {
            return line;
        }
        let Ok(file) = fs::File::open(self.path) else {
            return line;
        };
        let mut input = BufReader::new(file);
        if input.seek(SeekFrom::Start(self.byte)).is_err() {
            return line;
        }
        let mut after_cr = false;
        for byte in input.bytes() {
            match byte {
                Ok(b'\n') if after_cr => after_cr = false,
                Ok(b'\n') => line += 1,
                Ok(b'\r') => {
                    line += 1;
                    after_cr = true;
                }
                _ => break,
            }
        }
        line
    }
}

impl fmt::Display for Line<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.resolve())
    }
}

/// One row of a ratings file, borrowed from the reader's buffer.
pub(super) struct Row<'a> {
    pub(super) line: Line<'a>,
    pub(super) user: &'a str,
    pub(super) item: &'a str,
    pub(super) rating: f32,
    pub(super) time: i64,
}

/// Where a ratings file's columns are, and how it is delimited.
pub(super) struct Layout {
    path: PathBuf,
    /// Field delimiter.
    delimiter: u8,
    /// Whether the first line is a header (then it is skipped).
    header: bool,
    /// Whether `"` quotes fields.
    quoting: bool,
    /// The name of every column, for errors.
    names: Vec<String>,
    /// Indices of the user, item and rating columns.
    user: usize,
    item: usize,
    rating: usize,
    /// Index of the time column.
    time: Option<usize>,
    /// The scale every rating must be in, when known.
    scale: Option<RatingScale>,
}

impl Layout {
    pub(super) fn fail(&self, problem: String) -> DataError {
        DataError::Csv {
            source_name: self.path.display().to_string(),
            problem,
        }
    }

    /// A CSV with a header that names `columns`.
    pub(super) fn csv(
        path: &Path,
        columns: &RatingColumns,
        scale: Option<RatingScale>,
    ) -> Result<Self> {
        let layout = Layout {
            path: path.to_path_buf(),
            delimiter: b',',
            header: true,
            quoting: true,
            names: Vec::new(),
            user: 0,
            item: 0,
            rating: 0,
            time: None,
            scale,
        };
        let file = fs::File::open(path).map_err(|e| DataError::io(path, e))?;
        let mut reader = layout.reader(file);
        let names: Vec<String> = reader
            .headers()
            .map_err(|e| layout.fail(format!("unreadable header: {e}")))?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_string())
            .collect();
        if names.iter().all(|h| h.is_empty()) {
            return Err(layout.fail("empty file: no header row".into()));
        }
        let find = |column: &str, what: &str| {
            names.iter().position(|h| h == column).ok_or_else(|| {
                layout.fail(format!(
                    "no column `{column}` for the {what} (the header's columns: {})",
                    names.join(", ")
                ))
            })
        };
        let user = find(&columns.user, "user ids")?;
        let item = find(&columns.item, "item ids")?;
        let rating = find(&columns.rating, "ratings")?;
        let time = match &columns.time {
            Some(time) => Some(find(time, "times")?),
            None => names.iter().position(|h| h == "timestamp"),
        };
        Ok(Layout {
            names,
            user,
            item,
            rating,
            time,
            ..layout
        })
    }

    /// MovieLens 100K's `u.data`: tab-separated `user item rating timestamp`, no header.
    pub(super) fn u_data(path: &Path, scale: Option<RatingScale>) -> Result<Self> {
        Ok(Layout {
            path: path.to_path_buf(),
            delimiter: b'\t',
            header: false,
            quoting: false,
            names: ["user id", "item id", "rating", "timestamp"]
                .map(String::from)
                .to_vec(),
            user: 0,
            item: 1,
            rating: 2,
            time: Some(3),
            scale,
        })
    }

    fn reader<R: Read>(&self, input: R) -> csv::Reader<R> {
        csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .has_headers(self.header)
            .quoting(self.quoting)
            .flexible(true)
            .trim(csv::Trim::All)
            .buffer_capacity(1 << 16)
            .from_reader(input)
    }
}

/// Reads every row of `layout`'s file, strictly, and hands it to `each`.
pub(super) fn read_rows(
    layout: &Layout,
    mut each: impl FnMut(Row<'_>) -> Result<()>,
) -> Result<()> {
    let path = &layout.path;
    let file = fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut reader = layout.reader(file);
    let mut record = csv::ByteRecord::new();
    let width = layout.names.len();
    let mut row = 0u64;
    loop {
        row += 1;
        // Line numbers count the header as line 1.
        let fallback = row + u64::from(layout.header);
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = Line::at(path, e.position(), fallback);
                return Err(layout.fail(format!("line {line}: {e}")));
            }
        }
        let line = Line::at(path, record.position(), fallback);
        if record.len() == 1 && record[0].is_empty() {
            continue; // a blank line
        }
        if record.len() != width {
            let missing = if record.len() < width {
                format!(" (no `{}`)", layout.names[record.len()..].join("`, `"))
            } else {
                String::new()
            };
            return Err(layout.fail(format!(
                "line {line}: {} fields, the header has {width}{missing}",
                record.len()
            )));
        }
        let text = |column: usize| {
            std::str::from_utf8(&record[column]).map_err(|_| {
                layout.fail(format!(
                    "line {line}, column `{}`: not UTF-8 text",
                    layout.names[column]
                ))
            })
        };
        let bad = |column: usize, problem: &str| {
            layout.fail(format!(
                "line {line}, column `{}`: {problem}",
                layout.names[column]
            ))
        };
        let user = text(layout.user)?;
        if user.is_empty() {
            return Err(bad(layout.user, "empty user id"));
        }
        let item = text(layout.item)?;
        if item.is_empty() {
            return Err(bad(layout.item, "empty item id"));
        }
        let raw = text(layout.rating)?;
        let rating = match raw.parse::<f32>() {
            Ok(r) if r.is_finite() => r,
            Ok(_) => {
                return Err(bad(
                    layout.rating,
                    &format!("`{raw}` is not a finite rating"),
                ));
            }
            Err(_) => return Err(bad(layout.rating, &format!("`{raw}` is not a number"))),
        };
        if let Some(scale) = layout.scale
            && !scale.contains(rating)
        {
            return Err(bad(
                layout.rating,
                &format!("the rating {raw} is outside the rating scale {scale}"),
            ));
        }
        let time = match layout.time {
            Some(column) => {
                let raw = text(column)?;
                raw.parse::<i64>()
                    .map_err(|_| bad(column, &format!("`{raw}` is not an integer timestamp")))?
            }
            None => 0,
        };
        each(Row {
            line,
            user,
            item,
            rating,
            time,
        })?;
    }
    Ok(())
}
