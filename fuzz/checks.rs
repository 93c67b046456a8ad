//! What each fuzz target checks of one input, shared by the targets (`fuzz_targets/`) and by
//! the stable replay of the regression corpus (`tests/fuzz_corpus.rs`, which includes this
//! file). Each function panics when a parser breaks a promise, and returns whether the input
//! was accepted.

/// The IDX reader: images whose pixel count matches their header, labels, or an error.
pub fn idx(bytes: &[u8]) -> bool {
    let path = std::path::Path::new("fuzz-idx");
    let images = data::idx::parse_images(path, bytes).map(|images| {
        assert_eq!(
            images.pixels.len(),
            images.count * images.rows * images.cols
        );
    });
    let labels = data::idx::parse_labels(path, bytes);
    images.is_ok() || labels.is_ok()
}

/// The CSV table reader. The first byte picks the task and the target column (the first or
/// the last header field); the rest is the file.
pub fn csv(bytes: &[u8]) -> bool {
    let Some((&choice, rest)) = bytes.split_first() else {
        return false;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return false;
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
    data::tabular::parse_csv("fuzz.csv", text, target, task)
        .map(|table| assert_eq!(table.features.len(), table.len() * table.num_features()))
        .is_ok()
}

/// Image decoding as training and prediction do it: an image within the size limits that
/// resizes, or an error.
pub fn image(bytes: &[u8]) -> Result<(), String> {
    let image = data::folder::decode_image(bytes)?;
    assert!(image.width() <= data::folder::MAX_IMAGE_SIDE);
    assert!(image.height() <= data::folder::MAX_IMAGE_SIDE);
    let small = data::folder::resize_center_crop(&image, 8, 8);
    assert_eq!((small.width(), small.height()), (8, 8));
    Ok(())
}

/// The config loader: a config (validated like one from flags, and written back) or an error.
pub fn config(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    let Ok(config) = train::TrainingConfig::from_json(text) else {
        return false;
    };
    let _ = config.validate();
    serde_json::to_string(&config).expect("a loaded config serialises");
    true
}
