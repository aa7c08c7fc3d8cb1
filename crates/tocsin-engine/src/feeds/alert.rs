//! Reading an external alert as received: parsed, validated, its signature checked, its facts
//! copied into the record, and placed on our regions when it is valid.

use crate::engine::Engine;
use crate::error::Result;
use tocsin_cap::{Alert, CodeList, Finding};
use tocsin_store::ExternalAlertRecord;

impl Engine {
    /// An alert as received: read, validated, its signature checked, placed when valid.
    pub(crate) fn external_alert(
        &self,
        subscription: u64,
        source: String,
        bytes: Vec<u8>,
        now: i64,
    ) -> Result<ExternalAlertRecord> {
        let signature = tocsin_cap::signature::verify(&bytes).integrity.to_string();
        let mut record = ExternalAlertRecord {
            id: 0,
            subscription,
            source,
            sender: None,
            identifier: None,
            sent_ms: None,
            status: String::new(),
            msg_type: String::new(),
            event: String::new(),
            severity: String::new(),
            urgency: String::new(),
            certainty: String::new(),
            headline: String::new(),
            expires_ms: None,
            cap_xml: Vec::new(),
            findings: String::new(),
            signature,
            placement: "invalid".into(),
            received_ms: now,
            regions: Vec::new(),
        };
        let findings = match tocsin_cap::read(&bytes) {
            Err(findings) => findings,
            Ok(read) => {
                let mut findings = read.warnings;
                findings.extend(tocsin_cap::validate(&read.alert));
                describe(&mut record, &read.alert);
                if !findings.iter().any(Finding::is_error) {
                    record.regions = self.place(&read.alert)?;
                    record.placement = if record.regions.is_empty() {
                        "outside"
                    } else {
                        "placed"
                    }
                    .into();
                }
                findings
            }
        };
        record.findings = serde_json::to_string(&findings).unwrap_or_else(|_| "[]".into());
        record.cap_xml = bytes;
        Ok(record)
    }
}

/// Copies the alert's facts (those of its first `info`) into the record.
fn describe(record: &mut ExternalAlertRecord, alert: &Alert) {
    record.sender = Some(alert.sender.clone());
    record.identifier = Some(alert.identifier.clone());
    record.sent_ms = timestamp_ms(&alert.sent);
    record.status = alert.status.as_str().into();
    record.msg_type = alert.msg_type.as_str().into();
    if let Some(info) = alert.info.first() {
        record.event = info.event.clone();
        record.severity = info.severity.as_str().into();
        record.urgency = info.urgency.as_str().into();
        record.certainty = info.certainty.as_str().into();
        record.headline = info.headline.clone().unwrap_or_default();
        record.expires_ms = info.expires.as_deref().and_then(timestamp_ms);
    }
}

fn timestamp_ms(text: &str) -> Option<i64> {
    text.trim()
        .parse::<jiff::Timestamp>()
        .ok()
        .map(|t| t.as_millisecond())
}
