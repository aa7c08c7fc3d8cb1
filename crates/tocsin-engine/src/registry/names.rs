//! The one way the system names a region: the name a code carried on a date, with the name its
//! province carried on the same date, both from the registry's history.
//!
//! Codes were reused by the 2025 reform (15 is Yên Bái before 1 July 2025 and Lào Cai after;
//! 04252 was the ward Yên Ninh and is the ward Yên Bái), so a name is never looked up without a
//! date, and a commune's province is the one it belonged to on that date — never the province a
//! caller happens to have at hand. Alerts, feeds, incident titles, messages and pages all name
//! places through [`place_name`]; the date is the engine's registry date
//! ([`crate::Engine::today`]), so a drill that replays 2024 in today's communes names today's
//! units.

use jiff::civil::Date;
use tocsin_core::region::{Region, RegionKind};
use tocsin_store::{RegionFilter, Store, StoreError};

/// How far up the parent chain a province is looked for (commune → district → province).
const MAX_DEPTH: usize = 4;

/// A region's names on one date.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceName {
    pub code: String,
    pub kind: RegionKind,
    /// Vietnamese name, without the type prefix.
    pub name: String,
    pub name_en: String,
    /// The official type of unit (`xã`, `phường`, `tỉnh`…).
    pub division_type: String,
    /// The province the unit belonged to on the same date (`None` for a province or the nation).
    pub province: Option<ProvinceName>,
}

/// The province of a place, named as of the same date.
#[derive(Debug, Clone, PartialEq)]
pub struct ProvinceName {
    pub code: String,
    pub name: String,
    pub name_en: String,
}

impl PlaceName {
    /// `Commune, Province` in Vietnamese (the province alone for a province).
    pub fn full_vi(&self) -> String {
        match &self.province {
            Some(p) => format!("{}, {}", self.name, p.name),
            None => self.name.clone(),
        }
    }

    /// `Commune, Province` in English.
    pub fn full_en(&self) -> String {
        match &self.province {
            Some(p) => format!("{}, {}", self.name_en, p.name_en),
            None => self.name_en.clone(),
        }
    }

    /// The name in Vietnamese or English.
    pub fn in_language(&self, english: bool) -> &str {
        if english { &self.name_en } else { &self.name }
    }

    /// A placeholder for a code the registry does not know on the date: the code itself.
    pub fn unknown(code: &str) -> PlaceName {
        PlaceName {
            code: code.to_string(),
            kind: RegionKind::of_code(code).unwrap_or(RegionKind::Commune),
            name: code.to_string(),
            name_en: code.to_string(),
            division_type: String::new(),
            province: None,
        }
    }

    fn of(region: &Region, province: Option<ProvinceName>) -> PlaceName {
        PlaceName {
            code: region.code.clone(),
            kind: region.kind,
            name: region.name.clone(),
            name_en: region.name_en.clone(),
            division_type: region.division_type.clone(),
            province,
        }
    }
}

/// The names of `code` valid on `date`, with its province's names on the same date; `None`
/// when the registry has no unit with that code on that date.
pub fn place_name(
    store: &dyn Store,
    code: &str,
    date: Date,
) -> Result<Option<PlaceName>, StoreError> {
    let all = RegionFilter::all();
    let Some(region) = store.region(code, date, &all)? else {
        return Ok(None);
    };
    if matches!(region.kind, RegionKind::Province | RegionKind::Nation) {
        return Ok(Some(PlaceName::of(&region, None)));
    }
    let mut parent = region.parent.clone();
    for _ in 0..MAX_DEPTH {
        let Some(code) = parent else { break };
        let Some(up) = store.region(&code, date, &all)? else {
            break;
        };
        if up.kind == RegionKind::Province {
            let province = ProvinceName {
                code: up.code,
                name: up.name,
                name_en: up.name_en,
            };
            return Ok(Some(PlaceName::of(&region, Some(province))));
        }
        parent = up.parent;
    }
    Ok(Some(PlaceName::of(&region, None)))
}

/// [`place_name`], or the code itself when the registry does not know it on `date`.
pub fn place_name_or_code(
    store: &dyn Store,
    code: &str,
    date: Date,
) -> Result<PlaceName, StoreError> {
    Ok(place_name(store, code, date)?.unwrap_or_else(|| PlaceName::unknown(code)))
}
