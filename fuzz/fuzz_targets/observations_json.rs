//! Observation request bodies sent as JSON: every record is read or rejected, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tocsin_server::records::{BodyFormat, parse_body};

fuzz_target!(|body: &[u8]| {
    let _ = parse_body(BodyFormat::JsonArray, body);
});
