//! The font every picture uses: DejaVu Sans, embedded (see assets/DejaVuSans-LICENSE.txt), so
//! that drawing needs no system fonts.

use std::sync::Once;

use plotters::style::FontStyle;

/// The family name to use in plotters text styles.
pub const FAMILY: &str = "sans-serif";

/// Registers the embedded font with plotters (once per process).
pub fn ensure() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let bytes: &'static [u8] = include_bytes!("../assets/DejaVuSans.ttf");
        plotters::style::register_font(FAMILY, FontStyle::Normal, bytes)
            .unwrap_or_else(|_| panic!("the embedded DejaVu Sans font is valid"));
    });
}
