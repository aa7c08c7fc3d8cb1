//! The official conversion table and the province mapping, read as succession links from the
//! pre-reform units to the current ones.

use super::pre_reform::OldUnits;
use super::{CONVERSION, ImportError, ImportReport, PROVINCE_MAPPING, fail};
use std::collections::BTreeSet;
use std::path::Path;
use tocsin_core::region::{REFORM_2025, Succession};
use tocsin_store::SuccessionRecord;

/// Reads the `(NNN)` code at the end of "Quận Ba Đình (001)".
fn trailing_code(text: &str) -> Option<String> {
    let open = text.rfind('(')?;
    let code = text[open + 1..].trim_end().strip_suffix(')')?;
    code.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| code.to_string())
}

pub(super) fn read_conversion(
    path: &Path,
    old: &OldUnits,
    report: &mut ImportReport,
) -> Result<Vec<SuccessionRecord>, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(path)
        .map_err(|e| fail(CONVERSION, e))?;
    let mut links = Vec::new();
    let mut unknown = BTreeSet::new();
    for row in reader.records() {
        let row = row.map_err(|e| fail(CONVERSION, e))?;
        let col = |n: usize| row.get(n).unwrap_or_default().trim().to_string();
        let new_code = col(2);
        if new_code.len() != 5 || !new_code.bytes().all(|b| b.is_ascii_digit()) {
            continue; // a heading row
        }
        let relation = Succession::from_conversion_note(&col(5));
        let old_code = col(4);
        let from = if !old_code.is_empty() {
            if !old.communes.contains_key(&old_code) {
                unknown.insert(old_code.clone());
                continue;
            }
            old_code
        } else {
            // A whole district without communes became a special zone (island districts).
            match trailing_code(&col(6)).filter(|d| old.districts.contains_key(d)) {
                Some(district) => district,
                None => continue,
            }
        };
        links.push(SuccessionRecord {
            from,
            to: new_code,
            on: REFORM_2025,
            relation,
            note: col(5),
        });
    }
    report.unknown_old_codes = unknown.into_iter().collect();
    Ok(links)
}

pub(super) fn read_province_mapping(path: &Path) -> Result<Vec<SuccessionRecord>, ImportError> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| fail(PROVINCE_MAPPING, e))?;
    let mut rows = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| fail(PROVINCE_MAPPING, e))?;
        rows.push((
            row.get(0).unwrap_or_default().to_string(),
            row.get(2).unwrap_or_default().to_string(),
        ));
    }
    let targets = |old: &str| rows.iter().filter(|(o, _)| o == old).count();
    let sources = |new: &str| rows.iter().filter(|(_, n)| n == new).count();
    Ok(rows
        .iter()
        .map(|(old, new)| {
            let relation = if targets(old) > 1 {
                Succession::Partial
            } else if old == new && sources(new) == 1 {
                Succession::Renamed
            } else {
                Succession::Whole
            };
            SuccessionRecord {
                from: old.clone(),
                to: new.clone(),
                on: REFORM_2025,
                relation,
                note: PROVINCE_MAPPING.into(),
            }
        })
        .collect())
}
