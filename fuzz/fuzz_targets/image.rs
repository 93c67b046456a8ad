//! Image decoding, as training and `app predict`/`serve` do it: any bytes give an image within
//! the size limits or an error, never a panic or a decompression bomb's allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(image) = data::folder::decode_image(bytes) {
        assert!(image.width() <= data::folder::MAX_IMAGE_SIDE);
        assert!(image.height() <= data::folder::MAX_IMAGE_SIDE);
        let small = data::folder::resize_center_crop(&image, 8, 8);
        assert_eq!((small.width(), small.height()), (8, 8));
    }
});
