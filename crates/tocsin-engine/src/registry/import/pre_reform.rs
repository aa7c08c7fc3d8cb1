//! The pre-reform provinces, districts and communes, kept as retired units tagged with the
//! current provinces their successors lie in.

use super::{ImportError, PRE_2025, RegionImport, fail};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use tocsin_core::region::{NATION_CODE, REFORM_2025, Region, RegionKind};
use tocsin_core::text::{ascii_name, split_unit_type};
use tocsin_store::{RegionRecord, SuccessionRecord};

/// The pre-reform units read from the 2025-01-04 list.
#[derive(Default)]
pub(super) struct OldUnits {
    pub(super) provinces: BTreeMap<String, (String, String)>,
    pub(super) districts: BTreeMap<String, (String, String, String)>,
    pub(super) communes: BTreeMap<String, OldCommune>,
}

pub(super) struct OldCommune {
    full_name: String,
    division_type: String,
    district: String,
    name_en: String,
}

pub(super) fn read_pre_reform_units(path: &Path) -> Result<OldUnits, ImportError> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| fail(PRE_2025, e))?;
    let mut units = OldUnits::default();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| fail(PRE_2025, format!("row {}: {e}", i + 2)))?;
        let col = |n: usize| row.get(n).unwrap_or_default().trim().to_string();
        let (province, district, commune) = (col(1), col(3), col(5));
        if province.len() != 2 || district.len() != 3 {
            return Err(fail(
                PRE_2025,
                format!(
                    "row {}: province {province:?} or district {district:?} code malformed",
                    i + 2
                ),
            ));
        }
        units
            .provinces
            .entry(province.clone())
            .or_insert_with(|| split_unit_type(&col(0)));
        let (kind, name) = split_unit_type(&col(2));
        units
            .districts
            .entry(district.clone())
            .or_insert((kind, name, province));
        if !commune.is_empty() {
            units.communes.insert(
                commune,
                OldCommune {
                    full_name: col(4),
                    division_type: col(6).to_lowercase(),
                    district,
                    name_en: col(7),
                },
            );
        }
    }
    Ok(units)
}

fn retired(
    code: String,
    kind: RegionKind,
    (division_type, name): (String, String),
    parent: &str,
    provinces: Vec<String>,
) -> RegionRecord {
    RegionRecord {
        region: Region {
            code,
            kind,
            name_en: ascii_name(&name),
            name,
            division_type,
            parent: Some(parent.to_string()),
            valid_from: None,
            valid_to: Some(REFORM_2025),
            centroid: None,
            bbox: None,
            source: PRE_2025.into(),
        },
        boundary: None,
        provinces,
    }
}

/// Adds the pre-reform units, each tagged with the current provinces its successors lie in.
pub(super) fn add_old_units(
    old: OldUnits,
    links: &[SuccessionRecord],
    province_links: &[SuccessionRecord],
    import: &mut RegionImport,
) {
    let province_of: HashMap<&str, &str> = import
        .regions
        .iter()
        .filter(|r| r.region.kind == RegionKind::Commune)
        .filter_map(|r| Some((r.region.code.as_str(), r.region.parent.as_deref()?)))
        .collect();
    let mut successor_provinces: HashMap<String, BTreeSet<String>> = HashMap::new();
    for link in links {
        if let Some(p) = province_of.get(link.to.as_str()) {
            successor_provinces
                .entry(link.from.clone())
                .or_default()
                .insert(p.to_string());
        }
    }
    let mut records = Vec::new();
    for (code, commune) in &old.communes {
        let provinces: BTreeSet<String> =
            successor_provinces.get(code).cloned().unwrap_or_default();
        if provinces.is_empty() {
            import.report.uncovered_old_communes.push(format!(
                "{code} {} ({})",
                commune.full_name, commune.district
            ));
        }
        let district_provinces = successor_provinces
            .entry(commune.district.clone())
            .or_default();
        district_provinces.extend(provinces.iter().cloned());
        let mut record = retired(
            code.clone(),
            RegionKind::Commune,
            split_unit_type(&commune.full_name),
            &commune.district,
            provinces.into_iter().collect(),
        );
        record.region.division_type = commune.division_type.clone();
        if !commune.name_en.is_empty() {
            record.region.name_en = commune.name_en.clone();
        }
        records.push(record);
        import.report.old_communes += 1;
    }
    for (code, (kind, name, province)) in old.districts {
        let provinces = successor_provinces
            .get(&code)
            .map(|p| p.iter().cloned().collect())
            .unwrap_or_default();
        records.push(retired(
            code,
            RegionKind::District,
            (kind, name),
            &province,
            provinces,
        ));
        import.report.old_districts += 1;
    }
    for (code, names) in old.provinces {
        let provinces = province_links
            .iter()
            .filter(|l| l.from == code)
            .map(|l| l.to.clone())
            .collect();
        records.push(retired(
            code,
            RegionKind::Province,
            names,
            NATION_CODE,
            provinces,
        ));
        import.report.old_provinces += 1;
    }
    import.regions.extend(records);
}
