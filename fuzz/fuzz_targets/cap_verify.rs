//! XML Signature verification of an incoming alert (canonicalisation, digests, certificates).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|xml: &[u8]| {
    let _ = tocsin_cap::signature::verify(xml);
});
