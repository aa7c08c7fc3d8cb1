//! The resource registry imported as CSV: all or nothing, every problem named, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let _ = tocsin_engine::response::resources::parse_csv(body);
});
