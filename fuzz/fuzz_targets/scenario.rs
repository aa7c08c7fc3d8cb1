//! Drill scenario TOML, as uploaded by an administrator: parsed and checked, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin_engine::drill::scenario::Scenario;

fuzz_target!(|text: &str| {
    let _ = Scenario::parse("fuzz.toml", text);
});
