//! The fuzz targets' regression corpus (`fuzz/seeds/`), replayed on the stable toolchain:
//! every input that the parsers once met, a crash among them, still gives a value or an
//! error and never a panic. `fuzz/` runs the same checks under libFuzzer.

use std::path::{Path, PathBuf};

fn seeds(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{}: no seeds", dir.display());
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

#[path = "../fuzz/checks.rs"]
mod checks;

#[test]
fn idx_seeds_parse_or_fail_cleanly() {
    let parsed = seeds("idx").iter().filter(|(_, b)| checks::idx(b)).count();
    assert!(parsed >= 2, "the valid seeds no longer parse");
}

#[test]
fn csv_seeds_parse_or_fail_cleanly() {
    let parsed = seeds("csv").iter().filter(|(_, b)| checks::csv(b)).count();
    assert!(parsed >= 2, "the valid seeds no longer parse");
}

#[test]
fn image_seeds_decode_or_fail_cleanly() {
    let mut decoded = 0;
    for (path, bytes) in seeds("image") {
        let started = std::time::Instant::now();
        let result = checks::image(&bytes);
        eprintln!(
            "{}: {} bytes, {:.2} s",
            path.display(),
            bytes.len(),
            started.elapsed().as_secs_f64()
        );
        match result {
            Ok(()) => decoded += 1,
            Err(e) if path.ends_with("bomb-header.png") => {
                assert!(e.contains("too large"), "{e}")
            }
            Err(_) => {}
        }
    }
    assert!(decoded >= 4, "the valid seeds no longer decode");
}

#[test]
fn config_seeds_load_or_fail_cleanly() {
    let loaded = seeds("config")
        .iter()
        .filter(|(_, b)| checks::config(b))
        .count();
    assert!(loaded >= 2, "the saved configs no longer load");
}
