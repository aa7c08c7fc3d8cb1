//! Why an engine call fails, and the bounds every list and search holds to: one error type for
//! every area, mapped to HTTP in one place (the server's error module).

use crate::ingest::WriteError;
use tocsin_core::station::StationError;
use tocsin_store::StoreError;

/// Why an engine call failed; each variant maps to one kind of answer for the client.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error("invalid stations: {}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    InvalidStations(Vec<StationError>),
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    InvalidRecords(Vec<RecordError>),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type Result<T> = std::result::Result<T, EngineError>;

/// One refused record of a request: which record (its id, or its place), the field and the
/// reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{record}: {field}: {reason}")]
pub struct RecordError {
    pub record: String,
    pub field: String,
    pub reason: String,
}

impl RecordError {
    pub fn new(record: impl Into<String>, field: &str, reason: impl Into<String>) -> RecordError {
        RecordError {
            record: record.into(),
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl EngineError {
    /// The request is refused for one record's field.
    pub fn record(record: impl Into<String>, field: &str, reason: impl Into<String>) -> Self {
        EngineError::InvalidRecords(vec![RecordError::new(record, field, reason)])
    }
}

/// The most detections one page holds.
pub const DETECTION_PAGE_MAX: usize = 10_000;

/// The most rows one page of a list (warnings, notifications, incidents, external alerts)
/// holds; the rest follow page by page from the cursor the page ends with.
pub const PAGE_MAX: usize = 1_000;

/// `limit` when it is a page size a list accepts (1..=[`PAGE_MAX`]).
pub(crate) fn page_limit(limit: usize) -> Result<usize> {
    limit_within(limit, PAGE_MAX)
}

/// `limit` when it is within `1..=max`; beyond, a refusal naming it (never a silent clamp, so
/// an answer is never shorter than asked without saying so).
pub(crate) fn limit_within(limit: usize, max: usize) -> Result<usize> {
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(EngineError::Invalid(format!(
            "limit: {limit} is outside 1..={max}"
        )))
    }
}

/// The most regions one search answers.
pub const SEARCH_MAX: usize = 500;
