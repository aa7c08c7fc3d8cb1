//! Atom 1.0 and RSS 2.0 feeds polled from other agencies, and the alerts embedded in them.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|xml: &[u8]| {
    if let Ok(feed) = tocsin_cap::feed_in::read(xml) {
        for alert in feed
            .entries
            .iter()
            .filter_map(|e| e.embedded_alert.as_deref())
        {
            let _ = tocsin_cap::read(alert.as_bytes());
        }
    }
});
