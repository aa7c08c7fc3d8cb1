//! Import of Vietnam's administrative units from the official files (`data/vn/admin`):
//! the 34 provinces and 3,321 communes in force since 1 July 2025 with their boundaries, the
//! pre-reform provinces, districts and communes as retired units, and the official conversion
//! table as succession links. Pre-reform communes the table does not cover are reported.

mod boundaries;
mod conversion;
mod current;
mod pre_reform;

use super::changes::{RegionChange, apply_changes};
use boundaries::{read_centroids, read_shapes};
use conversion::{read_conversion, read_province_mapping};
use current::read_current_units;
use pre_reform::{add_old_units, read_pre_reform_units};
use std::path::Path;
use tocsin_core::geo::BBox;
use tocsin_core::region::{NATION_CODE, Region, RegionKind};
use tocsin_store::{RegionRecord, SuccessionRecord};

/// A failure to read the official files: which file and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {reason}")]
pub struct ImportError {
    pub file: String,
    pub reason: String,
}

fn fail(file: &str, reason: impl std::fmt::Display) -> ImportError {
    ImportError {
        file: file.to_string(),
        reason: reason.to_string(),
    }
}

/// Everything an import writes, and what it found worth reporting.
#[derive(Debug, Default)]
pub struct RegionImport {
    pub regions: Vec<RegionRecord>,
    pub successions: Vec<SuccessionRecord>,
    pub report: ImportReport,
}

/// Counts and exceptions of an import, printed by `tocsin import regions`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ImportReport {
    pub provinces: usize,
    pub communes: usize,
    pub old_provinces: usize,
    pub old_districts: usize,
    pub old_communes: usize,
    pub successions: usize,
    /// Pre-2025 communes that no row of the conversion table covers: `code name (district)`.
    pub uncovered_old_communes: Vec<String>,
    /// Old codes in the conversion table that the pre-2025 list does not have.
    pub unknown_old_codes: Vec<String>,
    /// Current communes without a boundary in the boundary file.
    pub missing_boundaries: Vec<String>,
    /// Changes after the reform applied from the changes file.
    pub changes_applied: usize,
}

const NESTED: &str = "nested-divisions.json";
const PROVINCE_SHAPES: &str = "provinces_34_simplified_0.002deg.geojson";
const COMMUNE_SHAPES: &str = "wards_3321_simplified_0.001deg.geojson";
const CENTROIDS: &str = "wards_3321_centroid_bbox.csv";
const PRE_2025: &str = "pre2025_Xa_2025-01-04.csv";
const CONVERSION: &str = "conversion_old_to_new_communes_2025.csv";
const PROVINCE_MAPPING: &str = "province_mapping_63_to_34_derived.csv";

/// Reads the official files in `dir` and applies `changes` made after the reform.
pub fn read_official_files(
    dir: &Path,
    changes: &[RegionChange],
) -> Result<RegionImport, ImportError> {
    let shapes = read_shapes(&dir.join(PROVINCE_SHAPES), PROVINCE_SHAPES)?;
    let commune_shapes = read_shapes(&dir.join(COMMUNE_SHAPES), COMMUNE_SHAPES)?;
    let centroids = read_centroids(&dir.join(CENTROIDS))?;
    let mut import = RegionImport::default();
    import.regions.push(nation());
    read_current_units(
        dir,
        changes,
        &shapes,
        &commune_shapes,
        &centroids,
        &mut import,
    )?;
    let old = read_pre_reform_units(&dir.join(PRE_2025))?;
    let links = read_conversion(&dir.join(CONVERSION), &old, &mut import.report)?;
    let province_links = read_province_mapping(&dir.join(PROVINCE_MAPPING))?;
    add_old_units(old, &links, &province_links, &mut import);
    import.successions.extend(links);
    import.successions.extend(province_links);
    import.report.changes_applied =
        apply_changes(&mut import.regions, &mut import.successions, changes)
            .map_err(|e| fail("changes", e))?;
    import.report.successions = import.successions.len();
    Ok(import)
}

fn nation() -> RegionRecord {
    RegionRecord {
        region: Region {
            code: NATION_CODE.into(),
            kind: RegionKind::Nation,
            name: "Việt Nam".into(),
            name_en: "Viet Nam".into(),
            division_type: "quốc gia".into(),
            parent: None,
            valid_from: None,
            valid_to: None,
            centroid: Some([105.8, 16.0]),
            bbox: Some(BBox {
                min_lon: 102.14,
                min_lat: 8.18,
                max_lon: 117.9,
                max_lat: 23.39,
            }),
            source: "tocsin".into(),
        },
        boundary: None,
        provinces: Vec::new(),
    }
}
