//! The CSV table reader: any text gives a table or an error naming the line, never a panic.
//! The first byte picks the task and the target column (the first or the last header field).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Some((&choice, rest)) = bytes.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let header: Vec<&str> = text.lines().next().unwrap_or("").split(',').collect();
    let target = if choice & 1 == 0 {
        header.first()
    } else {
        header.last()
    }
    .copied()
    .unwrap_or("y")
    .trim();
    let task = if choice & 2 == 0 {
        data::tabular::Task::Classification
    } else {
        data::tabular::Task::Regression
    };
    if let Ok(table) = data::tabular::parse_csv("fuzz.csv", text, target, task) {
        assert_eq!(table.features.len(), table.len() * table.num_features());
    }
});
