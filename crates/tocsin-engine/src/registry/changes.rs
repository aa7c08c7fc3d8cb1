//! Changes to administrative units after the 2025 reform (recodes, renames, new types), read
//! from `catalog/region-changes.toml` and applied the same way as the reform itself: the old
//! unit is retired on the change date and a successor unit takes over.

use serde::Deserialize;
use tocsin_core::region::Succession;
use tocsin_store::{RegionRecord, SuccessionRecord};

/// One change, as written in the changes file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionChange {
    /// The day the change takes effect (the old unit's last day is the day before).
    pub on: jiff::civil::Date,
    /// `verified` or `approximate`.
    pub status: String,
    /// The code of the unit that changes.
    pub from: String,
    /// A new code, when the unit is recoded.
    #[serde(default)]
    pub code: Option<String>,
    /// A new Vietnamese name.
    #[serde(default)]
    pub name: Option<String>,
    /// A new English name.
    #[serde(default)]
    pub name_en: Option<String>,
    /// A new unit type (e.g. `thành phố`).
    #[serde(default)]
    pub division_type: Option<String>,
    /// What changed and on what authority.
    pub note: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangesFile {
    #[serde(default)]
    change: Vec<RegionChange>,
}

/// Reads a changes file; every problem names the file and the entry.
pub fn read_changes(path: &std::path::Path) -> Result<Vec<RegionChange>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_changes(&text, &path.display().to_string())
}

/// Parses the text of a changes file read from `origin`.
pub fn parse_changes(text: &str, origin: &str) -> Result<Vec<RegionChange>, String> {
    let file: ChangesFile = toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
    for (i, change) in file.change.iter().enumerate() {
        if !matches!(change.status.as_str(), "verified" | "approximate") {
            return Err(format!(
                "{origin}: change {}: status must be \"verified\" or \"approximate\"",
                i + 1
            ));
        }
        if change.code.is_none()
            && change.name.is_none()
            && change.name_en.is_none()
            && change.division_type.is_none()
        {
            return Err(format!(
                "{origin}: change {}: nothing changes (give code, name, name_en or division_type)",
                i + 1
            ));
        }
    }
    Ok(file.change)
}

/// The successor unit a change makes from the current unit `old`.
pub fn successor_of(old: &RegionRecord, change: &RegionChange) -> RegionRecord {
    let mut new = old.clone();
    if let Some(code) = &change.code {
        new.region.code = code.clone();
    }
    if let Some(name) = &change.name {
        new.region.name = tocsin_core::text::normalise_name(name);
    }
    if let Some(name_en) = &change.name_en {
        new.region.name_en = name_en.clone();
    }
    if let Some(division_type) = &change.division_type {
        new.region.division_type = division_type.clone();
    }
    new.region.valid_from = Some(change.on);
    new.region.valid_to = None;
    new.region.source = format!("change {} ({}): {}", change.on, change.status, change.note);
    new
}

/// The succession link a change makes.
pub fn link_of(change: &RegionChange) -> SuccessionRecord {
    SuccessionRecord {
        from: change.from.clone(),
        to: change.code.clone().unwrap_or_else(|| change.from.clone()),
        on: change.on,
        relation: Succession::Renamed,
        note: change.note.clone(),
    }
}

/// Applies `changes` to an import in memory; returns how many were applied.
pub fn apply_changes(
    regions: &mut Vec<RegionRecord>,
    successions: &mut Vec<SuccessionRecord>,
    changes: &[RegionChange],
) -> Result<usize, String> {
    for change in changes {
        let index = regions
            .iter()
            .position(|r| r.region.code == change.from && r.region.valid_to.is_none())
            .ok_or_else(|| format!("change on {}: no current unit {}", change.on, change.from))?;
        let new = successor_of(&regions[index], change);
        regions[index].region.valid_to = Some(change.on);
        regions.push(new);
        successions.push(link_of(change));
    }
    Ok(changes.len())
}
