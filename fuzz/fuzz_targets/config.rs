//! The config loader (`config.json`, read by `--config`, `--resume`, `app`): any text gives a
//! config or an error, never a panic; a config it accepts is validated like one from flags.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    if let Ok(config) = train::TrainingConfig::from_json(text) {
        let _ = config.validate();
        let _ = serde_json::to_string(&config);
    }
});
