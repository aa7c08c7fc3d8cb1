//! Administrative regions with their history: the nation, provinces, pre-2025 districts and
//! communes, each valid over a period, and the successor links that say which units took over
//! a retired one.
//!
//! Codes were reused by the 2025 reform (today's Lào Cai carries 15, Yên Bái's old code), so a
//! region's identity is its code *and* its validity period: a code is always read as of a date.

pub mod succession;

use crate::geo::{BBox, LonLat};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// The code of the nation, the root of every region tree.
pub const NATION_CODE: &str = "VN";

/// The date the two-level local government took effect (provinces merged, districts abolished).
pub const REFORM_2025: Date = jiff::civil::date(2025, 7, 1);

/// The level of an administrative unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegionKind {
    Nation,
    Province,
    District,
    Commune,
}

impl RegionKind {
    /// The lowercase name used in the API and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            RegionKind::Nation => "nation",
            RegionKind::Province => "province",
            RegionKind::District => "district",
            RegionKind::Commune => "commune",
        }
    }

    /// Parses the lowercase name.
    pub fn parse(text: &str) -> Option<RegionKind> {
        [
            RegionKind::Nation,
            RegionKind::Province,
            RegionKind::District,
            RegionKind::Commune,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }

    /// The kind a code denotes by its length: `VN`, 2 digits a province, 3 a district, 5 a commune.
    pub fn of_code(code: &str) -> Option<RegionKind> {
        if code == NATION_CODE {
            return Some(RegionKind::Nation);
        }
        if !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        match code.len() {
            2 => Some(RegionKind::Province),
            3 => Some(RegionKind::District),
            5 => Some(RegionKind::Commune),
            _ => None,
        }
    }
}

/// One administrative unit over one validity period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Region {
    /// The official code (`VN`, `01`, `001`, `00004`); unique only together with the period.
    pub code: String,
    pub kind: RegionKind,
    /// The Vietnamese name (NFC, one tone-mark convention), without the type prefix.
    pub name: String,
    /// The English or ASCII name.
    pub name_en: String,
    /// The official type of unit in Vietnamese (`tỉnh`, `thành phố`, `xã`, `phường`, `đặc khu`…).
    pub division_type: String,
    /// The parent's code (as of the same period); `None` for the nation.
    pub parent: Option<String>,
    /// First day of validity; `None` when it predates the registry's records.
    pub valid_from: Option<Date>,
    /// First day the unit no longer exists; `None` while it is current.
    pub valid_to: Option<Date>,
    /// A representative point (longitude, latitude).
    pub centroid: Option<LonLat>,
    pub bbox: Option<BBox>,
    /// Where the unit's facts come from, e.g. the official list or a recorded change.
    pub source: String,
}

impl Region {
    /// Whether the unit exists on `date`.
    pub fn valid_on(&self, date: Date) -> bool {
        self.valid_from.is_none_or(|from| from <= date) && self.valid_to.is_none_or(|to| date < to)
    }
}

/// How a retired unit passed into its successor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Succession {
    /// All of the old unit became part of the new one.
    Whole,
    /// Only part of the old unit (area or population) went to the new one.
    Partial,
    /// The same unit under a new code, name or type.
    Renamed,
}

impl Succession {
    /// The lowercase name used in the API and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Succession::Whole => "whole",
            Succession::Partial => "partial",
            Succession::Renamed => "renamed",
        }
    }

    /// Parses the lowercase name.
    pub fn parse(text: &str) -> Option<Succession> {
        [Succession::Whole, Succession::Partial, Succession::Renamed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }

    /// Reads the note column of the official conversion table ("Nhập toàn bộ", "Nhập một phần
    /// diện tích", "Giữ nguyên", "Đổi tên"…).
    pub fn from_conversion_note(note: &str) -> Succession {
        let key = crate::text::search_key(note);
        if key.contains("mot phan") {
            Succession::Partial
        } else if key.contains("doi ten")
            || key.contains("doi loai hinh")
            || key.contains("giu nguyen")
        {
            Succession::Renamed
        } else {
            Succession::Whole
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_code() {
        for (code, kind) in [
            ("VN", Some(RegionKind::Nation)),
            ("15", Some(RegionKind::Province)),
            ("001", Some(RegionKind::District)),
            ("00004", Some(RegionKind::Commune)),
            ("1a", None),
            ("1234", None),
        ] {
            assert_eq!(RegionKind::of_code(code), kind, "{code}");
        }
    }

    #[test]
    fn conversion_notes() {
        for (note, expected) in [
            ("Nhập toàn bộ", Succession::Whole),
            ("Nhập một phần\n", Succession::Partial),
            ("Nhâp một phần diện tích", Succession::Partial),
            ("Nhập một  phần", Succession::Partial),
            ("Giữ nguyên ", Succession::Renamed),
            ("Đổi tên", Succession::Renamed),
            (
                "Sắp xếp toàn bộ huyện Cồn Cỏ thành đặc khu Cồn Cỏ",
                Succession::Whole,
            ),
            ("", Succession::Whole),
        ] {
            assert_eq!(Succession::from_conversion_note(note), expected, "{note:?}");
        }
    }
}
