//! The IDX reader (MNIST's format): any bytes give images, labels or an error, never a panic
//! or an allocation the data does not justify.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let path = Path::new("fuzz-idx");
    if let Ok(images) = data::idx::parse_images(path, bytes) {
        assert_eq!(
            images.pixels.len(),
            images.count * images.rows * images.cols
        );
    }
    let _ = data::idx::parse_labels(path, bytes);
});
