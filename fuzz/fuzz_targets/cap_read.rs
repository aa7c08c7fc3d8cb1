//! The CAP reader (CAP 1.2 and 1.1) and, on what it accepts, validation and the writer: the path
//! of `/api/v1/verify`, forwarded alerts and polled feeds.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|xml: &[u8]| {
    if let Ok(read) = tocsin_cap::read(xml) {
        let _ = tocsin_cap::validate(&read.alert);
        let _ = tocsin_cap::to_xml(&read.alert);
    }
});
