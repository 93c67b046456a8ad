//! Item titles: from a CSV items file (`movies.csv`, `--items`), or MovieLens 100K's `u.item`.

use std::fs;
use std::io::BufReader;
use std::path::Path;

use super::Catalog;
use super::parse::Line;
use crate::error::{DataError, Result};

/// Fills `catalog`'s titles from a CSV items file with a header: the item column named
/// `item_column` if there is one, else the first; the `title` column if there is one, else the
/// second. Items the catalog lacks are ignored; the first title of an item wins.
pub(super) fn read_items_csv(path: &Path, item_column: &str, catalog: &mut Catalog) -> Result<()> {
    let fail = |problem: String| DataError::Csv {
        source_name: path.display().to_string(),
        problem,
    };
    let file = fs::File::open(path).map_err(|e| DataError::io(path, e))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(BufReader::new(file));
    let names: Vec<String> = reader
        .byte_headers()
        .map_err(|e| fail(format!("unreadable header: {e}")))?
        .iter()
        .map(|h| {
            String::from_utf8_lossy(h)
                .trim_start_matches('\u{feff}')
                .to_string()
        })
        .collect();
    if names.len() < 2 {
        return Err(fail(format!(
            "an items file needs an item id column and a title column; its header has {} ({})",
            names.len(),
            names.join(", ")
        )));
    }
    let id_col = names.iter().position(|h| h == item_column).unwrap_or(0);
    let title_col = names
        .iter()
        .position(|h| h == "title")
        .unwrap_or(if id_col == 1 { 0 } else { 1 });
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = Line::at(path, e.position(), 0);
                return Err(fail(format!("line {line}: {e}")));
            }
        }
        if record.len() == 1 && record[0].is_empty() {
            continue;
        }
        let (Some(id), Some(title)) = (record.get(id_col), record.get(title_col)) else {
            let line = Line::at(path, record.position(), 0);
            return Err(fail(format!(
                "line {line}: {} fields, no `{}` or `{}`",
                record.len(),
                names[id_col],
                names[title_col]
            )));
        };
        set_title(catalog, &String::from_utf8_lossy(id), || {
            String::from_utf8_lossy(title).into_owned()
        });
    }
    Ok(())
}

/// Fills `catalog`'s titles from MovieLens 100K's `u.item`: pipe-separated
/// `id|title|release date|...`, latin-1 encoded.
pub(super) fn read_u_item(path: &Path, catalog: &mut Catalog) -> Result<()> {
    let bytes = fs::read(path).map_err(|e| DataError::io(path, e))?;
    for (n, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let mut fields = line.split(|&b| b == b'|');
        let id = fields.next().unwrap_or_default();
        let Some(title) = fields.next() else {
            return Err(DataError::Csv {
                source_name: path.display().to_string(),
                problem: format!(
                    "line {}: no `|` after the item id (expected `id|title|release date|...`)",
                    n + 1
                ),
            });
        };
        set_title(catalog, latin1(id).trim(), || {
            latin1(title).trim().to_string()
        });
    }
    Ok(())
}

/// Text from latin-1 (ISO-8859-1) bytes: every byte is the code point of the same value.
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

fn set_title(catalog: &mut Catalog, id: &str, title: impl FnOnce() -> String) {
    if let Some(i) = catalog.item_index(id) {
        let slot = &mut catalog.titles[i as usize];
        if slot.is_none() {
            let title = title();
            *slot = (!title.is_empty()).then_some(title);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_decodes_every_byte() {
        assert_eq!(latin1(b"Caf\xe9 \xfc"), "Café ü");
    }
}
