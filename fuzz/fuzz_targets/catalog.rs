//! One rule catalogue file beside the built-in metrics: TOML syntax, keys and the checks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin_engine::catalog::{BUILTIN, from_texts};

fuzz_target!(|text: &str| {
    let metrics = BUILTIN.iter().find(|(name, _)| *name == "metrics.toml");
    let _ = from_texts(metrics.into_iter().copied().chain([("fuzz.toml", text)]));
});
