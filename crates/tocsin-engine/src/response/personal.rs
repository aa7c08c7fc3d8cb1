//! Personal data in incidents: a citizen's contact in a report is shown to the roles that act
//! on incidents (operators and administrators) and masked for everyone else — in lists, details,
//! exports and the situation report, which all read incidents through the engine.

use crate::access::Principal;
use tocsin_core::access::{Access, Resource, rule};
use tocsin_store::IncidentRecord;

/// Masks the reporter's contact in `incident`'s report unless `who` acts on incidents.
pub(crate) fn mask_report_for(who: &Principal, incident: &mut IncidentRecord) {
    if rule(Resource::Incidents, Access::Write).admits(who.role) {
        return;
    }
    let Some(report) = incident.report.as_deref() else {
        return;
    };
    let Ok(mut json) = serde_json::from_str::<serde_json::Value>(report) else {
        incident.report = None;
        return;
    };
    if let Some(reporter) = json.get_mut("reporter") {
        let masked = mask_contact(reporter.as_str().unwrap_or_default());
        *reporter = serde_json::Value::String(masked);
    }
    incident.report = Some(json.to_string());
}

/// `text` with phone numbers and e-mail addresses masked: every digit of a run of five or
/// more digits (spaces, dots and dashes inside it allowed) but the last two becomes `•`, and an
/// address keeps only the first letter of its local part and its domain.
pub fn mask_contact(text: &str) -> String {
    let words: Vec<String> = text.split(' ').map(mask_address).collect();
    mask_numbers(&words.join(" "))
}

fn mask_address(word: &str) -> String {
    match word.split_once('@') {
        Some((local, domain)) if !local.is_empty() && domain.contains('.') => {
            let first: String = local.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        _ => word.to_string(),
    }
}

fn mask_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i;
        while i < chars.len() && (chars[i].is_ascii_digit() || " .-".contains(chars[i])) {
            if chars[i].is_ascii_digit() {
                end = i + 1;
            }
            i += 1;
        }
        let run = &chars[start..end];
        let digits = run.iter().filter(|c| c.is_ascii_digit()).count();
        let mut seen = 0;
        for &c in run {
            let keep = !c.is_ascii_digit() || digits < 5 || seen + 2 >= digits;
            seen += usize::from(c.is_ascii_digit());
            out.push(if keep { c } else { '•' });
        }
        out.extend(&chars[end..i]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::mask_contact;

    #[test]
    fn contacts_are_masked_and_other_text_kept() {
        let cases = [
            ("Nguyễn Văn A, 0912 345 678", "Nguyễn Văn A, •••• ••• •78"),
            ("0912345678", "••••••••78"),
            ("+84 912.345.678", "+•• •••.•••.•78"),
            ("an.nguyen@example.vn", "a•••@example.vn"),
            ("UBND xã Phúc Khánh", "UBND xã Phúc Khánh"),
            ("tổ 3, số nhà 12", "tổ 3, số nhà 12"),
            ("", ""),
        ];
        for (text, expected) in cases {
            assert_eq!(mask_contact(text), expected, "{text:?}");
        }
    }
}
