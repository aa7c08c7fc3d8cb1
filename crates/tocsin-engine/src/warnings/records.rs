//! The stored rows the desk writes: a warning open while the lifecycle holds it, closed once it
//! ends, and each version drafted.

use tocsin_core::warning::{Draft, Warning, WarningBook};
use tocsin_store::{VersionRecord, VersionState, WarningRecord};

pub(super) fn open_record(warning: &Warning) -> WarningRecord {
    WarningRecord {
        id: warning.id,
        hazard: warning.hazard.clone(),
        province: warning.province.clone(),
        open: true,
        state: serde_json::to_string(warning).unwrap_or_default(),
    }
}

pub(super) fn closed_record(draft: &Draft) -> WarningRecord {
    WarningRecord {
        id: draft.warning,
        hazard: draft.hazard.clone(),
        province: draft.province.clone(),
        open: false,
        state: "{}".into(),
    }
}

/// The stored state of the draft's warning after drafting: open while in the book.
pub(super) fn warning_record(book: &WarningBook, draft: &Draft) -> WarningRecord {
    match book.warnings.values().find(|w| w.id == draft.warning) {
        Some(warning) => open_record(warning),
        None => closed_record(draft),
    }
}

pub(super) fn version_record(draft: &Draft) -> VersionRecord {
    VersionRecord {
        warning: draft.warning,
        number: draft.number,
        hazard: draft.hazard.clone(),
        province: draft.province.clone(),
        action: draft.action.as_str().into(),
        level: draft.level,
        made_ms: draft.made_ms,
        expires_ms: draft.expires_ms,
        draft: serde_json::to_string(draft).unwrap_or_default(),
        state: if draft.action.is_message() {
            VersionState::Draft
        } else {
            VersionState::Record
        },
        publication: None,
    }
}
