//! Prometheus metrics: every metric is defined once here, with its name as a constant, and
//! rendered in the text exposition format at `/metrics`.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

pub const INGEST_REQUESTS: &str = "tocsin_ingest_requests_total";
pub const INGEST_ACCEPTED: &str = "tocsin_ingest_records_accepted_total";
pub const INGEST_DUPLICATES: &str = "tocsin_ingest_records_duplicate_total";
pub const INGEST_REJECTED: &str = "tocsin_ingest_records_rejected_total";
pub const HTTP_ERRORS: &str = "tocsin_http_error_responses_total";

/// The server's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    pub ingest_requests: AtomicU64,
    pub ingest_accepted: AtomicU64,
    pub ingest_duplicates: AtomicU64,
    pub ingest_rejected: AtomicU64,
    pub http_errors: AtomicU64,
}

impl Metrics {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// The text exposition of every counter plus the given gauges.
    pub fn render(&self, gauges: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        let counters = [
            (
                INGEST_REQUESTS,
                "Observation ingest requests answered.",
                &self.ingest_requests,
            ),
            (
                INGEST_ACCEPTED,
                "Observations acknowledged as durably stored.",
                &self.ingest_accepted,
            ),
            (
                INGEST_DUPLICATES,
                "Acknowledged observations that were already stored.",
                &self.ingest_duplicates,
            ),
            (
                INGEST_REJECTED,
                "Observations rejected by validation.",
                &self.ingest_rejected,
            ),
            (
                HTTP_ERRORS,
                "HTTP answers with a 4xx or 5xx status.",
                &self.http_errors,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        }
        for (name, help, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        out
    }
}

/// Resident memory of this process in bytes (Linux), for the memory gauge.
pub fn resident_bytes() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0)
}
