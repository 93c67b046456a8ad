//! The fuzz targets' regression corpus (`fuzz/seeds/`), replayed on the stable toolchain:
//! every input that the parsers once met, a crash among them, still gives a value or an
//! error and never a panic. `fuzz/` runs the same checks under libFuzzer.

use std::path::{Path, PathBuf};

use aprende::data;
use aprende::train::TrainingConfig;

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

#[test]
fn idx_seeds_parse_or_fail_cleanly() {
    let mut parsed = 0;
    for (path, bytes) in seeds("idx") {
        if let Ok(images) = data::idx::parse_images(&path, &bytes) {
            assert_eq!(
                images.pixels.len(),
                images.count * images.rows * images.cols
            );
            parsed += 1;
        }
        if data::idx::parse_labels(&path, &bytes).is_ok() {
            parsed += 1;
        }
    }
    assert!(parsed >= 2, "the valid seeds no longer parse");
}

#[test]
fn csv_seeds_parse_or_fail_cleanly() {
    let mut parsed = 0;
    for (path, bytes) in seeds("csv") {
        let Some((&choice, rest)) = bytes.split_first() else {
            continue;
        };
        let Ok(text) = std::str::from_utf8(rest) else {
            continue;
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
        let source = path.display().to_string();
        if let Ok(table) = data::tabular::parse_csv(&source, text, target, task) {
            assert_eq!(table.features.len(), table.len() * table.num_features());
            parsed += 1;
        }
    }
    assert!(parsed >= 2, "the valid seeds no longer parse");
}

#[test]
fn image_seeds_decode_or_fail_cleanly() {
    let mut decoded = 0;
    for (path, bytes) in seeds("image") {
        let started = std::time::Instant::now();
        let result = data::folder::decode_image(&bytes);
        eprintln!(
            "{}: {} bytes, {:.2} s",
            path.display(),
            bytes.len(),
            started.elapsed().as_secs_f64()
        );
        match result {
            Ok(image) => {
                assert!(image.width() <= data::folder::MAX_IMAGE_SIDE);
                assert!(image.height() <= data::folder::MAX_IMAGE_SIDE);
                let small = data::folder::resize_center_crop(&image, 8, 8);
                assert_eq!((small.width(), small.height()), (8, 8));
                decoded += 1;
            }
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
    let mut loaded = 0;
    for (_, bytes) in seeds("config") {
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        if let Ok(config) = TrainingConfig::from_json(text) {
            let _ = config.validate();
            serde_json::to_string(&config).unwrap();
            loaded += 1;
        }
    }
    assert!(loaded >= 2, "the saved configs no longer load");
}
