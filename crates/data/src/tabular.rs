//! Tabular data from CSV: numeric feature columns and one target column, read strictly.
//!
//! A bad row is an error naming its line and column; a feature column that is not numeric is
//! an error naming the column; a missing target column or an empty file is an error naming the
//! file.

use std::path::Path;

use crate::error::{DataError, Result};

/// What the target column is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// Classes: the column's distinct values, sorted.
    Classification,
    /// A number to predict.
    Regression,
}

/// The target column of a [`Table`].
#[derive(Debug, Clone, PartialEq)]
pub enum TableTarget {
    /// A class index per row, and the class names.
    Classes {
        /// Class index of each row.
        labels: Vec<usize>,
        /// Class names, sorted.
        names: Vec<String>,
    },
    /// A value per row.
    Values(Vec<f32>),
}

/// Rows of numeric features and a target.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Names of the feature columns, in file order.
    pub feature_names: Vec<String>,
    /// Name of the target column.
    pub target_name: String,
    /// `rows * feature_names.len()` values, row-major.
    pub features: Vec<f32>,
    /// The target of each row.
    pub target: TableTarget,
}

impl Table {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match &self.target {
            TableTarget::Classes { labels, .. } => labels.len(),
            TableTarget::Values(v) => v.len(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of feature columns.
    pub fn num_features(&self) -> usize {
        self.feature_names.len()
    }
}

/// Reads a CSV file with a header row.
pub fn read_csv_file(path: &Path, target: &str, task: Task) -> Result<Table> {
    let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
    parse_csv(&path.display().to_string(), &text, target, task)
}

/// Parses CSV text with a header row; `source` names it in errors.
pub fn parse_csv(source: &str, text: &str, target: &str, task: Task) -> Result<Table> {
    let fail = |problem: String| DataError::Csv {
        source_name: source.to_string(),
        problem,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| fail(format!("unreadable header: {e}")))?
        .iter()
        .map(String::from)
        .collect();
    if headers.is_empty() || headers.iter().all(|h| h.is_empty()) {
        return Err(fail("empty file: no header row".into()));
    }
    let target_col = headers.iter().position(|h| h == target).ok_or_else(|| {
        fail(format!(
            "no column `{target}` (columns: {})",
            headers.join(", ")
        ))
    })?;
    let feature_cols: Vec<usize> = (0..headers.len()).filter(|&c| c != target_col).collect();
    if feature_cols.is_empty() {
        return Err(fail(format!("no feature columns besides `{target}`")));
    }

    let mut features = Vec::new();
    let mut raw_targets = Vec::new();
    for (row, record) in reader.records().enumerate() {
        // Line numbers count the header as line 1.
        let line = record
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(row + 2, |p| p.line() as usize);
        let record = record.map_err(|e| fail(format!("line {line}: {e}")))?;
        if record.len() == 1 && record.get(0) == Some("") {
            continue; // a blank line
        }
        if record.len() != headers.len() {
            return Err(fail(format!(
                "line {line}: {} fields, the header has {}",
                record.len(),
                headers.len()
            )));
        }
        for &c in &feature_cols {
            let value = &record[c];
            match value.parse::<f32>() {
                Ok(v) if v.is_finite() => features.push(v),
                _ if row == 0 => {
                    return Err(fail(format!(
                        "column `{}` is not numeric (line {line} has `{value}`); only numeric feature columns are supported",
                        headers[c]
                    )));
                }
                _ => {
                    return Err(fail(format!(
                        "line {line}, column `{}`: `{value}` is not a number",
                        headers[c]
                    )));
                }
            }
        }
        raw_targets.push((line, record[target_col].to_string()));
    }
    if raw_targets.is_empty() {
        return Err(fail("no data rows".into()));
    }
    let target_values = match task {
        Task::Classification => {
            let mut names: Vec<String> = raw_targets.iter().map(|(_, t)| t.clone()).collect();
            names.sort();
            names.dedup();
            if let Some((line, _)) = raw_targets.iter().find(|(_, t)| t.is_empty()) {
                return Err(fail(format!("line {line}, column `{target}`: empty class")));
            }
            let labels = raw_targets
                .iter()
                .map(|(_, t)| names.binary_search(t).expect("every name is listed"))
                .collect();
            TableTarget::Classes { labels, names }
        }
        Task::Regression => TableTarget::Values(
            raw_targets
                .iter()
                .map(|(line, t)| {
                    t.parse::<f32>()
                        .ok()
                        .filter(|v| v.is_finite())
                        .ok_or_else(|| {
                            fail(format!(
                                "line {line}, column `{target}`: `{t}` is not a number"
                            ))
                        })
                })
                .collect::<Result<_>>()?,
        ),
    };
    Ok(Table {
        feature_names: feature_cols.iter().map(|&c| headers[c].clone()).collect(),
        target_name: target.to_string(),
        features,
        target: target_values,
    })
}
