//! The units in force since 1 July 2025: the 34 provinces and their communes from the nested
//! divisions file, each with its boundary and centroid.

use super::boundaries::{CommuneFacts, Shape};
use super::{ImportError, ImportReport, NESTED, RegionImport, fail};
use crate::registry::changes::RegionChange;
use std::collections::HashMap;
use std::path::Path;
use tocsin_core::region::{NATION_CODE, REFORM_2025, Region, RegionKind};
use tocsin_core::text::{ascii_name, split_unit_type};
use tocsin_store::RegionRecord;

fn pad(code: &serde_json::Value, width: usize) -> String {
    match code {
        serde_json::Value::Number(n) => format!("{:0width$}", n.as_u64().unwrap_or_default()),
        other => format!("{:0>width$}", other.as_str().unwrap_or_default()),
    }
}

/// Codes under which the current unit `code` may appear in the boundary files, which already
/// carry some post-reform recodes.
fn shape_codes(code: &str, changes: &[RegionChange]) -> Vec<String> {
    let mut codes = vec![code.to_string()];
    codes.extend(
        changes
            .iter()
            .filter(|c| c.from == code)
            .filter_map(|c| c.code.clone()),
    );
    codes
}

pub(super) fn read_current_units(
    dir: &Path,
    changes: &[RegionChange],
    province_shapes: &HashMap<String, Shape>,
    commune_shapes: &HashMap<String, Shape>,
    centroids: &HashMap<String, CommuneFacts>,
    import: &mut RegionImport,
) -> Result<(), ImportError> {
    let text = std::fs::read_to_string(dir.join(NESTED)).map_err(|e| fail(NESTED, e))?;
    let provinces: Vec<serde_json::Value> =
        serde_json::from_str(&text).map_err(|e| fail(NESTED, e))?;
    for province in &provinces {
        let code = pad(&province["code"], 2);
        let full_name = province["name"]
            .as_str()
            .ok_or_else(|| fail(NESTED, format!("province {code}: no name")))?;
        let (division_type, name) = split_unit_type(full_name);
        let shape = province_shapes.get(&code);
        import.regions.push(RegionRecord {
            region: Region {
                code: code.clone(),
                kind: RegionKind::Province,
                name_en: shape
                    .map(|s| s.name_en.clone())
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| ascii_name(&name)),
                name,
                division_type,
                parent: Some(NATION_CODE.into()),
                valid_from: Some(REFORM_2025),
                valid_to: None,
                centroid: shape.and_then(|s| s.centroid),
                bbox: shape.and_then(|s| s.bbox),
                source: NESTED.into(),
            },
            boundary: shape.map(|s| s.geometry.clone()),
            provinces: vec![code.clone()],
        });
        import.report.provinces += 1;
        let wards = province["wards"]
            .as_array()
            .ok_or_else(|| fail(NESTED, format!("province {code}: no wards")))?;
        for ward in wards {
            let commune = current_commune(
                ward,
                &code,
                changes,
                commune_shapes,
                centroids,
                &mut import.report,
            )?;
            import.regions.push(commune);
            import.report.communes += 1;
        }
    }
    Ok(())
}

fn current_commune(
    ward: &serde_json::Value,
    province: &str,
    changes: &[RegionChange],
    shapes: &HashMap<String, Shape>,
    centroids: &HashMap<String, CommuneFacts>,
    report: &mut ImportReport,
) -> Result<RegionRecord, ImportError> {
    let code = pad(&ward["code"], 5);
    let full_name = ward["name"]
        .as_str()
        .ok_or_else(|| fail(NESTED, format!("commune {code}: no name")))?;
    let (division_type, name) = split_unit_type(full_name);
    let known_as = shape_codes(&code, changes);
    let shape = known_as.iter().find_map(|c| shapes.get(c));
    let facts = known_as.iter().find_map(|c| centroids.get(c));
    if shape.is_none() {
        report.missing_boundaries.push(code.clone());
    }
    Ok(RegionRecord {
        region: Region {
            code,
            kind: RegionKind::Commune,
            name_en: facts
                .map(|f| f.name_en.clone())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| ascii_name(&name)),
            name,
            division_type,
            parent: Some(province.to_string()),
            valid_from: Some(REFORM_2025),
            valid_to: None,
            centroid: facts.map(|f| f.centroid),
            bbox: facts.map(|f| f.bbox).or(shape.and_then(|s| s.bbox)),
            source: NESTED.into(),
        },
        boundary: shape.map(|s| s.geometry.clone()),
        provinces: vec![province.to_string()],
    })
}
